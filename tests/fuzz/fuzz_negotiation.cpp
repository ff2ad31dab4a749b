// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the negotiator with arbitrary target responses after a default offer. The first byte
// picks the session type and whether a response goes to the security stage; the rest is split at
// each 0xff byte into responses, each parsed with parse_text. Whatever the negotiator accepts must
// give parameters within the RFC 7143 ranges.
#include "iscsi/negotiation.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

void require(bool ok) {
    if (!ok)
        std::abort();
}

void check_ranges(const iscsi::negotiated_parameters& p) {
    constexpr std::uint32_t max_24bit = (1U << 24) - 1;
    const auto& s = p.session;
    const auto& c = p.connection;
    require(s.max_connections >= 1 && s.max_connections <= 65535);
    require(s.max_burst_length >= 512 && s.max_burst_length <= max_24bit);
    require(s.first_burst_length >= 512 && s.first_burst_length <= max_24bit);
    require(s.type == iscsi::session_type::discovery || s.first_burst_length <= s.max_burst_length);
    require(s.default_time2wait <= 3600 && s.default_time2retain <= 3600);
    require(s.max_outstanding_r2t >= 1 && s.max_outstanding_r2t <= 65535);
    require(s.error_recovery_level <= 2 && s.iscsi_protocol_level <= 31);
    require(c.max_recv_data_segment_length >= 512 && c.max_recv_data_segment_length <= max_24bit);
    require(c.max_send_data_segment_length >= 512 && c.max_send_data_segment_length <= max_24bit);
    // Our defaults offer ErrorRecoveryLevel 0, one connection, DefaultTime2Retain 0: the outcome
    // of a minimum is that, or the RFC default when the target answered Reject.
    require(s.error_recovery_level == 0 && s.max_connections == 1);
    require(s.default_time2retain == 0 || s.default_time2retain == 20);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::uint8_t mode = data[0];
    iscsi::session_identity who{.initiator_name = "iqn.2026-11.org.example:fuzz",
                                .initiator_alias = "",
                                .target_name = "iqn.2026-11.org.example:target",
                                .type = (mode & 1) ? iscsi::session_type::discovery
                                                   : iscsi::session_type::normal};
    iscsi::initiator_preferences prefs;
    if (mode & 2)
        prefs.auth_methods = {iscsi::auth_method::chap, iscsi::auth_method::none};
    iscsi::negotiator n(prefs, who);
    if (!n.offer(iscsi::negotiation_stage::security))
        std::abort(); // the defaults are valid
    auto stage = iscsi::negotiation_stage::security;
    std::span<const std::uint8_t> rest(data + 1, size - 1);
    unsigned response = 0;
    while (!rest.empty()) {
        std::size_t end = 0;
        while (end < rest.size() && rest[end] != 0xff)
            ++end;
        auto text = iscsi::parse_text(std::as_bytes(rest.first(end)));
        rest = rest.subspan(end == rest.size() ? end : end + 1);
        // Bit 2+response of the mode byte keeps this response in the security stage.
        if (stage == iscsi::negotiation_stage::security && !(mode & (4U << response))) {
            stage = iscsi::negotiation_stage::operational;
            if (!n.offer(stage))
                return 0;
        }
        ++response;
        if (!text)
            continue;
        auto got = n.receive(stage, *text);
        if (!got) {
            require(n.failure().code == iscsi::errc::protocol_violation ||
                    n.failure().code == iscsi::errc::negotiation_failed);
            return 0;
        }
    }
    if (auto params = n.finish())
        check_ranges(*params);
    else
        require(!n.failure().key.empty());
    return 0;
}
