// SPDX-License-Identifier: GPL-2.0-or-later
// One printing interface for every verb, with a text back end (aligned tables, human sizes) and a
// JSON back end (arrays of objects with stable field names): nvme-cli's print_ops idea. Verbs build
// records; only the back end decides how they look.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace iscsictl {

struct byte_count {
    std::uint64_t bytes = 0;
};
// A secret that is set. It carries no value, so a printer cannot show one by mistake.
struct masked_secret {};

// No value, text, a number, a size, yes/no, a list, or a masked secret.
using field_value = std::variant<std::monostate, std::string, std::int64_t, byte_count, bool,
                                 std::vector<std::string>, masked_secret>;

struct field {
    std::string name; // the stable JSON name; text headers show it in upper case
    field_value value;
    std::string default_note{}; // not empty: the value is a default, and this says where it comes from
};
using record = std::vector<field>;

// A named part of a compound record (show session): an object, or a table of rows.
struct part {
    std::string name;
    record fields{}; // the object, when `table` is false
    bool table = false;
    std::vector<std::string_view> columns{}; // the table
    std::vector<record> rows{};
};

enum class output_format { text, json };

class printer {
public:
    virtual ~printer() = default;
    // Records sharing the fields named by `columns`: a table, or a JSON array of objects.
    virtual void list(std::span<const std::string_view> columns, std::span<const record> records) = 0;
    // One record: "name  value" lines, or a JSON object. The names of defaulted fields go to its
    // "defaults" array in JSON.
    virtual void object(const record& fields) = 0;
    // One record with named parts: text prints the fields, then each part under its name; JSON
    // prints one object whose part names hold an object or an array of objects.
    virtual void compound(const record& fields, std::span<const part> parts) = 0;
    // A confirmation ("added target ..."); JSON prints none, so its output stays parseable.
    virtual void note(std::string_view message) = 0;
};

std::unique_ptr<printer> make_printer(output_format format, std::ostream& out);

// 1536 -> "1.5 KiB", 1073741824 -> "1 GiB"; below 1 KiB "512 B".
std::string human_size(std::uint64_t bytes);

} // namespace iscsictl
