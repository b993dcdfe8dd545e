// The control server's listeners: start-up checks (what is refused), the TLS context, the unix socket
// with its mode and group, and the accept loops.
#include "common/loopback.hpp"
#include "common/signal_io.hpp"
#include "config/address.hpp"
#include "control/server_shared.hpp"
#include "state/durable_file.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace berth::control {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using local_socket = net::local::stream_protocol;
using common::ErrorKind;
using Shared = ControlServer::Shared;
using namespace net::experimental::awaitable_operators;

namespace {

using common::kTuple;
constexpr int kBacklog = 128;
constexpr std::string_view kSocketGroup = "berth";
// TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3 suites are OpenSSL's defaults (all good).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

common::Error refused(std::string message) {
  return common::make_error(ErrorKind::kInvalidArgument, std::move(message));
}

std::string openssl_reason(const boost::system::error_code& ec) {
  return ec.message().empty() ? std::string("unknown error") : ec.message();
}

common::Result<std::unique_ptr<ssl::context>> make_tls_context(const config::TlsSettings& tls) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(native, kTls12Ciphers);
  static constexpr unsigned char kSessionContext[] = "berth-control";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(tls.cert, ec);
  if (ec) {
    return refused("api.tls.cert " + tls.cert + ": cannot load the certificate (" + openssl_reason(ec) + ")");
  }
  ctx->use_private_key_file(tls.key, ssl::context::pem, ec);
  if (ec) {
    return refused("api.tls.key " + tls.key + ": cannot load the private key (" + openssl_reason(ec) + ")");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return refused("api.tls.key " + tls.key + " does not belong to the certificate " + tls.cert);
  }
  if (tls.client_ca) {
    ctx->load_verify_file(*tls.client_ca, ec);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca->c_str());
    if (ec || names == nullptr) {
      return refused("api.tls.client_ca " + *tls.client_ca + ": cannot load (" + openssl_reason(ec) + ")");
    }
    SSL_CTX_set_client_CA_list(native, names);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

// The address to bind for api.listen; plain HTTP must resolve to loopback only.
common::Result<tcp::endpoint> listen_endpoint(const config::HostPort& listen, bool tls, net::any_io_executor ex) {
  const std::string shown = (listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host) + ":" +
                            std::to_string(listen.port);
  if (!tls && (listen.host.empty() || !common::is_loopback_host(listen.host))) {
    return refused("api.listen " + shown +
                   " is not a loopback address: plain HTTP is only served on loopback; configure api.tls");
  }
  if (listen.host.empty()) {
    return tcp::endpoint(tcp::v4(), static_cast<unsigned short>(listen.port));
  }
  tcp::resolver resolver(ex);
  boost::system::error_code ec;
  auto results = resolver.resolve(listen.host, std::to_string(listen.port), ec);
  if (ec || results.empty()) {
    return refused("api.listen " + shown + ": cannot resolve " + listen.host + " (" + ec.message() + ")");
  }
  const tcp::endpoint ep = results.begin()->endpoint();
  if (!tls && !common::is_loopback_host(ep.address().to_string())) {
    return refused("api.listen " + shown + " resolves to " + ep.address().to_string() +
                   ", not loopback: plain HTTP is only served on loopback; configure api.tls");
  }
  return ep;
}

common::Status check_tokens_for_tcp(TokenWatcher& tokens, const std::string& path) {
  const TokenSet& set = tokens.current();
  if (!tokens.problem().empty()) {
    return refused(tokens.problem());
  }
  if (set.empty()) {
    return refused("api.listen is set but " + path +
                   " holds no token, so nobody could use it: create one with `berth token create --name NAME "
                   "--scope read|deploy|admin`");
  }
  return {};
}

std::string canonical_address(const tcp::endpoint& ep) {
  auto address = ep.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

common::Status prepare_socket_path(const std::string& path, net::any_io_executor ex) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto st = state::make_directories(path.substr(0, slash), 0755); !st) {
      return st;
    }
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return {};
  }
  if (!S_ISSOCK(st.st_mode)) {
    return refused("api.socket " + path + " exists and is not a socket");
  }
  local_socket::socket probe(ex);
  boost::system::error_code ec;
  probe.connect(local_socket::endpoint(path), ec);
  if (!ec) {
    return common::make_error(ErrorKind::kConflict, "api.socket " + path + " is in use: is another agent running?");
  }
  ::unlink(path.c_str());  // a stale socket left by an agent that did not exit cleanly
  return {};
}

common::Status open_unix(Shared& s) {
  const std::string& path = s.settings.socket;
  if (auto st = prepare_socket_path(path, s.executor); !st) {
    return st;
  }
  local_socket::acceptor acceptor(s.executor);
  boost::system::error_code ec;
  acceptor.open(local_socket(), ec);
  // The socket is created without any permission for others: no moment exists where it is wider open.
  const mode_t old_mask = ::umask(0117);
  if (!ec) {
    acceptor.bind(local_socket::endpoint(path), ec);
  }
  ::umask(old_mask);
  if (!ec) {
    acceptor.listen(kBacklog, ec);
  }
  if (ec) {
    return common::make_error(ErrorKind::kUnavailable, "cannot listen on unix socket " + path + ": " + ec.message());
  }
  ::chmod(path.c_str(), 0660);
  if (const group* g = ::getgrnam(std::string(kSocketGroup).c_str()); g != nullptr) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      spdlog::warn("control: cannot give {} to group {}: {}", path, kSocketGroup, std::strerror(errno));
    }
  }
  s.unix_acceptor.emplace(std::move(acceptor));
  spdlog::info("control: listening on unix://{}", path);
  return {};
}

common::Status open_tcp(Shared& s) {
  const config::HostPort& listen = *s.settings.listen;
  auto ep = listen_endpoint(listen, s.settings.tls.has_value(), s.executor);
  if (!ep) {
    return ep.error();
  }
  if (auto st = check_tokens_for_tcp(s.tokens, s.settings.tokens_file); !st) {
    return st;
  }
  if (s.settings.tls) {
    auto ctx = make_tls_context(*s.settings.tls);
    if (!ctx) {
      return ctx.error();
    }
    s.tls = std::move(*ctx);
  }
  tcp::acceptor acceptor(s.executor);
  boost::system::error_code ec;
  acceptor.open(ep->protocol(), ec);
  if (!ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(*ep, ec);
  }
  if (!ec) {
    acceptor.listen(kBacklog, ec);
  }
  if (ec) {
    return common::make_error(ErrorKind::kUnavailable, "cannot listen on " + ep->address().to_string() + ":" +
                                                           std::to_string(ep->port()) + ": " + ec.message());
  }
  spdlog::info("control: listening on {}://{}:{}{}", s.tls ? "https" : "http", ep->address().to_string(),
               acceptor.local_endpoint().port(),
               s.settings.tls && s.settings.tls->client_ca ? " (client certificates required)" : "");
  s.tcp_acceptor.emplace(std::move(acceptor));
  return {};
}

// Accept errors other than the listener closing are transient (a reset before accept, no file
// descriptors left): wait a moment and go on rather than ending the endpoint.
net::awaitable<void> pause_after(const boost::system::error_code& ec, net::any_io_executor ex) {
  spdlog::warn("control: accept failed: {}", ec.message());
  net::steady_timer t(ex, std::chrono::milliseconds(100));
  co_await t.async_wait(kTuple);
}

net::awaitable<common::Status> accept_tcp(std::shared_ptr<Shared> s) {
  while (!s->stopping && s->tcp_acceptor && s->tcp_acceptor->is_open()) {
    auto [ec, socket] = co_await s->tcp_acceptor->async_accept(kTuple);
    if (s->stopping || ec == net::error::operation_aborted) {
      break;
    }
    if (ec) {
      co_await pause_after(ec, s->executor);
      continue;
    }
    boost::system::error_code pec;
    const auto peer = socket.remote_endpoint(pec);
    if (pec) {
      continue;
    }
    std::string address = canonical_address(peer);
    if (!s->claim_slot(address, Transport::kTcp)) {
      spdlog::debug("control: connection from {} refused: too many connections", address);
      continue;  // the socket closes as it goes out of scope
    }
    socket.set_option(tcp::no_delay(true), pec);
    start_tcp_session(s, std::move(socket), std::move(address));
  }
  co_return common::Status{};
}

net::awaitable<common::Status> accept_unix(std::shared_ptr<Shared> s) {
  while (!s->stopping && s->unix_acceptor && s->unix_acceptor->is_open()) {
    auto [ec, socket] = co_await s->unix_acceptor->async_accept(kTuple);
    if (s->stopping || ec == net::error::operation_aborted) {
      break;
    }
    if (ec) {
      co_await pause_after(ec, s->executor);
      continue;
    }
    if (!s->claim_slot("unix", Transport::kUnixSocket)) {
      continue;
    }
    start_unix_session(s, std::move(socket));
  }
  co_return common::Status{};
}

}  // namespace

bool Shared::claim_slot(const std::string& address, Transport transport) {
  if (transport == Transport::kUnixSocket) {
    if (unix_connections >= limits.max_unix_connections) {
      return false;
    }
    ++unix_connections;
    return true;
  }
  if (connections >= limits.max_connections) {
    return false;
  }
  auto& mine = per_address[address];
  if (mine >= limits.max_connections_per_address) {
    if (mine == 0) {
      per_address.erase(address);
    }
    return false;
  }
  ++mine;
  ++connections;
  return true;
}

void Shared::release_slot(const std::string& address, Transport transport) {
  if (transport == Transport::kUnixSocket) {
    --unix_connections;
    return;
  }
  --connections;
  const auto it = per_address.find(address);
  if (it != per_address.end() && --it->second == 0) {
    per_address.erase(it);
  }
}

std::uint64_t Shared::track(std::function<void()> close) {
  const std::uint64_t key = next_key++;
  closers.emplace(key, std::move(close));
  return key;
}

void Shared::forget(std::uint64_t key) { closers.erase(key); }

ControlServer::ControlServer(net::any_io_executor executor, const config::ApiSettings& settings, std::string state_dir,
                             ApiBackend& backend, ServerLimits limits)
    : shared_(std::make_shared<Shared>(std::move(executor), settings, std::move(state_dir), backend, limits)) {}

ControlServer::~ControlServer() {
  stop();
  shared_->detached = true;
}

common::Status ControlServer::open() {
  Shared& s = *shared_;
  if (s.opened) {
    return {};
  }
  if (auto st = state::make_directories(s.state_dir, 0700); !st) {
    return st;
  }
  if (auto st = s.audit.open(s.state_dir + "/audit.log", s.limits.audit_max_bytes); !st) {
    return st;
  }
  if (s.settings.listen) {
    if (auto st = open_tcp(s); !st) {
      return st;
    }
  }
  if (!s.settings.socket.empty()) {
    if (auto st = open_unix(s); !st) {
      s.tcp_acceptor.reset();
      return st;
    }
  }
  s.opened = true;
  return {};
}

net::awaitable<common::Status> ControlServer::run() {
  if (auto st = open(); !st) {
    co_return st;
  }
  auto s = shared_;
  if (s->tcp_acceptor && s->unix_acceptor) {
    auto done = co_await (accept_tcp(s) || accept_unix(s));
    co_return std::visit([](auto& st) { return st; }, done);
  }
  if (s->tcp_acceptor) {
    co_return co_await accept_tcp(s);
  }
  co_return co_await accept_unix(s);
}

void ControlServer::stop() {
  Shared& s = *shared_;
  s.stopping = true;
  boost::system::error_code ignored;
  if (s.tcp_acceptor) {
    s.tcp_acceptor->close(ignored);
  }
  if (s.unix_acceptor) {
    s.unix_acceptor->close(ignored);
    if (s.opened) {
      ::unlink(s.settings.socket.c_str());
    }
  }
  auto closers = std::move(s.closers);
  s.closers.clear();
  for (auto& [key, close] : closers) {
    close();
  }
}

std::uint16_t ControlServer::tcp_port() const {
  boost::system::error_code ec;
  if (!shared_->tcp_acceptor) {
    return 0;
  }
  const auto ep = shared_->tcp_acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::size_t ControlServer::open_connections() const { return shared_->connections + shared_->unix_connections; }

}  // namespace berth::control
