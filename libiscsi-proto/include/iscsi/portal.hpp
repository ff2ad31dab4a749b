// SPDX-License-Identifier: GPL-2.0-or-later
// Network portals as users write them and as targets send them in TargetAddress values
// (RFC 7143 section 13.8): host[:port][,tpgt], where host is an IPv4 address, an IPv6 address in
// brackets (with an optional %zone for link-local addresses) or a DNS name. A bare IPv6 address
// without brackets is accepted and then has no port. Nothing is resolved here: name lookup is I/O
// and belongs to the daemon.
#pragma once

#include "iscsi/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace iscsi {

inline constexpr std::uint16_t default_iscsi_port = 3260; // RFC 7143 section 13.8

enum class portal_errc {
    empty = 1,
    empty_host,
    unbalanced_brackets,
    junk_after_bracket,
    bad_port,
    port_out_of_range,
    bad_tpgt,
    bad_ipv4,
    bad_ipv6,
    bad_host_name,
    bad_zone,
    zone_not_link_local,
};

const std::error_category& portal_category() noexcept;

inline std::error_code make_error_code(portal_errc e) noexcept {
    return {static_cast<int>(e), portal_category()};
}

enum class host_kind { ipv4, ipv6, dns_name };

// A portal in normal form: IPv4 in dotted quad, IPv6 in RFC 5952 form (lower case, longest zero
// run compressed) followed by "%zone" when it has one, DNS names in lower case. Equal portals
// therefore denote the same address, port and portal group.
struct portal {
    std::string host; // without brackets
    host_kind kind = host_kind::dns_name;
    std::uint16_t port = default_iscsi_port;
    std::optional<std::uint16_t> tpgt; // target portal group tag, when known

    // "192.0.2.1:3260", "[fe80::1%eth0]:3260,1", "san.example.com:3260": always with the port,
    // IPv6 always in brackets; parse_portal() of the result gives back an equal portal.
    [[nodiscard]] std::string to_string() const;
    // The IPv6 zone ("eth0" of "fe80::1%eth0"); empty when there is none.
    [[nodiscard]] std::string_view zone() const noexcept;
    // True for an IPv6 address in fe80::/10, the only kind a zone is accepted on.
    [[nodiscard]] bool is_link_local() const noexcept;
    bool operator==(const portal&) const = default;
};

result<portal> parse_portal(std::string_view text);

} // namespace iscsi

template <>
struct std::is_error_code_enum<iscsi::portal_errc> : std::true_type {};
