// SPDX-License-Identifier: GPL-2.0-or-later
// `iscsictl import open-iscsi`: reads an open-iscsi node database (iscsiadm's nodes/ and
// send_targets/ records) and turns it into store sections, so people can switch without retyping
// their targets. Only reading happens here; the verb writes the store in one atomic update.
#pragma once

#include "exit_codes.hpp"
#include "store.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace iscsictl {

// One target or discovery portal as the store will hold it: normal-form name, portals (targets
// only) and KEY = VALUE settings that differ from the store's defaults, in the order they are read.
struct imported_section {
    section_kind kind = section_kind::target;
    std::string name;
    std::vector<std::string> portals{};
    std::vector<std::pair<std::string, std::string>> settings{};
    std::vector<std::string> sources{}; // the record files it came from
};

struct open_iscsi_db {
    std::vector<imported_section> sections{}; // targets by name, then discovery portals, sorted
    std::vector<std::string> warnings{};      // what was left out, and why (never a secret)
};

// Reads DIR/nodes/IQN/ADDR,PORT,TPGT/default (and the older flat files DIR/nodes/IQN/ADDR,PORT[,TPGT])
// and DIR/send_targets/ADDR,PORT/st_config. A value this initiator cannot hold (out of range, an
// unknown authentication method) fails the whole import with "FILE: KEY: problem" (exit_code::usage);
// settings it has no use for (iface, scan, ERL...) are ignored. exit_code::not_found: DIR has neither
// nodes/ nor send_targets/.
outcome<open_iscsi_db> read_open_iscsi(const std::filesystem::path& dir);

// Adds the sections to `s`. An entry the store already has is a conflict: with `skip_existing` it is
// left as it is and reported in `skipped`; otherwise the import fails with exit_code::already_exists
// naming the conflicts, and `s` must be thrown away.
status apply_import(store& s, const open_iscsi_db& db, bool skip_existing, std::vector<std::string>& skipped);

} // namespace iscsictl
