#pragma once

// What the control endpoint's integration tests share: a test CA and certificates made with the
// openssl CLI, a fake ApiBackend, the server running on its own thread, and a small blocking client
// (TLS, plain TCP or the unix socket) with bounded waits that sends whatever bytes a test wants.

#include "control/api.hpp"
#include "control/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace berth::test {

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// ca.pem, cert.pem/key.pem (server, SAN 127.0.0.1 and localhost), client.pem/client.key (signed by the
// same CA), rogue-client.pem/.key (signed by another CA). Made once per test process.
struct TestPki {
  std::string dir;
  std::string ca;
  std::string cert;
  std::string key;
  std::string client_cert;
  std::string client_key;
  std::string rogue_cert;
  std::string rogue_key;
};
const TestPki& test_pki();

// Records what the server hands it and answers with canned bodies.
class FakeBackend final : public control::ApiBackend {
 public:
  struct Call {
    control::RouteId route;
    std::string caller;
    control::Scope scope;
    std::string path;
    std::string body;
    std::map<std::string, std::string> params;
  };

  boost::asio::awaitable<control::ApiResponse> handle(control::RouteId route,
                                                      const control::ApiRequest& request) override;
  std::uint64_t subscribe(std::function<void(const nlohmann::json&)> sink) override;
  void unsubscribe(std::uint64_t id) override;

  // Called on the server's thread (post it there).
  void emit(const nlohmann::json& event);

  std::vector<Call> calls() const;
  std::size_t subscribers() const;
  // What the next update answers (202 {"swap": id} by default) and what GET /v1/swaps/{id} answers.
  void set_swap(const std::string& id, nlohmann::json record);
  // Whether calls are kept for calls() (a benchmark turns this off).
  void set_recording(bool on);

 private:
  mutable std::mutex mutex_;
  std::vector<Call> calls_;
  std::map<std::uint64_t, std::function<void(const nlohmann::json&)>> sinks_;
  std::uint64_t next_ = 1;
  std::map<std::string, nlohmann::json> swaps_;
  std::string next_swap_ = "swap-1";
  bool recording_ = true;
};

// The server on a thread of its own.
class ServerHarness {
 public:
  ServerHarness() = default;
  ~ServerHarness();

  // open() on this thread (its result returned), then run() on the server thread.
  common::Status start(const config::ApiSettings& settings, const std::string& state_dir,
                       control::ServerLimits limits = {});
  void stop();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  FakeBackend& backend() { return backend_; }
  // Runs `fn` on the server thread and waits for it.
  void on_server_thread(std::function<void()> fn);

 private:
  FakeBackend backend_;  // outlives the io_context and the coroutines it may still hold
  boost::asio::io_context io_;
  std::unique_ptr<control::ControlServer> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

// Settings for a TLS listener on 127.0.0.1:0 with the test certificate.
config::ApiSettings tls_settings(const std::string& tokens_file, const std::string& socket_path = {});

struct HttpAnswer {
  int status = 0;                              // 0: nothing came back (closed or timed out)
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  bool closed = false;  // the server closed the connection after it
};

// A client that writes raw bytes and reads answers, every wait bounded.
class TestClient {
 public:
  enum class Kind { kTls, kPlain, kUnix };
  struct TlsOptions {
    std::optional<std::string> cert;
    std::optional<std::string> key;
  };

  TestClient(Kind kind, std::uint16_t port, std::string unix_path = {}, TlsOptions tls = {});
  ~TestClient();

  // Connects (and handshakes for TLS); false with the reason in error().
  bool connect();
  bool write(std::string_view bytes);
  // Reads one answer (head and Content-Length body, or to the end when the answer has no length).
  HttpAnswer read_answer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads whatever arrives within `timeout`; empty and closed() true at end of stream.
  std::string read_some(std::chrono::milliseconds timeout);
  // Waits for the server to close the connection; false if it is still open after `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout);
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  void close();

  // One request on a fresh connection: method, target, bearer token (if any), body.
  static HttpAnswer request(Kind kind, std::uint16_t port, const std::string& method, const std::string& target,
                            const std::string& token = {}, const std::string& body = {},
                            const std::string& unix_path = {});

 private:
  bool run_until(std::chrono::milliseconds timeout, const bool& done);
  // Calls `fn` with the socket under whichever stream this client uses.
  template <class Fn>
  void on_socket(Fn fn) {
    if (tls_) {
      fn(tls_->next_layer());
    }
    if (plain_) {
      fn(*plain_);
    }
    if (unix_) {
      fn(*unix_);
    }
  }

  Kind kind_;
  std::uint16_t port_;
  std::string unix_path_;
  TlsOptions tls_options_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> ctx_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls_;
  std::unique_ptr<boost::asio::ip::tcp::socket> plain_;
  std::unique_ptr<boost::asio::local::stream_protocol::socket> unix_;
  std::string buffered_;
  bool closed_ = false;
  std::string error_;
};

// "GET /x HTTP/1.1\r\nHost: test\r\n[Authorization]\r\n[Content-Length]\r\n\r\n<body>"
std::string raw_request(const std::string& method, const std::string& target, const std::string& token = {},
                        const std::string& body = {});

// Every regular file under `dir` whose content holds `needle`.
std::vector<std::string> files_containing(const std::filesystem::path& dir, const std::string& needle);

}  // namespace berth::test
