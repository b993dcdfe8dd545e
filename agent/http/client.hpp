#pragma once

#include "common/error.hpp"
#include "common/signal_io.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace berth::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string target = "/";  // path and query, already percent-encoded
  Headers headers;
  std::string body;
  std::string content_type;  // sent when the body is not empty (and for POSTs with an empty body)
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;

  // Case-insensitive lookup; empty when absent. The first value when a header repeats.
  [[nodiscard]] std::string_view header(std::string_view name) const;
  [[nodiscard]] std::vector<std::string_view> header_values(std::string_view name) const;
};

// Where the connections of a Client go.
struct Endpoint {
  enum class Kind { kUnixSocket, kTcp, kTls };
  Kind kind = Kind::kUnixSocket;
  std::string host;                                // the socket path for kUnixSocket
  std::uint16_t port = 0;                          // unused for kUnixSocket
  std::shared_ptr<boost::asio::ssl::context> tls;  // kTls only; verification is the context's business

  static Endpoint unix_socket(std::string path);
  static Endpoint tcp(std::string host, std::uint16_t port);
  static Endpoint tls_to(std::string host, std::uint16_t port, std::shared_ptr<boost::asio::ssl::context> ctx);

  // "host" or "host:port" when the port is not the scheme's default; used for the Host header.
  [[nodiscard]] std::string authority() const;
  [[nodiscard]] std::string describe() const;  // for error messages: "unix:///var/run/docker.sock"
};

struct Limits {
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // connect + write + whole response
  std::size_t body_limit = 8 * 1024 * 1024;
};

struct StreamLimits {
  std::chrono::milliseconds header_timeout{std::chrono::seconds(30)};  // connect + write + headers
  // Longest silence accepted between two pieces of body; zero means none (the Docker events stream is
  // silent for hours).
  std::chrono::milliseconds idle_timeout{0};
  // Deadline for the whole exchange, body included; zero means none.
  std::chrono::milliseconds total_timeout{0};
};

// Receives the body of a streamed response piece by piece. Returning an error stops the stream and
// becomes the result of Client::stream.
using ChunkHandler = std::function<common::Status(std::string_view)>;

// An HTTP/1.1 client for one endpoint. Calls may run concurrently (on the one io_context thread): each
// takes an idle keep-alive connection or opens a new one. With a connection limit, at most that many
// requests are under way at once (later ones wait their turn, first come first served), so at most that
// many connections are ever open and all of them stay open between requests. A TLS endpoint resumes the
// session of an earlier connection when it opens another one (no full handshake). Streams always use a
// connection of their own, outside the limit.
class Client {
 public:
  // max_connections 0: no limit (up to 8 idle connections are kept). `shared_limit`, when given, bounds the
  // requests of several clients together; a request takes its permit once it has its turn on this client.
  Client(boost::asio::any_io_executor executor, Endpoint endpoint, std::string host_header = {},
         std::size_t max_connections = 0, common::Semaphore* shared_limit = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request and reads the whole response (any status). Errors are transport errors only:
  // kUnavailable (connect, reset), kTimeout, kTooLarge (body over the limit), kProtocol (not HTTP).
  boost::asio::awaitable<common::Result<Response>> request(Request req, Limits limits = {});

  // Sends the request; when the status is 2xx, hands the body to on_chunk as it arrives and returns
  // the response (with an empty body) at its end. A non-2xx response is returned whole (body up to
  // 1 MiB) without calling on_chunk.
  boost::asio::awaitable<common::Result<Response>> stream(Request req, StreamLimits limits, ChunkHandler on_chunk);

  [[nodiscard]] const Endpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] std::size_t idle_connections() const;
  // Connections opened so far (TLS: with a full handshake and resumed), for the tests and figures.
  [[nodiscard]] std::size_t connections_opened() const { return opened_; }
  [[nodiscard]] std::size_t sessions_resumed() const { return resumed_; }
  void close_idle();

 private:
  struct Connection;
  struct SessionFree {
    void operator()(void* session) const;
  };
  boost::asio::awaitable<common::Result<std::unique_ptr<Connection>>> connect(
      std::chrono::steady_clock::time_point deadline);
  void keep_session(Connection& conn);

  boost::asio::any_io_executor executor_;
  Endpoint endpoint_;
  std::string host_header_;
  std::size_t max_idle_;
  std::optional<common::Semaphore> slots_;  // the connection limit, when there is one
  common::Semaphore* shared_limit_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::unique_ptr<void, SessionFree> session_;  // an SSL_SESSION to resume
  std::size_t opened_ = 0;
  std::size_t resumed_ = 0;
};

}  // namespace berth::http
