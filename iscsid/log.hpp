// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's log: one line per event on stderr. Under systemd (JOURNAL_STREAM set) each line starts
// with a "<N>" syslog priority that journald understands; otherwise with the level's name. A daemon
// that detached from its terminal logs to syslog instead.
// Secrets never go through here: callers log names and portals, never CHAP values.
#pragma once

#include <fmt/format.h>
#include <string_view>

namespace iscsid::log {

enum class level { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

void set_verbose(bool on) noexcept;
// From now on write to syslog (facility daemon) instead of stderr: for a daemon that left its terminal.
void use_syslog() noexcept;
void write(level lvl, std::string_view message);

template <class... Args>
void err(fmt::format_string<Args...> f, Args&&... args) {
    write(level::err, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
    write(level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
    write(level::notice, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    write(level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    write(level::debug, fmt::format(f, std::forward<Args>(args)...));
}

} // namespace iscsid::log
