// SPDX-License-Identifier: GPL-2.0-or-later
// Structured concurrency for the daemon's coroutines: a group spawns children, can cancel them all,
// and lets its owner wait until every child has ended, so shutdown leaves nothing running.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <list>
#include <string>
#include <utility>

namespace iscsid {

class task_group {
public:
    explicit task_group(boost::asio::any_io_executor ex);
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    ~task_group();

    // Starts `task`. An exception escaping it is logged with `name`, never propagated.
    void spawn(boost::asio::awaitable<void> task, std::string name);

    // Asks every running child to stop (terminal cancellation of its current wait).
    void cancel();

    // Completes once no child is running.
    boost::asio::awaitable<void> join();

    [[nodiscard]] std::size_t running() const noexcept { return children_.size(); }

private:
    struct child {
        boost::asio::cancellation_signal signal;
        std::string name;
    };
    boost::asio::any_io_executor ex_;
    std::list<child> children_;
    boost::asio::steady_timer all_done_;
};

} // namespace iscsid
