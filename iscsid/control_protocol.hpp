// SPDX-License-Identifier: GPL-2.0-or-later
// The control protocol between iscsictl and iscsid: one JSON object per SOCK_SEQPACKET message,
// request/response matched by id, versioned.
//
//   request:  {"version": 1, "id": 7, "method": "status", "params": {...}}
//   response: {"version": 1, "id": 7, "ok": true, "result": {...}}
//             {"version": 1, "id": 7, "ok": false, "error": {"code": "not_found", "message": "..."}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace iscsid::control {

inline constexpr int protocol_version = 1;
inline constexpr std::size_t max_message_size = 256 * 1024;
inline constexpr std::string_view default_socket_path = "/run/iscsid/iscsid.sock";

// What went wrong, as the client's exit code will say it.
enum class failure {
    bad_request,           // malformed message, unknown method, invalid parameters
    permission_denied,     // a mutating request from a non-root peer
    not_found,             // no such target or session
    already_exists,        // e.g. already logged in
    authentication_failed, // CHAP refused by either side
    unreachable,           // the target did not answer or refused the connection
    kernel,                // the kernel module is missing or refused the operation
    internal,
};

std::string_view to_string(failure f) noexcept;
std::optional<failure> failure_from_string(std::string_view s) noexcept;

struct request {
    std::uint64_t id = 0;
    std::string method;
    nlohmann::json params = nlohmann::json::object();
};

struct response {
    std::uint64_t id = 0;
    bool ok = true;
    nlohmann::json result = nlohmann::json::object(); // when ok
    failure code = failure::internal;                 // when !ok
    std::string message;                              // when !ok: one line for the user

    static response success(nlohmann::json result = nlohmann::json::object());
    static response error(failure code, std::string message);
};

std::string encode(const request& r);
std::string encode(const response& r);

// Decoding never throws: on a malformed or wrong-version message it returns nullopt and says why.
std::optional<request> decode_request(std::string_view text, std::string& why);
std::optional<response> decode_response(std::string_view text, std::string& why);

} // namespace iscsid::control
