// SPDX-License-Identifier: GPL-2.0-or-later
// SendTargets discovery (RFC 7143 appendix C): the request key and the parser of the response,
// a sequence of TargetName keys each followed by its TargetAlias and TargetAddress keys.
//
// Policy for bad entries: the response's structure must be sound (a TargetAddress or TargetAlias
// before any TargetName fails the whole response, because we cannot tell which target it belongs
// to), but one bad entry does not hide the good ones: a TargetName that is not a valid iSCSI name is
// skipped together with its addresses, and a TargetAddress that is not a valid portal is skipped;
// both are reported in `skipped` with the reason. A target all of whose addresses were skipped is
// skipped too (its portals are unknown, and they are not the discovery portal).
#pragma once

#include "iscsi/names.hpp"
#include "iscsi/portal.hpp"
#include "iscsi/result.hpp"
#include "iscsi/text.hpp"

#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace iscsi {

enum class discovery_errc {
    address_before_name = 1,
    alias_before_name,
    no_usable_address,
};

const std::error_category& discovery_category() noexcept;

inline std::error_code make_error_code(discovery_errc e) noexcept {
    return {static_cast<int>(e), discovery_category()};
}

// SendTargets=All: every target the initiator may access (discovery sessions).
text_pair sendtargets_all();
// SendTargets=<name>: the addresses of one target; the name is validated and normalised.
result<text_pair> sendtargets_for(std::string_view target_name);

struct discovered_target {
    iscsi_name name;
    std::string alias;           // empty when the target sent none
    std::vector<portal> portals; // never empty, in the order received, without duplicates
    bool operator==(const discovered_target&) const = default;
};

// A key the parser could not use, and why.
struct skipped_entry {
    text_pair entry;
    std::error_code reason;
    bool operator==(const skipped_entry&) const = default;
};

struct sendtargets_response {
    std::vector<discovered_target> targets; // in the order received; a repeated TargetName is merged
    std::vector<skipped_entry> skipped;
};

// Parses the response pairs. `discovery_portal` is the portal the request was sent to: a target
// that lists no TargetAddress is reachable there (without a known portal group tag), and a
// link-local IPv6 TargetAddress gets the discovery portal's zone (or none), replacing any zone the
// target sent. Keys other than TargetName, TargetAlias and TargetAddress are ignored; of several
// TargetAlias keys for one target the last counts.
result<sendtargets_response> parse_sendtargets(std::span<const text_pair> response,
                                               const portal& discovery_portal);

} // namespace iscsi

template <>
struct std::is_error_code_enum<iscsi::discovery_errc> : std::true_type {};
