// SPDX-License-Identifier: GPL-2.0-or-later
// iscsictl: the command-line front end of the iSCSI initiator.
#include "cli.hpp"

#include <iostream>
#include <unistd.h>

int main(int argc, char** argv) {
    return iscsictl::run(argc, argv, {std::cin, std::cout, std::cerr, ::isatty(STDIN_FILENO) == 1});
}
