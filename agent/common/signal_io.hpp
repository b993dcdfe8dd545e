#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <deque>
#include <memory>

namespace berth::common {

// The completion token of berth's coroutines: co_await gives (error_code, results...) instead of throwing.
inline constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Wakes every coroutine waiting on it; waiters re-check their condition.
class Signal {
 public:
  explicit Signal(const boost::asio::any_io_executor& executor);
  boost::asio::awaitable<void> wait();
  void notify_all();

 private:
  boost::asio::steady_timer timer_;
};

// A bound on how many coroutines hold a permit at once. Waiters get permits in the order they asked, one
// woken per release (no herd of waiters re-checking a condition).
class Semaphore {
 public:
  // Returned by acquire(); gives the permit back when destroyed.
  class Permit {
   public:
    Permit() = default;
    explicit Permit(Semaphore* owner) : owner_(owner) {}
    Permit(Permit&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { reset(); }
    void reset();

   private:
    Semaphore* owner_ = nullptr;
  };

  Semaphore(const boost::asio::any_io_executor& executor, std::size_t permits);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  boost::asio::awaitable<Permit> acquire();
  [[nodiscard]] std::size_t available() const { return available_; }
  [[nodiscard]] std::size_t waiting() const { return waiters_.size(); }

 private:
  struct Waiter;
  void release();

  boost::asio::any_io_executor executor_;
  std::size_t available_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace berth::common
