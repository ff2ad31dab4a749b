// SPDX-License-Identifier: GPL-2.0-or-later
// Errors of the protocol library: one std::error_category, and result<T> for functions that either
// produce a value or fail. Nothing in the library throws across its API.
#pragma once

#include <cassert>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace iscsi {

enum class errc {
    truncated = 1,      // input ends before a length it announced
    bad_length,         // a length field is out of its allowed range
    bad_opcode,         // opcode unknown or not valid in this direction
    bad_digest,         // header or data digest mismatch
    bad_format,         // a field or text value violates the specification
    protocol_violation, // a valid PDU at the wrong time or with inconsistent fields
    negotiation_failed, // key negotiation cannot produce an acceptable value
    authentication_failed,
    login_rejected, // the target refused the login (status class 2 or 3)
    target_moved,   // redirect (status class 1)
    timed_out,
    unsupported, // valid per the RFC but not implemented by this initiator
};

const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

// A value or an error. Small on purpose: C++20 has no std::expected.
template <class T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
    result(std::error_code ec) : v_(ec) { assert(ec); } // NOLINT(google-explicit-constructor)
    result(errc e) : v_(make_error_code(e)) {}          // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    [[nodiscard]] std::error_code error() const noexcept {
        return has_value() ? std::error_code{} : std::get<1>(v_);
    }

private:
    std::variant<T, std::error_code> v_;
};

} // namespace iscsi

template <>
struct std::is_error_code_enum<iscsi::errc> : std::true_type {};
