// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the two-step PDU parser. The first input byte picks the receiver's settings (digests, which
// side sends, data segment limit); the rest is what arrived on the socket. Any input is parsed or
// refused with an error; what parses re-serialises, under every digest setting, to bytes that parse
// to the same PDU, and its typed view re-encodes to the same view.
#include "iscsi/pdu.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

iscsi::receive_limits limits_from(std::uint8_t settings) {
    static constexpr std::array<std::uint32_t, 4> data_limits{512, iscsi::default_max_data_segment_length,
                                                              262144, iscsi::max_data_segment_size};
    return {.sender = (settings & 0x04) != 0 ? iscsi::role::initiator : iscsi::role::target,
            .max_data_segment_length = data_limits[(settings >> 3) & 0x03],
            .digests = {.header = (settings & 0x01) != 0, .data = (settings & 0x02) != 0}};
}

void check_two_steps_agree(std::span<const std::byte> input, const iscsi::receive_limits& limits,
                           const iscsi::result<iscsi::parsed_pdu>& parsed) {
    if (input.size() < iscsi::bhs_size) {
        check(parsed.error() == iscsi::errc::truncated);
        return;
    }
    const auto rest_size = iscsi::remaining_length(input.first<iscsi::bhs_size>(), limits);
    if (!rest_size) {
        check(parsed.error() == rest_size.error());
        return;
    }
    check(*rest_size <= iscsi::max_ahs_size + 2 * iscsi::digest_size + limits.max_data_segment_length + 3);
    if (input.size() - iscsi::bhs_size < *rest_size)
        check(parsed.error() == iscsi::errc::truncated);
    else if (parsed)
        check(parsed->size == iscsi::bhs_size + *rest_size);
}

void check_round_trips(const iscsi::pdu& p, iscsi::receive_limits limits) {
    for (const bool header : {false, true}) {
        for (const bool data : {false, true}) {
            limits.digests = {.header = header, .data = data};
            const auto out = iscsi::serialize(p, limits.digests);
            check(out.has_value());
            const auto again = iscsi::parse_next_pdu(*out, limits);
            check(again && again->size == out->size() && again->value == p);
        }
    }
}

void check_typed_view(const iscsi::pdu& p) {
    const auto typed = iscsi::decode(p);
    if (!typed)
        return;
    const iscsi::pdu encoded = iscsi::encode(*typed);
    check(iscsi::serialize(encoded, {}).has_value());
    const auto again = iscsi::decode(encoded);
    check(again && *again == *typed);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const auto limits = limits_from(data[0]);
    const auto input = std::as_bytes(std::span(data + 1, size - 1));
    const auto parsed = iscsi::parse_next_pdu(input, limits);
    check_two_steps_agree(input, limits, parsed);
    if (!parsed)
        return 0;
    check_round_trips(parsed->value, limits);
    check_typed_view(parsed->value);
    return 0;
}
