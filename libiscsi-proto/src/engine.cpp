// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/engine.hpp"

#include "iscsi/timeout.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <string_view>

namespace iscsi::net {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

login_failure failed(std::error_code code, std::string message, std::error_code cause = {}) {
    login_failure f;
    f.code = code;
    f.cause = cause;
    f.message = std::move(message);
    return f;
}

login_failure network_failure(std::error_code ec, std::string_view what) {
    return failed(ec, std::string(what) + ": " + ec.message());
}

login_failure timeout_failure(std::string_view what) {
    return failed(make_error_code(errc::timed_out), "timed out " + std::string(what));
}

login_failure violation(std::string message, std::error_code cause = {}) {
    return failed(make_error_code(errc::protocol_violation), "protocol violation: " + std::move(message),
                  cause);
}

bool serial_less(std::uint32_t a, std::uint32_t b) noexcept {
    return a != b && static_cast<std::uint32_t>(b - a) < 0x80000000U;
}

void close(tcp::socket& socket) {
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

awaitable<std::optional<login_failure>> send_pdu(tcp::socket& socket, const pdu& p, digest_settings digests,
                                                 std::chrono::milliseconds limit, std::string_view what) {
    auto bytes = serialize(p, digests);
    if (!bytes)
        co_return failed(bytes.error(),
                         "cannot encode " + std::string(what) + ": " + bytes.error().message());
    auto sent = co_await with_timeout(asio::async_write(socket, asio::buffer(*bytes), use_tuple), limit);
    if (!sent)
        co_return timeout_failure("sending " + std::string(what));
    if (auto [ec, n] = *sent; ec)
        co_return network_failure(ec, "sending " + std::string(what));
    co_return std::nullopt;
}

awaitable<outcome<pdu>> receive_pdu(tcp::socket& socket, const receive_limits& limits,
                                    std::chrono::milliseconds limit, std::string_view what) {
    const auto waiting = "waiting for " + std::string(what);
    bhs_bytes bhs{};
    auto got = co_await with_timeout(asio::async_read(socket, asio::buffer(bhs), use_tuple), limit);
    if (!got)
        co_return timeout_failure(waiting);
    if (auto [ec, n] = *got; ec)
        co_return network_failure(ec, waiting);
    auto length = remaining_length(bhs, limits);
    if (!length)
        co_return violation("bad PDU header from the target: " + length.error().message(), length.error());
    std::vector<std::byte> rest(*length);
    if (!rest.empty()) {
        got = co_await with_timeout(asio::async_read(socket, asio::buffer(rest), use_tuple), limit);
        if (!got)
            co_return timeout_failure(waiting);
        if (auto [ec, n] = *got; ec)
            co_return network_failure(ec, waiting);
    }
    auto p = parse_pdu(bhs, rest, limits);
    if (!p)
        co_return violation("bad PDU from the target: " + p.error().message(), p.error());
    co_return std::move(*p);
}

receive_limits full_feature_limits(const logged_in_connection& c) {
    return {.sender = role::target,
            .max_data_segment_length = c.login.parameters.connection.max_recv_data_segment_length,
            .digests = c.digests};
}

std::uint32_t take_itt(logged_in_connection& c) {
    if (c.next_itt == reserved_tag)
        c.next_itt = 0;
    return c.next_itt++;
}

void note_window(logged_in_connection& c, std::uint32_t exp_cmd_sn, std::uint32_t max_cmd_sn) {
    // RFC 7143 section 4.2.2.1: a window update with MaxCmdSN < ExpCmdSN - 1 is ignored, and
    // neither number ever goes back.
    if (serial_less(max_cmd_sn + 1, exp_cmd_sn))
        return;
    if (serial_less(c.exp_cmd_sn, exp_cmd_sn))
        c.exp_cmd_sn = exp_cmd_sn;
    if (serial_less(c.max_cmd_sn, max_cmd_sn))
        c.max_cmd_sn = max_cmd_sn;
}

// The response to the request with `itt`; answers NOP-In pings and takes asynchronous messages on
// the way, as a target may send them at any time in full feature phase.
awaitable<outcome<message>> receive_response(logged_in_connection& c, std::uint32_t itt,
                                             const engine_options& options, std::string_view what) {
    for (;;) {
        auto p = co_await receive_pdu(c.socket, full_feature_limits(c), options.io_timeout, what);
        if (!p)
            co_return p.failure();
        auto m = decode(*p);
        if (!m)
            co_return violation("malformed PDU from the target: " + m.error().message(), m.error());
        if (auto* nop = std::get_if<nop_in_pdu>(&*m)) {
            note_window(c, nop->exp_cmd_sn, nop->max_cmd_sn);
            if (nop->ttt == reserved_tag)
                continue;
            const nop_out_pdu pong{.immediate = true,
                                   .lun = nop->lun,
                                   .itt = reserved_tag,
                                   .ttt = nop->ttt,
                                   .cmd_sn = c.cmd_sn,
                                   .exp_stat_sn = c.exp_stat_sn,
                                   .data = nop->data};
            if (auto f =
                    co_await send_pdu(c.socket, pong.to_pdu(), c.digests, options.io_timeout, "a NOP-Out"))
                co_return *f;
            continue;
        }
        if (auto* async = std::get_if<async_message_pdu>(&*m)) {
            c.exp_stat_sn = async->stat_sn + 1;
            note_window(c, async->exp_cmd_sn, async->max_cmd_sn);
            continue;
        }
        if (auto* reject = std::get_if<reject_pdu>(&*m))
            co_return violation("the target rejected our request (reason " + std::to_string(reject->reason) +
                                ")");
        if (p->itt() != itt)
            co_return violation("response with ITT " + std::to_string(p->itt()) + " while waiting for " +
                                std::to_string(itt));
        co_return std::move(*m);
    }
}

// StatSN and window of a response to one of our requests.
std::optional<login_failure> take_status(logged_in_connection& c, std::uint32_t stat_sn,
                                         std::uint32_t exp_cmd_sn, std::uint32_t max_cmd_sn) {
    if (stat_sn != c.exp_stat_sn)
        return violation("StatSN " + std::to_string(stat_sn) + " where " + std::to_string(c.exp_stat_sn) +
                         " was expected");
    c.exp_stat_sn = stat_sn + 1;
    note_window(c, exp_cmd_sn, max_cmd_sn);
    return std::nullopt;
}

} // namespace

awaitable<outcome<tcp::socket>> connect(const portal& where, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    const auto name = where.to_string();
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto flags = tcp::resolver::numeric_service;
    if (where.kind != host_kind::dns_name)
        flags |= tcp::resolver::numeric_host;
    auto resolved = co_await with_timeout(
        resolver.async_resolve(where.host, std::to_string(where.port), flags, use_tuple), limit);
    if (!resolved)
        co_return timeout_failure("resolving " + where.host);
    auto [resolve_error, endpoints] = std::move(*resolved);
    if (resolve_error)
        co_return network_failure(resolve_error, "cannot resolve " + where.host);
    tcp::socket socket(ex);
    auto connected = co_await with_timeout(
        asio::async_connect(socket, endpoints, use_tuple),
        std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero()));
    if (!connected)
        co_return timeout_failure("connecting to " + name);
    if (auto [ec, endpoint] = *connected; ec)
        co_return network_failure(ec, "cannot connect to " + name);
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    co_return std::move(socket);
}

awaitable<outcome<logged_in_connection>> login_on(tcp::socket socket, portal where, login_config config,
                                                  engine_options options) {
    const auto first_itt = config.itt;
    // Login Responses stay within 8192 bytes by the RFC; we accept up to what we declare.
    const receive_limits limits{
        .sender = role::target,
        .max_data_segment_length =
            std::max(default_max_data_segment_length, config.preferences.max_recv_data_segment_length),
        .digests = {}};
    auto machine = login_machine::create(std::move(config));
    if (!machine)
        co_return failed(make_error_code(errc::bad_format),
                         "bad login configuration: " + machine.error().message(), machine.error());
    auto step = machine->start();
    while (step && !step->done) {
        if (auto f = co_await send_pdu(socket, *step->request, {}, options.io_timeout, "a Login Request")) {
            close(socket);
            co_return *f;
        }
        auto response = co_await receive_pdu(socket, limits, options.io_timeout, "a Login Response");
        if (!response) {
            close(socket);
            co_return response.failure();
        }
        step = machine->receive(*response);
    }
    if (!step) {
        close(socket);
        co_return machine->failure();
    }
    const auto& r = *machine->outcome();
    logged_in_connection c{
        .socket = std::move(socket),
        .address = std::move(where),
        .permanent_redirect = std::nullopt,
        .login = r,
        .digests = {.header = r.parameters.connection.header_digest == digest_type::crc32c,
                    .data = r.parameters.connection.data_digest == digest_type::crc32c},
        .cmd_sn = r.cmd_sn,
        .exp_stat_sn = r.exp_stat_sn,
        .exp_cmd_sn = r.exp_cmd_sn,
        .max_cmd_sn = r.max_cmd_sn,
        .next_itt = first_itt + 1,
    };
    co_return std::move(c);
}

awaitable<outcome<logged_in_connection>> login(portal where, login_config config, engine_options options) {
    std::optional<portal> moved_permanently;
    for (unsigned redirects = 0;; ++redirects) {
        auto socket = co_await connect(where, options.connect_timeout);
        if (!socket)
            co_return socket.failure();
        auto c = co_await login_on(std::move(*socket), where, config, options);
        if (c) {
            c->permanent_redirect = std::move(moved_permanently);
            co_return c;
        }
        const auto& f = c.failure();
        if (f.code != errc::target_moved || !f.redirect)
            co_return c;
        if (redirects == options.max_redirects) {
            auto last = f;
            last.message += " (not followed: " + std::to_string(redirects) + " redirects already)";
            co_return last;
        }
        where = f.redirect->address;
        if (f.redirect->permanent)
            moved_permanently = where;
    }
}

awaitable<outcome<std::vector<text_pair>>> send_text(logged_in_connection& c, text_pair request,
                                                     engine_options options) {
    const auto itt = take_itt(c);
    text_request_pdu req{.immediate = false,
                         .final = true,
                         .continue_text = false,
                         .lun = 0,
                         .itt = itt,
                         .ttt = reserved_tag,
                         .cmd_sn = c.cmd_sn,
                         .exp_stat_sn = c.exp_stat_sn,
                         .data = encode_text(std::span(&request, 1))};
    std::vector<std::byte> text;
    for (;;) {
        req.cmd_sn = c.cmd_sn++;
        req.exp_stat_sn = c.exp_stat_sn;
        if (auto f =
                co_await send_pdu(c.socket, req.to_pdu(), c.digests, options.io_timeout, "a Text Request"))
            co_return *f;
        auto m = co_await receive_response(c, itt, options, "a Text Response");
        if (!m)
            co_return m.failure();
        auto* r = std::get_if<text_response_pdu>(&*m);
        if (r == nullptr)
            co_return violation("a PDU other than a Text Response answered our Text Request");
        if (auto f = take_status(c, r->stat_sn, r->exp_cmd_sn, r->max_cmd_sn))
            co_return *f;
        if (text.size() + r->data.size() > options.max_discovery_text)
            co_return violation("Text Response longer than " + std::to_string(options.max_discovery_text) +
                                " bytes");
        text.insert(text.end(), r->data.begin(), r->data.end());
        if (r->final)
            break;
        if (r->ttt == reserved_tag)
            co_return violation("a Text Response to be continued without a Target Transfer Tag");
        // RFC 7143 section 11.10: ask for the rest with an empty request carrying the target's TTT.
        req.data.clear();
        req.ttt = r->ttt;
    }
    auto pairs = parse_text(text);
    if (!pairs)
        co_return violation("malformed text in a Text Response", pairs.error());
    co_return std::move(*pairs);
}

awaitable<outcome<logout_result>> logout(logged_in_connection& c, engine_options options) {
    const auto itt = take_itt(c);
    const logout_request_pdu req{.immediate = true,
                                 .reason = ISCSI_LOGOUT_CLOSE_SESSION,
                                 .itt = itt,
                                 .cid = c.login.cid,
                                 .cmd_sn = c.cmd_sn,
                                 .exp_stat_sn = c.exp_stat_sn};
    auto done = [&](outcome<logout_result> out) {
        close(c.socket);
        return out;
    };
    if (auto f = co_await send_pdu(c.socket, req.to_pdu(), c.digests, options.io_timeout, "a Logout Request"))
        co_return done(*f);
    auto m = co_await receive_response(c, itt, options, "a Logout Response");
    if (!m)
        co_return done(m.failure());
    auto* r = std::get_if<logout_response_pdu>(&*m);
    if (r == nullptr)
        co_return done(violation("a PDU other than a Logout Response answered our Logout Request"));
    if (auto f = take_status(c, r->stat_sn, r->exp_cmd_sn, r->max_cmd_sn))
        co_return done(*f);
    if (r->response != ISCSI_LOGOUT_RSP_CLOSED)
        co_return done(failed(make_error_code(errc::login_rejected),
                              "logout refused by the target (response " + std::to_string(r->response) + ")"));
    co_return done(logout_result{.time2wait = r->time2wait, .time2retain = r->time2retain});
}

awaitable<outcome<discovery_result>> discover(portal where, login_config config, engine_options options) {
    config.identity.type = session_type::discovery;
    config.identity.target_name.clear();
    config.tsih = 0;
    auto c = co_await login(std::move(where), std::move(config), options);
    if (!c)
        co_return c.failure();
    auto pairs = co_await send_text(*c, sendtargets_all(), options);
    if (!pairs) {
        close(c->socket);
        co_return pairs.failure();
    }
    auto targets = parse_sendtargets(*pairs, c->address);
    // The answer is in; a target that fumbles the logout does not take it away.
    (void)co_await logout(*c, options);
    if (!targets)
        co_return violation("malformed SendTargets response: " + targets.error().message(), targets.error());
    co_return discovery_result{.targets = std::move(*targets), .address = c->address};
}

} // namespace iscsi::net
