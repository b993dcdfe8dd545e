// Notifications reach a real HTTP receiver; a failing or absent receiver is retried in the background
// and never holds up the caller.
#include "control/notifier.hpp"
#include "control/request_parser.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <mutex>
#include <sstream>
#include <thread>

namespace berth::test {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

// Answers every POST with `status` and keeps what it received.
class Receiver {
 public:
  explicit Receiver(int status)
      : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), status_(status) {
    net::co_spawn(io_, accept_loop(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<control::ParsedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(net::use_awaitable);
      net::co_spawn(io_, serve(std::move(socket)), net::detached);
    }
  }
  net::awaitable<void> serve(tcp::socket socket) {
    control::RequestParser parser;
    std::array<char, 4096> buf{};
    while (!parser.done() && !parser.failed()) {
      const std::size_t n = co_await socket.async_read_some(net::buffer(buf), net::use_awaitable);
      parser.feed(std::string_view(buf.data(), n));
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(parser.take_request());
    }
    const std::string answer =
        "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    co_await net::async_write(socket, net::buffer(answer), net::use_awaitable);
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  int status_;
  mutable std::mutex mutex_;
  std::vector<control::ParsedRequest> requests_;
  std::thread thread_;
};

const std::string kFrom = "sha256:" + std::string(64, 'a');
const std::string kTo = "sha256:" + std::string(64, 'b');

json rolled_back() {
  return {{"type", "swap"},          {"swap", "s1"},         {"service", "web"}, {"step", "finish"},
          {"result", "rolled_back"}, {"from_digest", kFrom}, {"to_digest", kTo}, {"detail", "probe failed"}};
}

// Runs the notifier's loop until `done` or `bound`.
template <class Done>
void run_until(net::io_context& io, Done done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(20ms);
  }
}

TEST(NotifierTest, PostsToTheTargetsThatWantTheEvent) {
  Receiver wants(200);
  Receiver other(200);
  net::io_context io;
  control::NotifierOptions options;
  options.host_name = "host-1";
  control::Notifier notifier(
      io.get_executor(),
      {config::NotifyTarget{"http://127.0.0.1:" + std::to_string(wants.port()) + "/T000/B000/s3cret",
                            {config::NotifyEvent::kRolledBack, config::NotifyEvent::kFailed}},
       config::NotifyTarget{"http://127.0.0.1:" + std::to_string(other.port()) + "/x",
                            {config::NotifyEvent::kSwapped}}},
      options);
  notifier.notify(rolled_back());
  notifier.notify({{"type", "swap"}, {"swap", "s1"}, {"step", "pull"}});  // progress: nobody is told
  run_until(
      io, [&] { return notifier.in_flight() == 0; }, 10s);
  const auto received = wants.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(other.requests().empty());
  const auto& req = received[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/T000/B000/s3cret");
  EXPECT_EQ(req.header("content-type"), "application/json");
  const auto body = json::parse(req.body);
  EXPECT_EQ(body["event"], "rolled_back");
  EXPECT_EQ(body["service"], "web");
  EXPECT_EQ(body["host"], "host-1");
  EXPECT_EQ(body["from_digest"], kFrom);
  EXPECT_EQ(body["to_digest"], kTo);
  EXPECT_EQ(body["reason"], "probe failed");
  EXPECT_NE(body["text"].get<std::string>().find("web rolled back"), std::string::npos);
}

TEST(NotifierTest, FailuresAreRetriedInTheBackgroundAndNeverBlock) {
  Receiver failing(500);
  net::io_context io;
  control::NotifierOptions options;
  options.attempts = 3;
  options.first_backoff = 50ms;
  options.attempt_timeout = 2s;
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  spdlog::default_logger()->sinks().push_back(sink);
  {
    // Port 1 on loopback: nothing listens there, every attempt is refused.
    control::Notifier notifier(
        io.get_executor(),
        {config::NotifyTarget{"http://127.0.0.1:" + std::to_string(failing.port()) + "/hook/s3cret", {}},
         config::NotifyTarget{"http://127.0.0.1:1/hook/s3cret", {config::NotifyEvent::kRolledBack}}},
        options);
    const auto before = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
      notifier.notify(rolled_back());
    }
    EXPECT_LT(std::chrono::steady_clock::now() - before, 100ms);  // returns at once
    EXPECT_EQ(notifier.in_flight(), 6u);
    run_until(
        io, [&] { return notifier.in_flight() == 0; }, 20s);
    EXPECT_EQ(notifier.in_flight(), 0u);
  }
  spdlog::default_logger()->sinks().pop_back();
  EXPECT_EQ(failing.requests().size(), 9u);  // 3 notifications x 3 attempts
  const std::string log = captured.str();
  EXPECT_NE(log.find("giving up"), std::string::npos);
  EXPECT_EQ(log.find("s3cret"), std::string::npos) << log;
}

TEST(NotifierTest, InFlightDeliveriesAreBounded) {
  net::io_context io;
  control::NotifierOptions options;
  options.max_in_flight = 2;
  options.attempts = 1;
  control::Notifier notifier(io.get_executor(), {config::NotifyTarget{"http://127.0.0.1:1/x", {}}}, options);
  for (int i = 0; i < 10; ++i) {
    notifier.notify(rolled_back());
  }
  EXPECT_EQ(notifier.in_flight(), 2u);
  run_until(
      io, [&] { return notifier.in_flight() == 0; }, 10s);
  EXPECT_EQ(notifier.in_flight(), 0u);
}

}  // namespace
}  // namespace berth::test
