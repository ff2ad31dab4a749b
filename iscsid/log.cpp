// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <syslog.h>

namespace iscsid::log {
namespace {

bool verbose = false;
bool to_syslog = false;

const char* name(level lvl) {
    switch (lvl) {
    case level::err:
        return "error";
    case level::warning:
        return "warning";
    case level::notice:
        return "notice";
    case level::info:
        return "info";
    case level::debug:
        return "debug";
    }
    return "?";
}

} // namespace

void set_verbose(bool on) noexcept {
    verbose = on;
}

void use_syslog() noexcept {
    openlog("iscsid", LOG_PID, LOG_DAEMON);
    to_syslog = true;
}

void write(level lvl, std::string_view message) {
    if (lvl == level::debug && !verbose)
        return;
    if (to_syslog) {
        syslog(static_cast<int>(lvl), "%.*s", static_cast<int>(message.size()), message.data());
        return;
    }
    static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
    std::string line = journal ? fmt::format("<{}>{}\n", static_cast<int>(lvl), message)
                               : fmt::format("iscsid: {}: {}\n", name(lvl), message);
    // One write per line, so lines from a crashing daemon are never interleaved halves.
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

} // namespace iscsid::log
