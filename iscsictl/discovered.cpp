// SPDX-License-Identifier: GPL-2.0-or-later
#include "discovered.hpp"

#include <algorithm>
#include <charconv>

namespace iscsictl {

using json = nlohmann::json;

json typed_value(const key_def& key, const std::string& value) {
    switch (key.type) {
    case value_type::integer: {
        std::int64_t n = 0;
        std::from_chars(value.data(), value.data() + value.size(), n);
        return n;
    }
    case value_type::boolean:
        return value == "yes";
    case value_type::choice_list: {
        json list = json::array();
        std::string_view rest = value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            list.push_back(std::string(rest.substr(0, comma)));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
        return list;
    }
    default:
        return value;
    }
}

outcome<json> discovery_request(const store& s, std::string_view portal, const std::string& initiator_name) {
    auto normal = normalise_subsection(section_kind::discovery, portal);
    if (!normal)
        return normal.error_value();
    json request{{"portal", *normal}, {"initiator-name", initiator_name}};
    if (auto alias = s.value(section_kind::initiator, "", "alias"))
        request["initiator-alias"] = *alias;
    for (const auto& r : resolve(s, section_kind::discovery, *normal, initiator_name)) {
        // method is always sendtargets and interval is iscsid's own schedule: not request fields.
        if (r.values.empty() || r.key->scope == key_scope::store)
            continue;
        request[std::string(r.key->name)] = typed_value(*r.key, r.values.front());
    }
    return request;
}

outcome<discovery_report> merge_discovered(store& s, std::string_view portal,
                                           std::span<const discovered_target> found) {
    auto normal = normalise_subsection(section_kind::discovery, portal);
    if (!normal)
        return normal.error_value();
    const key_def& portal_key = *find_key(section_kind::target, "portal");
    const key_def& name_key = *find_key(section_kind::initiator, "name");
    discovery_report report{.portal = *normal};
    std::vector<std::string> seen;
    for (const discovered_target& target : found) {
        auto name = normalise_value(name_key, target.name);
        if (!name || std::ranges::find(seen, *name) != seen.end())
            continue;
        std::vector<std::string> portals;
        for (const std::string& p : target.portals)
            if (auto np = normalise_value(portal_key, p);
                np && std::ranges::find(portals, *np) == portals.end())
                portals.push_back(std::move(*np));
        if (target.portals.empty())
            portals.push_back(*normal);
        if (portals.empty())
            continue; // every portal it gave was malformed
        seen.push_back(*name);
        bool known = s.has_section(section_kind::target, *name);
        if (!known) {
            if (auto added = s.add_section(section_kind::target, *name); !added)
                return added.error_value();
        }
        std::size_t new_portals = 0;
        for (const std::string& p : portals) {
            auto added = s.add_value(section_kind::target, *name, "portal", p);
            if (added)
                ++new_portals;
            else if (added.error_value().code != exit_code::already_exists)
                return added.error_value();
        }
        if (!known) {
            if (auto marked = s.set(section_kind::target, *name, "discovered-from", *normal); !marked)
                return marked.error_value();
            report.added.push_back(*name);
        } else {
            (new_portals > 0 ? report.updated : report.unchanged).push_back(*name);
        }
    }
    for (const std::string& name : s.subsections(section_kind::target))
        if (s.value(section_kind::target, name, "discovered-from") == *normal &&
            std::ranges::find(seen, name) == seen.end())
            report.vanished.push_back(name);
    return report;
}

json to_json(const discovery_report& report) {
    return json{{"portal", report.portal},
                {"added", report.added},
                {"updated", report.updated},
                {"unchanged", report.unchanged},
                {"vanished", report.vanished}};
}

} // namespace iscsictl
