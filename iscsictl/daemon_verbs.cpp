// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon_verbs.hpp"

#include "control_client.hpp"
#include "control_protocol.hpp"
#include "iscsi/names.hpp"

#include <charconv>
#include <utility>

namespace iscsictl {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Store values are text; the daemon wants them typed, as the key table says.
json typed(const key_def& key, const std::string& value) {
    switch (key.type) {
    case value_type::integer: {
        std::int64_t n = 0;
        std::from_chars(value.data(), value.data() + value.size(), n);
        return n;
    }
    case value_type::boolean:
        return value == "yes";
    case value_type::choice_list: {
        json list = json::array();
        std::string_view rest = value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            list.push_back(std::string(rest.substr(0, comma)));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
        return list;
    }
    default:
        return value;
    }
}

exit_code exit_code_of(iscsid::control::failure f) {
    using iscsid::control::failure;
    switch (f) {
    case failure::bad_request:
        return exit_code::usage;
    case failure::permission_denied:
        return exit_code::permission_denied;
    case failure::not_found:
        return exit_code::not_found;
    case failure::already_exists:
        return exit_code::already_exists;
    case failure::authentication_failed:
        return exit_code::auth_failed;
    case failure::unreachable:
        return exit_code::unreachable;
    case failure::kernel:
    case failure::internal:
        break;
    }
    return exit_code::failure;
}

outcome<std::string> normal_name(std::string_view iqn) {
    auto name = iscsi::parse_name(iqn);
    if (!name)
        return error{exit_code::usage,
                     "\"" + std::string(iqn) + "\" is not an iSCSI name: " + name.error().message()};
    return name->str();
}

} // namespace

outcome<json> login_target(const store& s, std::string_view iqn, const std::string& initiator_name) {
    auto name = normal_name(iqn);
    if (!name)
        return name.error_value();
    if (!s.has_section(section_kind::target, *name))
        return error{exit_code::not_found, "no target " + *name + " in the store (iscsictl add target)"};
    json t{{"name", *name}, {"initiator-name", initiator_name}};
    if (auto alias = s.value(section_kind::initiator, "", "alias"))
        t["initiator-alias"] = *alias;
    for (const auto& r : resolve(s, section_kind::target, *name, initiator_name)) {
        if (r.values.empty())
            continue;
        if (r.key->repeatable) // portal
            t["portals"] = r.values;
        else
            t[std::string(r.key->name)] = typed(*r.key, r.values.front());
    }
    return t;
}

outcome<json> call_daemon(const std::filesystem::path& socket, std::string method, json params,
                          std::chrono::milliseconds limit) {
    iscsid::control_client client;
    if (auto ec = client.connect(socket.string())) {
        if (ec == std::errc::no_such_file_or_directory || ec == std::errc::connection_refused)
            return error{exit_code::daemon_not_running,
                         "iscsid is not running (no daemon answers on " + socket.string() + ")"};
        if (ec == std::errc::permission_denied)
            return error{exit_code::permission_denied,
                         "cannot connect to " + socket.string() + ": " + ec.message()};
        return error{exit_code::failure, "cannot connect to " + socket.string() + ": " + ec.message()};
    }
    iscsid::control::response rsp;
    if (auto ec = client.call({0, std::move(method), std::move(params)}, rsp, limit)) {
        if (ec == std::errc::timed_out)
            return error{exit_code::failure,
                         "iscsid did not answer within " + std::to_string(limit.count() / 1000) + " s"};
        return error{exit_code::failure, "talking to iscsid: " + ec.message()};
    }
    if (!rsp.ok)
        return error{exit_code_of(rsp.code), rsp.message};
    return std::move(rsp.result);
}

status login(const daemon_context& ctx, std::string_view iqn) {
    auto s = load_store(ctx.store_path);
    if (!s)
        return s.error_value();
    auto initiator = ensure_initiator_name(*s, ctx.initiatorname_path);
    if (!initiator)
        return initiator.error_value();
    auto target = login_target(*s, iqn, *initiator);
    if (!target)
        return target.error_value();
    // Each portal may take its login timeout, then the kernel scans the LUNs.
    const auto portals = (*target)["portals"].size();
    const auto per_portal = std::chrono::seconds((*target).value("login-timeout", 15));
    const auto limit = per_portal * static_cast<long>(portals) + 60s;
    auto result = call_daemon(ctx.socket_path, "login", {{"target", *target}}, limit);
    if (!result)
        return result.error_value();
    std::vector<record> rows;
    for (const auto& l : (*result)["luns"])
        rows.push_back({{"lun", l.value("lun", std::int64_t{0})},
                        {"device", l.value("device", "")},
                        {"size", byte_count{l.value("size", std::uint64_t{0})}}});
    ctx.print.note("logged in to " + (*result)["target"].get<std::string>() + " through " +
                   (*result)["portal"].get<std::string>() + " (session " + (*result)["session"].dump() + ")");
    static constexpr std::string_view columns[] = {"lun", "device", "size"};
    ctx.print.list(columns, rows);
    return done{};
}

status logout(const daemon_context& ctx, std::string_view iqn) {
    auto name = normal_name(iqn);
    if (!name)
        return name.error_value();
    auto result = call_daemon(ctx.socket_path, "logout", {{"target", *name}}, 90s);
    if (!result)
        return result.error_value();
    ctx.print.note("logged out of " + *name);
    return done{};
}

status list_sessions(const daemon_context& ctx) {
    auto result = call_daemon(ctx.socket_path, "sessions", json::object(), 15s);
    if (!result)
        return result.error_value();
    std::vector<record> rows;
    for (const auto& s : (*result)["sessions"])
        rows.push_back({{"target", s.value("target", "")},
                        {"portal", s.value("portal", "")},
                        {"state", s.value("state", "")},
                        {"host", s.value("host", std::int64_t{0})},
                        {"session", s.value("session", std::int64_t{0})},
                        {"recoveries", s.value("recoveries", std::int64_t{0})}});
    static constexpr std::string_view columns[] = {"target", "portal",  "state",
                                                   "host",   "session", "recoveries"};
    ctx.print.list(columns, rows);
    return done{};
}

status list_luns(const daemon_context& ctx) {
    auto result = call_daemon(ctx.socket_path, "luns", json::object(), 15s);
    if (!result)
        return result.error_value();
    std::vector<record> rows;
    for (const auto& l : (*result)["luns"])
        rows.push_back({{"target", l.value("target", "")},
                        {"portal", l.value("portal", "")},
                        {"lun", l.value("lun", std::int64_t{0})},
                        {"device", l.value("device", "")},
                        {"size", byte_count{l.value("size", std::uint64_t{0})}}});
    static constexpr std::string_view columns[] = {"target", "portal", "lun", "device", "size"};
    ctx.print.list(columns, rows);
    return done{};
}

} // namespace iscsictl
