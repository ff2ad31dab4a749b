// SPDX-License-Identifier: GPL-2.0-or-later
// Portals: every form a user or a TargetAddress uses parses to the expected host, port and TPGT,
// prints back in normal form, and every malformed one is refused with its reason.
#include "iscsi/portal.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <string>

namespace {

using iscsi::host_kind;
using iscsi::parse_portal;
using iscsi::portal_errc;

struct good_portal {
    const char* text;
    const char* host;
    host_kind kind;
    std::uint16_t port;
    std::optional<std::uint16_t> tpgt;
    const char* printed;
};

class PortalParse : public testing::TestWithParam<good_portal> {};

TEST_P(PortalParse, GivesHostPortAndTpgt) {
    const auto& want = GetParam();
    auto p = parse_portal(want.text);
    ASSERT_TRUE(p) << want.text << ": " << p.error().message();
    EXPECT_EQ(p->host, want.host);
    EXPECT_EQ(p->kind, want.kind);
    EXPECT_EQ(p->port, want.port);
    EXPECT_EQ(p->tpgt, want.tpgt);
    EXPECT_EQ(p->to_string(), want.printed);
}

TEST_P(PortalParse, PrintedFormParsesToTheSamePortal) {
    auto p = parse_portal(GetParam().text);
    ASSERT_TRUE(p);
    auto again = parse_portal(p->to_string());
    ASSERT_TRUE(again) << p->to_string();
    EXPECT_EQ(*again, *p);
}

constexpr auto v4 = host_kind::ipv4;
constexpr auto v6 = host_kind::ipv6;
constexpr auto dns = host_kind::dns_name;
constexpr std::optional<std::uint16_t> none;

INSTANTIATE_TEST_SUITE_P(
    Portal, PortalParse,
    testing::Values(
        good_portal{"192.0.2.1", "192.0.2.1", v4, 3260, none, "192.0.2.1:3260"},
        good_portal{"192.0.2.1:3261", "192.0.2.1", v4, 3261, none, "192.0.2.1:3261"},
        good_portal{"10.0.0.1:3260,1", "10.0.0.1", v4, 3260, 1, "10.0.0.1:3260,1"},
        good_portal{"10.0.0.1,0", "10.0.0.1", v4, 3260, 0, "10.0.0.1:3260,0"},
        good_portal{"10.0.0.1:65535,65535", "10.0.0.1", v4, 65535, 65535, "10.0.0.1:65535,65535"},
        good_portal{"10.0.0.1:03260", "10.0.0.1", v4, 3260, none, "10.0.0.1:3260"},
        good_portal{"[2001:db8::1]:3260", "2001:db8::1", v6, 3260, none, "[2001:db8::1]:3260"},
        good_portal{"[2001:DB8:0:0:0::1]:3262", "2001:db8::1", v6, 3262, none, "[2001:db8::1]:3262"},
        good_portal{"[2001:db8::1]", "2001:db8::1", v6, 3260, none, "[2001:db8::1]:3260"},
        good_portal{"[2001:db8::1],5", "2001:db8::1", v6, 3260, 5, "[2001:db8::1]:3260,5"},
        good_portal{"[2001:db8::1]:3260,2", "2001:db8::1", v6, 3260, 2, "[2001:db8::1]:3260,2"},
        good_portal{"2001:db8::1", "2001:db8::1", v6, 3260, none, "[2001:db8::1]:3260"},
        good_portal{"::1", "::1", v6, 3260, none, "[::1]:3260"},
        good_portal{"[fe80::1%eth0]:3260", "fe80::1%eth0", v6, 3260, none, "[fe80::1%eth0]:3260"},
        good_portal{"fe80::1%2", "fe80::1%2", v6, 3260, none, "[fe80::1%2]:3260"},
        good_portal{"[FE80::A%br-lan.100]:3260,1", "fe80::a%br-lan.100", v6, 3260, 1,
                    "[fe80::a%br-lan.100]:3260,1"},
        good_portal{"[::ffff:192.0.2.1]:3260", "::ffff:192.0.2.1", v6, 3260, none, "[::ffff:192.0.2.1]:3260"},
        good_portal{"san.example.com:3260", "san.example.com", dns, 3260, none, "san.example.com:3260"},
        good_portal{"SAN.Example.COM", "san.example.com", dns, 3260, none, "san.example.com:3260"},
        good_portal{"localhost,3", "localhost", dns, 3260, 3, "localhost:3260,3"},
        good_portal{"1-san.example.com", "1-san.example.com", dns, 3260, none, "1-san.example.com:3260"}));

struct bad_portal {
    const char* text;
    portal_errc reason;
};

class PortalRefusal : public testing::TestWithParam<bad_portal> {};

TEST_P(PortalRefusal, GivesTheReason) {
    auto p = parse_portal(GetParam().text);
    ASSERT_FALSE(p) << GetParam().text << " parsed as " << p->to_string();
    EXPECT_EQ(p.error(), GetParam().reason) << GetParam().text << ": " << p.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Portal, PortalRefusal,
    testing::Values(
        bad_portal{"", portal_errc::empty}, bad_portal{":3260", portal_errc::empty_host},
        bad_portal{"[]:3260", portal_errc::empty_host}, bad_portal{",1", portal_errc::empty_host},
        bad_portal{"192.0.2.1:0", portal_errc::port_out_of_range},
        bad_portal{"192.0.2.1:65536", portal_errc::port_out_of_range},
        bad_portal{"192.0.2.1:99999999999999999999", portal_errc::port_out_of_range},
        bad_portal{"192.0.2.1:", portal_errc::bad_port}, bad_portal{"192.0.2.1:abc", portal_errc::bad_port},
        bad_portal{"192.0.2.1:+1", portal_errc::bad_port}, bad_portal{"192.0.2.1:-1", portal_errc::bad_port},
        bad_portal{"192.0.2.1: 3260", portal_errc::bad_port}, bad_portal{"[::1]:", portal_errc::bad_port},
        bad_portal{"[::1]:3260x", portal_errc::bad_port},
        bad_portal{"[2001:db8::1", portal_errc::unbalanced_brackets},
        bad_portal{"2001:db8::1]", portal_errc::unbalanced_brackets},
        bad_portal{"[[::1]]:3260", portal_errc::unbalanced_brackets},
        bad_portal{"[::1]]:3260", portal_errc::unbalanced_brackets},
        bad_portal{"[::1]x", portal_errc::junk_after_bracket},
        bad_portal{"[::1]3260", portal_errc::junk_after_bracket},
        bad_portal{"10.0.0.1,", portal_errc::bad_tpgt}, bad_portal{"10.0.0.1,x", portal_errc::bad_tpgt},
        bad_portal{"10.0.0.1,65536", portal_errc::bad_tpgt},
        bad_portal{"10.0.0.1,1,2", portal_errc::bad_tpgt},
        bad_portal{"[192.0.2.1]:3260", portal_errc::bad_ipv6},
        bad_portal{"[2001:db8::g]:3260", portal_errc::bad_ipv6},
        bad_portal{"2001:db8:::1", portal_errc::bad_ipv6}, bad_portal{"256.0.0.1", portal_errc::bad_ipv4},
        bad_portal{"1.2.3", portal_errc::bad_ipv4}, bad_portal{"01.2.3.4", portal_errc::bad_ipv4},
        bad_portal{"3260", portal_errc::bad_ipv4},
        bad_portal{"san_1.example.com", portal_errc::bad_host_name},
        bad_portal{"-san.example.com", portal_errc::bad_host_name},
        bad_portal{"san-.example.com", portal_errc::bad_host_name},
        bad_portal{"san..example.com", portal_errc::bad_host_name},
        bad_portal{"san.example.com.", portal_errc::bad_host_name},
        bad_portal{"san example", portal_errc::bad_host_name},
        bad_portal{"[fe80::1%]:3260", portal_errc::bad_zone},
        bad_portal{"[fe80::1%eth/0]:3260", portal_errc::bad_zone},
        bad_portal{"[fe80::1%0123456789abcdef]:3260", portal_errc::bad_zone},
        bad_portal{"[2001:db8::1%eth0]:3260", portal_errc::zone_not_link_local},
        bad_portal{"192.0.2.1%eth0:3260", portal_errc::zone_not_link_local},
        bad_portal{"san.example.com%eth0", portal_errc::zone_not_link_local}));

TEST(Portal, LongestHostNameLabelIs63) {
    std::string label63(63, 'a');
    EXPECT_TRUE(parse_portal(label63 + ".example.com"));
    EXPECT_EQ(parse_portal(label63 + "a.example.com").error(), portal_errc::bad_host_name);
}

TEST(Portal, EqualityComparesNormalForm) {
    EXPECT_EQ(*parse_portal("SAN.example.com:3260"), *parse_portal("san.example.com"));
    EXPECT_EQ(*parse_portal("[2001:db8:0::1]"), *parse_portal("2001:db8::1"));
    EXPECT_NE(*parse_portal("10.0.0.1:3260,1"), *parse_portal("10.0.0.1:3260,2"));
    EXPECT_NE(*parse_portal("10.0.0.1:3260,1"), *parse_portal("10.0.0.1:3260"));
    EXPECT_NE(*parse_portal("[fe80::1%eth0]"), *parse_portal("[fe80::1%eth1]"));
}

TEST(Portal, ZoneAndLinkLocal) {
    auto scoped = parse_portal("[fe80::1%eth0]:3260");
    ASSERT_TRUE(scoped);
    EXPECT_EQ(scoped->zone(), "eth0");
    EXPECT_TRUE(scoped->is_link_local());

    auto unscoped = parse_portal("[febf::1]:3260");
    ASSERT_TRUE(unscoped);
    EXPECT_EQ(unscoped->zone(), "");
    EXPECT_TRUE(unscoped->is_link_local());

    EXPECT_FALSE(parse_portal("[fec0::1]")->is_link_local());
    EXPECT_FALSE(parse_portal("192.0.2.1")->is_link_local());
}

TEST(Portal, ReasonsReadAsSentences) {
    EXPECT_EQ(parse_portal("192.0.2.1:0").error().message(), "portal: port must be from 1 to 65535");
    EXPECT_STREQ(parse_portal("").error().category().name(), "iscsi-portal");
}

} // namespace
