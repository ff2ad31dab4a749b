// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon verbs against a fake iscsid: a SOCK_SEQPACKET server in a thread that records every
// request and answers canned JSON. Checks the request shapes of the control protocol, concurrency of
// login --all, exit statuses, and the JSON output of every printing verb against golden files
// (tests/unit/golden; ISCSICTL_UPDATE_GOLDEN=1 rewrites them).
#include "cli.hpp"
#include "control_protocol.hpp"
#include "exit_codes.hpp"
#include "iscsictl_fixture.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace iscsictl {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using iscsid::control::failure;
using iscsid::control::response;
using namespace std::chrono_literals;

constexpr std::string_view vol1 = "iqn.2003-01.org.example:vol1";
constexpr std::string_view vol2 = "iqn.2003-01.org.example:vol2";
constexpr std::string_view host = "iqn.2026-11.org.example:host1";

struct seen_request {
    std::string method;
    json params;
};

// A fake iscsid: one thread accepting, one per connection; `answer` decides each response.
class fake_daemon {
public:
    using handler = std::function<response(const std::string& method, const json& params)>;

    fake_daemon(fs::path path, handler answer) : path_(std::move(path)), answer_(std::move(answer)) {
        listen_fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 128) != 0)
            throw std::runtime_error("fake daemon cannot listen");
        acceptor_ = std::jthread([this](std::stop_token stop) { accept_loop(stop); });
    }
    fake_daemon(const fake_daemon&) = delete;
    fake_daemon& operator=(const fake_daemon&) = delete;
    ~fake_daemon() {
        acceptor_.request_stop();
        acceptor_.join();
        {
            std::lock_guard lock(mutex_);
            for (auto& t : connections_)
                t.request_stop();
        }
        connections_.clear();
        ::close(listen_fd_);
        ::unlink(path_.c_str());
    }

    std::vector<seen_request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    int max_in_flight() const { return max_in_flight_; }

private:
    void accept_loop(const std::stop_token& stop) {
        while (!stop.stop_requested()) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0)
                continue;
            int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            std::lock_guard lock(mutex_);
            connections_.emplace_back([this, fd](std::stop_token s) { serve(fd, s); });
        }
    }
    void serve(int fd, const std::stop_token& stop) {
        std::vector<char> buffer(1 << 20);
        while (!stop.stop_requested()) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0)
                continue;
            ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (n <= 0)
                break;
            std::string why;
            auto req = iscsid::control::decode_request(std::string_view(buffer.data(), std::size_t(n)), why);
            if (!req)
                break;
            {
                std::lock_guard lock(mutex_);
                requests_.push_back({req->method, req->params});
            }
            int now = ++in_flight_;
            for (int prev = max_in_flight_; now > prev && !max_in_flight_.compare_exchange_weak(prev, now);)
                ;
            response rsp = answer_(req->method, req->params);
            --in_flight_;
            rsp.id = req->id;
            std::string out = iscsid::control::encode(rsp);
            ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
        }
        ::close(fd);
    }

    fs::path path_;
    handler answer_;
    int listen_fd_ = -1;
    mutable std::mutex mutex_;
    std::vector<seen_request> requests_;
    std::vector<std::jthread> connections_;
    std::atomic<int> in_flight_{0}, max_in_flight_{0};
    std::jthread acceptor_;
};

// Canned replies shaped as docs/control-protocol.md says.
json lun(int n, const char* device, std::uint64_t size) {
    return {{"lun", n}, {"device", device}, {"size", size}, {"vendor", "LIO-ORG"}, {"model", "disk"}};
}
json session_entry(int id, std::string_view target) {
    return {{"session", id},
            {"host", id + 10},
            {"target", target},
            {"portal", "127.0.0.1:3260,1"},
            {"state", "logged-in"},
            {"isid", "400001370000"},
            {"tsih", 5},
            {"header-digest", "none"},
            {"data-digest", "none"},
            // The counters under the kernel's names, as the daemon passes them on.
            {"stats", {{"cmds", 10}, {"read_bytes", 4096}, {"nop_timeouts", 0}}},
            {"recoveries", 0}};
}

// A fake daemon (fake_daemon) listens at the test's socket when a test starts one.
class Daemon : public iscsictl_test {
protected:
    Daemon() : iscsictl_test("iscsictl-daemon") {
        std::ofstream(initiatorname) << "InitiatorName=" << host << "\n";
    }

    void write_store(std::string_view text) const {
        std::ofstream(store_path, std::ios::binary) << text;
        fs::permissions(store_path, fs::perms::owner_read | fs::perms::owner_write);
    }
    void seed() const {
        write_store(
            "[target \"iqn.2003-01.org.example:vol1\"]\nportal = 127.0.0.1:3260\nstartup = automatic\n\n"
            "[target \"iqn.2003-01.org.example:vol2\"]\nportal = 127.0.0.2:3260\n\n"
            "[discovery \"127.0.0.1:3260\"]\nauth = none\n");
    }
    // The output must equal tests/unit/golden/NAME.json, parsed (so key order is checked too).
    static void expect_golden(const std::string& name, const std::string& output) {
        fs::path file = fs::path(ISCSI_SOURCE_ROOT) / "tests/unit/golden" / (name + ".json");
        if (const char* update = std::getenv("ISCSICTL_UPDATE_GOLDEN"); update && *update == '1') {
            std::ofstream(file) << output;
            return;
        }
        std::ifstream in(file);
        ASSERT_TRUE(in) << file << " is missing";
        std::stringstream golden;
        golden << in.rdbuf();
        EXPECT_EQ(output, golden.str()) << "JSON output of " << name << " differs from " << file;
        auto parsed = json::parse(output, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << output;
    }
};

TEST_F(Daemon, LoginSendsTheResolvedTargetAndListsLuns) {
    seed();
    fake_daemon d(socket, [](const std::string& method, const json& params) {
        if (method != "login")
            return response::error(failure::bad_request, "unexpected");
        return response::success({{"session", 3},
                                  {"host", 13},
                                  {"target", params["target"]["name"]},
                                  {"portal", "127.0.0.1:3260,1"},
                                  {"luns", {lun(0, "/dev/sdb", 1073741824), lun(1, "/dev/sdc", 1536)}}});
    });
    auto r = iscsictl({"login", std::string(vol1), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_golden("login", r.out);
    auto seen = d.requests();
    ASSERT_EQ(seen.size(), 1u);
    const json& target = seen[0].params["target"];
    EXPECT_EQ(target["name"], vol1);
    EXPECT_EQ(target["portals"], json::array({"127.0.0.1:3260"}));
    EXPECT_EQ(target["initiator-name"], host);
    EXPECT_EQ(target["replacement-timeout"], 120);
    EXPECT_FALSE(seen[0].params.contains("retry-for"));

    r = iscsictl({"login", std::string(vol1), "127.0.0.9", "--retry-for", "30"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "logged in to iqn.2003-01.org.example:vol1 through 127.0.0.1:3260,1 (session 3)\n"
                     "LUN  DEVICE    SIZE\n0    /dev/sdb  1 GiB\n1    /dev/sdc  1.5 KiB\n");
    seen = d.requests();
    EXPECT_EQ(seen[1].params["target"]["portals"], json::array({"127.0.0.9:3260"}));
    EXPECT_EQ(seen[1].params["retry-for"], 30);
}

TEST_F(Daemon, LoginAllRunsConcurrentlyAndExitsWithTheWorstFailure) {
    std::string text;
    for (int i = 0; i < 8; ++i)
        text += "[target \"iqn.2003-01.org.example:t" + std::to_string(i) + "\"]\nportal = 127.0.0.1:3260\n" +
                (i % 2 == 0 ? "startup = automatic\n" : "") + "\n";
    write_store(text);
    fake_daemon d(socket, [](const std::string&, const json& params) {
        std::this_thread::sleep_for(300ms);
        std::string name = params["target"]["name"];
        if (name.ends_with(":t1"))
            return response::error(failure::authentication_failed, "CHAP refused");
        if (name.ends_with(":t3"))
            return response::error(failure::unreachable, "no portal answered");
        if (name.ends_with(":t5"))
            return response::error(failure::already_exists, "already logged in");
        return response::success({{"session", 1},
                                  {"target", name},
                                  {"portal", "127.0.0.1:3260,1"},
                                  {"luns", {lun(0, "/dev/sdb", 4096)}}});
    });
    auto start = std::chrono::steady_clock::now();
    auto r = iscsictl({"login", "--all", "--json"});
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.code, code_of(exit_code::unreachable)) << r.err;
    EXPECT_EQ(r.err, "iscsictl: 2 of 8 logins failed; the gravest: no portal answered\n");
    EXPECT_LT(elapsed, 1500ms) << "logins ran one after another";
    EXPECT_GE(d.max_in_flight(), 4);
    expect_golden("login-all", r.out);

    auto before = d.requests().size();
    r = iscsictl({"--retry-for", "120", "login", "--automatic"});
    EXPECT_EQ(r.code, code_of(exit_code::usage)) << "--retry-for belongs to login";
    r = iscsictl({"login", "--automatic", "--retry-for", "120"});
    EXPECT_EQ(r.code, 0) << r.err; // t0 t2 t4 t6 all succeed
    auto seen = d.requests();
    ASSERT_EQ(seen.size() - before, 4u);
    for (auto i = before; i < seen.size(); ++i)
        EXPECT_EQ(seen[i].params["retry-for"], 120);
    EXPECT_NE(r.out.find("iqn.2003-01.org.example:t6  logged-in"), std::string::npos) << r.out;
}

TEST_F(Daemon, LoginNeedsExactlyOneOfIqnAllAutomatic) {
    seed();
    for (const auto& args : std::vector<std::vector<std::string>>{{"login"},
                                                                  {"login", std::string(vol1), "--all"},
                                                                  {"login", "--all", "--automatic"},
                                                                  {"login", "--all", "--retry-for", "3601"},
                                                                  {"logout"},
                                                                  {"logout", std::string(vol1), "--all"}}) {
        auto r = iscsictl(args);
        EXPECT_EQ(r.code, code_of(exit_code::usage)) << args[0];
    }
}

TEST_F(Daemon, DaemonNotRunning) {
    seed();
    for (const auto& args : std::vector<std::vector<std::string>>{{"login", std::string(vol1)},
                                                                  {"login", "--all"},
                                                                  {"logout", "--all"},
                                                                  {"discover"},
                                                                  {"rescan"},
                                                                  {"show", "session", "1"},
                                                                  {"list", "sessions"}}) {
        auto r = iscsictl(args);
        EXPECT_EQ(r.code, code_of(exit_code::daemon_not_running)) << args[0];
        EXPECT_NE(r.err.find("iscsid is not running"), std::string::npos) << r.err;
    }
}

TEST_F(Daemon, LogoutAllLogsOutEveryTarget) {
    fake_daemon d(socket, [](const std::string& method, const json& params) {
        if (method == "sessions")
            return response::success(
                {{"sessions", {session_entry(1, vol1), session_entry(2, vol2), session_entry(3, vol2)}}});
        if (method == "logout" && params["target"] == vol2)
            return response::error(failure::kernel, "the kernel refused");
        return response::success();
    });
    auto r = iscsictl({"logout", "--all", "--json"});
    EXPECT_EQ(r.code, code_of(exit_code::failure));
    EXPECT_EQ(r.err, "iscsictl: iqn.2003-01.org.example:vol2: the kernel refused\n");
    expect_golden("logout-all", r.out);
    auto seen = d.requests();
    ASSERT_EQ(seen.size(), 3u); // sessions, then one logout per target
    EXPECT_EQ(seen[0].method, "sessions");
}

TEST_F(Daemon, RescanAndListsFromCannedReplies) {
    fake_daemon d(socket, [](const std::string& method, const json&) {
        json l = lun(0, "/dev/sdb", 1073741824);
        l["target"] = vol1;
        l["portal"] = "127.0.0.1:3260,1";
        l["session"] = 1;
        if (method == "rescan")
            return response::success({{"sessions", {1}}, {"luns", {l}}});
        if (method == "luns")
            return response::success({{"luns", {l}}});
        if (method == "sessions")
            return response::success({{"sessions", {session_entry(1, vol1)}}});
        return response::error(failure::bad_request, "unexpected");
    });
    auto r = iscsictl({"rescan", std::string(vol1), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_golden("rescan", r.out);
    r = iscsictl({"rescan"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "rescanned 1 session(s)\nTARGET                        PORTAL            LUN  DEVICE    SIZE\n"
              "iqn.2003-01.org.example:vol1  127.0.0.1:3260,1  0    /dev/sdb  1 GiB\n");
    auto seen = d.requests();
    EXPECT_EQ(seen[0].params, json({{"target", vol1}}));
    EXPECT_EQ(seen[1].params, json::object());

    r = iscsictl({"list", "luns", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_golden("list-luns", r.out);
    r = iscsictl({"list", "sessions", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_golden("list-sessions", r.out);
}

TEST_F(Daemon, ShowSessionByIdOrName) {
    json reply = session_entry(4, vol1);
    reply["parameters"] = {
        {"header-digest", "none"}, {"data-digest", "none"},  {"max-recv-data-segment-length", 262144},
        {"initial-r2t", false},    {"immediate-data", true}, {"max-outstanding-r2t", 1}};
    reply["settings"] = {
        {"replacement-timeout", 120}, {"noop-interval", 5}, {"noop-timeout", 5}, {"queue-depth", 128}};
    reply["luns"] = {lun(0, "/dev/sdb", 1073741824)};
    fake_daemon d(socket, [&](const std::string& method, const json& params) {
        if (method != "session")
            return response::error(failure::bad_request, "unexpected");
        if (params.contains("session") && params["session"] == 9)
            return response::error(failure::not_found, "no session 9");
        return response::success(reply);
    });
    auto r = iscsictl({"show", "session", "4", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_golden("show-session", r.out);
    r = iscsictl({"show", "session", "IQN.2003-01.org.example:VOL1"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("\nparameters:\n  data-digest                   none\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("\nluns:\n  LUN  DEVICE    SIZE   VENDOR   MODEL\n"), std::string::npos) << r.out;
    // The kernel's counter names are printed with hyphens, like every other field.
    EXPECT_NE(r.out.find("\nstats:\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  read-bytes "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  nop-timeouts "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find('_'), std::string::npos) << r.out;
    r = iscsictl({"show", "session", "9"});
    EXPECT_EQ(r.code, code_of(exit_code::not_found));
    EXPECT_EQ(r.err, "iscsictl: no session 9\n");
    r = iscsictl({"show", "session", "not a name"});
    EXPECT_EQ(r.code, code_of(exit_code::usage));
    auto seen = d.requests();
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].params, json({{"session", 4}}));
    EXPECT_EQ(seen[1].params, json({{"target", vol1}}));
}

TEST_F(Daemon, DiscoverMergesIntoTheStoreAndReports) {
    write_store("# keep me\n[target \"iqn.2003-01.org.example:old\"]\nportal = 127.0.0.1:3260,1\n"
                "discovered-from = 127.0.0.1:3260\n\n"
                "[target \"iqn.2003-01.org.example:vol2\"]\nportal = 127.0.0.1:3260,1\n\n"
                "[discovery \"127.0.0.1:3260\"]\nauth = none\nlogin-timeout = 5\n");
    fake_daemon d(socket, [](const std::string& method, const json& params) {
        if (method != "discover")
            return response::error(failure::bad_request, "unexpected");
        if (params["portal"] == "127.0.0.7:3260")
            return response::error(failure::unreachable, "connection refused");
        return response::success({{"portal", params["portal"]},
                                  {"targets",
                                   {{{"name", vol1}, {"portals", {"127.0.0.1:3260,1", "[::1]:3260,1"}}},
                                    {{"name", vol2}, {"portals", {"127.0.0.1:3260,1"}}}}}});
    });
    auto r = iscsictl({"discover", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    expect_golden("discover", r.out);
    auto seen = d.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "discover");
    EXPECT_EQ(seen[0].params, json({{"portal", "127.0.0.1:3260"},
                                    {"initiator-name", host},
                                    {"auth", "none"},
                                    {"chap-name", host},
                                    {"chap-algorithms", {"sha3-256", "sha-256", "sha-1", "md5"}},
                                    {"login-timeout", 5}}));
    EXPECT_EQ(store_text(), "# keep me\n[target \"iqn.2003-01.org.example:old\"]\nportal = 127.0.0.1:3260,1\n"
                            "discovered-from = 127.0.0.1:3260\n\n"
                            "[target \"iqn.2003-01.org.example:vol2\"]\nportal = 127.0.0.1:3260,1\n\n"
                            "[discovery \"127.0.0.1:3260\"]\nauth = none\nlogin-timeout = 5\n\n"
                            "[target \"iqn.2003-01.org.example:vol1\"]\nportal = 127.0.0.1:3260,1\n"
                            "portal = [::1]:3260,1\ndiscovered-from = 127.0.0.1:3260\n");

    // A given portal not in the store is asked but not recorded, unless --add; a failing portal
    // does not stop the others.
    const std::string before = store_text();
    r = iscsictl({"discover", "127.0.0.7", "127.0.0.1"});
    EXPECT_EQ(r.code, code_of(exit_code::unreachable));
    EXPECT_EQ(r.err, "iscsictl: 127.0.0.7:3260: connection refused\n");
    EXPECT_NE(r.out.find("127.0.0.1:3260  iqn.2003-01.org.example:vol1  unchanged"), std::string::npos)
        << r.out;
    EXPECT_EQ(store_text(), before);
    r = iscsictl({"discover", "127.0.0.8", "--add", "-q"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(store_text().find("[discovery \"127.0.0.8:3260\"]"), std::string::npos);
}

TEST_F(Daemon, RemoveTargetRefusesALoggedInTargetUnlessLogout) {
    seed();
    std::atomic<bool> logged_in = true;
    fake_daemon d(socket, [&](const std::string& method, const json&) {
        if (method == "sessions")
            return response::success(
                {{"sessions", logged_in ? json::array({session_entry(1, vol1)}) : json::array()}});
        if (method == "logout") {
            logged_in = false;
            return response::success();
        }
        return response::error(failure::bad_request, "unexpected");
    });
    const std::string before = store_text();
    auto r = iscsictl({"remove", "target", std::string(vol1)});
    EXPECT_EQ(r.code, code_of(exit_code::busy));
    EXPECT_EQ(r.err, "iscsictl: target iqn.2003-01.org.example:vol1 is logged in: log it out first, or add "
                     "--logout\n");
    EXPECT_EQ(store_text(), before);
    // Another target, not logged in, goes at once.
    r = iscsictl({"remove", "target", std::string(vol2)});
    EXPECT_EQ(r.code, 0) << r.err;
    r = iscsictl({"remove", "target", std::string(vol1), "--logout"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "logged out of iqn.2003-01.org.example:vol1\nremoved target iqn.2003-01.org.example:vol1\n");
    EXPECT_EQ(store_text(), "[discovery \"127.0.0.1:3260\"]\nauth = none\n");
}

TEST_F(Daemon, ModifyTargetReachesTheLiveSession) {
    seed();
    std::atomic<bool> logged_in = true;
    fake_daemon d(socket, [&](const std::string& method, const json& params) {
        if (method != "modify")
            return response::error(failure::bad_request, "unexpected");
        if (!logged_in)
            return response::error(failure::not_found, "not logged in");
        return response::success(
            {{"session", 1}, {"target", params["target"]}, {"settings", params["settings"]}});
    });
    auto r = iscsictl({"modify", "target", std::string(vol1), "replacement-timeout=30",
                       "noop-interval=", "header-digest=crc32c"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "modified target iqn.2003-01.org.example:vol1\napplied to the logged-in session\n");
    auto seen = d.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].params,
              json({{"target", vol1}, {"settings", {{"replacement-timeout", 30}, {"noop-interval", 5}}}}));
    EXPECT_NE(store_text().find("replacement-timeout = 30\n"), std::string::npos);

    // No live key: iscsid is not asked.
    ASSERT_EQ(iscsictl({"modify", "target", std::string(vol1), "startup=manual"}).code, 0);
    EXPECT_EQ(d.requests().size(), 1u);

    logged_in = false;
    r = iscsictl({"modify", "target", std::string(vol1), "queue-depth=64"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "modified target iqn.2003-01.org.example:vol1\nthe target is not logged in: the change "
                     "takes effect at the next login\n");
}

TEST_F(Daemon, ModifyWithoutDaemonTakesEffectAtNextLogin) {
    seed();
    auto r = iscsictl({"modify", "target", std::string(vol1), "noop-timeout=9"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "modified target iqn.2003-01.org.example:vol1\niscsid is not running: the change takes "
                     "effect at the next login\n");
}

TEST_F(Daemon, GlobalOptionsAfterTheVerbReachTheDaemonVerbs) {
    fake_daemon d(dir / "other.sock", [](const std::string&, const json&) {
        return response::success({{"sessions", json::array({session_entry(1, vol1)})}});
    });
    auto r = iscsictl({"list", "sessions", "--socket", (dir / "other.sock").string(), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out).size(), 1u);
    r = iscsictl({"--json", "--socket", (dir / "other.sock").string(), "list", "sessions"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out).size(), 1u);
    r = iscsictl({"list", "--socket", (dir / "other.sock").string(), "sessions", "-q"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("TARGET"), std::string::npos);
}

TEST_F(Daemon, DaemonErrorsMapToExitCodes) {
    seed();
    const std::vector<std::pair<failure, exit_code>> cases = {
        {failure::bad_request, exit_code::usage},
        {failure::permission_denied, exit_code::permission_denied},
        {failure::not_found, exit_code::not_found},
        {failure::already_exists, exit_code::already_exists},
        {failure::authentication_failed, exit_code::auth_failed},
        {failure::unreachable, exit_code::unreachable},
        {failure::kernel, exit_code::failure},
        {failure::internal, exit_code::failure},
    };
    for (auto [f, code] : cases) {
        fake_daemon d(socket,
                      [f = f](const std::string&, const json&) { return response::error(f, "refused"); });
        auto r = iscsictl({"login", std::string(vol1)});
        EXPECT_EQ(r.code, code_of(code));
        EXPECT_EQ(r.err, "iscsictl: refused\n");
    }
}

// The store verbs' JSON, also held to golden files (no daemon needed).
TEST_F(Daemon, StoreVerbsJsonMatchGoldenFiles) {
    write_store("[initiator]\nalias = host1\nchap-secret = 0123456789abcdef\n\n"
                "[target \"iqn.2003-01.org.example:vol1\"]\nportal = 127.0.0.1:3260\nportal = [::1]:3260,1\n"
                "startup = automatic\nauth = chap\nreplacement-timeout = 30\n\n"
                "[discovery \"127.0.0.1:3260\"]\nauth = chap\ninterval = 600\n");
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"list-targets", {"list", "targets", "--json"}},
        {"list-discovery", {"list", "discovery", "--json"}},
        {"show-target", {"show", "target", std::string(vol1), "--json"}},
        {"show-initiator", {"--json", "show", "initiator"}},
    };
    for (const auto& [name, args] : cases) {
        auto r = iscsictl(args);
        ASSERT_EQ(r.code, 0) << name << ": " << r.err;
        expect_golden(name, r.out);
        EXPECT_EQ(r.out.find("0123456789abcdef"), std::string::npos) << name << " shows a secret";
    }
}

} // namespace
} // namespace iscsictl
