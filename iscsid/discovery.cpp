// SPDX-License-Identifier: GPL-2.0-or-later
#include "discovery.hpp"

#include "iscsi/engine.hpp"
#include "log.hpp"

#include <utility>

namespace asio = boost::asio;
using json = nlohmann::json;

namespace iscsid {

using control::failure;
using control::response;

asio::awaitable<response> discover(const discovery_config& config) {
    const std::string where = config.portal.to_string();
    auto isid = iscsi::make_random_isid(0);
    if (!isid)
        co_return response::error(failure::internal, "no random ISID: " + isid.error().message());
    iscsi::net::engine_options options;
    options.connect_timeout = config.login_timeout;
    options.io_timeout = config.login_timeout;
    log::info("discovery at {}", where);
    auto found = co_await iscsi::net::discover(config.portal, config.login_config(*isid), options);
    if (!found) {
        log::warning("discovery at {} failed: {}", where, found.failure().message);
        co_return response::error(classify(found.failure()), where + ": " + found.failure().message);
    }
    for (const auto& skipped : found->targets.skipped)
        log::warning("discovery at {}: ignored {}={}: {}", where, skipped.entry.key.substr(0, 64),
                     skipped.entry.value.substr(0, 128), skipped.reason.message());
    json targets = json::array();
    for (const auto& t : found->targets.targets) {
        json portals = json::array();
        for (const auto& p : t.portals)
            portals.push_back(p.to_string());
        json entry{{"name", t.name.str()}, {"portals", std::move(portals)}};
        if (!t.alias.empty())
            entry["alias"] = t.alias;
        targets.push_back(std::move(entry));
    }
    log::notice("discovery at {}: {} target(s)", where, targets.size());
    co_return response::success({{"portal", where}, {"targets", std::move(targets)}});
}

void register_discovery(control_server& server) {
    server.add_method("discover", true,
                      [](const control::request& req, const peer_credentials&) -> asio::awaitable<response> {
                          std::string why;
                          auto config = parse_discovery_config(req.params, why);
                          if (!config)
                              co_return response::error(failure::bad_request, "discover: " + why);
                          co_return co_await discover(*config);
                      });
}

} // namespace iscsid
