// SPDX-License-Identifier: GPL-2.0-or-later
#include "task_group.hpp"

#include "log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <exception>

namespace asio = boost::asio;

namespace iscsid {

task_group::task_group(asio::any_io_executor ex) : ex_(std::move(ex)), all_done_(ex_) {}

task_group::~task_group() {
    // Children still running hold iterators into children_: cancel them so none outlives the group
    // unnoticed. The owner is expected to have joined; this is the last line of defence.
    cancel();
}

void task_group::spawn(asio::awaitable<void> task, std::string name) {
    auto it = children_.emplace(children_.end());
    it->name = std::move(name);
    asio::co_spawn(ex_, std::move(task),
                   asio::bind_cancellation_slot(it->signal.slot(), [this, it](std::exception_ptr e) {
                       if (e) {
                           try {
                               std::rethrow_exception(e);
                           } catch (const boost::system::system_error& ex) {
                               // Cancellation is how the group stops its children: not an error.
                               if (ex.code() != asio::error::operation_aborted &&
                                   ex.code() != boost::system::errc::operation_canceled)
                                   log::err("{}: stopped on an unexpected error: {}", it->name, ex.what());
                           } catch (const std::exception& ex) {
                               log::err("{}: stopped on an unexpected error: {}", it->name, ex.what());
                           }
                       }
                       // The child's cancellation slot is still in use while this handler runs:
                       // forget the child once the handler has returned.
                       asio::post(ex_, [this, it] {
                           children_.erase(it);
                           if (children_.empty())
                               all_done_.cancel();
                       });
                   }));
}

void task_group::cancel() {
    for (auto& c : children_)
        c.signal.emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> task_group::join() {
    while (!children_.empty()) {
        all_done_.expires_at(asio::steady_timer::time_point::max());
        co_await all_done_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

} // namespace iscsid
