// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's control socket: AF_UNIX SOCK_SEQPACKET, one JSON request per message (see
// control_protocol.hpp). Each client is served by its own coroutine; a client that disconnects or
// stalls mid-request costs nothing but its own coroutine. Mutating methods are refused to peers whose
// SO_PEERCRED uid is not 0.
#pragma once

#include "control_protocol.hpp"
#include "task_group.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/seq_packet_protocol.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <system_error>

namespace iscsid {

struct peer_credentials {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    pid_t pid = 0;
};

class control_server {
public:
    using handler = std::function<boost::asio::awaitable<control::response>(const control::request&,
                                                                            const peer_credentials&)>;

    // A client silent this long between requests is disconnected.
    static constexpr std::chrono::minutes client_idle_limit{10};

    explicit control_server(boost::asio::any_io_executor ex);

    void add_method(std::string name, bool mutating, handler h);

    // Listens on `path`, creating its directory. Refuses (EADDRINUSE) when a daemon answers there;
    // replaces a stale socket file left by a daemon that died.
    std::error_code listen(const std::string& path);

    // Takes over a listening socket handed over by systemd socket activation.
    std::error_code adopt(int fd);

    // Accepts and serves clients until close(); returns once every client coroutine has ended.
    boost::asio::awaitable<void> serve();

    void close();

    // Decodes, authorises and runs one request. Public so tests can drive it without a socket.
    boost::asio::awaitable<control::response> dispatch(std::string_view message,
                                                       const peer_credentials& peer);

private:
    using seqpacket = boost::asio::generic::seq_packet_protocol;
    struct method {
        bool mutating;
        handler run;
    };

    boost::asio::awaitable<void> serve_client(seqpacket::socket sock);

    boost::asio::basic_socket_acceptor<seqpacket> acceptor_;
    std::map<std::string, method, std::less<>> methods_;
    task_group clients_;
    std::string unlink_on_close_;
};

} // namespace iscsid
