// SPDX-License-Identifier: GPL-2.0-or-later
// iscsictl: the command-line front end of the iSCSI initiator.
#include <CLI/CLI.hpp>

#ifndef ISCSI_INI_VERSION
#define ISCSI_INI_VERSION "unknown"
#endif

int main(int argc, char** argv) {
    CLI::App app{"iscsictl: manage iSCSI targets, discovery portals and sessions"};
    app.set_version_flag("--version", std::string("iscsictl ") + ISCSI_INI_VERSION);
    app.require_subcommand(1);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
