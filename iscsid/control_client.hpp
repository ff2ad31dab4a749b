// SPDX-License-Identifier: GPL-2.0-or-later
// A blocking client of the daemon's control socket, for iscsictl and tests.
#pragma once

#include "control_protocol.hpp"

#include <chrono>
#include <string>
#include <system_error>

namespace iscsid {

class control_client {
public:
    control_client() = default;
    control_client(const control_client&) = delete;
    control_client& operator=(const control_client&) = delete;
    control_client(control_client&& other) noexcept;
    control_client& operator=(control_client&& other) noexcept;
    ~control_client();

    // ENOENT or ECONNREFUSED: no daemon is running there.
    std::error_code connect(const std::string& path);

    // Sends `req` (its id is assigned here) and waits up to `limit` for the matching response.
    // ETIMEDOUT when the daemon does not answer in time; EPROTO on a malformed response.
    std::error_code call(control::request req, control::response& out, std::chrono::milliseconds limit);

private:
    int fd_ = -1;
    std::uint64_t next_id_ = 1;
};

} // namespace iscsid
