// SPDX-License-Identifier: GPL-2.0-or-later
// The key=value text format of RFC 7143 section 6.1.
#include "iscsi/text.hpp"

#include <gtest/gtest.h>
#include <string>

namespace {

// A string literal with its embedded NULs, without the terminating one.
template <std::size_t N>
std::string lit(const char (&s)[N]) {
    return std::string(s, N - 1);
}

std::span<const std::byte> raw(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(Text, ParsesPairsInOrderKeepingDuplicates) {
    std::string s = lit("HeaderDigest=CRC32C,None\0MaxRecvDataSegmentLength=65536\0X-com.example=a=b\0"
                        "HeaderDigest=None\0");
    auto r = iscsi::parse_text(raw(s));
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->size(), 4u);
    EXPECT_EQ((*r)[0], (iscsi::text_pair{"HeaderDigest", "CRC32C,None"}));
    EXPECT_EQ((*r)[1], (iscsi::text_pair{"MaxRecvDataSegmentLength", "65536"}));
    EXPECT_EQ((*r)[2], (iscsi::text_pair{"X-com.example", "a=b"})); // only the first '=' separates
    EXPECT_EQ((*r)[3], (iscsi::text_pair{"HeaderDigest", "None"}));
}

TEST(Text, AcceptsPublicExtensionKeys) {
    auto r = iscsi::parse_text(raw(lit("X#NodeArchitecture=LIO,6.1\0")));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ((*r)[0].key, "X#NodeArchitecture");
}

TEST(Text, EmptyValueAndEmptyText) {
    std::string s = lit("TargetAlias=\0");
    auto r = iscsi::parse_text(raw(s));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].value, "");
    auto none = iscsi::parse_text({});
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST(Text, AcceptsMissingFinalNul) {
    auto r = iscsi::parse_text(raw("A=1"));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0], (iscsi::text_pair{"A", "1"}));
}

TEST(Text, RejectsMalformedPairs) {
    for (std::string bad : {lit("NoEquals\0"), lit("=value\0"), lit("A=1\0\0"), lit("Bad Key=1\0"),
                            std::string(64, 'K') + "=1"}) {
        auto r = iscsi::parse_text(raw(bad));
        EXPECT_EQ(r.error(), iscsi::errc::bad_format) << "accepted: " << bad;
    }
}

TEST(Text, ValueLengthLimit) {
    std::string ok = "CHAP_C=" + std::string(iscsi::max_text_value_length, 'a');
    EXPECT_TRUE(iscsi::parse_text(raw(ok)));
    EXPECT_FALSE(iscsi::parse_text(raw(ok + "a")));
}

TEST(Text, RoundTrip) {
    std::vector<iscsi::text_pair> pairs{{"InitiatorName", "iqn.2026-11.org.example:host"},
                                        {"SessionType", "Normal"}};
    auto bytes = iscsi::encode_text(pairs);
    EXPECT_EQ(bytes.size(), std::string("InitiatorName=iqn.2026-11.org.example:host").size() + 1 + 19);
    EXPECT_EQ(bytes.back(), std::byte{0});
    auto back = iscsi::parse_text(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, pairs);
}

} // namespace
