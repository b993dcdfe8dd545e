#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>

namespace berth::test {

// Runs coroutines to completion on an io_context owned by the test, with a bound on the wait so a
// hanging call fails the test instead of the run.
class AsyncRunner {
 public:
  boost::asio::io_context& context() { return ctx_; }
  boost::asio::any_io_executor executor() { return ctx_.get_executor(); }

  template <class T>
  T run(boost::asio::awaitable<T> op, std::chrono::seconds bound = std::chrono::seconds(120)) {
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(ctx_, std::move(op), [&](std::exception_ptr e, T value) {
      error = e;
      if (!e) {
        out.emplace(std::move(value));
      }
    });
    ctx_.restart();
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!out && !error) {
      if (ctx_.run_one_until(deadline) == 0 && std::chrono::steady_clock::now() >= deadline) {
        throw std::runtime_error("async operation did not finish in time");
      }
    }
    if (error) {
      std::rethrow_exception(error);
    }
    return std::move(*out);
  }

 private:
  boost::asio::io_context ctx_;
};

}  // namespace berth::test
