// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/chap.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <optional>

namespace iscsi {
namespace {

class chap_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "iscsi-chap"; }
    std::string message(int ev) const override {
        switch (static_cast<chap_errc>(ev)) {
        case chap_errc::missing_credentials:
            return "CHAP: name or secret not configured";
        case chap_errc::same_secret_both_ways:
            return "CHAP: the target secret must differ from the initiator secret (RFC 7143 section 12.1.3)";
        case chap_errc::invalid_configuration:
            return "CHAP: invalid configuration (algorithm list or challenge length)";
        case chap_errc::out_of_order:
            return "CHAP: exchange step out of order";
        case chap_errc::missing_key:
            return "CHAP: target did not send a required CHAP key";
        case chap_errc::duplicate_key:
            return "CHAP: target sent a CHAP key twice";
        case chap_errc::algorithm_refused:
            return "CHAP: target accepts none of the offered algorithms";
        case chap_errc::algorithm_not_offered:
            return "CHAP: target chose an algorithm we did not offer";
        case chap_errc::bad_identifier:
            return "CHAP: CHAP_I is not a number from 0 to 255";
        case chap_errc::malformed_value:
            return "CHAP: malformed value";
        case chap_errc::value_too_long:
            return "CHAP: binary value longer than 1024 bytes";
        case chap_errc::challenge_too_short:
            return "CHAP: target challenge is too short";
        case chap_errc::challenge_reflected:
            return "CHAP: target sent our own challenge back (reflection)";
        case chap_errc::target_name_mismatch:
            return "mutual CHAP: target answered with an unexpected name";
        case chap_errc::target_response_mismatch:
            return "mutual CHAP: target failed to prove it knows its secret";
        case chap_errc::crypto_failure:
            return "CHAP: cryptographic operation failed";
        }
        return "CHAP failed";
    }
};

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::error_code chap_error(chap_errc e) {
    return make_error_code(e);
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int base64_value(char c) noexcept {
    auto pos = base64_alphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

result<std::vector<std::byte>> decode_hex(std::string_view digits, std::size_t max_length) {
    if (digits.empty())
        return chap_error(chap_errc::malformed_value);
    if ((digits.size() + 1) / 2 > max_length)
        return chap_error(chap_errc::value_too_long);
    std::vector<std::byte> out;
    out.reserve((digits.size() + 1) / 2);
    // An odd count has an implied leading zero digit (RFC 7143 section 6.1).
    std::size_t i = 0;
    if (digits.size() % 2 != 0) {
        int v = hex_value(digits[0]);
        if (v < 0)
            return chap_error(chap_errc::malformed_value);
        out.push_back(static_cast<std::byte>(v));
        i = 1;
    }
    for (; i < digits.size(); i += 2) {
        int hi = hex_value(digits[i]);
        int lo = hex_value(digits[i + 1]);
        if (hi < 0 || lo < 0)
            return chap_error(chap_errc::malformed_value);
        out.push_back(static_cast<std::byte>(hi << 4 | lo));
    }
    return out;
}

result<std::vector<std::byte>> decode_base64(std::string_view text, std::size_t max_length) {
    if (text.empty() || text.size() % 4 != 0)
        return chap_error(chap_errc::malformed_value);
    std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    if (text.size() / 4 * 3 - padding > max_length)
        return chap_error(chap_errc::value_too_long);
    std::vector<std::byte> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        std::size_t pad_here = last ? padding : 0;
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            int v = j >= 4 - pad_here ? 0 : base64_value(text[i + j]);
            if (v < 0)
                return chap_error(chap_errc::malformed_value);
            group = group << 6 | static_cast<std::uint32_t>(v);
        }
        for (std::size_t j = 0; j < 3 - pad_here; ++j)
            out.push_back(static_cast<std::byte>(group >> (16 - 8 * j)));
    }
    return out;
}

// Decimal or 0x-hex number in 0..max (RFC 7143 section 6.1 numerical values).
std::optional<unsigned> parse_number(std::string_view text, unsigned max) {
    unsigned base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty())
        return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        int digit = base == 16 ? hex_value(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
        if (digit < 0)
            return std::nullopt;
        value = value * base + static_cast<unsigned>(digit);
        if (value > max)
            return std::nullopt;
    }
    return value;
}

const EVP_MD* digest_of(chap_algorithm algorithm) noexcept {
    switch (algorithm) {
    case chap_algorithm::md5:
        return EVP_md5();
    case chap_algorithm::sha1:
        return EVP_sha1();
    case chap_algorithm::sha256:
        return EVP_sha256();
    case chap_algorithm::sha3_256:
        return EVP_sha3_256();
    }
    return nullptr;
}

bool known_algorithm(chap_algorithm algorithm) noexcept {
    return digest_of(algorithm) != nullptr;
}

std::vector<std::byte> random_bytes(std::size_t n) {
    std::vector<std::byte> out(n);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) // NOLINT
        out.clear();
    return out;
}

// Finds each of `keys` exactly once in `pairs`; missing or repeated keys are refused.
template <std::size_t N>
result<std::array<std::string_view, N>> find_keys(std::span<const text_pair> pairs,
                                                  const std::array<std::string_view, N>& keys) {
    std::array<std::string_view, N> values{};
    std::array<bool, N> seen{};
    for (const auto& p : pairs) {
        for (std::size_t i = 0; i < N; ++i) {
            if (p.key != keys[i])
                continue;
            if (seen[i])
                return chap_error(chap_errc::duplicate_key);
            seen[i] = true;
            values[i] = p.value;
        }
    }
    if (!std::all_of(seen.begin(), seen.end(), [](bool s) { return s; }))
        return chap_error(chap_errc::missing_key);
    return values;
}

bool is_refusal(std::string_view value) noexcept {
    return value == "Reject" || value == "None" || value == "NotUnderstood" || value == "Irrelevant";
}

} // namespace

const std::error_category& chap_category() noexcept {
    static const chap_category_impl cat;
    return cat;
}

std::size_t digest_length(chap_algorithm algorithm) noexcept {
    const EVP_MD* md = digest_of(algorithm);
    return md ? static_cast<std::size_t>(EVP_MD_get_size(md)) : 0;
}

std::string encode_binary(std::span<const std::byte> data, binary_encoding encoding) {
    std::string out;
    if (encoding == binary_encoding::hex) {
        out.reserve(2 + data.size() * 2);
        out = "0x";
        for (std::byte b : data) {
            out += hex_digits[std::to_integer<unsigned>(b) >> 4];
            out += hex_digits[std::to_integer<unsigned>(b) & 0xf];
        }
        return out;
    }
    out.reserve(2 + (data.size() + 2) / 3 * 4);
    out = "0b";
    for (std::size_t i = 0; i < data.size(); i += 3) {
        std::size_t n = std::min<std::size_t>(3, data.size() - i);
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 3; ++j)
            group = group << 8 | (j < n ? std::to_integer<std::uint32_t>(data[i + j]) : 0);
        for (std::size_t j = 0; j < 4; ++j)
            out += j <= n ? base64_alphabet[(group >> (18 - 6 * j)) & 0x3f] : '=';
    }
    return out;
}

result<std::vector<std::byte>> decode_binary(std::string_view text, std::size_t max_length) {
    if (text.size() < 2 || text[0] != '0')
        return chap_error(chap_errc::malformed_value);
    std::string_view body = text.substr(2);
    switch (text[1]) {
    case 'x':
    case 'X':
        return decode_hex(body, max_length);
    case 'b':
    case 'B':
        return decode_base64(body, max_length);
    default:
        return chap_error(chap_errc::malformed_value);
    }
}

result<std::vector<std::byte>> chap_response(chap_algorithm algorithm, std::uint8_t identifier,
                                             std::span<const std::byte> secret,
                                             std::span<const std::byte> challenge) {
    const EVP_MD* md = digest_of(algorithm);
    // EVP_MD_CTX_free() cleanses the digest state, which holds secret bytes.
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::vector<std::byte> out(digest_length(algorithm));
    auto* out_bytes = reinterpret_cast<unsigned char*>(out.data()); // NOLINT
    unsigned int out_length = 0;
    if (!md || !ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), &identifier, 1) != 1 ||
        EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), challenge.data(), challenge.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out_bytes, &out_length) != 1 || out_length != out.size())
        return chap_error(chap_errc::crypto_failure);
    return out;
}

namespace detail {

secret_bytes::secret_bytes(std::string_view text) {
    bytes_.reserve(text.size()); // one allocation: push_back never moves the secret
    for (char c : text)
        bytes_.push_back(static_cast<std::byte>(c));
}

secret_bytes& secret_bytes::operator=(secret_bytes&& other) noexcept {
    wipe();
    bytes_ = std::move(other.bytes_);
    return *this;
}

secret_bytes::~secret_bytes() {
    wipe();
}

bool secret_bytes::operator==(const secret_bytes& other) const noexcept {
    return bytes_.size() == other.bytes_.size() &&
           CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

void secret_bytes::wipe() noexcept {
    if (!bytes_.empty())
        OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

} // namespace detail

result<chap_initiator> chap_initiator::create(const chap_config& config) {
    if (config.name.empty() || config.secret.empty())
        return chap_error(chap_errc::missing_credentials);
    // Half a mutual configuration must not silently become one-way CHAP.
    if (config.target_secret.empty() != config.target_name.empty())
        return chap_error(chap_errc::missing_credentials);
    const auto& algs = config.algorithms;
    bool algorithms_ok = !algs.empty() && std::all_of(algs.begin(), algs.end(), known_algorithm);
    for (std::size_t i = 0; algorithms_ok && i < algs.size(); ++i)
        algorithms_ok =
            std::find(algs.begin() + static_cast<std::ptrdiff_t>(i) + 1, algs.end(), algs[i]) == algs.end();
    if (!algorithms_ok || config.challenge_length == 0 || config.challenge_length > max_chap_binary_length ||
        config.min_target_challenge > max_chap_binary_length)
        return chap_error(chap_errc::invalid_configuration);

    chap_initiator chap;
    chap.name_ = config.name;
    chap.target_name_ = config.target_name;
    chap.secret_ = detail::secret_bytes(config.secret);
    chap.target_secret_ = detail::secret_bytes(config.target_secret);
    if (chap.mutual() && chap.secret_ == chap.target_secret_)
        return chap_error(chap_errc::same_secret_both_ways);
    chap.algorithms_ = algs;
    chap.encoding_ = config.encoding;
    chap.min_target_challenge_ = config.min_target_challenge;
    if (chap.mutual()) {
        auto identifier = random_bytes(1);
        chap.challenge_ = random_bytes(config.challenge_length);
        if (identifier.empty() || chap.challenge_.empty())
            return chap_error(chap_errc::crypto_failure);
        chap.identifier_ = std::to_integer<std::uint8_t>(identifier[0]);
    }
    return chap;
}

text_pair chap_initiator::offer() const {
    std::string list;
    for (chap_algorithm a : algorithms_) {
        if (!list.empty())
            list += ',';
        list += std::to_string(static_cast<unsigned>(a));
    }
    return {"CHAP_A", list};
}

std::error_code chap_initiator::fail(std::error_code ec) {
    step_ = step::failed;
    return ec;
}

result<std::vector<text_pair>> chap_initiator::respond(std::span<const text_pair> target_keys) {
    if (step_ != step::awaiting_challenge)
        return fail(chap_errc::out_of_order);
    auto found = find_keys<3>(target_keys, {"CHAP_A", "CHAP_I", "CHAP_C"});
    if (!found)
        return fail(found.error());
    auto [algorithm_text, identifier_text, challenge_text] = *found;

    if (is_refusal(algorithm_text))
        return fail(chap_errc::algorithm_refused);
    auto algorithm_number = parse_number(algorithm_text, 255);
    if (!algorithm_number)
        return fail(chap_errc::malformed_value);
    auto algorithm = static_cast<chap_algorithm>(*algorithm_number);
    if (std::find(algorithms_.begin(), algorithms_.end(), algorithm) == algorithms_.end())
        return fail(chap_errc::algorithm_not_offered);

    auto identifier = parse_number(identifier_text, 255);
    if (!identifier)
        return fail(chap_errc::bad_identifier);

    auto challenge = decode_binary(challenge_text);
    if (!challenge)
        return fail(challenge.error());
    if (challenge->size() < min_target_challenge_)
        return fail(chap_errc::challenge_too_short);
    if (mutual() && *challenge == challenge_)
        return fail(chap_errc::challenge_reflected);

    auto response =
        chap_response(algorithm, static_cast<std::uint8_t>(*identifier), secret_.bytes(), *challenge);
    if (!response)
        return fail(chap_errc::crypto_failure);

    chosen_ = algorithm;
    std::vector<text_pair> out{{"CHAP_N", name_}, {"CHAP_R", encode_binary(*response, encoding_)}};
    if (mutual()) {
        out.push_back({"CHAP_I", std::to_string(identifier_)});
        out.push_back({"CHAP_C", encode_binary(challenge_, encoding_)});
        step_ = step::awaiting_target_response;
    } else {
        step_ = step::done;
    }
    return out;
}

std::error_code chap_initiator::verify(std::span<const text_pair> target_keys) {
    if (step_ != step::awaiting_target_response)
        return fail(chap_errc::out_of_order);
    auto found = find_keys<2>(target_keys, {"CHAP_N", "CHAP_R"});
    if (!found)
        return fail(found.error());
    auto [name, response_text] = *found;
    if (name != target_name_)
        return fail(chap_errc::target_name_mismatch);
    auto response = decode_binary(response_text);
    if (!response)
        return fail(response.error());
    auto expected = chap_response(chosen_, identifier_, target_secret_.bytes(), challenge_);
    if (!expected)
        return fail(chap_errc::crypto_failure);
    if (response->size() != expected->size() ||
        CRYPTO_memcmp(response->data(), expected->data(), expected->size()) != 0)
        return fail(chap_errc::target_response_mismatch);
    step_ = step::done;
    return {};
}

} // namespace iscsi
