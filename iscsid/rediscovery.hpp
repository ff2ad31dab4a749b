// SPDX-License-Identifier: GPL-2.0-or-later
// Periodic re-discovery: every [discovery "P"] section of the target store with `interval = N`
// (seconds, 0 = off) is asked SendTargets every N seconds, and what it answers is merged into the
// store with iscsictl's own merge (under the store's flock), so targets found by the daemon are
// recorded exactly as `iscsictl discover` records them. The store is re-read at every tick, so a
// changed interval, a new or removed discovery portal takes effect without a restart.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace iscsid {

class rediscovery {
public:
    // How often the store is read to see which discovery portal is due.
    static constexpr std::chrono::seconds tick{15};

    rediscovery(boost::asio::any_io_executor ex, std::filesystem::path store,
                std::filesystem::path initiatorname_file);
    ~rediscovery();

    // Runs until cancelled (the daemon's task group at shutdown).
    boost::asio::awaitable<void> run();

    // One pass: reads the store and discovers every portal that is due at `now`. Public for tests.
    boost::asio::awaitable<void> run_due(std::chrono::steady_clock::time_point now);

private:
    struct schedule {
        std::uint64_t interval = 0; // seconds, as last read
        std::chrono::steady_clock::time_point due;
    };
    void problem(const std::string& message);

    boost::asio::any_io_executor ex_;
    std::filesystem::path store_;
    std::filesystem::path initiatorname_;
    boost::asio::thread_pool files_{1}; // store reads and writes (flock may wait): off the daemon's thread
    std::map<std::string, schedule> schedule_;
    std::string last_problem_; // logged once until it changes
};

} // namespace iscsid
