// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's sessions: login (connect, negotiate, hand the socket to the kernel, wait for the
// disks), recovery after the kernel reports a lost connection (log in again with the same ISID and
// bind the new socket to the same kernel session, with capped backoff), logout, listings, and the
// take-over of a previous daemon's sessions.
//
// Each session's login configuration (secrets included) is kept in a root-only file under
// /run/iscsid/sessions, so a restarted daemon can recover the sessions it finds in the kernel.
#pragma once

#include "control_protocol.hpp"
#include "control_server.hpp"
#include "kernel.hpp"
#include "target_config.hpp"
#include "task_group.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

namespace iscsid {

// The scans of one session that logins and rescans wait for: the scan-gen of the last scan-done
// seen since the first of them began to wait.
struct scan_watch {
    std::optional<std::uint32_t> ended;
    int waiters = 0;
};

class session_manager {
public:
    // How long a login waits for the kernel's LUN scan to show the disks, how often it looks, and,
    // when the kernel's scan-done event was lost, how long the LUN set must stay the same.
    static constexpr std::chrono::seconds lun_scan_limit{30};
    static constexpr std::chrono::milliseconds lun_poll{20};
    static constexpr std::chrono::milliseconds lun_settle{300};
    static constexpr std::chrono::seconds max_backoff{30};
    // A login with retry-for: first pause and its cap (the pause doubles after each attempt).
    static constexpr std::chrono::seconds first_login_retry{1};
    static constexpr std::chrono::seconds max_login_retry{10};
    static constexpr std::uint64_t max_retry_for = 3600;
    // How long a rescan waits for the kernel's scans and the disks.
    static constexpr std::chrono::seconds rescan_limit{10};

    session_manager(boost::asio::any_io_executor ex, kernel& k, std::filesystem::path state_dir);

    // Registers login, logout, modify, rescan, session, sessions and luns on the control socket.
    void register_methods(control_server& server);

    // Takes over the sessions a previous daemon left in the kernel. Call once at start.
    boost::asio::awaitable<void> take_over();

    void on_kernel_event(const kernel_event& e);
    // The kernel's events overflowed: re-read the sessions and recover any that lost its connection.
    void on_events_lost();

    // Stops every recovery; sessions stay in the kernel.
    boost::asio::awaitable<void> shutdown();

private:
    struct session {
        std::uint32_t id = 0;
        std::uint32_t host_no = 0;
        target_config config;
        iscsi::isid_bytes isid{};
        std::uint16_t tsih = 0;
        std::string portal;
        std::uint16_t max_connections = 1; // the kernel session's: no recovery opens more
        bool recovering = false;
        // A connection failed while a recovery was binding: that recovery starts over.
        bool failed_again = false;
        bool logging_out = false;
        std::uint64_t recoveries = 0;
        // What the login negotiated that the kernel does not keep (for `session`).
        std::uint32_t default_time2wait = 0;
        std::uint32_t default_time2retain = 0;
        std::string target_alias;
    };

    boost::asio::awaitable<control::response> login(const control::request& req);
    boost::asio::awaitable<control::response> logout(const control::request& req);
    boost::asio::awaitable<control::response> modify(const control::request& req);
    boost::asio::awaitable<control::response> rescan(const control::request& req);
    boost::asio::awaitable<control::response> show_session(const control::request& req);
    boost::asio::awaitable<control::response> list_sessions();
    boost::asio::awaitable<control::response> list_luns();
    boost::asio::awaitable<void> recover(std::shared_ptr<session> s);
    // Logs in through the configured portals in turn; binds nothing.
    struct attempt;
    boost::asio::awaitable<attempt> connect_and_login(const target_config& config,
                                                      const iscsi::isid_bytes& isid);
    // MC/S: logs in connections 1 to count - 1 of the session `tried` established, where its
    // leading connection did; those that fail are left out (the kernel sends their share on the
    // leading connection). Binds nothing.
    boost::asio::awaitable<void> add_connections(const target_config& config, const iscsi::isid_bytes& isid,
                                                 attempt& tried, std::uint32_t count);
    // Binds the leading connection (CID 0), then the added ones; the error of the leading bind.
    boost::asio::awaitable<netlink_error> bind_all(std::uint32_t session_id, attempt& tried);
    // The LUNs of a session once a scan covering request number `scan_gen` has ended and each LUN
    // has its disk (or once the deadline passed).
    boost::asio::awaitable<nlohmann::json> wait_for_luns(std::uint32_t session_id, std::uint32_t host_no,
                                                         std::uint32_t scan_gen,
                                                         std::chrono::steady_clock::time_point deadline);
    std::shared_ptr<session> find(const std::string& target) const;
    // The session a request names with "target" or "session"; nullptr with `error` set otherwise.
    std::shared_ptr<session> pick(const nlohmann::json& params, const std::string& method,
                                  control::response& error) const;
    void persist(const session& s) const;
    void forget(const session& s) const;

    boost::asio::any_io_executor ex_;
    kernel& kernel_;
    std::filesystem::path state_dir_;
    task_group recoveries_;
    std::map<std::uint32_t, std::shared_ptr<session>> sessions_;
    std::set<std::string> logging_in_; // targets with a login in progress: a second one is refused
    std::map<std::uint32_t, scan_watch> scans_watched_; // sessions whose scans someone waits for
};

} // namespace iscsid
