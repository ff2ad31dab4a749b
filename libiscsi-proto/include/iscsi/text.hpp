// SPDX-License-Identifier: GPL-2.0-or-later
// iSCSI text format (RFC 7143 section 6.1): "key=value" pairs, each followed by one NUL byte, as
// carried in the data segment of Login and Text PDUs. Only the syntax lives here; what keys mean and
// how values are negotiated is in negotiation.hpp.
#pragma once

#include "iscsi/result.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iscsi {

inline constexpr std::size_t max_key_length = 63;          // RFC 7143 section 6.1, standard-label
inline constexpr std::size_t max_text_value_length = 8192; // longest value any key allows (binary CHAP)

struct text_pair {
    std::string key;
    std::string value;
    bool operator==(const text_pair&) const = default;
};

// True when `key` is a syntactically valid key name: 1..63 characters of [A-Za-z0-9.+@_#-]
// ('#' for the X# public extension keys).
bool valid_key_name(std::string_view key) noexcept;

// Splits a complete text (all continued PDUs already joined) into pairs, in order, duplicates kept.
// Fails with errc::bad_format on a pair without '=', an invalid key name, a value longer than
// max_text_value_length, or an empty pair (two NULs in a row). A missing NUL after the last pair
// is accepted (robustness towards old targets); padding must have been removed by the caller.
result<std::vector<text_pair>> parse_text(std::span<const std::byte> data);

// Appends "key=value\0".
void append_text(std::vector<std::byte>& out, std::string_view key, std::string_view value);

// Encodes all pairs.
std::vector<std::byte> encode_text(std::span<const text_pair> pairs);

} // namespace iscsi
