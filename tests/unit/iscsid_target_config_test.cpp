// SPDX-License-Identifier: GPL-2.0-or-later
// The login request's target object: what the daemon accepts, what it refuses (with a reason that
// never quotes a secret), and the round trip through the file it keeps for a restart.
#include "target_config.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <unistd.h>

namespace {

using json = nlohmann::json;

json minimal() {
    return {{"name", "IQN.2003-01.org.linux-iscsi.vm:T1"},
            {"portals", {"127.0.0.1", "[::1]:3261"}},
            {"initiator-name", "iqn.2026-11.org.example:host"}};
}

TEST(TargetConfig, MinimalTargetTakesTheDefaults) {
    std::string why;
    auto t = iscsid::parse_target_config(minimal(), why);
    ASSERT_TRUE(t) << why;
    EXPECT_EQ(t->target_name, "iqn.2003-01.org.linux-iscsi.vm:t1"); // normalised
    ASSERT_EQ(t->portals.size(), 2u);
    EXPECT_EQ(t->portals[0].to_string(), "127.0.0.1:3260");
    EXPECT_EQ(t->portals[1].port, 3261);
    EXPECT_EQ(t->credentials.auth, iscsi::auth_policy::none);
    EXPECT_EQ(t->replacement_timeout, 120u);
    EXPECT_EQ(t->queue_depth, 128);
    EXPECT_EQ(t->preferences.max_outstanding_r2t, iscsi::initiator_preferences{}.max_outstanding_r2t);
}

TEST(TargetConfig, MaxConnectionsDefaultsToTheOnlineCpusAtMost16AndIsKeptForARestart) {
    std::string why;
    auto t = iscsid::parse_target_config(minimal(), why);
    ASSERT_TRUE(t) << why;
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    EXPECT_EQ(t->preferences.max_connections, static_cast<std::uint32_t>(std::clamp<long>(cpus, 1, 16)));
    EXPECT_EQ(iscsid::default_max_connections(), t->preferences.max_connections);
    json j = minimal();
    j["max-connections"] = 3;
    t = iscsid::parse_target_config(j, why);
    ASSERT_TRUE(t) << why;
    EXPECT_EQ(t->preferences.max_connections, 3u);
    EXPECT_EQ(t->login_config({}).preferences.max_connections, 3u); // what the login offers
    auto again = iscsid::parse_target_config(iscsid::to_json(*t), why);
    ASSERT_TRUE(again) << why;
    EXPECT_EQ(again->preferences.max_connections, 3u);
}

TEST(TargetConfig, EveryFieldIsRead) {
    json j = minimal();
    j.update({{"initiator-alias", "host"},
              {"auth", "mutual-chap"},
              {"chap-name", "user"},
              {"chap-secret", "secret-one-12"},
              {"mutual-chap-name", "target"},
              {"mutual-chap-secret", "secret-two-12"},
              {"chap-algorithms", {"sha-1", "md5"}},
              {"header-digest", {"none"}},
              {"data-digest", {"crc32c", "none"}},
              {"initial-r2t", true},
              {"immediate-data", false},
              {"first-burst-length", 8192},
              {"max-burst-length", 65536},
              {"max-recv-data-segment-length", 16384},
              {"max-outstanding-r2t", 4},
              {"login-timeout", 7},
              {"replacement-timeout", 30},
              {"noop-interval", 0},
              {"noop-timeout", 9},
              {"queue-depth", 32}});
    std::string why;
    auto t = iscsid::parse_target_config(j, why);
    ASSERT_TRUE(t) << why;
    EXPECT_EQ(t->credentials.auth, iscsi::auth_policy::mutual_chap);
    EXPECT_EQ(t->credentials.chap_algorithms,
              (std::vector{iscsi::chap_algorithm::sha1, iscsi::chap_algorithm::md5}));
    EXPECT_EQ(t->preferences.header_digest, std::vector{iscsi::digest_type::none});
    EXPECT_EQ(t->preferences.data_digest,
              (std::vector{iscsi::digest_type::crc32c, iscsi::digest_type::none}));
    EXPECT_TRUE(t->preferences.initial_r2t);
    EXPECT_FALSE(t->preferences.immediate_data);
    EXPECT_EQ(t->preferences.first_burst_length, 8192u);
    EXPECT_EQ(t->preferences.max_outstanding_r2t, 4u);
    EXPECT_EQ(t->login_timeout, std::chrono::seconds(7));
    EXPECT_EQ(t->noop_interval, 0u);
    EXPECT_EQ(t->queue_depth, 32);

    auto lc = t->login_config({});
    EXPECT_EQ(lc.auth, iscsi::auth_policy::mutual_chap);
    EXPECT_EQ(lc.chap.name, "user");
    EXPECT_EQ(lc.chap.target_name, "target");
    EXPECT_EQ(lc.identity.target_name, "iqn.2003-01.org.linux-iscsi.vm:t1");

    // What the daemon saves for a restart reads back to the same configuration.
    auto again = iscsid::parse_target_config(iscsid::to_json(*t), why);
    ASSERT_TRUE(again) << why;
    EXPECT_EQ(iscsid::to_json(*again), iscsid::to_json(*t));
}

TEST(TargetConfig, ChapNameDefaultsToTheInitiatorName) {
    json j = minimal();
    j.update({{"auth", "chap"}, {"chap-secret", "secret-one-12"}});
    std::string why;
    auto t = iscsid::parse_target_config(j, why);
    ASSERT_TRUE(t) << why;
    EXPECT_EQ(t->login_config({}).chap.name, "iqn.2026-11.org.example:host");
}

TEST(TargetConfig, RefusesBadInputWithAReason) {
    struct bad_case {
        json patch;
        std::string reason;
    };
    const std::vector<bad_case> cases{
        {{{"name", "not-an-iqn"}}, "target name"},
        {{{"portals", json::array()}}, "portals"},
        {{{"portals", {"127.0.0.1:99999"}}}, "portal"},
        {{{"initiator-name", 5}}, "initiator-name"},
        {{{"auth", "kerberos"}}, "auth"},
        {{{"auth", "chap"}}, "chap-secret"},
        {{{"auth", "mutual-chap"}, {"chap-secret", "secret-one-12"}}, "mutual-chap"},
        {{{"header-digest", {"crc32c", "crc32c"}}}, "twice"},
        {{{"data-digest", {"md5"}}}, "unknown"},
        {{{"max-outstanding-r2t", 17}}, "max-outstanding-r2t"},
        {{{"max-connections", 0}}, "max-connections"},
        {{{"max-connections", 17}}, "max-connections"},
        {{{"first-burst-length", 100}}, "first-burst-length"},
        {{{"queue-depth", -1}}, "queue-depth"},
        {{{"initial-r2t", "yes"}}, "initial-r2t"},
        {{{"first-burst-length", 65536}, {"max-burst-length", 8192}}, "FirstBurstLength"},
    };
    for (const auto& c : cases) {
        json j = minimal();
        j.update(c.patch);
        std::string why;
        EXPECT_FALSE(iscsid::parse_target_config(j, why)) << c.patch;
        EXPECT_NE(why.find(c.reason), std::string::npos) << "reason \"" << why << "\" for " << c.patch;
    }
    std::string why;
    EXPECT_FALSE(iscsid::parse_target_config(json::array(), why));
}

TEST(TargetConfig, ReasonsNeverQuoteASecret) {
    json j = minimal();
    j.update({{"auth", "chap"}, {"chap-secret", std::string(300, 'S')}});
    std::string why;
    EXPECT_FALSE(iscsid::parse_target_config(j, why));
    EXPECT_EQ(why.find("SSS"), std::string::npos) << why;
}

} // namespace
