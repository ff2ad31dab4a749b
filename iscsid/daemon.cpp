// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon.hpp"

#include "control_server.hpp"
#include "kernel_link.hpp"
#include "log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fcntl.h>
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

// What the daemon knows of the kernel side, for `status`.
json probe_kernel() {
    kernel_link link;
    if (auto ec = kernel_link::open(link)) {
        std::string why = ec == std::errc::no_such_file_or_directory
                              ? "the kernel module iscsi_ini is not loaded"
                              : "netlink: " + ec.message();
        log::warning("kernel: {}", why);
        return {{"error", why}};
    }
    kernel_version v;
    if (auto ec = link.query_version(v)) {
        log::warning("kernel: version query failed: {}", ec.message());
        return {{"error", "version query failed: " + ec.message()}};
    }
    log::info("kernel: module iscsi_ini {}, netlink interface version {}", v.module, v.interface);
    json k{{"module", v.module}, {"interface", v.interface}};
    if (v.interface != ISCSI_INI_FAMILY_VERSION)
        k["error"] = "interface version " + std::to_string(v.interface) +
                     " is not the one this daemon speaks (" + std::to_string(ISCSI_INI_FAMILY_VERSION) + ")";
    return k;
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

    probe_kernel(); // logs what the daemon finds at start
    server.add_method(
        "status", false,
        [](const control::request&, const peer_credentials&) -> asio::awaitable<control::response> {
            co_return control::response::success({
                {"daemon", {{"version", ISCSI_INI_VERSION}, {"pid", ::getpid()}}},
                // Probed again: the module may have been loaded or unloaded since.
                {"kernel", probe_kernel()},
                {"sessions", json::array()},
            });
        });

    if (!opts.foreground && !detach(ctx))
        return 1;

    asio::signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&](const std::error_code& ec, int signo) {
        if (ec)
            return;
        log::info("signal {}: shutting down", signo);
        sd_notify(0, "STOPPING=1");
        server.close();
    });
    ::signal(SIGPIPE, SIG_IGN);

    asio::co_spawn(ctx, server.serve(), [&](std::exception_ptr e) {
        if (e)
            log::err("control socket stopped on an unexpected error");
        signals.cancel();
    });
    sd_notify(0, "READY=1\nSTATUS=serving");
    log::notice("iscsid {} ready", ISCSI_INI_VERSION);
    ctx.run();
    log::info("stopped");
    return 0;
}

} // namespace iscsid
