// SPDX-License-Identifier: GPL-2.0-or-later
#include "rediscovery.hpp"

#include "discovered.hpp"
#include "discovery.hpp"
#include "log.hpp"
#include "store.hpp"
#include "target_config.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <memory>
#include <optional>
#include <utility>

namespace asio = boost::asio;
using json = nlohmann::json;

namespace iscsid {
namespace {

// Runs `f` on `pool` and returns its result: file work (flock waits included) off the daemon's thread.
// The result comes back through state shared with the worker, so a request cancelled at shutdown
// leaves the worker nothing dangling.
// `f` is taken by reference and copied for the worker: GCC 12 destroys a temporary argument of a
// coroutine call inside co_await twice, so callers pass a named function object.
template <class F>
auto on(asio::thread_pool& pool, const F& f) -> asio::awaitable<decltype(f())> {
    using T = decltype(f());
    struct state {
        std::optional<T> value;
        asio::steady_timer done;
    };
    auto ex = co_await asio::this_coro::executor;
    auto shared = std::make_shared<state>(
        state{std::nullopt, asio::steady_timer(ex, asio::steady_timer::time_point::max())});
    asio::post(pool, [shared, f, ex]() mutable {
        auto v = std::make_shared<T>(f());
        asio::post(ex, [shared, v] {
            shared->value.emplace(std::move(*v));
            shared->done.cancel();
        });
    });
    co_await shared->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!shared->value)
        throw boost::system::system_error(asio::error::operation_aborted); // cancelled: the daemon stops
    co_return std::move(*shared->value);
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

asio::awaitable<bool> cancelled() {
    auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
}

} // namespace

rediscovery::rediscovery(asio::any_io_executor ex, std::filesystem::path store,
                         std::filesystem::path initiatorname_file)
    : ex_(ex), store_(std::move(store)), initiatorname_(std::move(initiatorname_file)) {}

rediscovery::~rediscovery() {
    files_.join();
}

void rediscovery::problem(const std::string& message) {
    if (message != last_problem_)
        log::warning("re-discovery: {}", message);
    last_problem_ = message;
}

asio::awaitable<void> rediscovery::run() {
    log::info("re-discovery: reading {} every {} s", store_.string(), tick.count());
    for (;;) {
        co_await run_due(std::chrono::steady_clock::now());
        asio::steady_timer t(ex_, tick);
        auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return; // the daemon is stopping
    }
}

asio::awaitable<void> rediscovery::run_due(std::chrono::steady_clock::time_point now) {
    using iscsictl::section_kind;
    const auto load = [path = store_] {
        return iscsictl::load_store(path);
    };
    auto loaded = co_await on(files_, load);
    if (!loaded) {
        problem(loaded.error_value().message);
        co_return;
    }
    const iscsictl::store& s = *loaded;
    // A portal is first due one interval after the daemon sees it (iscsictl discover does the
    // first discovery); a changed interval starts a new period.
    std::vector<std::string> due;
    std::map<std::string, schedule> next;
    for (const auto& portal : s.subsections(section_kind::discovery)) {
        std::uint64_t interval = 0;
        if (auto v = s.value(section_kind::discovery, portal, "interval"))
            std::from_chars(v->data(), v->data() + v->size(), interval);
        if (interval == 0)
            continue;
        auto known = schedule_.find(portal);
        schedule when = known != schedule_.end() && known->second.interval == interval
                            ? known->second
                            : schedule{interval, now + std::chrono::seconds(interval)};
        if (when.due <= now) {
            due.push_back(portal);
            when.due = now + std::chrono::seconds(interval);
        }
        next[portal] = when;
    }
    schedule_ = std::move(next);
    if (due.empty())
        co_return;
    const auto read_name = [store = s, path = initiatorname_] {
        return iscsictl::read_initiator_name(store, path);
    };
    auto initiator = co_await on(files_, read_name);
    if (!initiator) {
        problem(initiator.error_value().message);
        co_return;
    }
    last_problem_.clear();
    for (const auto& portal : due) {
        if (co_await cancelled())
            co_return;
        auto request = iscsictl::discovery_request(s, portal, *initiator);
        std::string why;
        auto config = request ? parse_discovery_config(*request, why) : std::nullopt;
        if (!config) {
            log::warning("re-discovery at {}: {}", portal, request ? why : request.error_value().message);
            continue;
        }
        auto answer = co_await discover(*config); // logs its own failure
        if (!answer.ok || co_await cancelled())
            continue;
        std::vector<iscsictl::discovered_target> found;
        for (const auto& t : answer.result["targets"]) {
            iscsictl::discovered_target d{t.value("name", ""), {}};
            for (const auto& p : t.value("portals", json::array()))
                d.portals.push_back(p.get<std::string>());
            found.push_back(std::move(d));
        }
        // Copies for the worker: it may outlive this frame when the daemon stops.
        const auto merge = [path = store_, portal, found] {
            iscsictl::discovery_report report;
            auto written = iscsictl::update_store(path, [&](iscsictl::store& st) -> iscsictl::status {
                auto r = iscsictl::merge_discovered(st, portal, found);
                if (!r)
                    return r.error_value();
                report = std::move(*r);
                return iscsictl::done{};
            });
            return std::pair{std::move(written), std::move(report)};
        };
        auto merged = co_await on(files_, merge);
        if (!merged.first) {
            log::warning("re-discovery at {}: cannot update {}: {}", portal, store_.string(),
                         merged.first.error_value().message);
            continue;
        }
        const auto& report = merged.second;
        if (!report.added.empty())
            log::notice("re-discovery at {}: added {}", portal, joined(report.added));
        if (!report.updated.empty())
            log::notice("re-discovery at {}: new portals for {}", portal, joined(report.updated));
        if (!report.vanished.empty())
            log::warning("re-discovery at {}: no longer offered (kept in the store): {}", portal,
                         joined(report.vanished));
        if (report.added.empty() && report.updated.empty() && report.vanished.empty())
            log::info("re-discovery at {}: no change ({} target(s))", portal, report.unchanged.size());
    }
}

} // namespace iscsid
