// SPDX-License-Identifier: GPL-2.0-or-later
// iSCSI node names (RFC 7143 section 4.2.7, RFC 3980 for naa., RFC 3722 for normalisation):
// validation, normalisation to the one form two names are compared in, and generation of an
// initiator name for a host that has none.
//
// Normalisation follows the RFC 3722 stringprep profile for the ASCII repertoire: upper case is
// mapped to lower case everywhere, including the type prefix and the hex digits of eui. and naa.
// names (the RFC examples print them in upper case, but the profile maps the whole name), and every
// ASCII character other than letters, digits, '-', '.' and ':' is refused. Names with non-ASCII
// characters are refused as unsupported: their normalisation needs Unicode NFKC and case-folding
// tables this library does not carry.
#pragma once

#include "iscsi/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace iscsi {

inline constexpr std::size_t max_name_length = 223; // bytes, RFC 7143 section 4.2.7.1

// Why a name was refused; error_code::message() gives the sentence for the user.
enum class name_errc {
    empty = 1,
    too_long,
    non_ascii,
    bad_character,
    unknown_type,
    iqn_missing_date,
    iqn_bad_date,
    iqn_missing_authority,
    iqn_bad_authority,
    iqn_empty_unique_part,
    eui_bad_identifier,
    naa_bad_identifier,
    no_random, // generate_initiator_name() only: the random number generator failed
};

const std::error_category& name_category() noexcept;

inline std::error_code make_error_code(name_errc e) noexcept {
    return {static_cast<int>(e), name_category()};
}

enum class name_type { iqn, eui, naa };

// A valid iSCSI name in normal form. Two names denote the same node exactly when they compare equal.
class iscsi_name {
public:
    [[nodiscard]] name_type type() const noexcept { return type_; }
    [[nodiscard]] const std::string& str() const noexcept { return text_; }
    bool operator==(const iscsi_name&) const = default;

private:
    iscsi_name(name_type type, std::string text) : type_(type), text_(std::move(text)) {}
    friend result<iscsi_name> parse_name(std::string_view text);

    name_type type_;
    std::string text_;
};

// Validates `text` as an iqn., eui. or naa. name and returns it normalised (lower case).
result<iscsi_name> parse_name(std::string_view text);

// The naming authority open-iscsi's iscsi-iname uses, so a name we write into the shared
// /etc/iscsi/initiatorname.iscsi looks like one open-iscsi would have written.
inline constexpr std::string_view default_initiator_name_prefix = "iqn.2016-04.com.open-iscsi";

// A fresh initiator name: `prefix` + ':' + 12 random hex digits (48 bits from RAND_bytes), the
// format of open-iscsi's iscsi-iname. Fails if the prefix does not make a valid name or the random
// number generator fails.
result<iscsi_name> generate_initiator_name(std::string_view prefix = default_initiator_name_prefix);

} // namespace iscsi

template <>
struct std::is_error_code_enum<iscsi::name_errc> : std::true_type {};
