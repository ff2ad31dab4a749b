// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's control socket: protocol encoding, dispatch and permissions, real socket round trips,
// clients that vanish mid-request, and the coroutine primitives it rests on.
#include "control_client.hpp"
#include "control_protocol.hpp"
#include "control_server.hpp"
#include "iscsi/timeout.hpp"
#include "task_group.hpp"
#include "temp_dir.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using iscsid::control::failure;
using iscsid::control::request;
using iscsid::control::response;

namespace {

TEST(ControlProtocol, RequestRoundTrip) {
    request r{42, "login", {{"target", "iqn.2003-01.org.example:t1"}}};
    std::string why;
    auto back = iscsid::control::decode_request(iscsid::control::encode(r), why);
    ASSERT_TRUE(back) << why;
    EXPECT_EQ(back->id, 42u);
    EXPECT_EQ(back->method, "login");
    EXPECT_EQ(back->params["target"], "iqn.2003-01.org.example:t1");
}

TEST(ControlProtocol, ErrorResponseRoundTrip) {
    auto r = response::error(failure::authentication_failed, "target refused CHAP");
    r.id = 9;
    std::string why;
    auto back = iscsid::control::decode_response(iscsid::control::encode(r), why);
    ASSERT_TRUE(back) << why;
    EXPECT_FALSE(back->ok);
    EXPECT_EQ(back->id, 9u);
    EXPECT_EQ(back->code, failure::authentication_failed);
    EXPECT_EQ(back->message, "target refused CHAP");
}

TEST(ControlProtocol, RejectsMalformedRequests) {
    for (std::string_view bad :
         {"", "[]", "{", R"({"id":1,"method":"status"})", R"({"version":2,"id":1,"method":"status"})",
          R"({"version":1,"method":"status"})", R"({"version":1,"id":-1,"method":"status"})",
          R"({"version":1,"id":1})", R"({"version":1,"id":1,"method":""})",
          R"({"version":1,"id":1,"method":"x","params":[1]})",
          R"({"version":1,"id":1,"method":"x","params":"a"})"}) {
        std::string why;
        EXPECT_FALSE(iscsid::control::decode_request(bad, why)) << "accepted: " << bad;
        EXPECT_FALSE(why.empty());
    }
}

TEST(ControlProtocol, NullOrMissingParamsMeanNoParameters) {
    std::string why;
    for (std::string_view text : {R"({"version":1,"id":1,"method":"status","params":null})",
                                  R"({"version":1,"id":1,"method":"status"})"}) {
        auto r = iscsid::control::decode_request(text, why);
        ASSERT_TRUE(r) << why;
        EXPECT_TRUE(r->params.is_object());
        EXPECT_TRUE(r->params.empty());
    }
}

TEST(ControlProtocol, InvalidUtf8InMessagesDoesNotThrow) {
    auto r = response::error(failure::unreachable, std::string("target said \xff\xfe"));
    std::string why;
    EXPECT_TRUE(iscsid::control::decode_response(iscsid::control::encode(r), why)) << why;
}

// A daemon-side control server on its own thread, with two methods for the tests.
class ControlServer : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = (dir_ / "ctl.sock").string();
        server_.add_method(
            "echo", false,
            [](const request& r, const iscsid::peer_credentials& peer) -> asio::awaitable<response> {
                co_return response::success({{"params", r.params}, {"uid", peer.uid}});
            });
        server_.add_method(
            "slow", false,
            [this](const request&, const iscsid::peer_credentials&) -> asio::awaitable<response> {
                asio::steady_timer t(ctx_, 300ms);
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                ++slow_finished_;
                co_return response::success();
            });
        server_.add_method("change", true,
                           [](const request&, const iscsid::peer_credentials&) -> asio::awaitable<response> {
                               co_return response::success();
                           });
        ASSERT_FALSE(server_.listen(path_));
        asio::co_spawn(ctx_, server_.serve(), asio::detached);
        thread_ = std::thread([this] { ctx_.run(); });
    }
    void TearDown() override {
        asio::post(ctx_, [this] { server_.close(); });
        thread_.join();
    }
    response call(const std::string& method, nlohmann::json params = nlohmann::json::object()) {
        iscsid::control_client c;
        EXPECT_FALSE(c.connect(path_));
        response r;
        auto ec = c.call({0, method, std::move(params)}, r, 5s);
        EXPECT_FALSE(ec) << ec.message();
        return r;
    }

    asio::io_context ctx_;
    iscsid::control_server server_{ctx_.get_executor()};
    std::thread thread_;
    test::temp_dir tmp_{"iscsid-control"};
    std::filesystem::path dir_ = tmp_.path();
    std::string path_;
    std::atomic<int> slow_finished_{0};
};

TEST_F(ControlServer, AnswersOverTheSocketWithPeerCredentials) {
    auto r = call("echo", {{"x", 1}});
    ASSERT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.result["params"]["x"], 1);
    EXPECT_EQ(r.result["uid"], ::getuid());
}

TEST_F(ControlServer, SocketIsWorldConnectable) {
    struct stat st {};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0666u);
}

TEST_F(ControlServer, UnknownMethodIsBadRequest) {
    auto r = call("frobnicate");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, failure::bad_request);
}

TEST_F(ControlServer, SecondDaemonOnTheSameSocketIsRefused) {
    asio::io_context other;
    iscsid::control_server second(other.get_executor());
    EXPECT_EQ(second.listen(path_), std::errc::address_in_use);
    EXPECT_TRUE(call("echo").ok); // the first one still serves
}

TEST_F(ControlServer, MutatingMethodNeedsRoot) {
    if (::getuid() != 0)
        GTEST_SKIP() << "needs root to compare a root and a non-root peer";
    EXPECT_TRUE(call("change").ok);
    // The other user must reach the socket through the test's directory, private (0700) otherwise.
    std::filesystem::permissions(dir_, std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The child speaks as uid 65534 and reports the outcome through its exit status.
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(10);
        iscsid::control_client c;
        response r;
        if (c.connect(path_) || c.call({0, "change", {}}, r, 5s))
            ::_exit(11);
        if (r.ok || r.code != failure::permission_denied)
            ::_exit(12);
        if (c.call({0, "echo", {}}, r, 5s) || !r.ok) // reading stays open to everyone
            ::_exit(13);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setuid, 11: transport, 12: not refused, 13: read refused";
}

TEST_F(ControlServer, SurvivesAClientThatLeavesMidRequest) {
    {
        iscsid::control_client c;
        ASSERT_FALSE(c.connect(path_));
        response r;
        // Gives up long before the method answers, then disconnects.
        EXPECT_EQ(c.call({0, "slow", {}}, r, 20ms), std::errc::timed_out);
    }
    for (int i = 0; i < 100 && slow_finished_ == 0; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(slow_finished_, 1);
    EXPECT_TRUE(call("echo").ok);
}

TEST_F(ControlServer, SixtyFourClientsAreServedConcurrently) {
    // 64 clients each wait on a 300 ms method at once: served one after the other they would take
    // 19 s; served concurrently, about 300 ms.
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> clients;
    std::atomic<int> answered{0};
    for (int i = 0; i < 64; ++i)
        clients.emplace_back([this, &answered] {
            iscsid::control_client c;
            response r;
            if (!c.connect(path_) && !c.call({0, "slow", {}}, r, 10s) && r.ok)
                ++answered;
        });
    for (auto& t : clients)
        t.join();
    EXPECT_EQ(answered, 64);
    EXPECT_EQ(slow_finished_, 64);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(ControlServer, RawGarbageGetsAnErrorNotADisconnect) {
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, path_.size());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::send(fd, "\x01\x02garbage", 9, 0), 9);
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    ::close(fd);
    ASSERT_GT(n, 0);
    std::string why;
    auto r = iscsid::control::decode_response(std::string_view(buf, static_cast<std::size_t>(n)), why);
    ASSERT_TRUE(r) << why;
    EXPECT_EQ(r->code, failure::bad_request);
}

TEST(ControlServerListen, ReplacesAStaleSocketButNotAFile) {
    test::temp_dir tmp("iscsid-stale");
    const auto& dir = tmp.path();
    auto path = (dir / "ctl.sock").string();
    {
        // A socket file nobody listens on, as a killed daemon leaves behind.
        int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, path.size());
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        ::close(fd);
    }
    asio::io_context ctx;
    iscsid::control_server s(ctx.get_executor());
    EXPECT_FALSE(s.listen(path));
    s.close();
    EXPECT_FALSE(std::filesystem::exists(path)) << "the socket is removed on close";

    std::ofstream(path) << "not a socket";
    iscsid::control_server t(ctx.get_executor());
    EXPECT_EQ(t.listen(path), std::errc::file_exists);
    EXPECT_TRUE(std::filesystem::exists(path)) << "a regular file is never deleted";
}

TEST(Timeout, ExpiresAndCancelsTheOperation) {
    asio::io_context ctx;
    std::optional<std::tuple<boost::system::error_code>> got{std::tuple{boost::system::error_code{}}};
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer slow(ctx, 10s);
            got =
                co_await iscsi::net::with_timeout(slow.async_wait(asio::as_tuple(asio::use_awaitable)), 20ms);
        },
        asio::detached);
    auto start = std::chrono::steady_clock::now();
    ctx.run();
    EXPECT_FALSE(got.has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s); // the 10 s wait was cancelled, not awaited
}

TEST(Timeout, PassesAResultThatArrivesInTime) {
    asio::io_context ctx;
    std::optional<std::tuple<boost::system::error_code>> got;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer fast(ctx, 1ms);
            got =
                co_await iscsi::net::with_timeout(fast.async_wait(asio::as_tuple(asio::use_awaitable)), 10s);
        },
        asio::detached);
    ctx.run();
    ASSERT_TRUE(got.has_value());
    EXPECT_FALSE(std::get<0>(*got));
}

TEST(TaskGroup, CancelStopsEveryChildAndJoinWaitsForThem) {
    asio::io_context ctx;
    iscsid::task_group group(ctx.get_executor());
    int stopped = 0;
    for (int i = 0; i < 3; ++i) {
        group.spawn(
            [&]() -> asio::awaitable<void> {
                asio::steady_timer t(ctx, 1h);
                auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                if (ec == asio::error::operation_aborted)
                    ++stopped;
            }(),
            "child");
    }
    bool joined = false;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer settle(ctx, 10ms);
            co_await settle.async_wait(asio::as_tuple(asio::use_awaitable));
            EXPECT_EQ(group.running(), 3u);
            group.cancel();
            co_await group.join();
            joined = true;
        },
        asio::detached);
    ctx.run();
    EXPECT_TRUE(joined);
    EXPECT_EQ(stopped, 3);
    EXPECT_EQ(group.running(), 0u);
}

} // namespace
