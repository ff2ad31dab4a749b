// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/login.hpp"

#include <algorithm>
#include <array>
#include <openssl/rand.h>
#include <utility>

namespace iscsi {

// ---------------------------------------------------------------------------------------------
// ISID

isid_format format_of(const isid_bytes& isid) noexcept {
    return static_cast<isid_format>(isid[0] >> 6);
}

isid_bytes make_oui_isid(std::uint32_t oui22, std::uint32_t qualifier24) noexcept {
    oui22 &= 0x3fffff;
    qualifier24 &= 0xffffff;
    return {static_cast<std::uint8_t>(ISCSI_ISID_TYPE_OUI | (oui22 >> 16)),
            static_cast<std::uint8_t>(oui22 >> 8),
            static_cast<std::uint8_t>(oui22),
            static_cast<std::uint8_t>(qualifier24 >> 16),
            static_cast<std::uint8_t>(qualifier24 >> 8),
            static_cast<std::uint8_t>(qualifier24)};
}

isid_bytes make_enterprise_isid(std::uint32_t enterprise_number, std::uint16_t qualifier) noexcept {
    return {ISCSI_ISID_TYPE_EN,
            static_cast<std::uint8_t>(enterprise_number >> 16),
            static_cast<std::uint8_t>(enterprise_number >> 8),
            static_cast<std::uint8_t>(enterprise_number),
            static_cast<std::uint8_t>(qualifier >> 8),
            static_cast<std::uint8_t>(qualifier)};
}

namespace {

result<std::uint32_t> random_24_bits() {
    std::array<unsigned char, 3> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return errc::unsupported;
    return (std::uint32_t{bytes[0]} << 16) | (std::uint32_t{bytes[1]} << 8) | bytes[2];
}

} // namespace

result<isid_bytes> make_random_isid(std::uint16_t qualifier) {
    auto bits = random_24_bits();
    if (!bits)
        return bits.error();
    auto isid = make_enterprise_isid(*bits, qualifier); // same layout: B and C, then D
    isid[0] = ISCSI_ISID_TYPE_RANDOM;
    return isid;
}

result<isid_bytes> make_random_qualifier_isid(std::uint32_t oui22) {
    auto bits = random_24_bits();
    if (!bits)
        return bits.error();
    return make_oui_isid(oui22, *bits);
}

namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

void append_hex_byte(std::string& out, std::uint8_t b) {
    out += hex_digits[b >> 4];
    out += hex_digits[b & 0xf];
}

std::string hex32(std::uint32_t v, int digits = 8) {
    std::string out = "0x";
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        out += hex_digits[(v >> shift) & 0xf];
    return out;
}

} // namespace

std::string to_string(const isid_bytes& isid) {
    std::string out;
    for (std::size_t i = 0; i < isid.size(); ++i) {
        if (i != 0)
            out += ':';
        append_hex_byte(out, isid[i]);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Statuses

std::string describe_login_status(login_status status) {
    switch (status) {
    case ISCSI_LOGIN_STATUS_SUCCESS:
        return "success";
    case ISCSI_LOGIN_STATUS_TARGET_MOVED_TEMP:
        return "target moved temporarily";
    case ISCSI_LOGIN_STATUS_TARGET_MOVED_PERM:
        return "target moved permanently";
    case ISCSI_LOGIN_STATUS_INITIATOR_ERR:
        return "initiator error (the target could not understand the login)";
    case ISCSI_LOGIN_STATUS_AUTH_FAILED:
        return "authentication failed";
    case ISCSI_LOGIN_STATUS_FORBIDDEN:
        return "access to the target forbidden for this initiator";
    case ISCSI_LOGIN_STATUS_NOT_FOUND:
        return "target not found";
    case ISCSI_LOGIN_STATUS_TARGET_REMOVED:
        return "target removed";
    case ISCSI_LOGIN_STATUS_UNSUPPORTED_VERSION:
        return "unsupported iSCSI version";
    case ISCSI_LOGIN_STATUS_TOO_MANY_CONNECTIONS:
        return "too many connections";
    case ISCSI_LOGIN_STATUS_MISSING_PARAMETER:
        return "missing parameter";
    case ISCSI_LOGIN_STATUS_CANT_INCLUDE_IN_SESSION:
        return "the target cannot include this connection in the session";
    case ISCSI_LOGIN_STATUS_SESSION_TYPE_UNSUPPORTED:
        return "session type not supported";
    case ISCSI_LOGIN_STATUS_SESSION_DOES_NOT_EXIST:
        return "session does not exist";
    case ISCSI_LOGIN_STATUS_INVALID_DURING_LOGIN:
        return "invalid request during login";
    case ISCSI_LOGIN_STATUS_TARGET_ERR:
        return "target error";
    case ISCSI_LOGIN_STATUS_SERVICE_UNAVAILABLE:
        return "service unavailable";
    case ISCSI_LOGIN_STATUS_OUT_OF_RESOURCES:
        return "target out of resources";
    default:
        break;
    }
    std::string what;
    switch (status >> 8) {
    case ISCSI_LOGIN_CLASS_SUCCESS:
        what = "success";
        break;
    case ISCSI_LOGIN_CLASS_REDIRECT:
        what = "redirection";
        break;
    case ISCSI_LOGIN_CLASS_INITIATOR_ERR:
        what = "initiator error";
        break;
    case ISCSI_LOGIN_CLASS_TARGET_ERR:
        what = "target error";
        break;
    default:
        what = "unknown status class";
        break;
    }
    return what + " (status " + hex32(status, 4) + ")";
}

namespace {

class login_status_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "iscsi-login-status"; }
    std::string message(int ev) const override {
        return describe_login_status(static_cast<login_status>(ev));
    }
};

} // namespace

const std::error_category& login_status_category() noexcept {
    static const login_status_category_impl cat;
    return cat;
}

// ---------------------------------------------------------------------------------------------
// The state machine

namespace {

enum class chap_step : std::uint8_t { idle, algorithms_sent, response_sent, done };

// RFC 7143 section 4.2.2.1 serial number arithmetic on 32 bits.
bool serial_less(std::uint32_t a, std::uint32_t b) noexcept {
    return a != b && static_cast<std::uint32_t>(b - a) < 0x80000000U;
}

std::string stage_name(login_stage s) {
    switch (s) {
    case login_stage::security:
        return "security";
    case login_stage::operational:
        return "operational";
    case login_stage::full_feature:
        return "full feature";
    }
    return "unknown";
}

} // namespace

struct login_machine::state {
    state(login_config c, negotiator n) : config(std::move(c)), negotiation(std::move(n)) {}

    login_config config;
    negotiator negotiation;
    std::optional<chap_initiator> chap;
    chap_step chap_progress = chap_step::idle;

    login_stage stage = login_stage::security;
    bool want_transit = false; // the T bit of our last complete request
    login_stage want_next = login_stage::operational;

    std::vector<std::byte> outgoing; // the text of our current request
    std::size_t outgoing_sent = 0;
    bool awaiting_continue_ack = false; // we sent a request with C=1

    std::vector<std::byte> incoming; // text of a response continued with C=1
    bool first_text_processed = false;

    std::optional<std::uint32_t> last_stat_sn;
    std::uint32_t exp_stat_sn = 0;
    unsigned requests = 0;
    bool started = false;

    std::optional<login_result> outcome;
    login_failure failure;

    std::error_code fail(errc code, std::string message, std::error_code cause = {}) {
        failure.code = make_error_code(code);
        failure.cause = cause;
        failure.message = std::move(message);
        return failure.code;
    }
    std::error_code violation(std::string message) {
        return fail(errc::protocol_violation, "protocol violation: " + std::move(message));
    }
    // The negotiator failed with `ec`: a rule the target broke, or an outcome we cannot accept.
    std::error_code negotiation_error(std::error_code ec) {
        if (ec == errc::negotiation_failed)
            return fail(errc::negotiation_failed, "negotiation failed: " + negotiation.failure().message(),
                        ec);
        if (ec == errc::bad_format)
            return fail(errc::bad_format, "bad configuration: " + negotiation.failure().message(), ec);
        return fail(errc::protocol_violation, "protocol violation: " + negotiation.failure().message(), ec);
    }

    result<login_step> next_chunk();
    result<login_step> send_text(std::span<const text_pair> pairs, bool transit, login_stage next);
    result<login_step> handle(const login_response_pdu& r);
    std::error_code check_response(const login_response_pdu& r);
    result<login_step> status_failure(const login_response_pdu& r);
    result<login_step> complete_response(const login_response_pdu& r, std::span<const std::byte> text);
    std::error_code authenticate(std::span<const text_pair> keys, std::vector<text_pair>& out);
    result<login_step> finish(const login_response_pdu& r);
};

result<login_machine> login_machine::create(login_config config) {
    switch (config.auth) {
    case auth_policy::none:
        config.preferences.auth_methods = {auth_method::none};
        break;
    case auth_policy::chap:
    case auth_policy::mutual_chap:
        config.preferences.auth_methods = {auth_method::chap};
        break;
    }
    if (config.max_send_data_segment_length < 512 ||
        config.max_send_data_segment_length > max_data_segment_size)
        return errc::bad_format;
    if (config.identity.type == session_type::discovery && config.tsih != 0)
        return errc::bad_format; // a discovery session has one connection: nothing to add it to
    std::optional<chap_initiator> chap;
    if (config.auth != auth_policy::none) {
        const bool mutual = !config.chap.target_name.empty() || !config.chap.target_secret.empty();
        if (mutual != (config.auth == auth_policy::mutual_chap))
            return make_error_code(chap_errc::invalid_configuration);
        auto c = chap_initiator::create(config.chap);
        if (!c)
            return c.error();
        chap.emplace(std::move(*c));
    }
    // The secrets now live in chap_initiator only.
    config.chap = {};
    if (config.tsih == 0 && config.session)
        return errc::bad_format; // session parameters come from a login that already happened
    negotiator n = config.tsih == 0 ? negotiator(config.preferences, config.identity)
                                    : negotiator(config.preferences, config.identity,
                                                 config.session.value_or(session_params{}));
    auto s = std::make_unique<state>(std::move(config), std::move(n));
    s->chap = std::move(chap);
    s->exp_stat_sn = s->config.exp_stat_sn;
    return login_machine(std::move(s));
}

login_machine::login_machine(std::unique_ptr<state> s) : s_(std::move(s)) {}
login_machine::login_machine(login_machine&&) noexcept = default;
login_machine& login_machine::operator=(login_machine&&) noexcept = default;
login_machine::~login_machine() = default;

const std::optional<login_result>& login_machine::outcome() const noexcept {
    return s_->outcome;
}

login_stage login_machine::stage() const noexcept {
    return s_->stage;
}

std::span<const std::byte> login_machine::chap_challenge() const noexcept {
    if (!s_->chap)
        return {};
    return s_->chap->challenge();
}

const login_failure& login_machine::failure() const noexcept {
    return s_->failure;
}

result<login_step> login_machine::start() {
    auto& s = *s_;
    if (s.failure.code)
        return s.failure.code;
    if (s.started)
        return s.fail(errc::protocol_violation, "login already started");
    s.started = true;
    auto pairs = s.negotiation.offer(negotiation_stage::security);
    if (!pairs)
        return s.negotiation_error(pairs.error());
    // Without authentication we are ready to leave the security stage at once; with CHAP we stay
    // until our response is sent.
    return s.send_text(*pairs, s.config.auth == auth_policy::none, login_stage::operational);
}

result<login_step> login_machine::state::send_text(std::span<const text_pair> pairs, bool transit,
                                                   login_stage next) {
    outgoing = encode_text(pairs);
    outgoing_sent = 0;
    want_transit = transit;
    want_next = next;
    return next_chunk();
}

result<login_step> login_machine::state::next_chunk() {
    if (++requests > config.max_exchanges)
        return violation("no full feature phase after " + std::to_string(config.max_exchanges) +
                         " Login Requests");
    const std::size_t left = outgoing.size() - outgoing_sent;
    const std::size_t chunk = std::min<std::size_t>(left, config.max_send_data_segment_length);
    const bool more = chunk < left;
    login_request_pdu req;
    req.continue_text = more;
    req.transit = !more && want_transit;
    req.current_stage = stage;
    req.next_stage = req.transit ? want_next : login_stage::security;
    req.isid = config.isid;
    req.tsih = config.tsih;
    req.itt = config.itt;
    req.cid = config.cid;
    req.cmd_sn = config.cmd_sn;
    req.exp_stat_sn = exp_stat_sn;
    const auto first = outgoing.begin() + static_cast<std::ptrdiff_t>(outgoing_sent);
    req.data.assign(first, first + static_cast<std::ptrdiff_t>(chunk));
    outgoing_sent += chunk;
    awaiting_continue_ack = more;
    return login_step{.request = req.to_pdu(), .done = false};
}

result<login_step> login_machine::receive(const pdu& response) {
    auto& s = *s_;
    if (s.failure.code)
        return s.failure.code;
    auto r = login_response_pdu::from_pdu(response);
    if (!r) {
        if (r.error() == errc::bad_opcode)
            return s.violation("unexpected PDU with opcode " + hex32(response.opcode(), 2) + " during login");
        return s.fail(errc::protocol_violation, "protocol violation: malformed Login Response", r.error());
    }
    return receive(*r);
}

result<login_step> login_machine::receive(const login_response_pdu& response) {
    auto& s = *s_;
    if (s.failure.code)
        return s.failure.code;
    if (!s.started || s.outcome)
        return s.violation("Login Response outside a login");
    return s.handle(response);
}

std::error_code login_machine::state::check_response(const login_response_pdu& r) {
    if (r.itt != config.itt)
        return violation("Login Response ITT " + hex32(r.itt) + " is not the request's " + hex32(config.itt));
    if (r.isid != config.isid)
        return violation("Login Response ISID " + to_string(r.isid) + " is not ours " +
                         to_string(config.isid));
    return {};
}

result<login_step> login_machine::state::handle(const login_response_pdu& r) {
    // A refusal ends the login whatever else the response says; tgtd, for one, sends its
    // refusals with a zero ISID.
    if (r.status_class != ISCSI_LOGIN_CLASS_SUCCESS || r.status_detail != 0)
        return status_failure(r);
    if (auto ec = check_response(r))
        return ec;
    if (r.version_active != ISCSI_VERSION)
        return violation("Version-active " + std::to_string(r.version_active) +
                         " is not the version 0 we offered");
    if (r.current_stage != stage)
        return violation("Login Response in the " + stage_name(r.current_stage) +
                         " stage to a request in the " + stage_name(stage) + " stage");
    // Each response carries the next StatSN (RFC 7143 section 11.13.4). A repeated one harms
    // nothing during login and is accepted; a gap or a step back is not.
    if (last_stat_sn && r.stat_sn != *last_stat_sn && r.stat_sn != *last_stat_sn + 1)
        return violation("StatSN " + std::to_string(r.stat_sn) + " after " + std::to_string(*last_stat_sn));
    if (serial_less(r.max_cmd_sn + 1, r.exp_cmd_sn))
        return violation("MaxCmdSN " + std::to_string(r.max_cmd_sn) + " below ExpCmdSN " +
                         std::to_string(r.exp_cmd_sn) + " - 1");
    last_stat_sn = r.stat_sn;
    exp_stat_sn = r.stat_sn + 1;

    if (awaiting_continue_ack) {
        // RFC 7143 section 11.12.2: the target acknowledges each continued request with an empty
        // response and stays where it is.
        if (r.transit || r.continue_text || !r.data.empty())
            return violation(
                "the response to a continued (C bit) Login Request must be empty, without T or C");
        return next_chunk();
    }
    if (r.transit && !want_transit)
        return violation("the target set the T bit although our request did not");
    if (r.transit) {
        const auto to = static_cast<int>(r.next_stage);
        if (to <= static_cast<int>(stage) || to > static_cast<int>(want_next))
            return violation("transit from the " + stage_name(stage) + " stage to the " +
                             stage_name(r.next_stage) + " stage; we asked for " + stage_name(want_next));
    }
    if (incoming.size() + r.data.size() > config.max_response_text)
        return violation("response text longer than " + std::to_string(config.max_response_text) + " bytes");
    incoming.insert(incoming.end(), r.data.begin(), r.data.end());
    if (r.continue_text) {
        // More text follows: acknowledge with an empty request and wait for the rest.
        const std::vector<text_pair> none;
        const bool transit = want_transit;
        const auto next = want_next;
        auto step = send_text(none, false, next);
        want_transit = transit; // what we are ready for once the whole text has arrived
        return step;
    }
    std::vector<std::byte> text = std::move(incoming);
    incoming.clear();
    return complete_response(r, text);
}

result<login_step> login_machine::state::status_failure(const login_response_pdu& r) {
    const login_status status = r.status();
    failure.status = status;
    failure.cause = make_login_status_error(status);
    failure.message = describe_login_status(status);
    switch (r.status_class) {
    case ISCSI_LOGIN_CLASS_REDIRECT: {
        auto pairs = parse_text(r.data);
        login_redirect to;
        to.permanent = status == ISCSI_LOGIN_STATUS_TARGET_MOVED_PERM;
        if (pairs) {
            for (const auto& p : *pairs) {
                if (p.key != "TargetAddress")
                    continue;
                to.raw.push_back(p.value);
                auto address = parse_portal(p.value);
                if (address && to.raw.size() == 1)
                    to.address = *address;
                else if (address && to.address.host.empty())
                    to.address = *address;
            }
        }
        if (to.address.host.empty()) {
            failure.code = make_error_code(errc::protocol_violation);
            failure.message += ", but without a usable TargetAddress";
            return failure.code;
        }
        auto shown = to.address;
        shown.tpgt.reset(); // the portal group matters to the login, not to the reader
        failure.message += " to " + shown.to_string();
        failure.redirect = std::move(to);
        failure.code = make_error_code(errc::target_moved);
        return failure.code;
    }
    case ISCSI_LOGIN_CLASS_INITIATOR_ERR:
        failure.code = make_error_code(status == ISCSI_LOGIN_STATUS_AUTH_FAILED ? errc::authentication_failed
                                                                                : errc::login_rejected);
        return failure.code;
    case ISCSI_LOGIN_CLASS_TARGET_ERR:
        failure.transient = true;
        failure.code = make_error_code(errc::login_rejected);
        return failure.code;
    default:
        // Class 0 with a detail, or a class RFC 7143 does not define.
        failure.code = make_error_code(errc::protocol_violation);
        failure.message = "protocol violation: login status " + hex32(status, 4);
        return failure.code;
    }
}

std::error_code login_machine::state::authenticate(std::span<const text_pair> keys,
                                                   std::vector<text_pair>& out) {
    auto auth_failure = [&](std::error_code ec) {
        return fail(errc::authentication_failed, "authentication failed: " + ec.message(), ec);
    };
    if (!chap) {
        if (!keys.empty())
            return violation("CHAP key " + keys.front().key + " without CHAP authentication");
        return {};
    }
    switch (chap_progress) {
    case chap_step::idle:
        if (!keys.empty())
            return violation("CHAP key " + keys.front().key + " before we offered CHAP_A");
        if (negotiation.negotiated_auth_method() == auth_method::chap) {
            out.push_back(chap->offer());
            chap_progress = chap_step::algorithms_sent;
        }
        return {};
    case chap_step::algorithms_sent: {
        if (keys.empty())
            return {};
        auto answer = chap->respond(keys);
        if (!answer)
            return auth_failure(answer.error());
        out.insert(out.end(), answer->begin(), answer->end());
        chap_progress = chap->complete() ? chap_step::done : chap_step::response_sent;
        return {};
    }
    case chap_step::response_sent:
        if (keys.empty())
            return {};
        if (auto ec = chap->verify(keys))
            return auth_failure(ec);
        chap_progress = chap_step::done;
        return {};
    case chap_step::done:
        if (!keys.empty())
            return violation("CHAP key " + keys.front().key + " after the CHAP exchange ended");
        return {};
    }
    return {};
}

result<login_step> login_machine::state::complete_response(const login_response_pdu& r,
                                                           std::span<const std::byte> text) {
    auto pairs = parse_text(text);
    if (!pairs)
        return fail(errc::protocol_violation, "protocol violation: malformed text in a Login Response",
                    pairs.error());
    const auto nstage = static_cast<negotiation_stage>(stage);
    auto got = negotiation.receive(nstage, *pairs);
    if (!got)
        return negotiation_error(got.error());
    const bool first_text = !first_text_processed;
    first_text_processed = true;
    // RFC 7143 section 13.9: the target declares its portal group in its first response to the
    // leading connection of a normal session.
    if (first_text && config.identity.type == session_type::normal && config.tsih == 0 &&
        std::ranges::none_of(*pairs, [](const text_pair& p) { return p.key == "TargetPortalGroupTag"; }))
        return violation("no TargetPortalGroupTag in the target's first Login Response");
    std::vector<text_pair> out = std::move(got->reply);
    if (stage == login_stage::security) {
        if (auto ec = authenticate(got->authentication, out))
            return ec;
    } else if (!got->authentication.empty()) {
        return violation("CHAP key " + got->authentication.front().key + " outside the security stage");
    }

    if (r.transit && stage == login_stage::security) {
        if (chap && chap_progress != chap_step::done)
            return fail(errc::authentication_failed,
                        "authentication failed: the target ended the security stage before CHAP completed");
        if (!chap && !negotiation.negotiated_auth_method()) {
            // The target moved on without answering AuthMethod=None: None is the only outcome.
            const std::array<text_pair, 1> none{text_pair{"AuthMethod", "None"}};
            if (auto taken = negotiation.receive(negotiation_stage::security, none); !taken)
                return negotiation_error(taken.error());
        }
    }
    if (r.transit && r.next_stage == login_stage::full_feature)
        return finish(r);
    if (r.transit) {
        stage = r.next_stage; // operational
        auto offer = negotiation.offer(negotiation_stage::operational);
        if (!offer)
            return negotiation_error(offer.error());
        out.insert(out.end(), offer->begin(), offer->end());
        return send_text(out, true, login_stage::full_feature);
    }
    // The target stays in this stage: answer and say whether we are ready to move on.
    if (stage == login_stage::security) {
        const bool ready =
            !chap || chap_progress == chap_step::response_sent || chap_progress == chap_step::done;
        return send_text(out, ready, login_stage::operational);
    }
    return send_text(out, true, login_stage::full_feature);
}

result<login_step> login_machine::state::finish(const login_response_pdu& r) {
    if (config.tsih == 0 && r.tsih == 0)
        return violation("the final Login Response of a new session carries no TSIH");
    if (config.tsih != 0 && r.tsih != config.tsih)
        return violation("TSIH " + std::to_string(r.tsih) + " in the final response, ours is " +
                         std::to_string(config.tsih));
    if (config.tsih == 0 && r.exp_cmd_sn != config.cmd_sn)
        return violation("ExpCmdSN " + std::to_string(r.exp_cmd_sn) + " of a new session is not our CmdSN " +
                         std::to_string(config.cmd_sn));
    if (chap && chap_progress != chap_step::done)
        return fail(errc::authentication_failed,
                    "authentication failed: the target ended the login before CHAP completed");
    auto params = negotiation.finish();
    if (!params)
        return negotiation_error(params.error());
    stage = login_stage::full_feature;
    outcome = login_result{
        .parameters = std::move(*params),
        .isid = config.isid,
        .tsih = r.tsih,
        .cid = config.cid,
        .cmd_sn = config.cmd_sn,
        .exp_cmd_sn = r.exp_cmd_sn,
        .max_cmd_sn = r.max_cmd_sn,
        .exp_stat_sn = r.stat_sn + 1,
        .version_active = r.version_active,
    };
    return login_step{.request = std::nullopt, .done = true};
}

result<login_config> added_connection_config(const login_config& leading, const login_result& established,
                                             std::uint16_t cid) {
    const auto& n = established.parameters;
    if (cid == 0 || established.tsih == 0 || n.session.type != session_type::normal)
        return errc::bad_format;
    login_config c = leading;
    c.tsih = established.tsih;
    c.isid = established.isid;
    c.cid = cid;
    // Login Requests carry the session's next CmdSN; nothing has used it while the connections
    // log in, because the kernel gets the leading connection after them.
    c.cmd_sn = established.cmd_sn;
    c.exp_stat_sn = 0; // a new connection has seen no status yet
    c.session = n.session;
    c.preferences.header_digest = {n.connection.header_digest};
    c.preferences.data_digest = {n.connection.data_digest};
    c.preferences.max_recv_data_segment_length = n.connection.max_recv_data_segment_length;
    return c;
}

std::optional<std::string> connection_mismatch(const connection_params& leading,
                                               const connection_params& added) {
    auto digest = [](digest_type d) {
        return d == digest_type::crc32c ? std::string("CRC32C") : std::string("None");
    };
    auto differs = [](std::string_view key, const std::string& a, const std::string& b) {
        return std::string(key) + ": " + a + " on the leading connection, " + b + " here";
    };
    if (leading.header_digest != added.header_digest)
        return differs("HeaderDigest", digest(leading.header_digest), digest(added.header_digest));
    if (leading.data_digest != added.data_digest)
        return differs("DataDigest", digest(leading.data_digest), digest(added.data_digest));
    if (leading.max_recv_data_segment_length != added.max_recv_data_segment_length)
        return differs("our MaxRecvDataSegmentLength", std::to_string(leading.max_recv_data_segment_length),
                       std::to_string(added.max_recv_data_segment_length));
    if (leading.max_send_data_segment_length != added.max_send_data_segment_length)
        return differs("the target's MaxRecvDataSegmentLength",
                       std::to_string(leading.max_send_data_segment_length),
                       std::to_string(added.max_send_data_segment_length));
    return std::nullopt;
}

std::uint32_t connections_to_open(const login_result& established, std::uint32_t wanted,
                                  std::uint32_t limit) {
    const auto& s = established.parameters.session;
    if (s.type != session_type::normal)
        return 1;
    return std::max<std::uint32_t>(1, std::min({wanted, s.max_connections, limit}));
}

} // namespace iscsi
