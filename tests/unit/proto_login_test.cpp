// SPDX-License-Identifier: GPL-2.0-or-later
// The login state machine against a scripted target: every request the machine produces is
// serialised and parsed back as a target would read it, every response is built with the typed PDU
// builders and serialised before the machine sees it, so each exchange goes through the bytes.
//
// Golden CHAP responses: H(0x2a || "initiator-secret" || 0x00 0x01 ... 0x0f), computed with
//   python3 -c 'import hashlib,base64; d=hashlib.new(ALG, bytes([42]) + b"initiator-secret" +
//               bytes(range(16))).digest(); print(d.hex(), base64.b64encode(d).decode())'
// for ALG = md5, sha1, sha256, sha3_256. The mutual-CHAP target computes its answer with OpenSSL's
// EVP_Digest directly, not with the library under test.
#include "iscsi/login.hpp"

#include <algorithm>
#include <cstddef>
#include <gtest/gtest.h>
#include <map>
#include <openssl/evp.h>
#include <optional>
#include <string>
#include <vector>

namespace {

using iscsi::errc;
using iscsi::login_response_pdu;
using iscsi::login_stage;
using iscsi::text_pair;

const std::string initiator_name = "iqn.2024-01.org.example:host1";
const std::string target_name = "iqn.2003-01.org.example:vol1";
const std::string initiator_secret = "initiator-secret";
const std::string target_secret = "target-secret-22";
const iscsi::isid_bytes test_isid{0x80, 0x12, 0x34, 0x56, 0x00, 0x01};
constexpr std::uint32_t test_itt = 0x0a0b0c0d;
constexpr std::uint32_t initial_cmd_sn = 0x100;

iscsi::login_config base_config() {
    iscsi::login_config c;
    c.identity.initiator_name = initiator_name;
    c.identity.target_name = target_name;
    c.isid = test_isid;
    c.cid = 7;
    c.cmd_sn = initial_cmd_sn;
    c.exp_stat_sn = 0;
    c.itt = test_itt;
    return c;
}

iscsi::login_config chap_config(iscsi::chap_algorithm algorithm = iscsi::chap_algorithm::md5,
                                iscsi::binary_encoding encoding = iscsi::binary_encoding::hex) {
    auto c = base_config();
    c.auth = iscsi::auth_policy::chap;
    c.chap.name = "host1";
    c.chap.secret = initiator_secret;
    c.chap.algorithms = {algorithm};
    c.chap.encoding = encoding;
    return c;
}

iscsi::login_config mutual_config() {
    auto c = chap_config(iscsi::chap_algorithm::sha256);
    c.auth = iscsi::auth_policy::mutual_chap;
    c.chap.target_name = "vol1";
    c.chap.target_secret = target_secret;
    return c;
}

iscsi::login_machine make_machine(const iscsi::login_config& config) {
    auto m = iscsi::login_machine::create(config);
    EXPECT_TRUE(m) << m.error().message();
    return std::move(*m);
}

// A request as the target reads it off the wire.
struct request {
    iscsi::login_request_pdu pdu;
    std::vector<std::byte> bytes;
    std::vector<text_pair> keys; // when the text is complete in this request

    [[nodiscard]] std::optional<std::string> key(std::string_view name) const {
        auto it = std::ranges::find(keys, name, &text_pair::key);
        if (it == keys.end())
            return std::nullopt;
        return it->value;
    }
};

request on_wire(const iscsi::result<iscsi::login_step>& step) {
    request out;
    EXPECT_TRUE(step) << step.error().message();
    if (!step)
        return out;
    EXPECT_FALSE(step->done);
    EXPECT_TRUE(step->request);
    if (!step->request)
        return out;
    auto bytes = iscsi::serialize(*step->request, {});
    EXPECT_TRUE(bytes);
    out.bytes = *bytes;
    auto parsed = iscsi::parse_next_pdu(
        out.bytes, {.sender = iscsi::role::initiator, .max_data_segment_length = 8192, .digests = {}});
    EXPECT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->size, out.bytes.size());
    auto req = iscsi::login_request_pdu::from_pdu(parsed->value);
    EXPECT_TRUE(req) << req.error().message();
    out.pdu = *req;
    // The last piece of a continued text does not parse on its own; the test joins the pieces.
    if (auto keys = iscsi::parse_text(out.pdu.data); keys && !out.pdu.continue_text)
        out.keys = *keys;
    return out;
}

// A target PDU as the initiator reads it off the wire.
iscsi::pdu target_pdu_on_wire(const iscsi::pdu& p) {
    auto bytes = iscsi::serialize(p, {});
    EXPECT_TRUE(bytes);
    auto parsed = iscsi::parse_next_pdu(
        *bytes, {.sender = iscsi::role::target, .max_data_segment_length = 8192, .digests = {}});
    EXPECT_TRUE(parsed) << parsed.error().message();
    return parsed->value;
}

iscsi::pdu on_wire(const login_response_pdu& r) {
    return target_pdu_on_wire(r.to_pdu());
}

// The answers tgtd gives to our default operational offer, with some values replaced.
std::vector<text_pair> operational_answers(const request& req, const std::vector<text_pair>& replaced = {}) {
    const std::map<std::string, std::string, std::less<>> answers{
        {"HeaderDigest", "None"},      {"DataDigest", "None"},    {"MaxConnections", "1"},
        {"InitialR2T", "Yes"},         {"ImmediateData", "Yes"},  {"MaxBurstLength", "262144"},
        {"FirstBurstLength", "65536"}, {"DefaultTime2Wait", "2"}, {"DefaultTime2Retain", "0"},
        {"MaxOutstandingR2T", "1"},    {"DataPDUInOrder", "Yes"}, {"DataSequenceInOrder", "Yes"},
        {"ErrorRecoveryLevel", "0"},
    };
    std::vector<text_pair> out;
    for (const auto& k : req.keys)
        if (auto it = answers.find(k.key); it != answers.end())
            out.push_back({k.key, it->second});
    out.push_back({"MaxRecvDataSegmentLength", "65536"});
    for (auto& a : out)
        for (const auto& r : replaced)
            if (a.key == r.key)
                a.value = r.value;
    return out;
}

// A target that numbers its responses and answers in the request's stage.
struct scripted_target {
    std::uint32_t stat_sn = 0x5000;
    std::uint16_t tsih = 0x1234;

    login_response_pdu respond(const request& req, std::vector<text_pair> keys, bool transit,
                               login_stage next = login_stage::security) {
        login_response_pdu r;
        r.transit = transit;
        r.current_stage = req.pdu.current_stage;
        r.next_stage = transit ? next : login_stage::security;
        r.isid = req.pdu.isid;
        r.itt = req.pdu.itt;
        r.tsih = transit && next == login_stage::full_feature ? tsih : 0;
        r.stat_sn = stat_sn++;
        r.exp_cmd_sn = req.pdu.cmd_sn;
        r.max_cmd_sn = req.pdu.cmd_sn + 31;
        r.data = iscsi::encode_text(keys);
        return r;
    }

    login_response_pdu status(const request& req, iscsi::login_status status,
                              std::vector<text_pair> keys = {}) {
        auto r = respond(req, std::move(keys), false);
        r.status_class = static_cast<std::uint8_t>(status >> 8);
        r.status_detail = static_cast<std::uint8_t>(status);
        return r;
    }
};

std::vector<text_pair> first_security_answer() {
    return {{"AuthMethod", "None"}, {"TargetPortalGroupTag", "1"}, {"TargetAlias", "vol-one"}};
}

// Starts the login and lets the target pass the security stage: the operational request.
request to_operational(iscsi::login_machine& m, scripted_target& t) {
    const auto first = on_wire(m.start());
    return on_wire(
        m.receive(on_wire(t.respond(first, first_security_answer(), true, login_stage::operational))));
}

// Drives a login without authentication through the operational stage.
void expect_operational_to_full_feature(iscsi::login_machine& m, scripted_target& t, const request& op) {
    EXPECT_EQ(op.pdu.current_stage, login_stage::operational);
    EXPECT_TRUE(op.pdu.transit);
    EXPECT_EQ(op.pdu.next_stage, login_stage::full_feature);
    auto done = m.receive(on_wire(t.respond(op, operational_answers(op), true, login_stage::full_feature)));
    ASSERT_TRUE(done) << m.failure().message;
    EXPECT_TRUE(done->done);
    EXPECT_FALSE(done->request);
    ASSERT_TRUE(m.outcome());
}

// ---------------------------------------------------------------------------------------------
// ISID

TEST(LoginIsid, OuiFormatPutsTheOuiInAAndBAndTheQualifierInCAndD) {
    // open-iscsi's OUI 00:02:3D; T=00b.
    EXPECT_EQ(iscsi::make_oui_isid(0x00023d, 0x000001),
              (iscsi::isid_bytes{0x00, 0x02, 0x3d, 0x00, 0x00, 0x01}));
    EXPECT_EQ(iscsi::make_oui_isid(0x3fffff, 0xabcdef),
              (iscsi::isid_bytes{0x3f, 0xff, 0xff, 0xab, 0xcd, 0xef}));
    EXPECT_EQ(iscsi::format_of(iscsi::make_oui_isid(0x3fffff, 0)), iscsi::isid_format::oui);
}

TEST(LoginIsid, EnterpriseFormatHasTypeBits01) {
    const auto isid = iscsi::make_enterprise_isid(0x012345, 0xabcd);
    EXPECT_EQ(isid, (iscsi::isid_bytes{0x40, 0x01, 0x23, 0x45, 0xab, 0xcd}));
    EXPECT_EQ(iscsi::format_of(isid), iscsi::isid_format::enterprise_number);
}

TEST(LoginIsid, RandomFormatKeepsTheQualifierAndDrawsBAndC) {
    auto a = iscsi::make_random_isid(0x0102);
    auto b = iscsi::make_random_isid(0x0102);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ((*a)[0], 0x80);
    EXPECT_EQ(iscsi::format_of(*a), iscsi::isid_format::random);
    EXPECT_EQ((*a)[4], 0x01);
    EXPECT_EQ((*a)[5], 0x02);
    EXPECT_NE(*a, *b); // 24 random bits: equal once in 16 million runs
}

TEST(LoginIsid, RandomQualifierKeepsTheOui) {
    auto a = iscsi::make_random_qualifier_isid(0x00023d);
    auto b = iscsi::make_random_qualifier_isid(0x00023d);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ((*a)[0], 0x00);
    EXPECT_EQ((*a)[1], 0x02);
    EXPECT_EQ((*a)[2], 0x3d);
    EXPECT_NE(*a, *b);
}

TEST(LoginIsid, PrintsAsColonSeparatedHex) {
    EXPECT_EQ(iscsi::to_string(test_isid), "80:12:34:56:00:01");
}

// ---------------------------------------------------------------------------------------------
// Happy path

TEST(Login, WithoutAuthenticationReachesFullFeaturePhase) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    // Hand-assembled BHS start: opcode 0x03 with I (0x43), T=1 CSG=0 NSG=1 (0x81), versions 0 and 0,
    // no AHS, then the ISID, TSIH 0, ITT, CID 7, CmdSN 0x100, ExpStatSN 0.
    const std::vector<std::byte> expected_bhs_start = [] {
        std::vector<unsigned> b{0x43, 0x81, 0x00, 0x00, 0x00};
        std::vector<std::byte> out;
        for (auto v : b)
            out.push_back(static_cast<std::byte>(v));
        return out;
    }();
    ASSERT_GE(first.bytes.size(), 48U);
    EXPECT_TRUE(std::equal(expected_bhs_start.begin(), expected_bhs_start.end(), first.bytes.begin()));
    const std::vector<unsigned> expected_ids{0x80, 0x12, 0x34, 0x56, 0x00, 0x01, 0x00, 0x00,
                                             0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x07, 0x00, 0x00,
                                             0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
    for (std::size_t i = 0; i < expected_ids.size(); ++i)
        EXPECT_EQ(static_cast<unsigned>(first.bytes[8 + i]), expected_ids[i]) << "byte " << 8 + i;

    EXPECT_EQ(first.key("InitiatorName"), initiator_name);
    EXPECT_EQ(first.key("TargetName"), target_name);
    EXPECT_EQ(first.key("SessionType"), "Normal");
    EXPECT_EQ(first.key("AuthMethod"), "None");
    EXPECT_FALSE(first.key("HeaderDigest")); // operational keys wait for their stage

    const auto op = on_wire(
        m.receive(on_wire(t.respond(first, first_security_answer(), true, login_stage::operational))));
    EXPECT_EQ(op.pdu.exp_stat_sn, 0x5001U);
    EXPECT_EQ(op.pdu.cmd_sn, initial_cmd_sn);
    EXPECT_EQ(op.pdu.itt, test_itt);
    EXPECT_EQ(op.key("HeaderDigest"), "CRC32C,None");
    EXPECT_EQ(op.key("MaxRecvDataSegmentLength"), "262144");
    EXPECT_FALSE(op.key("InitiatorName")); // sent once
    expect_operational_to_full_feature(m, t, op);

    const auto& r = *m.outcome();
    EXPECT_EQ(r.tsih, 0x1234);
    EXPECT_EQ(r.isid, test_isid);
    EXPECT_EQ(r.cid, 7);
    EXPECT_EQ(r.cmd_sn, initial_cmd_sn);
    EXPECT_EQ(r.exp_cmd_sn, initial_cmd_sn);
    EXPECT_EQ(r.max_cmd_sn, initial_cmd_sn + 31);
    EXPECT_EQ(r.exp_stat_sn, 0x5002U);
    EXPECT_EQ(r.parameters.session.target_alias, "vol-one");
    EXPECT_EQ(r.parameters.session.target_portal_group_tag, 1);
    EXPECT_EQ(r.parameters.session.max_burst_length, 262144U);
    EXPECT_EQ(r.parameters.session.max_outstanding_r2t, 1U);
    EXPECT_EQ(r.parameters.connection.max_send_data_segment_length, 65536U);
    EXPECT_EQ(r.parameters.connection.max_recv_data_segment_length, 262144U);
    EXPECT_EQ(r.parameters.connection.header_digest, iscsi::digest_type::none);
    EXPECT_EQ(r.parameters.connection.auth, iscsi::auth_method::none);
    EXPECT_EQ(m.stage(), login_stage::full_feature);
}

TEST(Login, DigestsNegotiatedWhenTheTargetAcceptsThem) {
    auto c = base_config();
    c.preferences.data_digest = {iscsi::digest_type::crc32c};
    auto m = make_machine(c);
    scripted_target t;
    const auto op = to_operational(m, t);
    const auto answers = operational_answers(op, {{"HeaderDigest", "CRC32C"}, {"DataDigest", "CRC32C"}});
    ASSERT_TRUE(m.receive(on_wire(t.respond(op, answers, true, login_stage::full_feature))));
    ASSERT_TRUE(m.outcome());
    EXPECT_EQ(m.outcome()->parameters.connection.header_digest, iscsi::digest_type::crc32c);
    EXPECT_EQ(m.outcome()->parameters.connection.data_digest, iscsi::digest_type::crc32c);
}

TEST(Login, DiscoverySessionSendsNoTargetNameAndNeedsNoPortalGroupTag) {
    auto c = base_config();
    c.identity.type = iscsi::session_type::discovery;
    c.identity.target_name.clear();
    auto m = make_machine(c);
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(first.key("SessionType"), "Discovery");
    EXPECT_FALSE(first.key("TargetName"));
    const auto op = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "None"}}, true, login_stage::operational))));
    EXPECT_FALSE(op.key("MaxBurstLength")); // irrelevant in discovery sessions, so not offered
    ASSERT_TRUE(m.receive(on_wire(
        t.respond(op, {{"HeaderDigest", "None"}, {"DataDigest", "None"}}, true, login_stage::full_feature))));
    ASSERT_TRUE(m.outcome());
    EXPECT_EQ(m.outcome()->parameters.session.type, iscsi::session_type::discovery);
}

TEST(Login, AddedConnectionCarriesTheSessionTsih) {
    auto c = base_config();
    c.tsih = 0x4321;
    auto m = make_machine(c);
    scripted_target t;
    t.tsih = 0x4321;
    const auto first = on_wire(m.start());
    EXPECT_EQ(first.pdu.tsih, 0x4321);
    // No TargetPortalGroupTag needed: this is not the leading connection.
    const auto op = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "None"}}, true, login_stage::operational))));
    EXPECT_FALSE(op.key("MaxBurstLength")); // session keys belong to the leading connection
    ASSERT_TRUE(m.receive(on_wire(t.respond(op, operational_answers(op), true, login_stage::full_feature))));
    ASSERT_TRUE(m.outcome());
    EXPECT_EQ(m.outcome()->tsih, 0x4321);
}

// ---------------------------------------------------------------------------------------------
// Multiple connections per session

// A leading login that offered MaxConnections=`offered` and got `answer` from the target.
iscsi::login_result leading_login(std::uint32_t offered, const std::string& answer) {
    auto c = base_config();
    c.cid = 0;
    c.preferences.max_connections = offered;
    auto m = make_machine(c);
    scripted_target t;
    const auto op = to_operational(m, t);
    EXPECT_EQ(op.key("MaxConnections"), std::to_string(offered));
    const auto answers = operational_answers(op, {{"MaxConnections", answer}});
    auto done = m.receive(on_wire(t.respond(op, answers, true, login_stage::full_feature)));
    EXPECT_TRUE(done) << m.failure().message;
    EXPECT_TRUE(m.outcome());
    return m.outcome() ? *m.outcome() : iscsi::login_result{};
}

TEST(LoginMcs, TheTargetsMaxConnectionsBoundsTheConnections) {
    const auto two = leading_login(4, "2");
    EXPECT_EQ(two.parameters.session.max_connections, 2U);
    EXPECT_EQ(iscsi::connections_to_open(two, 4, 16), 2U);
    EXPECT_EQ(iscsi::connections_to_open(two, 4, 1), 1U); // the kernel's limit
    EXPECT_EQ(iscsi::connections_to_open(two, 1, 16), 1U);
    const auto one = leading_login(4, "1");
    EXPECT_EQ(iscsi::connections_to_open(one, 4, 16), 1U);
    // A target that answers more than we offered breaks the numerical-min rule.
    auto c = base_config();
    c.preferences.max_connections = 2;
    auto m = make_machine(c);
    scripted_target t;
    const auto op = to_operational(m, t);
    const auto answers = operational_answers(op, {{"MaxConnections", "8"}});
    EXPECT_FALSE(m.receive(on_wire(t.respond(op, answers, true, login_stage::full_feature))));
}

TEST(LoginMcs, AddedConnectionConfigJoinsTheSessionWithItsOwnCid) {
    const auto leading = leading_login(4, "2");
    auto added = iscsi::added_connection_config(base_config(), leading, 1);
    ASSERT_TRUE(added);
    EXPECT_EQ(added->tsih, 0x1234);
    EXPECT_EQ(added->isid, test_isid);
    EXPECT_EQ(added->cid, 1);
    EXPECT_EQ(added->cmd_sn, leading.cmd_sn);
    ASSERT_TRUE(added->session);
    EXPECT_EQ(added->session->max_connections, 2U);
    EXPECT_EQ(added->preferences.header_digest, std::vector{leading.parameters.connection.header_digest});
    EXPECT_EQ(added->preferences.max_recv_data_segment_length,
              leading.parameters.connection.max_recv_data_segment_length);
    EXPECT_EQ(iscsi::added_connection_config(base_config(), leading, 0).error(), errc::bad_format);
    EXPECT_EQ(iscsi::added_connection_config(base_config(), iscsi::login_result{}, 1).error(),
              errc::bad_format);
}

TEST(LoginMcs, AddedConnectionNegotiatesOnlyConnectionKeysAndKeepsTheSessionsParameters) {
    const auto leading = leading_login(4, "2");
    auto added = iscsi::added_connection_config(base_config(), leading, 1);
    ASSERT_TRUE(added);
    auto m = make_machine(*added);
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(first.pdu.tsih, 0x1234);
    EXPECT_EQ(first.pdu.cid, 1);
    EXPECT_EQ(first.pdu.isid, test_isid);
    EXPECT_EQ(first.pdu.cmd_sn, leading.cmd_sn);
    EXPECT_FALSE(first.key("SessionType")); // leading-only
    const auto op = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "None"}}, true, login_stage::operational))));
    EXPECT_EQ(op.key("HeaderDigest"), "None"); // pinned to the leading connection's
    EXPECT_EQ(op.key("MaxRecvDataSegmentLength"), "262144");
    for (const char* key : {"MaxConnections", "MaxBurstLength", "InitialR2T", "ErrorRecoveryLevel"})
        EXPECT_FALSE(op.key(key)) << key;
    ASSERT_TRUE(m.receive(on_wire(t.respond(op, operational_answers(op), true, login_stage::full_feature))))
        << m.failure().message;
    ASSERT_TRUE(m.outcome());
    const auto& r = *m.outcome();
    EXPECT_EQ(r.cid, 1);
    EXPECT_EQ(r.parameters.session.max_connections, 2U);
    EXPECT_EQ(r.parameters.session.target_portal_group_tag, 1);
    EXPECT_EQ(r.parameters.session.max_burst_length, leading.parameters.session.max_burst_length);
    EXPECT_FALSE(iscsi::connection_mismatch(leading.parameters.connection, r.parameters.connection));
}

TEST(LoginMcs, ConnectionMismatchNamesTheKey) {
    iscsi::connection_params a;
    auto b = a;
    EXPECT_FALSE(iscsi::connection_mismatch(a, b));
    b.header_digest = iscsi::digest_type::crc32c;
    auto why = iscsi::connection_mismatch(a, b);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("HeaderDigest"), std::string::npos) << *why;
    b = a;
    b.max_send_data_segment_length = 4096;
    why = iscsi::connection_mismatch(a, b);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("4096"), std::string::npos) << *why;
}

TEST(LoginMcs, SessionParametersWithoutTsihAreRefused) {
    auto c = base_config();
    c.session = iscsi::session_params{};
    EXPECT_EQ(iscsi::login_machine::create(c).error(), errc::bad_format);
}

TEST(Login, AddedConnectionRefusesAnotherTsih) {
    auto c = base_config();
    c.tsih = 0x4321;
    auto m = make_machine(c);
    scripted_target t; // answers 0x1234
    const auto first = on_wire(m.start());
    const auto op = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "None"}}, true, login_stage::operational))));
    EXPECT_EQ(
        m.receive(on_wire(t.respond(op, operational_answers(op), true, login_stage::full_feature))).error(),
        errc::protocol_violation);
}

// ---------------------------------------------------------------------------------------------
// Stage transitions the target chooses

TEST(Login, TargetMayStayInTheSecurityStageBeforeMovingOn) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    const auto again = on_wire(m.receive(on_wire(t.respond(first, first_security_answer(), false))));
    EXPECT_EQ(again.pdu.current_stage, login_stage::security);
    EXPECT_TRUE(again.pdu.transit); // we are still ready to leave
    EXPECT_TRUE(again.keys.empty());
    const auto op = on_wire(m.receive(on_wire(t.respond(again, {}, true, login_stage::operational))));
    expect_operational_to_full_feature(m, t, op);
}

TEST(Login, TargetThatSkipsTheAuthMethodAnswerGetsNone) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    const auto op = on_wire(m.receive(
        on_wire(t.respond(first, {{"TargetPortalGroupTag", "3"}}, true, login_stage::operational))));
    expect_operational_to_full_feature(m, t, op);
    EXPECT_EQ(m.outcome()->parameters.connection.auth, iscsi::auth_method::none);
}

TEST(Login, OperationalProposalsOfTheTargetAreAnswered) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto op = to_operational(m, t);
    auto answers = operational_answers(op);
    answers.push_back({"X-com.example.Feature", "On"});
    const auto reply = on_wire(m.receive(on_wire(t.respond(op, answers, false))));
    EXPECT_EQ(reply.pdu.current_stage, login_stage::operational);
    EXPECT_TRUE(reply.pdu.transit);
    EXPECT_EQ(reply.key("X-com.example.Feature"), "NotUnderstood");
    ASSERT_TRUE(m.receive(on_wire(t.respond(reply, {}, true, login_stage::full_feature))));
    EXPECT_TRUE(m.outcome());
}

// ---------------------------------------------------------------------------------------------
// CHAP

struct chap_case {
    iscsi::chap_algorithm algorithm;
    iscsi::binary_encoding encoding;
    const char* challenge;
    const char* expected_response;
};

class LoginChap : public ::testing::TestWithParam<chap_case> {};

constexpr const char* challenge_hex = "0x000102030405060708090a0b0c0d0e0f";
constexpr const char* challenge_base64 = "0bAAECAwQFBgcICQoLDA0ODw==";

TEST_P(LoginChap, AnswersTheChallengeAndLogsIn) {
    const auto& p = GetParam();
    auto m = make_machine(chap_config(p.algorithm, p.encoding));
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(first.key("AuthMethod"), "CHAP");
    EXPECT_FALSE(first.pdu.transit); // CHAP first
    const auto alg = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "CHAP"}, {"TargetPortalGroupTag", "1"}}, false))));
    EXPECT_EQ(alg.key("CHAP_A"), std::to_string(static_cast<int>(p.algorithm)));
    EXPECT_FALSE(alg.pdu.transit);
    const auto answer =
        on_wire(m.receive(on_wire(t.respond(alg,
                                            {{"CHAP_A", std::to_string(static_cast<int>(p.algorithm))},
                                             {"CHAP_I", "42"},
                                             {"CHAP_C", p.challenge}},
                                            false))));
    EXPECT_EQ(answer.key("CHAP_N"), "host1");
    EXPECT_EQ(answer.key("CHAP_R"), p.expected_response);
    EXPECT_FALSE(answer.key("CHAP_C")); // one-way
    EXPECT_TRUE(answer.pdu.transit);
    EXPECT_EQ(answer.pdu.next_stage, login_stage::operational);
    const auto op = on_wire(m.receive(on_wire(t.respond(answer, {}, true, login_stage::operational))));
    expect_operational_to_full_feature(m, t, op);
    EXPECT_EQ(m.outcome()->parameters.connection.auth, iscsi::auth_method::chap);
}

INSTANTIATE_TEST_SUITE_P(
    EveryAlgorithmAndEncoding, LoginChap,
    ::testing::Values(chap_case{iscsi::chap_algorithm::md5, iscsi::binary_encoding::hex, challenge_hex,
                                "0x146466a8b34b56526e0619fa9872f517"},
                      chap_case{iscsi::chap_algorithm::md5, iscsi::binary_encoding::base64, challenge_base64,
                                "0bFGRmqLNLVlJuBhn6mHL1Fw=="},
                      chap_case{iscsi::chap_algorithm::sha1, iscsi::binary_encoding::hex, challenge_hex,
                                "0x8656fe2c8d6474d022f9a59d40527d180e1e9776"},
                      chap_case{iscsi::chap_algorithm::sha1, iscsi::binary_encoding::base64, challenge_base64,
                                "0bhlb+LI1kdNAi+aWdQFJ9GA4el3Y="},
                      chap_case{iscsi::chap_algorithm::sha256, iscsi::binary_encoding::hex, challenge_hex,
                                "0xc44227375bb64ad56d55fa56b9b06a4a43eff4f90ddc9a38d36491a68a948df6"},
                      chap_case{iscsi::chap_algorithm::sha256, iscsi::binary_encoding::base64,
                                challenge_base64, "0bxEInN1u2StVtVfpWubBqSkPv9PkN3Jo402SRpoqUjfY="},
                      chap_case{iscsi::chap_algorithm::sha3_256, iscsi::binary_encoding::hex, challenge_hex,
                                "0x84795c0d3f3d36a02341873be13cced088fa7f19d1e7b5064405e564ad7ff2f0"},
                      chap_case{iscsi::chap_algorithm::sha3_256, iscsi::binary_encoding::base64,
                                challenge_base64, "0bhHlcDT89NqAjQYc74TzO0Ij6fxnR57UGRAXlZK1/8vA="}));

// The target's side of mutual CHAP, computed with OpenSSL directly.
std::string target_answer_sha256(std::string_view identifier, std::string_view challenge) {
    auto bytes = iscsi::decode_binary(challenge);
    EXPECT_TRUE(bytes);
    std::vector<unsigned char> input;
    input.push_back(static_cast<unsigned char>(std::stoi(std::string(identifier))));
    input.insert(input.end(), target_secret.begin(), target_secret.end());
    for (auto b : *bytes)
        input.push_back(static_cast<unsigned char>(b));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EXPECT_EQ(EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr), 1);
    std::string out = "0x";
    for (unsigned i = 0; i < length; ++i) {
        static constexpr char hex[] = "0123456789abcdef";
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

// Runs mutual CHAP up to the target's final security response; returns the initiator's answer.
request mutual_until_answer(iscsi::login_machine& m, scripted_target& t) {
    const auto first = on_wire(m.start());
    const auto alg = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "CHAP"}, {"TargetPortalGroupTag", "1"}}, false))));
    return on_wire(m.receive(
        on_wire(t.respond(alg, {{"CHAP_A", "7"}, {"CHAP_I", "42"}, {"CHAP_C", challenge_hex}}, false))));
}

TEST(LoginMutualChap, VerifiesTheTargetAndLogsIn) {
    auto m = make_machine(mutual_config());
    scripted_target t;
    const auto answer = mutual_until_answer(m, t);
    EXPECT_EQ(answer.key("CHAP_R"), "0xc44227375bb64ad56d55fa56b9b06a4a43eff4f90ddc9a38d36491a68a948df6");
    ASSERT_TRUE(answer.key("CHAP_I"));
    ASSERT_TRUE(answer.key("CHAP_C"));
    EXPECT_EQ(iscsi::decode_binary(*answer.key("CHAP_C")).value(),
              std::vector<std::byte>(m.chap_challenge().begin(), m.chap_challenge().end()));
    const auto op = on_wire(m.receive(on_wire(t.respond(
        answer,
        {{"CHAP_N", "vol1"}, {"CHAP_R", target_answer_sha256(*answer.key("CHAP_I"), *answer.key("CHAP_C"))}},
        true, login_stage::operational))));
    expect_operational_to_full_feature(m, t, op);
}

TEST(LoginMutualChap, WrongTargetResponseIsAnAuthenticationFailure) {
    auto m = make_machine(mutual_config());
    scripted_target t;
    const auto answer = mutual_until_answer(m, t);
    auto wrong = target_answer_sha256(*answer.key("CHAP_I"), *answer.key("CHAP_C"));
    wrong.back() = wrong.back() == '0' ? '1' : '0';
    auto step = m.receive(
        on_wire(t.respond(answer, {{"CHAP_N", "vol1"}, {"CHAP_R", wrong}}, true, login_stage::operational)));
    EXPECT_EQ(step.error(), errc::authentication_failed);
    EXPECT_EQ(m.failure().cause, iscsi::chap_errc::target_response_mismatch);
    EXPECT_EQ(m.failure().message.rfind("authentication failed", 0), 0U) << m.failure().message;
}

TEST(LoginMutualChap, TargetThatSkipsItsResponseIsAnAuthenticationFailure) {
    auto m = make_machine(mutual_config());
    scripted_target t;
    const auto answer = mutual_until_answer(m, t);
    EXPECT_EQ(m.receive(on_wire(t.respond(answer, {}, true, login_stage::operational))).error(),
              errc::authentication_failed);
}

TEST(LoginMutualChap, TargetReflectingOurChallengeIsRefused) {
    auto m = make_machine(mutual_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    const auto alg = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "CHAP"}, {"TargetPortalGroupTag", "1"}}, false))));
    const auto ours = iscsi::encode_binary(m.chap_challenge(), iscsi::binary_encoding::hex);
    auto step =
        m.receive(on_wire(t.respond(alg, {{"CHAP_A", "7"}, {"CHAP_I", "1"}, {"CHAP_C", ours}}, false)));
    EXPECT_EQ(step.error(), errc::authentication_failed);
    EXPECT_EQ(m.failure().cause, iscsi::chap_errc::challenge_reflected);
}

TEST(LoginChapErrors, TargetRefusingChapFailsTheLogin) {
    auto m = make_machine(chap_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "Reject"}, {"TargetPortalGroupTag", "1"}}, false)))
            .error(),
        errc::negotiation_failed);
    EXPECT_NE(m.failure().message.find("AuthMethod"), std::string::npos) << m.failure().message;
}

TEST(LoginChapErrors, TargetChoosingNoneWhenWeRequireChapIsAViolation) {
    auto m = make_machine(chap_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "None"}, {"TargetPortalGroupTag", "1"}}, false)))
            .error(),
        errc::protocol_violation);
}

TEST(LoginChapErrors, TargetSkippingChapCannotLeaveTheSecurityStage) {
    auto m = make_machine(chap_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    const auto alg = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "CHAP"}, {"TargetPortalGroupTag", "1"}}, false))));
    // Our request had T=0: the target may not move on.
    EXPECT_EQ(m.receive(on_wire(t.respond(alg, {}, true, login_stage::operational))).error(),
              errc::protocol_violation);
}

TEST(LoginChapErrors, ChapKeysBeforeOurAlgorithmsAreAViolation) {
    auto m = make_machine(chap_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(m.receive(on_wire(t.respond(first,
                                          {{"AuthMethod", "CHAP"},
                                           {"TargetPortalGroupTag", "1"},
                                           {"CHAP_A", "5"},
                                           {"CHAP_I", "1"},
                                           {"CHAP_C", challenge_hex}},
                                          false)))
                  .error(),
              errc::protocol_violation);
}

TEST(LoginChapErrors, ChapKeysWithoutChapAreAViolation) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    auto keys = first_security_answer();
    keys.push_back({"CHAP_A", "5"});
    EXPECT_EQ(m.receive(on_wire(t.respond(first, keys, false))).error(), errc::protocol_violation);
}

TEST(LoginChapErrors, TargetRefusingOurResponseIsAuthenticationFailed) {
    auto m = make_machine(chap_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    const auto alg = on_wire(
        m.receive(on_wire(t.respond(first, {{"AuthMethod", "CHAP"}, {"TargetPortalGroupTag", "1"}}, false))));
    const auto answer = on_wire(m.receive(
        on_wire(t.respond(alg, {{"CHAP_A", "5"}, {"CHAP_I", "42"}, {"CHAP_C", challenge_hex}}, false))));
    EXPECT_EQ(m.receive(on_wire(t.status(answer, ISCSI_LOGIN_STATUS_AUTH_FAILED))).error(),
              errc::authentication_failed);
    EXPECT_EQ(m.failure().message, "authentication failed");
    EXPECT_EQ(m.failure().status, ISCSI_LOGIN_STATUS_AUTH_FAILED);
    EXPECT_FALSE(m.failure().transient);
}

TEST(LoginChapErrors, HalfAMutualConfigurationIsRefused) {
    auto c = chap_config();
    c.chap.target_secret = target_secret; // without target_name
    EXPECT_FALSE(iscsi::login_machine::create(c));
    auto d = mutual_config();
    d.auth = iscsi::auth_policy::chap; // mutual settings but one-way policy
    EXPECT_FALSE(iscsi::login_machine::create(d));
}

// ---------------------------------------------------------------------------------------------
// Statuses and redirects

TEST(LoginRedirect, TemporaryRedirectCarriesTheNewAddress) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(m.receive(on_wire(t.status(first, ISCSI_LOGIN_STATUS_TARGET_MOVED_TEMP,
                                         {{"TargetAddress", "10.0.0.2:3260,1"}})))
                  .error(),
              errc::target_moved);
    const auto& f = m.failure();
    ASSERT_TRUE(f.redirect);
    EXPECT_EQ(f.redirect->address.host, "10.0.0.2");
    EXPECT_EQ(f.redirect->address.port, 3260);
    EXPECT_EQ(f.redirect->address.tpgt, 1);
    EXPECT_FALSE(f.redirect->permanent);
    EXPECT_EQ(f.message, "target moved temporarily to 10.0.0.2:3260");
    EXPECT_EQ(f.status, 0x0101);
}

TEST(LoginRedirect, PermanentRedirectToIpv6) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(m.receive(on_wire(t.status(first, ISCSI_LOGIN_STATUS_TARGET_MOVED_PERM,
                                         {{"TargetAddress", "[2001:DB8::1]:3261"}})))
                  .error(),
              errc::target_moved);
    ASSERT_TRUE(m.failure().redirect);
    EXPECT_TRUE(m.failure().redirect->permanent);
    EXPECT_EQ(m.failure().message, "target moved permanently to [2001:db8::1]:3261");
}

TEST(LoginRedirect, SkipsAnUnusableAddress) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(m.receive(on_wire(t.status(first, ISCSI_LOGIN_STATUS_TARGET_MOVED_TEMP,
                                         {{"TargetAddress", "[::1"}, {"TargetAddress", "san.example.com"}})))
                  .error(),
              errc::target_moved);
    ASSERT_TRUE(m.failure().redirect);
    EXPECT_EQ(m.failure().redirect->address.host, "san.example.com");
    EXPECT_EQ(m.failure().redirect->raw.size(), 2U);
}

TEST(LoginRedirect, WithoutTargetAddressIsAViolation) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(m.receive(on_wire(t.status(first, ISCSI_LOGIN_STATUS_TARGET_MOVED_TEMP))).error(),
              errc::protocol_violation);
    EXPECT_FALSE(m.failure().redirect);
}

struct status_case {
    iscsi::login_status status;
    errc code;
    const char* message;
    bool transient;
};

class LoginStatus : public ::testing::TestWithParam<status_case> {};

TEST_P(LoginStatus, BecomesATypedErrorWithAMessage) {
    const auto& p = GetParam();
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    EXPECT_EQ(m.receive(on_wire(t.status(first, p.status))).error(), p.code);
    EXPECT_EQ(m.failure().message, p.message);
    EXPECT_EQ(m.failure().transient, p.transient);
    if (p.code != errc::protocol_violation) {
        EXPECT_EQ(m.failure().status, p.status);
        EXPECT_EQ(m.failure().cause, iscsi::make_login_status_error(p.status));
        EXPECT_EQ(m.failure().cause.message(), p.message);
    }
    // Sticky: the machine stays failed.
    EXPECT_EQ(
        m.receive(on_wire(t.respond(first, first_security_answer(), true, login_stage::operational))).error(),
        p.code);
}

INSTANTIATE_TEST_SUITE_P(
    EveryStatus, LoginStatus,
    ::testing::Values(
        status_case{0x0200, errc::login_rejected,
                    "initiator error (the target could not understand the login)", false},
        status_case{0x0201, errc::authentication_failed, "authentication failed", false},
        status_case{0x0202, errc::login_rejected, "access to the target forbidden for this initiator", false},
        status_case{0x0203, errc::login_rejected, "target not found", false},
        status_case{0x0204, errc::login_rejected, "target removed", false},
        status_case{0x0205, errc::login_rejected, "unsupported iSCSI version", false},
        status_case{0x0206, errc::login_rejected, "too many connections", false},
        status_case{0x0207, errc::login_rejected, "missing parameter", false},
        status_case{0x0208, errc::login_rejected, "the target cannot include this connection in the session",
                    false},
        status_case{0x0209, errc::login_rejected, "session type not supported", false},
        status_case{0x020a, errc::login_rejected, "session does not exist", false},
        status_case{0x020b, errc::login_rejected, "invalid request during login", false},
        status_case{0x02ff, errc::login_rejected, "initiator error (status 0x02ff)", false},
        status_case{0x0300, errc::login_rejected, "target error", true},
        status_case{0x0301, errc::login_rejected, "service unavailable", true},
        status_case{0x0302, errc::login_rejected, "target out of resources", true},
        status_case{0x03ff, errc::login_rejected, "target error (status 0x03ff)", true},
        status_case{0x0005, errc::protocol_violation, "protocol violation: login status 0x0005", false},
        status_case{0x0401, errc::protocol_violation, "protocol violation: login status 0x0401", false}));

TEST(LoginStatusText, UnknownRedirectDetailNamesTheClass) {
    EXPECT_EQ(iscsi::describe_login_status(0x0103), "redirection (status 0x0103)");
    EXPECT_EQ(iscsi::make_login_status_error(0x0203).message(), "target not found");
}

// ---------------------------------------------------------------------------------------------
// Continued text (C bit)

TEST(LoginContinuation, LongTextIsSplitAndEachPieceAcknowledged) {
    auto c = base_config();
    c.max_send_data_segment_length = 512;
    c.identity.initiator_alias = std::string(255, 'a');
    c.preferences.node_architecture = std::string(255, 'n');
    auto m = make_machine(c);
    scripted_target t;
    const auto piece1 = on_wire(m.start());
    EXPECT_TRUE(piece1.pdu.continue_text);
    EXPECT_FALSE(piece1.pdu.transit);
    EXPECT_EQ(piece1.pdu.data.size(), 512U);
    const auto piece2 = on_wire(m.receive(on_wire(t.respond(piece1, {}, false))));
    EXPECT_FALSE(piece2.pdu.continue_text);
    EXPECT_TRUE(piece2.pdu.transit); // the last piece carries the T bit
    EXPECT_EQ(piece2.pdu.exp_stat_sn, 0x5001U);
    std::vector<std::byte> whole = piece1.pdu.data;
    whole.insert(whole.end(), piece2.pdu.data.begin(), piece2.pdu.data.end());
    auto keys = iscsi::parse_text(whole);
    ASSERT_TRUE(keys);
    EXPECT_EQ(keys->size(), 6U);
    EXPECT_EQ(keys->at(1), (text_pair{"InitiatorAlias", std::string(255, 'a')}));
    EXPECT_EQ(keys->back(), (text_pair{"AuthMethod", "None"}));
    const auto op = on_wire(
        m.receive(on_wire(t.respond(piece2, first_security_answer(), true, login_stage::operational))));
    expect_operational_to_full_feature(m, t, op);
}

TEST(LoginContinuation, AcknowledgementWithTextIsAViolation) {
    auto c = base_config();
    c.max_send_data_segment_length = 512;
    c.identity.initiator_alias = std::string(255, 'a');
    c.preferences.node_architecture = std::string(255, 'n');
    auto m = make_machine(c);
    scripted_target t;
    const auto piece1 = on_wire(m.start());
    EXPECT_EQ(m.receive(on_wire(t.respond(piece1, first_security_answer(), false))).error(),
              errc::protocol_violation);
}

TEST(LoginContinuation, ContinuedResponseIsJoinedAndAnsweredWithEmptyRequests) {
    auto m = make_machine(base_config());
    scripted_target t;
    const auto first = on_wire(m.start());
    const std::string alias(200, 'z');
    auto text = iscsi::encode_text(std::vector<text_pair>{
        {"AuthMethod", "None"}, {"TargetAlias", alias}, {"TargetPortalGroupTag", "2"}});
    const auto cut = text.begin() + 100; // inside the alias
    auto part1 = t.respond(first, {}, false);
    part1.continue_text = true;
    part1.data.assign(text.begin(), cut);
    const auto ack1 = on_wire(m.receive(on_wire(part1)));
    EXPECT_TRUE(ack1.pdu.data.empty());
    EXPECT_FALSE(ack1.pdu.transit);
    EXPECT_FALSE(ack1.pdu.continue_text);
    EXPECT_EQ(ack1.pdu.current_stage, login_stage::security);
    auto part2 = t.respond(ack1, {}, false);
    part2.continue_text = true;
    part2.data.assign(cut, cut + 50);
    const auto ack2 = on_wire(m.receive(on_wire(part2)));
    EXPECT_TRUE(ack2.pdu.data.empty());
    auto part3 = t.respond(ack2, {}, true, login_stage::operational);
    part3.data.assign(cut + 50, text.end());
    const auto op = on_wire(m.receive(on_wire(part3)));
    expect_operational_to_full_feature(m, t, op);
    EXPECT_EQ(m.outcome()->parameters.session.target_alias, alias);
    EXPECT_EQ(m.outcome()->parameters.session.target_portal_group_tag, 2);
}

TEST(LoginContinuation, EndlessContinuationIsBounded) {
    auto c = base_config();
    c.max_response_text = 1000;
    auto m = make_machine(c);
    scripted_target t;
    auto req = on_wire(m.start());
    iscsi::result<iscsi::login_step> step = errc::truncated;
    for (int i = 0; i < 20; ++i) {
        auto part = t.respond(req, {}, false);
        part.continue_text = true;
        part.data.assign(100, std::byte{'a'});
        step = m.receive(on_wire(part));
        if (!step)
            break;
        req = on_wire(step);
    }
    EXPECT_EQ(step.error(), errc::protocol_violation);
}

TEST(LoginContinuation, TargetThatNeverMovesOnIsBounded) {
    auto c = base_config();
    c.max_exchanges = 5;
    auto m = make_machine(c);
    scripted_target t;
    auto req = on_wire(m.start());
    auto step = m.receive(on_wire(t.respond(req, first_security_answer(), false)));
    for (int i = 0; i < 10 && step; ++i) {
        req = on_wire(step);
        step = m.receive(on_wire(t.respond(req, {}, false)));
    }
    EXPECT_EQ(step.error(), errc::protocol_violation);
}

// ---------------------------------------------------------------------------------------------
// Protocol violations

class LoginViolation : public ::testing::Test {
protected:
    iscsi::login_machine m = make_machine(base_config());
    scripted_target t;
    request first = on_wire(m.start());

    login_response_pdu good() {
        return t.respond(first, first_security_answer(), true, login_stage::operational);
    }

    void expect_violation(const login_response_pdu& r) {
        EXPECT_EQ(m.receive(on_wire(r)).error(), errc::protocol_violation);
        EXPECT_EQ(m.failure().message.rfind("protocol violation", 0), 0U) << m.failure().message;
    }
};

TEST_F(LoginViolation, WrongItt) {
    auto r = good();
    r.itt = test_itt + 1;
    expect_violation(r);
}

TEST_F(LoginViolation, WrongIsid) {
    auto r = good();
    r.isid[5] ^= 1;
    expect_violation(r);
}

TEST_F(LoginViolation, WrongOpcode) {
    iscsi::text_response_pdu text;
    text.itt = test_itt;
    EXPECT_EQ(m.receive(target_pdu_on_wire(text.to_pdu())).error(), errc::protocol_violation);
}

TEST_F(LoginViolation, VersionActiveWeDidNotOffer) {
    auto r = good();
    r.version_active = 1;
    expect_violation(r);
}

TEST_F(LoginViolation, ResponseInAnotherStage) {
    auto r = good();
    r.current_stage = login_stage::operational;
    r.next_stage = login_stage::full_feature;
    expect_violation(r);
}

TEST_F(LoginViolation, TransitBeyondTheStageWeAskedFor) {
    auto r = good();
    r.next_stage = login_stage::full_feature;
    expect_violation(r);
}

TEST_F(LoginViolation, MissingPortalGroupTag) {
    expect_violation(t.respond(first, {{"AuthMethod", "None"}}, true, login_stage::operational));
}

TEST_F(LoginViolation, MaxCmdSnBelowTheWindow) {
    auto r = good();
    r.max_cmd_sn = r.exp_cmd_sn - 2;
    expect_violation(r);
}

TEST_F(LoginViolation, StatSnThatJumps) {
    const auto op = on_wire(m.receive(on_wire(good())));
    auto r = t.respond(op, operational_answers(op), true, login_stage::full_feature);
    r.stat_sn += 5;
    expect_violation(r);
}

TEST_F(LoginViolation, StatSnThatGoesBack) {
    const auto op = on_wire(m.receive(on_wire(good())));
    auto r = t.respond(op, operational_answers(op), true, login_stage::full_feature);
    r.stat_sn -= 2;
    expect_violation(r);
}

TEST_F(LoginViolation, RepeatedStatSnIsAccepted) {
    const auto op = on_wire(m.receive(on_wire(good())));
    auto r = t.respond(op, operational_answers(op), true, login_stage::full_feature);
    r.stat_sn -= 1;
    ASSERT_TRUE(m.receive(on_wire(r))) << m.failure().message;
    EXPECT_EQ(m.outcome()->exp_stat_sn, r.stat_sn + 1);
}

TEST_F(LoginViolation, FinalResponseWithoutTsih) {
    const auto op = on_wire(m.receive(on_wire(good())));
    auto r = t.respond(op, operational_answers(op), true, login_stage::full_feature);
    r.tsih = 0;
    expect_violation(r);
}

TEST_F(LoginViolation, FinalResponseWithAnotherExpCmdSn) {
    const auto op = on_wire(m.receive(on_wire(good())));
    auto r = t.respond(op, operational_answers(op), true, login_stage::full_feature);
    r.exp_cmd_sn += 1;
    r.max_cmd_sn += 1;
    expect_violation(r);
}

TEST_F(LoginViolation, FinalResponseWithUnansweredOffers) {
    const auto op = on_wire(m.receive(on_wire(good())));
    expect_violation(t.respond(op, {}, true, login_stage::full_feature));
    EXPECT_NE(m.failure().message.find("never answered"), std::string::npos) << m.failure().message;
}

TEST_F(LoginViolation, MalformedText) {
    auto r = good();
    r.data = iscsi::encode_text(first_security_answer());
    r.data.push_back(std::byte{'x'}); // a pair without '='
    expect_violation(r);
}

TEST_F(LoginViolation, ResponseAfterCompletion) {
    const auto op = on_wire(m.receive(on_wire(good())));
    ASSERT_TRUE(m.receive(on_wire(t.respond(op, operational_answers(op), true, login_stage::full_feature))));
    EXPECT_EQ(m.receive(on_wire(t.respond(op, {}, false))).error(), errc::protocol_violation);
}

TEST(LoginStart, StartTwiceIsRefused) {
    auto m = make_machine(base_config());
    ASSERT_TRUE(m.start());
    EXPECT_FALSE(m.start());
}

TEST(LoginStart, InvalidIdentityFailsAtStart) {
    auto c = base_config();
    c.identity.target_name.clear(); // normal session without a target
    auto m = make_machine(c);
    EXPECT_EQ(m.start().error(), errc::bad_format);
    EXPECT_FALSE(m.failure().message.empty());
}

} // namespace
