#pragma once

// Internal to the control server (server_io.cpp and session_io.cpp): the state its listeners and
// connections share. Only *_io.cpp files include this header.

#include "control/admission.hpp"
#include "control/audit.hpp"
#include "control/server.hpp"
#include "control/throttle.hpp"
#include "control/token_store.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace berth::control {

struct ControlServer::Shared {
  Shared(boost::asio::any_io_executor ex, const config::ApiSettings& api, std::string state, ApiBackend& be,
         ServerLimits lim)
      : executor(std::move(ex)),
        settings(api),
        state_dir(std::move(state)),
        backend(be),
        limits(lim),
        tokens(api.tokens_file),
        throttle(lim.throttle) {}

  // A connection slot: false when its budget is spent (TCP's, shared by addresses that each have a share,
  // or the unix socket's own, so that remote clients can never lock out the operator on the host).
  bool claim_slot(const std::string& address, Transport transport);
  void release_slot(const std::string& address, Transport transport);
  // Registers how to close a live connection (for stop()); returns the key to forget it by.
  std::uint64_t track(std::function<void()> close);
  void forget(std::uint64_t key);

  boost::asio::any_io_executor executor;
  config::ApiSettings settings;
  std::string state_dir;
  ApiBackend& backend;
  ServerLimits limits;
  TokenWatcher tokens;
  AuthThrottle throttle;
  AuditLog audit;
  RefusalCounts refused;
  std::unique_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP (loopback only)
  std::optional<boost::asio::ip::tcp::acceptor> tcp_acceptor;
  std::optional<boost::asio::local::stream_protocol::acceptor> unix_acceptor;
  bool opened = false;
  bool stopping = false;
  // Set when the ControlServer is destroyed: the backend may be gone too, so connection coroutines that
  // are only torn down later (with the io_context) must not call it.
  bool detached = false;
  std::size_t connections = 0;  // TCP
  std::size_t unix_connections = 0;
  std::size_t event_streams = 0;
  std::map<std::string, std::size_t> per_address;
  std::map<std::uint64_t, std::function<void()>> closers;
  std::uint64_t next_key = 1;
};

// Serve one accepted connection (session_io.cpp). The slot was claimed by the acceptor; the session
// releases it when it ends.
void start_tcp_session(const std::shared_ptr<ControlServer::Shared>& shared, boost::asio::ip::tcp::socket socket,
                       std::string address);
void start_unix_session(const std::shared_ptr<ControlServer::Shared>& shared,
                        boost::asio::local::stream_protocol::socket socket);

}  // namespace berth::control
