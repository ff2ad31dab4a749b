// SPDX-License-Identifier: GPL-2.0-or-later
#include "control_server.hpp"

#include "iscsi/timeout.hpp"
#include "log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;

namespace iscsid {
namespace {

std::error_code last_error() {
    return {errno, std::system_category()};
}

// sockaddr_un for `path`, or ENAMETOOLONG.
std::error_code unix_address(const std::string& path, sockaddr_un& addr) {
    addr = {};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        return std::make_error_code(std::errc::filename_too_long);
    path.copy(addr.sun_path, path.size());
    return {};
}

// True when something accepts connections at `addr`: another daemon owns the socket.
bool someone_listens(const sockaddr_un& addr) {
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool answered = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0; // NOLINT
    ::close(fd);
    return answered;
}

peer_credentials credentials_of(int fd) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    peer_credentials peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        peer.uid = cred.uid;
        peer.gid = cred.gid;
        peer.pid = cred.pid;
    }
    return peer;
}

} // namespace

control_server::control_server(asio::any_io_executor ex) : acceptor_(ex), clients_(ex) {}

void control_server::add_method(std::string name, bool mutating, handler h) {
    methods_[std::move(name)] = method{mutating, std::move(h)};
}

std::error_code control_server::listen(const std::string& path) {
    sockaddr_un addr;
    if (auto ec = unix_address(path, addr))
        return ec;
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && std::filesystem::create_directories(dir, ec))
        std::filesystem::permissions(dir, std::filesystem::perms(0755), ec);
    if (someone_listens(addr))
        return std::make_error_code(std::errc::address_in_use);
    // Nobody answers: a file left there is a stale socket of a daemon that died.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return std::make_error_code(std::errc::file_exists);
        ::unlink(path.c_str());
    }
    seqpacket proto(AF_UNIX, 0);
    seqpacket::endpoint ep(&addr, sizeof(addr));
    boost::system::error_code bec;
    if (acceptor_.open(proto, bec); bec)
        return bec;
    if (acceptor_.bind(ep, bec); bec)
        return bec;
    // Anyone may connect and read; SO_PEERCRED decides who may change anything.
    if (::chmod(path.c_str(), 0666) != 0)
        return last_error();
    if (acceptor_.listen(asio::socket_base::max_listen_connections, bec); bec)
        return bec;
    unlink_on_close_ = path;
    return {};
}

std::error_code control_server::adopt(int fd) {
    boost::system::error_code ec;
    acceptor_.assign(seqpacket(AF_UNIX, 0), fd, ec);
    return ec;
}

void control_server::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    clients_.cancel();
    if (!unlink_on_close_.empty()) {
        ::unlink(unlink_on_close_.c_str());
        unlink_on_close_.clear();
    }
}

asio::awaitable<void> control_server::serve() {
    while (acceptor_.is_open()) {
        auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open())
            break;
        if (ec) {
            // EMFILE and friends: say so and keep serving the clients we have.
            log::warning("control socket: accept failed: {}", ec.message());
            continue;
        }
        clients_.spawn(serve_client(std::move(sock)), "control client");
    }
    co_await clients_.join();
}

asio::awaitable<void> control_server::serve_client(seqpacket::socket sock) {
    const peer_credentials peer = credentials_of(sock.native_handle());
    std::vector<char> buf(control::max_message_size + 1);
    for (;;) {
        asio::socket_base::message_flags flags = 0;
        auto got = co_await iscsi::net::with_timeout(
            sock.async_receive(asio::buffer(buf), flags, asio::as_tuple(asio::use_awaitable)),
            client_idle_limit);
        if (!got) {
            log::debug("control socket: client pid {} idle too long, disconnected", peer.pid);
            co_return;
        }
        auto [ec, n] = *got;
        if (ec || n == 0) // closed by the client, or cancelled at shutdown
            co_return;
        control::response rsp;
        if (n > control::max_message_size)
            rsp = control::response::error(control::failure::bad_request, "request too large");
        else
            rsp = co_await dispatch(std::string_view(buf.data(), n), peer);
        std::string out = control::encode(rsp);
        auto [send_ec, sent] =
            co_await sock.async_send(asio::buffer(out), 0, asio::as_tuple(asio::use_awaitable));
        if (send_ec)
            co_return; // the client went away while we worked: nothing to tell it
    }
}

asio::awaitable<control::response> control_server::dispatch(std::string_view message,
                                                            const peer_credentials& peer) {
    std::string why;
    auto req = control::decode_request(message, why);
    if (!req)
        co_return control::response::error(control::failure::bad_request, "malformed request: " + why);
    auto m = methods_.find(req->method);
    control::response rsp;
    if (m == methods_.end()) {
        rsp =
            control::response::error(control::failure::bad_request, "unknown method \"" + req->method + "\"");
    } else if (m->second.mutating && peer.uid != 0) {
        log::notice("control socket: refused {} to uid {} (pid {}): only root may change sessions",
                    req->method, peer.uid, peer.pid);
        rsp = control::response::error(control::failure::permission_denied,
                                       req->method + " needs root privileges");
    } else {
        rsp = co_await m->second.run(*req, peer);
    }
    rsp.id = req->id;
    co_return rsp;
}

} // namespace iscsid
