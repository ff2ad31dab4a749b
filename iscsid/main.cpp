// SPDX-License-Identifier: GPL-2.0-or-later
// iscsid: the iSCSI initiator daemon.
#include "control_protocol.hpp"
#include "daemon.hpp"
#include "kernel.hpp"
#include "store.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <uapi/iscsi_ini.h>

#ifndef ISCSI_INI_VERSION
#define ISCSI_INI_VERSION "unknown"
#endif

namespace {

// --check-kernel: one version query, printed for a human.
int check_kernel() {
    boost::asio::io_context ctx;
    iscsid::kernel k(ctx.get_executor());
    if (auto ec = k.open()) {
        if (ec == std::errc::no_such_file_or_directory)
            std::fprintf(stderr, "iscsid: the kernel module is not loaded (modprobe iscsi_ini)\n");
        else
            std::fprintf(stderr, "iscsid: cannot reach the kernel's netlink family %s: %s\n",
                         ISCSI_INI_FAMILY_NAME, ec.message().c_str());
        return 1;
    }
    int status = 1;
    boost::asio::co_spawn(ctx, k.run(), boost::asio::detached);
    boost::asio::co_spawn(
        ctx,
        [&]() -> boost::asio::awaitable<void> {
            iscsid::kernel_version v;
            auto err = co_await k.version(v);
            k.close();
            if (err) {
                std::fprintf(stderr, "iscsid: version query failed: %s\n", err.describe().c_str());
                co_return;
            }
            std::printf("kernel module iscsi_ini %s, netlink interface version %u (iscsid speaks %u)\n",
                        v.module.c_str(), v.interface, ISCSI_INI_FAMILY_VERSION);
            if (v.interface != ISCSI_INI_FAMILY_VERSION) {
                std::fprintf(stderr,
                             "iscsid: kernel interface version %u is not the one this daemon speaks (%u)\n",
                             v.interface, ISCSI_INI_FAMILY_VERSION);
                co_return;
            }
            status = 0;
        },
        boost::asio::detached);
    ctx.run();
    return status;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"iscsid: the iSCSI initiator daemon. Logs in to targets for iscsictl, hands each logged-in "
                 "connection to the iscsi_ini kernel module, and serves iscsictl on a Unix socket."};
    app.set_version_flag("--version", std::string("iscsid ") + ISCSI_INI_VERSION);
    iscsid::daemon_options opts;
    opts.socket_path = std::string(iscsid::control::default_socket_path);
    opts.store_path = std::string(iscsictl::default_store_path);
    opts.initiatorname_path = std::string(iscsictl::default_initiatorname_path);
    bool check = false;
    app.add_option("--socket", opts.socket_path, "Control socket path")->capture_default_str();
    app.add_option("--store", opts.store_path,
                   "Target store read for periodic re-discovery ([discovery] sections with an interval)")
        ->capture_default_str();
    app.add_option("--initiatorname", opts.initiatorname_path,
                   "Initiator name file, used by re-discovery when the store's [initiator] sets no name")
        ->capture_default_str();
    app.add_flag("-f,--foreground", opts.foreground,
                 "Stay in the foreground and log to stderr (systemd and tests); otherwise detach once the "
                 "control socket listens and log to syslog");
    app.add_flag("-v,--verbose", opts.verbose, "Log debug messages too");
    app.add_flag("--check-kernel", check,
                 "Ask the loaded kernel module for its netlink interface version and exit: 0 when it is the "
                 "version this daemon speaks");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" that exit 0; real usage errors exit 2, as documented.
        int status = app.exit(e);
        return status == 0 ? 0 : 2;
    }
    if (check)
        return check_kernel();
    return iscsid::run_daemon(opts);
}
