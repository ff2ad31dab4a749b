// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes SendTargets response parsing from the raw data segment: any input is parsed or refused,
// and what is accepted keeps its promises: every target has a valid normal-form name and at least
// one portal, every portal survives a print/parse round trip, and no portal appears twice.
#include "iscsi/discovery.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto pairs = iscsi::parse_text(std::as_bytes(std::span(data, size)));
    if (!pairs)
        return 0;
    static const iscsi::portal discovery_portal = *iscsi::parse_portal("[fe80::1%eth0]:3260");
    auto response = iscsi::parse_sendtargets(*pairs, discovery_portal);
    if (!response)
        return 0;
    for (const auto& target : response->targets) {
        auto name = iscsi::parse_name(target.name.str());
        if (!name || *name != target.name || target.portals.empty())
            std::abort();
        for (auto p = target.portals.begin(); p != target.portals.end(); ++p) {
            auto again = iscsi::parse_portal(p->to_string());
            if (!again || *again != *p || std::find(p + 1, target.portals.end(), *p) != target.portals.end())
                std::abort();
        }
    }
    for (const auto& skipped : response->skipped)
        if (!skipped.reason)
            std::abort();
    return 0;
}
