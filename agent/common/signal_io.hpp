#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace berth::common {

// Wakes every coroutine waiting on it; waiters re-check their condition.
class Signal {
 public:
  explicit Signal(const boost::asio::any_io_executor& executor);
  boost::asio::awaitable<void> wait();
  void notify_all();

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace berth::common
