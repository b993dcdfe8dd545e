#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::test {

// A free TCP port on 127.0.0.1 for a test to publish or listen on: below the kernel's ephemeral range
// (32768 and up), so no outgoing connection of another test can take it in the meantime, and held for
// this process by a lock file under /tmp/berth-test-ports, so that tests running in parallel never get
// the same one. The lock goes with the process.
std::uint16_t reserve_port();

// One blocking GET of http://127.0.0.1:port/path with a short timeout; the body, or empty on any failure.
std::string http_get(std::uint16_t port, const std::string& path = "/",
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(500));
// The same GET of http://address:port/path (an IPv4 address).
std::string http_get_at(const std::string& address, std::uint16_t port, const std::string& path = "/",
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

// Sends a GET every `period` from a thread until stopped; measures failed requests (refused, reset,
// closed without an answer, or unanswered for 2 s), the longest time without a successful answer, and
// latencies. This is how the tests see downtime as a client would.
class LoadProbe {
 public:
  LoadProbe(std::uint16_t port, std::chrono::milliseconds period);
  // A client at `address`, from the network namespace open as `netns_fd` when it is not -1 (the thread
  // joins it; the fd stays the caller's).
  LoadProbe(std::string address, std::uint16_t port, std::chrono::milliseconds period, int netns_fd = -1);
  ~LoadProbe();
  void stop();

  struct Report {
    int requests = 0;
    int failures = 0;
    std::chrono::milliseconds longest_gap{0};
    std::chrono::milliseconds p99{0};
    std::vector<std::string> bodies_seen;  // distinct bodies, in order of first appearance
  };
  Report report() const;

 private:
  void loop();
  std::string address_ = "127.0.0.1";
  int netns_fd_ = -1;
  std::uint16_t port_;
  std::chrono::milliseconds period_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  Report report_;
  std::vector<std::chrono::milliseconds> latencies_;
  std::thread thread_;
};

}  // namespace berth::test
