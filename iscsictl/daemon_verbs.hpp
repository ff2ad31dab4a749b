// SPDX-License-Identifier: GPL-2.0-or-later
// The verbs that need iscsid: discover, login, logout, rescan, list sessions, list luns, show
// session, and the daemon side of modify target and remove target. They talk to the daemon over its
// control socket (docs/control-protocol.md); a login sends the store's record of the target,
// resolved (defaults, inherited credentials, initiator name), with its values typed by the key table.
#pragma once

#include "exit_codes.hpp"
#include "output.hpp"
#include "store.hpp"

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iscsictl {

inline constexpr std::string_view default_socket_path = "/run/iscsid/iscsid.sock";

struct daemon_context {
    std::filesystem::path store_path;
    std::filesystem::path initiatorname_path;
    std::filesystem::path socket_path;
    printer& print;
    bool quiet = false;
};

// The login request's "target" object for `iqn`, from the store.
outcome<nlohmann::json> login_target(const store& s, std::string_view iqn, const std::string& initiator_name);

// One request to iscsid; its failures become iscsictl's exit codes (daemon_not_running when nothing
// listens, and the daemon's own codes mapped one to one).
outcome<nlohmann::json> call_daemon(const std::filesystem::path& socket, std::string method,
                                    nlohmann::json params, std::chrono::milliseconds limit);

// discover [PORTAL...]: SendTargets through iscsid on the given portals, else on every discovery
// portal of the store; what is found is merged into the store (merge_discovered). With `add`, a
// given portal the store lacks becomes a discovery section.
status discover(const daemon_context& ctx, const std::vector<std::string>& portals, bool add);

struct login_options {
    std::string portal;     // login IQN PORTAL: only through this portal
    bool all = false;       // every target of the store
    bool automatic = false; // every startup = automatic target
    int retry_for = 0;      // seconds iscsid keeps retrying an unreachable target
};
status login(const daemon_context& ctx, std::string_view iqn, const login_options& options);
status logout(const daemon_context& ctx, std::string_view iqn, bool all);
status rescan(const daemon_context& ctx, std::string_view iqn);
status list_sessions(const daemon_context& ctx);
status list_luns(const daemon_context& ctx);
status show_session(const daemon_context& ctx, std::string_view iqn_or_id);

// The sessions iscsid holds for target `iqn` (through `portal` only, when not empty); none when
// the daemon is not running.
outcome<std::vector<nlohmann::json>> target_sessions(const std::filesystem::path& socket,
                                                     std::string_view iqn, std::string_view portal = {});

// Hands live settings (name -> value as the store holds it) of target `iqn` to iscsid's modify.
// nullopt: applied to the running session; otherwise why they wait for the next login (not
// logged in, daemon not running). Other failures are errors.
outcome<std::optional<std::string>>
modify_live(const std::filesystem::path& socket, std::string_view iqn,
            const std::vector<std::pair<const key_def*, std::string>>& live);

} // namespace iscsictl
