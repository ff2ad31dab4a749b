// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/discovery.hpp"

#include <algorithm>

namespace iscsi {
namespace {

class discovery_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "iscsi-discovery"; }
    std::string message(int ev) const override {
        switch (static_cast<discovery_errc>(ev)) {
        case discovery_errc::address_before_name:
            return "SendTargets: TargetAddress before any TargetName";
        case discovery_errc::alias_before_name:
            return "SendTargets: TargetAlias before any TargetName";
        case discovery_errc::no_usable_address:
            return "SendTargets: target has no valid TargetAddress";
        }
        return "invalid SendTargets response";
    }
};

struct target_record {
    discovered_target target;
    bool listed_address = false; // a TargetAddress was sent, even one we skipped
};

void add_address(discovered_target& target, portal address, const portal& discovery_portal) {
    // A link-local address is only meaningful on the link we reached the target over; a zone the
    // target sent names one of its own interfaces, not ours.
    if (address.is_link_local()) {
        address.host.erase(std::min(address.host.find('%'), address.host.size()));
        if (!discovery_portal.zone().empty()) {
            address.host += '%';
            address.host += discovery_portal.zone();
        }
    }
    if (std::find(target.portals.begin(), target.portals.end(), address) == target.portals.end())
        target.portals.push_back(std::move(address));
}

} // namespace

const std::error_category& discovery_category() noexcept {
    static const discovery_category_impl cat;
    return cat;
}

text_pair sendtargets_all() {
    return {"SendTargets", "All"};
}

result<text_pair> sendtargets_for(std::string_view target_name) {
    auto name = parse_name(target_name);
    if (!name)
        return name.error();
    return text_pair{"SendTargets", name->str()};
}

result<sendtargets_response> parse_sendtargets(std::span<const text_pair> response,
                                               const portal& discovery_portal) {
    sendtargets_response out;
    std::vector<target_record> records;
    // Index of the target the following keys belong to; none before the first TargetName, and
    // none after a TargetName we skipped (its keys are dropped with it).
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::size_t current = none;
    bool seen_name = false;

    for (const auto& pair : response) {
        if (pair.key == "TargetName") {
            seen_name = true;
            current = none;
            auto name = parse_name(pair.value);
            if (!name) {
                out.skipped.push_back({pair, name.error()});
                continue;
            }
            auto same = std::find_if(records.begin(), records.end(),
                                     [&](const target_record& r) { return r.target.name == *name; });
            current = static_cast<std::size_t>(same - records.begin());
            if (same == records.end())
                records.push_back({{std::move(*name), {}, {}}});
        } else if (pair.key == "TargetAddress") {
            if (!seen_name)
                return make_error_code(discovery_errc::address_before_name);
            if (current == none)
                continue;
            auto& record = records[current];
            record.listed_address = true;
            auto address = parse_portal(pair.value);
            if (!address) {
                out.skipped.push_back({pair, address.error()});
                continue;
            }
            add_address(record.target, std::move(*address), discovery_portal);
        } else if (pair.key == "TargetAlias") {
            if (!seen_name)
                return make_error_code(discovery_errc::alias_before_name);
            if (current != none)
                records[current].target.alias = pair.value;
        }
    }

    for (auto& record : records) {
        auto& target = record.target;
        if (target.portals.empty()) {
            if (record.listed_address) {
                out.skipped.push_back(
                    {{"TargetName", target.name.str()}, make_error_code(discovery_errc::no_usable_address)});
                continue;
            }
            portal asked = discovery_portal;
            asked.tpgt.reset(); // the discovery portal's group need not be the target's
            target.portals.push_back(std::move(asked));
        }
        out.targets.push_back(std::move(target));
    }
    return out;
}

} // namespace iscsi
