// The host ports berth switches, against the real kernel, in a network namespace of the test's own (its
// loopback only): nft's table, new connections moving at once, open ones staying where they began, and
// conntrack's view of them.
#include "hostport/port_switch.hpp"
#include "support/async.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace berth::hostport {
namespace {

using namespace std::chrono_literals;
using test::AsyncRunner;
using test::shell;

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  ~Socket() { reset(); }
  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&& other) noexcept {
    reset();
    fd_ = other.fd_;
    other.fd_ = -1;
    return *this;
  }
  [[nodiscard]] int fd() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

sockaddr_in address_of(const char* ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

Socket listener(const char* ip, std::uint16_t port) {
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const sockaddr_in a = address_of(ip, port);
  if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0 || ::listen(s.fd(), 16) != 0) {
    ADD_FAILURE() << "listen on " << ip << ":" << port << ": " << std::strerror(errno);
  }
  return s;
}

// A connection to 127.0.0.1:port; an empty socket when it is refused.
Socket connect_local(std::uint16_t port) {
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in a = address_of("127.0.0.1", port);
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
    return Socket();
  }
  return s;
}

// The connection waiting on `listening`, within 2 s; an empty socket when none came.
Socket accept_one(const Socket& listening) {
  pollfd p{listening.fd(), POLLIN, 0};
  if (::poll(&p, 1, 2000) != 1) return Socket();
  return Socket(::accept4(listening.fd(), nullptr, nullptr, SOCK_CLOEXEC));
}

class PortSwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The whole process moves to a fresh network namespace: threads and children started from here on
    // (the switch's pool, nft) are in it too. ctest runs every test in a process of its own.
    if (::unshare(CLONE_NEWNET) != 0) {
      if (test::docker_required()) FAIL() << "unshare(CLONE_NEWNET): " << std::strerror(errno) << " (CI runs as root)";
      GTEST_SKIP() << "needs root for a network namespace: " << std::strerror(errno);
    }
    auto up = shell("ip link set lo up && command -v nft");
    ASSERT_EQ(up.exit_code, 0) << up.output << "(nft comes with the nftables package: scripts/install-deps)";
  }

  AsyncRunner runner_;
};

TEST_F(PortSwitchTest, NewConnectionsMoveAtOnceAndOpenOnesStayUntilTheyClose) {
  PortSwitch ports;
  const Socket old_server = listener("127.0.0.2", 9000);
  const Socket new_server = listener("127.0.0.3", 9000);
  const Target old_target{"127.0.0.2", 9000};
  const Target new_target{"127.0.0.3", 9000};

  auto empty = runner_.run(ports.current());
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->empty()) << "no table yet";
  EXPECT_FALSE(connect_local(8080).fd() >= 0) << "nothing answers on the port before berth points it";

  auto pointed = runner_.run(ports.point(8080, old_target, "lo"));
  ASSERT_TRUE(pointed) << pointed.error().message;
  EXPECT_EQ(*runner_.run(ports.current()), (PortMap{{8080, old_target}}));
  Socket kept = connect_local(8080);
  ASSERT_GE(kept.fd(), 0);
  Socket kept_server_side = accept_one(old_server);
  ASSERT_GE(kept_server_side.fd(), 0) << "the port leads to the old server";
  auto open_now = runner_.run(ports.open_connections(old_target));
  ASSERT_TRUE(open_now) << open_now.error().message;
  EXPECT_EQ(*open_now, 1);

  // The switch: new connections go to the new server at once; the open one stays with the old.
  ASSERT_TRUE(runner_.run(ports.point(8080, new_target, "lo")));
  EXPECT_EQ(*runner_.run(ports.current()), (PortMap{{8080, new_target}}));
  Socket fresh = connect_local(8080);
  ASSERT_GE(fresh.fd(), 0);
  EXPECT_GE(accept_one(new_server).fd(), 0) << "a new connection reaches the new server";
  ASSERT_EQ(::send(kept.fd(), "x", 1, MSG_NOSIGNAL), 1);
  char byte = 0;
  pollfd p{kept_server_side.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  EXPECT_EQ(::recv(kept_server_side.fd(), &byte, 1, 0), 1) << "the open connection still reaches the old server";
  EXPECT_EQ(byte, 'x');
  EXPECT_EQ(*runner_.run(ports.open_connections(old_target)), 1) << "the old server still has one to drain";

  // Closed: nothing left to drain (the entry goes to TIME_WAIT or CLOSE, which do not count).
  kept.reset();
  kept_server_side.reset();
  int left = -1;
  for (int i = 0; i < 50 && left != 0; ++i) {
    auto n = runner_.run(ports.open_connections(old_target));
    ASSERT_TRUE(n) << n.error().message;
    left = *n;
    if (left != 0) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(left, 0);

  // Released: the port is nobody's again.
  ASSERT_TRUE(runner_.run(ports.release(8080)));
  EXPECT_TRUE(runner_.run(ports.current())->empty());
  EXPECT_FALSE(connect_local(8080).fd() >= 0);
  EXPECT_TRUE(runner_.run(ports.release(8080))) << "releasing a port berth does not hold changes nothing";
}

TEST_F(PortSwitchTest, TheTableIsRenewedNotDuplicatedAndSurvivesTheSwitchesLoss) {
  const Socket server = listener("127.0.0.2", 9000);
  {
    PortSwitch first;
    ASSERT_TRUE(runner_.run(first.point(8080, Target{"127.0.0.2", 9000}, "lo")));
    ASSERT_TRUE(runner_.run(first.point(8081, Target{"127.0.0.2", 9000}, "lo")));
  }
  // berth is gone (its switch destroyed): the kernel keeps answering on the port.
  Socket c = connect_local(8080);
  ASSERT_GE(c.fd(), 0);
  EXPECT_GE(accept_one(server).fd(), 0);
  // A new berth reads the map back and renews the rules without adding them twice.
  PortSwitch second;
  EXPECT_EQ(*runner_.run(second.current()),
            (PortMap{{8080, Target{"127.0.0.2", 9000}}, {8081, Target{"127.0.0.2", 9000}}}));
  ASSERT_TRUE(runner_.run(second.point(8081, Target{"127.0.0.3", 9000}, "lo")));
  auto table = shell("nft list chain ip berth output");
  EXPECT_EQ(table.exit_code, 0) << table.output;
  std::size_t rules = 0;
  for (std::size_t at = 0; (at = table.output.find("dnat ip to tcp dport map @ports", at)) != std::string::npos; ++at) {
    ++rules;
  }
  EXPECT_EQ(rules, 1U) << table.output;
  auto localnet = shell("cat /proc/sys/net/ipv4/conf/lo/route_localnet");
  EXPECT_EQ(localnet.output, "1\n");
}

}  // namespace
}  // namespace berth::hostport
