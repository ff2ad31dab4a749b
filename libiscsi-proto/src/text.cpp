// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/text.hpp"

#include <algorithm>

namespace iscsi {

bool valid_key_name(std::string_view key) noexcept {
    if (key.empty() || key.size() > max_key_length)
        return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '-' || c == '+' || c == '@' || c == '_' ||
               c == '#'; // X#NodeArchitecture and other registered public extension keys (RFC 7143 13.26)
    });
}

result<std::vector<text_pair>> parse_text(std::span<const std::byte> data) {
    std::vector<text_pair> pairs;
    std::string_view rest(reinterpret_cast<const char*>(data.data()), data.size()); // NOLINT
    while (!rest.empty()) {
        auto end = rest.find('\0');
        std::string_view pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos)
            return errc::bad_format;
        std::string_view key = pair.substr(0, eq);
        std::string_view value = pair.substr(eq + 1);
        if (!valid_key_name(key) || value.size() > max_text_value_length)
            return errc::bad_format;
        pairs.push_back({std::string(key), std::string(value)});
    }
    return pairs;
}

void append_text(std::vector<std::byte>& out, std::string_view key, std::string_view value) {
    auto put = [&out](std::string_view s) {
        for (char c : s)
            out.push_back(static_cast<std::byte>(c));
    };
    put(key);
    out.push_back(std::byte{'='});
    put(value);
    out.push_back(std::byte{0});
}

std::vector<std::byte> encode_text(std::span<const text_pair> pairs) {
    std::vector<std::byte> out;
    for (const auto& p : pairs)
        append_text(out, p.key, p.value);
    return out;
}

} // namespace iscsi
