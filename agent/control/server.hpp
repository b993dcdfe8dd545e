#pragma once

// The control endpoint (CONTRACT section 6): the local unix socket, where file permissions are the
// authorisation (mode 0660, group `berth`), and when api.listen is set a TCP listener with TLS 1.2+
// (mTLS when api.tls.client_ca is set) or, on a loopback address with "tls": false, plain HTTP.
//
// Every connection has deadlines (TLS handshake, request head, body, each write, keep-alive idle), the
// head and body are capped on the stream, and the request is authorised only once it has been read
// whole. The tokens file is re-read when it changes, and an event stream ends within seconds once the
// token that opened it is revoked. Mutating requests of authenticated callers are
// appended to <state_dir>/audit.log and logged; refusals of anonymous ones are only counted
// (berth_api_refused_total). Tokens and webhook secrets are never written anywhere.

#include "common/error.hpp"
#include "config/agent_config.hpp"
#include "control/api.hpp"
#include "control/throttle.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace berth::control {

struct ServerLimits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 64 * 1024;
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};  // from the first byte of a request
  std::chrono::milliseconds body_timeout{std::chrono::seconds(20)};    // from the end of its head
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};   // each write of an answer
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};    // keep-alive wait for the next request
  // The keep-alive wait while no request on the connection has presented a valid token (the unix
  // socket counts as authenticated): an anonymous client cannot hold a slot with GET /v1/health.
  std::chrono::milliseconds unauthenticated_idle_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds heartbeat_interval{std::chrono::seconds(15)};
  // How often an open event stream checks that the token that opened it still counts (and at every
  // event it sends); a revoked token's stream is closed.
  std::chrono::milliseconds token_recheck_interval{std::chrono::seconds(2)};
  std::size_t max_connections = 256;
  std::size_t max_connections_per_address = 64;
  std::size_t max_unix_connections = 64;             // the unix socket's own budget, apart from max_connections
  std::size_t max_refusals_per_connection = 3;       // 401, 403 and 429 answers; the last one closes it
  std::uint64_t audit_max_bytes = 10 * 1024 * 1024;  // then audit.log becomes audit.log.1 (one kept)
  std::size_t max_requests_per_connection = 10000;
  std::size_t max_event_streams = 64;
  std::size_t max_queued_events = 512;  // per event stream; a client that falls further behind is dropped
  AuthThrottle::Limits throttle;
};

class ControlServer {
 public:
  ControlServer(boost::asio::any_io_executor executor, const config::ApiSettings& settings, std::string state_dir,
                ApiBackend& backend, ServerLimits limits = {});
  // Closes everything (as stop()). Destroy the server before the io_context; the backend is not called
  // after this, even by connections whose coroutines the io_context tears down later.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Checks the settings and binds every listener. kInvalidArgument means the configuration is refused
  // (the daemon exits 78): plain HTTP on a non-loopback address, a TCP listener without any token in
  // the tokens file (or an unreadable one), a certificate or key that does not load. Other kinds are
  // run-time failures: the socket path in use, the port taken, the audit log not writable.
  common::Status open();

  // open() unless done, then accepts connections until stop(). Returns an error only for a failure that
  // ends the endpoint (one of open()'s); after stop() it returns success.
  boost::asio::awaitable<common::Status> run();

  // Closes the listeners and every open connection; run() then returns.
  void stop();

  // The TCP port actually bound (api.listen may ask for port 0), once open; 0 when there is none.
  [[nodiscard]] std::uint16_t tcp_port() const;
  [[nodiscard]] std::size_t open_connections() const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace berth::control
