// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/names.hpp"

#include <algorithm>
#include <array>
#include <openssl/rand.h>

namespace iscsi {
namespace {

class name_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "iscsi-name"; }
    std::string message(int ev) const override {
        switch (static_cast<name_errc>(ev)) {
        case name_errc::empty:
            return "iSCSI name is empty";
        case name_errc::too_long:
            return "iSCSI name is longer than 223 bytes";
        case name_errc::non_ascii:
            return "iSCSI names with non-ASCII characters are not supported";
        case name_errc::bad_character:
            return "iSCSI name may contain only letters, digits, '-', '.' and ':'";
        case name_errc::unknown_type:
            return "iSCSI name must start with iqn., eui. or naa.";
        case name_errc::iqn_missing_date:
            return "iqn: missing date (iqn.yyyy-mm.reversed.domain)";
        case name_errc::iqn_bad_date:
            return "iqn: date must be yyyy-mm with a month from 01 to 12";
        case name_errc::iqn_missing_authority:
            return "iqn: missing reversed domain name after the date";
        case name_errc::iqn_bad_authority:
            return "iqn: reversed domain name has an empty label";
        case name_errc::iqn_empty_unique_part:
            return "iqn: nothing follows the ':'";
        case name_errc::eui_bad_identifier:
            return "eui: must be followed by exactly 16 hex digits";
        case name_errc::naa_bad_identifier:
            return "naa: must be followed by 16 or 32 hex digits";
        case name_errc::no_random:
            return "random number generator failed";
        }
        return "invalid iSCSI name";
    }
};

bool is_hex(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_digits(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 3722 maps upper to lower case and prohibits every ASCII character but these.
bool allowed_after_mapping(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
}

// `rest` is what follows "iqn.": yyyy-mm.reversed.domain[:anything].
std::error_code check_iqn(std::string_view rest) {
    if (rest.empty() || !is_digits(rest.substr(0, 1)))
        return name_errc::iqn_missing_date;
    std::string_view date = rest.substr(0, 7);
    if (date.size() != 7 || date[4] != '-' || !is_digits(date.substr(0, 4)) || !is_digits(date.substr(5)))
        return name_errc::iqn_bad_date;
    int month = (date[5] - '0') * 10 + (date[6] - '0');
    if (month < 1 || month > 12)
        return name_errc::iqn_bad_date;
    rest.remove_prefix(7);
    if (rest.empty() || rest[0] == ':')
        return name_errc::iqn_missing_authority;
    if (rest[0] != '.')
        return name_errc::iqn_bad_date;
    rest.remove_prefix(1);
    auto colon = rest.find(':');
    std::string_view authority = rest.substr(0, colon);
    if (authority.empty())
        return name_errc::iqn_missing_authority;
    if (authority.front() == '.' || authority.back() == '.' || authority.find("..") != std::string_view::npos)
        return name_errc::iqn_bad_authority;
    if (colon != std::string_view::npos && colon + 1 == rest.size())
        return name_errc::iqn_empty_unique_part;
    return {};
}

} // namespace

const std::error_category& name_category() noexcept {
    static const name_category_impl cat;
    return cat;
}

result<iscsi_name> parse_name(std::string_view text) {
    if (text.empty())
        return make_error_code(name_errc::empty);
    if (text.size() > max_name_length)
        return make_error_code(name_errc::too_long);
    std::string normal(text);
    for (char& c : normal) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return make_error_code(name_errc::non_ascii);
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    // The type is checked before the characters so that "foo bar" is reported as lacking a type.
    std::string_view type = std::string_view(normal).substr(0, 4);
    std::string_view rest = std::string_view(normal).substr(type.size());
    name_type kind{};
    if (type == "iqn.")
        kind = name_type::iqn;
    else if (type == "eui.")
        kind = name_type::eui;
    else if (type == "naa.")
        kind = name_type::naa;
    else
        return make_error_code(name_errc::unknown_type);
    if (!std::all_of(normal.begin(), normal.end(), allowed_after_mapping))
        return make_error_code(name_errc::bad_character);

    switch (kind) {
    case name_type::iqn:
        if (auto ec = check_iqn(rest))
            return ec;
        break;
    case name_type::eui:
        if (rest.size() != 16 || !is_hex(rest))
            return make_error_code(name_errc::eui_bad_identifier);
        break;
    case name_type::naa:
        if ((rest.size() != 16 && rest.size() != 32) || !is_hex(rest))
            return make_error_code(name_errc::naa_bad_identifier);
        break;
    }
    return iscsi_name(kind, std::move(normal));
}

result<iscsi_name> generate_initiator_name(std::string_view prefix) {
    std::array<unsigned char, 6> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
        return make_error_code(name_errc::no_random);
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string name(prefix);
    name += ':';
    for (unsigned char b : random) {
        name += digits[b >> 4];
        name += digits[b & 0xf];
    }
    return parse_name(name);
}

} // namespace iscsi
