// SPDX-License-Identifier: GPL-2.0-or-later
// CHAP: responses for every algorithm match digests computed independently, hex and base64 values
// decode and encode, and the initiator exchange answers a target, checks a mutual target, and
// refuses every malformed, reflected or failed step.
//
// Golden digests: H(0x2a || "initiator-secret-1" || 0x10 0x11 ... 0x1f), computed with
//   python3 -c 'import hashlib; print(hashlib.new(ALG, bytes([42]) + b"initiator-secret-1" +
//               bytes(range(0x10, 0x20))).hexdigest())'
// (ALG = md5, sha1, sha256, sha3_256) and cross-checked with `openssl dgst -md5/-sha1/-sha256/-sha3-256`;
// the base64 forms with python3 base64.b64encode.
#include "iscsi/chap.hpp"

#include <algorithm>
#include <cstddef>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

using iscsi::binary_encoding;
using iscsi::chap_algorithm;
using iscsi::chap_errc;
using iscsi::text_pair;

const std::string initiator_name = "iqn.2024-01.org.example:host1";
const std::string initiator_secret = "initiator-secret-1";
const std::string target_name = "iqn.2003-01.org.example:vol1";
const std::string target_secret = "target-secret-22";
const std::string target_challenge_hex = "0x101112131415161718191a1b1c1d1e1f";
const std::string target_challenge_base64 = "0bEBESExQVFhcYGRobHB0eHw==";

struct golden {
    chap_algorithm algorithm;
    const char* hex;
    const char* base64;
};

const golden goldens[] = {
    {chap_algorithm::md5, "0xf4c2fcbc9b5887b0d7f9ce56aadea868", "0b9ML8vJtYh7DX+c5Wqt6oaA=="},
    {chap_algorithm::sha1, "0x8b89c3f6ef13ef1e674569295ee0027507feb925", "0bi4nD9u8T7x5nRWkpXuACdQf+uSU="},
    {chap_algorithm::sha256, "0xa76e55074c65c55eb417956b847653dea5d7311b2698277bab2a5e71bf22af3e",
     "0bp25VB0xlxV60F5VrhHZT3qXXMRsmmCd7qypecb8irz4="},
    {chap_algorithm::sha3_256, "0x839ce1fe91096f7fe9658d39778f05ba1b074ce8d63def7613330092fb60f21b",
     "0bg5zh/pEJb3/pZY05d48FuhsHTOjWPe92EzMAkvtg8hs="},
};

std::vector<std::byte> bytes_of(std::string_view s) {
    std::vector<std::byte> out;
    for (char c : s)
        out.push_back(static_cast<std::byte>(c));
    return out;
}

std::vector<std::byte> decoded(std::string_view text) {
    auto r = iscsi::decode_binary(text);
    EXPECT_TRUE(r) << text;
    return r ? *r : std::vector<std::byte>{};
}

std::string algorithm_number(chap_algorithm a) {
    return std::to_string(static_cast<unsigned>(a));
}

std::string value_of(const std::vector<text_pair>& pairs, std::string_view key) {
    auto it = std::find_if(pairs.begin(), pairs.end(), [&](const text_pair& p) { return p.key == key; });
    return it == pairs.end() ? std::string{} : it->value;
}

iscsi::chap_config one_way_config() {
    iscsi::chap_config c;
    c.name = initiator_name;
    c.secret = initiator_secret;
    return c;
}

iscsi::chap_config mutual_config() {
    auto c = one_way_config();
    c.target_name = target_name;
    c.target_secret = target_secret;
    return c;
}

iscsi::chap_initiator make(const iscsi::chap_config& config) {
    auto r = iscsi::chap_initiator::create(config);
    EXPECT_TRUE(r) << r.error().message();
    return std::move(r).value();
}

std::vector<text_pair> target_challenge(chap_algorithm a, std::string identifier = "42",
                                        std::string challenge = target_challenge_hex) {
    return {
        {"CHAP_A", algorithm_number(a)}, {"CHAP_I", std::move(identifier)}, {"CHAP_C", std::move(challenge)}};
}

// ---- digests and binary values ---------------------------------------------------------------

TEST(ChapResponse, MatchesIndependentDigests) {
    for (const auto& g : goldens) {
        auto r =
            iscsi::chap_response(g.algorithm, 42, bytes_of(initiator_secret), decoded(target_challenge_hex));
        ASSERT_TRUE(r) << algorithm_number(g.algorithm);
        EXPECT_EQ(iscsi::encode_binary(*r, binary_encoding::hex), g.hex);
        EXPECT_EQ(iscsi::encode_binary(*r, binary_encoding::base64), g.base64);
    }
}

TEST(ChapResponse, DigestLengths) {
    EXPECT_EQ(iscsi::digest_length(chap_algorithm::md5), 16u);
    EXPECT_EQ(iscsi::digest_length(chap_algorithm::sha1), 20u);
    EXPECT_EQ(iscsi::digest_length(chap_algorithm::sha256), 32u);
    EXPECT_EQ(iscsi::digest_length(chap_algorithm::sha3_256), 32u);
}

TEST(BinaryValue, EncodesHexAndBase64) {
    std::vector<std::byte> one{std::byte{0x01}}, two{std::byte{0x01}, std::byte{0x02}},
        three{std::byte{0x01}, std::byte{0x02}, std::byte{0xff}};
    EXPECT_EQ(iscsi::encode_binary(three, binary_encoding::hex), "0x0102ff");
    EXPECT_EQ(iscsi::encode_binary(one, binary_encoding::base64), "0bAQ==");
    EXPECT_EQ(iscsi::encode_binary(two, binary_encoding::base64), "0bAQI=");
    EXPECT_EQ(iscsi::encode_binary(three, binary_encoding::base64), "0bAQL/");
}

TEST(BinaryValue, DecodesBothEncodingsAndPrefixCases) {
    std::vector<std::byte> three{std::byte{0x01}, std::byte{0x02}, std::byte{0xff}};
    EXPECT_EQ(decoded("0x0102ff"), three);
    EXPECT_EQ(decoded("0X0102FF"), three);
    EXPECT_EQ(decoded("0bAQL/"), three);
    EXPECT_EQ(decoded("0BAQL/"), three);
    EXPECT_EQ(decoded("0bAQ=="), std::vector<std::byte>{std::byte{0x01}});
    EXPECT_EQ(decoded("0bAQI="), (std::vector<std::byte>{std::byte{0x01}, std::byte{0x02}}));
    // RFC 7143 section 6.1: an odd number of hex digits has an implied leading zero.
    EXPECT_EQ(decoded("0x123"), (std::vector<std::byte>{std::byte{0x01}, std::byte{0x23}}));
    EXPECT_EQ(decoded(target_challenge_base64), decoded(target_challenge_hex));
}

TEST(BinaryValue, RefusesMalformedValues) {
    for (const char* bad : {"", "0", "0x", "0b", "0z12", "1x12", "12", "0x12g4", "0x 12",
                            "0bAQ=", "0bA===", "0b====", "0bAQ=A", "0b=AQI", "0bAQ*/", "0bAQI"}) {
        auto r = iscsi::decode_binary(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), chap_errc::malformed_value) << bad;
    }
}

TEST(BinaryValue, LimitIs1024DecodedBytes) {
    EXPECT_EQ(iscsi::decode_binary("0x" + std::string(2048, 'a'))->size(), 1024u);
    EXPECT_EQ(iscsi::decode_binary("0x" + std::string(2049, 'a')).error(), chap_errc::value_too_long);
    std::vector<std::byte> max(1024, std::byte{0x5a}), over(1025, std::byte{0x5a});
    EXPECT_EQ(iscsi::decode_binary(iscsi::encode_binary(max, binary_encoding::base64))->size(), 1024u);
    EXPECT_EQ(iscsi::decode_binary(iscsi::encode_binary(over, binary_encoding::base64)).error(),
              chap_errc::value_too_long);
}

// ---- the exchange ----------------------------------------------------------------------------

TEST(ChapInitiator, OffersStrongestFirstByDefault) {
    EXPECT_EQ(make(one_way_config()).offer(), (text_pair{"CHAP_A", "8,7,6,5"}));
}

TEST(ChapInitiator, OffersConfiguredOrder) {
    auto c = one_way_config();
    c.algorithms = {chap_algorithm::md5, chap_algorithm::sha256};
    EXPECT_EQ(make(c).offer(), (text_pair{"CHAP_A", "5,7"}));
}

TEST(ChapInitiator, AnswersEachAlgorithmInHexAndBase64) {
    for (const auto& g : goldens) {
        for (auto encoding : {binary_encoding::hex, binary_encoding::base64}) {
            auto c = one_way_config();
            c.encoding = encoding;
            auto chap = make(c);
            auto answer = chap.respond(target_challenge(g.algorithm));
            ASSERT_TRUE(answer) << answer.error().message();
            std::vector<text_pair> want{{"CHAP_N", initiator_name},
                                        {"CHAP_R", encoding == binary_encoding::hex ? g.hex : g.base64}};
            EXPECT_EQ(*answer, want) << algorithm_number(g.algorithm);
            EXPECT_TRUE(chap.complete());
        }
    }
}

TEST(ChapInitiator, AcceptsBase64ChallengeAndHexIdentifier) {
    auto chap = make(one_way_config());
    std::vector<text_pair> keys{
        {"CHAP_C", target_challenge_base64}, {"AuthMethod", "CHAP"}, {"CHAP_I", "0x2A"}, {"CHAP_A", "7"}};
    auto answer = chap.respond(keys);
    ASSERT_TRUE(answer) << answer.error().message();
    EXPECT_EQ(value_of(*answer, "CHAP_R"), goldens[2].hex);
}

TEST(ChapInitiator, ShorterChallengesWhenConfigured) {
    auto c = one_way_config();
    c.min_target_challenge = 8;
    auto chap = make(c);
    EXPECT_TRUE(chap.respond(target_challenge(chap_algorithm::md5, "1", "0x0102030405060708")));
}

TEST(ChapInitiator, MutualSendsOurChallengeAndVerifiesTheTarget) {
    for (auto target_encoding : {binary_encoding::hex, binary_encoding::base64}) {
        auto chap = make(mutual_config());
        ASSERT_TRUE(chap.mutual());
        auto answer = chap.respond(target_challenge(chap_algorithm::sha256));
        ASSERT_TRUE(answer) << answer.error().message();
        EXPECT_EQ(value_of(*answer, "CHAP_R"), goldens[2].hex);
        EXPECT_FALSE(chap.complete());

        // Play the target: answer our challenge with the target secret.
        auto identifier = std::stoul(value_of(*answer, "CHAP_I"));
        ASSERT_LE(identifier, 255u);
        auto our_challenge = decoded(value_of(*answer, "CHAP_C"));
        EXPECT_EQ(our_challenge.size(), iscsi::default_chap_challenge_length);
        EXPECT_TRUE(std::equal(our_challenge.begin(), our_challenge.end(), chap.challenge().begin(),
                               chap.challenge().end()));
        auto target_response =
            iscsi::chap_response(chap_algorithm::sha256, static_cast<std::uint8_t>(identifier),
                                 bytes_of(target_secret), our_challenge);
        ASSERT_TRUE(target_response);
        std::vector<text_pair> reply{{"CHAP_N", target_name},
                                     {"CHAP_R", iscsi::encode_binary(*target_response, target_encoding)}};
        EXPECT_FALSE(chap.verify(reply));
        EXPECT_TRUE(chap.complete());
    }
}

TEST(ChapInitiator, ChallengesAreRandomWithConfiguredLength) {
    auto c = mutual_config();
    c.challenge_length = 32;
    auto a = make(c);
    auto b = make(c);
    EXPECT_EQ(a.challenge().size(), 32u);
    EXPECT_FALSE(
        std::equal(a.challenge().begin(), a.challenge().end(), b.challenge().begin(), b.challenge().end()));
    EXPECT_TRUE(make(one_way_config()).challenge().empty());
}

// ---- refusals ----------------------------------------------------------------------------------

struct bad_step {
    const char* what;
    std::vector<text_pair> keys;
    chap_errc reason;
};

class ChapRefusal : public testing::TestWithParam<bad_step> {};

TEST_P(ChapRefusal, RespondRefuses) {
    auto c = one_way_config();
    c.algorithms = {chap_algorithm::sha256, chap_algorithm::md5};
    auto chap = make(c);
    auto answer = chap.respond(GetParam().keys);
    ASSERT_FALSE(answer) << GetParam().what;
    EXPECT_EQ(answer.error(), GetParam().reason) << GetParam().what << ": " << answer.error().message();
    EXPECT_FALSE(chap.complete());
    // A refusal is final.
    EXPECT_EQ(chap.respond(target_challenge(chap_algorithm::md5)).error(), chap_errc::out_of_order);
}

const std::string oversized_challenge = "0x" + std::string(2 * 1025, 'c');

INSTANTIATE_TEST_SUITE_P(
    Chap, ChapRefusal,
    testing::Values(
        bad_step{"algorithm not offered", target_challenge(chap_algorithm::sha1),
                 chap_errc::algorithm_not_offered},
        bad_step{"unknown algorithm",
                 {{"CHAP_A", "9"}, {"CHAP_I", "1"}, {"CHAP_C", target_challenge_hex}},
                 chap_errc::algorithm_not_offered},
        bad_step{"algorithm list",
                 {{"CHAP_A", "7,5"}, {"CHAP_I", "1"}, {"CHAP_C", target_challenge_hex}},
                 chap_errc::malformed_value},
        bad_step{"Reject",
                 {{"CHAP_A", "Reject"}, {"CHAP_I", "1"}, {"CHAP_C", target_challenge_hex}},
                 chap_errc::algorithm_refused},
        bad_step{"None",
                 {{"CHAP_A", "None"}, {"CHAP_I", "1"}, {"CHAP_C", target_challenge_hex}},
                 chap_errc::algorithm_refused},
        bad_step{"identifier 256", target_challenge(chap_algorithm::md5, "256"), chap_errc::bad_identifier},
        bad_step{"identifier 0x100", target_challenge(chap_algorithm::md5, "0x100"),
                 chap_errc::bad_identifier},
        bad_step{"identifier -1", target_challenge(chap_algorithm::md5, "-1"), chap_errc::bad_identifier},
        bad_step{"empty identifier", target_challenge(chap_algorithm::md5, ""), chap_errc::bad_identifier},
        bad_step{"challenge not hex",
                 target_challenge(chap_algorithm::md5, "42", "0x10111213141516171819zz1b1c1d1e1f"),
                 chap_errc::malformed_value},
        bad_step{"challenge without prefix",
                 target_challenge(chap_algorithm::md5, "42", "101112131415161718191a1b1c1d1e1f"),
                 chap_errc::malformed_value},
        bad_step{"challenge over 1024 bytes",
                 target_challenge(chap_algorithm::md5, "42", oversized_challenge), chap_errc::value_too_long},
        bad_step{"challenge of 15 bytes",
                 target_challenge(chap_algorithm::md5, "42", "0x1112131415161718191a1b1c1d1e1f"),
                 chap_errc::challenge_too_short},
        bad_step{"no CHAP_C", {{"CHAP_A", "5"}, {"CHAP_I", "1"}}, chap_errc::missing_key},
        bad_step{"no CHAP_A", {{"CHAP_I", "1"}, {"CHAP_C", target_challenge_hex}}, chap_errc::missing_key},
        bad_step{"nothing", {}, chap_errc::missing_key},
        bad_step{"CHAP_I twice",
                 {{"CHAP_A", "5"}, {"CHAP_I", "1"}, {"CHAP_I", "2"}, {"CHAP_C", target_challenge_hex}},
                 chap_errc::duplicate_key}));

TEST(ChapInitiator, RefusesReflectedChallenge) {
    for (auto encoding : {binary_encoding::hex, binary_encoding::base64}) {
        auto chap = make(mutual_config());
        std::vector<std::byte> ours(chap.challenge().begin(), chap.challenge().end());
        auto answer =
            chap.respond(target_challenge(chap_algorithm::md5, "7", iscsi::encode_binary(ours, encoding)));
        ASSERT_FALSE(answer);
        EXPECT_EQ(answer.error(), chap_errc::challenge_reflected);
    }
}

class MutualRefusal : public testing::Test {
protected:
    void SetUp() override {
        auto answer = chap.respond(target_challenge(chap_algorithm::sha1));
        ASSERT_TRUE(answer);
        identifier = static_cast<std::uint8_t>(std::stoul(value_of(*answer, "CHAP_I")));
        our_challenge = decoded(value_of(*answer, "CHAP_C"));
    }
    std::string response_with(std::string_view secret) {
        return iscsi::encode_binary(
            *iscsi::chap_response(chap_algorithm::sha1, identifier, bytes_of(secret), our_challenge),
            binary_encoding::hex);
    }
    iscsi::chap_initiator chap = make(mutual_config());
    std::uint8_t identifier = 0;
    std::vector<std::byte> our_challenge;
};

TEST_F(MutualRefusal, WrongSecret) {
    EXPECT_EQ(chap.verify({{{"CHAP_N", target_name}, {"CHAP_R", response_with("not-the-target-secret")}}}),
              chap_errc::target_response_mismatch);
    EXPECT_FALSE(chap.complete());
}

TEST_F(MutualRefusal, OurOwnSecret) {
    // A target answering with the initiator's secret is no proof of the target's.
    EXPECT_EQ(chap.verify({{{"CHAP_N", target_name}, {"CHAP_R", response_with(initiator_secret)}}}),
              chap_errc::target_response_mismatch);
}

TEST_F(MutualRefusal, TruncatedResponse) {
    std::string truncated = response_with(target_secret).substr(0, 2 + 2 * 19);
    EXPECT_EQ(chap.verify({{{"CHAP_N", target_name}, {"CHAP_R", truncated}}}),
              chap_errc::target_response_mismatch);
}

TEST_F(MutualRefusal, WrongName) {
    EXPECT_EQ(chap.verify(
                  {{{"CHAP_N", "iqn.2003-01.org.example:other"}, {"CHAP_R", response_with(target_secret)}}}),
              chap_errc::target_name_mismatch);
}

TEST_F(MutualRefusal, MissingResponseIsFinal) {
    EXPECT_EQ(chap.verify({{{"CHAP_N", target_name}}}), chap_errc::missing_key);
    EXPECT_EQ(chap.verify({{{"CHAP_N", target_name}, {"CHAP_R", response_with(target_secret)}}}),
              chap_errc::out_of_order); // the first refusal was final
}

TEST_F(MutualRefusal, MalformedResponse) {
    EXPECT_EQ(chap.verify({{{"CHAP_N", target_name}, {"CHAP_R", "0xnothex"}}}), chap_errc::malformed_value);
}

TEST(ChapInitiator, VerifyOutOfOrder) {
    auto mutual = make(mutual_config());
    EXPECT_EQ(mutual.verify({{{"CHAP_N", target_name}, {"CHAP_R", "0x00"}}}), chap_errc::out_of_order);
    auto one_way = make(one_way_config());
    ASSERT_TRUE(one_way.respond(target_challenge(chap_algorithm::md5)));
    EXPECT_EQ(one_way.verify({{{"CHAP_N", target_name}, {"CHAP_R", "0x00"}}}), chap_errc::out_of_order);
}

TEST(ChapInitiator, RefusesBadConfiguration) {
    auto refuse = [](const iscsi::chap_config& c) {
        return iscsi::chap_initiator::create(c).error();
    };
    auto c = one_way_config();
    c.secret = "";
    EXPECT_EQ(refuse(c), chap_errc::missing_credentials);
    c = one_way_config();
    c.name = "";
    EXPECT_EQ(refuse(c), chap_errc::missing_credentials);
    c = mutual_config();
    c.target_name = "";
    EXPECT_EQ(refuse(c), chap_errc::missing_credentials);
    c = mutual_config();
    c.target_secret = "";
    EXPECT_EQ(refuse(c), chap_errc::missing_credentials);
    c = mutual_config();
    c.target_secret = initiator_secret;
    EXPECT_EQ(refuse(c), chap_errc::same_secret_both_ways);
    c = one_way_config();
    c.algorithms.clear();
    EXPECT_EQ(refuse(c), chap_errc::invalid_configuration);
    c.algorithms = {chap_algorithm::md5, chap_algorithm::md5};
    EXPECT_EQ(refuse(c), chap_errc::invalid_configuration);
    c.algorithms = {static_cast<chap_algorithm>(9)};
    EXPECT_EQ(refuse(c), chap_errc::invalid_configuration);
    c = mutual_config();
    c.challenge_length = 0;
    EXPECT_EQ(refuse(c), chap_errc::invalid_configuration);
    c.challenge_length = 1025;
    EXPECT_EQ(refuse(c), chap_errc::invalid_configuration);
}

TEST(ChapInitiator, ErrorTextNamesTheProblemNotTheSecret) {
    auto c = mutual_config();
    c.target_secret = initiator_secret;
    auto message = iscsi::chap_initiator::create(c).error().message();
    EXPECT_NE(message.find("target secret must differ"), std::string::npos) << message;
    EXPECT_EQ(message.find(initiator_secret), std::string::npos) << message;
}

} // namespace
