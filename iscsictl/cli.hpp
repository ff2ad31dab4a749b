// SPDX-License-Identifier: GPL-2.0-or-later
// The iscsictl command line: argument parsing (CLI11) and one function per verb. main() is a thin
// wrapper, so tests run whole commands in process with their own streams.
#pragma once

#include <iosfwd>

namespace iscsictl {

// Where a command reads secrets and writes its output and errors.
struct invocation {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    bool in_is_terminal = false; // chap-secret=- then prompts and turns echo off on standard input
};

// Runs one command line (argv[0] is the program name) and returns its exit status (exit_codes.hpp).
// Environment: ISCSICTL_STORE (store path unless --store), ISCSICTL_INITIATORNAME (the
// initiatorname.iscsi file, for tests and chroots), ISCSICTL_SOCKET (iscsid's socket unless --socket).
int run(int argc, const char* const* argv, const invocation& io);

} // namespace iscsictl
