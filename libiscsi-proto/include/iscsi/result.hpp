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

// A value or an error of type E: the shape shared by result<T> below, the engine's outcome<T> and
// iscsictl's outcome<T>, which differ only in their error type. Small on purpose: C++20 has no
// std::expected.
template <class T, class E>
class [[nodiscard]] value_or {
public:
    value_or(T value) : v_(std::move(value)) {} // NOLINT(google-explicit-constructor)
    value_or(E error) : v_(std::move(error)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

protected:
    [[nodiscard]] const E& stored_error() const {
        assert(!has_value());
        return std::get<1>(v_);
    }

private:
    std::variant<T, E> v_;
};

// A value or a std::error_code.
template <class T>
class [[nodiscard]] result : public value_or<T, std::error_code> {
public:
    result(T value) : value_or<T, std::error_code>(std::move(value)) {} // NOLINT(google-explicit-constructor)
    result(std::error_code ec) : value_or<T, std::error_code>(ec) {
        assert(ec);
    } // NOLINT(google-explicit-constructor)
    result(errc e)
        : value_or<T, std::error_code>(make_error_code(e)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] std::error_code error() const noexcept {
        return this->has_value() ? std::error_code{} : this->stored_error();
    }
};

} // namespace iscsi

template <>
struct std::is_error_code_enum<iscsi::errc> : std::true_type {};
