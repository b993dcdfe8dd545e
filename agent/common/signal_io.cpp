#include "common/signal_io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace berth::common {

namespace net = boost::asio;

Signal::Signal(const net::any_io_executor& executor) : timer_(executor, net::steady_timer::time_point::max()) {}

net::awaitable<void> Signal::wait() { co_await timer_.async_wait(net::as_tuple(net::use_awaitable)); }

void Signal::notify_all() { timer_.cancel(); }

struct Semaphore::Waiter {
  explicit Waiter(const net::any_io_executor& executor) : timer(executor, net::steady_timer::time_point::max()) {}
  net::steady_timer timer;
  bool granted = false;
};

Semaphore::Permit& Semaphore::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

void Semaphore::Permit::reset() {
  if (owner_ != nullptr) {
    owner_->release();
    owner_ = nullptr;
  }
}

Semaphore::Semaphore(const net::any_io_executor& executor, std::size_t permits)
    : executor_(executor), available_(permits) {}

net::awaitable<Semaphore::Permit> Semaphore::acquire() {
  if (available_ > 0 && waiters_.empty()) {
    --available_;
    co_return Permit(this);
  }
  auto waiter = std::make_shared<Waiter>(executor_);
  waiters_.push_back(waiter);
  while (!waiter->granted) {
    co_await waiter->timer.async_wait(net::as_tuple(net::use_awaitable));
  }
  co_return Permit(this);
}

// The permit goes straight to the longest waiter, if any.
void Semaphore::release() {
  if (waiters_.empty()) {
    ++available_;
    return;
  }
  auto next = std::move(waiters_.front());
  waiters_.pop_front();
  next->granted = true;
  next->timer.cancel();
}

}  // namespace berth::common
