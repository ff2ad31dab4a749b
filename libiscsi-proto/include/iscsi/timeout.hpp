// SPDX-License-Identifier: GPL-2.0-or-later
// Timeouts as a named primitive: every network wait of the login engine and the daemon goes through
// with_timeout. Part of the engine (Asio), not of the I/O-free protocol library.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <utility>

namespace iscsi::net {

// Runs `op`; when `limit` passes first, `op` is cancelled and the result is nullopt.
// Pass operations completing with as_tuple(use_awaitable), so failures arrive as values, not exceptions.
template <class T>
boost::asio::awaitable<std::optional<T>> with_timeout(boost::asio::awaitable<T> op,
                                                      std::chrono::steady_clock::duration limit) {
    using namespace boost::asio::experimental::awaitable_operators;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
    auto winner =
        co_await (std::move(op) || timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
    if (winner.index() == 0)
        co_return std::get<0>(std::move(winner));
    co_return std::nullopt;
}

} // namespace iscsi::net
