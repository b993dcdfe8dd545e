#pragma once

// A small HTTP server for what a real peer cannot be made to do: a registry's 500s, 429 with Retry-After,
// connection resets, bodies that arrive a byte at a time, redirects (on 127.0.0.1, port 0); a Docker
// Engine of another version (on a unix socket). Blocking sockets on a thread of its own; one request
// per connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::test {

struct FaultRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased

  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

struct FaultReply {
  enum class Action {
    kRespond,  // status, headers and body, then close
    kReset,    // close with a TCP reset, no answer
    kDribble,  // headers at once, then the body a byte every `dribble_interval`
  };
  Action action = Action::kRespond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds dribble_interval{200};
};

class FaultServer {
 public:
  using Handler = std::function<FaultReply(const FaultRequest&)>;

  // On 127.0.0.1, port 0.
  FaultServer();
  // On a unix socket at `socket_path` (replaced if it exists, removed at the end).
  explicit FaultServer(std::string socket_path);
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }  // 0 on a unix socket
  [[nodiscard]] std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  void set_handler(Handler handler);
  // HTTP requests received so far (TLS handshakes that found a plain server are not counted).
  [[nodiscard]] int requests() const { return requests_.load(); }
  // Connections accepted, TLS attempts included.
  [[nodiscard]] int connections() const { return connections_.load(); }
  [[nodiscard]] std::vector<FaultRequest> received() const;

 private:
  void start();
  void serve();
  void handle(int fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string socket_path_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  Handler handler_;
  std::vector<FaultRequest> received_;
  std::thread thread_;
};

}  // namespace berth::test
