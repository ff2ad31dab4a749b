// SPDX-License-Identifier: GPL-2.0-or-later
// CHAP for the iSCSI security stage (RFC 7143 section 12.1.3, RFC 1994), initiator side, one-way
// and mutual. The exchange object does no I/O: it turns the target's CHAP keys into ours.
//
//   initiator -> target   CHAP_A=8,7,6,5                          offer()
//   target -> initiator   CHAP_A=A CHAP_I=I CHAP_C=C
//   initiator -> target   CHAP_N=N CHAP_R=R [CHAP_I=I' CHAP_C=C']  respond()
//   target -> initiator   [CHAP_N=N' CHAP_R=R']                    verify() (mutual only)
//
// R = H(I || secret || C) with H the algorithm chosen by the target. Binary values (C, R) travel as
// hex "0x..." or base64 "0b..." (RFC 7143 section 6.1); both are accepted, we send the configured one.
#pragma once

#include "iscsi/result.hpp"
#include "iscsi/text.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace iscsi {

// CHAP_A values from the IANA "PPP Authentication Algorithms" registry.
enum class chap_algorithm : std::uint8_t { md5 = 5, sha1 = 6, sha256 = 7, sha3_256 = 8 };

inline constexpr std::size_t max_chap_binary_length = 1024; // RFC 7143: CHAP_C and CHAP_R, decoded
// Length of the challenges we send, and the shortest we accept: 128 random bits, as LIO sends.
inline constexpr std::size_t default_chap_challenge_length = 16;

// Digest length in bytes: 16 for MD5, 20 for SHA-1, 32 for SHA-256 and SHA3-256.
std::size_t digest_length(chap_algorithm algorithm) noexcept;

enum class binary_encoding { hex, base64 };

// "0x" + lower-case hex, or "0b" + padded base64.
std::string encode_binary(std::span<const std::byte> data, binary_encoding encoding);

// Decodes a binary-value: "0x"/"0X" + hex digits (an odd count has an implied leading zero) or
// "0b"/"0B" + padded base64. Fails with chap_errc::malformed_value, or value_too_long when the
// decoded value would be longer than `max_length`.
result<std::vector<std::byte>> decode_binary(std::string_view text,
                                             std::size_t max_length = max_chap_binary_length);

// H(identifier || secret || challenge). Fails only if OpenSSL cannot compute the digest.
result<std::vector<std::byte>> chap_response(chap_algorithm algorithm, std::uint8_t identifier,
                                             std::span<const std::byte> secret,
                                             std::span<const std::byte> challenge);

// Why CHAP failed. The messages never contain a secret or any value received from the target.
enum class chap_errc {
    missing_credentials = 1,
    same_secret_both_ways,
    invalid_configuration,
    out_of_order,
    missing_key,
    duplicate_key,
    algorithm_refused,
    algorithm_not_offered,
    bad_identifier,
    malformed_value,
    value_too_long,
    challenge_too_short,
    challenge_reflected,
    target_name_mismatch,
    target_response_mismatch,
    crypto_failure,
};

const std::error_category& chap_category() noexcept;

inline std::error_code make_error_code(chap_errc e) noexcept {
    return {static_cast<int>(e), chap_category()};
}

struct chap_config {
    std::string_view name;   // CHAP_N we answer with
    std::string_view secret; // proves us to the target
    // Mutual CHAP when both are set (setting only one is refused): the target must answer with
    // CHAP_N equal to target_name and prove it knows target_secret, which must differ from `secret`.
    std::string_view target_name;
    std::string_view target_secret;
    // Offered in this order of preference; the target picks one.
    std::vector<chap_algorithm> algorithms{chap_algorithm::sha3_256, chap_algorithm::sha256,
                                           chap_algorithm::sha1, chap_algorithm::md5};
    binary_encoding encoding = binary_encoding::hex;
    std::size_t challenge_length = default_chap_challenge_length;     // of our mutual challenge
    std::size_t min_target_challenge = default_chap_challenge_length; // shorter target challenges are refused
};

namespace detail {

// Bytes overwritten with OPENSSL_cleanse before their memory is released. Moving hands the buffer
// over without copying it, so no second copy of a secret is ever left behind.
class secret_bytes {
public:
    secret_bytes() = default;
    explicit secret_bytes(std::string_view text);
    secret_bytes(secret_bytes&& other) noexcept = default;
    secret_bytes& operator=(secret_bytes&& other) noexcept;
    secret_bytes(const secret_bytes&) = delete;
    secret_bytes& operator=(const secret_bytes&) = delete;
    ~secret_bytes();

    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }
    [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
    bool operator==(const secret_bytes& other) const noexcept;

private:
    void wipe() noexcept;
    std::vector<std::byte> bytes_;
};

} // namespace detail

// One CHAP exchange of one login. Any refusal is final: later calls fail with out_of_order.
class chap_initiator {
public:
    // Copies the secrets (the caller wipes its own copies) and, for mutual CHAP, draws our
    // identifier and challenge from RAND_bytes.
    static result<chap_initiator> create(const chap_config& config);

    // CHAP_A with the configured algorithms.
    [[nodiscard]] text_pair offer() const;

    // Takes the target's CHAP_A, CHAP_I and CHAP_C (other keys are ignored) and returns CHAP_N and
    // CHAP_R, plus our CHAP_I and CHAP_C for mutual CHAP.
    result<std::vector<text_pair>> respond(std::span<const text_pair> target_keys);

    // Mutual CHAP: checks the target's CHAP_N and CHAP_R (constant-time comparison).
    std::error_code verify(std::span<const text_pair> target_keys);

    [[nodiscard]] bool mutual() const noexcept { return !target_secret_.empty(); }
    // True once the exchange has succeeded: after respond() one-way, after verify() mutual.
    [[nodiscard]] bool complete() const noexcept { return step_ == step::done; }
    // Our mutual challenge (empty for one-way CHAP), drawn at creation. A target challenge equal to
    // it is refused as a reflection; a caller running several logins can also check other targets'
    // challenges against it.
    [[nodiscard]] std::span<const std::byte> challenge() const noexcept { return challenge_; }

private:
    enum class step { awaiting_challenge, awaiting_target_response, done, failed };
    chap_initiator() = default;
    std::error_code fail(std::error_code ec);

    std::string name_;
    std::string target_name_;
    detail::secret_bytes secret_;
    detail::secret_bytes target_secret_;
    std::vector<chap_algorithm> algorithms_;
    binary_encoding encoding_ = binary_encoding::hex;
    std::size_t min_target_challenge_ = default_chap_challenge_length;
    chap_algorithm chosen_ = chap_algorithm::md5;
    std::uint8_t identifier_ = 0;
    std::vector<std::byte> challenge_;
    step step_ = step::awaiting_challenge;
};

} // namespace iscsi

template <>
struct std::is_error_code_enum<iscsi::chap_errc> : std::true_type {};
