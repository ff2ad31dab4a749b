// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink.hpp"

#include "log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <sys/socket.h>
#include <unistd.h>

namespace asio = boost::asio;

namespace iscsid {
namespace {

// Replies are at most a page or two; dumps batch up to 32 KiB per datagram.
constexpr std::size_t datagram_size = 64 * 1024;

std::error_code last_error() {
    return {errno, std::system_category()};
}

int open_netlink_socket() {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (fd < 0)
        return -1;
    int on = 1;
    // Error messages carry the kernel's extack text and not a copy of our request.
    ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) { // NOLINT
        ::close(fd);
        return -1;
    }
    return fd;
}

// Resolves the family id, and a multicast group id when `group` is not empty, with libnl's
// synchronous control-family queries (start-up only).
std::error_code resolve(std::string_view family, std::string_view group, int& family_id, int& group_id) {
    std::unique_ptr<nl_sock, void (*)(nl_sock*)> sock(nl_socket_alloc(), nl_socket_free);
    if (!sock)
        return std::make_error_code(std::errc::not_enough_memory);
    if (genl_connect(sock.get()) < 0)
        return std::make_error_code(std::errc::io_error);
    const std::string fam(family);
    family_id = genl_ctrl_resolve(sock.get(), fam.c_str());
    if (family_id < 0)
        return std::make_error_code(std::errc::no_such_file_or_directory);
    if (!group.empty()) {
        group_id = genl_ctrl_resolve_grp(sock.get(), fam.c_str(), std::string(group).c_str());
        if (group_id < 0)
            return std::make_error_code(std::errc::no_such_file_or_directory);
    }
    return {};
}

} // namespace

std::string netlink_error::describe() const {
    if (message.empty())
        return code.message();
    return message + " (" + code.message() + ")";
}

const nlmsghdr* header_of(const netlink_message& m) noexcept {
    return reinterpret_cast<const nlmsghdr*>(m.data()); // NOLINT
}

std::vector<std::span<const std::byte>> split_datagram(std::span<const std::byte> datagram) {
    std::vector<std::span<const std::byte>> out;
    while (datagram.size() >= sizeof(nlmsghdr)) {
        nlmsghdr h;
        std::memcpy(&h, datagram.data(), sizeof(h));
        if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > datagram.size())
            break; // a length the datagram cannot hold: the rest is not trusted
        out.push_back(datagram.first(h.nlmsg_len));
        datagram = datagram.subspan(std::min<std::size_t>(NLMSG_ALIGN(h.nlmsg_len), datagram.size()));
    }
    return out;
}

netlink_error decode_error_message(std::span<const std::byte> message) {
    netlink_error err;
    const std::size_t fixed = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if (message.size() < NLMSG_HDRLEN + sizeof(int)) {
        err.code = std::make_error_code(std::errc::protocol_error);
        return err;
    }
    nlmsghdr h;
    std::memcpy(&h, message.data(), sizeof(h));
    int error = 0;
    std::memcpy(&error, message.data() + NLMSG_HDRLEN, sizeof(error));
    if (error == 0)
        return err;
    err.code = std::error_code(error < 0 ? -error : error, std::system_category());
    // With NETLINK_CAP_ACK the request is not echoed: the extack attributes follow nlmsgerr.
    if (!(h.nlmsg_flags & NLM_F_ACK_TLVS) || message.size() <= fixed)
        return err;
    auto tlvs = message.subspan(fixed);
    while (tlvs.size() >= sizeof(nlattr)) {
        nlattr a;
        std::memcpy(&a, tlvs.data(), sizeof(a));
        if (a.nla_len < sizeof(nlattr) || a.nla_len > tlvs.size())
            break;
        if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            auto text = tlvs.subspan(NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
            std::string s(reinterpret_cast<const char*>(text.data()), text.size()); // NOLINT
            err.message = s.substr(0, s.find('\0'));
        }
        tlvs = tlvs.subspan(std::min<std::size_t>(NLA_ALIGN(a.nla_len), tlvs.size()));
    }
    return err;
}

genl_socket::genl_socket(asio::any_io_executor ex) : ex_(ex), requests_(ex), events_(ex), blocking_(4) {}

genl_socket::~genl_socket() {
    close();
    blocking_.join();
}

std::error_code genl_socket::open(std::string_view family) {
    int unused = -1;
    if (auto ec = resolve(family, {}, family_, unused))
        return ec;
    family_name_ = family;
    int fd = open_netlink_socket();
    if (fd < 0)
        return last_error();
    requests_.assign(fd);
    return {};
}

std::error_code genl_socket::subscribe(std::string_view group, event_handler handler,
                                       std::function<void()> on_overrun) {
    int family = -1;
    int group_id = -1;
    if (auto ec = resolve(family_name_, group, family, group_id))
        return ec;
    int fd = open_netlink_socket();
    if (fd < 0)
        return last_error();
    if (::setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group_id, sizeof(group_id)) != 0) {
        auto ec = last_error();
        ::close(fd);
        return ec;
    }
    events_.assign(fd);
    on_event_ = std::move(handler);
    on_overrun_ = std::move(on_overrun);
    return {};
}

std::unique_ptr<nl_msg, void (*)(nl_msg*)> genl_socket::new_request(std::uint8_t cmd) const {
    std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_alloc(), nlmsg_free);
    if (msg && !genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, cmd, 1))
        msg.reset();
    return msg;
}

asio::awaitable<netlink_error> genl_socket::request(nl_msg* msg, bool dump,
                                                    std::chrono::steady_clock::duration limit,
                                                    std::vector<netlink_message>& replies) {
    netlink_error err;
    if (!requests_.is_open() || !msg) {
        err.code = std::make_error_code(!msg ? std::errc::not_enough_memory : std::errc::not_connected);
        co_return err;
    }
    nlmsghdr* h = nlmsg_hdr(msg);
    const std::uint32_t seq = next_seq_++;
    h->nlmsg_seq = seq;
    h->nlmsg_pid = 0;
    h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);

    asio::steady_timer wake(ex_, limit);
    pending p;
    p.wake = &wake;
    pending_[seq] = &p;

    // A generic netlink handler runs inside send(), in the caller's context (that is how the kernel
    // takes our socket fd): some handlers wait on the target, so send from a worker thread and keep
    // this thread serving everything else.
    const int fd = requests_.native_handle();
    const ssize_t sent = co_await asio::co_spawn(
        blocking_, [fd, h]() -> asio::awaitable<ssize_t> { co_return ::send(fd, h, h->nlmsg_len, 0); },
        asio::use_awaitable);
    if (sent < 0) {
        err.code = last_error();
        pending_.erase(seq);
        co_return err;
    }
    if (!p.done)
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    pending_.erase(seq);
    if (!p.done) {
        err.code = std::make_error_code(std::errc::timed_out);
        co_return err;
    }
    replies = std::move(p.replies);
    co_return p.error;
}

std::error_code genl_socket::send_now(nl_msg* msg) {
    if (!requests_.is_open() || !msg)
        return std::make_error_code(!msg ? std::errc::not_enough_memory : std::errc::not_connected);
    nlmsghdr* h = nlmsg_hdr(msg);
    h->nlmsg_seq = next_seq_++; // no pending entry: deliver() drops the acknowledgement
    h->nlmsg_pid = 0;
    h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    if (::send(requests_.native_handle(), h, h->nlmsg_len, 0) < 0)
        return last_error();
    return {};
}

void genl_socket::deliver(std::span<const std::byte> message, bool events) {
    nlmsghdr h;
    std::memcpy(&h, message.data(), sizeof(h));
    if (events) {
        if (static_cast<int>(h.nlmsg_type) == family_ && on_event_)
            on_event_(netlink_message(message.begin(), message.end()));
        return;
    }
    auto it = pending_.find(h.nlmsg_seq);
    if (it == pending_.end())
        return; // the answer to a request that already timed out
    pending* p = it->second;
    if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE) {
        // NLMSG_DONE ends a dump; its payload is an error code laid out like NLMSG_ERROR's.
        p->error = decode_error_message(message);
        p->done = true;
        pending_.erase(it);
        p->wake->cancel();
    } else if (static_cast<int>(h.nlmsg_type) == family_) {
        p->replies.emplace_back(message.begin(), message.end());
    }
}

asio::awaitable<void> genl_socket::read_loop(asio::posix::stream_descriptor& sock, bool events) {
    std::vector<std::byte> buf(datagram_size);
    while (sock.is_open()) {
        auto [ec] = co_await sock.async_wait(asio::posix::stream_descriptor::wait_read,
                                             asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return; // closed or cancelled
        for (;;) {
            ssize_t n = ::recv(sock.native_handle(), buf.data(), buf.size(), MSG_TRUNC);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == ENOBUFS) {
                // The kernel dropped messages for us: events must be re-read from the source.
                log::warning("netlink: {} lost (receive buffer overrun)", events ? "events" : "replies");
                if (events && on_overrun_)
                    on_overrun_();
                continue;
            }
            if (n < 0)
                break; // EAGAIN: drained
            if (static_cast<std::size_t>(n) > buf.size()) {
                log::warning("netlink: dropped a {}-byte datagram larger than the buffer", n);
                continue;
            }
            for (auto m : split_datagram(std::span(buf).first(static_cast<std::size_t>(n))))
                deliver(m, events);
        }
    }
}

asio::awaitable<void> genl_socket::run() {
    using namespace asio::experimental::awaitable_operators;
    if (events_.is_open())
        co_await (read_loop(requests_, false) && read_loop(events_, true));
    else
        co_await read_loop(requests_, false);
}

void genl_socket::close() {
    boost::system::error_code ignored;
    requests_.close(ignored);
    events_.close(ignored);
    for (auto& [seq, p] : pending_) {
        p->error.code = std::make_error_code(std::errc::operation_canceled);
        p->done = true;
        p->wake->cancel();
    }
    pending_.clear();
}

} // namespace iscsid
