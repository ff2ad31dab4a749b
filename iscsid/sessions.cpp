// SPDX-License-Identifier: GPL-2.0-or-later
#include "sessions.hpp"

#include "iscsi/engine.hpp"
#include "log.hpp"
#include "sysfs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace asio = boost::asio;
using json = nlohmann::json;

namespace iscsid {

using control::failure;
using control::response;

struct session_manager::attempt {
    std::optional<iscsi::net::logged_in_connection> connection;
    iscsi::login_failure failure; // of the last portal tried, when no connection
};

namespace {

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// The control protocol's word for why a login failed, so iscsictl can choose its exit code.
failure classify(const iscsi::login_failure& f) {
    if (f.code == iscsi::errc::authentication_failed)
        return failure::authentication_failed;
    if (f.status && *f.status == 0x0203) // target not found
        return failure::not_found;
    if (f.code == iscsi::errc::timed_out || f.code.category() == std::system_category() ||
        f.code.category() == boost::asio::error::get_system_category() ||
        f.code.category() == boost::asio::error::get_netdb_category())
        return failure::unreachable;
    return failure::internal;
}

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

asio::awaitable<session_manager::attempt> session_manager::connect_and_login(const target_config& config,
                                                                             const iscsi::isid_bytes& isid) {
    attempt result;
    iscsi::net::engine_options options;
    options.connect_timeout = config.login_timeout;
    options.io_timeout = config.login_timeout;
    for (const auto& portal : config.portals) {
        auto conn = co_await iscsi::net::login(portal, config.login_config(isid), options);
        if (conn) {
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

asio::awaitable<json> session_manager::wait_for_luns(std::uint32_t host_no) {
    // The kernel scans after the first bind. Wait until every LUN has its disk and the set has been
    // the same for a moment (a scan adds LUNs one by one), or the limit passes.
    const auto deadline = std::chrono::steady_clock::now() + lun_scan_limit;
    json last;
    int stable = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        json now = luns_json(host_no);
        bool complete = !now.empty();
        for (const auto& l : now)
            complete = complete && !l["device"].get<std::string>().empty();
        stable = (complete && now == last) ? stable + 1 : 0;
        if (stable >= 3)
            co_return now;
        last = std::move(now);
        co_await sleep_for(std::chrono::milliseconds(100));
    }
    co_return last;
}

asio::awaitable<response> session_manager::login(const control::request& req) {
    std::string why;
    auto config = parse_target_config(req.params.value("target", json::object()), why);
    if (!config)
        co_return response::error(failure::bad_request, "login: " + why);
    if (auto existing = find(config->target_name))
        co_return response::error(failure::already_exists, config->target_name +
                                                               " is already logged in (session " +
                                                               std::to_string(existing->id) + ")");
    auto isid = iscsi::make_random_isid(0);
    if (!isid)
        co_return response::error(failure::internal, "no random ISID: " + isid.error().message());

    log::info("{}: logging in", config->target_name);
    auto tried = co_await connect_and_login(*config, *isid);
    if (!tried.connection)
        co_return response::error(classify(tried.failure),
                                  config->target_name + ": " + tried.failure.message);
    auto& conn = *tried.connection;

    std::uint32_t id = 0;
    std::uint32_t host = 0;
    if (auto err = co_await kernel_.session_new(kernel_params(*config, conn), id, host))
        co_return response::error(failure::kernel, "kernel refused the session: " + err.describe());
    if (auto err = co_await bind(kernel_, id, conn)) {
        co_await kernel_.session_del(id);
        co_return response::error(failure::kernel, "kernel refused the connection: " + err.describe());
    }
    auto s = std::make_shared<session>();
    s->id = id;
    s->host_no = host;
    s->isid = *isid;
    s->tsih = conn.login.tsih;
    s->portal = conn.address.to_string();
    s->config = std::move(*config);
    sessions_[id] = s;
    persist(*s);
    log::notice("{}: logged in through {}, session {}, SCSI host {}", s->config.target_name, s->portal, id,
                host);

    json luns = co_await wait_for_luns(host);
    co_return response::success({{"session", id},
                                 {"host", host},
                                 {"target", s->config.target_name},
                                 {"portal", s->portal},
                                 {"luns", std::move(luns)}});
}

asio::awaitable<response> session_manager::logout(const control::request& req) {
    std::shared_ptr<session> s;
    if (auto t = req.params.find("target"); t != req.params.end() && t->is_string()) {
        auto name = iscsi::parse_name(t->get<std::string>());
        s = name ? find(name->str()) : nullptr;
        if (!s)
            co_return response::error(failure::not_found, "no session with " + t->get<std::string>());
    } else if (auto id = req.params.find("session"); id != req.params.end() && id->is_number_unsigned()) {
        auto it = sessions_.find(id->get<std::uint32_t>());
        if (it == sessions_.end())
            co_return response::error(failure::not_found, "no session " + id->dump());
        s = it->second;
    } else {
        co_return response::error(failure::bad_request, "logout needs a target or a session");
    }
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
        if (!it->second->recovering && !it->second->logging_out) {
            it->second->recovering = true;
            recoveries_.spawn(recover(it->second), "recovery of session " + std::to_string(e.session_id));
        }
        return;
    case kernel_event::kind::session_state:
        log::info("kernel: session {} is {}", e.session_id, to_string(e.state));
        if (e.state == session_state::removed && it != sessions_.end() && !it->second->logging_out) {
            // Removed by the kernel itself (a target's logout request): nothing to recover.
            forget(*it->second);
            sessions_.erase(it);
        }
        return;
    case kernel_event::kind::async_event:
        log::info("kernel: session {}: target event {} (vcode {})", e.session_id, e.async_event,
                  e.async_vcode);
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
        co_await sleep_for(delay);
        if (s->logging_out)
            break;
        // Session reinstatement (ERL 0): the same ISID with TSIH 0 tells the target to drop the old
        // session; the kernel then retries the held commands on the new connection.
        auto tried = co_await connect_and_login(s->config, s->isid);
        if (s->logging_out)
            break;
        if (tried.connection) {
            auto& conn = *tried.connection;
            if (auto err = co_await bind(kernel_, s->id, conn)) {
                log::err("{}: kernel refused the new connection: {}", s->config.target_name, err.describe());
                if (err.code == std::errc::no_such_file_or_directory) // the session is gone
                    break;
            } else {
                s->tsih = conn.login.tsih;
                s->portal = conn.address.to_string();
                ++s->recoveries;
                persist(*s);
                log::notice("{}: connection restored through {} (attempt {})", s->config.target_name,
                            s->portal, attempt_no);
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
        s->config = std::move(*config);
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
    const std::string text = json{{"target", to_json(s.config)}}.dump();
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
