#include "common/signal_io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace berth::common {

namespace net = boost::asio;

Signal::Signal(const net::any_io_executor& executor) : timer_(executor, net::steady_timer::time_point::max()) {}

net::awaitable<void> Signal::wait() { co_await timer_.async_wait(net::as_tuple(net::use_awaitable)); }

void Signal::notify_all() { timer_.cancel(); }

}  // namespace berth::common
