#pragma once

// Blocking work (a child process, a netlink dump) on a small thread pool, awaited from the event loop.
// For the io side only (*_io.cpp): it pulls in Asio.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

namespace berth::common {

// Runs blocking work on `pool` and resumes the calling coroutine on its own executor with the result. The
// caller's executor counts as busy meanwhile, so its io_context does not run out of work.
// (GCC 12 destroys a lambda temporary with non-trivial captures twice when it appears in a co_await
// expression: lambdas are named before they are awaited.)
template <class Work>
boost::asio::awaitable<std::invoke_result_t<Work&>> off_loop(boost::asio::thread_pool& pool, Work work) {
  namespace net = boost::asio;
  using Value = std::invoke_result_t<Work&>;
  auto home = net::prefer(co_await net::this_coro::executor, net::execution::outstanding_work.tracked);
  auto initiation = [&pool, home](auto handler, Work job) {
    net::post(pool, [handler = std::move(handler), job = std::move(job), home]() mutable {
      Value value = job();
      net::post(home, [handler = std::move(handler), value = std::move(value)]() mutable {
        std::move(handler)(std::move(value));
      });
    });
  };
  co_return co_await net::async_initiate<decltype(net::use_awaitable), void(Value)>(
      std::move(initiation), net::use_awaitable, std::move(work));
}

}  // namespace berth::common
