// SPDX-License-Identifier: GPL-2.0-or-later
// SendTargets: the request keys, and responses as targets send them (hand-assembled text with
// several targets, IPv6 and TPGTs, missing addresses), including the bad entries we skip or refuse.
#include "iscsi/discovery.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

using iscsi::discovery_errc;
using iscsi::text_pair;

iscsi::portal portal_of(std::string_view text) {
    auto p = iscsi::parse_portal(text);
    EXPECT_TRUE(p) << text;
    return *p;
}

std::vector<iscsi::portal> portals_of(std::initializer_list<std::string_view> texts) {
    std::vector<iscsi::portal> out;
    for (auto t : texts)
        out.push_back(portal_of(t));
    return out;
}

// The data segment of a Text Response, as bytes on the wire.
std::vector<text_pair> wire(std::string_view text) {
    auto pairs = iscsi::parse_text(std::as_bytes(std::span(text.data(), text.size())));
    EXPECT_TRUE(pairs);
    return *pairs;
}

const iscsi::portal asked = portal_of("192.0.2.10:3260");

TEST(SendTargetsRequest, AllAndOneTarget) {
    EXPECT_EQ(iscsi::sendtargets_all(), (text_pair{"SendTargets", "All"}));
    auto one = iscsi::sendtargets_for("IQN.2001-04.com.example:Disk");
    ASSERT_TRUE(one);
    EXPECT_EQ(*one, (text_pair{"SendTargets", "iqn.2001-04.com.example:disk"}));
    EXPECT_EQ(iscsi::sendtargets_for("disk").error(), iscsi::name_errc::unknown_type);
}

TEST(SendTargetsResponse, SeveralTargetsWithAddressesAliasAndNone) {
    using namespace std::string_view_literals;
    auto response = wire("TargetName=iqn.1993-11.com.acme:diskarray.sn.8675309\0"
                         "TargetAddress=10.1.0.45:5300,1\0"
                         "TargetAddress=[2001:db8::45]:3260,2\0"
                         "TargetAlias=Database disks\0"
                         "TargetName=eui.02004567A425678D\0"
                         "TargetAddress=san.acme.com,3\0"
                         "TargetName=iqn.1993-11.com.acme:tape\0"sv);
    auto r = iscsi::parse_sendtargets(response, asked);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->skipped.empty());
    ASSERT_EQ(r->targets.size(), 3u);

    EXPECT_EQ(r->targets[0].name.str(), "iqn.1993-11.com.acme:diskarray.sn.8675309");
    EXPECT_EQ(r->targets[0].alias, "Database disks");
    EXPECT_EQ(r->targets[0].portals, portals_of({"10.1.0.45:5300,1", "[2001:db8::45]:3260,2"}));
    EXPECT_EQ(r->targets[0].portals[1].tpgt, 2);

    EXPECT_EQ(r->targets[1].name.str(), "eui.02004567a425678d");
    EXPECT_EQ(r->targets[1].alias, "");
    EXPECT_EQ(r->targets[1].portals, portals_of({"san.acme.com:3260,3"}));

    // No TargetAddress: reachable at the portal we asked.
    EXPECT_EQ(r->targets[2].name.str(), "iqn.1993-11.com.acme:tape");
    EXPECT_EQ(r->targets[2].portals, portals_of({"192.0.2.10:3260"}));
}

TEST(SendTargetsResponse, EmptyResponseHasNoTargets) {
    auto r = iscsi::parse_sendtargets({}, asked);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->targets.empty());
    EXPECT_TRUE(r->skipped.empty());
}

TEST(SendTargetsResponse, TargetWithoutAddressDoesNotInheritTheDiscoveryTpgt) {
    auto r = iscsi::parse_sendtargets(std::vector<text_pair>{{"TargetName", "iqn.2001-04.com.example:a"}},
                                      portal_of("[2001:db8::10]:3261,7"));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->targets.size(), 1u);
    EXPECT_EQ(r->targets[0].portals, portals_of({"[2001:db8::10]:3261"}));
}

TEST(SendTargetsResponse, AddressBeforeAnyNameFailsTheResponse) {
    std::vector<text_pair> response{{"TargetAddress", "10.0.0.1:3260,1"},
                                    {"TargetName", "iqn.2001-04.com.example:a"}};
    auto r = iscsi::parse_sendtargets(response, asked);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), discovery_errc::address_before_name);
    EXPECT_EQ(r.error().message(), "SendTargets: TargetAddress before any TargetName");
}

TEST(SendTargetsResponse, AliasBeforeAnyNameFailsTheResponse) {
    std::vector<text_pair> response{{"TargetAlias", "disks"}, {"TargetName", "iqn.2001-04.com.example:a"}};
    EXPECT_EQ(iscsi::parse_sendtargets(response, asked).error(), discovery_errc::alias_before_name);
}

TEST(SendTargetsResponse, InvalidNameIsSkippedWithItsAddresses) {
    std::vector<text_pair> response{{"TargetName", "iqn.2001-04.com.example:bad name"},
                                    {"TargetAddress", "10.0.0.1:3260,1"},
                                    {"TargetAlias", "bad"},
                                    {"TargetName", "iqn.2001-04.com.example:good"},
                                    {"TargetAddress", "10.0.0.2:3260,1"}};
    auto r = iscsi::parse_sendtargets(response, asked);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->targets.size(), 1u);
    EXPECT_EQ(r->targets[0].name.str(), "iqn.2001-04.com.example:good");
    EXPECT_EQ(r->targets[0].alias, "");
    EXPECT_EQ(r->targets[0].portals, portals_of({"10.0.0.2:3260,1"}));
    ASSERT_EQ(r->skipped.size(), 1u);
    EXPECT_EQ(r->skipped[0].entry, response[0]);
    EXPECT_EQ(r->skipped[0].reason, iscsi::name_errc::bad_character);
}

TEST(SendTargetsResponse, InvalidAddressIsSkipped) {
    std::vector<text_pair> response{{"TargetName", "iqn.2001-04.com.example:a"},
                                    {"TargetAddress", "10.0.0.1:0,1"},
                                    {"TargetAddress", "[2001:db8::1:3260,1"},
                                    {"TargetAddress", "10.0.0.2:3260,1"}};
    auto r = iscsi::parse_sendtargets(response, asked);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->targets.size(), 1u);
    EXPECT_EQ(r->targets[0].portals, portals_of({"10.0.0.2:3260,1"}));
    ASSERT_EQ(r->skipped.size(), 2u);
    EXPECT_EQ(r->skipped[0], (iscsi::skipped_entry{response[1], iscsi::portal_errc::port_out_of_range}));
    EXPECT_EQ(r->skipped[1], (iscsi::skipped_entry{response[2], iscsi::portal_errc::unbalanced_brackets}));
}

TEST(SendTargetsResponse, TargetWhoseEveryAddressIsInvalidIsSkipped) {
    // Its addresses are not the discovery portal: falling back to it would be wrong.
    std::vector<text_pair> response{{"TargetName", "iqn.2001-04.com.example:a"},
                                    {"TargetAddress", "300.0.0.1,1"}};
    auto r = iscsi::parse_sendtargets(response, asked);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->targets.empty());
    ASSERT_EQ(r->skipped.size(), 2u);
    EXPECT_EQ(r->skipped[0], (iscsi::skipped_entry{response[1], iscsi::portal_errc::bad_ipv4}));
    EXPECT_EQ(r->skipped[1], (iscsi::skipped_entry{response[0], discovery_errc::no_usable_address}));
}

TEST(SendTargetsResponse, RepeatedTargetAndAddressAreMerged) {
    std::vector<text_pair> response{
        {"TargetName", "iqn.2001-04.com.example:a"}, {"TargetAddress", "10.0.0.1:3260,1"},
        {"TargetName", "iqn.2001-04.com.example:b"}, {"TargetName", "IQN.2001-04.com.example:A"},
        {"TargetAddress", "10.0.0.1:3260,1"},        {"TargetAddress", "10.0.0.2:3260,1"}};
    auto r = iscsi::parse_sendtargets(response, asked);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->targets.size(), 2u);
    EXPECT_EQ(r->targets[0].name.str(), "iqn.2001-04.com.example:a");
    EXPECT_EQ(r->targets[0].portals, portals_of({"10.0.0.1:3260,1", "10.0.0.2:3260,1"}));
    EXPECT_EQ(r->targets[1].name.str(), "iqn.2001-04.com.example:b");
}

TEST(SendTargetsResponse, LinkLocalAddressTakesTheDiscoveryZone) {
    // eth9 is the target's interface, not ours: only the link we discovered over can reach it.
    std::vector<text_pair> response{{"TargetName", "iqn.2001-04.com.example:a"},
                                    {"TargetAddress", "[fe80::2]:3260,1"},
                                    {"TargetAddress", "[fe80::3%eth9]:3260,1"},
                                    {"TargetAddress", "[2001:db8::2]:3260,1"}};
    auto r = iscsi::parse_sendtargets(response, portal_of("[fe80::1%eth1]:3260"));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->targets.size(), 1u);
    EXPECT_EQ(r->targets[0].portals,
              portals_of({"[fe80::2%eth1]:3260,1", "[fe80::3%eth1]:3260,1", "[2001:db8::2]:3260,1"}));

    auto unzoned = iscsi::parse_sendtargets(response, asked);
    ASSERT_TRUE(unzoned);
    EXPECT_EQ(unzoned->targets[0].portals,
              portals_of({"[fe80::2]:3260,1", "[fe80::3]:3260,1", "[2001:db8::2]:3260,1"}));
}

TEST(SendTargetsResponse, OtherKeysAreIgnored) {
    std::vector<text_pair> response{{"X-com.example.Vendor", "1"},
                                    {"TargetName", "iqn.2001-04.com.example:a"},
                                    {"MaxRecvDataSegmentLength", "8192"},
                                    {"TargetAddress", "10.0.0.1:3260,1"}};
    auto r = iscsi::parse_sendtargets(response, asked);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->targets.size(), 1u);
    EXPECT_EQ(r->targets[0].portals, portals_of({"10.0.0.1:3260,1"}));
    EXPECT_TRUE(r->skipped.empty());
}

} // namespace
