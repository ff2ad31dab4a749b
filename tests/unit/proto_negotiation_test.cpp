// SPDX-License-Identifier: GPL-2.0-or-later
// Key negotiation: the key table against RFC 7143 section 13, number syntax (section 6.1), the
// initiator's offers, every answer rule of section 6.2 and every failure, and whole exchanges as
// LIO and tgtd answer them. Expected values come from the RFC text, not from the code under test.
#include "iscsi/negotiation.hpp"

#include <algorithm>
#include <functional>
#include <gtest/gtest.h>

namespace iscsi {
namespace {

using pairs = std::vector<text_pair>;
constexpr auto security = negotiation_stage::security;
constexpr auto operational = negotiation_stage::operational;

session_identity normal_identity() {
    return {.initiator_name = "iqn.2026-11.org.example:host1",
            .initiator_alias = "",
            .target_name = "iqn.2003-01.org.linux-iscsi.san:vol1",
            .type = session_type::normal};
}

session_identity discovery_identity() {
    return {.initiator_name = "iqn.2026-11.org.example:host1",
            .initiator_alias = "",
            .target_name = "",
            .type = session_type::discovery};
}

// LIO's answers to our default operational offer (targetcli defaults): legal for every key.
pairs lio_answers() {
    return {{"HeaderDigest", "None"},      {"DataDigest", "None"},    {"MaxConnections", "1"},
            {"InitialR2T", "Yes"},         {"ImmediateData", "Yes"},  {"MaxBurstLength", "262144"},
            {"FirstBurstLength", "65536"}, {"DefaultTime2Wait", "2"}, {"DefaultTime2Retain", "0"},
            {"MaxOutstandingR2T", "1"},    {"DataPDUInOrder", "Yes"}, {"DataSequenceInOrder", "Yes"},
            {"ErrorRecoveryLevel", "0"}};
}

// lio_answers() with `key` answered `value` instead.
pairs lio_answers_with(std::string_view key, std::string_view value) {
    auto answers = lio_answers();
    for (auto& a : answers)
        if (a.key == key)
            a.value = value;
    return answers;
}

// A negotiator that has made its security and operational offers, the security stage done.
negotiator offered(initiator_preferences prefs = {}, session_identity who = normal_identity()) {
    negotiator n(std::move(prefs), std::move(who));
    auto ours = n.offer(security);
    EXPECT_TRUE(ours);
    // The target picks the first AuthMethod we offered.
    const auto& auth = ours->back().value;
    EXPECT_TRUE(n.receive(security, pairs{{"AuthMethod", auth.substr(0, auth.find(','))}}));
    EXPECT_TRUE(n.offer(operational));
    return n;
}

// ---------------------------------------------------------------------------------------------
// The table, against RFC 7143 section 13 and RFC 7144

struct table_row {
    std::string_view name;
    key_kind kind;
    std::string_view rfc_default;
    std::uint64_t min, max;
    key_scope scope;
    bool leading_only;
    key_stage stage;
    bool valid_in_discovery;
};

class KeyTable : public ::testing::TestWithParam<table_row> {};

TEST_P(KeyTable, MatchesTheRfc) {
    const auto& want = GetParam();
    const auto* def = find_key_definition(want.name);
    ASSERT_NE(def, nullptr) << want.name;
    EXPECT_EQ(def->kind, want.kind);
    EXPECT_EQ(def->rfc_default, want.rfc_default);
    EXPECT_EQ(def->scope, want.scope);
    EXPECT_EQ(def->leading_only, want.leading_only);
    EXPECT_EQ(def->stage, want.stage);
    EXPECT_EQ(def->valid_in_discovery, want.valid_in_discovery);
    if (def->syntax == value_syntax::number) {
        EXPECT_EQ(def->min, want.min);
        EXPECT_EQ(def->max, want.max);
    }
}

using enum key_kind;
using enum key_scope;
using ks = key_stage;
constexpr std::uint64_t m24 = 16777215;

INSTANTIATE_TEST_SUITE_P(
    Rfc7143, KeyTable,
    ::testing::Values(
        table_row{"HeaderDigest", list, "None", 0, 0, connection, false, ks::operational, true},
        table_row{"DataDigest", list, "None", 0, 0, connection, false, ks::operational, true},
        table_row{"MaxConnections", numerical_min, "1", 1, 65535, session, true, ks::operational, false},
        table_row{"SendTargets", declarative, "", 0, 0, session, false, ks::full_feature, true},
        table_row{"TargetName", declarative, "", 0, 0, session, false, ks::any_login, true},
        table_row{"InitiatorName", declarative, "", 0, 0, session, false, ks::any_login, true},
        table_row{"TargetAlias", declarative, "", 0, 0, session, false, ks::any_login, true},
        table_row{"InitiatorAlias", declarative, "", 0, 0, session, false, ks::any_login, true},
        table_row{"TargetAddress", declarative, "", 0, 0, session, false, ks::any_login, true},
        table_row{"TargetPortalGroupTag", declarative, "", 0, 65535, session, false, ks::any_login, true},
        table_row{"InitialR2T", boolean_or, "Yes", 0, 0, session, true, ks::operational, false},
        table_row{"ImmediateData", boolean_and, "Yes", 0, 0, session, true, ks::operational, false},
        table_row{"MaxRecvDataSegmentLength", declarative, "8192", 512, m24, connection, false,
                  ks::operational, true},
        table_row{"MaxBurstLength", numerical_min, "262144", 512, m24, session, true, ks::operational, false},
        table_row{"FirstBurstLength", numerical_min, "65536", 512, m24, session, true, ks::operational,
                  false},
        table_row{"DefaultTime2Wait", numerical_max, "2", 0, 3600, session, true, ks::operational, true},
        table_row{"DefaultTime2Retain", numerical_min, "20", 0, 3600, session, true, ks::operational, true},
        table_row{"MaxOutstandingR2T", numerical_min, "1", 1, 65535, session, true, ks::operational, false},
        table_row{"DataPDUInOrder", boolean_or, "Yes", 0, 0, session, true, ks::operational, false},
        table_row{"DataSequenceInOrder", boolean_or, "Yes", 0, 0, session, true, ks::operational, false},
        table_row{"ErrorRecoveryLevel", numerical_min, "0", 0, 2, session, true, ks::operational, true},
        table_row{"SessionType", declarative, "Normal", 0, 0, session, true, ks::any_login, true},
        table_row{"AuthMethod", list, "None", 0, 0, connection, false, ks::security, true},
        table_row{"iSCSIProtocolLevel", numerical_min, "0", 0, 31, session, true, ks::operational, false},
        table_row{"TaskReporting", list, "RFC3720", 0, 0, session, true, ks::operational, false},
        table_row{"X#NodeArchitecture", declarative, "None", 0, 0, session, true, ks::any_login, true},
        table_row{"CHAP_A", list, "", 0, 0, connection, false, ks::security, true},
        table_row{"CHAP_C", declarative, "", 0, 0, connection, false, ks::security, true}),
    [](const auto& info) {
        std::string name(info.param.name);
        std::erase(name, '#');
        return name;
    });

TEST(KeyTable, MarkersAreObsolete) {
    for (auto name : {"OFMarker", "IFMarker", "OFMarkInt", "IFMarkInt"}) {
        const auto* def = find_key_definition(name);
        ASSERT_NE(def, nullptr) << name;
        EXPECT_TRUE(def->obsolete) << name;
    }
}

TEST(KeyTable, ExtensionKeysAreNotListed) {
    EXPECT_EQ(find_key_definition("X-com.example.Foo"), nullptr);
    EXPECT_EQ(find_key_definition("X#Unregistered"), nullptr);
    EXPECT_EQ(find_key_definition("headerdigest"), nullptr); // key names are case-sensitive
}

// ---------------------------------------------------------------------------------------------
// numerical-value (RFC 7143 section 6.1)

TEST(NumericalValue, DecimalAndHex) {
    const std::pair<std::string_view, std::uint64_t> good[] = {
        {"0", 0},
        {"8192", 8192},
        {"0x2000", 8192},
        {"0X2000", 8192},
        {"0x00ff", 255}, // leading zeros are discouraged in hex, not forbidden
        {"0xFfFf", 65535},
        {"18446744073709551615", UINT64_MAX},
        {"0xFFFFFFFFFFFFFFFF", UINT64_MAX},
    };
    for (auto [text, value] : good) {
        auto r = parse_numerical_value(text);
        ASSERT_TRUE(r) << text;
        EXPECT_EQ(*r, value) << text;
    }
}

TEST(NumericalValue, RejectsWhatTheRfcDoesNotAllow) {
    for (std::string_view text :
         {"", "08192", "00", "0x", "0xg1", "18446744073709551616", "0x10000000000000000", "-1", "+1", "12a",
          " 1", "1 ", "0b1234", "1e3", "1,2"}) {
        auto r = parse_numerical_value(text);
        EXPECT_FALSE(r) << "'" << text << "'";
        EXPECT_EQ(r.error(), errc::bad_format) << text;
    }
}

// ---------------------------------------------------------------------------------------------
// Preferences

TEST(Preferences, DefaultsAreValid) {
    EXPECT_FALSE(check_preferences({}));
}

TEST(Preferences, EveryOutOfRangeValueIsNamed) {
    struct bad {
        void (*set)(initiator_preferences&);
        std::string_view key;
    };
    const bad cases[] = {
        {[](auto& p) { p.max_recv_data_segment_length = 511; }, "MaxRecvDataSegmentLength"},
        {[](auto& p) { p.max_recv_data_segment_length = 16777216; }, "MaxRecvDataSegmentLength"},
        {[](auto& p) { p.max_burst_length = 511; }, "MaxBurstLength"},
        {[](auto& p) { p.first_burst_length = 511; }, "FirstBurstLength"},
        {[](auto& p) { p.first_burst_length = p.max_burst_length + 1; }, "FirstBurstLength"},
        {[](auto& p) { p.max_connections = 0; }, "MaxConnections"},
        {[](auto& p) { p.max_connections = 65536; }, "MaxConnections"},
        {[](auto& p) { p.max_outstanding_r2t = 0; }, "MaxOutstandingR2T"},
        {[](auto& p) { p.default_time2wait = 3601; }, "DefaultTime2Wait"},
        {[](auto& p) { p.default_time2retain = 3601; }, "DefaultTime2Retain"},
        {[](auto& p) { p.error_recovery_level = 3; }, "ErrorRecoveryLevel"},
        {[](auto& p) { p.header_digest.clear(); }, "HeaderDigest"},
        {[](auto& p) {
             p.data_digest = {digest_type::none, digest_type::none};
         },
         "DataDigest"},
        {[](auto& p) { p.auth_methods.clear(); }, "AuthMethod"},
        {[](auto& p) { p.node_architecture.assign(256, 'a'); }, "X#NodeArchitecture"},
    };
    for (const auto& c : cases) {
        initiator_preferences p;
        c.set(p);
        auto f = check_preferences(p);
        ASSERT_TRUE(f) << c.key;
        EXPECT_EQ(f->key, c.key);
        EXPECT_EQ(f->code, errc::bad_format);
        // The negotiator refuses to offer them too.
        negotiator n(p, normal_identity());
        EXPECT_EQ(n.offer(security).error(), errc::bad_format) << c.key;
        EXPECT_EQ(n.failure().key, c.key);
    }
}

TEST(Preferences, IdentityIsRequired) {
    auto who = normal_identity();
    who.initiator_name.clear();
    negotiator a({}, who);
    EXPECT_EQ(a.offer(security).error(), errc::bad_format);
    EXPECT_EQ(a.failure().key, "InitiatorName");

    who = normal_identity();
    who.target_name.clear();
    negotiator b({}, who);
    EXPECT_EQ(b.offer(security).error(), errc::bad_format);
    EXPECT_EQ(b.failure().key, "TargetName");

    who = normal_identity();
    who.target_name.assign(224, 'a'); // RFC 7143 section 4.2.7.1: names are at most 223 bytes
    negotiator c({}, who);
    EXPECT_EQ(c.offer(security).error(), errc::bad_format);
}

// ---------------------------------------------------------------------------------------------
// Offers

TEST(Offer, SecurityStageOfNormalSession) {
    auto who = normal_identity();
    who.initiator_alias = "host1";
    negotiator n({}, who);
    auto got = n.offer(security);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, (pairs{{"InitiatorName", "iqn.2026-11.org.example:host1"},
                           {"InitiatorAlias", "host1"},
                           {"TargetName", "iqn.2003-01.org.linux-iscsi.san:vol1"},
                           {"SessionType", "Normal"},
                           {"AuthMethod", "None"}}));
}

TEST(Offer, OperationalStageOfNormalSessionWithDefaults) {
    negotiator n({}, normal_identity());
    ASSERT_TRUE(n.offer(security));
    auto got = n.offer(operational);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, (pairs{{"HeaderDigest", "CRC32C,None"},
                           {"DataDigest", "None"},
                           {"MaxRecvDataSegmentLength", "262144"},
                           {"MaxConnections", "1"},
                           {"InitialR2T", "No"},
                           {"ImmediateData", "Yes"},
                           {"MaxBurstLength", "16776192"},
                           {"FirstBurstLength", "262144"},
                           {"DefaultTime2Wait", "2"},
                           {"DefaultTime2Retain", "0"},
                           {"MaxOutstandingR2T", "8"},
                           {"DataPDUInOrder", "Yes"},
                           {"DataSequenceInOrder", "Yes"},
                           {"ErrorRecoveryLevel", "0"}}));
    // Nothing is offered twice.
    EXPECT_TRUE(n.offer(operational)->empty());
    EXPECT_TRUE(n.offer(security)->empty());
}

TEST(Offer, EveryValueIsConfigurable) {
    initiator_preferences p;
    p.auth_methods = {auth_method::chap, auth_method::none};
    p.header_digest = {digest_type::none, digest_type::crc32c};
    p.data_digest = {digest_type::crc32c};
    p.max_recv_data_segment_length = 65536;
    p.max_burst_length = 1048576;
    p.first_burst_length = 131072;
    p.initial_r2t = true;
    p.immediate_data = false;
    p.max_connections = 4;
    p.max_outstanding_r2t = 2;
    p.data_pdu_in_order = false;
    p.data_sequence_in_order = false;
    p.default_time2wait = 10;
    p.default_time2retain = 60;
    p.error_recovery_level = 2;
    p.offer_protocol_level = true;
    p.node_architecture = "Linux/6.1,iscsi_ini/1.0";
    negotiator n(p, normal_identity());
    auto sec = n.offer(security);
    ASSERT_TRUE(sec);
    EXPECT_EQ(sec->back(), (text_pair{"AuthMethod", "CHAP,None"}));
    EXPECT_NE(std::ranges::find(*sec, text_pair{"X#NodeArchitecture", "Linux/6.1,iscsi_ini/1.0"}),
              sec->end());
    auto op = n.offer(operational);
    ASSERT_TRUE(op);
    EXPECT_EQ(*op, (pairs{{"HeaderDigest", "None,CRC32C"},
                          {"DataDigest", "CRC32C"},
                          {"MaxRecvDataSegmentLength", "65536"},
                          {"MaxConnections", "4"},
                          {"InitialR2T", "Yes"},
                          {"ImmediateData", "No"},
                          {"MaxBurstLength", "1048576"},
                          {"FirstBurstLength", "131072"},
                          {"DefaultTime2Wait", "10"},
                          {"DefaultTime2Retain", "60"},
                          {"MaxOutstandingR2T", "2"},
                          {"DataPDUInOrder", "No"},
                          {"DataSequenceInOrder", "No"},
                          {"ErrorRecoveryLevel", "2"},
                          {"iSCSIProtocolLevel", "1"}}));
}

TEST(Offer, DiscoverySessionOffersOnlyWhatIsValidThere) {
    negotiator n({}, discovery_identity());
    EXPECT_EQ(*n.offer(security), (pairs{{"InitiatorName", "iqn.2026-11.org.example:host1"},
                                         {"SessionType", "Discovery"},
                                         {"AuthMethod", "None"}}));
    EXPECT_EQ(*n.offer(operational), (pairs{{"HeaderDigest", "CRC32C,None"},
                                            {"DataDigest", "None"},
                                            {"MaxRecvDataSegmentLength", "262144"}}));
}

TEST(Offer, LoginStartingInOperationalStageCarriesTheNames) {
    negotiator n({}, normal_identity());
    auto got = n.offer(operational);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)[0].key, "InitiatorName");
    EXPECT_EQ((*got)[1].key, "TargetName");
    EXPECT_EQ((*got)[2], (text_pair{"SessionType", "Normal"}));
    EXPECT_EQ(std::ranges::find(*got, "AuthMethod", &text_pair::key), got->end());
}

TEST(Offer, NonLeadingConnectionOffersConnectionKeysOnly) {
    session_params existing;
    existing.max_burst_length = 65536;
    negotiator n({}, normal_identity(), existing);
    auto sec = n.offer(security);
    ASSERT_TRUE(sec);
    EXPECT_EQ(std::ranges::find(*sec, "SessionType", &text_pair::key), sec->end());
    EXPECT_EQ(*n.offer(operational), (pairs{{"HeaderDigest", "CRC32C,None"},
                                            {"DataDigest", "None"},
                                            {"MaxRecvDataSegmentLength", "262144"}}));
    ASSERT_TRUE(n.receive(security, pairs{{"AuthMethod", "None"}}));
    ASSERT_TRUE(n.receive(operational, pairs{{"HeaderDigest", "None"}, {"DataDigest", "None"}}));
    auto params = n.finish();
    ASSERT_TRUE(params);
    EXPECT_EQ(params->session.max_burst_length, 65536u); // the session's, untouched
}

// ---------------------------------------------------------------------------------------------
// Answers to our offers (RFC 7143 section 6.2)

struct legal_answer {
    text_pair answer;
    std::function<bool(const negotiated_parameters&)> holds;
};

TEST(Answer, LegalOutcomes) {
    const legal_answer cases[] = {
        {{"HeaderDigest", "CRC32C"},
         [](auto& p) {
             return p.connection.header_digest == digest_type::crc32c;
         }},
        {{"HeaderDigest", "None"},
         [](auto& p) {
             return p.connection.header_digest == digest_type::none;
         }},
        {{"MaxBurstLength", "262144"},
         [](auto& p) {
             return p.session.max_burst_length == 262144;
         }},
        {{"MaxBurstLength", "0x40000"},
         [](auto& p) {
             return p.session.max_burst_length == 262144;
         }},
        {{"MaxBurstLength", "16776192"},
         [](auto& p) {
             return p.session.max_burst_length == 16776192;
         }},
        {{"FirstBurstLength", "512"},
         [](auto& p) {
             return p.session.first_burst_length == 512;
         }},
        {{"DefaultTime2Wait", "3600"},
         [](auto& p) {
             return p.session.default_time2wait == 3600;
         }},
        {{"DefaultTime2Retain", "0"},
         [](auto& p) {
             return p.session.default_time2retain == 0;
         }},
        {{"MaxOutstandingR2T", "1"},
         [](auto& p) {
             return p.session.max_outstanding_r2t == 1;
         }},
        {{"MaxConnections", "1"},
         [](auto& p) {
             return p.session.max_connections == 1;
         }},
        {{"InitialR2T", "Yes"},
         [](auto& p) {
             return p.session.initial_r2t;
         }},
        {{"InitialR2T", "No"},
         [](auto& p) {
             return !p.session.initial_r2t;
         }},
        {{"ImmediateData", "No"},
         [](auto& p) {
             return !p.session.immediate_data;
         }},
        {{"DataPDUInOrder", "Yes"},
         [](auto& p) {
             return p.session.data_pdu_in_order;
         }},
        {{"ErrorRecoveryLevel", "0"},
         [](auto& p) {
             return p.session.error_recovery_level == 0;
         }},
        // Irrelevant is legal for FirstBurstLength (RFC 7143 section 13.14): the default stays.
        {{"FirstBurstLength", "Irrelevant"},
         [](auto& p) {
             return p.session.first_burst_length == 65536;
         }},
        // Reject leaves the default (section 6.2).
        {{"MaxBurstLength", "Reject"},
         [](auto& p) {
             return p.session.max_burst_length == 262144;
         }},
        {{"HeaderDigest", "Reject"},
         [](auto& p) {
             return p.connection.header_digest == digest_type::none;
         }},
    };
    for (const auto& c : cases) {
        auto n = offered();
        auto got = n.receive(operational, lio_answers_with(c.answer.key, c.answer.value));
        ASSERT_TRUE(got) << c.answer.key << "=" << c.answer.value << ": " << n.failure().message();
        EXPECT_TRUE(got->reply.empty());
        auto params = n.finish();
        ASSERT_TRUE(params) << n.failure().message();
        EXPECT_TRUE(c.holds(*params)) << c.answer.key << "=" << c.answer.value;
    }
}

TEST(Answer, IllegalOutcomesAreProtocolViolations) {
    const text_pair cases[] = {
        {"HeaderDigest", "CRC32C,None"},      // a list answer is one value
        {"HeaderDigest", "crc32c"},           // values are case-sensitive
        {"DataDigest", "CRC32C"},             // not offered
        {"MaxBurstLength", "16777215"},       // above our offer: the outcome is the minimum
        {"MaxBurstLength", "511"},            // below the range
        {"MaxBurstLength", "0262144"},        // decimal-constant with a leading zero
        {"MaxBurstLength", "262144 "},        // trailing junk
        {"MaxBurstLength", "lots"},           // not a number
        {"FirstBurstLength", "16777216"},     // above 2**24-1
        {"DefaultTime2Wait", "1"},            // below our offer: the outcome is the maximum
        {"DefaultTime2Wait", "3601"},         // above the range
        {"DefaultTime2Retain", "20"},         // above our 0
        {"ErrorRecoveryLevel", "1"},          // above our 0
        {"MaxOutstandingR2T", "0"},           // below the range
        {"MaxConnections", "2"},              // above our 1
        {"DataPDUInOrder", "No"},             // we offered Yes to an OR key
        {"ImmediateData", "Maybe"},           // not a boolean
        {"HeaderDigest", "Irrelevant"},       // never irrelevant
        {"ErrorRecoveryLevel", "Irrelevant"}, // never irrelevant
        {"MaxBurstLength", "NotUnderstood"},  // an RFC 3720 key must be understood
    };
    for (const auto& c : cases) {
        auto n = offered();
        auto got = n.receive(operational, pairs{c});
        EXPECT_EQ(got.error(), errc::protocol_violation) << c.key << "=" << c.value;
        EXPECT_EQ(n.failure().key, c.key);
        EXPECT_EQ(n.failure().value, c.value);
        EXPECT_FALSE(n.failure().reason.empty());
    }
}

TEST(Answer, BooleanAndOfferedNoMustStayNo) {
    initiator_preferences p;
    p.immediate_data = false;
    auto n = offered(p);
    EXPECT_EQ(n.receive(operational, pairs{{"ImmediateData", "Yes"}}).error(), errc::protocol_violation);
}

TEST(Answer, RejectedListIsFatalWhenTheDefaultWasNotOffered) {
    initiator_preferences p;
    p.header_digest = {digest_type::crc32c};
    auto n = offered(p);
    EXPECT_EQ(n.receive(operational, pairs{{"HeaderDigest", "Reject"}}).error(), errc::negotiation_failed);
    EXPECT_EQ(n.failure().key, "HeaderDigest");
    EXPECT_EQ(n.failure().message(), "HeaderDigest=Reject: the default None is not among our offer CRC32C");
}

TEST(Answer, ProtocolLevelMayBeNotUnderstood) {
    // RFC 7143 section 13.24: a peer that does not know the key stays at level 0.
    initiator_preferences p;
    p.offer_protocol_level = true;
    for (auto [answer, level] : {std::pair{"NotUnderstood", 0u}, std::pair{"1", 1u}, std::pair{"0", 0u}}) {
        auto n = offered(p);
        auto with_level = lio_answers();
        with_level.push_back({"iSCSIProtocolLevel", answer});
        ASSERT_TRUE(n.receive(operational, with_level)) << n.failure().message();
        auto params = n.finish();
        ASSERT_TRUE(params) << n.failure().message();
        EXPECT_EQ(params->session.iscsi_protocol_level, level) << answer;
    }
    auto n = offered(p);
    EXPECT_EQ(n.receive(operational, pairs{{"iSCSIProtocolLevel", "2"}}).error(), errc::protocol_violation);
}

TEST(Answer, OptionalBooleanAnswersAreDecidedByTheOffer) {
    // RFC 7143 section 6.2.2: InitialR2T (OR) offered Yes and ImmediateData (AND) offered No need
    // no answer; their outcome is our value.
    initiator_preferences p;
    p.initial_r2t = true;
    p.immediate_data = false;
    auto n = offered(p);
    auto answers = lio_answers();
    std::erase_if(answers,
                  [](const text_pair& a) { return a.key == "InitialR2T" || a.key == "ImmediateData"; });
    ASSERT_TRUE(n.receive(operational, answers)) << n.failure().message();
    EXPECT_FALSE(n.answers_pending());
    auto params = n.finish();
    ASSERT_TRUE(params) << n.failure().message();
    EXPECT_TRUE(params->session.initial_r2t);
    EXPECT_FALSE(params->session.immediate_data);
}

TEST(Answer, MissingAnswerFailsAtFinish) {
    auto n = offered();
    ASSERT_TRUE(n.receive(operational, pairs{{"HeaderDigest", "None"}}));
    EXPECT_TRUE(n.answers_pending());
    EXPECT_EQ(n.finish().error(), errc::protocol_violation);
    EXPECT_EQ(n.failure().key, "DataDigest"); // the first unanswered offer, by name
    EXPECT_EQ(n.failure().reason, "the target never answered this offer");
}

// ---------------------------------------------------------------------------------------------
// Keys the target proposes: we answer them

struct proposal {
    text_pair theirs;
    std::string our_answer;
};

TEST(Proposal, DiscoverySessionAnswers) {
    const proposal cases[] = {
        {{"MaxBurstLength", "262144"}, "Irrelevant"}, // RFC 7143 13.13: irrelevant in discovery
        {{"InitialR2T", "Yes"}, "Irrelevant"},
        {{"MaxConnections", "1"}, "Irrelevant"},
        {{"DefaultTime2Wait", "5"}, "5"},         // maximum of 5 and our 2
        {{"DefaultTime2Wait", "0x1"}, "2"},       // maximum of 1 and our 2
        {{"DefaultTime2Retain", "20"}, "0"},      // minimum of 20 and our 0
        {{"ErrorRecoveryLevel", "2"}, "0"},       // minimum
        {{"DefaultTime2Wait", "3601"}, "Reject"}, // out of range proposals are rejected
        {{"DefaultTime2Wait", "07"}, "Reject"},   // not a decimal-constant
        {{"IFMarker", "Yes"}, "Reject"},          // RFC 7143 13.25: Reject, never NotUnderstood
        {{"OFMarker", "No"}, "Reject"},
        {{"IFMarkInt", "2048~65535"}, "Reject"},
        {{"OFMarkInt", "2048"}, "Reject"},
        {{"X-com.example.Feature", "Yes"}, "NotUnderstood"},
        {{"X#Unregistered", "1"}, "NotUnderstood"},
        {{"SomeFutureKey", "1"}, "NotUnderstood"},
    };
    for (const auto& c : cases) {
        auto n = offered({}, discovery_identity());
        auto got = n.receive(operational, pairs{c.theirs});
        ASSERT_TRUE(got) << c.theirs.key << ": " << n.failure().message();
        EXPECT_EQ(got->reply, (pairs{{c.theirs.key, c.our_answer}})) << c.theirs.key << "=" << c.theirs.value;
    }
}

TEST(Proposal, OutcomeOfAProposalIsTheNegotiatedValue) {
    auto n = offered({}, discovery_identity());
    auto got = n.receive(operational, pairs{{"HeaderDigest", "None"},
                                            {"DataDigest", "None"},
                                            {"DefaultTime2Wait", "7"},
                                            {"DefaultTime2Retain", "20"}});
    ASSERT_TRUE(got);
    auto params = n.finish();
    ASSERT_TRUE(params);
    EXPECT_EQ(params->session.default_time2wait, 7u);
    EXPECT_EQ(params->session.default_time2retain, 0u);
    EXPECT_EQ(params->session.type, session_type::discovery);
}

TEST(Proposal, NormalSessionAnswers) {
    const proposal cases[] = {
        {{"iSCSIProtocolLevel", "2"}, "1"}, // minimum with the level we implement
        {{"iSCSIProtocolLevel", "0"}, "0"},
        {{"TaskReporting", "FastAbort,RFC3720"}, "RFC3720"}, // first of theirs that we support
        {{"TaskReporting", "FastAbort,ResponseFence"}, "Reject"},
        {{"X-org.example.Tuning", "7"}, "NotUnderstood"},
    };
    for (const auto& c : cases) {
        auto n = offered();
        auto got = n.receive(operational, pairs{c.theirs});
        ASSERT_TRUE(got) << c.theirs.key << ": " << n.failure().message();
        EXPECT_EQ(got->reply, (pairs{{c.theirs.key, c.our_answer}}));
    }
}

TEST(Proposal, TargetProposingBeforeOurOfferGetsAnAnswerAndNoOffer) {
    negotiator n({}, normal_identity());
    ASSERT_TRUE(n.offer(security));
    ASSERT_TRUE(n.receive(security, pairs{{"AuthMethod", "None"}}));
    // The target speaks first in the operational stage: InitialR2T is OR, ImmediateData AND,
    // MaxBurstLength the minimum with our 16776192.
    auto got = n.receive(operational,
                         pairs{{"InitialR2T", "Yes"}, {"ImmediateData", "Yes"}, {"MaxBurstLength", "65536"}});
    ASSERT_TRUE(got) << n.failure().message();
    EXPECT_EQ(got->reply,
              (pairs{{"InitialR2T", "Yes"}, {"ImmediateData", "Yes"}, {"MaxBurstLength", "65536"}}));
    auto ours = n.offer(operational);
    ASSERT_TRUE(ours);
    for (auto key : {"InitialR2T", "ImmediateData", "MaxBurstLength"})
        EXPECT_EQ(std::ranges::find(*ours, key, &text_pair::key), ours->end()) << key;
}

TEST(Proposal, ReservedConstantAsProposalIsAViolation) {
    auto n = offered({}, discovery_identity());
    EXPECT_EQ(n.receive(operational, pairs{{"DefaultTime2Wait", "Reject"}}).error(),
              errc::protocol_violation);
}

// ---------------------------------------------------------------------------------------------
// Failures of the exchange itself

void expect_violation(negotiator& n, negotiation_stage stage, const pairs& target, std::string_view key) {
    auto got = n.receive(stage, target);
    EXPECT_EQ(got.error(), errc::protocol_violation) << key;
    EXPECT_EQ(n.failure().key, key);
}

TEST(Violation, DuplicateKeyInOneResponse) {
    auto n = offered();
    expect_violation(n, operational, {{"HeaderDigest", "None"}, {"HeaderDigest", "None"}}, "HeaderDigest");
}

TEST(Violation, KeyRenegotiatedInALaterResponse) {
    auto n = offered();
    ASSERT_TRUE(n.receive(operational, pairs{{"HeaderDigest", "None"}}));
    expect_violation(n, operational, {{"HeaderDigest", "None"}}, "HeaderDigest");
}

TEST(Violation, DeclarationRepeatedAcrossStages) {
    negotiator n({}, normal_identity());
    ASSERT_TRUE(n.offer(security));
    ASSERT_TRUE(n.receive(security, pairs{{"TargetPortalGroupTag", "1"}, {"AuthMethod", "None"}}));
    ASSERT_TRUE(n.offer(operational));
    expect_violation(n, operational, {{"TargetPortalGroupTag", "1"}}, "TargetPortalGroupTag");
}

TEST(Violation, TargetAddressMayRepeat) {
    negotiator n({}, normal_identity());
    ASSERT_TRUE(n.offer(security));
    auto got = n.receive(
        security, pairs{{"TargetAddress", "192.168.1.10:3260,1"}, {"TargetAddress", "[fe80::1]:3260,1"}});
    ASSERT_TRUE(got) << n.failure().message();
}

TEST(Violation, OutOfStageKeys) {
    {
        negotiator n({}, normal_identity());
        ASSERT_TRUE(n.offer(security));
        expect_violation(n, security, {{"MaxBurstLength", "262144"}}, "MaxBurstLength");
    }
    {
        negotiator n({}, normal_identity());
        ASSERT_TRUE(n.offer(security));
        expect_violation(n, security, {{"OFMarker", "No"}}, "OFMarker");
    }
    {
        auto n = offered();
        expect_violation(n, operational, {{"AuthMethod", "None"}}, "AuthMethod");
    }
    {
        auto n = offered();
        expect_violation(n, operational, {{"CHAP_C", "0x0102"}}, "CHAP_C");
    }
}

TEST(Violation, KeysOnlyTheInitiatorSends) {
    for (auto key : {"InitiatorName", "InitiatorAlias", "SessionType", "TargetName", "SendTargets"}) {
        negotiator n({}, normal_identity());
        ASSERT_TRUE(n.offer(security));
        expect_violation(n, security, {{key, "Normal"}}, key);
    }
}

TEST(Violation, LeadingOnlyKeyOnAnotherConnection) {
    negotiator n({}, normal_identity(), session_params{});
    ASSERT_TRUE(n.offer(security));
    ASSERT_TRUE(n.offer(operational));
    expect_violation(n, operational, {{"MaxBurstLength", "262144"}}, "MaxBurstLength");
}

TEST(Violation, ValueLongerThanAllowed) {
    negotiator ok({}, normal_identity());
    ASSERT_TRUE(ok.offer(security));
    EXPECT_TRUE(ok.receive(security, pairs{{"TargetAlias", std::string(255, 'a')}}));

    negotiator n({}, normal_identity());
    ASSERT_TRUE(n.offer(security));
    expect_violation(n, security, {{"TargetAlias", std::string(256, 'a')}}, "TargetAlias");
}

TEST(Violation, DeclaredNumbersOutOfRange) {
    for (auto value : {"511", "16777216", "08192", "", "Reject"}) {
        auto n = offered();
        expect_violation(n, operational, {{"MaxRecvDataSegmentLength", value}}, "MaxRecvDataSegmentLength");
    }
    negotiator n({}, normal_identity());
    ASSERT_TRUE(n.offer(security));
    expect_violation(n, security, {{"TargetPortalGroupTag", "65536"}}, "TargetPortalGroupTag");
}

TEST(Violation, FirstBurstLengthAboveMaxBurstLength) {
    auto n = offered();
    auto answers = lio_answers_with("MaxBurstLength", "8192"); // FirstBurstLength stays 65536
    ASSERT_TRUE(n.receive(operational, answers)) << n.failure().message();
    EXPECT_EQ(n.finish().error(), errc::protocol_violation);
    EXPECT_EQ(n.failure().key, "FirstBurstLength");
}

TEST(Violation, IrrelevantFirstBurstLengthYieldsToMaxBurstLength) {
    // InitialR2T=Yes and ImmediateData=No make FirstBurstLength irrelevant (RFC 7143 13.14).
    auto n = offered();
    auto answers = lio_answers_with("MaxBurstLength", "8192");
    for (auto& a : answers) {
        if (a.key == "ImmediateData")
            a.value = "No";
        if (a.key == "FirstBurstLength")
            a.value = "Irrelevant";
    }
    ASSERT_TRUE(n.receive(operational, answers)) << n.failure().message();
    auto params = n.finish();
    ASSERT_TRUE(params) << n.failure().message();
    EXPECT_EQ(params->session.first_burst_length, 8192u);
}

TEST(Violation, FailureIsSticky) {
    auto n = offered();
    ASSERT_FALSE(n.receive(operational, pairs{{"DataDigest", "CRC32C"}}));
    EXPECT_EQ(n.receive(operational, pairs{{"HeaderDigest", "None"}}).error(), errc::protocol_violation);
    EXPECT_EQ(n.offer(operational).error(), errc::protocol_violation);
    EXPECT_EQ(n.finish().error(), errc::protocol_violation);
    EXPECT_EQ(n.failure().message(), "DataDigest=CRC32C: not one of the offered values (None)");
}

// ---------------------------------------------------------------------------------------------
// Security stage

TEST(Security, ChapKeysArePassedThrough) {
    initiator_preferences p;
    p.auth_methods = {auth_method::chap, auth_method::none};
    negotiator n(p, normal_identity());
    ASSERT_EQ(n.offer(security)->back(), (text_pair{"AuthMethod", "CHAP,None"}));
    auto first = n.receive(security, pairs{{"TargetPortalGroupTag", "1"}, {"AuthMethod", "CHAP"}});
    ASSERT_TRUE(first);
    EXPECT_EQ(n.negotiated_auth_method(), auth_method::chap);
    EXPECT_TRUE(first->authentication.empty());
    auto second = n.receive(security, pairs{{"CHAP_A", "5"}, {"CHAP_I", "1"}, {"CHAP_C", "0x00112233"}});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->authentication, (pairs{{"CHAP_A", "5"}, {"CHAP_I", "1"}, {"CHAP_C", "0x00112233"}}));
    EXPECT_TRUE(second->reply.empty());
    // A CHAP key sent twice is a renegotiation.
    expect_violation(n, security, {{"CHAP_C", "0x44"}}, "CHAP_C");
}

TEST(Security, AuthMethodAnswers) {
    initiator_preferences chap_only;
    chap_only.auth_methods = {auth_method::chap};
    {
        negotiator n(chap_only, normal_identity());
        ASSERT_TRUE(n.offer(security));
        expect_violation(n, security, {{"AuthMethod", "None"}}, "AuthMethod"); // not offered
    }
    {
        negotiator n(chap_only, normal_identity());
        ASSERT_TRUE(n.offer(security));
        EXPECT_EQ(n.receive(security, pairs{{"AuthMethod", "Reject"}}).error(), errc::negotiation_failed);
    }
    {
        negotiator n({}, normal_identity());
        ASSERT_TRUE(n.offer(security));
        expect_violation(n, security, {{"AuthMethod", "SRP"}}, "AuthMethod");
    }
    {
        negotiator n({}, normal_identity());
        ASSERT_TRUE(n.offer(security));
        EXPECT_EQ(n.negotiated_auth_method(), std::nullopt);
        ASSERT_TRUE(n.receive(security, pairs{{"AuthMethod", "None"}}));
        EXPECT_EQ(n.negotiated_auth_method(), auth_method::none);
    }
}

// ---------------------------------------------------------------------------------------------
// Whole logins, as real targets answer

TEST(Exchange, LioNormalSession) {
    negotiator n({}, normal_identity());
    ASSERT_TRUE(n.offer(security));
    auto sec = n.receive(security, pairs{{"TargetPortalGroupTag", "1"}, {"AuthMethod", "None"}});
    ASSERT_TRUE(sec) << n.failure().message();
    EXPECT_TRUE(sec->reply.empty());
    ASSERT_TRUE(n.offer(operational));
    // LIO with its defaults: it picks None from "CRC32C,None", declares its own 8192 receive
    // limit, caps the bursts, keeps InitialR2T=Yes and one R2T.
    auto op = n.receive(operational, pairs{{"HeaderDigest", "None"},
                                           {"DataDigest", "None"},
                                           {"MaxRecvDataSegmentLength", "8192"},
                                           {"MaxConnections", "1"},
                                           {"InitialR2T", "Yes"},
                                           {"ImmediateData", "Yes"},
                                           {"MaxBurstLength", "262144"},
                                           {"FirstBurstLength", "65536"},
                                           {"DefaultTime2Wait", "2"},
                                           {"DefaultTime2Retain", "0"},
                                           {"MaxOutstandingR2T", "1"},
                                           {"DataPDUInOrder", "Yes"},
                                           {"DataSequenceInOrder", "Yes"},
                                           {"ErrorRecoveryLevel", "0"},
                                           {"TargetAlias", "LIO Target"}});
    ASSERT_TRUE(op) << n.failure().message();
    EXPECT_TRUE(op->reply.empty());
    EXPECT_FALSE(n.answers_pending());
    auto params = n.finish();
    ASSERT_TRUE(params) << n.failure().message();
    const auto& s = params->session;
    const auto& c = params->connection;
    EXPECT_EQ(s.type, session_type::normal);
    EXPECT_EQ(s.target_portal_group_tag, 1);
    EXPECT_EQ(s.target_alias, "LIO Target");
    EXPECT_EQ(s.max_connections, 1u);
    EXPECT_TRUE(s.initial_r2t);
    EXPECT_TRUE(s.immediate_data);
    EXPECT_EQ(s.max_burst_length, 262144u);
    EXPECT_EQ(s.first_burst_length, 65536u);
    EXPECT_EQ(s.default_time2wait, 2u);
    EXPECT_EQ(s.default_time2retain, 0u);
    EXPECT_EQ(s.max_outstanding_r2t, 1u);
    EXPECT_TRUE(s.data_pdu_in_order);
    EXPECT_TRUE(s.data_sequence_in_order);
    EXPECT_EQ(s.error_recovery_level, 0u);
    EXPECT_EQ(c.auth, auth_method::none);
    EXPECT_EQ(c.header_digest, digest_type::none);
    EXPECT_EQ(c.data_digest, digest_type::none);
    EXPECT_EQ(c.max_recv_data_segment_length, 262144u); // what we declared: the target sends up to this
    EXPECT_EQ(c.max_send_data_segment_length, 8192u);   // what LIO declared: we send up to this
}

TEST(Exchange, TgtdDiscoverySessionWithItsOwnProposals) {
    negotiator n({}, discovery_identity());
    ASSERT_TRUE(n.offer(security));
    ASSERT_TRUE(n.receive(security, pairs{{"AuthMethod", "None"}}));
    ASSERT_TRUE(n.offer(operational));
    // tgtd answers the digests, declares its MaxRecvDataSegmentLength and proposes keys of its own.
    auto op = n.receive(operational, pairs{{"HeaderDigest", "CRC32C"},
                                           {"DataDigest", "None"},
                                           {"MaxRecvDataSegmentLength", "0x10000"},
                                           {"DefaultTime2Wait", "2"},
                                           {"DefaultTime2Retain", "20"},
                                           {"MaxBurstLength", "262144"}});
    ASSERT_TRUE(op) << n.failure().message();
    EXPECT_EQ(
        op->reply,
        (pairs{{"DefaultTime2Wait", "2"}, {"DefaultTime2Retain", "0"}, {"MaxBurstLength", "Irrelevant"}}));
    auto params = n.finish();
    ASSERT_TRUE(params) << n.failure().message();
    EXPECT_EQ(params->session.type, session_type::discovery);
    EXPECT_EQ(params->connection.header_digest, digest_type::crc32c);
    EXPECT_EQ(params->connection.max_send_data_segment_length, 65536u);
    EXPECT_EQ(params->connection.max_recv_data_segment_length, 262144u);
    EXPECT_EQ(params->session.max_burst_length, 262144u); // the RFC default: never negotiated
    EXPECT_EQ(params->session.default_time2retain, 0u);
}

TEST(Exchange, NothingDeclaredLeavesTheRfcDefaults) {
    // A target that never declares MaxRecvDataSegmentLength receives at most 8192 bytes per PDU
    // (RFC 7143 section 13.12), and digests stay off.
    negotiator n({}, discovery_identity());
    ASSERT_TRUE(n.offer(security));
    ASSERT_TRUE(n.receive(security, pairs{{"AuthMethod", "None"}}));
    auto params = n.finish();
    ASSERT_TRUE(params) << n.failure().message();
    EXPECT_EQ(params->connection.max_send_data_segment_length, 8192u);
    EXPECT_EQ(params->connection.max_recv_data_segment_length, 8192u);
    EXPECT_EQ(params->connection.header_digest, digest_type::none);
}

TEST(Exchange, NodeArchitectureBothWays) {
    initiator_preferences p;
    p.node_architecture = "Linux/6.1";
    negotiator n(p, normal_identity());
    ASSERT_TRUE(n.offer(security));
    ASSERT_TRUE(n.receive(security, pairs{{"AuthMethod", "None"}, {"X#NodeArchitecture", "NotUnderstood"}}));

    negotiator m({}, normal_identity());
    ASSERT_TRUE(m.offer(security));
    auto got = m.receive(security, pairs{{"AuthMethod", "None"}, {"X#NodeArchitecture", "ExampleOS/v1234"}});
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->reply.empty()); // declarative: no answer
}

} // namespace
} // namespace iscsi
