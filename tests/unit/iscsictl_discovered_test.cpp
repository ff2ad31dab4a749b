// SPDX-License-Identifier: GPL-2.0-or-later
// The discovery side of the store: the `discover` request a discovery section resolves to, and the
// merge of a SendTargets answer (added, updated, unchanged, vanished; nothing deleted).
#include "discovered.hpp"

#include <gtest/gtest.h>

namespace iscsictl {
namespace {

using json = nlohmann::json;

constexpr std::string_view vol1 = "iqn.2003-01.org.example:vol1";
constexpr std::string_view vol2 = "iqn.2003-01.org.example:vol2";
constexpr std::string_view initiator = "iqn.2026-11.org.example:host1";

store parse_ok(std::string_view text) {
    auto parsed = store::parse(text, "t.ini");
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error_value().message);
    return parsed ? std::move(*parsed) : store{};
}

TEST(DiscoveryRequest, ResolvesDefaultsAndInheritedCredentials) {
    store s = parse_ok("[initiator]\nalias = host1\nchap-secret = 0123456789abcdef\n\n"
                       "[discovery \"192.0.2.1:3260\"]\nauth = chap\nlogin-timeout = 7\ninterval = 600\n");
    auto r = discovery_request(s, "192.0.2.1", std::string(initiator));
    ASSERT_TRUE(r) << r.error_value().message;
    EXPECT_EQ((*r)["portal"], "192.0.2.1:3260");
    EXPECT_EQ((*r)["initiator-name"], initiator);
    EXPECT_EQ((*r)["initiator-alias"], "host1");
    EXPECT_EQ((*r)["auth"], "chap");
    EXPECT_EQ((*r)["chap-name"], initiator); // computed: no chap-name anywhere
    EXPECT_EQ((*r)["chap-secret"], "0123456789abcdef");
    EXPECT_EQ((*r)["login-timeout"], 7);
    EXPECT_EQ((*r)["chap-algorithms"], json::array({"sha3-256", "sha-256", "sha-1", "md5"}));
    EXPECT_FALSE(r->contains("interval"));
    EXPECT_FALSE(r->contains("method"));
}

TEST(DiscoveryRequest, PortalNotInStoreGetsDefaults) {
    store s;
    auto r = discovery_request(s, "[2001:db8::1]:3261", std::string(initiator));
    ASSERT_TRUE(r) << r.error_value().message;
    EXPECT_EQ((*r)["portal"], "[2001:db8::1]:3261");
    EXPECT_EQ((*r)["auth"], "none");
    EXPECT_EQ((*r)["login-timeout"], 15);
    EXPECT_FALSE(r->contains("chap-secret"));
    EXPECT_FALSE(r->contains("initiator-alias"));
}

TEST(DiscoveryRequest, MalformedPortalIsUsageError) {
    store s;
    auto r = discovery_request(s, "1.2.3.4:99999", std::string(initiator));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_value().code, exit_code::usage);
}

TEST(MergeDiscovered, AddsNewTargetsWithPortalsAndOrigin) {
    store s = parse_ok("# my targets\n[initiator]\nalias = host1\n");
    std::vector<discovered_target> found{{std::string(vol1), {"192.0.2.1:3260,1", "[2001:db8::1]:3260,1"}},
                                         {std::string(vol2), {}}};
    auto r = merge_discovered(s, "192.0.2.1", found);
    ASSERT_TRUE(r) << r.error_value().message;
    EXPECT_EQ(r->portal, "192.0.2.1:3260");
    EXPECT_EQ(r->added, (std::vector<std::string>{std::string(vol1), std::string(vol2)}));
    EXPECT_TRUE(r->updated.empty() && r->unchanged.empty() && r->vanished.empty());
    EXPECT_EQ(s.text(), "# my targets\n[initiator]\nalias = host1\n\n"
                        "[target \"iqn.2003-01.org.example:vol1\"]\n"
                        "portal = 192.0.2.1:3260,1\nportal = [2001:db8::1]:3260,1\n"
                        "discovered-from = 192.0.2.1:3260\n\n"
                        "[target \"iqn.2003-01.org.example:vol2\"]\n"
                        "portal = 192.0.2.1:3260\ndiscovered-from = 192.0.2.1:3260\n");
    // What was written parses back.
    EXPECT_TRUE(store::parse(s.text(), "t.ini"));
}

TEST(MergeDiscovered, KnownTargetsGetMissingPortalsOnly) {
    store s = parse_ok("[target \"iqn.2003-01.org.example:vol1\"]\nportal = 192.0.2.1:3260 ; by hand\n"
                       "startup = automatic\n\n"
                       "[target \"iqn.2003-01.org.example:vol2\"]\nportal = 192.0.2.1:3260\n");
    std::vector<discovered_target> found{{std::string(vol1), {"192.0.2.1:3260,1", "192.0.2.2:3260,1"}},
                                         {"IQN.2003-01.ORG.EXAMPLE:VOL2", {"192.0.2.1:3260,2"}}};
    auto r = merge_discovered(s, "192.0.2.1:3260", found);
    ASSERT_TRUE(r) << r.error_value().message;
    EXPECT_TRUE(r->added.empty());
    EXPECT_EQ(r->updated, std::vector<std::string>{std::string(vol1)});
    EXPECT_EQ(r->unchanged, std::vector<std::string>{std::string(vol2)});
    // Hand-added targets keep their record and gain no discovered-from.
    EXPECT_EQ(s.text(), "[target \"iqn.2003-01.org.example:vol1\"]\nportal = 192.0.2.1:3260 ; by hand\n"
                        "portal = 192.0.2.2:3260,1\nstartup = automatic\n\n"
                        "[target \"iqn.2003-01.org.example:vol2\"]\nportal = 192.0.2.1:3260\n");
}

TEST(MergeDiscovered, VanishedTargetsAreReportedNotDeleted) {
    std::string text = "[target \"iqn.2003-01.org.example:vol1\"]\nportal = 192.0.2.1:3260,1\n"
                       "discovered-from = 192.0.2.1:3260\n\n"
                       "[target \"iqn.2003-01.org.example:vol2\"]\nportal = 192.0.2.9:3260,1\n"
                       "discovered-from = 192.0.2.9:3260\n";
    store s = parse_ok(text);
    auto r = merge_discovered(s, "192.0.2.1", {});
    ASSERT_TRUE(r) << r.error_value().message;
    EXPECT_EQ(r->vanished, std::vector<std::string>{std::string(vol1)}); // vol2 came from another portal
    EXPECT_EQ(s.text(), text);
    EXPECT_EQ(to_json(*r), json::parse(R"({"portal": "192.0.2.1:3260", "added": [], "updated": [],
        "unchanged": [], "vanished": ["iqn.2003-01.org.example:vol1"]})"));
}

TEST(MergeDiscovered, MalformedAnswersAreSkipped) {
    store s;
    std::vector<discovered_target> found{{"not a name", {"192.0.2.1:3260,1"}},
                                         {std::string(vol1), {"1.2.3.4:99999", "bad host!"}},
                                         {std::string(vol2), {"192.0.2.1:3260,1", "junk]"}},
                                         {std::string(vol2), {"192.0.2.5:3260,1"}}};
    auto r = merge_discovered(s, "192.0.2.1", found);
    ASSERT_TRUE(r) << r.error_value().message;
    EXPECT_EQ(r->added, std::vector<std::string>{std::string(vol2)});
    EXPECT_EQ(s.text(), "[target \"iqn.2003-01.org.example:vol2\"]\nportal = 192.0.2.1:3260,1\n"
                        "discovered-from = 192.0.2.1:3260\n");
    EXPECT_TRUE(store::parse(s.text(), "t.ini"));
}

TEST(MergeDiscovered, MalformedDiscoveryPortal) {
    store s;
    auto r = merge_discovered(s, "", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_value().code, exit_code::usage);
}

TEST(DiscoveryKeys, IntervalIsZeroOrAMinuteToADay) {
    const key_def* key = find_key(section_kind::discovery, "interval");
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(key->default_value, "0");
    for (std::string_view ok : {"0", "60", "3600", "86400"})
        EXPECT_TRUE(normalise_value(*key, ok)) << ok;
    for (std::string_view bad : {"1", "59", "86401", "-1", "x"}) {
        auto r = normalise_value(*key, bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error_value().code, exit_code::usage);
    }
    EXPECT_EQ(describe_values(*key), "integer 0 or 60..86400 (seconds)");
    EXPECT_NE(normalise_value(*key, "30").error_value().message.find("0 or 60..86400"), std::string::npos);
}

TEST(DiscoveryKeys, MaxOutstandingR2tIsWhatTheKernelKeeps) {
    const key_def* key = find_key(section_kind::target, "max-outstanding-r2t");
    ASSERT_NE(key, nullptr);
    EXPECT_TRUE(normalise_value(*key, "16"));
    EXPECT_FALSE(normalise_value(*key, "17"));
    EXPECT_FALSE(normalise_value(*key, "0"));
}

TEST(DiscoveryKeys, DiscoveredFromIsAPortal) {
    const key_def* key = find_key(section_kind::target, "discovered-from");
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(*normalise_value(*key, "192.0.2.1"), "192.0.2.1:3260");
    EXPECT_FALSE(normalise_value(*key, "1.2.3.4:99999"));
}

} // namespace
} // namespace iscsictl
