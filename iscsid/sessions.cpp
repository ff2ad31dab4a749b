// SPDX-License-Identifier: GPL-2.0-or-later
#include "sessions.hpp"

#include "iscsi/engine.hpp"
#include "log.hpp"
#include "sysfs.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sys/stat.h>
#include <uapi/iscsi_ini.h>
#include <unistd.h>
#include <utility>

namespace asio = boost::asio;
using json = nlohmann::json;

namespace iscsid {

using control::failure;
using control::response;

struct session_manager::attempt {
    std::optional<iscsi::net::logged_in_connection> connection;
    std::vector<iscsi::net::logged_in_connection> added; // CIDs 1 and up, same session
    iscsi::login_failure failure;                        // of the last portal tried, when no connection
};

namespace {

// Waits `d`; false when the wait was cancelled (the daemon is stopping or the client left).
asio::awaitable<bool> sleep_for(std::chrono::steady_clock::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return !ec;
}

// Reads an optional whole number `key` of `params` in [0, max] into `out`; false when it is wrong.
bool whole_number(const json& params, const char* key, std::uint64_t max, std::uint64_t& out) {
    auto it = params.find(key);
    if (it == params.end())
        return true;
    const bool whole = it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0);
    if (!whole || it->get<std::uint64_t>() > max)
        return false;
    out = it->get<std::uint64_t>();
    return true;
}

// Removes a target's name from the set of logins in progress when the login ends, however it ends.
struct login_in_progress {
    std::set<std::string>& set;
    std::string name;
    ~login_in_progress() { set.erase(name); }
};

// Watches a session's scan-done events while it lives; made before the request whose scan it awaits,
// so the event cannot come before anyone looks for it.
class scan_watcher {
public:
    scan_watcher(std::map<std::uint32_t, scan_watch>& watched, std::uint32_t session_id)
        : watched_(watched), session_id_(session_id) {
        ++watched_[session_id_].waiters;
    }
    scan_watcher(const scan_watcher&) = delete;
    scan_watcher& operator=(const scan_watcher&) = delete;
    ~scan_watcher() {
        if (auto w = watched_.find(session_id_); w != watched_.end() && --w->second.waiters == 0)
            watched_.erase(w);
    }

private:
    std::map<std::uint32_t, scan_watch>& watched_;
    std::uint32_t session_id_;
};

// Has a scan covering request `wanted` ended? Scan-gens wrap at 2^32: compare by distance.
bool scan_reached(const std::optional<std::uint32_t>& ended, std::uint32_t wanted) {
    return ended && static_cast<std::int32_t>(*ended - wanted) >= 0;
}

// A kernel session made for a login whose connection is not bound yet. Unless the login completes
// (release()), the destructor deletes it: a login that fails, or that is cancelled (the client
// left, the daemon is stopping: the coroutine frame is destroyed at any co_await), must not leave
// a session without a connection behind. The destructor cannot co_await, so it sends the request
// and does not wait: the kernel carries it out inside send(). A daemon killed outright is covered
// by take_over(), which deletes such sessions at the next start.
class unbound_session {
public:
    unbound_session(kernel& k, std::uint32_t id) : kernel_(k), id_(id) {}
    unbound_session(const unbound_session&) = delete;
    unbound_session& operator=(const unbound_session&) = delete;
    ~unbound_session() {
        if (!id_)
            return;
        if (auto ec = kernel_.session_del_now(*id_))
            log::warning("kernel: cannot delete session {} of an unfinished login: {}", *id_, ec.message());
        else
            log::info("kernel: deleted session {} of an unfinished login", *id_);
    }
    void release() noexcept { id_.reset(); }

private:
    kernel& kernel_;
    std::optional<std::uint32_t> id_;
};

kernel_session_params kernel_params(const target_config& c, const iscsi::net::logged_in_connection& conn) {
    const auto& n = conn.login.parameters;
    kernel_session_params k;
    k.target_name = c.target_name;
    k.initiator_name = c.initiator_name;
    k.portal = conn.address.to_string();
    k.isid = conn.login.isid;
    k.tsih = conn.login.tsih;
    k.tpgt = n.session.target_portal_group_tag.value_or(0);
    k.max_recv_dlength = n.connection.max_recv_data_segment_length;
    k.max_xmit_dlength = n.connection.max_send_data_segment_length;
    k.first_burst_length = n.session.first_burst_length;
    k.max_burst_length = n.session.max_burst_length;
    k.initial_r2t = n.session.initial_r2t;
    k.immediate_data = n.session.immediate_data;
    k.max_outstanding_r2t = static_cast<std::uint16_t>(n.session.max_outstanding_r2t);
    k.header_digest = n.connection.header_digest == iscsi::digest_type::crc32c;
    k.data_digest = n.connection.data_digest == iscsi::digest_type::crc32c;
    k.data_pdu_in_order = n.session.data_pdu_in_order;
    k.data_sequence_in_order = n.session.data_sequence_in_order;
    k.erl = static_cast<std::uint8_t>(n.session.error_recovery_level);
    k.cmds_max = c.queue_depth;
    k.replacement_timeout = c.replacement_timeout;
    k.noop_interval = c.noop_interval;
    k.noop_timeout = c.noop_timeout;
    return k;
}

// Hands the logged-in socket to the kernel session; our copy of the descriptor is closed either way.
asio::awaitable<netlink_error> bind(kernel& k, std::uint32_t session_id,
                                    iscsi::net::logged_in_connection& conn) {
    kernel_bind_params b;
    b.session_id = session_id;
    b.cid = conn.login.cid;
    b.fd = conn.socket.release();
    b.exp_stat_sn = conn.exp_stat_sn;
    b.cmd_sn = conn.cmd_sn;
    b.exp_cmd_sn = conn.exp_cmd_sn;
    b.max_cmd_sn = conn.max_cmd_sn;
    auto err = co_await k.conn_bind(b);
    ::close(b.fd); // the kernel holds its own reference to the socket
    co_return err;
}

// Every bound connection with its counters, for `session`.
json connections_json(const kernel_session_info& k) {
    json out = json::array();
    for (const auto& c : k.connections)
        out.push_back({{"cid", c.cid},
                       {"exp-stat-sn", c.exp_stat_sn},
                       {"cmds", c.cmds},
                       {"read-bytes", c.read_bytes},
                       {"write-bytes", c.write_bytes}});
    return out;
}

json session_json(const kernel_session_info& k, const std::string& portal_hint) {
    return json{
        {"session", k.session_id},
        {"host", k.host_no},
        {"target", k.params.target_name},
        {"portal", k.params.portal.empty() ? portal_hint : k.params.portal},
        {"state", to_string(k.state)},
        {"isid", iscsi::to_string(k.params.isid)},
        {"tsih", k.params.tsih},
        {"header-digest", k.params.header_digest ? "crc32c" : "none"},
        {"data-digest", k.params.data_digest ? "crc32c" : "none"},
        {"connections", k.connections.size()},
        {"stats", k.stats},
    };
}

// A connection error the kernel reported while no one listened (lost events, or before a restart).
kernel_event lost_connection(std::uint32_t session_id) {
    kernel_event e;
    e.type = kernel_event::kind::conn_error;
    e.session_id = session_id;
    return e;
}

json luns_json(std::uint32_t host_no) {
    json out = json::array();
    for (const auto& l : host_luns(host_no))
        out.push_back({{"lun", l.lun},
                       {"device", l.device},
                       {"size", l.size},
                       {"vendor", l.vendor},
                       {"model", l.model}});
    return out;
}

} // namespace

session_manager::session_manager(asio::any_io_executor ex, kernel& k, std::filesystem::path state_dir)
    : ex_(ex), kernel_(k), state_dir_(std::move(state_dir)), recoveries_(ex) {}

void session_manager::register_methods(control_server& server) {
    server.add_method("login", true,
                      [this](const control::request& r, const peer_credentials&) { return login(r); });
    server.add_method("logout", true,
                      [this](const control::request& r, const peer_credentials&) { return logout(r); });
    server.add_method("modify", true,
                      [this](const control::request& r, const peer_credentials&) { return modify(r); });
    server.add_method("rescan", true,
                      [this](const control::request& r, const peer_credentials&) { return rescan(r); });
    server.add_method("session", false,
                      [this](const control::request& r, const peer_credentials&) { return show_session(r); });
    server.add_method("sessions", false,
                      [this](const control::request&, const peer_credentials&) { return list_sessions(); });
    server.add_method("luns", false,
                      [this](const control::request&, const peer_credentials&) { return list_luns(); });
}

std::shared_ptr<session_manager::session> session_manager::find(const std::string& target) const {
    for (const auto& [id, s] : sessions_)
        if (s->config.target_name == target)
            return s;
    return nullptr;
}

std::shared_ptr<session_manager::session> session_manager::pick(const json& params, const std::string& method,
                                                                response& error) const {
    if (auto t = params.find("target"); t != params.end()) {
        if (!t->is_string()) {
            error = response::error(failure::bad_request, method + ": target must be a target name");
            return nullptr;
        }
        auto name = iscsi::parse_name(t->get<std::string>());
        if (!name) {
            error = response::error(failure::bad_request, method + ": target: " + name.error().message());
            return nullptr;
        }
        auto s = find(name->str());
        if (!s)
            error = response::error(failure::not_found, name->str() + " is not logged in");
        return s;
    }
    if (auto id = params.find("session"); id != params.end()) {
        if (!id->is_number_unsigned() || id->get<std::uint64_t>() > UINT32_MAX) {
            error = response::error(failure::bad_request, method + ": session must be a session number");
            return nullptr;
        }
        auto it = sessions_.find(id->get<std::uint32_t>());
        if (it == sessions_.end()) {
            error = response::error(failure::not_found, "no session " + id->dump());
            return nullptr;
        }
        return it->second;
    }
    error = response::error(failure::bad_request, method + " needs a target or a session");
    return nullptr;
}

asio::awaitable<session_manager::attempt> session_manager::connect_and_login(const target_config& config,
                                                                             const iscsi::isid_bytes& isid) {
    attempt result;
    iscsi::net::engine_options options;
    options.connect_timeout = config.login_timeout;
    options.io_timeout = config.login_timeout;
    for (const auto& portal : config.portals) {
        auto conn = co_await iscsi::net::login(portal, config.login_config(isid), options);
        if (conn) {
            // A target may send us anywhere: say where, so an unexpected address is on record.
            if (conn->address.to_string() != portal.to_string())
                log::notice("{}: redirected by {} to {}{}", config.target_name, portal.to_string(),
                            conn->address.to_string(), conn->permanent_redirect ? " (permanently)" : "");
            result.connection.emplace(std::move(*conn));
            co_return result;
        }
        result.failure = conn.failure();
        log::warning("{}: login through {} failed: {}", config.target_name, portal.to_string(),
                     conn.failure().message);
        // The target answered and refused us: other portals of the same target will say the same.
        if (classify(conn.failure()) == failure::authentication_failed ||
            classify(conn.failure()) == failure::not_found)
            break;
    }
    co_return result;
}

asio::awaitable<void> session_manager::add_connections(const target_config& config,
                                                       const iscsi::isid_bytes& isid, attempt& tried,
                                                       std::uint32_t count) {
    const auto& leading = *tried.connection;
    iscsi::net::engine_options options;
    options.connect_timeout = config.login_timeout;
    options.io_timeout = config.login_timeout;
    tried.added.clear();
    for (std::uint32_t cid = 1; cid < count; ++cid) {
        auto added = iscsi::added_connection_config(config.login_config(isid), leading.login,
                                                    static_cast<std::uint16_t>(cid));
        if (!added) {
            log::warning("{}: connection {}: {}", config.target_name, cid, added.error().message());
            break;
        }
        auto conn = co_await iscsi::net::login(leading.address, *added, options);
        if (!conn) {
            log::warning("{}: connection {} of the session not added: {}", config.target_name, cid,
                         conn.failure().message);
            continue;
        }
        if (auto why = iscsi::connection_mismatch(leading.login.parameters.connection,
                                                  conn->login.parameters.connection)) {
            // The kernel keeps one set of connection parameters per session.
            log::warning("{}: connection {} left out: {}", config.target_name, cid, *why);
            continue;
        }
        tried.added.push_back(std::move(*conn));
    }
}

asio::awaitable<netlink_error> session_manager::bind_all(std::uint32_t session_id, attempt& tried) {
    if (auto err = co_await bind(kernel_, session_id, *tried.connection))
        co_return err;
    for (auto& conn : tried.added) {
        if (auto err = co_await bind(kernel_, session_id, conn))
            log::warning("kernel refused connection {} of session {}: {}", conn.login.cid, session_id,
                         err.describe());
    }
    co_return netlink_error{};
}

asio::awaitable<json> session_manager::wait_for_luns(std::uint32_t session_id, std::uint32_t host_no,
                                                     std::uint32_t scan_gen,
                                                     std::chrono::steady_clock::time_point deadline) {
    // The kernel says when a scan has ended (scan-done, with the number of the last request it
    // covers); then each LUN needs its disk, which sd attaches a moment later. Had the event been
    // lost, a LUN set that stays the same for lun_settle stands for it (a scan adds LUNs one by one).
    // Or the deadline passes. The caller watches the session's scans (scan_watcher).
    using clock = std::chrono::steady_clock;
    json last;
    auto same_since = clock::now();
    while (clock::now() < deadline) {
        json now = luns_json(host_no);
        bool disks = true;
        for (const auto& l : now)
            disks = disks && !l["device"].get<std::string>().empty();
        if (now != last)
            same_since = clock::now();
        const auto scan = scans_watched_.find(session_id);
        const bool scanned = scan != scans_watched_.end() && scan_reached(scan->second.ended, scan_gen);
        if (disks && (scanned || (!now.empty() && clock::now() - same_since >= lun_settle)))
            co_return now;
        last = std::move(now);
        if (!co_await sleep_for(lun_poll))
            break; // the daemon is stopping
    }
    co_return last;
}

asio::awaitable<response> session_manager::login(const control::request& req) {
    const auto started = std::chrono::steady_clock::now();
    std::string why;
    auto config = parse_target_config(req.params.value("target", json::object()), why);
    if (!config)
        co_return response::error(failure::bad_request, "login: " + why);
    std::uint64_t retry_for = 0;
    if (!whole_number(req.params, "retry-for", max_retry_for, retry_for))
        co_return response::error(failure::bad_request, "login: retry-for must be a whole number of seconds "
                                                        "from 0 to " +
                                                            std::to_string(max_retry_for));
    if (auto existing = find(config->target_name))
        co_return response::error(failure::already_exists, config->target_name +
                                                               " is already logged in (session " +
                                                               std::to_string(existing->id) + ")");
    if (!logging_in_.insert(config->target_name).second)
        co_return response::error(failure::already_exists,
                                  config->target_name + " is being logged in by another request");
    login_in_progress in_progress{logging_in_, config->target_name};
    auto isid = iscsi::make_random_isid(0);
    if (!isid)
        co_return response::error(failure::internal, "no random ISID: " + isid.error().message());

    log::info("{}: logging in", config->target_name);
    // Boot-time logins (retry-for) wait for a target that is not up yet: only "nobody answered" is
    // retried; a target that answers and refuses will refuse again.
    const auto give_up = started + std::chrono::seconds(retry_for);
    std::chrono::seconds pause = first_login_retry;
    attempt tried;
    for (unsigned attempt_no = 1;; ++attempt_no) {
        tried = co_await connect_and_login(*config, *isid);
        if (tried.connection || retry_for == 0 || classify(tried.failure) != failure::unreachable)
            break;
        const auto left = give_up - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero())
            break;
        const auto wait = std::min<std::chrono::steady_clock::duration>(pause, left);
        log::info("{}: unreachable (attempt {}), next attempt in {} ms", config->target_name, attempt_no,
                  std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
        if (!co_await sleep_for(wait))
            co_return response::error(failure::unreachable,
                                      config->target_name + ": login abandoned (daemon stopping)");
        pause = std::min(pause * 2, max_login_retry);
    }
    if (!tried.connection)
        co_return response::error(classify(tried.failure),
                                  config->target_name + ": " + tried.failure.message);
    auto& conn = *tried.connection;
    // MC/S: the target's MaxConnections bounds what we offered, and so do the CPUs: blk-mq makes
    // at most one hardware queue per CPU, and a connection without one would carry nothing. The
    // other connections log in before the kernel has the leading one, so the CmdSN their logins
    // carry is still current.
    static_assert(ISCSI_INI_MAX_CONNS == 16, "default_max_connections() caps at the kernel's limit");
    const auto connections = static_cast<std::uint16_t>(iscsi::connections_to_open(
        conn.login, config->preferences.max_connections, default_max_connections()));
    co_await add_connections(*config, *isid, tried, connections);

    std::uint32_t id = 0;
    std::uint32_t host = 0;
    auto params = kernel_params(*config, conn);
    params.max_connections = connections;
    if (auto err = co_await kernel_.session_new(params, id, host))
        co_return response::error(failure::kernel, "kernel refused the session: " + err.describe());
    unbound_session unbound(kernel_, id);
    scan_watcher watcher(scans_watched_, id); // before the bind, which starts the first scan
    if (auto err = co_await bind_all(id, tried))
        co_return response::error(failure::kernel, "kernel refused the connection: " + err.describe());
    unbound.release();
    auto s = std::make_shared<session>();
    s->id = id;
    s->host_no = host;
    s->isid = *isid;
    s->tsih = conn.login.tsih;
    s->portal = conn.address.to_string();
    s->max_connections = connections;
    s->default_time2wait = conn.login.parameters.session.default_time2wait;
    s->default_time2retain = conn.login.parameters.session.default_time2retain;
    s->target_alias = conn.login.parameters.session.target_alias;
    s->config = std::move(*config);
    sessions_[id] = s;
    persist(*s);
    log::notice("{}: logged in through {}, session {}, SCSI host {}, {} connection(s)", s->config.target_name,
                s->portal, id, host, 1 + tried.added.size());

    // A new session's first scan, the one its first bind asked for, is request number 1.
    json luns = co_await wait_for_luns(id, host, 1, std::chrono::steady_clock::now() + lun_scan_limit);
    co_return response::success({{"session", id},
                                 {"host", host},
                                 {"connections", 1 + tried.added.size()},
                                 {"target", s->config.target_name},
                                 {"portal", s->portal},
                                 {"luns", std::move(luns)}});
}

asio::awaitable<response> session_manager::logout(const control::request& req) {
    response error;
    std::shared_ptr<session> s = pick(req.params, "logout", error);
    if (!s)
        co_return error;
    s->logging_out = true; // stops a recovery in progress at its next step
    log::info("{}: logging out session {}", s->config.target_name, s->id);
    auto err = co_await kernel_.session_logout(s->id);
    if (err && err.code != std::errc::no_such_file_or_directory) {
        s->logging_out = false;
        co_return response::error(failure::kernel, "logout of session " + std::to_string(s->id) +
                                                       " failed: " + err.describe());
    }
    sessions_.erase(s->id);
    forget(*s);
    log::notice("{}: logged out, session {} removed", s->config.target_name, s->id);
    co_return response::success({{"session", s->id}, {"target", s->config.target_name}});
}

asio::awaitable<response> session_manager::modify(const control::request& req) {
    auto given = req.params.find("settings");
    if (given == req.params.end())
        co_return response::error(failure::bad_request, "modify needs settings");
    std::string why;
    auto settings = parse_session_settings(*given, why);
    if (!settings)
        co_return response::error(failure::bad_request, "modify: " + why);
    response error;
    std::shared_ptr<session> s = pick(req.params, "modify", error);
    if (!s)
        co_return error;
    kernel_session_settings k;
    k.cmds_max = settings->queue_depth;
    k.replacement_timeout = settings->replacement_timeout;
    k.noop_interval = settings->noop_interval;
    k.noop_timeout = settings->noop_timeout;
    if (auto err = co_await kernel_.session_set(s->id, k)) {
        if (err.code == std::errc::no_such_file_or_directory)
            co_return response::error(failure::not_found, "session " + std::to_string(s->id) + " is gone");
        co_return response::error(failure::kernel, "kernel refused the settings of session " +
                                                       std::to_string(s->id) + ": " + err.describe());
    }
    // The persisted copy too, so a recovery by a restarted daemon keeps them.
    auto& c = s->config;
    c.queue_depth = settings->queue_depth.value_or(c.queue_depth);
    c.replacement_timeout = settings->replacement_timeout.value_or(c.replacement_timeout);
    c.noop_interval = settings->noop_interval.value_or(c.noop_interval);
    c.noop_timeout = settings->noop_timeout.value_or(c.noop_timeout);
    persist(*s);
    json applied = json::object();
    for (const auto& [key, value] : settings_json(c).items())
        if (given->contains(key))
            applied[key] = value;
    log::notice("{}: session {} settings changed: {}", c.target_name, s->id, applied.dump());
    co_return response::success(
        {{"session", s->id}, {"target", c.target_name}, {"settings", std::move(applied)}});
}

asio::awaitable<response> session_manager::rescan(const control::request& req) {
    std::vector<std::uint32_t> ids;
    if (req.params.contains("target") || req.params.contains("session")) {
        response error;
        std::shared_ptr<session> s = pick(req.params, "rescan", error);
        if (!s)
            co_return error;
        ids.push_back(s->id);
    } else {
        // Every session in the kernel, those this daemon did not log in included.
        std::vector<kernel_session_info> infos;
        if (auto err = co_await kernel_.sessions(infos))
            co_return response::error(failure::kernel,
                                      "cannot list the kernel's sessions: " + err.describe());
        for (const auto& k : infos)
            ids.push_back(k.session_id);
    }
    // Each session's scan is watched from before it is asked for; then, session by session, its LUNs
    // once a scan covering the request has ended (a scan already running when it was asked for does
    // not count) and the disks are there.
    std::deque<scan_watcher> watchers;
    std::map<std::uint32_t, std::uint32_t> requests; // session -> scan-gen of its request
    for (auto id : ids) {
        watchers.emplace_back(scans_watched_, id);
        std::uint32_t gen = 0;
        if (auto err = co_await kernel_.session_rescan(id, gen)) {
            if (err.code == std::errc::no_such_file_or_directory)
                continue; // logged out meanwhile
            co_return response::error(failure::kernel, "rescan of session " + std::to_string(id) +
                                                           " failed: " + err.describe());
        }
        requests[id] = gen;
    }
    std::vector<kernel_session_info> infos;
    if (auto err = co_await kernel_.sessions(infos))
        co_return response::error(failure::kernel, "cannot list the kernel's sessions: " + err.describe());
    const auto deadline = std::chrono::steady_clock::now() + rescan_limit;
    json done = json::array();
    json luns = json::array();
    for (const auto& k : infos) {
        const auto request = requests.find(k.session_id);
        if (request == requests.end())
            continue;
        done.push_back(k.session_id);
        for (auto l : co_await wait_for_luns(k.session_id, k.host_no, request->second, deadline)) {
            l["target"] = k.params.target_name;
            l["portal"] = k.params.portal;
            l["session"] = k.session_id;
            luns.push_back(std::move(l));
        }
    }
    log::info("rescan of {} session(s): {} LUN(s)", done.size(), luns.size());
    co_return response::success({{"sessions", std::move(done)}, {"luns", std::move(luns)}});
}

asio::awaitable<response> session_manager::show_session(const control::request& req) {
    // Validated here so a session the kernel has but this daemon does not know can be shown too.
    std::optional<std::string> target;
    std::optional<std::uint32_t> id;
    if (auto t = req.params.find("target"); t != req.params.end()) {
        auto name = t->is_string() ? iscsi::parse_name(t->get<std::string>())
                                   : iscsi::result<iscsi::iscsi_name>(iscsi::errc::bad_format);
        if (!name)
            co_return response::error(failure::bad_request, "session: target must be a valid target name");
        target = name->str();
    } else if (auto i = req.params.find("session"); i != req.params.end()) {
        if (!i->is_number_unsigned() || i->get<std::uint64_t>() > UINT32_MAX)
            co_return response::error(failure::bad_request, "session: session must be a session number");
        id = i->get<std::uint32_t>();
    } else {
        co_return response::error(failure::bad_request, "session needs a target or a session");
    }
    std::vector<kernel_session_info> infos;
    if (auto err = co_await kernel_.sessions(infos))
        co_return response::error(failure::kernel, "cannot list the kernel's sessions: " + err.describe());
    auto k = std::find_if(infos.begin(), infos.end(), [&](const kernel_session_info& i) {
        return target ? i.params.target_name == *target : i.session_id == *id;
    });
    if (k == infos.end())
        co_return response::error(failure::not_found, target ? *target + " is not logged in"
                                                             : "no session " + std::to_string(*id));
    auto known = sessions_.find(k->session_id);
    const session* s = known != sessions_.end() ? known->second.get() : nullptr;
    json j = session_json(*k, s ? s->portal : "");
    j["recoveries"] = s ? s->recoveries : 0;
    j["initiator-name"] = k->params.initiator_name;
    j["target-portal-group-tag"] = k->params.tpgt;
    const auto& p = k->params;
    json params{
        {"header-digest", p.header_digest ? "crc32c" : "none"},
        {"data-digest", p.data_digest ? "crc32c" : "none"},
        {"max-recv-data-segment-length", p.max_recv_dlength},
        {"max-xmit-data-segment-length", p.max_xmit_dlength},
        {"first-burst-length", p.first_burst_length},
        {"max-burst-length", p.max_burst_length},
        {"initial-r2t", p.initial_r2t},
        {"immediate-data", p.immediate_data},
        {"max-outstanding-r2t", p.max_outstanding_r2t},
        {"data-pdu-in-order", p.data_pdu_in_order},
        {"data-sequence-in-order", p.data_sequence_in_order},
        {"error-recovery-level", p.erl},
    };
    // The kernel does not keep these: they come from the daemon's record of the login.
    if (s) {
        params["default-time2wait"] = s->default_time2wait;
        params["default-time2retain"] = s->default_time2retain;
        if (!s->target_alias.empty())
            j["target-alias"] = s->target_alias;
    }
    j["parameters"] = std::move(params);
    j["settings"] = {{"replacement-timeout", p.replacement_timeout},
                     {"noop-interval", p.noop_interval},
                     {"noop-timeout", p.noop_timeout},
                     {"queue-depth", p.cmds_max}};
    j["max-connections"] = p.max_connections;
    j["connections"] = connections_json(*k);
    j["connection"] = {{"cid", k->cid},
                       {"exp-stat-sn", k->exp_stat_sn},
                       {"cmd-sn", k->cmd_sn},
                       {"exp-cmd-sn", k->exp_cmd_sn},
                       {"max-cmd-sn", k->max_cmd_sn}};
    j["luns"] = luns_json(k->host_no);
    co_return response::success(std::move(j));
}

asio::awaitable<response> session_manager::list_sessions() {
    std::vector<kernel_session_info> infos;
    if (auto err = co_await kernel_.sessions(infos))
        co_return response::error(failure::kernel, "cannot list the kernel's sessions: " + err.describe());
    json out = json::array();
    for (const auto& k : infos) {
        auto it = sessions_.find(k.session_id);
        json j = session_json(k, it != sessions_.end() ? it->second->portal : "");
        j["recoveries"] = it != sessions_.end() ? it->second->recoveries : 0;
        out.push_back(std::move(j));
    }
    co_return response::success({{"sessions", std::move(out)}});
}

asio::awaitable<response> session_manager::list_luns() {
    std::vector<kernel_session_info> infos;
    if (auto err = co_await kernel_.sessions(infos))
        co_return response::error(failure::kernel, "cannot list the kernel's sessions: " + err.describe());
    json out = json::array();
    for (const auto& k : infos) {
        for (auto l : luns_json(k.host_no)) {
            l["target"] = k.params.target_name;
            l["portal"] = k.params.portal;
            l["session"] = k.session_id;
            out.push_back(std::move(l));
        }
    }
    co_return response::success({{"luns", std::move(out)}});
}

void session_manager::on_kernel_event(const kernel_event& e) {
    auto it = sessions_.find(e.session_id);
    switch (e.type) {
    case kernel_event::kind::conn_error:
        if (it == sessions_.end()) {
            log::warning("kernel: connection error on session {} that this daemon does not know",
                         e.session_id);
            return;
        }
        log::warning("{}: connection lost (session {}: {})", it->second->config.target_name, e.session_id,
                     std::error_code(static_cast<int>(e.reason), std::system_category()).message());
        if (it->second->recovering)
            it->second->failed_again = true; // the recovery in progress binds again
        if (!it->second->recovering && !it->second->logging_out) {
            it->second->recovering = true;
            recoveries_.spawn(recover(it->second), "recovery of session " + std::to_string(e.session_id));
        }
        return;
    case kernel_event::kind::session_state:
        log::info("kernel: session {} is {}", e.session_id, to_string(e.state));
        if (e.state == session_state::removed && it != sessions_.end() && !it->second->logging_out) {
            // Removed by someone else (another netlink client): nothing to recover. A target's
            // logout request does not end here: the kernel logs out and reports a connection
            // error, and recovery reinstates the session on the same disk.
            forget(*it->second);
            sessions_.erase(it);
        }
        return;
    case kernel_event::kind::async_event:
        log::info("kernel: session {}: target event {} (vcode {})", e.session_id, e.async_event,
                  e.async_vcode);
        if (e.async_event == 1 && it != sessions_.end()) // RFC 7143 11.9.1: "logout request"
            log::notice("{}: the target asks for a logout (session {}): logging out, then in again",
                        it->second->config.target_name, e.session_id);
        return;
    case kernel_event::kind::scan_done:
        log::debug("kernel: session {} (SCSI host {}) scanned its LUNs", e.session_id, e.host_no);
        if (auto scan = scans_watched_.find(e.session_id); scan != scans_watched_.end())
            if (!scan_reached(scan->second.ended, e.scan_gen)) // events of one session come in order
                scan->second.ended = e.scan_gen;
        return;
    }
}

void session_manager::on_events_lost() {
    recoveries_.spawn(
        [this]() -> asio::awaitable<void> {
            std::vector<kernel_session_info> infos;
            if (auto err = co_await kernel_.sessions(infos)) {
                log::err("kernel: cannot re-read sessions after lost events: {}", err.describe());
                co_return;
            }
            for (const auto& k : infos)
                if (k.state == session_state::recovering || k.state == session_state::failed)
                    on_kernel_event(lost_connection(k.session_id));
        }(),
        "resynchronisation");
}

asio::awaitable<void> session_manager::recover(std::shared_ptr<session> s) {
    auto delay = std::chrono::seconds(std::max<std::uint32_t>(1, s->config.preferences.default_time2wait));
    for (unsigned attempt_no = 1; !s->logging_out; ++attempt_no) {
        if (!co_await sleep_for(delay) || s->logging_out)
            break;
        // Session reinstatement (ERL 0): the same ISID with TSIH 0 tells the target to drop the old
        // session; the kernel then retries the held commands on the new connection.
        auto tried = co_await connect_and_login(s->config, s->isid);
        if (s->logging_out)
            break;
        if (tried.connection) {
            auto& conn = *tried.connection;
            const auto connections = iscsi::connections_to_open(
                conn.login, s->config.preferences.max_connections, s->max_connections);
            co_await add_connections(s->config, s->isid, tried, connections);
            if (s->logging_out)
                break;
            s->failed_again = false;
            if (auto err = co_await bind_all(s->id, tried)) {
                log::err("{}: kernel refused the new connection: {}", s->config.target_name, err.describe());
                if (err.code == std::errc::no_such_file_or_directory) // the session is gone
                    break;
            } else if (s->failed_again) {
                log::warning("{}: a connection failed again while the session was restored",
                             s->config.target_name);
            } else {
                s->tsih = conn.login.tsih;
                s->portal = conn.address.to_string();
                ++s->recoveries;
                persist(*s);
                log::notice("{}: connection restored through {} (attempt {}, {} connection(s))",
                            s->config.target_name, s->portal, attempt_no, 1 + tried.added.size());
                break;
            }
        }
        delay = std::min<std::chrono::seconds>(delay * 2, max_backoff);
        log::info("{}: next login attempt in {} s", s->config.target_name, delay.count());
    }
    s->recovering = false;
}

asio::awaitable<void> session_manager::take_over() {
    std::vector<kernel_session_info> infos;
    if (auto err = co_await kernel_.sessions(infos)) {
        log::warning("kernel: cannot list existing sessions: {}", err.describe());
        co_return;
    }
    for (const auto& k : infos) {
        if (k.state == session_state::fresh) {
            // Made by a login that never bound its connection (a daemon killed between the two
            // steps): no I/O ever went through it and nobody can use it. Out of the way with it.
            auto err = co_await kernel_.session_del(k.session_id);
            if (err)
                log::warning("kernel: cannot delete session {} ({}), left by an unfinished login: {}",
                             k.session_id, k.params.target_name, err.describe());
            else
                log::notice("kernel: deleted session {} ({}), left without a connection by an "
                            "unfinished login",
                            k.session_id, k.params.target_name);
            continue;
        }
        std::ifstream in(state_dir_ / (std::to_string(k.session_id) + ".json"));
        json saved = json::parse(in, nullptr, false);
        std::string why;
        auto config =
            saved.is_discarded() ? std::nullopt : parse_target_config(saved.value("target", json()), why);
        if (!config || config->target_name != k.params.target_name) {
            log::warning(
                "kernel: session {} ({}) has no saved configuration: it cannot be recovered by this daemon",
                k.session_id, k.params.target_name);
            continue;
        }
        auto s = std::make_shared<session>();
        s->id = k.session_id;
        s->host_no = k.host_no;
        s->isid = k.params.isid;
        s->tsih = k.params.tsih;
        s->portal = k.params.portal;
        s->max_connections = std::max<std::uint16_t>(1, k.params.max_connections);
        s->config = std::move(*config);
        if (auto n = saved.find("negotiated"); n != saved.end() && n->is_object()) {
            auto time2 = [&n](const char* key) {
                auto v = n->find(key);
                return v != n->end() && v->is_number_unsigned() ? v->get<std::uint32_t>() : 0u;
            };
            s->default_time2wait = time2("default-time2wait");
            s->default_time2retain = time2("default-time2retain");
            if (auto a = n->find("target-alias"); a != n->end() && a->is_string())
                s->target_alias = a->get<std::string>();
        }
        sessions_[s->id] = s;
        log::notice("{}: took over session {} ({})", s->config.target_name, s->id, to_string(k.state));
        if (k.state == session_state::recovering || k.state == session_state::failed)
            on_kernel_event(lost_connection(s->id));
    }
}

asio::awaitable<void> session_manager::shutdown() {
    for (auto& [id, s] : sessions_)
        s->logging_out = true; // recovery loops end at their next step; sessions stay in the kernel
    recoveries_.cancel();
    co_await recoveries_.join();
}

void session_manager::persist(const session& s) const {
    // Secrets included: root-only directory and file, on /run (tmpfs, gone at reboot).
    std::error_code ec;
    std::filesystem::create_directories(state_dir_, ec);
    std::filesystem::permissions(state_dir_, std::filesystem::perms::owner_all, ec);
    const auto path = state_dir_ / (std::to_string(s.id) + ".json");
    const auto tmp = path.string() + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        log::warning("cannot save session {} for a daemon restart: {}", s.id, std::strerror(errno));
        return;
    }
    const std::string text = json{{"target", to_json(s.config)},
                                  {"negotiated",
                                   {{"default-time2wait", s.default_time2wait},
                                    {"default-time2retain", s.default_time2retain},
                                    {"target-alias", s.target_alias}}}}
                                 .dump();
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        log::warning("cannot save session {} for a daemon restart", s.id);
    }
}

void session_manager::forget(const session& s) const {
    std::error_code ec;
    std::filesystem::remove(state_dir_ / (std::to_string(s.id) + ".json"), ec);
}

} // namespace iscsid
