// SPDX-License-Identifier: GPL-2.0-or-later
// iscsictl run in process, as a user would run it, against a private directory: its store, its
// initiator name file and its daemon socket (nobody listens there unless the test starts a daemon).
#pragma once

#include "cli.hpp"
#include "exit_codes.hpp"
#include "temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace iscsictl {

struct command_result {
    int code;
    std::string out;
    std::string err;
};

inline int code_of(exit_code code) {
    return static_cast<int>(code);
}

class iscsictl_test : public ::testing::Test {
protected:
    // `prefix` names the test's directory.
    explicit iscsictl_test(std::string_view prefix) : tmp(prefix) {
        ::setenv("ISCSICTL_STORE", store_path.c_str(), 1);
        ::setenv("ISCSICTL_INITIATORNAME", initiatorname.c_str(), 1);
        // Never a real daemon on this host.
        ::setenv("ISCSICTL_SOCKET", socket.c_str(), 1);
    }
    ~iscsictl_test() override {
        ::unsetenv("ISCSICTL_STORE");
        ::unsetenv("ISCSICTL_INITIATORNAME");
        ::unsetenv("ISCSICTL_SOCKET");
    }

    // One command line, `input` as its standard input.
    static command_result iscsictl(const std::vector<std::string>& args, const std::string& input = "") {
        std::vector<const char*> argv{"iscsictl"};
        for (const auto& arg : args)
            argv.push_back(arg.c_str());
        std::istringstream in(input);
        std::ostringstream out, err;
        int code = run(static_cast<int>(argv.size()), argv.data(), {in, out, err, false});
        return {code, out.str(), err.str()};
    }

    [[nodiscard]] std::string store_text() const {
        std::ifstream in(store_path, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    test::temp_dir tmp;
    std::filesystem::path dir = tmp.path();
    std::filesystem::path store_path = dir / "targets.ini";
    std::filesystem::path initiatorname = dir / "initiatorname.iscsi";
    std::filesystem::path socket = dir / "iscsid.sock";
};

} // namespace iscsictl
