// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/negotiation.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <set>
#include <variant>

namespace iscsi {
namespace {

// ---------------------------------------------------------------------------------------------
// The table

constexpr std::string_view digest_values[] = {"CRC32C", "None"};
constexpr std::string_view auth_values[] = {"KRB5", "SPKM1", "SPKM2", "SRP", "CHAP", "None"};
constexpr std::string_view session_type_values[] = {"Discovery", "Normal"};
constexpr std::string_view task_reporting_values[] = {"RFC3720", "ResponseFence", "FastAbort"};
constexpr std::uint64_t max_24bit = (1U << 24) - 1;

// The protocol level this implementation conforms to: RFC 7143 (RFC 7144's level 2 features,
// such as FastAbort task reporting, are not implemented).
constexpr std::uint64_t supported_protocol_level = 1;

using enum key_kind;
using enum key_scope;
using enum key_stage;
using enum key_sender;

constexpr key_definition table[] = {
    // Security stage (RFC 7143 section 12). CHAP_* values are checked by the CHAP exchange.
    {.name = "AuthMethod",
     .kind = list,
     .syntax = value_syntax::values,
     .values = auth_values,
     .rfc_default = "None",
     .scope = connection,
     .stage = security,
     .rfc_section = "12"},
    {.name = "CHAP_A", .kind = list, .scope = connection, .stage = security, .rfc_section = "12.1.3"},
    {.name = "CHAP_I", .scope = connection, .stage = security, .rfc_section = "12.1.3"},
    {.name = "CHAP_C",
     .scope = connection,
     .stage = security,
     .max_value_length = max_text_value_length,
     .rfc_section = "12.1.3"},
    {.name = "CHAP_N", .scope = connection, .stage = security, .rfc_section = "12.1.3"},
    {.name = "CHAP_R",
     .scope = connection,
     .stage = security,
     .max_value_length = max_text_value_length,
     .rfc_section = "12.1.3"},
    // Section 13.
    {.name = "HeaderDigest",
     .kind = list,
     .syntax = value_syntax::values,
     .values = digest_values,
     .rfc_default = "None",
     .scope = connection,
     .rfc_section = "13.1"},
    {.name = "DataDigest",
     .kind = list,
     .syntax = value_syntax::values,
     .values = digest_values,
     .rfc_default = "None",
     .scope = connection,
     .rfc_section = "13.1"},
    {.name = "MaxConnections",
     .kind = numerical_min,
     .syntax = value_syntax::number,
     .min = 1,
     .max = 65535,
     .rfc_default = "1",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.2"},
    {.name = "SendTargets", .stage = full_feature, .sender = initiator, .rfc_section = "13.3"},
    {.name = "TargetName",
     .stage = any_login,
     .sender = initiator,
     .max_value_length = max_iscsi_name_length,
     .rfc_section = "13.4"},
    {.name = "InitiatorName",
     .stage = any_login,
     .sender = initiator,
     .max_value_length = max_iscsi_name_length,
     .rfc_section = "13.5"},
    {.name = "TargetAlias", .stage = any_login, .sender = target, .rfc_section = "13.6"},
    {.name = "InitiatorAlias", .stage = any_login, .sender = initiator, .rfc_section = "13.7"},
    {.name = "TargetAddress", .stage = any_login, .sender = target, .rfc_section = "13.8"},
    {.name = "TargetPortalGroupTag",
     .syntax = value_syntax::number,
     .max = 65535,
     .stage = any_login,
     .sender = target,
     .rfc_section = "13.9"},
    {.name = "InitialR2T",
     .kind = boolean_or,
     .syntax = value_syntax::boolean,
     .rfc_default = "Yes",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.10"},
    {.name = "ImmediateData",
     .kind = boolean_and,
     .syntax = value_syntax::boolean,
     .rfc_default = "Yes",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.11"},
    {.name = "MaxRecvDataSegmentLength",
     .syntax = value_syntax::number,
     .min = 512,
     .max = max_24bit,
     .rfc_default = "8192",
     .scope = connection,
     .rfc_section = "13.12"},
    {.name = "MaxBurstLength",
     .kind = numerical_min,
     .syntax = value_syntax::number,
     .min = 512,
     .max = max_24bit,
     .rfc_default = "262144",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.13"},
    {.name = "FirstBurstLength",
     .kind = numerical_min,
     .syntax = value_syntax::number,
     .min = 512,
     .max = max_24bit,
     .rfc_default = "65536",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.14"},
    {.name = "DefaultTime2Wait",
     .kind = numerical_max,
     .syntax = value_syntax::number,
     .max = 3600,
     .rfc_default = "2",
     .leading_only = true,
     .rfc_section = "13.15"},
    {.name = "DefaultTime2Retain",
     .kind = numerical_min,
     .syntax = value_syntax::number,
     .max = 3600,
     .rfc_default = "20",
     .leading_only = true,
     .rfc_section = "13.16"},
    {.name = "MaxOutstandingR2T",
     .kind = numerical_min,
     .syntax = value_syntax::number,
     .min = 1,
     .max = 65535,
     .rfc_default = "1",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.17"},
    {.name = "DataPDUInOrder",
     .kind = boolean_or,
     .syntax = value_syntax::boolean,
     .rfc_default = "Yes",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.18"},
    {.name = "DataSequenceInOrder",
     .kind = boolean_or,
     .syntax = value_syntax::boolean,
     .rfc_default = "Yes",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .rfc_section = "13.19"},
    {.name = "ErrorRecoveryLevel",
     .kind = numerical_min,
     .syntax = value_syntax::number,
     .max = 2,
     .rfc_default = "0",
     .leading_only = true,
     .rfc_section = "13.20"},
    {.name = "SessionType",
     .syntax = value_syntax::values,
     .values = session_type_values,
     .rfc_default = "Normal",
     .leading_only = true,
     .stage = any_login,
     .sender = initiator,
     .rfc_section = "13.21"},
    {.name = "iSCSIProtocolLevel",
     .kind = numerical_min,
     .syntax = value_syntax::number,
     .max = 31,
     .rfc_default = "0",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .may_be_not_understood = true,
     .rfc_section = "13.24"},
    {.name = "OFMarker",
     .kind = boolean_and,
     .syntax = value_syntax::boolean,
     .rfc_default = "No",
     .scope = connection,
     .obsolete = true,
     .rfc_section = "13.25"},
    {.name = "IFMarker",
     .kind = boolean_and,
     .syntax = value_syntax::boolean,
     .rfc_default = "No",
     .scope = connection,
     .obsolete = true,
     .rfc_section = "13.25"},
    {.name = "OFMarkInt",
     .kind = numerical_min,
     .syntax = value_syntax::numeric_range,
     .min = 1,
     .max = 65535,
     .rfc_default = "2048",
     .scope = connection,
     .obsolete = true,
     .rfc_section = "13.25"},
    {.name = "IFMarkInt",
     .kind = numerical_min,
     .syntax = value_syntax::numeric_range,
     .min = 1,
     .max = 65535,
     .rfc_default = "2048",
     .scope = connection,
     .obsolete = true,
     .rfc_section = "13.25"},
    {.name = "X#NodeArchitecture",
     .rfc_default = "None",
     .leading_only = true,
     .stage = any_login,
     .may_be_not_understood = true,
     .rfc_section = "13.26"},
    {.name = "TaskReporting",
     .kind = list,
     .syntax = value_syntax::values,
     .values = task_reporting_values,
     .rfc_default = "RFC3720",
     .leading_only = true,
     .valid_in_discovery = false,
     .may_be_irrelevant = true,
     .may_be_not_understood = true,
     .rfc_section = "RFC 7144"},
};

// The session keys, in the order they are offered, bound to the preference and the result.
struct number_key {
    std::string_view name;
    std::uint32_t initiator_preferences::*preferred;
    std::uint32_t session_params::*negotiated;
};
constexpr number_key number_keys[] = {
    {"MaxConnections", &initiator_preferences::max_connections, &session_params::max_connections},
    {"MaxBurstLength", &initiator_preferences::max_burst_length, &session_params::max_burst_length},
    {"FirstBurstLength", &initiator_preferences::first_burst_length, &session_params::first_burst_length},
    {"DefaultTime2Wait", &initiator_preferences::default_time2wait, &session_params::default_time2wait},
    {"DefaultTime2Retain", &initiator_preferences::default_time2retain, &session_params::default_time2retain},
    {"MaxOutstandingR2T", &initiator_preferences::max_outstanding_r2t, &session_params::max_outstanding_r2t},
    {"ErrorRecoveryLevel", &initiator_preferences::error_recovery_level,
     &session_params::error_recovery_level},
};

struct boolean_key {
    std::string_view name;
    bool initiator_preferences::*preferred;
    bool session_params::*negotiated;
};
constexpr boolean_key boolean_keys[] = {
    {"InitialR2T", &initiator_preferences::initial_r2t, &session_params::initial_r2t},
    {"ImmediateData", &initiator_preferences::immediate_data, &session_params::immediate_data},
    {"DataPDUInOrder", &initiator_preferences::data_pdu_in_order, &session_params::data_pdu_in_order},
    {"DataSequenceInOrder", &initiator_preferences::data_sequence_in_order,
     &session_params::data_sequence_in_order},
};

const number_key* find_number_key(std::string_view name) {
    auto it = std::ranges::find(number_keys, name, &number_key::name);
    return it == std::end(number_keys) ? nullptr : &*it;
}

const boolean_key* find_boolean_key(std::string_view name) {
    auto it = std::ranges::find(boolean_keys, name, &boolean_key::name);
    return it == std::end(boolean_keys) ? nullptr : &*it;
}

// ---------------------------------------------------------------------------------------------
// Values

constexpr std::string_view reject = "Reject";
constexpr std::string_view irrelevant = "Irrelevant";
constexpr std::string_view not_understood = "NotUnderstood";

bool is_reserved_answer(std::string_view v) {
    return v == reject || v == irrelevant || v == not_understood;
}

std::vector<std::string_view> split_list(std::string_view value) {
    std::vector<std::string_view> items;
    for (;;) {
        auto comma = value.find(',');
        items.push_back(value.substr(0, comma));
        if (comma == std::string_view::npos)
            return items;
        value.remove_prefix(comma + 1);
    }
}

std::optional<bool> parse_boolean(std::string_view v) {
    if (v == "Yes")
        return true;
    if (v == "No")
        return false;
    return std::nullopt;
}

std::string_view boolean_text(bool b) {
    return b ? "Yes" : "No";
}

std::string_view digest_text(digest_type d) {
    return d == digest_type::crc32c ? "CRC32C" : "None";
}

std::string_view auth_text(auth_method a) {
    return a == auth_method::chap ? "CHAP" : "None";
}

template <class T, class F>
std::string join(const std::vector<T>& items, F text) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty())
            out += ',';
        out += text(item);
    }
    return out;
}

// The value's length against the key's limit: per element for lists, whole otherwise.
bool value_fits(const key_definition& def, std::string_view value) {
    if (def.syntax != value_syntax::values)
        return value.size() <= def.max_value_length;
    auto items = split_list(value);
    return std::ranges::all_of(items, [&](std::string_view v) { return v.size() <= def.max_value_length; });
}

// A number for `def`, or the reason it is not one.
std::variant<std::uint64_t, std::string> number_for(const key_definition& def, std::string_view value) {
    auto n = parse_numerical_value(value);
    if (!n)
        return std::string("not a decimal or hexadecimal number");
    if (*n < def.min || *n > def.max)
        return "outside the range " + std::to_string(def.min) + ".." + std::to_string(def.max);
    return *n;
}

bool has_duplicates(const auto& items) {
    for (std::size_t i = 0; i < items.size(); ++i)
        if (std::find(items.begin() + static_cast<std::ptrdiff_t>(i) + 1, items.end(), items[i]) !=
            items.end())
            return true;
    return false;
}

negotiation_failure config_failure(std::string_view key, std::string value, std::string reason) {
    return {make_error_code(errc::bad_format), std::string(key), std::move(value), std::move(reason)};
}

std::optional<negotiation_failure> check_identity(const session_identity& who) {
    auto check_name = [](std::string_view key,
                         const std::string& name) -> std::optional<negotiation_failure> {
        if (name.empty())
            return config_failure(key, name, "required");
        if (name.size() > max_iscsi_name_length || name.find('\0') != std::string::npos)
            return config_failure(key, name, "longer than 223 bytes or contains NUL");
        return std::nullopt;
    };
    if (auto f = check_name("InitiatorName", who.initiator_name))
        return f;
    if (who.type == session_type::normal)
        if (auto f = check_name("TargetName", who.target_name))
            return f;
    if (who.initiator_alias.size() > max_plain_value_length ||
        who.initiator_alias.find('\0') != std::string::npos)
        return config_failure("InitiatorAlias", who.initiator_alias, "longer than 255 bytes or contains NUL");
    return std::nullopt;
}

} // namespace

// ---------------------------------------------------------------------------------------------

std::span<const key_definition> key_definitions() noexcept {
    return table;
}

const key_definition* find_key_definition(std::string_view name) noexcept {
    auto it = std::ranges::find(table, name, &key_definition::name);
    return it == std::end(table) ? nullptr : &*it;
}

result<std::uint64_t> parse_numerical_value(std::string_view text) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    } else if (text.size() > 1 && text[0] == '0') {
        return errc::bad_format; // a decimal-constant has no leading zeros
    }
    auto valid_digit = [base](char c) {
        return (c >= '0' && c <= '9') || (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    };
    // from_chars alone would accept a sign and stop silently at the first bad character.
    if (text.empty() || !std::ranges::all_of(text, valid_digit))
        return errc::bad_format;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc{} || end != text.data() + text.size())
        return errc::bad_format;
    return value;
}

std::string negotiation_failure::message() const {
    if (key.empty())
        return reason;
    return key + "=" + value + ": " + reason;
}

std::optional<negotiation_failure> check_preferences(const initiator_preferences& prefs) {
    if (prefs.auth_methods.empty() || has_duplicates(prefs.auth_methods))
        return config_failure("AuthMethod", join(prefs.auth_methods, auth_text), "empty or repeated");
    if (prefs.header_digest.empty() || has_duplicates(prefs.header_digest))
        return config_failure("HeaderDigest", join(prefs.header_digest, digest_text), "empty or repeated");
    if (prefs.data_digest.empty() || has_duplicates(prefs.data_digest))
        return config_failure("DataDigest", join(prefs.data_digest, digest_text), "empty or repeated");
    auto in_range = [](std::string_view key, std::uint64_t v) -> std::optional<negotiation_failure> {
        const auto& def = *find_key_definition(key);
        if (v < def.min || v > def.max)
            return config_failure(key, std::to_string(v),
                                  "outside the range " + std::to_string(def.min) + ".." +
                                      std::to_string(def.max));
        return std::nullopt;
    };
    if (auto f = in_range("MaxRecvDataSegmentLength", prefs.max_recv_data_segment_length))
        return f;
    for (const auto& k : number_keys)
        if (auto f = in_range(k.name, prefs.*k.preferred))
            return f;
    if (prefs.first_burst_length > prefs.max_burst_length)
        return config_failure("FirstBurstLength", std::to_string(prefs.first_burst_length),
                              "larger than MaxBurstLength " + std::to_string(prefs.max_burst_length));
    if (prefs.node_architecture.size() > max_plain_value_length ||
        prefs.node_architecture.find('\0') != std::string::npos)
        return config_failure("X#NodeArchitecture", prefs.node_architecture,
                              "longer than 255 bytes or contains NUL");
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// negotiator

negotiator::negotiator(initiator_preferences prefs, session_identity identity)
    : prefs_(std::move(prefs)), identity_(std::move(identity)), leading_(true) {
    params_.session.type = identity_.type;
}

negotiator::negotiator(initiator_preferences prefs, session_identity identity, session_params existing)
    : prefs_(std::move(prefs)), identity_(std::move(identity)), leading_(false) {
    params_.session = std::move(existing);
}

std::error_code negotiator::fail(errc code, std::string_view key, std::string_view value,
                                 std::string reason) {
    failure_ = {make_error_code(code), std::string(key), std::string(value), std::move(reason)};
    return failure_.code;
}

bool negotiator::offered(std::string_view key) const {
    return sent_.contains(key) || received_.contains(key);
}

void negotiator::add_offer(std::vector<text_pair>& out, std::string_view key, std::string value,
                           bool answer_required) {
    if (offered(key))
        return;
    out.push_back({std::string(key), value});
    sent_.emplace(key, sent_key{.value = std::move(value), .answer_required = answer_required});
}

result<std::vector<text_pair>> negotiator::offer(negotiation_stage stage) {
    if (failure_.code)
        return failure_.code;
    if (!checked_) {
        auto problem = check_preferences(prefs_);
        if (!problem)
            problem = check_identity(identity_);
        if (problem) {
            failure_ = std::move(*problem);
            return failure_.code;
        }
        checked_ = true;
    }
    const bool discovery = identity_.type == session_type::discovery;
    std::vector<text_pair> out;
    // RFC 7143 section 6.3.1: the names go in the first Login Request, whatever its stage.
    if (!offered("InitiatorName")) {
        add_offer(out, "InitiatorName", identity_.initiator_name, false);
        if (!identity_.initiator_alias.empty())
            add_offer(out, "InitiatorAlias", identity_.initiator_alias, false);
        if (!discovery)
            add_offer(out, "TargetName", identity_.target_name, false);
        if (leading_) {
            add_offer(out, "SessionType", discovery ? "Discovery" : "Normal", false);
            if (!prefs_.node_architecture.empty())
                add_offer(out, "X#NodeArchitecture", prefs_.node_architecture, false);
        }
    }
    if (stage == negotiation_stage::security) {
        add_offer(out, "AuthMethod", join(prefs_.auth_methods, auth_text), true);
        return out;
    }
    add_offer(out, "HeaderDigest", join(prefs_.header_digest, digest_text), true);
    add_offer(out, "DataDigest", join(prefs_.data_digest, digest_text), true);
    if (!offered("MaxRecvDataSegmentLength")) {
        add_offer(out, "MaxRecvDataSegmentLength", std::to_string(prefs_.max_recv_data_segment_length),
                  false);
        params_.connection.max_recv_data_segment_length = prefs_.max_recv_data_segment_length;
    }
    if (!leading_ || discovery)
        return out;
    for (std::string_view key :
         {"MaxConnections", "InitialR2T", "ImmediateData", "MaxBurstLength", "FirstBurstLength",
          "DefaultTime2Wait", "DefaultTime2Retain", "MaxOutstandingR2T", "DataPDUInOrder",
          "DataSequenceInOrder", "ErrorRecoveryLevel"}) {
        if (offered(key))
            continue;
        if (const auto* b = find_boolean_key(key)) {
            const bool ours = prefs_.*b->preferred;
            // RFC 7143 section 6.2.2: "No" offered to an AND key, or "Yes" offered to an OR key,
            // decides the outcome alone; the answer is optional.
            const bool decided = (find_key_definition(key)->kind == boolean_and) != ours;
            add_offer(out, key, std::string(boolean_text(ours)), !decided);
            if (decided)
                params_.session.*b->negotiated = ours;
        } else {
            add_offer(out, key, std::to_string(preferred_number(key)), true);
        }
    }
    if (prefs_.offer_protocol_level)
        add_offer(out, "iSCSIProtocolLevel", std::to_string(supported_protocol_level), true);
    return out;
}

result<received_keys> negotiator::receive(negotiation_stage stage, std::span<const text_pair> target_pairs) {
    if (failure_.code)
        return failure_.code;
    received_keys out;
    std::set<std::string_view> this_response;
    for (const auto& pair : target_pairs) {
        if (!this_response.insert(pair.key).second && pair.key != "TargetAddress")
            return fail(errc::protocol_violation, pair.key, pair.value, "key sent twice in one response");
        const auto* def = find_key_definition(pair.key);
        if (def == nullptr) {
            // Unknown keys, X- private and X# public extensions (RFC 7143 sections 6.2, 13.22, 13.23).
            out.reply.push_back({pair.key, std::string(not_understood)});
            continue;
        }
        if (auto ec = check_received(stage, *def, pair))
            return ec;
        received_.insert(pair.key);
        if (def->name.starts_with("CHAP_")) {
            out.authentication.push_back(pair);
            continue;
        }
        auto sent = sent_.find(pair.key);
        std::error_code ec;
        if (def->kind == declarative)
            ec = take_declaration(*def, pair);
        else if (sent != sent_.end())
            ec = take_answer(*def, pair, sent->second);
        else
            ec = answer_proposal(*def, pair, out.reply);
        if (ec)
            return ec;
    }
    return out;
}

std::error_code negotiator::check_received(negotiation_stage stage, const key_definition& def,
                                           const text_pair& pair) {
    auto violation = [&](std::string reason) {
        return fail(errc::protocol_violation, pair.key, pair.value, std::move(reason));
    };
    if (def.sender == initiator)
        return violation("only the initiator may send this key");
    if (def.stage == security && stage != negotiation_stage::security)
        return violation("security key outside the security stage");
    if (def.stage == operational && stage == negotiation_stage::security)
        return violation("operational key in the security stage");
    if (def.leading_only && !leading_)
        return violation("session key on a connection that is not the leading one");
    if (received_.contains(pair.key) && pair.key != "TargetAddress")
        return violation("key sent again: it may be negotiated or declared only once");
    if (!value_fits(def, pair.value))
        return violation("value longer than " + std::to_string(def.max_value_length) + " bytes");
    return {};
}

std::error_code negotiator::take_answer(const key_definition& def, const text_pair& pair, sent_key& sent) {
    auto violation = [&](std::string reason) {
        return fail(errc::protocol_violation, pair.key, pair.value, std::move(reason));
    };
    const std::string_view value = pair.value;
    sent.answered = true;
    sent.answer = pair.value;
    if (is_reserved_answer(value)) {
        if (value == irrelevant && !def.may_be_irrelevant)
            return violation("Irrelevant is not a legal answer for this key");
        if (value == not_understood && !def.may_be_not_understood)
            return violation("every RFC 3720 key must be understood");
        // RFC 7143 section 6.2: the key keeps its default; we decide whether we can live with it.
        const auto offer = split_list(sent.value);
        if (def.kind == list && std::ranges::find(offer, def.rfc_default) == offer.end())
            return fail(errc::negotiation_failed, pair.key, pair.value,
                        "the default " + std::string(def.rfc_default) + " is not among our offer " +
                            sent.value);
        apply(def, def.rfc_default);
        return {};
    }
    switch (def.kind) {
    case list: {
        auto offer = split_list(sent.value);
        if (std::ranges::find(offer, value) == offer.end())
            return violation("not one of the offered values (" + sent.value + ")");
        break;
    }
    case numerical_min:
    case numerical_max: {
        auto n = number_for(def, value);
        if (auto* why = std::get_if<std::string>(&n))
            return violation(*why);
        const auto answer = std::get<std::uint64_t>(n);
        const auto ours = *parse_numerical_value(sent.value);
        if (def.kind == numerical_min && answer > ours)
            return violation("larger than our offer " + sent.value + " (the outcome is the minimum)");
        if (def.kind == numerical_max && answer < ours)
            return violation("smaller than our offer " + sent.value + " (the outcome is the maximum)");
        break;
    }
    case boolean_and:
    case boolean_or: {
        auto answer = parse_boolean(value);
        if (!answer)
            return violation("neither Yes nor No");
        const bool ours = *parse_boolean(sent.value);
        if (def.kind == boolean_and && !ours && *answer)
            return violation("Yes answered to No (the outcome is the AND of both)");
        if (def.kind == boolean_or && ours && !*answer)
            return violation("No answered to Yes (the outcome is the OR of both)");
        break;
    }
    case declarative:
        break; // routed to take_declaration
    }
    apply(def, value);
    return {};
}

std::error_code negotiator::take_declaration(const key_definition& def, const text_pair& pair) {
    auto violation = [&](std::string reason) {
        return fail(errc::protocol_violation, pair.key, pair.value, std::move(reason));
    };
    // A declarative extension we sent to a peer that does not know it.
    if (pair.value == not_understood && def.may_be_not_understood && sent_.contains(pair.key))
        return {};
    if (is_reserved_answer(pair.value))
        return violation("reserved constant used as a declared value");
    if (def.syntax == value_syntax::number) {
        auto n = number_for(def, pair.value);
        if (auto* why = std::get_if<std::string>(&n))
            return violation(*why);
        if (pair.key == "MaxRecvDataSegmentLength")
            params_.connection.max_send_data_segment_length = static_cast<std::uint32_t>(std::get<0>(n));
        else
            params_.session.target_portal_group_tag = static_cast<std::uint16_t>(std::get<0>(n));
        return {};
    }
    if (pair.value.empty())
        return violation("empty value");
    if (pair.key == "TargetAlias")
        params_.session.target_alias = pair.value;
    else if (pair.key == "TargetAddress")
        params_.session.target_addresses.push_back(pair.value);
    else
        params_.session.target_node_architecture = pair.value;
    return {};
}

std::error_code negotiator::answer_proposal(const key_definition& def, const text_pair& pair,
                                            std::vector<text_pair>& reply) {
    if (is_reserved_answer(pair.value))
        return fail(errc::protocol_violation, pair.key, pair.value,
                    "reserved constant used as a proposed value");
    auto answer = [&](std::string_view v) {
        reply.push_back({pair.key, std::string(v)});
    };
    if (identity_.type == session_type::discovery && !def.valid_in_discovery) {
        answer(irrelevant);
        return {};
    }
    // RFC 7143 section 13.25: markers are gone; Reject (never NotUnderstood) whatever is offered.
    if (def.obsolete) {
        answer(reject);
        return {};
    }
    switch (def.kind) {
    case list: {
        auto acceptable = acceptable_choices(pair.key);
        auto proposal = split_list(pair.value);
        auto choice = std::ranges::find_if(proposal, [&](std::string_view v) {
            return std::ranges::find(acceptable, v) != acceptable.end();
        });
        if (choice == proposal.end()) {
            answer(reject);
            return {};
        }
        apply(def, *choice);
        answer(*choice);
        return {};
    }
    case numerical_min:
    case numerical_max: {
        auto n = number_for(def, pair.value);
        if (std::holds_alternative<std::string>(n)) {
            answer(reject); // RFC 7143 section 6.2: an unacceptable proposal is answered Reject
            return {};
        }
        const auto theirs = std::get<std::uint64_t>(n);
        const auto ours = preferred_number(pair.key);
        const auto outcome = def.kind == numerical_min ? std::min(theirs, ours) : std::max(theirs, ours);
        const auto text = std::to_string(outcome);
        apply(def, text);
        answer(text);
        return {};
    }
    case boolean_and:
    case boolean_or: {
        auto theirs = parse_boolean(pair.value);
        if (!theirs) {
            answer(reject);
            return {};
        }
        const bool ours = preferred_boolean(pair.key);
        const bool outcome = def.kind == boolean_and ? (*theirs && ours) : (*theirs || ours);
        apply(def, boolean_text(outcome));
        answer(boolean_text(outcome));
        return {};
    }
    case declarative:
        break; // routed to take_declaration
    }
    return {};
}

void negotiator::apply(const key_definition& def, std::string_view value) {
    if (const auto* n = find_number_key(def.name)) {
        params_.session.*n->negotiated = static_cast<std::uint32_t>(*parse_numerical_value(value));
    } else if (const auto* b = find_boolean_key(def.name)) {
        params_.session.*b->negotiated = *parse_boolean(value);
    } else if (def.name == "HeaderDigest") {
        params_.connection.header_digest = value == "CRC32C" ? digest_type::crc32c : digest_type::none;
    } else if (def.name == "DataDigest") {
        params_.connection.data_digest = value == "CRC32C" ? digest_type::crc32c : digest_type::none;
    } else if (def.name == "AuthMethod") {
        auth_ = value == "CHAP" ? auth_method::chap : auth_method::none;
        params_.connection.auth = *auth_;
    } else if (def.name == "iSCSIProtocolLevel") {
        params_.session.iscsi_protocol_level = static_cast<std::uint32_t>(*parse_numerical_value(value));
    }
    // TaskReporting: we only ever accept RFC3720, the default; nothing to record.
}

std::vector<std::string_view> negotiator::acceptable_choices(std::string_view key) const {
    std::vector<std::string_view> out;
    if (key == "HeaderDigest")
        std::ranges::transform(prefs_.header_digest, std::back_inserter(out), digest_text);
    else if (key == "DataDigest")
        std::ranges::transform(prefs_.data_digest, std::back_inserter(out), digest_text);
    else if (key == "AuthMethod")
        std::ranges::transform(prefs_.auth_methods, std::back_inserter(out), auth_text);
    else if (key == "TaskReporting")
        out.push_back("RFC3720");
    return out;
}

std::uint64_t negotiator::preferred_number(std::string_view key) const {
    if (const auto* n = find_number_key(key))
        return prefs_.*n->preferred;
    return supported_protocol_level; // iSCSIProtocolLevel, the only other numerical key
}

bool negotiator::preferred_boolean(std::string_view key) const {
    return prefs_.*find_boolean_key(key)->preferred;
}

bool negotiator::answers_pending() const {
    return std::ranges::any_of(
        sent_, [](const auto& kv) { return kv.second.answer_required && !kv.second.answered; });
}

std::optional<auth_method> negotiator::negotiated_auth_method() const {
    return auth_;
}

result<negotiated_parameters> negotiator::finish() {
    if (failure_.code)
        return failure_.code;
    for (const auto& [key, sent] : sent_)
        if (sent.answer_required && !sent.answered)
            return fail(errc::protocol_violation, key, sent.value, "the target never answered this offer");
    auto& s = params_.session;
    if (leading_ && s.type == session_type::normal && s.first_burst_length > s.max_burst_length) {
        // A FirstBurstLength left at its default (Rejected or Irrelevant) yields to MaxBurstLength;
        // one the target chose must respect it (RFC 7143 section 13.14).
        auto fbl = sent_.find("FirstBurstLength");
        if (fbl != sent_.end() && !is_reserved_answer(fbl->second.answer))
            return fail(errc::protocol_violation, "FirstBurstLength", std::to_string(s.first_burst_length),
                        "larger than the negotiated MaxBurstLength " + std::to_string(s.max_burst_length));
        s.first_burst_length = s.max_burst_length;
    }
    return params_;
}

} // namespace iscsi
