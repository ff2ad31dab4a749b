// SPDX-License-Identifier: GPL-2.0-or-later
// The verbs that need iscsid: login, logout, list sessions, list luns. They talk to the daemon over
// its control socket (docs/control-protocol.md); a login sends the store's record of the target,
// resolved (defaults, inherited credentials, initiator name), with its values typed by the key table.
#pragma once

#include "exit_codes.hpp"
#include "output.hpp"
#include "store.hpp"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace iscsictl {

inline constexpr std::string_view default_socket_path = "/run/iscsid/iscsid.sock";

struct daemon_context {
    std::filesystem::path store_path;
    std::filesystem::path initiatorname_path;
    std::filesystem::path socket_path;
    printer& print;
};

// The login request's "target" object for `iqn`, from the store.
outcome<nlohmann::json> login_target(const store& s, std::string_view iqn, const std::string& initiator_name);

// One request to iscsid; its failures become iscsictl's exit codes (daemon_not_running when nothing
// listens, and the daemon's own codes mapped one to one).
outcome<nlohmann::json> call_daemon(const std::filesystem::path& socket, std::string method,
                                    nlohmann::json params, std::chrono::milliseconds limit);

status login(const daemon_context& ctx, std::string_view iqn);
status logout(const daemon_context& ctx, std::string_view iqn);
status list_sessions(const daemon_context& ctx);
status list_luns(const daemon_context& ctx);

} // namespace iscsictl
