// SPDX-License-Identifier: GPL-2.0-or-later
// The login engine against scripted targets on 127.0.0.1 in the same process: what tgtd cannot be
// made to do (a redirect that lands, silence, continued SendTargets responses, NOP-In pings during
// discovery, a dropped connection). The target side reads and writes PDUs with the codec and the
// typed builders.
#include "iscsi/engine.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using iscsi::errc;
using iscsi::login_stage;
using iscsi::text_pair;
using namespace std::chrono_literals;
using namespace std::string_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The initiator's next PDU, as the target reads it.
awaitable<std::optional<iscsi::message>> read_request(tcp::socket& s, iscsi::digest_settings digests = {}) {
    iscsi::bhs_bytes bhs{};
    if (auto [ec, n] = co_await asio::async_read(s, asio::buffer(bhs), use_tuple); ec)
        co_return std::nullopt;
    const iscsi::receive_limits limits{
        .sender = iscsi::role::initiator, .max_data_segment_length = 65536, .digests = digests};
    auto length = iscsi::remaining_length(bhs, limits);
    if (!length)
        co_return std::nullopt;
    std::vector<std::byte> rest(*length);
    if (auto [ec, n] = co_await asio::async_read(s, asio::buffer(rest), use_tuple); ec)
        co_return std::nullopt;
    auto p = iscsi::parse_pdu(bhs, rest, limits);
    if (!p)
        co_return std::nullopt;
    auto m = iscsi::decode(*p);
    if (!m)
        co_return std::nullopt;
    co_return std::move(*m);
}

awaitable<void> send(tcp::socket& s, const iscsi::message& m, iscsi::digest_settings digests = {}) {
    auto bytes = iscsi::serialize(iscsi::encode(m), digests);
    co_await asio::async_write(s, asio::buffer(*bytes), use_tuple);
}

std::vector<text_pair> keys_of(const std::vector<std::byte>& data) {
    auto keys = iscsi::parse_text(data);
    return keys ? *keys : std::vector<text_pair>{};
}

// A target's side of one connection: numbers responses and answers logins simply.
struct target_connection {
    tcp::socket socket;
    std::uint32_t stat_sn = 1000;

    iscsi::login_response_pdu response_to(const iscsi::login_request_pdu& req, std::vector<text_pair> keys) {
        iscsi::login_response_pdu r;
        r.current_stage = req.current_stage;
        r.isid = req.isid;
        r.itt = req.itt;
        r.stat_sn = stat_sn++;
        r.exp_cmd_sn = req.cmd_sn;
        r.max_cmd_sn = req.cmd_sn + 8;
        r.data = iscsi::encode_text(keys);
        return r;
    }

    // Answers a whole login without authentication; false when the initiator misbehaved.
    awaitable<bool> accept_login() {
        auto first = co_await read_request(socket);
        auto* req = first ? std::get_if<iscsi::login_request_pdu>(&*first) : nullptr;
        if (req == nullptr)
            co_return false;
        auto r = response_to(*req, {{"AuthMethod", "None"}, {"TargetPortalGroupTag", "1"}});
        r.transit = true;
        r.next_stage = login_stage::operational;
        co_await send(socket, r);
        auto second = co_await read_request(socket);
        req = second ? std::get_if<iscsi::login_request_pdu>(&*second) : nullptr;
        if (req == nullptr)
            co_return false;
        std::vector<text_pair> answers;
        for (const auto& k : keys_of(req->data)) {
            if (k.key == "HeaderDigest" || k.key == "DataDigest")
                answers.push_back({k.key, "None"});
            else if (k.key != "MaxRecvDataSegmentLength")
                answers.push_back(k); // every numeric and boolean offer accepted as it is
        }
        r = response_to(*req, answers);
        r.transit = true;
        r.next_stage = login_stage::full_feature;
        r.tsih = 5;
        co_await send(socket, r);
        co_return true;
    }

    // Answers a Logout Request.
    awaitable<bool> accept_logout() {
        auto m = co_await read_request(socket);
        auto* req = m ? std::get_if<iscsi::logout_request_pdu>(&*m) : nullptr;
        if (req == nullptr)
            co_return false;
        co_await send(socket, iscsi::logout_response_pdu{.response = ISCSI_LOGOUT_RSP_CLOSED,
                                                         .itt = req->itt,
                                                         .stat_sn = stat_sn++,
                                                         .exp_cmd_sn = req->cmd_sn,
                                                         .max_cmd_sn = req->cmd_sn + 8,
                                                         .time2wait = 2,
                                                         .time2retain = 0});
        co_return true;
    }
};

class EngineTest : public ::testing::Test {
protected:
    asio::io_context io;
    tcp::acceptor acceptor{io, {asio::ip::address_v4::loopback(), 0}};

    [[nodiscard]] iscsi::portal portal_of(const tcp::acceptor& a) const {
        return *iscsi::parse_portal("127.0.0.1:" + std::to_string(a.local_endpoint().port()));
    }

    static iscsi::login_config config() {
        iscsi::login_config c;
        c.identity.initiator_name = "iqn.2026-11.org.example:engine-test";
        c.identity.target_name = "iqn.2026-11.org.example:target";
        c.isid = iscsi::make_enterprise_isid(1, 2);
        c.cmd_sn = 10;
        return c;
    }

    static iscsi::net::engine_options quick() {
        iscsi::net::engine_options o;
        o.connect_timeout = 2s;
        o.io_timeout = 2s;
        return o;
    }

    // Runs the target script and the initiator coroutine together; returns the initiator's result.
    template <class T>
    T run(std::function<awaitable<void>()> target, awaitable<T> initiator) {
        asio::co_spawn(io, std::move(target), asio::detached);
        std::optional<T> out;
        asio::co_spawn(
            io, [&]() -> awaitable<void> { out.emplace(co_await std::move(initiator)); }, asio::detached);
        io.run();
        return std::move(*out);
    }

    awaitable<target_connection> accept(tcp::acceptor& a) {
        auto [ec, s] = co_await a.async_accept(use_tuple);
        EXPECT_FALSE(ec);
        co_return target_connection{std::move(s)};
    }
};

TEST_F(EngineTest, LoginAndLogout) {
    bool target_ok = false;
    auto s = run(
        [&]() -> awaitable<void> {
            auto t = co_await accept(acceptor);
            target_ok = co_await t.accept_login() && co_await t.accept_logout();
        },
        [&]() -> awaitable<iscsi::net::outcome<iscsi::net::logout_result>> {
            auto c = co_await iscsi::net::login(portal_of(acceptor), config(), quick());
            if (!c)
                co_return c.failure();
            EXPECT_EQ(c->login.tsih, 5);
            EXPECT_EQ(c->cmd_sn, 10U);
            EXPECT_EQ(c->exp_stat_sn, 1002U);
            co_return co_await iscsi::net::logout(*c, quick());
        }());
    ASSERT_TRUE(s) << s.failure().message;
    EXPECT_EQ(s->time2wait, 2);
    EXPECT_TRUE(target_ok);
}

TEST_F(EngineTest, PermanentRedirectIsFollowedAndReported) {
    tcp::acceptor second{io, {asio::ip::address_v4::loopback(), 0}};
    const auto new_home = portal_of(second);
    auto s = run(
        [&]() -> awaitable<void> {
            auto first = co_await accept(acceptor);
            auto m = co_await read_request(first.socket);
            auto* req = m ? std::get_if<iscsi::login_request_pdu>(&*m) : nullptr;
            EXPECT_NE(req, nullptr);
            if (req == nullptr)
                co_return;
            auto r = first.response_to(*req, {{"TargetAddress", new_home.to_string() + ",1"}});
            r.status_class = ISCSI_LOGIN_CLASS_REDIRECT;
            r.status_detail = 2; // moved permanently
            co_await send(first.socket, r);
            auto t = co_await accept(second);
            EXPECT_TRUE(co_await t.accept_login());
        },
        iscsi::net::login(portal_of(acceptor), config(), quick()));
    ASSERT_TRUE(s) << s.failure().message;
    EXPECT_EQ(s->address.port, new_home.port);
    ASSERT_TRUE(s->permanent_redirect);
    EXPECT_EQ(s->permanent_redirect->port, new_home.port);
    EXPECT_EQ(s->permanent_redirect->tpgt, 1);
}

TEST_F(EngineTest, SilentTargetTimesOut) {
    auto options = quick();
    options.io_timeout = 200ms;
    auto s = run(
        [&]() -> awaitable<void> {
            auto t = co_await accept(acceptor);
            (void)co_await read_request(t.socket);
            asio::steady_timer wait(t.socket.get_executor(), 1s); // say nothing until the initiator gave up
            co_await wait.async_wait(use_tuple);
        },
        iscsi::net::login(portal_of(acceptor), config(), options));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), errc::timed_out);
    EXPECT_EQ(s.failure().message, "timed out waiting for a Login Response");
}

TEST_F(EngineTest, DroppedConnectionIsANetworkError) {
    auto s = run(
        [&]() -> awaitable<void> {
            auto t = co_await accept(acceptor);
            (void)co_await read_request(t.socket);
            t.socket.close();
        },
        iscsi::net::login(portal_of(acceptor), config(), quick()));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), std::error_code(boost::system::error_code(asio::error::eof)));
    EXPECT_EQ(s.failure().message.rfind("waiting for a Login Response: ", 0), 0U) << s.failure().message;
}

// MC/S as iscsid does it: the leading login offers MaxConnections=2 and the target takes it; the
// second connection logs in with the session's ISID and TSIH, CID 1 and the session's next CmdSN,
// and offers no session key.
TEST_F(EngineTest, ASecondConnectionJoinsTheSession) {
    bool target_ok = false;
    std::vector<std::string> second_keys;
    auto both = run(
        [&]() -> awaitable<void> {
            auto lead = co_await accept(acceptor);
            if (!co_await lead.accept_login())
                co_return;
            auto added = co_await accept(acceptor);
            auto first = co_await read_request(added.socket);
            auto* req = first ? std::get_if<iscsi::login_request_pdu>(&*first) : nullptr;
            if (req == nullptr)
                co_return;
            EXPECT_EQ(req->tsih, 5);
            EXPECT_EQ(req->cid, 1);
            EXPECT_EQ(req->cmd_sn, 10U);
            EXPECT_EQ(req->isid, iscsi::make_enterprise_isid(1, 2));
            auto r = added.response_to(*req, {{"AuthMethod", "None"}});
            r.transit = true;
            r.next_stage = login_stage::operational;
            co_await send(added.socket, r);
            auto second = co_await read_request(added.socket);
            req = second ? std::get_if<iscsi::login_request_pdu>(&*second) : nullptr;
            if (req == nullptr)
                co_return;
            std::vector<text_pair> answers;
            for (const auto& k : keys_of(req->data)) {
                second_keys.push_back(k.key);
                if (k.key == "HeaderDigest" || k.key == "DataDigest")
                    answers.push_back({k.key, "None"});
            }
            r = added.response_to(*req, answers);
            r.transit = true;
            r.next_stage = login_stage::full_feature;
            r.tsih = 5;
            co_await send(added.socket, r);
            target_ok = true;
        },
        [&]() -> awaitable<std::uint32_t> {
            auto c = config();
            c.preferences.max_connections = 2;
            auto lead = co_await iscsi::net::login(portal_of(acceptor), c, quick());
            if (!lead) {
                ADD_FAILURE() << lead.failure().message;
                co_return 0;
            }
            const auto n = iscsi::connections_to_open(lead->login, 4, 16);
            auto cfg = iscsi::added_connection_config(c, lead->login, 1);
            if (!cfg) {
                ADD_FAILURE() << cfg.error().message();
                co_return 0;
            }
            auto added = co_await iscsi::net::login(portal_of(acceptor), *cfg, quick());
            if (!added) {
                ADD_FAILURE() << added.failure().message;
                co_return 0;
            }
            EXPECT_EQ(added->login.tsih, 5);
            EXPECT_EQ(added->login.cid, 1);
            EXPECT_EQ(added->login.parameters.session.max_connections, 2U);
            EXPECT_FALSE(iscsi::connection_mismatch(lead->login.parameters.connection,
                                                    added->login.parameters.connection));
            co_return n;
        }());
    EXPECT_EQ(both, 2U); // offered 2, the target took 2: 4 wanted, 2 opened
    EXPECT_TRUE(target_ok);
    for (const auto& key : second_keys)
        EXPECT_TRUE(key == "HeaderDigest" || key == "DataDigest" || key == "MaxRecvDataSegmentLength") << key;
}

TEST_F(EngineTest, DiscoveryJoinsContinuedResponsesAndAnswersPings) {
    const std::string text = "TargetName=iqn.2026-11.org.example:one\0TargetAddress=127.0.0.1:3260,1\0"
                             "TargetName=iqn.2026-11.org.example:two\0TargetAddress=[2001:db8::2]:3261,2\0"s;
    const std::vector<std::byte> whole(reinterpret_cast<const std::byte*>(text.data()),
                                       reinterpret_cast<const std::byte*>(text.data() + text.size()));
    const std::size_t cut = 30; // inside the first TargetName
    bool pong = false;
    bool continuation_ok = false;
    auto d = run(
        [&]() -> awaitable<void> {
            auto t = co_await accept(acceptor);
            if (!co_await t.accept_login())
                co_return;
            auto m = co_await read_request(t.socket);
            auto* req = m ? std::get_if<iscsi::text_request_pdu>(&*m) : nullptr;
            EXPECT_NE(req, nullptr);
            if (req == nullptr)
                co_return;
            EXPECT_EQ(keys_of(req->data), (std::vector<text_pair>{{"SendTargets", "All"}}));
            const auto itt = req->itt;
            // A ping first: the initiator must answer it and keep waiting for its response.
            co_await send(t.socket, iscsi::nop_in_pdu{.itt = iscsi::reserved_tag,
                                                      .ttt = 0x99,
                                                      .stat_sn = t.stat_sn,
                                                      .exp_cmd_sn = req->cmd_sn,
                                                      .max_cmd_sn = req->cmd_sn + 8});
            auto n = co_await read_request(t.socket);
            auto* nop = n ? std::get_if<iscsi::nop_out_pdu>(&*n) : nullptr;
            pong = nop != nullptr && nop->ttt == 0x99 && nop->itt == iscsi::reserved_tag;
            iscsi::text_response_pdu part{.final = false,
                                          .continue_text = true,
                                          .itt = itt,
                                          .ttt = 0x1234,
                                          .stat_sn = t.stat_sn++,
                                          .exp_cmd_sn = req->cmd_sn + 1,
                                          .max_cmd_sn = req->cmd_sn + 8,
                                          .data = {whole.begin(), whole.begin() + cut}};
            co_await send(t.socket, part);
            auto more = co_await read_request(t.socket);
            auto* next = more ? std::get_if<iscsi::text_request_pdu>(&*more) : nullptr;
            continuation_ok = next != nullptr && next->ttt == 0x1234 && next->itt == itt &&
                              next->data.empty() && next->cmd_sn == req->cmd_sn + 1;
            iscsi::text_response_pdu rest{.final = true,
                                          .continue_text = false,
                                          .itt = itt,
                                          .ttt = iscsi::reserved_tag,
                                          .stat_sn = t.stat_sn++,
                                          .exp_cmd_sn = req->cmd_sn + 2,
                                          .max_cmd_sn = req->cmd_sn + 9,
                                          .data = {whole.begin() + cut, whole.end()}};
            co_await send(t.socket, rest);
            EXPECT_TRUE(co_await t.accept_logout());
        },
        iscsi::net::discover(portal_of(acceptor), config(), quick()));
    ASSERT_TRUE(d) << d.failure().message;
    EXPECT_TRUE(pong);
    EXPECT_TRUE(continuation_ok);
    ASSERT_EQ(d->targets.targets.size(), 2U);
    EXPECT_EQ(d->targets.targets[0].name.str(), "iqn.2026-11.org.example:one");
    EXPECT_EQ(d->targets.targets[1].portals.at(0).to_string(), "[2001:db8::2]:3261,2");
}

} // namespace
