// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon.hpp"

#include "control_server.hpp"
#include "discovery.hpp"
#include "kernel.hpp"
#include "log.hpp"
#include "rediscovery.hpp"
#include "sessions.hpp"
#include "task_group.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <systemd/sd-daemon.h>
#include <uapi/iscsi_ini.h>
#include <unistd.h>

#ifndef ISCSI_INI_VERSION
#define ISCSI_INI_VERSION "unknown"
#endif

namespace asio = boost::asio;
using json = nlohmann::json;

namespace iscsid {
namespace {

// What the daemon knows of the kernel side, for `status` and the start-up log.
asio::awaitable<json> probe_kernel(kernel* k) {
    if (!k)
        co_return json{{"error", "the kernel module iscsi_ini is not loaded"}};
    kernel_version v;
    if (auto err = co_await k->version(v)) {
        log::warning("kernel: version query failed: {}", err.describe());
        co_return json{{"error", "version query failed: " + err.describe()}};
    }
    json j{{"module", v.module}, {"interface", v.interface}};
    if (v.interface != ISCSI_INI_FAMILY_VERSION)
        j["error"] = "interface version " + std::to_string(v.interface) +
                     " is not the one this daemon speaks (" + std::to_string(ISCSI_INI_FAMILY_VERSION) + ")";
    co_return j;
}

// Leaves the terminal once the socket listens, so the parent's exit means "ready".
bool detach(asio::io_context& ctx) {
    ctx.notify_fork(asio::execution_context::fork_prepare);
    pid_t pid = ::fork();
    if (pid < 0) {
        log::err("cannot fork: {}", std::error_code(errno, std::system_category()).message());
        return false;
    }
    if (pid > 0)
        ::_exit(0);
    ctx.notify_fork(asio::execution_context::fork_child);
    ::setsid();
    if (::chdir("/") != 0)
        return false;
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        ::close(null);
    }
    log::use_syslog();
    return true;
}

} // namespace

int run_daemon(const daemon_options& opts) {
    log::set_verbose(opts.verbose);
    asio::io_context ctx;
    control_server server(ctx.get_executor());

    if (int n = sd_listen_fds(1); n == 1) {
        if (auto ec = server.adopt(SD_LISTEN_FDS_START)) {
            log::err("cannot use the socket systemd passed: {}", ec.message());
            return 1;
        }
        log::info("control socket passed by systemd");
    } else if (auto ec = server.listen(opts.socket_path)) {
        if (ec == std::errc::address_in_use)
            log::err("another iscsid is already running on {}", opts.socket_path);
        else
            log::err("cannot listen on {}: {}", opts.socket_path, ec.message());
        return 1;
    } else {
        log::info("listening on {}", opts.socket_path);
    }

    // The module may be loaded after the daemon starts; until then status says it is missing and
    // session requests fail with a clear error.
    std::unique_ptr<kernel> k = std::make_unique<kernel>(ctx.get_executor());
    if (auto ec = k->open()) {
        log::warning("kernel: {}", ec == std::errc::no_such_file_or_directory
                                       ? "the kernel module iscsi_ini is not loaded"
                                       : "netlink: " + ec.message());
        k.reset();
    }
    std::unique_ptr<session_manager> sessions;
    if (k) {
        sessions = std::make_unique<session_manager>(
            ctx.get_executor(), *k, std::filesystem::path(opts.socket_path).parent_path() / "sessions");
        if (auto ec = k->subscribe([&sessions](const kernel_event& e) { sessions->on_kernel_event(e); },
                                   [&sessions] { sessions->on_events_lost(); }))
            log::err("kernel: cannot subscribe to its events: {}", ec.message());
        sessions->register_methods(server);
    } else {
        for (const char* method : {"login", "logout", "modify", "rescan", "session", "sessions", "luns"})
            server.add_method(
                method, false,
                [](const control::request&, const peer_credentials&) -> asio::awaitable<control::response> {
                    co_return control::response::error(
                        control::failure::kernel,
                        "the kernel module iscsi_ini is not loaded (modprobe iscsi_ini, "
                        "then restart iscsid)");
                });
    }
    register_discovery(server); // needs no kernel
    server.add_method(
        "status", false,
        [&k](const control::request&, const peer_credentials&) -> asio::awaitable<control::response> {
            json kernel_state = co_await probe_kernel(k.get());
            co_return control::response::success({
                {"daemon", {{"version", ISCSI_INI_VERSION}, {"pid", ::getpid()}}},
                {"kernel", std::move(kernel_state)},
            });
        });

    if (!opts.foreground && !detach(ctx))
        return 1;

    // Background work that ends at shutdown: periodic re-discovery.
    task_group background(ctx.get_executor());
    rediscovery rediscover(ctx.get_executor(), opts.store_path, opts.initiatorname_path);

    asio::signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&](const std::error_code& ec, int signo) {
        if (ec)
            return;
        log::info("signal {}: shutting down (sessions stay in the kernel)", signo);
        sd_notify(0, "STOPPING=1");
        server.close();
        background.cancel();
        asio::co_spawn(
            ctx,
            [&]() -> asio::awaitable<void> {
                if (sessions)
                    co_await sessions->shutdown();
                if (k)
                    k->close();
            },
            asio::detached);
    });
    ::signal(SIGPIPE, SIG_IGN);

    asio::co_spawn(ctx, server.serve(), [&](std::exception_ptr e) {
        if (e)
            log::err("control socket stopped on an unexpected error");
        signals.cancel();
    });
    if (k) {
        asio::co_spawn(ctx, k->run(), asio::detached);
        asio::co_spawn(ctx, sessions->take_over(), asio::detached);
    }
    if (!opts.store_path.empty())
        background.spawn(rediscover.run(), "re-discovery");
    sd_notify(0, "READY=1\nSTATUS=serving");
    log::notice("iscsid {} ready", ISCSI_INI_VERSION);
    ctx.run();
    log::info("stopped");
    return 0;
}

} // namespace iscsid
