// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon_verbs.hpp"

#include "control_client.hpp"
#include "control_protocol.hpp"
#include "discovered.hpp"
#include "iscsi/names.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <thread>
#include <utility>

namespace iscsictl {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

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

void note(const daemon_context& ctx, std::string_view message) {
    if (!ctx.quiet)
        ctx.print.note(message);
}

// The worst of several failures: the highest exit status, so a script sees the gravest problem.
void keep_worst(std::optional<error>& worst, const error& e) {
    if (!worst || static_cast<int>(e.code) > static_cast<int>(worst->code))
        worst = e;
}

std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t number_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

record lun_record(const json& l, bool with_target) {
    record r;
    if (with_target) {
        r.push_back({"target", text_of(l, "target")});
        r.push_back({"portal", text_of(l, "portal")});
    }
    r.push_back({"lun", number_of(l, "lun")});
    r.push_back({"device", text_of(l, "device")});
    r.push_back({"size", byte_count{l.contains("size") && l["size"].is_number_unsigned()
                                        ? l["size"].get<std::uint64_t>()
                                        : static_cast<std::uint64_t>(
                                              std::max<std::int64_t>(0, number_of(l, "size")))}});
    return r;
}

const json& array_of(const json& j, const char* key) {
    static const json empty = json::array();
    auto it = j.find(key);
    return it != j.end() && it->is_array() ? *it : empty;
}

// One daemon value as a printed field: text, number, yes/no, list of strings, else its JSON text.
field_value field_of(const json& v) {
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_boolean())
        return v.get<bool>();
    if (v.is_number_integer())
        return v.get<std::int64_t>();
    if (v.is_null())
        return std::monostate{};
    if (v.is_array() && std::ranges::all_of(v, [](const json& e) { return e.is_string(); }))
        return v.get<std::vector<std::string>>();
    return v.dump();
}

// A field's name as iscsictl prints it, in text and JSON alike: with hyphens, as targets.ini and every
// other field spell it. The daemon passes the kernel's counter names on as the kernel spells them
// (read_bytes, nop_timeouts).
std::string field_name(std::string key) {
    std::ranges::replace(key, '_', '-');
    return key;
}

record record_of(const json& object) {
    record r;
    if (object.is_object())
        for (const auto& [key, value] : object.items())
            r.push_back({field_name(key), field_of(value)});
    return r;
}

struct login_result {
    std::string target;
    outcome<json> reply = error{};
};

std::chrono::milliseconds login_limit(const json& target, int retry_for) {
    // Each portal may take its login timeout, then the kernel scans the LUNs.
    const auto portals =
        static_cast<long>(std::max<std::size_t>(1, target.value("portals", json::array()).size()));
    const auto per_portal = std::chrono::seconds(target.value("login-timeout", 15));
    return per_portal * portals + 60s + std::chrono::seconds(retry_for);
}

outcome<json> login_one(const daemon_context& ctx, const json& target, int retry_for) {
    json params{{"target", target}};
    if (retry_for > 0)
        params["retry-for"] = retry_for;
    return call_daemon(ctx.socket_path, "login", std::move(params), login_limit(target, retry_for));
}

std::vector<std::string> devices_of(const json& reply) {
    std::vector<std::string> devices;
    for (const auto& l : array_of(reply, "luns"))
        devices.push_back(text_of(l, "device"));
    return devices;
}

// login --all / --automatic: one connection and one thread per target, so iscsid logs them in at
// once; one result row per target, in store order.
status login_many(const daemon_context& ctx, const store& s, const std::string& initiator,
                  const login_options& options) {
    std::vector<std::pair<std::string, json>> targets;
    for (const std::string& iqn : s.subsections(section_kind::target)) {
        if (options.automatic &&
            s.value(section_kind::target, iqn, "startup").value_or("manual") != "automatic")
            continue;
        auto target = login_target(s, iqn, initiator);
        if (!target)
            return target.error_value();
        targets.emplace_back(iqn, std::move(*target));
    }
    if (targets.empty()) {
        note(ctx, options.automatic ? "no target in the store has startup = automatic"
                                    : "no targets in the store");
        static constexpr std::string_view columns[] = {"target",  "result",  "portal",
                                                       "session", "devices", "error"};
        ctx.print.list(columns, {});
        return done{};
    }
    std::vector<login_result> results(targets.size());
    {
        std::vector<std::jthread> threads;
        threads.reserve(targets.size());
        for (std::size_t i = 0; i < targets.size(); ++i)
            threads.emplace_back([&, i] {
                results[i].target = targets[i].first;
                results[i].reply = login_one(ctx, targets[i].second, options.retry_for);
            });
    }
    std::optional<error> worst;
    std::vector<record> rows;
    for (const login_result& r : results) {
        if (r.reply) {
            rows.push_back({{"target", r.target},
                            {"result", std::string("logged-in")},
                            {"portal", text_of(*r.reply, "portal")},
                            {"session", number_of(*r.reply, "session")},
                            {"devices", devices_of(*r.reply)},
                            {"error", std::monostate{}}});
        } else if (r.reply.error_value().code == exit_code::already_exists) {
            // Already logged in is what --all asks for: a rerun of the boot login succeeds.
            rows.push_back({{"target", r.target},
                            {"result", std::string("already-logged-in")},
                            {"portal", std::monostate{}},
                            {"session", std::monostate{}},
                            {"devices", std::vector<std::string>{}},
                            {"error", std::monostate{}}});
        } else {
            if (r.reply.error_value().code == exit_code::daemon_not_running)
                return r.reply.error_value();
            keep_worst(worst, r.reply.error_value());
            rows.push_back({{"target", r.target},
                            {"result", std::string("failed")},
                            {"portal", std::monostate{}},
                            {"session", std::monostate{}},
                            {"devices", std::vector<std::string>{}},
                            {"error", r.reply.error_value().message}});
        }
    }
    static constexpr std::string_view columns[] = {"target",  "result",  "portal",
                                                   "session", "devices", "error"};
    ctx.print.list(columns, rows);
    if (worst) {
        auto failed = std::ranges::count_if(results, [](const login_result& r) {
            return !r.reply && r.reply.error_value().code != exit_code::already_exists;
        });
        return error{worst->code, std::to_string(failed) + " of " + std::to_string(results.size()) +
                                      " logins failed; the gravest: " + worst->message};
    }
    return done{};
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
            t[std::string(r.key->name)] = typed_value(*r.key, r.values.front());
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

status discover(const daemon_context& ctx, const std::vector<std::string>& given, bool add) {
    auto s = load_store(ctx.store_path);
    if (!s)
        return s.error_value();
    std::vector<std::string> portals;
    for (const std::string& p : given) {
        auto normal = normalise_subsection(section_kind::discovery, p);
        if (!normal)
            return normal.error_value();
        if (std::ranges::find(portals, *normal) == portals.end())
            portals.push_back(std::move(*normal));
    }
    if (given.empty())
        portals = s->subsections(section_kind::discovery);
    static constexpr std::string_view columns[] = {"portal", "target", "status"};
    if (portals.empty()) {
        note(ctx, "no discovery portals in " + ctx.store_path.string() +
                      " (iscsictl add discovery PORTAL, or name one: iscsictl discover PORTAL)");
        ctx.print.list(columns, {});
        return done{};
    }
    auto initiator = ensure_initiator_name(*s, ctx.initiatorname_path);
    if (!initiator)
        return initiator.error_value();
    std::optional<error> worst;
    std::vector<record> rows;
    for (const std::string& portal : portals) {
        auto request = discovery_request(*s, portal, *initiator);
        if (!request)
            return request.error_value();
        const auto limit = std::chrono::seconds(request->value("login-timeout", 15)) + 30s;
        auto reply = call_daemon(ctx.socket_path, "discover", std::move(*request), limit);
        if (!reply) {
            if (reply.error_value().code == exit_code::daemon_not_running)
                return reply.error_value();
            const std::string& why = reply.error_value().message;
            // Name the portal once: iscsid's message may already start with it.
            keep_worst(worst,
                       {reply.error_value().code, why.starts_with(portal) ? why : portal + ": " + why});
            continue;
        }
        std::vector<discovered_target> found;
        for (const auto& t : array_of(*reply, "targets")) {
            discovered_target d{text_of(t, "name"), {}};
            for (const auto& p : array_of(t, "portals"))
                if (p.is_string())
                    d.portals.push_back(p.get<std::string>());
            found.push_back(std::move(d));
        }
        discovery_report report;
        auto merged = update_store(ctx.store_path, [&](store& st) -> status {
            if (add && !st.has_section(section_kind::discovery, portal))
                if (auto added = st.add_section(section_kind::discovery, portal); !added)
                    return added;
            auto r = merge_discovered(st, portal, found);
            if (!r)
                return r.error_value();
            report = std::move(*r);
            return done{};
        });
        if (!merged)
            return merged;
        for (auto [names, status] :
             {std::pair{&report.added, "added"}, std::pair{&report.updated, "updated"},
              std::pair{&report.unchanged, "unchanged"}, std::pair{&report.vanished, "vanished"}})
            for (const std::string& name : *names)
                rows.push_back(
                    {{"portal", report.portal}, {"target", name}, {"status", std::string(status)}});
        if (!report.vanished.empty())
            note(ctx, std::to_string(report.vanished.size()) + " target(s) discovered through " +
                          report.portal +
                          " earlier no longer appear there; they stay in the store (iscsictl remove target)");
    }
    ctx.print.list(columns, rows);
    if (worst)
        return *worst;
    return done{};
}

status login(const daemon_context& ctx, std::string_view iqn, const login_options& options) {
    auto s = load_store(ctx.store_path);
    if (!s)
        return s.error_value();
    // Checks what was asked before the initiator name file may be created.
    std::optional<std::string> portal;
    if (!options.portal.empty()) {
        auto normal = normalise_value(*find_key(section_kind::target, "portal"), options.portal);
        if (!normal)
            return normal.error_value();
        portal = std::move(*normal);
    }
    if (!options.all && !options.automatic)
        if (auto checked = login_target(*s, iqn, ""); !checked)
            return checked.error_value();
    auto initiator = ensure_initiator_name(*s, ctx.initiatorname_path);
    if (!initiator)
        return initiator.error_value();
    if (options.all || options.automatic)
        return login_many(ctx, *s, *initiator, options);
    auto target = login_target(*s, iqn, *initiator);
    if (!target)
        return target.error_value();
    if (portal)
        (*target)["portals"] = json::array({*portal});
    auto result = login_one(ctx, *target, options.retry_for);
    if (!result)
        return result.error_value();
    std::vector<record> rows;
    for (const auto& l : array_of(*result, "luns"))
        rows.push_back(lun_record(l, false));
    note(ctx, "logged in to " + text_of(*result, "target") + " through " + text_of(*result, "portal") +
                  " (session " + std::to_string(number_of(*result, "session")) + ")");
    static constexpr std::string_view columns[] = {"lun", "device", "size"};
    ctx.print.list(columns, rows);
    return done{};
}

status logout(const daemon_context& ctx, std::string_view iqn, bool all) {
    if (!all) {
        auto name = normal_name(iqn);
        if (!name)
            return name.error_value();
        auto result = call_daemon(ctx.socket_path, "logout", {{"target", *name}}, 90s);
        if (!result)
            return result.error_value();
        note(ctx, "logged out of " + *name);
        return done{};
    }
    auto sessions = call_daemon(ctx.socket_path, "sessions", json::object(), 15s);
    if (!sessions)
        return sessions.error_value();
    std::vector<std::string> targets;
    for (const auto& session : array_of(*sessions, "sessions"))
        if (auto t = text_of(session, "target"); !t.empty() && std::ranges::find(targets, t) == targets.end())
            targets.push_back(t);
    std::vector<outcome<json>> results(targets.size(), error{});
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < targets.size(); ++i)
            threads.emplace_back([&, i] {
                results[i] = call_daemon(ctx.socket_path, "logout", {{"target", targets[i]}}, 90s);
            });
    }
    std::optional<error> worst;
    std::vector<record> rows;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        bool ok = results[i] || results[i].error_value().code == exit_code::not_found; // gone meanwhile
        if (!ok)
            keep_worst(worst,
                       {results[i].error_value().code, targets[i] + ": " + results[i].error_value().message});
        rows.push_back({{"target", targets[i]},
                        {"result", std::string(ok ? "logged-out" : "failed")},
                        {"error", ok ? field_value{} : field_value{results[i].error_value().message}}});
    }
    if (targets.empty())
        note(ctx, "no sessions");
    static constexpr std::string_view columns[] = {"target", "result", "error"};
    ctx.print.list(columns, rows);
    if (worst)
        return *worst;
    return done{};
}

status rescan(const daemon_context& ctx, std::string_view iqn) {
    json params = json::object();
    if (!iqn.empty()) {
        auto name = normal_name(iqn);
        if (!name)
            return name.error_value();
        params["target"] = *name;
    }
    auto result = call_daemon(ctx.socket_path, "rescan", std::move(params), 120s);
    if (!result)
        return result.error_value();
    std::vector<record> rows;
    for (const auto& l : array_of(*result, "luns"))
        rows.push_back(lun_record(l, true));
    note(ctx, "rescanned " + std::to_string(array_of(*result, "sessions").size()) + " session(s)");
    static constexpr std::string_view columns[] = {"target", "portal", "lun", "device", "size"};
    ctx.print.list(columns, rows);
    return done{};
}

status list_sessions(const daemon_context& ctx) {
    auto result = call_daemon(ctx.socket_path, "sessions", json::object(), 15s);
    if (!result)
        return result.error_value();
    std::vector<record> rows;
    for (const auto& s : array_of(*result, "sessions"))
        rows.push_back({{"target", text_of(s, "target")},
                        {"portal", text_of(s, "portal")},
                        {"state", text_of(s, "state")},
                        {"host", number_of(s, "host")},
                        {"session", number_of(s, "session")},
                        {"recoveries", number_of(s, "recoveries")}});
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
    for (const auto& l : array_of(*result, "luns"))
        rows.push_back(lun_record(l, true));
    static constexpr std::string_view columns[] = {"target", "portal", "lun", "device", "size"};
    ctx.print.list(columns, rows);
    return done{};
}

status show_session(const daemon_context& ctx, std::string_view iqn_or_id) {
    json params;
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(iqn_or_id.data(), iqn_or_id.data() + iqn_or_id.size(), id);
    if (!iqn_or_id.empty() && ec == std::errc{} && end == iqn_or_id.data() + iqn_or_id.size()) {
        params["session"] = id;
    } else {
        auto name = normal_name(iqn_or_id);
        if (!name)
            return error{exit_code::usage,
                         "\"" + printable(iqn_or_id) + "\" is neither a session number nor an iSCSI name"};
        params["target"] = *name;
    }
    auto result = call_daemon(ctx.socket_path, "session", std::move(params), 15s);
    if (!result)
        return result.error_value();
    record top;
    std::vector<part> parts;
    for (const auto& [key, value] : result->items()) {
        if (key == "luns") {
            part p{.name = "luns", .table = true, .columns = {"lun", "device", "size", "vendor", "model"}};
            for (const auto& l : value) {
                record r = lun_record(l, false);
                r.push_back({"vendor", text_of(l, "vendor")});
                r.push_back({"model", text_of(l, "model")});
                p.rows.push_back(std::move(r));
            }
            parts.push_back(std::move(p));
        } else if (key == "connections" && value.is_array()) {
            part p{.name = "connections",
                   .table = true,
                   .columns = {"cid", "exp-stat-sn", "cmds", "read-bytes", "write-bytes"}};
            for (const auto& c : value)
                p.rows.push_back(record_of(c));
            parts.push_back(std::move(p));
        } else if (value.is_object()) {
            parts.push_back({.name = key, .fields = record_of(value)});
        } else {
            top.push_back({field_name(key), field_of(value)});
        }
    }
    ctx.print.compound(top, parts);
    return done{};
}

outcome<std::vector<json>> target_sessions(const std::filesystem::path& socket, std::string_view iqn,
                                           std::string_view portal) {
    auto result = call_daemon(socket, "sessions", json::object(), 15s);
    if (!result) {
        if (result.error_value().code == exit_code::daemon_not_running)
            return std::vector<json>{};
        return result.error_value();
    }
    std::vector<json> out;
    const key_def& portal_key = *find_key(section_kind::target, "portal");
    for (const auto& s : array_of(*result, "sessions")) {
        if (text_of(s, "target") != iqn)
            continue;
        if (!portal.empty()) {
            // Compare addresses without the portal group tag.
            auto theirs = normalise_value(portal_key, text_of(s, "portal"));
            auto strip = [](std::string p) {
                return p.substr(0, p.find(','));
            };
            if (!theirs || strip(*theirs) != strip(std::string(portal)))
                continue;
        }
        out.push_back(s);
    }
    return out;
}

outcome<std::optional<std::string>>
modify_live(const std::filesystem::path& socket, std::string_view iqn,
            const std::vector<std::pair<const key_def*, std::string>>& live) {
    json settings = json::object();
    for (const auto& [key, value] : live)
        settings[std::string(key->name)] =
            typed_value(*key, value.empty() ? std::string(key->default_value) : value);
    auto result = call_daemon(socket, "modify", {{"target", std::string(iqn)}, {"settings", settings}}, 30s);
    if (!result) {
        if (result.error_value().code == exit_code::daemon_not_running)
            return std::optional<std::string>("iscsid is not running");
        if (result.error_value().code == exit_code::not_found)
            return std::optional<std::string>("the target is not logged in");
        return result.error_value();
    }
    return std::optional<std::string>{};
}

} // namespace iscsictl
