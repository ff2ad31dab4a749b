// SPDX-License-Identifier: GPL-2.0-or-later
#include "import.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>

namespace iscsictl {
namespace {

namespace fs = std::filesystem;
using record_map = std::map<std::string, std::string, std::less<>>;

std::string trim(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
        return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t\r") - first + 1));
}

std::string lower(std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// iscsiadm's record files: "# BEGIN RECORD", then "key = value" lines.
outcome<record_map> read_record(const fs::path& file) {
    std::ifstream in(file);
    if (!in)
        return error{exit_code::permission_denied, "cannot read " + file.string()};
    record_map record;
    std::string line;
    while (std::getline(in, line)) {
        auto text = trim(line);
        if (text.empty() || text.starts_with('#'))
            continue;
        auto equals = text.find('=');
        if (equals == std::string::npos)
            continue;
        record[trim(text.substr(0, equals))] = trim(text.substr(equals + 1));
    }
    return record;
}

std::optional<std::string> get(const record_map& r, std::string_view key) {
    auto it = r.find(key);
    if (it == r.end() || it->second.empty() || it->second == "<empty>")
        return std::nullopt;
    return it->second;
}

// Collects one section's settings, validated by the key table and kept only when they differ from
// its default.
class section_builder {
public:
    section_builder(imported_section& section, const fs::path& file) : section_(section), file_(file) {}

    status set(std::string_view key, const std::string& value, std::string_view source_key) {
        const key_def* def = find_key(section_.kind, key);
        auto normal = normalise_value(*def, value);
        if (!normal)
            return error{exit_code::usage, file_.string() + ": " + std::string(source_key) + ": " +
                                               normal.error_value().message};
        if (*normal == def->default_value)
            return done{};
        auto it = std::ranges::find(section_.settings, std::string(key),
                                    &std::pair<std::string, std::string>::first);
        if (it == section_.settings.end())
            section_.settings.emplace_back(std::string(key), std::move(*normal));
        return done{};
    }
    status map(const record_map& r, std::string_view source_key, std::string_view key) {
        if (auto v = get(r, source_key))
            return set(key, *v, source_key);
        return done{};
    }
    // Yes/No, None/CRC32C lists: iscsiadm's spelling.
    status map_digest(const record_map& r, std::string_view source_key, std::string_view key) {
        if (auto v = get(r, source_key))
            return set(key, lower(*v), source_key);
        return done{};
    }
    // authmethod plus the four credentials; `prefix` is node.session.auth or
    // discovery.sendtargets.auth.
    status map_auth(const record_map& r, const std::string& prefix) {
        std::string method = lower(get(r, prefix + ".authmethod").value_or("none"));
        auto username = get(r, prefix + ".username");
        auto password = get(r, prefix + ".password");
        auto username_in = get(r, prefix + ".username_in");
        auto password_in = get(r, prefix + ".password_in");
        if (method == "none")
            return done{};
        if (method != "chap")
            return error{exit_code::usage, file_.string() + ": " + prefix + ".authmethod: '" + method +
                                               "' is not supported (None or CHAP)"};
        bool mutual = username_in && password_in;
        if (auto s = set("auth", mutual ? "mutual-chap" : "chap", prefix + ".authmethod"); !s)
            return s;
        for (auto [value, key, source] : {std::tuple{&username, "chap-name", ".username"},
                                          std::tuple{&password, "chap-secret", ".password"},
                                          std::tuple{&username_in, "mutual-chap-name", ".username_in"},
                                          std::tuple{&password_in, "mutual-chap-secret", ".password_in"}}) {
            if (!*value || (!mutual && std::string_view(key).starts_with("mutual")))
                continue;
            if (auto s = set(key, **value, prefix + source); !s)
                return s;
        }
        return done{};
    }

private:
    imported_section& section_;
    const fs::path& file_;
};

status read_node(const fs::path& file, std::string_view dir_target,
                 std::map<std::string, imported_section>& targets, std::vector<std::string>& warnings) {
    auto r = read_record(file);
    if (!r)
        return r.error_value();
    auto transport = get(*r, "iface.transport_name").value_or("tcp");
    if (transport != "tcp") {
        warnings.push_back(file.string() + ": transport " + transport + " is not supported: left out");
        return done{};
    }
    std::string raw_name = get(*r, "node.name").value_or(std::string(dir_target));
    auto name = normalise_subsection(section_kind::target, raw_name);
    if (!name)
        return error{exit_code::usage, file.string() + ": node.name: " + name.error_value().message};
    auto address = get(*r, "node.conn[0].address");
    if (!address)
        return error{exit_code::usage, file.string() + ": node.conn[0].address is missing"};
    std::string host = address->find(':') != std::string::npos ? "[" + *address + "]" : *address;
    std::string portal = host + ":" + get(*r, "node.conn[0].port").value_or("3260");
    if (auto tpgt = get(*r, "node.tpgt"); tpgt && *tpgt != "-1")
        portal += "," + *tpgt;
    auto normal_portal = normalise_value(*find_key(section_kind::target, "portal"), portal);
    if (!normal_portal)
        return error{exit_code::usage,
                     file.string() + ": node.conn[0].address: " + normal_portal.error_value().message};

    imported_section candidate{.kind = section_kind::target, .name = *name};
    section_builder b(candidate, file);
    std::string startup = lower(get(*r, "node.startup").value_or("manual"));
    const std::pair<std::string_view, std::string_view> numbers[] = {
        {"node.session.timeo.replacement_timeout", "replacement-timeout"},
        {"node.conn[0].timeo.login_timeout", "login-timeout"},
        {"node.conn[0].timeo.logout_timeout", "logout-timeout"},
        {"node.conn[0].timeo.noop_out_interval", "noop-interval"},
        {"node.session.queue_depth", "queue-depth"},
        {"node.session.iscsi.FirstBurstLength", "first-burst-length"},
        {"node.session.iscsi.MaxBurstLength", "max-burst-length"},
        {"node.conn[0].iscsi.MaxRecvDataSegmentLength", "max-recv-data-segment-length"},
        {"node.session.iscsi.DefaultTime2Wait", "default-time2wait"},
        {"node.session.iscsi.DefaultTime2Retain", "default-time2retain"},
        {"node.session.iscsi.MaxOutstandingR2T", "max-outstanding-r2t"},
    };
    status ok = b.set("startup", startup == "automatic" || startup == "onboot" ? "automatic" : "manual",
                      "node.startup");
    if (ok)
        ok = b.map_auth(*r, "node.session.auth");
    if (ok)
        ok = b.map_digest(*r, "node.conn[0].iscsi.HeaderDigest", "header-digest");
    if (ok)
        ok = b.map_digest(*r, "node.conn[0].iscsi.DataDigest", "data-digest");
    for (auto [source, key] : numbers)
        if (ok)
            ok = b.map(*r, source, key);
    // open-iscsi takes a noop timeout of 0 to mean none; the interval already says whether we ping.
    if (auto t = get(*r, "node.conn[0].timeo.noop_out_timeout"); ok && t && *t != "0")
        ok = b.set("noop-timeout", *t, "node.conn[0].timeo.noop_out_timeout");
    if (ok)
        ok = b.map_digest(*r, "node.session.iscsi.InitialR2T", "initial-r2t");
    if (ok)
        ok = b.map_digest(*r, "node.session.iscsi.ImmediateData", "immediate-data");
    if (!ok)
        return ok;

    auto [it, fresh] = targets.try_emplace(*name, std::move(candidate));
    imported_section& target = it->second;
    if (!fresh && target.settings != candidate.settings)
        warnings.push_back(file.string() + ": settings differ from " + target.sources.front() +
                           " for the same target; the store keeps one set per target: those of " +
                           target.sources.front());
    if (std::ranges::find(target.portals, *normal_portal) == target.portals.end())
        target.portals.push_back(*normal_portal);
    target.sources.push_back(file.string());
    return done{};
}

status read_discovery(const fs::path& file, std::vector<imported_section>& out,
                      std::vector<std::string>& warnings) {
    auto r = read_record(file);
    if (!r)
        return r.error_value();
    auto type = get(*r, "discovery.type").value_or("sendtargets");
    if (type != "sendtargets") {
        warnings.push_back(file.string() + ": discovery type " + type + " is not supported: left out");
        return done{};
    }
    auto address = get(*r, "discovery.sendtargets.address");
    if (!address)
        return error{exit_code::usage, file.string() + ": discovery.sendtargets.address is missing"};
    std::string host = address->find(':') != std::string::npos ? "[" + *address + "]" : *address;
    auto portal = normalise_subsection(section_kind::discovery,
                                       host + ":" + get(*r, "discovery.sendtargets.port").value_or("3260"));
    if (!portal)
        return error{exit_code::usage,
                     file.string() + ": discovery.sendtargets.address: " + portal.error_value().message};
    imported_section d{.kind = section_kind::discovery, .name = *portal, .sources = {file.string()}};
    section_builder b(d, file);
    status ok = b.map_auth(*r, "discovery.sendtargets.auth");
    if (ok)
        ok = b.map(*r, "discovery.sendtargets.timeo.login_timeout", "login-timeout");
    // iscsid's discoveryd polling becomes our re-discovery interval (at least a minute).
    if (ok && lower(get(*r, "discovery.sendtargets.use_discoveryd").value_or("no")) == "yes") {
        auto poll = get(*r, "discovery.sendtargets.discoveryd_poll_inval").value_or("30");
        long seconds = std::strtol(poll.c_str(), nullptr, 10);
        if (seconds > 0 && seconds < 60)
            warnings.push_back(file.string() + ": discoveryd_poll_inval " + poll +
                               " is below a minute: using 60");
        ok = b.set("interval", seconds <= 0 ? "0" : std::to_string(std::clamp(seconds, 60L, 86400L)),
                   "discovery.sendtargets.discoveryd_poll_inval");
    }
    if (!ok)
        return ok;
    out.push_back(std::move(d));
    return done{};
}

std::vector<fs::directory_entry> sorted_entries(const fs::path& dir) {
    std::vector<fs::directory_entry> entries;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        entries.push_back(e);
    std::ranges::sort(entries, {}, [](const fs::directory_entry& e) { return e.path(); });
    return entries;
}

} // namespace

outcome<open_iscsi_db> read_open_iscsi(const fs::path& dir) {
    const fs::path nodes = dir / "nodes", send_targets = dir / "send_targets";
    std::error_code ec;
    if (!fs::is_directory(nodes, ec) && !fs::is_directory(send_targets, ec))
        return error{exit_code::not_found, "no open-iscsi node database in " + dir.string() +
                                               " (neither nodes/ nor send_targets/)"};
    open_iscsi_db db;
    std::map<std::string, imported_section> targets;
    for (const auto& target_dir : sorted_entries(nodes)) {
        if (!target_dir.is_directory(ec))
            continue;
        std::string dir_target = target_dir.path().filename().string();
        for (const auto& portal : sorted_entries(target_dir.path())) {
            fs::path file;
            if (portal.is_directory(ec)) {
                file = portal.path() / "default"; // ADDR,PORT,TPGT/IFACE: only the default iface
                if (!fs::is_regular_file(file, ec)) {
                    db.warnings.push_back(portal.path().string() + ": no default iface record: left out");
                    continue;
                }
            } else if (portal.is_regular_file(ec)) {
                file = portal.path(); // the older flat layout
            } else {
                continue;
            }
            if (auto s = read_node(file, dir_target, targets, db.warnings); !s)
                return s.error_value();
        }
    }
    for (auto& [name, section] : targets)
        db.sections.push_back(std::move(section));
    for (const auto& st : sorted_entries(send_targets)) {
        fs::path file = st.path() / "st_config";
        if (!fs::is_regular_file(file, ec))
            continue;
        if (auto s = read_discovery(file, db.sections, db.warnings); !s)
            return s.error_value();
    }
    return db;
}

status apply_import(store& s, const open_iscsi_db& db, bool skip_existing,
                    std::vector<std::string>& skipped) {
    std::vector<std::string> conflicts;
    for (const imported_section& section : db.sections)
        if (s.has_section(section.kind, section.name))
            conflicts.push_back(std::string(section_name(section.kind)) + " " + section.name);
    if (!conflicts.empty() && !skip_existing) {
        std::string list;
        for (const auto& c : conflicts)
            list += (list.empty() ? "" : ", ") + c;
        return error{exit_code::already_exists,
                     "the store already has " + list +
                         ": nothing imported (--skip-existing keeps them as they are)"};
    }
    skipped = conflicts;
    for (const imported_section& section : db.sections) {
        if (s.has_section(section.kind, section.name))
            continue;
        if (auto added = s.add_section(section.kind, section.name); !added)
            return added;
        for (const std::string& portal : section.portals)
            if (auto added = s.add_value(section.kind, section.name, "portal", portal); !added)
                return added;
        for (const auto& [key, value] : section.settings)
            if (auto set = s.set(section.kind, section.name, key, value); !set)
                return set;
    }
    return done{};
}

} // namespace iscsictl
