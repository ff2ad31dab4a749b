// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's session and discovery methods as a client sees them through the control server's
// dispatch: parameter checks (bad_request naming the field), permissions (permission_denied for a
// non-root peer), not_found for a target that is not logged in, discovery and boot-time login against
// a loopback port where nothing listens (unreachable), the login retry loop (its duration, its log
// lines, its cancellation at shutdown, a second login of the same target while it waits), and no
// secret in any log line or message. The kernel is not opened: everything here is decided before the
// daemon would ask it.
#include "control_protocol.hpp"
#include "control_server.hpp"
#include "discovery.hpp"
#include "kernel.hpp"
#include "rediscovery.hpp"
#include "sessions.hpp"
#include "task_group.hpp"
#include "temp_dir.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using iscsid::control::failure;
using iscsid::control::response;
using json = nlohmann::json;

namespace {

constexpr const char* secret = "s3cret-never-logged";
constexpr const char* initiator = "iqn.2026-11.org.example:host";
constexpr const char* target = "iqn.2026-11.org.example:disk1";

// A loopback port nothing listens on: bound, then closed again.
unsigned short closed_port() {
    asio::io_context ctx;
    asio::ip::tcp::acceptor a(ctx, {asio::ip::address_v4::loopback(), 0});
    return a.local_endpoint().port();
}

// Everything written to stderr (the daemon's log) while an object lives.
class captured_log {
public:
    captured_log()
        : path_(std::filesystem::temp_directory_path() / ("iscsid-log-" + std::to_string(::getpid()))) {
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        std::FILE* f = std::fopen(path_.c_str(), "w");
        ::dup2(::fileno(f), STDERR_FILENO);
        std::fclose(f);
    }
    ~captured_log() {
        restore();
        std::filesystem::remove(path_);
    }
    std::string text() {
        restore();
        std::ifstream in(path_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    void restore() {
        if (saved_ < 0)
            return;
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    std::filesystem::path path_;
    int saved_ = -1;
};

class SessionMethods : public ::testing::Test {
protected:
    void SetUp() override {
        state_ = std::filesystem::temp_directory_path() / ("iscsid-sessions-" + std::to_string(::getpid()));
        sessions_.register_methods(server_);
        iscsid::register_discovery(server_);
    }
    void TearDown() override { std::filesystem::remove_all(state_); }

    // One request through dispatch, as a peer of uid `uid`.
    response call(const std::string& method, json params, uid_t uid = 0) {
        response out;
        asio::co_spawn(ctx_, run(method, std::move(params), uid, out), asio::detached);
        ctx_.run();
        ctx_.restart();
        return out;
    }
    asio::awaitable<void> run(std::string method, json params, uid_t uid, response& out) {
        iscsid::peer_credentials peer;
        peer.uid = uid;
        json req{{"version", 1}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
        out = co_await server_.dispatch(req.dump(), peer);
    }
    static json target_at(unsigned short port) {
        return json{{"name", target},
                    {"portals", {"127.0.0.1:" + std::to_string(port)}},
                    {"initiator-name", initiator},
                    {"login-timeout", 1}};
    }
    static json discovery_at(unsigned short port) {
        return json{{"portal", "127.0.0.1:" + std::to_string(port)}, {"initiator-name", initiator}};
    }

    asio::io_context ctx_;
    iscsid::control_server server_{ctx_.get_executor()};
    iscsid::kernel kernel_{ctx_.get_executor()};
    std::filesystem::path state_;
    iscsid::session_manager sessions_{ctx_.get_executor(), kernel_, state_};
};

// Expects a bad_request whose message names `field`.
#define EXPECT_BAD_REQUEST(r, field)                                                                         \
    do {                                                                                                     \
        const response& rr = (r);                                                                            \
        EXPECT_FALSE(rr.ok);                                                                                 \
        EXPECT_EQ(rr.code, failure::bad_request) << rr.message;                                              \
        EXPECT_NE(rr.message.find(field), std::string::npos)                                                 \
            << "\"" << rr.message << "\" does not name " << (field);                                         \
    } while (0)

TEST_F(SessionMethods, MutatingMethodsAreRefusedToNonRootPeers) {
    for (const char* method : {"discover", "login", "modify", "rescan", "logout"}) {
        auto r = call(method, json::object(), 1000);
        EXPECT_FALSE(r.ok) << method;
        EXPECT_EQ(r.code, failure::permission_denied) << method << ": " << r.message;
    }
    // Reading is open to everyone: `session` gets past the permission check (and fails on its params).
    auto r = call("session", json::object(), 1000);
    EXPECT_BAD_REQUEST(r, "target or a session");
}

TEST_F(SessionMethods, DiscoverChecksItsParameters) {
    auto base = discovery_at(3260);
    struct bad {
        std::function<void(json&)> change;
        const char* field;
    };
    const bad cases[] = {
        {[](json& j) { j.erase("portal"); }, "portal"},
        {[](json& j) { j["portal"] = 3260; }, "portal"},
        {[](json& j) { j["portal"] = "127.0.0.1:99999"; }, "portal"},
        {[](json& j) { j["portal"] = "[::1"; }, "portal"},
        {[](json& j) { j.erase("initiator-name"); }, "initiator-name"},
        {[](json& j) { j["initiator-name"] = "not a name"; }, "initiator name"},
        {[](json& j) { j["auth"] = "kerberos"; }, "auth"},
        {[](json& j) { j["auth"] = "chap"; }, "chap-secret"},
        {[](json& j) {
             j.update({{"auth", "mutual-chap"}, {"chap-secret", secret}});
         },
         "mutual-chap-name"},
        {[](json& j) { j["chap-secret"] = 7; }, "chap-secret"},
        {[](json& j) { j["chap-algorithms"] = {"rot13"}; }, "chap-algorithms"},
        {[](json& j) { j["login-timeout"] = 0; }, "login-timeout"},
        {[](json& j) { j["login-timeout"] = "soon"; }, "login-timeout"},
    };
    for (const auto& c : cases) {
        json params = base;
        c.change(params);
        auto r = call("discover", params);
        EXPECT_BAD_REQUEST(r, c.field);
        EXPECT_EQ(r.message.find(secret), std::string::npos);
    }
}

TEST_F(SessionMethods, DiscoverOfAPortalWhereNothingListensIsUnreachableAndLogsNoSecret) {
    captured_log log;
    auto params = discovery_at(closed_port());
    params.update({{"auth", "mutual-chap"},
                   {"chap-name", "host1"},
                   {"chap-secret", secret},
                   {"mutual-chap-name", "disk"},
                   {"mutual-chap-secret", secret},
                   {"login-timeout", 2}});
    const auto start = std::chrono::steady_clock::now();
    auto r = call("discover", params);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, failure::unreachable) << r.message;
    EXPECT_NE(r.message.find("127.0.0.1"), std::string::npos) << r.message;
    EXPECT_EQ(r.message.find(secret), std::string::npos);
    const auto text = log.text();
    EXPECT_NE(text.find("discovery at 127.0.0.1"), std::string::npos) << text;
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
}

TEST_F(SessionMethods, LoginChecksRetryFor) {
    for (json bad : {json(-1), json(3601), json("120"), json(1.5), json(true)}) {
        json params{{"target", target_at(3260)}, {"retry-for", bad}};
        EXPECT_BAD_REQUEST(call("login", params), "retry-for");
    }
    EXPECT_BAD_REQUEST(call("login", json::object()), "name");
}

TEST_F(SessionMethods, LoginWithoutRetryForFailsAtOnce) {
    const auto start = std::chrono::steady_clock::now();
    auto r = call("login", {{"target", target_at(closed_port())}});
    EXPECT_EQ(r.code, failure::unreachable) << r.message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
}

TEST_F(SessionMethods, LoginRetriesAnUnreachableTargetForRetryForSecondsWithBackoff) {
    captured_log log;
    auto params = target_at(closed_port());
    params.update({{"auth", "chap"}, {"chap-secret", secret}});
    const auto start = std::chrono::steady_clock::now();
    auto r = call("login", {{"target", params}, {"retry-for", 3}});
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.code, failure::unreachable) << r.message;
    EXPECT_GE(took, 3s);
    EXPECT_LT(took, 6s);
    const auto text = log.text();
    // Attempts at 0, 1, 3 s (pauses of 1 then 2 s; the next pause would pass the limit): each retry
    // is logged.
    EXPECT_NE(text.find("(attempt 1), next attempt in 1000 ms"), std::string::npos) << text;
    EXPECT_NE(text.find("(attempt 2), next attempt in "), std::string::npos) << text;
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
}

TEST_F(SessionMethods, ASecondLoginOfATargetBeingLoggedInIsRefusedAndShutdownEndsTheRetries) {
    const auto port = closed_port();
    iscsid::task_group requests(ctx_.get_executor());
    response first;
    response second;
    bool second_done = false;
    const json again{{"target", target_at(port)}};
    requests.spawn(run("login", {{"target", target_at(port)}, {"retry-for", 600}}, 0, first), "first");
    asio::co_spawn(
        ctx_,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer t(ctx_, 300ms);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            co_await run("login", again, 0, second);
            second_done = true;
            // The daemon stops: its client tasks are cancelled, as control_server::close() does.
            requests.cancel();
            co_await requests.join();
        },
        asio::detached);
    const auto start = std::chrono::steady_clock::now();
    ctx_.run();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "the 600 s retry was not cancelled";
    ASSERT_TRUE(second_done);
    EXPECT_EQ(second.code, failure::already_exists) << second.message;
    EXPECT_FALSE(first.ok);
    EXPECT_EQ(first.code, failure::unreachable) << first.message;
    ctx_.restart();
    // Once the first login has ended, the target may be logged in again.
    EXPECT_EQ(call("login", {{"target", target_at(port)}}).code, failure::unreachable);
}

TEST_F(SessionMethods, ModifyChecksItsSettingsBeforeLookingForTheSession) {
    EXPECT_BAD_REQUEST(call("modify", {{"target", target}}), "settings");
    EXPECT_BAD_REQUEST(call("modify", {{"target", target}, {"settings", json::object()}}), "settings");
    EXPECT_BAD_REQUEST(call("modify", {{"target", target}, {"settings", 5}}), "settings");
    EXPECT_BAD_REQUEST(call("modify", {{"target", target}, {"settings", {{"header-digest", "crc32c"}}}}),
                       "header-digest");
    EXPECT_BAD_REQUEST(call("modify", {{"target", target}, {"settings", {{"frobnicate", 1}}}}), "frobnicate");
    const std::pair<const char*, json> out_of_range[] = {
        {"replacement-timeout", 86401}, {"noop-interval", 3601}, {"noop-timeout", 0}, {"queue-depth", 0},
        {"queue-depth", 1025},          {"noop-timeout", "5"},
    };
    for (const auto& [key, value] : out_of_range)
        EXPECT_BAD_REQUEST(call("modify", {{"target", target}, {"settings", {{key, value}}}}), key);
    const json ok_settings{{"queue-depth", 32}, {"replacement-timeout", 0}};
    EXPECT_BAD_REQUEST(call("modify", {{"settings", ok_settings}}), "target or a session");
    EXPECT_BAD_REQUEST(call("modify", {{"target", 7}, {"settings", ok_settings}}), "target");
    EXPECT_BAD_REQUEST(call("modify", {{"target", "not a name"}, {"settings", ok_settings}}), "target");
    EXPECT_BAD_REQUEST(call("modify", {{"session", "3"}, {"settings", ok_settings}}), "session");
    EXPECT_BAD_REQUEST(call("modify", {{"session", -3}, {"settings", ok_settings}}), "session");
}

TEST_F(SessionMethods, ModifyAndRescanOfATargetNotLoggedInAreNotFound) {
    const json settings{{"noop-interval", 10}};
    auto r = call("modify", {{"target", target}, {"settings", settings}});
    EXPECT_EQ(r.code, failure::not_found) << r.message;
    EXPECT_NE(r.message.find(target), std::string::npos) << r.message;
    EXPECT_EQ(call("modify", {{"session", 42}, {"settings", settings}}).code, failure::not_found);
    EXPECT_EQ(call("rescan", {{"target", target}}).code, failure::not_found);
    EXPECT_EQ(call("rescan", {{"session", 42}}).code, failure::not_found);
    EXPECT_EQ(call("logout", {{"session", 42}}).code, failure::not_found);
}

TEST_F(SessionMethods, RescanAndSessionCheckTheirParameters) {
    EXPECT_BAD_REQUEST(call("rescan", {{"target", json::array()}}), "target");
    EXPECT_BAD_REQUEST(call("rescan", {{"session", 1.5}}), "session");
    EXPECT_BAD_REQUEST(call("session", json::object()), "target or a session");
    EXPECT_BAD_REQUEST(call("session", {{"target", "iqn.bad name"}}), "target");
    EXPECT_BAD_REQUEST(call("session", {{"session", 1ULL << 40}}), "session");
    EXPECT_BAD_REQUEST(call("session", {{"session", "one"}}), "session");
}

// Periodic re-discovery's schedule, read from a real store file: a portal is discovered one interval
// after the daemon first sees it, interval 0 is off, a failed discovery leaves the store as it was,
// and an unreadable store is reported once.
class Rediscovery : public ::testing::Test {
protected:
    void SetUp() override { store_ = dir_ / "targets.ini"; }
    void write_store(const std::string& text,
                     std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write) {
        std::ofstream(store_) << text;
        std::filesystem::permissions(store_, mode);
    }
    std::string store_text() const {
        std::ifstream in(store_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    void run_due(iscsid::rediscovery& r, std::chrono::steady_clock::time_point when) {
        asio::co_spawn(ctx_, r.run_due(when), asio::detached);
        ctx_.run();
        ctx_.restart();
    }

    asio::io_context ctx_;
    test::temp_dir tmp_{"iscsid-rediscovery"};
    std::filesystem::path dir_ = tmp_.path();
    std::filesystem::path store_;
};

TEST_F(Rediscovery, DiscoversEachPortalOneIntervalAfterItIsSeenAndLeavesTheStoreOnFailure) {
    const auto on = closed_port();
    const auto off = closed_port();
    const std::string text = std::string("[initiator]\nname = ") + initiator +
                             "\n\n[discovery \"127.0.0.1:" + std::to_string(on) +
                             "\"]\ninterval = 60  # every minute\nauth = chap\nchap-secret = " + secret +
                             "\n\n[discovery \"127.0.0.1:" + std::to_string(off) + "\"]\n";
    write_store(text);
    iscsid::rediscovery r(ctx_.get_executor(), store_, dir_ / "initiatorname.iscsi");
    const auto t0 = std::chrono::steady_clock::now();
    captured_log log;
    run_due(r, t0);
    run_due(r, t0 + 59s);
    run_due(r, t0 + 61s);
    run_due(r, t0 + 62s); // not due again before t0 + 121 s
    const auto text_logged = log.text();
    const std::string tried_on = "discovery at 127.0.0.1:" + std::to_string(on) + " failed";
    const auto first = text_logged.find(tried_on);
    ASSERT_NE(first, std::string::npos) << text_logged;
    EXPECT_EQ(text_logged.find(tried_on, first + 1), std::string::npos) << "discovered twice:\n"
                                                                        << text_logged;
    EXPECT_EQ(text_logged.find("127.0.0.1:" + std::to_string(off)), std::string::npos)
        << "a portal without interval was discovered:\n"
        << text_logged;
    EXPECT_EQ(text_logged.find(secret), std::string::npos) << text_logged;
    EXPECT_EQ(store_text(), text) << "a failed discovery changed the store";
}

TEST_F(Rediscovery, AChangedIntervalStartsANewPeriod) {
    const auto port = closed_port();
    const auto store_with = [&](int interval) {
        return std::string("[initiator]\nname = ") + initiator +
               "\n[discovery \"127.0.0.1:" + std::to_string(port) +
               "\"]\ninterval = " + std::to_string(interval) + "\n";
    };
    write_store(store_with(60));
    iscsid::rediscovery r(ctx_.get_executor(), store_, dir_ / "initiatorname.iscsi");
    const auto t0 = std::chrono::steady_clock::now();
    captured_log log;
    run_due(r, t0);
    write_store(store_with(120)); // as `iscsictl modify discovery P interval=120` would
    run_due(r, t0 + 61s);
    EXPECT_EQ(log.text().find("failed"), std::string::npos) << "discovered on the old interval";
    captured_log later;
    run_due(r, t0 + 182s);
    EXPECT_NE(later.text().find("discovery at 127.0.0.1:" + std::to_string(port) + " failed"),
              std::string::npos);
}

TEST_F(Rediscovery, AStoreThatCannotBeReadIsReportedOnce) {
    write_store(std::string("[initiator]\nchap-secret = ") + secret + "\n", std::filesystem::perms(0644));
    iscsid::rediscovery r(ctx_.get_executor(), store_, dir_ / "initiatorname.iscsi");
    const auto t0 = std::chrono::steady_clock::now();
    captured_log log;
    run_due(r, t0);
    run_due(r, t0 + 15s);
    const auto text = log.text();
    const auto first = text.find("re-discovery: ");
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_EQ(text.find("re-discovery: ", first + 1), std::string::npos) << text;
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
}

} // namespace
