// SPDX-License-Identifier: GPL-2.0-or-later
#include "target_config.hpp"

#include "iscsi/names.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/error.hpp>
#include <unistd.h>
#include <utility>

namespace iscsid {
namespace {

using json = nlohmann::json;

// A value from the request, as a JSON string literal: control characters escaped, so a reason stays
// one line, and bytes a cut left invalid replaced.
std::string json_quoted(std::string_view s) {
    return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Field readers: each returns false and sets `why` when the field is present but wrong.
struct reader {
    const json& j;
    std::string& why;

    const json* find(const char* key) const {
        auto it = j.find(key);
        return it == j.end() ? nullptr : &*it;
    }
    bool fail(std::string text) {
        why = std::move(text);
        return false;
    }
    bool text(const char* key, std::string& out, bool required = false, bool secret = false) {
        const json* v = find(key);
        if (!v)
            return !required || fail(std::string("missing ") + key);
        if (!v->is_string())
            return fail(std::string(key) + " must be a string");
        out = v->get<std::string>();
        if (out.size() > 255)
            return fail(std::string(key) + (secret
                                                ? " is too long"
                                                : ": " + json_quoted(out.substr(0, 32)) + "... is too long"));
        return true;
    }
    template <class T>
    bool number(const char* key, T& out, std::uint64_t min, std::uint64_t max) {
        const json* v = find(key);
        if (!v)
            return true;
        // JSON text gives unsigned numbers; a number built in C++ may be signed.
        const bool whole = v->is_number_unsigned() || (v->is_number_integer() && v->get<std::int64_t>() >= 0);
        const std::uint64_t x = whole ? v->get<std::uint64_t>() : 0;
        if (!whole || x < min || x > max)
            return fail(std::string(key) + " must be a whole number from " + std::to_string(min) + " to " +
                        std::to_string(max));
        out = static_cast<T>(x);
        return true;
    }
    bool seconds(const char* key, std::chrono::seconds& out, std::uint64_t min, std::uint64_t max) {
        std::uint64_t s = static_cast<std::uint64_t>(out.count());
        if (!number(key, s, min, max))
            return false;
        out = std::chrono::seconds(s);
        return true;
    }
    bool boolean(const char* key, bool& out) {
        const json* v = find(key);
        if (!v)
            return true;
        if (!v->is_boolean())
            return fail(std::string(key) + " must be true or false");
        out = v->get<bool>();
        return true;
    }
    // A list of names, each mapped through `table`; order kept, duplicates refused.
    template <class T, std::size_t N>
    bool choices(const char* key, std::vector<T>& out,
                 const std::array<std::pair<const char*, T>, N>& table) {
        const json* v = find(key);
        if (!v)
            return true;
        if (!v->is_array() || v->empty())
            return fail(std::string(key) + " must be a non-empty list");
        std::vector<T> values;
        for (const auto& item : *v) {
            bool known = false;
            for (const auto& [name, value] : table) {
                if (item.is_string() && item.get<std::string>() == name) {
                    for (T seen : values)
                        if (seen == value)
                            return fail(std::string(key) + " names " + name + " twice");
                    values.push_back(value);
                    known = true;
                }
            }
            if (!known)
                return fail(std::string(key) + ": unknown value " + item.dump());
        }
        out = std::move(values);
        return true;
    }
};

constexpr std::array<std::pair<const char*, iscsi::digest_type>, 2> digest_names{{
    {"crc32c", iscsi::digest_type::crc32c},
    {"none", iscsi::digest_type::none},
}};
constexpr std::array<std::pair<const char*, iscsi::chap_algorithm>, 4> chap_names{{
    {"sha3-256", iscsi::chap_algorithm::sha3_256},
    {"sha-256", iscsi::chap_algorithm::sha256},
    {"sha-1", iscsi::chap_algorithm::sha1},
    {"md5", iscsi::chap_algorithm::md5},
}};

template <class T, std::size_t N>
json names_of(const std::vector<T>& values, const std::array<std::pair<const char*, T>, N>& table) {
    json out = json::array();
    for (T v : values)
        for (const auto& [name, value] : table)
            if (value == v)
                out.push_back(name);
    return out;
}

const char* auth_name(iscsi::auth_policy a) {
    switch (a) {
    case iscsi::auth_policy::chap:
        return "chap";
    case iscsi::auth_policy::mutual_chap:
        return "mutual-chap";
    case iscsi::auth_policy::none:
        break;
    }
    return "none";
}

// The authentication fields, common to a login's target and a discovery.
bool read_credentials(reader& r, login_credentials& c) {
    std::string auth = "none";
    if (!(r.text("auth", auth) && r.text("chap-name", c.chap_name) &&
          r.text("chap-secret", c.chap_secret, false, true) &&
          r.text("mutual-chap-name", c.mutual_chap_name) &&
          r.text("mutual-chap-secret", c.mutual_chap_secret, false, true) &&
          r.choices("chap-algorithms", c.chap_algorithms, chap_names)))
        return false;
    if (auth == "none")
        c.auth = iscsi::auth_policy::none;
    else if (auth == "chap")
        c.auth = iscsi::auth_policy::chap;
    else if (auth == "mutual-chap")
        c.auth = iscsi::auth_policy::mutual_chap;
    else
        return r.fail("auth must be none, chap or mutual-chap");
    if (c.auth != iscsi::auth_policy::none && c.chap_secret.empty())
        return r.fail("auth " + auth + " needs chap-secret");
    if (c.auth == iscsi::auth_policy::mutual_chap &&
        (c.mutual_chap_name.empty() || c.mutual_chap_secret.empty()))
        return r.fail("auth mutual-chap needs mutual-chap-name and mutual-chap-secret");
    return true;
}

// The credentials as read_credentials() reads them (secrets included), added to `j`.
void write_credentials(const login_credentials& c, json& j) {
    j["auth"] = auth_name(c.auth);
    if (!c.chap_algorithms.empty())
        j["chap-algorithms"] = names_of(c.chap_algorithms, chap_names);
    for (auto [key, value] : {std::pair{"chap-name", &c.chap_name}, std::pair{"chap-secret", &c.chap_secret},
                              std::pair{"mutual-chap-name", &c.mutual_chap_name},
                              std::pair{"mutual-chap-secret", &c.mutual_chap_secret}})
        if (!value->empty())
            j[key] = *value;
}

// The initiator's identity and the credentials, common to a login's target and a discovery:
// initiator-alias, the authentication fields and login-timeout (initiator-name is read by the caller).
template <class Config>
bool read_identity(reader& r, Config& t) {
    return r.text("initiator-alias", t.initiator_alias) && read_credentials(r, t.credentials) &&
           r.seconds("login-timeout", t.login_timeout, 1, 3600);
}

// The identity and authentication part of a login configuration.
template <class Config>
void fill_login(const Config& t, const iscsi::isid_bytes& isid, iscsi::login_config& c) {
    c.identity.initiator_name = t.initiator_name;
    c.identity.initiator_alias = t.initiator_alias;
    c.isid = isid;
    const login_credentials& k = t.credentials;
    c.auth = k.auth;
    if (k.auth != iscsi::auth_policy::none) {
        c.chap.name = k.chap_name.empty() ? t.initiator_name : k.chap_name;
        c.chap.secret = k.chap_secret;
        if (k.auth == iscsi::auth_policy::mutual_chap) {
            c.chap.target_name = k.mutual_chap_name;
            c.chap.target_secret = k.mutual_chap_secret;
        }
        if (!k.chap_algorithms.empty())
            c.chap.algorithms = k.chap_algorithms;
    }
}

} // namespace

std::uint32_t default_max_connections() {
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    return static_cast<std::uint32_t>(std::clamp<long>(cpus, 1, 16));
}

json to_json(const target_config& t) {
    json portals = json::array();
    for (const auto& p : t.portals)
        portals.push_back(p.to_string());
    const auto& p = t.preferences;
    json j{
        {"name", t.target_name},
        {"portals", std::move(portals)},
        {"initiator-name", t.initiator_name},
        {"header-digest", names_of(p.header_digest, digest_names)},
        {"data-digest", names_of(p.data_digest, digest_names)},
        {"initial-r2t", p.initial_r2t},
        {"immediate-data", p.immediate_data},
        {"first-burst-length", p.first_burst_length},
        {"max-burst-length", p.max_burst_length},
        {"max-recv-data-segment-length", p.max_recv_data_segment_length},
        {"max-outstanding-r2t", p.max_outstanding_r2t},
        {"max-connections", p.max_connections},
        {"default-time2wait", p.default_time2wait},
        {"default-time2retain", p.default_time2retain},
        {"login-timeout", t.login_timeout.count()},
        {"logout-timeout", t.logout_timeout.count()},
        {"replacement-timeout", t.replacement_timeout},
        {"noop-interval", t.noop_interval},
        {"noop-timeout", t.noop_timeout},
        {"queue-depth", t.queue_depth},
    };
    if (!t.initiator_alias.empty())
        j["initiator-alias"] = t.initiator_alias;
    write_credentials(t.credentials, j);
    return j;
}

iscsi::login_config target_config::login_config(const iscsi::isid_bytes& isid) const {
    iscsi::login_config c;
    c.identity.target_name = target_name;
    c.identity.type = iscsi::session_type::normal;
    c.preferences = preferences;
    fill_login(*this, isid, c);
    return c;
}

iscsi::login_config discovery_config::login_config(const iscsi::isid_bytes& isid) const {
    iscsi::login_config c;
    c.identity.type = iscsi::session_type::discovery;
    fill_login(*this, isid, c);
    return c;
}

std::optional<target_config> parse_target_config(const json& j, std::string& why) {
    if (!j.is_object()) {
        why = "target must be an object";
        return std::nullopt;
    }
    target_config t;
    reader r{j, why};
    if (!r.text("name", t.target_name, true))
        return std::nullopt;
    if (auto name = iscsi::parse_name(t.target_name); !name) {
        why = "target name: " + name.error().message();
        return std::nullopt;
    } else {
        t.target_name = name->str();
    }
    const json* portals = r.find("portals");
    if (!portals || !portals->is_array() || portals->empty()) {
        why = "portals must be a non-empty list";
        return std::nullopt;
    }
    for (const auto& p : *portals) {
        auto parsed = p.is_string() ? iscsi::parse_portal(p.get<std::string>())
                                    : iscsi::result<iscsi::portal>(iscsi::errc::bad_format);
        if (!parsed) {
            why = "portal " + p.dump() + ": " + parsed.error().message();
            return std::nullopt;
        }
        t.portals.push_back(*parsed);
    }
    if (!r.text("initiator-name", t.initiator_name, true))
        return std::nullopt;
    if (auto name = iscsi::parse_name(t.initiator_name); !name) {
        why = "initiator name: " + name.error().message();
        return std::nullopt;
    }
    auto& p = t.preferences;
    p.max_connections = default_max_connections();
    bool ok = read_identity(r, t) && r.choices("header-digest", p.header_digest, digest_names) &&
              r.choices("data-digest", p.data_digest, digest_names) &&
              r.boolean("initial-r2t", p.initial_r2t) && r.boolean("immediate-data", p.immediate_data) &&
              r.number("first-burst-length", p.first_burst_length, 512, 16777215) &&
              r.number("max-burst-length", p.max_burst_length, 512, 16777215) &&
              r.number("max-recv-data-segment-length", p.max_recv_data_segment_length, 512, 16777215) &&
              // The kernel keeps at most this many R2Ts per command (ISCSI_INI_MAX_R2T).
              r.number("max-outstanding-r2t", p.max_outstanding_r2t, 1, 16) &&
              // The kernel takes at most ISCSI_INI_MAX_CONNS connections per session.
              r.number("max-connections", p.max_connections, 1, 16) &&
              r.number("default-time2wait", p.default_time2wait, 0, 3600) &&
              r.number("default-time2retain", p.default_time2retain, 0, 3600) &&
              r.seconds("logout-timeout", t.logout_timeout, 1, 3600) &&
              r.number("replacement-timeout", t.replacement_timeout, 0, 86400) &&
              r.number("noop-interval", t.noop_interval, 0, 3600) &&
              r.number("noop-timeout", t.noop_timeout, 1, 3600) &&
              r.number("queue-depth", t.queue_depth, 1, 1024);
    if (!ok)
        return std::nullopt;
    if (auto bad = iscsi::check_preferences(p)) {
        why = bad->message();
        return std::nullopt;
    }
    return t;
}

std::optional<discovery_config> parse_discovery_config(const json& j, std::string& why) {
    if (!j.is_object()) {
        why = "params must be an object";
        return std::nullopt;
    }
    discovery_config d;
    reader r{j, why};
    std::string portal;
    if (!r.text("portal", portal, true))
        return std::nullopt;
    auto parsed = iscsi::parse_portal(portal);
    if (!parsed) {
        why = "portal " + json_quoted(portal) + ": " + parsed.error().message();
        return std::nullopt;
    }
    d.portal = *parsed;
    d.portal.tpgt.reset(); // a discovery session may go to any portal group
    if (!r.text("initiator-name", d.initiator_name, true))
        return std::nullopt;
    if (auto name = iscsi::parse_name(d.initiator_name); !name) {
        why = "initiator name: " + name.error().message();
        return std::nullopt;
    }
    if (!read_identity(r, d))
        return std::nullopt;
    return d;
}

std::optional<session_settings> parse_session_settings(const json& j, std::string& why) {
    if (!j.is_object() || j.empty()) {
        why = "settings must be an object with at least one of replacement-timeout, noop-interval, "
              "noop-timeout, queue-depth";
        return std::nullopt;
    }
    for (const auto& [key, value] : j.items()) {
        if (key != "replacement-timeout" && key != "noop-interval" && key != "noop-timeout" &&
            key != "queue-depth") {
            why = "settings: " + json_quoted(key.substr(0, 64)) + " cannot be changed on a live session";
            return std::nullopt;
        }
    }
    reader r{j, why};
    session_settings out;
    // Read into a copy of each default, then keep only what was given.
    std::uint32_t replacement = 0;
    std::uint32_t interval = 0;
    std::uint32_t timeout = 0;
    std::uint16_t depth = 0;
    if (!(r.number("replacement-timeout", replacement, 0, 86400) &&
          r.number("noop-interval", interval, 0, 3600) && r.number("noop-timeout", timeout, 1, 3600) &&
          r.number("queue-depth", depth, 1, 1024)))
        return std::nullopt;
    if (j.contains("replacement-timeout"))
        out.replacement_timeout = replacement;
    if (j.contains("noop-interval"))
        out.noop_interval = interval;
    if (j.contains("noop-timeout"))
        out.noop_timeout = timeout;
    if (j.contains("queue-depth"))
        out.queue_depth = depth;
    return out;
}

json settings_json(const target_config& t) {
    return json{{"replacement-timeout", t.replacement_timeout},
                {"noop-interval", t.noop_interval},
                {"noop-timeout", t.noop_timeout},
                {"queue-depth", t.queue_depth}};
}

control::failure classify(const iscsi::login_failure& f) {
    using control::failure;
    if (f.code == iscsi::errc::authentication_failed)
        return failure::authentication_failed;
    if (f.status && *f.status == 0x0203) // target not found
        return failure::not_found;
    if (f.code == iscsi::errc::timed_out || f.code.category() == std::system_category() ||
        f.code.category() == boost::asio::error::get_system_category() ||
        f.code.category() == boost::asio::error::get_netdb_category())
        return failure::unreachable;
    return failure::internal;
}

} // namespace iscsid
