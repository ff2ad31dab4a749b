// SPDX-License-Identifier: GPL-2.0-or-later
#include "control_protocol.hpp"

#include <array>
#include <utility>

namespace iscsid::control {
namespace {

using json = nlohmann::json;

constexpr std::array<std::pair<failure, std::string_view>, 8> failure_names{{
    {failure::bad_request, "bad_request"},
    {failure::permission_denied, "permission_denied"},
    {failure::not_found, "not_found"},
    {failure::already_exists, "already_exists"},
    {failure::authentication_failed, "authentication_failed"},
    {failure::unreachable, "unreachable"},
    {failure::kernel, "kernel"},
    {failure::internal, "internal"},
}};

// Parses and checks the envelope common to both directions.
std::optional<json> parse_envelope(std::string_view text, std::string& why) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        why = "not a JSON object";
        return std::nullopt;
    }
    auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer() || *version != protocol_version) {
        why = "unsupported protocol version (this side speaks " + std::to_string(protocol_version) + ")";
        return std::nullopt;
    }
    auto id = j.find("id");
    if (id == j.end() || !id->is_number_unsigned()) {
        why = "missing or invalid id";
        return std::nullopt;
    }
    return j;
}

} // namespace

std::string_view to_string(failure f) noexcept {
    for (const auto& [value, name] : failure_names)
        if (value == f)
            return name;
    return "internal";
}

std::optional<failure> failure_from_string(std::string_view s) noexcept {
    for (const auto& [value, name] : failure_names)
        if (name == s)
            return value;
    return std::nullopt;
}

response response::success(json result) {
    response r;
    r.result = std::move(result);
    return r;
}

response response::error(failure code, std::string message) {
    response r;
    r.ok = false;
    r.code = code;
    r.message = std::move(message);
    return r;
}

std::string encode(const request& r) {
    return json{{"version", protocol_version}, {"id", r.id}, {"method", r.method}, {"params", r.params}}
        .dump();
}

std::string encode(const response& r) {
    json j{{"version", protocol_version}, {"id", r.id}, {"ok", r.ok}};
    if (r.ok)
        j["result"] = r.result;
    else
        j["error"] = {{"code", to_string(r.code)}, {"message", r.message}};
    // Replace invalid UTF-8 rather than throwing: messages may quote bytes a target sent.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<request> decode_request(std::string_view text, std::string& why) {
    auto j = parse_envelope(text, why);
    if (!j)
        return std::nullopt;
    auto method = j->find("method");
    if (method == j->end() || !method->is_string() || method->get_ref<const std::string&>().empty()) {
        why = "missing method";
        return std::nullopt;
    }
    request r;
    r.id = (*j)["id"].get<std::uint64_t>();
    r.method = method->get<std::string>();
    if (auto params = j->find("params"); params != j->end() && !params->is_null()) {
        if (!params->is_object()) {
            why = "params must be an object";
            return std::nullopt;
        }
        r.params = *params;
    }
    return r;
}

std::optional<response> decode_response(std::string_view text, std::string& why) {
    auto j = parse_envelope(text, why);
    if (!j)
        return std::nullopt;
    auto ok = j->find("ok");
    if (ok == j->end() || !ok->is_boolean()) {
        why = "missing ok";
        return std::nullopt;
    }
    response r;
    r.id = (*j)["id"].get<std::uint64_t>();
    r.ok = ok->get<bool>();
    if (r.ok) {
        auto result = j->find("result");
        r.result = result != j->end() ? *result : json::object();
        return r;
    }
    auto error = j->find("error");
    if (error == j->end() || !error->is_object() || !error->contains("code") ||
        !(*error)["code"].is_string()) {
        why = "error response without an error code";
        return std::nullopt;
    }
    r.code = failure_from_string((*error)["code"].get<std::string>()).value_or(failure::internal);
    if (auto msg = error->find("message"); msg != error->end() && msg->is_string())
        r.message = msg->get<std::string>();
    return r;
}

} // namespace iscsid::control
