// SPDX-License-Identifier: GPL-2.0-or-later
// targets.ini: the persistent store of the initiator's settings, targets and discovery portals, in
// git-config syntax. Parsing validates every known key against store_keys.hpp; a store keeps the
// file's lines, so a rewrite changes only the lines that changed and keeps comments, blank lines,
// ordering and sections it does not know. Files are replaced atomically under flock.
#pragma once

#include "exit_codes.hpp"
#include "store_keys.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iscsictl {

inline constexpr std::string_view default_store_path = "/etc/iscsi/targets.ini";
inline constexpr std::string_view default_initiatorname_path = "/etc/iscsi/initiatorname.iscsi";

// One key = value line; values of known keys are in normal form.
struct store_entry {
    std::string key;
    std::string value;
    bool operator==(const store_entry&) const = default;
};

// A section as the model sees it: kind word ("target", or a word this version does not know),
// its subsection (IQN or portal in normal form for known kinds) and its entries in file order.
struct store_section {
    std::string kind{};
    std::optional<std::string> subsection{};
    std::vector<store_entry> entries{};
    bool operator==(const store_section&) const = default;
};

// Where a resolved value comes from, for `show`.
enum class value_origin { set, inherited, computed, default_value, unset };

struct resolved_key {
    const key_def* key = nullptr;
    std::vector<std::string> values{}; // empty when unset; several only for repeatable keys
    value_origin origin = value_origin::unset;
};

class store {
public:
    // Parses and validates `text`; errors read "FILE:LINE: problem" and carry exit_code::store_error.
    static outcome<store> parse(std::string_view text, std::string_view file);

    // The file's text: untouched lines as they were read, changed and new lines in canonical form.
    [[nodiscard]] std::string text() const;
    [[nodiscard]] std::vector<store_section> sections() const;
    [[nodiscard]] bool has_secrets() const;

    [[nodiscard]] bool has_section(section_kind kind, std::string_view subsection) const;
    // Subsections of every section of `kind`, in file order.
    [[nodiscard]] std::vector<std::string> subsections(section_kind kind) const;
    // Every value of `key` in the section, in file order; empty when the key or section is absent.
    [[nodiscard]] std::vector<std::string> values(section_kind kind, std::string_view subsection,
                                                  std::string_view key) const;
    [[nodiscard]] std::optional<std::string> value(section_kind kind, std::string_view subsection,
                                                   std::string_view key) const;

    // Edits. Subsections must be in normal form (normalise_subsection); values are validated here,
    // so a store only ever holds what parse() would accept. An empty subsection means none
    // ([initiator]); edits of the initiator section create it when it is missing.
    status add_section(section_kind kind, std::string_view subsection);
    status remove_section(section_kind kind, std::string_view subsection);
    // Sets a single-valued key, replacing its line (keeping indentation and inline comment).
    status set(section_kind kind, std::string_view subsection, std::string_view key, std::string_view value);
    // Removes every line of `key`; the key falls back to its default.
    status unset(section_kind kind, std::string_view subsection, std::string_view key);
    // Repeatable keys (portal): one more line, or one line fewer.
    status add_value(section_kind kind, std::string_view subsection, std::string_view key,
                     std::string_view value);
    status remove_value(section_kind kind, std::string_view subsection, std::string_view key,
                        std::string_view value);

private:
    enum class line_kind { other, header, entry };
    struct line {
        line_kind kind = line_kind::other;
        std::string text;                      // as read, or rendered by an edit; without the newline
        std::string word;                      // header: section kind as written, lower case
        std::optional<std::string> subsection; // header
        std::string key, value;                // entry
        std::string indent;                    // entry: leading white space
        std::string comment;                   // entry: inline comment with the white space before it
    };
    struct span {
        std::size_t header; // index of the header line
        std::size_t end;    // index of the next header, or the number of lines
    };

    [[nodiscard]] std::optional<span> find(section_kind kind, std::string_view subsection) const;
    outcome<span> find_or_create(section_kind kind, std::string_view subsection);
    outcome<const key_def*> known_key(section_kind kind, std::string_view key) const;
    void insert_entry(const span& section, std::string_view key, std::string value);

    std::vector<line> lines_;
};

// Validates a subsection for `kind` (an iSCSI name for targets, a portal for discovery) and returns
// its normal form; for the initiator only the empty subsection is valid.
outcome<std::string> normalise_subsection(section_kind kind, std::string_view subsection);

// Every key of a target or discovery section with the value a login uses: set in the section,
// inherited from [initiator] (chap-name, chap-secret), computed (chap-name from the initiator
// name) or the table's default. Secrets come back in clear: the printer masks them.
std::vector<resolved_key> resolve(const store& s, section_kind kind, std::string_view subsection,
                                  std::string_view initiator_name);

// Reads the store at `path`; a missing file is an empty store. Refuses a store holding a secret
// that group or others may read.
outcome<store> load_store(const std::filesystem::path& path);

// Runs `edit` on the store at `path` and writes the result, all under an exclusive flock on
// PATH.lock, so concurrent iscsictl runs never lose each other's changes. The new file is written
// to a temporary file in the same directory, synced and renamed over the old one, then the
// directory is synced: on any failure the old file stays as it was. New stores are mode 0600; a
// store holding a secret loses every group and other permission. When PATH is a symbolic link, the
// file it points to is replaced and the link stays.
status update_store(const std::filesystem::path& path, const std::function<status(store&)>& edit);

// The initiator name: [initiator] name when set, else InitiatorName= of `initiatorname_file` (the
// file open-iscsi uses). exit_code::not_found when neither has one.
outcome<std::string> read_initiator_name(const store& s, const std::filesystem::path& initiatorname_file);
// As read_initiator_name, but creates `initiatorname_file` with a random name when it is missing.
outcome<std::string> ensure_initiator_name(const store& s, const std::filesystem::path& initiatorname_file);

} // namespace iscsictl
