#include "support/http_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace berth::test {

using Clock = std::chrono::steady_clock;

namespace {

// How long the load probe waits for one answer. Downtime is a refused, reset or unanswered connection;
// a slow answer is not (a loaded machine, or the sanitizer build of the agent beside it, slows every
// answer), so this is far beyond a serving container's answer and bounds only a hung one.
constexpr std::chrono::milliseconds kAnswerBound{2000};

}  // namespace

std::uint16_t reserve_port() {
  constexpr int kFirst = 20000;
  constexpr int kCount = 12000;  // up to 31999, below the ephemeral range
  static std::mt19937 random(std::random_device{}());
  const std::string dir = "/tmp/berth-test-ports";
  ::mkdir(dir.c_str(), 0777);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = kFirst + static_cast<int>(random() % kCount);
    const int lock = ::open((dir + "/" + std::to_string(port)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock < 0) {
      continue;
    }
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock);  // another test process holds it
      continue;
    }
    // Free now? (A port of a program that is not a test.)
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (free) {
      return static_cast<std::uint16_t>(port);  // the lock stays open until the process ends
    }
    ::close(lock);
  }
  std::abort();  // 1000 ports taken: something is badly wrong on this machine
}

std::string http_get(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  return http_get_at("127.0.0.1", port, path, timeout);
}

std::string http_get_at(const std::string& address, std::uint16_t port, const std::string& path,
                        std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return {};
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return {};
  }
  addr.sin_port = htons(port);
  auto wait_for = [&](short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return false;
    }
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left)) == 1;
  };
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return {};
  }
  if (!wait_for(POLLOUT)) {
    ::close(fd);
    return {};
  }
  int err = 0;
  socklen_t elen = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err != 0) {
    ::close(fd);
    return {};
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return {};
  }
  std::string raw;
  char buf[4096];
  while (wait_for(POLLIN)) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      break;
    }
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12 || raw.substr(9, 3) != "200") {
    return {};
  }
  const auto body = raw.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : raw.substr(body + 4);
}

LoadProbe::LoadProbe(std::uint16_t port, std::chrono::milliseconds period)
    : port_(port), period_(period), thread_([this] { loop(); }) {}

LoadProbe::LoadProbe(std::string address, std::uint16_t port, std::chrono::milliseconds period, int netns_fd)
    : address_(std::move(address)), netns_fd_(netns_fd), port_(port), period_(period), thread_([this] { loop(); }) {}

LoadProbe::~LoadProbe() { stop(); }

void LoadProbe::stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

void LoadProbe::loop() {
  if (netns_fd_ >= 0 && ::setns(netns_fd_, CLONE_NEWNET) != 0) {
    std::lock_guard lock(mu_);
    report_.failures = -1;  // cannot be a count: the caller sees the probe never ran
    return;
  }
  auto last_ok = Clock::now();
  auto next = Clock::now();
  while (!stop_) {
    const auto start = Clock::now();
    const std::string body = http_get_at(address_, port_, "/", kAnswerBound);
    const auto end = Clock::now();
    {
      std::lock_guard lock(mu_);
      ++report_.requests;
      if (body.empty()) {
        ++report_.failures;
        report_.longest_gap =
            std::max(report_.longest_gap, std::chrono::duration_cast<std::chrono::milliseconds>(end - last_ok));
      } else {
        report_.longest_gap =
            std::max(report_.longest_gap, std::chrono::duration_cast<std::chrono::milliseconds>(end - last_ok));
        last_ok = end;
        latencies_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(end - start));
        if (std::find(report_.bodies_seen.begin(), report_.bodies_seen.end(), body) == report_.bodies_seen.end()) {
          report_.bodies_seen.push_back(body);
        }
      }
    }
    // After a slow answer the next request waits its period: no burst to catch up.
    next = std::max(next + period_, Clock::now());
    std::this_thread::sleep_until(next);
  }
}

LoadProbe::Report LoadProbe::report() const {
  std::lock_guard lock(mu_);
  Report r = report_;
  auto lat = latencies_;
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    r.p99 = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
  }
  return r;
}

}  // namespace berth::test
