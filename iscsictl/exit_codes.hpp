// SPDX-License-Identifier: GPL-2.0-or-later
// The exit status of every iscsictl command, and the error type that carries it to main(). Each
// failure a script may want to tell apart has its own code; iscsictl(8) documents the same list.
#pragma once

#include "iscsi/result.hpp"

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace iscsictl {

enum class exit_code : int {
    ok = 0,
    failure = 1,            // anything not listed below
    usage = 2,              // bad command line: unknown verb or option, malformed KEY=VALUE or value
    not_found = 3,          // the named target, portal or discovery portal is not in the store
    already_exists = 4,     // adding what the store already holds
    auth_failed = 5,        // the target refused our CHAP credentials
    unreachable = 6,        // no TCP connection to the portal, or it timed out
    daemon_not_running = 7, // nothing listens on the iscsid control socket
    permission_denied = 8,  // the store, its directory or the daemon refused us
    store_error = 9,        // the store cannot be read, is invalid (file:line) or is insecure
    busy = 10,              // the target is logged in: remove target refuses it without --logout
};

// One failed command: the exit code and a one-line message naming the problem (never a secret).
struct error {
    exit_code code = exit_code::failure;
    std::string message;
};

// A value or an error, like iscsi::result but with the exit code and message the user sees.
template <class T>
class [[nodiscard]] outcome : public iscsi::value_or<T, error> {
public:
    using iscsi::value_or<T, error>::value_or;

    [[nodiscard]] const error& error_value() const { return this->stored_error(); }
};

// For operations that produce nothing but may fail.
struct done {};
using status = outcome<done>;

} // namespace iscsictl
