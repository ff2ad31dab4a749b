// SPDX-License-Identifier: GPL-2.0-or-later
// Discovery and the store: the `discover` request a discovery section turns into, and the merge of
// a SendTargets answer into the store. iscsictl's discover verb and iscsid's periodic re-discovery
// share both, so a target found either way is recorded the same way.
#pragma once

#include "exit_codes.hpp"
#include "store.hpp"

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iscsictl {

// One target of a SendTargets answer: its name and its portals as "addr:port,tpgt".
struct discovered_target {
    std::string name;
    std::vector<std::string> portals;
};

// What merge_discovered did, by target name (in the order of the answer; vanished in store order).
struct discovery_report {
    std::string portal{}; // the discovery portal, in normal form
    std::vector<std::string> added{}, updated{}, unchanged{}, vanished{};
};

// A store value typed as the key table says: integers as numbers, yes/no as booleans, lists as
// arrays of strings, everything else as a string. Requests to iscsid carry values this way.
nlohmann::json typed_value(const key_def& key, const std::string& value);

// The `discover` request params for discovery section `portal`, resolved like a login target
// (defaults, credentials inherited from [initiator], the initiator name). A portal that is not in
// the store gets the defaults. Errors: a malformed portal (exit_code::usage).
outcome<nlohmann::json> discovery_request(const store& s, std::string_view portal,
                                          const std::string& initiator_name);

// Records a SendTargets answer from discovery portal `portal` in the store: new targets are added
// with their portals (with ,tpgt) and `discovered-from = PORTAL`; known ones get the portals they
// lack (a portal differing only in its tpgt counts as known); targets that carry
// `discovered-from = PORTAL` but are not in `found` are reported as vanished and left in the store.
// A target that comes without any portal is reachable through the discovery portal itself
// (RFC 7143 section 13.8). Names and portals that are not valid are skipped: a target's answer
// must not be able to make the store invalid.
outcome<discovery_report> merge_discovered(store& s, std::string_view portal,
                                           std::span<const discovered_target> found);

// The report as JSON: {"portal", "added": [...], "updated": [...], "unchanged": [...], "vanished": [...]}.
nlohmann::json to_json(const discovery_report& report);

} // namespace iscsictl
