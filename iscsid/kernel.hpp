// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's view of the kernel module: typed operations and events of the generic netlink family
// "iscsi_ini" (docs/netlink/iscsi_ini.yaml), over genl_socket.
#pragma once

#include "netlink.hpp"

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iscsid {

struct kernel_version {
    std::uint32_t interface = 0; // ISCSI_INI_A_VERSION: the netlink interface version
    std::string module;          // ISCSI_INI_A_MODULE_VERSION: the module's release
};

// What session-new carries: names, identity and every negotiated parameter the datapath needs.
struct kernel_session_params {
    std::string target_name;
    std::string initiator_name;
    std::string portal; // as the user knows it, for sysfs and listings
    std::array<std::uint8_t, 6> isid{};
    std::uint16_t tsih = 0;
    std::uint16_t tpgt = 0;
    std::uint32_t max_recv_dlength = 8192; // what we declared: the most the target sends us
    std::uint32_t max_xmit_dlength = 8192; // what the target declared: the most we may send
    std::uint32_t first_burst_length = 65536;
    std::uint32_t max_burst_length = 262144;
    bool initial_r2t = true;
    bool immediate_data = true;
    std::uint16_t max_outstanding_r2t = 1;
    bool header_digest = false; // CRC32C when true
    bool data_digest = false;
    bool data_pdu_in_order = true;
    bool data_sequence_in_order = true;
    std::uint8_t erl = 0;
    std::uint16_t cmds_max = 128;
    std::uint32_t replacement_timeout = 120; // seconds
    std::uint32_t noop_interval = 5;         // seconds, 0 disables pings
    std::uint32_t noop_timeout = 5;          // seconds
    std::uint16_t max_connections = 1;       // connections the session may have (CID 0 to this - 1)
};

// What conn-bind carries: the logged-in socket and where the sequence numbers stand.
struct kernel_bind_params {
    std::uint32_t session_id = 0;
    std::uint16_t cid = 0;
    int fd = -1;
    std::uint32_t exp_stat_sn = 0;
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
};

enum class session_state : std::uint32_t { fresh = 0, logged_in, recovering, failed, logging_out, removed };
const char* to_string(session_state s) noexcept;

// Live-tunable settings (session-set); unset fields keep their values.
struct kernel_session_settings {
    std::optional<std::uint16_t> cmds_max;
    std::optional<std::uint32_t> replacement_timeout;
    std::optional<std::uint32_t> noop_interval;
    std::optional<std::uint32_t> noop_timeout;
};

// One bound connection of a session, as session-get reports it.
struct kernel_conn_info {
    std::uint16_t cid = 0;
    std::uint32_t exp_stat_sn = 0;
    std::uint64_t cmds = 0;
    std::uint64_t read_bytes = 0;
    std::uint64_t write_bytes = 0;
};

// One session as session-get reports it.
struct kernel_session_info {
    std::uint32_t session_id = 0;
    std::uint32_t host_no = 0;
    session_state state = session_state::fresh;
    kernel_session_params params;
    std::uint16_t cid = 0;
    std::uint32_t exp_stat_sn = 0;
    std::uint32_t cmd_sn = 0;
    std::uint32_t exp_cmd_sn = 0;
    std::uint32_t max_cmd_sn = 0;
    std::map<std::string, std::uint64_t> stats; // counter name -> value
    std::vector<kernel_conn_info> connections;  // bound ones, by CID
};

struct kernel_event {
    enum class kind { conn_error, session_state, async_event, scan_done } type = kind::conn_error;
    std::uint32_t session_id = 0;
    std::uint16_t cid = 0;
    std::uint32_t reason = 0; // conn_error: errno
    std::uint32_t host_no = 0;
    std::uint32_t scan_gen = 0; // scan_done: the last scan request the ended scan covers
    session_state state = session_state::fresh;
    std::uint8_t async_event = 0;
    std::uint8_t async_vcode = 0;
    std::optional<std::uint64_t> lun;
    std::vector<std::uint8_t> sense;
};

// Decoders, public for the unit tests. Each refuses (nullopt / false) a message without its required
// attributes or with malformed ones.
std::optional<kernel_version> decode_version(const netlink_message& m);
std::optional<kernel_session_info> decode_session_info(const netlink_message& m);
std::optional<kernel_event> decode_event(const netlink_message& m);

class kernel {
public:
    static constexpr std::chrono::seconds request_limit{10};
    // Logout waits in the kernel for the target's Logout Response.
    static constexpr std::chrono::seconds logout_limit{40};

    explicit kernel(boost::asio::any_io_executor ex) : nl_(ex) {}

    // Finds the family (loading the module through its alias when installed); ENOENT when absent.
    std::error_code open();
    std::error_code subscribe(std::function<void(const kernel_event&)> on_event,
                              std::function<void()> on_overrun);
    boost::asio::awaitable<void> run() { return nl_.run(); }
    void close() { nl_.close(); }

    boost::asio::awaitable<netlink_error> version(kernel_version& out);
    boost::asio::awaitable<netlink_error> session_new(const kernel_session_params& p,
                                                      std::uint32_t& session_id, std::uint32_t& host_no);
    boost::asio::awaitable<netlink_error> conn_bind(const kernel_bind_params& b);
    boost::asio::awaitable<netlink_error> session_logout(std::uint32_t session_id);
    boost::asio::awaitable<netlink_error> session_del(std::uint32_t session_id);
    // session_del without waiting for the answer (see genl_socket::send_now): for cleanup in a
    // destructor. Fails only when the request could not be sent.
    std::error_code session_del_now(std::uint32_t session_id);
    boost::asio::awaitable<netlink_error> session_set(std::uint32_t session_id,
                                                      const kernel_session_settings& s);
    // Asks for a LUN scan; scan_gen is the request's number, which the scan_done covering it reaches.
    boost::asio::awaitable<netlink_error> session_rescan(std::uint32_t session_id, std::uint32_t& scan_gen);
    boost::asio::awaitable<netlink_error> sessions(std::vector<kernel_session_info>& out);

private:
    boost::asio::awaitable<netlink_error> simple(std::uint8_t cmd, std::uint32_t session_id,
                                                 std::chrono::steady_clock::duration limit);
    genl_socket nl_;
};

} // namespace iscsid
