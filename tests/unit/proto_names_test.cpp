// SPDX-License-Identifier: GPL-2.0-or-later
// iSCSI names: the RFC 7143 / RFC 3980 examples are accepted and normalised, every malformed name is
// refused with the reason a user would need, and generated initiator names are valid and random.
#include "iscsi/names.hpp"

#include <gtest/gtest.h>
#include <string>

namespace {

using iscsi::name_errc;
using iscsi::name_type;
using iscsi::parse_name;

TEST(Names, AcceptsRfcExamples) {
    // RFC 7143 section 4.2.7.4 and RFC 3980 section 4.1.
    for (const char* name :
         {"iqn.2001-04.com.example", "iqn.2001-04.com.example:storage:diskarrays-sn-a8675309",
          "iqn.2001-04.com.example:storage.tape1.sys1.xyz",
          "iqn.2001-04.com.example:storage.disk2.sys1.xyz"}) {
        auto r = parse_name(name);
        ASSERT_TRUE(r) << name << ": " << r.error().message();
        EXPECT_EQ(r->str(), name);
        EXPECT_EQ(r->type(), name_type::iqn);
    }
}

TEST(Names, NormalisesToLowerCase) {
    auto iqn = parse_name("IQN.2001-04.COM.Example:Storage.Disk2");
    ASSERT_TRUE(iqn);
    EXPECT_EQ(iqn->str(), "iqn.2001-04.com.example:storage.disk2");

    auto eui = parse_name("EUI.02004567A425678D");
    ASSERT_TRUE(eui);
    EXPECT_EQ(eui->type(), name_type::eui);
    EXPECT_EQ(eui->str(), "eui.02004567a425678d");

    auto naa64 = parse_name("naa.52004567BA64678D");
    ASSERT_TRUE(naa64);
    EXPECT_EQ(naa64->type(), name_type::naa);
    EXPECT_EQ(naa64->str(), "naa.52004567ba64678d");

    auto naa128 = parse_name("naa.62004567BA64678D0123456789ABCDEF");
    ASSERT_TRUE(naa128);
    EXPECT_EQ(naa128->str(), "naa.62004567ba64678d0123456789abcdef");
}

TEST(Names, NamesDifferingOnlyInCaseAreEqual) {
    EXPECT_EQ(*parse_name("iqn.2001-04.com.example:Disk"), *parse_name("IQN.2001-04.com.EXAMPLE:disk"));
    EXPECT_NE(*parse_name("iqn.2001-04.com.example:disk1"), *parse_name("iqn.2001-04.com.example:disk2"));
}

TEST(Names, LengthLimitIs223Bytes) {
    std::string prefix = "iqn.2001-04.com.example:";
    std::string longest = prefix + std::string(223 - prefix.size(), 'x');
    EXPECT_TRUE(parse_name(longest));
    EXPECT_EQ(parse_name(longest + "x").error(), name_errc::too_long);
}

struct bad_name {
    const char* text;
    name_errc reason;
};

class NameRefusal : public testing::TestWithParam<bad_name> {};

TEST_P(NameRefusal, GivesTheReason) {
    auto r = parse_name(GetParam().text);
    ASSERT_FALSE(r) << GetParam().text;
    EXPECT_EQ(r.error(), GetParam().reason) << GetParam().text << ": " << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Names, NameRefusal,
    testing::Values(bad_name{"", name_errc::empty},
                    bad_name{"iqn.2001-04.com.example:\xc3\xa9", name_errc::non_ascii},
                    bad_name{"iqn.2001-04.com.example:a_b", name_errc::bad_character},
                    bad_name{"iqn.2001-04.com.example:a b", name_errc::bad_character},
                    bad_name{"iqn.2001-04.com.example:a/b", name_errc::bad_character},
                    bad_name{"iqn.2001-04.com.example:a@b", name_errc::bad_character},
                    bad_name{"foo.2001-04.com.example", name_errc::unknown_type},
                    bad_name{"iqn", name_errc::unknown_type},
                    bad_name{"2001-04.com.example", name_errc::unknown_type},
                    bad_name{"iqn.com.example", name_errc::iqn_missing_date},
                    bad_name{"iqn.", name_errc::iqn_missing_date},
                    bad_name{"iqn.2001-4.com.example", name_errc::iqn_bad_date},
                    bad_name{"iqn.2001.com.example", name_errc::iqn_bad_date},
                    bad_name{"iqn.2001-00.com.example", name_errc::iqn_bad_date},
                    bad_name{"iqn.2001-13.com.example", name_errc::iqn_bad_date},
                    bad_name{"iqn.20011-04.com.example", name_errc::iqn_bad_date},
                    bad_name{"iqn.2001-045.com.example", name_errc::iqn_bad_date},
                    bad_name{"iqn.2001-04", name_errc::iqn_missing_authority},
                    bad_name{"iqn.2001-04.", name_errc::iqn_missing_authority},
                    bad_name{"iqn.2001-04:disk", name_errc::iqn_missing_authority},
                    bad_name{"iqn.2001-04.:disk", name_errc::iqn_missing_authority},
                    bad_name{"iqn.2001-04.com..example", name_errc::iqn_bad_authority},
                    bad_name{"iqn.2001-04.com.example.:disk", name_errc::iqn_bad_authority},
                    bad_name{"iqn.2001-04..com.example", name_errc::iqn_bad_authority},
                    bad_name{"iqn.2001-04.com.example:", name_errc::iqn_empty_unique_part},
                    bad_name{"eui.02004567A425678", name_errc::eui_bad_identifier},
                    bad_name{"eui.02004567A425678D0", name_errc::eui_bad_identifier},
                    bad_name{"eui.02004567A425678G", name_errc::eui_bad_identifier},
                    bad_name{"eui.", name_errc::eui_bad_identifier},
                    bad_name{"naa.52004567BA64678D01", name_errc::naa_bad_identifier},
                    bad_name{"naa.52004567BA64678X", name_errc::naa_bad_identifier},
                    bad_name{"naa.62004567BA64678D0123456789ABCDE:", name_errc::naa_bad_identifier}));

TEST(Names, ReasonsReadAsSentences) {
    EXPECT_EQ(parse_name("iqn.com.example").error().message(),
              "iqn: missing date (iqn.yyyy-mm.reversed.domain)");
    EXPECT_EQ(parse_name("eui.1234").error().message(), "eui: must be followed by exactly 16 hex digits");
    EXPECT_STREQ(parse_name("x").error().category().name(), "iscsi-name");
}

bool is_lower_hex(const std::string& s) {
    return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(Names, GeneratedInitiatorNameHasOpenIscsiFormat) {
    auto name = iscsi::generate_initiator_name();
    ASSERT_TRUE(name);
    const std::string prefix = "iqn.2016-04.com.open-iscsi:";
    ASSERT_EQ(name->str().substr(0, prefix.size()), prefix);
    std::string random = name->str().substr(prefix.size());
    EXPECT_EQ(random.size(), 12u);
    EXPECT_TRUE(is_lower_hex(random)) << random;
    EXPECT_TRUE(parse_name(name->str()));
}

TEST(Names, GeneratedInitiatorNamesDiffer) {
    // 48 random bits: two equal names would mean the generator is not random.
    EXPECT_NE(*iscsi::generate_initiator_name(), *iscsi::generate_initiator_name());
}

TEST(Names, GeneratedInitiatorNameTakesPrefix) {
    auto name = iscsi::generate_initiator_name("IQN.1993-08.org.debian:01");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->str().substr(0, 26), "iqn.1993-08.org.debian:01:");
    EXPECT_EQ(name->str().size(), 26u + 12u);
    EXPECT_EQ(iscsi::generate_initiator_name("host1").error(), name_errc::unknown_type);
}

} // namespace
