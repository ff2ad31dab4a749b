// SPDX-License-Identifier: GPL-2.0-or-later
// The `discover` method: one SendTargets discovery session (login as a discovery session,
// SendTargets=All, logout) through the engine, with the request's login timeout on every wait.
#pragma once

#include "control_protocol.hpp"
#include "control_server.hpp"
#include "target_config.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace iscsid {

// Runs one discovery. Result: {"portal": "addr:port", "targets": [{"name", "alias"?, "portals":
// ["addr:port,tpgt", ...]}]}; errors unreachable, authentication_failed, not_found, internal.
boost::asio::awaitable<control::response> discover(const discovery_config& config);

// Registers `discover` (mutating: it sends the discovery credentials to the network).
void register_discovery(control_server& server);

} // namespace iscsid
