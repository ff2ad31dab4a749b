// SPDX-License-Identifier: GPL-2.0-or-later
// targets.ini parser: arbitrary bytes never crash it, its errors are one line, and whatever it
// accepts survives both ways of writing it back: the kept text, and the same settings made
// through the editing functions iscsictl uses, in canonical form.
#include "discovered.hpp"
#include "store.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string_view>

namespace {

using iscsictl::section_kind;
using iscsictl::store;
using iscsictl::store_entry;

// The known sections with their entries in a canonical order: edits may place a section or a
// repeated key elsewhere than a hand-written file did, without changing what the store says.
using model =
    std::map<std::pair<section_kind, std::string>, std::vector<std::pair<std::string, std::string>>>;

model known_sections(const store& s) {
    model m;
    for (const auto& section : s.sections()) {
        auto kind = iscsictl::parse_section_name(section.kind);
        if (!kind)
            continue;
        auto& entries = m[{*kind, section.subsection.value_or("")}];
        for (const store_entry& e : section.entries)
            entries.emplace_back(e.key, e.value);
        std::ranges::sort(entries);
    }
    return m;
}

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = store::parse(text, "fuzz.ini");
    if (!parsed) {
        check(parsed.error_value().message.find('\n') == std::string::npos);
        check(parsed.error_value().message.starts_with("fuzz.ini:"));
        check(std::ranges::none_of(parsed.error_value().message,
                                   [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }));
        return 0;
    }

    auto again = store::parse(parsed->text(), "fuzz.ini");
    check(again.has_value());
    check(again->sections() == parsed->sections());
    check(again->has_secrets() == parsed->has_secrets());

    store rebuilt;
    for (const auto& [where, entries] : known_sections(*parsed)) {
        const auto& [kind, subsection] = where;
        check(rebuilt.add_section(kind, subsection).has_value());
        for (const auto& [key, value] : entries) {
            const iscsictl::key_def* def = iscsictl::find_key(kind, key);
            check(def != nullptr);
            auto edited = def->repeatable ? rebuilt.add_value(kind, subsection, key, value)
                                          : rebuilt.set(kind, subsection, key, value);
            check(edited.has_value());
        }
    }
    auto reparsed = store::parse(rebuilt.text(), "rebuilt.ini");
    check(reparsed.has_value());
    check(known_sections(*reparsed) == known_sections(*parsed));

    // A SendTargets answer naming the store's own targets, with their portals read as answered
    // portals, plus one more: whatever merge_discovered records parses back, and each name is
    // reported once.
    std::vector<iscsictl::discovered_target> found;
    for (const std::string& name : parsed->subsections(section_kind::target))
        found.push_back({name, parsed->values(section_kind::target, name, "portal")});
    if (!parsed->has_section(section_kind::target, "iqn.2026-11.org.example:fuzz"))
        found.push_back({"iqn.2026-11.org.example:fuzz", {"192.0.2.1:3260,1"}});
    auto discovery = parsed->subsections(section_kind::discovery);
    for (std::string_view portal :
         {std::string_view("192.0.2.1"),
          discovery.empty() ? std::string_view("[::1]") : std::string_view(discovery[0])}) {
        store merged = *parsed;
        auto report = iscsictl::merge_discovered(merged, portal, found);
        check(report.has_value());
        check(report->added.size() + report->updated.size() + report->unchanged.size() == found.size());
        auto reread = store::parse(merged.text(), "merged.ini");
        check(reread.has_value());
        check(reread->has_section(section_kind::target, "iqn.2026-11.org.example:fuzz"));
    }

    // Removing any section leaves a valid store without it.
    for (const auto& [where, entries] : known_sections(*parsed)) {
        store copy = *parsed;
        check(copy.remove_section(where.first, where.second).has_value());
        auto removed = store::parse(copy.text(), "removed.ini");
        check(removed.has_value());
        check(!removed->has_section(where.first, where.second));
    }
    return 0;
}
