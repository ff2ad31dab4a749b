// SPDX-License-Identifier: GPL-2.0-or-later
// A target as iscsictl sends it in a login request: the store record resolved (defaults filled in,
// initiator name and secrets included), as typed JSON. The daemon checks every field again: the
// control socket is an input like any other. docs/control-protocol.md lists the fields.
#pragma once

#include "control_protocol.hpp"
#include "iscsi/chap.hpp"
#include "iscsi/login.hpp"
#include "iscsi/negotiation.hpp"
#include "iscsi/portal.hpp"

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace iscsid {

// The authentication part of a login's target and of a discovery: the same request fields
// (auth, chap-name, chap-secret, mutual-chap-name, mutual-chap-secret, chap-algorithms), read and
// checked by the same code.
struct login_credentials {
    iscsi::auth_policy auth = iscsi::auth_policy::none;
    std::string chap_name; // empty: the initiator name
    std::string chap_secret;
    std::string mutual_chap_name;
    std::string mutual_chap_secret;
    std::vector<iscsi::chap_algorithm> chap_algorithms; // empty: the library's default order
};

struct target_config {
    std::string target_name;
    std::vector<iscsi::portal> portals; // tried in order
    std::string initiator_name;
    std::string initiator_alias;
    iscsi::initiator_preferences preferences;
    login_credentials credentials;
    std::chrono::seconds login_timeout{15};
    std::chrono::seconds logout_timeout{15};
    std::uint32_t replacement_timeout = 120; // seconds
    std::uint32_t noop_interval = 5;
    std::uint32_t noop_timeout = 5;
    std::uint16_t queue_depth = 128;

    // The login configuration for one attempt (the secrets are referenced, not copied: keep `*this`
    // alive until the login has started).
    [[nodiscard]] iscsi::login_config login_config(const iscsi::isid_bytes& isid) const;
};

// MaxConnections we offer when the target record does not say: one connection per online CPU (each
// connection is one blk-mq hardware queue), at most the kernel's 16. A target without MC/S answers 1.
std::uint32_t default_max_connections();

// A `discover` request: one discovery portal, the initiator's identity and the discovery credentials
// (fields named and checked as in a login's target).
struct discovery_config {
    iscsi::portal portal;
    std::string initiator_name;
    std::string initiator_alias;
    login_credentials credentials;
    std::chrono::seconds login_timeout{15};

    // The login configuration of the discovery session (secrets referenced, as above).
    [[nodiscard]] iscsi::login_config login_config(const iscsi::isid_bytes& isid) const;
};

// Reads and checks a `discover` request's params; like parse_target_config() otherwise.
std::optional<discovery_config> parse_discovery_config(const nlohmann::json& j, std::string& why);

// The live-tunable settings of a `modify` request; unset ones stay as they are.
struct session_settings {
    std::optional<std::uint32_t> replacement_timeout;
    std::optional<std::uint32_t> noop_interval;
    std::optional<std::uint32_t> noop_timeout;
    std::optional<std::uint16_t> queue_depth;
};

// Reads `modify`'s "settings" object: only the keys above, each in its range; an unknown key is
// refused by name. An empty object is refused too (nothing to change).
std::optional<session_settings> parse_session_settings(const nlohmann::json& j, std::string& why);

// The settings of `t` that `modify` can change, as JSON (keys as in targets.ini).
nlohmann::json settings_json(const target_config& t);

// The control protocol's word for why a login failed, so iscsictl can choose its exit code.
control::failure classify(const iscsi::login_failure& f);

// The "target" object for `t`, as parse_target_config() reads it (secrets included: the daemon keeps it
// in a root-only file to recover sessions after a restart).
nlohmann::json to_json(const target_config& t);

// Reads and checks a login request's "target" object. On failure returns nullopt and sets `why` to a
// one-line reason that never contains a secret.
std::optional<target_config> parse_target_config(const nlohmann::json& j, std::string& why);

} // namespace iscsid
