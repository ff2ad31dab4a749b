// SPDX-License-Identifier: GPL-2.0-or-later
#include "store_keys.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <iscsi/names.hpp>
#include <iscsi/portal.hpp>
#include <vector>

namespace iscsictl {
namespace {

using enum section_kind;
using enum value_type;
using enum key_scope;

constexpr std::string_view auth_methods = "none,chap,mutual-chap";
constexpr std::string_view chap_algorithms = "sha3-256,sha-256,sha-1,md5";
constexpr std::string_view digests = "crc32c,none";
constexpr std::int64_t max_text = 255;                   // RFC 7143 section 6.1
constexpr std::int64_t min_chap_secret = 12;             // 96 bits, as RFC 7143's CHAP considerations ask
constexpr std::int64_t max_data_segment = (1 << 24) - 1; // RFC 7143 section 13.12 and following
constexpr std::int64_t day = 86400;

// Operational defaults are the values this initiator offers in login negotiation.
// One key per entry reads better than one field per line.
// clang-format off
constexpr auto keys = std::to_array<key_def>({
    // [initiator]
    {.section = initiator, .name = "name", .type = iscsi_name,
     .default_text = "InitiatorName= of /etc/iscsi/initiatorname.iscsi (created with a random name if "
                     "missing)",
     .scope = session, .description = "the iSCSI name this host logs in with"},
    {.section = initiator, .name = "alias", .type = text, .min = 1, .max = max_text, .default_text = "none",
     .scope = session, .description = "InitiatorAlias sent at login, shown by targets beside the name"},
    {.section = initiator, .name = "chap-name", .type = text, .min = 1, .max = max_text,
     .default_text = "the initiator name", .scope = connection,
     .description = "CHAP user name for targets and discovery portals that set none"},
    {.section = initiator, .name = "chap-secret", .type = text, .min = min_chap_secret, .max = max_text,
     .default_text = "none", .scope = connection, .secret = true,
     .description = "CHAP secret for targets and discovery portals that set none"},

    // [target "IQN"]
    {.section = target, .name = "portal", .type = portal, .default_text = "none: at least one is required",
     .scope = connection, .repeatable = true, .required = true,
     .description = "address[:port][,tpgt] to log in through; repeat the key for more portals"},
    {.section = target, .name = "startup", .type = choice, .choices = "manual,automatic",
     .default_value = "manual", .description = "automatic: iscsid logs the target in at boot"},
    {.section = target, .name = "auth", .type = choice, .choices = auth_methods, .default_value = "none",
     .scope = connection, .description = "authentication: none, CHAP, or CHAP in both directions"},
    {.section = target, .name = "chap-name", .type = text, .min = 1, .max = max_text,
     .default_text = "[initiator] chap-name, else the initiator name", .scope = connection,
     .description = "CHAP user name we present to the target"},
    {.section = target, .name = "chap-secret", .type = text, .min = min_chap_secret, .max = max_text,
     .default_text = "[initiator] chap-secret", .scope = connection, .secret = true,
     .description = "CHAP secret we prove to the target"},
    {.section = target, .name = "mutual-chap-name", .type = text, .min = 1, .max = max_text,
     .default_text = "none: required by auth = mutual-chap", .scope = connection,
     .description = "the name the target must present with mutual CHAP"},
    {.section = target, .name = "mutual-chap-secret", .type = text, .min = min_chap_secret, .max = max_text,
     .default_text = "none: required by auth = mutual-chap", .scope = connection, .secret = true,
     .description = "the secret the target must prove with mutual CHAP (differs from chap-secret)"},
    {.section = target, .name = "chap-algorithms", .type = choice_list, .choices = chap_algorithms,
     .default_value = chap_algorithms, .scope = connection,
     .description = "CHAP digests we accept, in order of preference"},
    {.section = target, .name = "header-digest", .type = choice_list, .choices = digests,
     .default_value = digests, .scope = connection,
     .description = "header digests we offer, in order of preference"},
    {.section = target, .name = "data-digest", .type = choice_list, .choices = digests,
     .default_value = "none", .scope = connection,
     .description = "data digests we offer, in order of preference"},
    {.section = target, .name = "replacement-timeout", .type = integer, .min = 0, .max = day,
     .default_value = "120", .unit = "seconds", .scope = session, .live = true,
     .description = "how long I/O waits for a lost connection to come back before it fails"},
    {.section = target, .name = "login-timeout", .type = integer, .min = 1, .max = 3600,
     .default_value = "15", .unit = "seconds", .scope = connection,
     .description = "time allowed for connecting and logging in"},
    {.section = target, .name = "logout-timeout", .type = integer, .min = 1, .max = 3600,
     .default_value = "15", .unit = "seconds", .scope = session,
     .description = "time allowed for the target to answer a logout"},
    {.section = target, .name = "noop-interval", .type = integer, .min = 0, .max = 3600, .default_value = "5",
     .unit = "seconds", .scope = connection, .live = true,
     .description = "idle time before we ping the target with a NOP-Out; 0 never pings"},
    {.section = target, .name = "noop-timeout", .type = integer, .min = 1, .max = 3600, .default_value = "5",
     .unit = "seconds", .scope = connection, .live = true,
     .description = "a ping unanswered this long declares the connection dead"},
    {.section = target, .name = "queue-depth", .type = integer, .min = 1, .max = 1024, .default_value = "128",
     .scope = session, .live = true, .description = "commands in flight per session"},
    {.section = target, .name = "initial-r2t", .type = boolean, .default_value = "no", .scope = session,
     .description = "InitialR2T we offer: yes waits for an R2T before sending write data"},
    {.section = target, .name = "immediate-data", .type = boolean, .default_value = "yes", .scope = session,
     .description = "ImmediateData we offer: write data may ride in the command PDU"},
    {.section = target, .name = "first-burst-length", .type = integer, .min = 512, .max = max_data_segment,
     .default_value = "262144", .unit = "bytes", .scope = session,
     .description = "FirstBurstLength we offer: unsolicited write data per command"},
    {.section = target, .name = "max-burst-length", .type = integer, .min = 512, .max = max_data_segment,
     .default_value = "16776192", .unit = "bytes", .scope = session,
     .description = "MaxBurstLength we offer: data per R2T or Data-In sequence"},
    {.section = target, .name = "max-recv-data-segment-length", .type = integer, .min = 512,
     .max = max_data_segment, .default_value = "262144", .unit = "bytes", .scope = connection,
     .description = "MaxRecvDataSegmentLength we declare: the largest PDU data we receive"},
    {.section = target, .name = "max-outstanding-r2t", .type = integer, .min = 1, .max = 16,
     .default_value = "8", .scope = session,
     .description = "MaxOutstandingR2T we offer per command (the kernel module keeps at most 16)"},
    {.section = target, .name = "max-connections", .type = integer, .min = 1, .max = 16,
     .default_text = "the number of online CPUs, at most 16", .scope = session,
     .description = "MaxConnections we offer: connections per session (MC/S), one per CPU queue; "
                    "the target's answer bounds it (LIO: TPG parameter MaxConnections, default 1)"},
    {.section = target, .name = "default-time2wait", .type = integer, .min = 0, .max = 3600,
     .default_value = "2", .unit = "seconds", .scope = session,
     .description = "DefaultTime2Wait we offer: pause before reconnecting"},
    {.section = target, .name = "default-time2retain", .type = integer, .min = 0, .max = 3600,
     .default_value = "0", .unit = "seconds", .scope = session,
     .description = "DefaultTime2Retain we offer: how long the target keeps tasks of a lost connection"},
    {.section = target, .name = "discovered-from", .type = portal, .default_text = "none: added by hand",
     .description = "the discovery portal that reported this target (set by iscsictl discover)"},

    // [discovery "PORTAL"]
    {.section = discovery, .name = "method", .type = choice, .choices = "sendtargets",
     .default_value = "sendtargets", .description = "how targets are found: a SendTargets session"},
    {.section = discovery, .name = "auth", .type = choice, .choices = auth_methods, .default_value = "none",
     .scope = connection, .description = "authentication of the discovery session"},
    {.section = discovery, .name = "chap-name", .type = text, .min = 1, .max = max_text,
     .default_text = "[initiator] chap-name, else the initiator name", .scope = connection,
     .description = "CHAP user name we present to the discovery portal"},
    {.section = discovery, .name = "chap-secret", .type = text, .min = min_chap_secret, .max = max_text,
     .default_text = "[initiator] chap-secret", .scope = connection, .secret = true,
     .description = "CHAP secret we prove to the discovery portal"},
    {.section = discovery, .name = "mutual-chap-name", .type = text, .min = 1, .max = max_text,
     .default_text = "none: required by auth = mutual-chap", .scope = connection,
     .description = "the name the portal must present with mutual CHAP"},
    {.section = discovery, .name = "mutual-chap-secret", .type = text, .min = min_chap_secret,
     .max = max_text, .default_text = "none: required by auth = mutual-chap", .scope = connection,
     .secret = true, .description = "the secret the portal must prove with mutual CHAP"},
    {.section = discovery, .name = "chap-algorithms", .type = choice_list, .choices = chap_algorithms,
     .default_value = chap_algorithms, .scope = connection,
     .description = "CHAP digests we accept, in order of preference"},
    {.section = discovery, .name = "login-timeout", .type = integer, .min = 1, .max = 3600,
     .default_value = "15", .unit = "seconds", .scope = connection,
     .description = "time allowed for connecting, logging in and listing targets"},
    {.section = discovery, .name = "interval", .type = integer, .min = 0, .max = day, .min_nonzero = 60,
     .default_value = "0", .unit = "seconds",
     .description = "how often iscsid repeats discovery and records what it finds; 0: only when asked"},
});
// clang-format on

std::vector<std::string_view> split_commas(std::string_view list) {
    std::vector<std::string_view> parts;
    for (;;) {
        auto comma = list.find(',');
        parts.push_back(list.substr(0, comma));
        if (comma == std::string_view::npos)
            return parts;
        list.remove_prefix(comma + 1);
    }
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view s) {
    auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t") - first + 1));
}

// Length in bytes of the UTF-8 sequence starting with `lead`, or 0 when `lead` cannot start one.
std::size_t utf8_sequence_length(unsigned char lead) noexcept {
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead <= 0xdf)
        return 2;
    if (lead >= 0xe0 && lead <= 0xef)
        return 3;
    if (lead >= 0xf0 && lead <= 0xf4)
        return 4;
    return 0;
}

bool is_clean_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f)
            return false;
        std::size_t n = utf8_sequence_length(c);
        if (n == 0 || i + n > s.size())
            return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
                return false;
        // Overlong three- and four-byte forms, surrogates and code points above U+10FFFF.
        auto next = static_cast<unsigned char>(n > 1 ? s[i + 1] : 0);
        if ((c == 0xe0 && next < 0xa0) || (c == 0xed && next > 0x9f) || (c == 0xf0 && next < 0x90) ||
            (c == 0xf4 && next > 0x8f))
            return false;
        i += n;
    }
    return true;
}

std::string describe_range(const key_def& key) {
    if (key.min_nonzero > 0)
        return "0 or " + std::to_string(key.min_nonzero) + ".." + std::to_string(key.max);
    return std::to_string(key.min) + ".." + std::to_string(key.max);
}

error bad_value(const key_def& key, std::string_view value, std::string_view why) {
    std::string message = std::string(key.name);
    if (!key.secret)
        message += " = '" + printable(value) + "'";
    return {exit_code::usage, message + ": " + std::string(why)};
}

outcome<std::string> normalise_integer(const key_def& key, std::string_view value) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec == std::errc::invalid_argument || end != value.data() + value.size())
        return bad_value(key, value, "not a decimal number");
    if (ec == std::errc::result_out_of_range || n < key.min || n > key.max || (n != 0 && n < key.min_nonzero))
        return bad_value(key, value, "out of range " + describe_range(key));
    return std::to_string(n);
}

outcome<std::string> normalise_boolean(const key_def& key, std::string_view value) {
    std::string v = lower(value);
    if (v == "yes" || v == "true" || v == "on" || v == "1")
        return std::string("yes");
    if (v == "no" || v == "false" || v == "off" || v == "0")
        return std::string("no");
    return bad_value(key, value, "must be yes or no");
}

outcome<std::string> normalise_choices(const key_def& key, std::string_view value) {
    auto allowed = split_commas(key.choices);
    std::vector<std::string> picked;
    for (std::string_view part : split_commas(value)) {
        std::string option = lower(trim(part));
        if (std::ranges::find(allowed, option) == allowed.end())
            return bad_value(key, value, "must be " + describe_values(key));
        if (std::ranges::find(picked, option) != picked.end())
            return bad_value(key, value, "'" + option + "' is listed twice");
        picked.push_back(std::move(option));
    }
    if (key.type == choice && picked.size() != 1)
        return bad_value(key, value, "must be " + describe_values(key));
    std::string joined;
    for (const auto& option : picked)
        joined += (joined.empty() ? "" : ",") + option;
    return joined;
}

} // namespace

std::span<const key_def> key_table() noexcept {
    return keys;
}

const key_def* find_key(section_kind section, std::string_view name) noexcept {
    auto it =
        std::ranges::find_if(keys, [&](const key_def& k) { return k.section == section && k.name == name; });
    return it == keys.end() ? nullptr : &*it;
}

std::string_view section_name(section_kind section) noexcept {
    switch (section) {
    case initiator:
        return "initiator";
    case target:
        return "target";
    case discovery:
        return "discovery";
    }
    return "?";
}

std::optional<section_kind> parse_section_name(std::string_view name) noexcept {
    for (auto kind : {initiator, target, discovery})
        if (section_name(kind) == name)
            return kind;
    return std::nullopt;
}

outcome<std::string> normalise_value(const key_def& key, std::string_view value) {
    switch (key.type) {
    case text: {
        auto length = static_cast<std::int64_t>(value.size());
        if (length < key.min || length > key.max)
            return bad_value(key, value,
                             "must be " + std::to_string(key.min) + " to " + std::to_string(key.max) +
                                 " bytes long");
        if (!is_clean_utf8(value))
            return bad_value(key, value, "must be UTF-8 text without control characters");
        return std::string(value);
    }
    case iscsi_name: {
        auto name = iscsi::parse_name(value);
        if (!name)
            return bad_value(key, value, name.error().message());
        return name->str();
    }
    case portal: {
        auto parsed = iscsi::parse_portal(value);
        if (!parsed)
            return bad_value(key, value, parsed.error().message());
        return parsed->to_string();
    }
    case integer:
        return normalise_integer(key, value);
    case boolean:
        return normalise_boolean(key, value);
    case choice:
    case choice_list:
        return normalise_choices(key, value);
    }
    return bad_value(key, value, "unsupported type");
}

std::string describe_values(const key_def& key) {
    auto unit = key.unit.empty() ? std::string() : " (" + std::string(key.unit) + ")";
    std::string alternatives;
    for (std::string_view option : split_commas(key.choices))
        alternatives += (alternatives.empty() ? "" : " | ") + std::string(option);
    switch (key.type) {
    case text:
        return "text, " + std::to_string(key.min) + " to " + std::to_string(key.max) + " bytes";
    case iscsi_name:
        return "iSCSI name (iqn., eui. or naa.)";
    case portal:
        return "portal: address[:port][,tpgt]";
    case integer:
        return "integer " + describe_range(key) + unit;
    case boolean:
        return "yes | no";
    case choice:
        return alternatives;
    case choice_list:
        return "comma-separated list of " + alternatives;
    }
    return {};
}

std::string_view describe_default(const key_def& key) noexcept {
    return key.default_value.empty() ? key.default_text : key.default_value;
}

std::string printable(std::string_view text) {
    std::string out;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            out += escaped;
        } else {
            out += c;
        }
    }
    return out;
}

std::string_view scope_name(key_scope scope) noexcept {
    switch (scope) {
    case store:
        return "store";
    case session:
        return "session";
    case connection:
        return "connection";
    }
    return "?";
}

} // namespace iscsictl
