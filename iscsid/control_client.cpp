// SPDX-License-Identifier: GPL-2.0-or-later
#include "control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace iscsid {
namespace {

std::error_code last_error() {
    return {errno, std::system_category()};
}

} // namespace

control_client::control_client(control_client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), next_id_(other.next_id_) {}

control_client& control_client::operator=(control_client&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        next_id_ = other.next_id_;
    }
    return *this;
}

control_client::~control_client() {
    if (fd_ >= 0)
        ::close(fd_);
}

std::error_code control_client::connect(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        return std::make_error_code(std::errc::filename_too_long);
    path.copy(addr.sun_path, path.size());
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return last_error();
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) { // NOLINT
        auto ec = last_error();
        ::close(fd);
        return ec;
    }
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = fd;
    return {};
}

std::error_code control_client::call(control::request req, control::response& out,
                                     std::chrono::milliseconds limit) {
    if (fd_ < 0)
        return std::make_error_code(std::errc::not_connected);
    req.id = next_id_++;
    const std::string msg = control::encode(req);
    if (::send(fd_, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size()))
        return last_error();

    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<char> buf(control::max_message_size + 1);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return std::make_error_code(std::errc::timed_out);
        pollfd p{fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return last_error();
        if (ready == 0)
            return std::make_error_code(std::errc::timed_out);
        ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n < 0)
            return last_error();
        if (n == 0)
            return std::make_error_code(std::errc::connection_reset);
        std::string why;
        auto rsp = control::decode_response(std::string_view(buf.data(), static_cast<std::size_t>(n)), why);
        if (!rsp || static_cast<std::size_t>(n) > control::max_message_size)
            return std::make_error_code(std::errc::protocol_error);
        if (rsp->id != req.id)
            continue; // an answer to an earlier request that timed out on our side
        out = std::move(*rsp);
        return {};
    }
}

} // namespace iscsid
