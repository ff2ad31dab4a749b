// SPDX-License-Identifier: GPL-2.0-or-later
// Asynchronous generic netlink for the daemon's single-threaded io_context: requests matched to their
// replies by sequence number, dumps, extended-ack error messages, and multicast events on a second
// socket. libnl builds and parses messages and resolves the family; the I/O is Asio's.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

struct nl_msg;
struct nlmsghdr;

namespace iscsid {

// A failed netlink request: errno-style code, plus the kernel's extended-ack text when it gave one.
struct netlink_error {
    std::error_code code;
    std::string message; // the kernel's words ("session 3 has no connection"), or empty

    explicit operator bool() const noexcept { return static_cast<bool>(code); }
    // "message (code text)" or just the code's text.
    [[nodiscard]] std::string describe() const;
};

// One netlink message as received: the bytes of a complete nlmsghdr-framed message.
using netlink_message = std::vector<std::byte>;

const nlmsghdr* header_of(const netlink_message& m) noexcept;

// Splits a datagram into its messages, refusing a length that runs past the end.
std::vector<std::span<const std::byte>> split_datagram(std::span<const std::byte> datagram);

// Decodes an NLMSG_ERROR message: 0 for an ACK, else the error and the extack text if present.
netlink_error decode_error_message(std::span<const std::byte> message);

class genl_socket {
public:
    using event_handler = std::function<void(const netlink_message&)>;

    explicit genl_socket(boost::asio::any_io_executor ex);
    genl_socket(const genl_socket&) = delete;
    genl_socket& operator=(const genl_socket&) = delete;
    ~genl_socket();

    // Opens the request socket and resolves `family` (the kernel loads a module that declares the
    // family's alias). ENOENT: no such family.
    std::error_code open(std::string_view family);

    // Subscribes to multicast group `group` of the family on a second socket; every event message goes
    // to `handler`. A lost-events overflow (ENOBUFS) is reported by calling `on_overrun`, so the owner
    // can dump the state it missed.
    std::error_code subscribe(std::string_view group, event_handler handler,
                              std::function<void()> on_overrun);

    [[nodiscard]] int family_id() const noexcept { return family_; }

    // A new request message for `cmd` with the family's header; add attributes with libnl's nla_put_*.
    [[nodiscard]] std::unique_ptr<nl_msg, void (*)(nl_msg*)> new_request(std::uint8_t cmd) const;

    // Sends `msg` and waits for its reply messages (a do gives at most one, a dump many) and the final
    // acknowledgement. ETIMEDOUT when the kernel does not finish within `limit`.
    boost::asio::awaitable<netlink_error> request(nl_msg* msg, bool dump,
                                                  std::chrono::steady_clock::duration limit,
                                                  std::vector<netlink_message>& replies);

    // Sends `msg` and returns as soon as the kernel has taken it, without waiting for the reply (it
    // is dropped when it comes). A generic netlink handler runs inside send(), so when this returns
    // without an error the kernel has carried the request out. For destructors, which cannot wait.
    std::error_code send_now(nl_msg* msg);

    // Reads replies and events until close(); run it on the io_context once after open().
    boost::asio::awaitable<void> run();

    void close();

private:
    struct pending {
        std::vector<netlink_message> replies;
        netlink_error error;
        bool done = false;
        boost::asio::steady_timer* wake = nullptr;
    };
    boost::asio::awaitable<void> read_loop(boost::asio::posix::stream_descriptor& sock, bool events);
    void deliver(std::span<const std::byte> message, bool events);

    boost::asio::any_io_executor ex_;
    boost::asio::posix::stream_descriptor requests_;
    boost::asio::posix::stream_descriptor events_;
    boost::asio::thread_pool blocking_; // only for send(): see request()
    std::string family_name_;
    int family_ = -1;
    std::uint32_t next_seq_ = 1;
    std::map<std::uint32_t, pending*> pending_;
    event_handler on_event_;
    std::function<void()> on_overrun_;
};

} // namespace iscsid
