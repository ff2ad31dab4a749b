// SPDX-License-Identifier: GPL-2.0-or-later
// The one table of every key targets.ini may hold: its section, value type, range or choices,
// default, scope, whether it is a secret and whether a live session picks it up. Parsing,
// `modify`, `show`, --help and targets.ini(5) all read this table, so they cannot disagree.
#pragma once

#include "exit_codes.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace iscsictl {

enum class section_kind : std::uint8_t { initiator, target, discovery };

enum class value_type : std::uint8_t {
    text,        // UTF-8 without control characters, length in [min, max] bytes
    iscsi_name,  // iqn./eui./naa. name, stored in normal (lower case) form
    portal,      // host[:port][,tpgt], stored with the port (3260 when omitted)
    integer,     // decimal in [min, max]
    boolean,     // yes|no (also accepted: true|false, on|off, 1|0)
    choice,      // one of `choices`
    choice_list, // comma-separated, no repeats, each one of `choices`, in order of preference
};

// Where the value ends up: in the iSCSI session, in each of its connections, or only in the
// store's own bookkeeping (which targets to log in at boot, where a target was discovered).
enum class key_scope : std::uint8_t { store, session, connection };

struct key_def {
    section_kind section;
    std::string_view name;
    value_type type;
    std::int64_t min = 0; // integer: range; text: length in bytes
    std::int64_t max = 0;
    std::int64_t min_nonzero = 0;     // integer: when set, the range is 0 or min_nonzero..max
    std::string_view choices{};       // choice, choice_list: comma-separated
    std::string_view default_value{}; // as written in the store; empty when computed or absent
    std::string_view default_text{};  // how the default reads when default_value is empty
    std::string_view unit{};          // "seconds", "bytes" or empty
    key_scope scope = key_scope::store;
    bool secret = false;     // never printed, never logged; the store must then be mode 0600
    bool live = false;       // a logged-in session picks up a change without a relogin
    bool repeatable = false; // may appear several times in one section (portal)
    bool required = false;   // every section of its kind must set it
    std::string_view description{};
};

std::span<const key_def> key_table() noexcept;
const key_def* find_key(section_kind section, std::string_view name) noexcept;

std::string_view section_name(section_kind section) noexcept; // "initiator", "target", "discovery"
std::optional<section_kind> parse_section_name(std::string_view name) noexcept;

// Checks `value` against the key's type and range and returns the form the store keeps (lower-case
// names, portals with their port, yes/no). The message names the key and, unless it is a secret,
// the value; the caller adds where the value came from (file:line or the command line).
outcome<std::string> normalise_value(const key_def& key, std::string_view value);

// "integer 0..86400 (seconds)", "none | chap | mutual-chap", "list of crc32c, none", ...
std::string describe_values(const key_def& key);
// The default as users read it: the literal default, or default_text when it is computed.
std::string_view describe_default(const key_def& key) noexcept;
std::string_view scope_name(key_scope scope) noexcept;

// `text` made safe to quote in a one-line message: control characters become \xNN.
std::string printable(std::string_view text);

} // namespace iscsictl
