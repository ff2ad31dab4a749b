// SPDX-License-Identifier: GPL-2.0-or-later
// The login engine: the I/O around the protocol library, for the daemon and the tests. Boost.Asio
// (1.81) with C++20 coroutines; built as its own library (iscsi-engine) so libiscsi-proto stays
// free of I/O.
//
//   auto s = co_await iscsi::net::login(portal, config);   // connect, login, follow redirects
//   if (!s) log(s.failure().message);                      // "target not found", ...
//   else hand_to_kernel(s->socket.release(), s->login);    // or co_await logout(*s)
//
//   auto d = co_await iscsi::net::discover(portal, config); // SendTargets=All in a discovery session
//
// Every wait (name resolution, connect, each PDU sent or received) has a time limit. Failures are
// returned, never thrown: a login_failure whose code is one of iscsi::errc (timed_out included)
// or a system error of the network, and whose message is for a human.
#pragma once

#include "iscsi/discovery.hpp"
#include "iscsi/login.hpp"
#include "iscsi/pdu.hpp"
#include "iscsi/portal.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility> // before Asio: Boost 1.81 uses std::exchange
#include <variant>

namespace iscsi::net {

using boost::asio::ip::tcp;
using namespace std::chrono_literals;

struct engine_options {
    std::chrono::milliseconds connect_timeout = 10s; // name resolution and TCP connect, per portal
    std::chrono::milliseconds io_timeout = 15s;      // each PDU sent or awaited
    unsigned max_redirects = 4;                      // redirects followed by one login
    std::size_t max_discovery_text = 4 << 20;        // a SendTargets response, continuations joined
};

// A value or the failure that prevented it.
template <class T>
class [[nodiscard]] outcome : public value_or<T, login_failure> {
public:
    using value_or<T, login_failure>::value_or;

    [[nodiscard]] const login_failure& failure() const { return this->stored_error(); }
    [[nodiscard]] std::error_code error() const {
        return this->has_value() ? std::error_code{} : failure().code;
    }
};

// A connection in full feature phase, with the sequence numbers user-space requests need.
struct logged_in_connection {
    tcp::socket socket;
    portal address;                           // where the login succeeded, after redirects
    std::optional<portal> permanent_redirect; // set when the target moved permanently: store it
    login_result login;                       // everything the kernel needs
    digest_settings digests;                  // negotiated; every PDU after login uses them
    std::uint32_t cmd_sn = 0;                 // of the next non-immediate request
    std::uint32_t exp_stat_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::uint32_t next_itt = 1; // the login used config.itt; requests after it count from here
};

// TCP connection to a portal: resolves DNS names, tries every address (IPv4 and IPv6, link-local
// zones included) until one answers, all within `limit`. Sets TCP_NODELAY.
boost::asio::awaitable<outcome<tcp::socket>> connect(const portal& where, std::chrono::milliseconds limit);

// Connects and logs in; follows redirects (up to options.max_redirects). The views in
// config.chap must stay valid until this completes. The socket of the result is in full feature
// phase: hand it to the kernel or use it for user-space requests below.
boost::asio::awaitable<outcome<logged_in_connection>> login(portal where, login_config config,
                                                            engine_options options = {});

// Logs in on an existing connection (after connect()); no redirects are followed.
boost::asio::awaitable<outcome<logged_in_connection>>
login_on(tcp::socket socket, portal where, login_config config, engine_options options = {});

struct logout_result {
    std::uint16_t time2wait = 0; // before reconnecting (Logout Response)
    std::uint16_t time2retain = 0;
};

// Closes the session in user space (Logout Request with reason "close the session") and the socket.
boost::asio::awaitable<outcome<logout_result>> logout(logged_in_connection& connection,
                                                      engine_options options = {});

// Sends SendTargets=All (or `request`) in full feature phase of a discovery session and returns
// the joined response pairs (Text Response continuations are requested and joined).
boost::asio::awaitable<outcome<std::vector<text_pair>>>
send_text(logged_in_connection& connection, text_pair request, engine_options options = {});

struct discovery_result {
    sendtargets_response targets;
    portal address; // the portal that answered, after redirects
};

// A whole SendTargets discovery: login of a discovery session (config.identity.type is set to
// discovery, its target name cleared), SendTargets=All, logout.
boost::asio::awaitable<outcome<discovery_result>> discover(portal where, login_config config,
                                                           engine_options options = {});

} // namespace iscsi::net
