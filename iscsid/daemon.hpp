// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's life: listen on the control socket, serve until SIGTERM/SIGINT, stop cleanly.
#pragma once

#include <string>

namespace iscsid {

struct daemon_options {
    std::string socket_path;
    std::string store_path;         // the target store, read for periodic re-discovery
    std::string initiatorname_path; // the initiator name when the store's [initiator] sets none
    bool foreground = false;        // stay attached (systemd, tests); otherwise detach once listening
    bool verbose = false;
};

// Returns the process exit status.
int run_daemon(const daemon_options& opts);

} // namespace iscsid
