// SPDX-License-Identifier: GPL-2.0-or-later
// The exit status of every iscsictl command, and the error type that carries it to main(). Each
// failure a script may want to tell apart has its own code; iscsictl(8) documents the same list.
#pragma once

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
};

// One failed command: the exit code and a one-line message naming the problem (never a secret).
struct error {
    exit_code code = exit_code::failure;
    std::string message;
};

// A value or an error, like iscsi::result but with the exit code and message the user sees.
template <class T>
class [[nodiscard]] outcome {
public:
    outcome(T value) : v_(std::move(value)) {} // NOLINT(google-explicit-constructor)
    outcome(error e) : v_(std::move(e)) {}     // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    [[nodiscard]] const error& error_value() const {
        assert(!has_value());
        return std::get<1>(v_);
    }

private:
    std::variant<T, error> v_;
};

// For operations that produce nothing but may fail.
struct done {};
using status = outcome<done>;

} // namespace iscsictl
