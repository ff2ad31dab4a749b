// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the portal parser: any input is parsed or refused, and a parsed portal prints to text that
// parses back to an equal portal (so a portal written to the store reads back unchanged).
#include "iscsi/portal.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto p = iscsi::parse_portal(std::string_view(reinterpret_cast<const char*>(data), size)); // NOLINT
    if (!p)
        return 0;
    auto printed = p->to_string();
    auto again = iscsi::parse_portal(printed);
    if (!again || *again != *p || again->to_string() != printed)
        std::abort();
    return 0;
}
