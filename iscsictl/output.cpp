// SPDX-License-Identifier: GPL-2.0-or-later
#include "output.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace iscsictl {
namespace {

constexpr std::string_view mask = "********";

template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
// clang 14 does not deduce aggregate template arguments (P1816) by itself.
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

const field_value* find_field(const record& r, std::string_view name) {
    auto it = std::ranges::find(r, name, &field::name);
    return it == r.end() ? nullptr : &it->value;
}

std::string to_text(const field_value& value) {
    return std::visit(overloaded{
                          [](std::monostate) { return std::string("-"); },
                          [](const std::string& s) { return s.empty() ? std::string("-") : s; },
                          [](std::int64_t n) { return std::to_string(n); },
                          [](byte_count b) { return human_size(b.bytes); },
                          [](bool b) { return std::string(b ? "yes" : "no"); },
                          [](const std::vector<std::string>& list) {
                              std::string joined;
                              for (const auto& item : list)
                                  joined += (joined.empty() ? "" : ", ") + item;
                              return joined.empty() ? std::string("-") : joined;
                          },
                          [](masked_secret) { return std::string(mask); },
                      },
                      value);
}

nlohmann::ordered_json to_json(const field_value& value) {
    return std::visit(overloaded{
                          [](std::monostate) { return nlohmann::ordered_json(nullptr); },
                          [](const std::string& s) { return nlohmann::ordered_json(s); },
                          [](std::int64_t n) { return nlohmann::ordered_json(n); },
                          [](byte_count b) { return nlohmann::ordered_json(b.bytes); },
                          [](bool b) { return nlohmann::ordered_json(b); },
                          [](const std::vector<std::string>& list) { return nlohmann::ordered_json(list); },
                          [](masked_secret) { return nlohmann::ordered_json(mask); },
                      },
                      value);
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

class text_printer final : public printer {
public:
    explicit text_printer(std::ostream& out) : out_(out) {}

    void list(std::span<const std::string_view> columns, std::span<const record> records) override {
        if (records.empty())
            return;
        std::vector<std::vector<std::string>> rows;
        rows.emplace_back();
        for (auto column : columns)
            rows.back().push_back(upper(column));
        for (const record& r : records) {
            rows.emplace_back();
            for (auto column : columns) {
                const field_value* value = find_field(r, column);
                rows.back().push_back(value ? to_text(*value) : "-");
            }
        }
        std::vector<std::size_t> widths(columns.size());
        for (const auto& row : rows)
            for (std::size_t c = 0; c < row.size(); ++c)
                widths[c] = std::max(widths[c], row[c].size());
        for (const auto& row : rows) {
            std::string line;
            for (std::size_t c = 0; c < row.size(); ++c) {
                line += row[c];
                if (c + 1 < row.size())
                    line += std::string(widths[c] - row[c].size() + 2, ' ');
            }
            out_ << line << '\n';
        }
    }

    void object(const record& fields) override {
        std::size_t width = 0;
        for (const field& f : fields)
            width = std::max(width, f.name.size());
        for (const field& f : fields) {
            out_ << f.name << std::string(width - f.name.size() + 2, ' ') << to_text(f.value);
            if (!f.default_note.empty())
                out_ << "  (" << f.default_note << ')';
            out_ << '\n';
        }
    }

    void compound(const record& fields, std::span<const part> parts) override {
        object(fields);
        for (const part& p : parts) {
            out_ << '\n' << p.name << ":\n";
            std::ostringstream inner;
            text_printer nested(inner);
            if (p.table)
                nested.list(p.columns, p.rows);
            else
                nested.object(p.fields);
            std::istringstream lines(inner.str());
            std::string line;
            bool any = false;
            while (std::getline(lines, line)) {
                out_ << "  " << line << '\n';
                any = true;
            }
            if (!any)
                out_ << "  -\n";
        }
    }
    void note(std::string_view message) override { out_ << message << '\n'; }

private:
    std::ostream& out_;
};

class json_printer final : public printer {
public:
    explicit json_printer(std::ostream& out) : out_(out) {}

    void list(std::span<const std::string_view> columns, std::span<const record> records) override {
        auto array = nlohmann::ordered_json::array();
        for (const record& r : records) {
            nlohmann::ordered_json object = nlohmann::ordered_json::object();
            for (auto column : columns) {
                const field_value* value = find_field(r, column);
                object[std::string(column)] = value ? to_json(*value) : nullptr;
            }
            array.push_back(std::move(object));
        }
        print(array);
    }

    void object(const record& fields) override {
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        auto defaults = nlohmann::ordered_json::array();
        for (const field& f : fields) {
            object[f.name] = to_json(f.value);
            if (!f.default_note.empty())
                defaults.push_back(f.name);
        }
        object["defaults"] = std::move(defaults);
        print(object);
    }

    void compound(const record& fields, std::span<const part> parts) override {
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        for (const field& f : fields)
            object[f.name] = to_json(f.value);
        for (const part& p : parts) {
            if (p.table) {
                auto array = nlohmann::ordered_json::array();
                for (const record& r : p.rows) {
                    nlohmann::ordered_json row = nlohmann::ordered_json::object();
                    for (auto column : p.columns) {
                        const field_value* value = find_field(r, column);
                        row[std::string(column)] = value ? to_json(*value) : nullptr;
                    }
                    array.push_back(std::move(row));
                }
                object[p.name] = std::move(array);
            } else {
                nlohmann::ordered_json inner = nlohmann::ordered_json::object();
                for (const field& f : p.fields)
                    inner[f.name] = to_json(f.value);
                object[p.name] = std::move(inner);
            }
        }
        print(object);
    }
    void note(std::string_view) override {}

private:
    void print(const nlohmann::ordered_json& value) {
        out_ << value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    }
    std::ostream& out_;
};

} // namespace

std::unique_ptr<printer> make_printer(output_format format, std::ostream& out) {
    if (format == output_format::json)
        return std::make_unique<json_printer>(out);
    return std::make_unique<text_printer>(out);
}

std::string human_size(std::uint64_t bytes) {
    constexpr std::array<std::string_view, 7> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024)
        return std::to_string(bytes) + " B";
    std::size_t unit = 0;
    double value = static_cast<double>(bytes);
    // Round to tenths first, so 1023.96 KiB reads "1 MiB", not "1024 KiB".
    while (unit + 1 < units.size() && std::round(value * 10) / 10 >= 1024) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    double tenths = std::round(value * 10) / 10;
    if (tenths == std::floor(tenths))
        std::snprintf(text, sizeof text, "%.0f %s", tenths, units[unit].data());
    else
        std::snprintf(text, sizeof text, "%.1f %s", tenths, units[unit].data());
    return text;
}

} // namespace iscsictl
