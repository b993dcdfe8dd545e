#include "http/client.hpp"
#include "common/signal_io.hpp"

#include "common/text.hpp"
#include "common/version.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <variant>

namespace berth::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using common::Error;
using common::ErrorKind;
using common::Result;
using Clock = std::chrono::steady_clock;

namespace {

using common::kTuple;
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kErrorBodyLimit = 1024 * 1024;
constexpr std::size_t kMaxIdle = 8;

using UnixStream = beast::basic_stream<net::local::stream_protocol>;
using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

Error transport_error(const boost::system::error_code& ec, std::string_view during, const Endpoint& ep) {
  std::string where = std::string(during) + " " + ep.describe() + ": ";
  if (ec == beast::error::timeout || ec == net::error::timed_out) {
    return common::make_error(ErrorKind::kTimeout, where + "timed out");
  }
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return common::make_error(ErrorKind::kTooLarge, where + "response over the size limit (" + ec.message() + ")");
  }
  if (ec == net::error::operation_aborted) {
    return common::make_error(ErrorKind::kTimeout, where + "cancelled");
  }
  if (ec.category() == boost::system::error_code(bhttp::error::end_of_stream).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return common::make_error(ErrorKind::kProtocol, where + "not a valid HTTP response (" + ec.message() + ")");
  }
  return common::make_error(ErrorKind::kUnavailable, where + ec.message());
}

template <class Stream>
auto& lowest(Stream& s) {
  return beast::get_lowest_layer(s);
}

Response to_response(const bhttp::response_header<>& h) {
  Response r;
  r.status = static_cast<int>(h.result_int());
  for (const auto& f : h) {
    r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  return r;
}

bhttp::request<bhttp::string_body> to_beast(const Request& req, const std::string& host) {
  bhttp::request<bhttp::string_body> out;
  out.method_string(req.method);
  out.target(req.target);
  out.version(11);
  out.set(bhttp::field::host, host);
  out.set(bhttp::field::user_agent, std::string("berth/") + common::kVersion);
  for (const auto& [name, value] : req.headers) {
    out.insert(name, value);
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
    if (!req.content_type.empty()) {
      out.set(bhttp::field::content_type, req.content_type);
    }
    out.body() = req.body;
    out.prepare_payload();  // Content-Length, never chunked (Docker rejects chunked start bodies)
  }
  out.keep_alive(true);
  return out;
}

}  // namespace

struct Client::Connection {
  std::variant<UnixStream, TcpStream, TlsStream> stream;
  beast::flat_buffer buffer;
  bool session_kept = false;  // TLS: its session was kept for resumption, or came from one

  explicit Connection(UnixStream s) : stream(std::move(s)) {}
  explicit Connection(TcpStream s) : stream(std::move(s)) {}
  explicit Connection(TlsStream s) : stream(std::move(s)) {}
};

std::string_view Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (common::iequals(k, name)) {
      return v;
    }
  }
  return {};
}

std::vector<std::string_view> Response::header_values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : headers) {
    if (common::iequals(k, name)) {
      out.emplace_back(v);
    }
  }
  return out;
}

Endpoint Endpoint::unix_socket(std::string path) {
  Endpoint e;
  e.kind = Kind::kUnixSocket;
  e.host = std::move(path);
  return e;
}

Endpoint Endpoint::tcp(std::string host, std::uint16_t port) {
  Endpoint e;
  e.kind = Kind::kTcp;
  e.host = std::move(host);
  e.port = port;
  return e;
}

Endpoint Endpoint::tls_to(std::string host, std::uint16_t port, std::shared_ptr<ssl::context> ctx) {
  Endpoint e;
  e.kind = Kind::kTls;
  e.host = std::move(host);
  e.port = port;
  e.tls = std::move(ctx);
  return e;
}

std::string Endpoint::authority() const {
  if (kind == Kind::kUnixSocket) {
    return "localhost";
  }
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = (kind == Kind::kTls && port == 443) || (kind == Kind::kTcp && port == 80);
  return default_port ? h : h + ":" + std::to_string(port);
}

std::string Endpoint::describe() const {
  switch (kind) {
    case Kind::kUnixSocket: return "unix://" + host;
    case Kind::kTcp: return "http://" + authority();
    case Kind::kTls: return "https://" + authority();
  }
  return host;
}

void Client::SessionFree::operator()(void* session) const { SSL_SESSION_free(static_cast<SSL_SESSION*>(session)); }

Client::Client(net::any_io_executor executor, Endpoint endpoint, std::string host_header, std::size_t max_connections,
               common::Semaphore* shared_limit)
    : executor_(std::move(executor)),
      endpoint_(std::move(endpoint)),
      host_header_(host_header.empty() ? endpoint_.authority() : std::move(host_header)),
      max_idle_(max_connections > 0 ? max_connections : kMaxIdle),
      shared_limit_(shared_limit) {
  if (max_connections > 0) {
    slots_.emplace(executor_, max_connections);
  }
}

Client::~Client() = default;

// Keeps the session of a connection that made a full handshake, for the next connection to resume. With
// TLS 1.3 the server sends its ticket after the handshake: the session is resumable only once a response
// was read.
void Client::keep_session(Connection& conn) {
  auto* tls = std::get_if<TlsStream>(&conn.stream);
  if (tls == nullptr || conn.session_kept) {
    return;
  }
  SSL* handle = tls->native_handle();
  if (SSL_session_reused(handle) == 1) {
    conn.session_kept = true;
    return;
  }
  SSL_SESSION* session = SSL_get1_session(handle);
  if (session == nullptr) {
    return;
  }
  if (SSL_SESSION_is_resumable(session) != 1) {
    SSL_SESSION_free(session);
    return;
  }
  session_.reset(session);
  conn.session_kept = true;
}

std::size_t Client::idle_connections() const { return idle_.size(); }

void Client::close_idle() { idle_.clear(); }

net::awaitable<Result<std::unique_ptr<Client::Connection>>> Client::connect(Clock::time_point deadline) {
  switch (endpoint_.kind) {
    case Endpoint::Kind::kUnixSocket: {
      UnixStream s(executor_);
      s.expires_at(deadline);
      auto [ec] = co_await s.async_connect(net::local::stream_protocol::endpoint(endpoint_.host), kTuple);
      if (ec) {
        co_return transport_error(ec, "connect to", endpoint_);
      }
      ++opened_;
      co_return std::make_unique<Connection>(std::move(s));
    }
    case Endpoint::Kind::kTcp:
    case Endpoint::Kind::kTls: {
      net::ip::tcp::resolver resolver(executor_);
      auto [rec, results] = co_await resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port), kTuple);
      if (rec) {
        co_return transport_error(rec, "resolve", endpoint_);
      }
      TcpStream tcp(executor_);
      tcp.expires_at(deadline);
      auto [cec, ep] = co_await tcp.async_connect(results, kTuple);
      if (cec) {
        co_return transport_error(cec, "connect to", endpoint_);
      }
      if (endpoint_.kind == Endpoint::Kind::kTcp) {
        ++opened_;
        co_return std::make_unique<Connection>(std::move(tcp));
      }
      TlsStream tls(std::move(tcp), *endpoint_.tls);
      // SNI and host name verification: CDN-fronted registries need the former, everyone the latter.
      if (SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(endpoint_.host.c_str())) != 1) {
        co_return common::make_error(ErrorKind::kInternal, "cannot set TLS server name for " + endpoint_.host);
      }
      tls.set_verify_callback(ssl::host_name_verification(endpoint_.host));
      if (session_ && SSL_set_session(tls.native_handle(), static_cast<SSL_SESSION*>(session_.get())) != 1) {
        session_.reset();
      }
      auto [hec] = co_await tls.async_handshake(ssl::stream_base::client, kTuple);
      if (hec) {
        session_.reset();  // perhaps the server no longer takes it: the next connection starts afresh
        co_return transport_error(hec, "TLS handshake with", endpoint_);
      }
      ++opened_;
      if (SSL_session_reused(tls.native_handle()) == 1) {
        ++resumed_;
      }
      co_return std::make_unique<Connection>(std::move(tls));
    }
  }
  co_return common::make_error(ErrorKind::kInternal, "unknown endpoint kind");
}

namespace {

// One request/response on an open connection. `sent_ok` tells the caller whether the failure happened
// before the peer answered anything (a stale keep-alive connection), which makes a retry safe.
template <class Stream>
net::awaitable<Result<Response>> exchange(Stream& s, beast::flat_buffer& buffer,
                                          bhttp::request<bhttp::string_body>& req, Clock::time_point deadline,
                                          std::size_t body_limit, const Endpoint& ep, bool& keep_alive,
                                          bool& answered) {
  lowest(s).expires_at(deadline);
  auto [wec, wn] = co_await bhttp::async_write(s, req, kTuple);
  if (wec) {
    co_return transport_error(wec, "send request to", ep);
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(body_limit);
  if (req.method() == bhttp::verb::head) {
    parser.skip(true);
  }
  auto [rec, rn] = co_await bhttp::async_read(s, buffer, parser, kTuple);
  answered = parser.got_some();
  if (rec) {
    co_return transport_error(rec, "read response from", ep);
  }
  auto& msg = parser.get();
  keep_alive = msg.keep_alive();
  Response out = to_response(msg.base());
  out.body = std::move(msg.body());
  co_return out;
}

template <class Stream>
net::awaitable<Result<Response>> exchange_streaming(Stream& s, beast::flat_buffer& buffer,
                                                    bhttp::request<bhttp::string_body>& req, const StreamLimits& limits,
                                                    const Endpoint& ep, const ChunkHandler& on_chunk) {
  const auto start = Clock::now();
  const bool bounded = limits.total_timeout.count() > 0;
  const auto total_deadline = start + limits.total_timeout;
  auto expire_by = [&](Clock::time_point t) { lowest(s).expires_at(bounded ? std::min(t, total_deadline) : t); };
  expire_by(start + limits.header_timeout);
  auto [wec, wn] = co_await bhttp::async_write(s, req, kTuple);
  if (wec) {
    co_return transport_error(wec, "send request to", ep);
  }
  bhttp::response_parser<bhttp::empty_body> head;
  head.header_limit(kHeaderLimit);
  auto [hec, hn] = co_await bhttp::async_read_header(s, buffer, head, kTuple);
  if (hec) {
    co_return transport_error(hec, "read response headers from", ep);
  }
  Response out = to_response(head.get().base());
  if (out.status < 200 || out.status > 299) {
    bhttp::response_parser<bhttp::string_body> rest(std::move(head));
    rest.body_limit(kErrorBodyLimit);
    expire_by(Clock::now() + limits.header_timeout);
    auto [bec, bn] = co_await bhttp::async_read(s, buffer, rest, kTuple);
    if (bec) {
      co_return transport_error(bec, "read error response from", ep);
    }
    out.body = std::move(rest.get().body());
    co_return out;
  }
  bhttp::response_parser<bhttp::buffer_body> body(std::move(head));
  body.body_limit(boost::none);  // streams (events, pull progress) are unbounded; the handler bounds lines
  std::array<char, 64 * 1024> chunk{};
  while (!body.is_done()) {
    body.get().body().data = chunk.data();
    body.get().body().size = chunk.size();
    if (limits.idle_timeout.count() > 0) {
      expire_by(Clock::now() + limits.idle_timeout);
    } else if (bounded) {
      lowest(s).expires_at(total_deadline);
    } else {
      lowest(s).expires_never();
    }
    // read_some returns as soon as a piece of body arrived: events trickle in one at a time.
    auto [ec, n] = co_await bhttp::async_read_some(s, buffer, body, kTuple);
    if (ec == bhttp::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      co_return transport_error(ec, "read stream from", ep);
    }
    const std::size_t got = chunk.size() - body.get().body().size;
    if (got > 0) {
      auto st = on_chunk(std::string_view(chunk.data(), got));
      if (!st) {
        co_return st.error();
      }
    }
  }
  co_return out;
}

}  // namespace

net::awaitable<Result<Response>> Client::request(Request req, Limits limits) {
  // The deadline starts with the turn: waiting behind the connection limit is expected, not a timeout.
  common::Semaphore::Permit turn;
  if (slots_) {
    turn = co_await slots_->acquire();
  }
  common::Semaphore::Permit shared;
  if (shared_limit_ != nullptr) {
    shared = co_await shared_limit_->acquire();
  }
  const auto deadline = Clock::now() + limits.timeout;
  auto beast_req = to_beast(req, host_header_);
  std::unique_ptr<Connection> conn;
  bool reused = false;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
    reused = true;
  }
  for (;;) {
    if (!conn) {
      auto fresh = co_await connect(deadline);
      if (!fresh) {
        co_return fresh.error();
      }
      conn = std::move(*fresh);
      reused = false;
    }
    bool keep_alive = false;
    bool answered = false;
    auto result = co_await std::visit(
        [&](auto& s) {
          return exchange(s, conn->buffer, beast_req, deadline, limits.body_limit, endpoint_, keep_alive, answered);
        },
        conn->stream);
    if (!result && reused && !answered && result.error().kind == ErrorKind::kUnavailable) {
      // The peer closed an idle keep-alive connection: nothing was processed, try once on a new one.
      conn.reset();
      continue;
    }
    if (result && keep_alive && idle_.size() < max_idle_) {
      keep_session(*conn);
      idle_.push_back(std::move(conn));
    }
    co_return result;
  }
}

net::awaitable<Result<Response>> Client::stream(Request req, StreamLimits limits, ChunkHandler on_chunk) {
  auto beast_req = to_beast(req, host_header_);
  auto conn = co_await connect(Clock::now() + limits.header_timeout);
  if (!conn) {
    co_return conn.error();
  }
  auto& c = **conn;
  co_return co_await std::visit(
      [&](auto& s) { return exchange_streaming(s, c.buffer, beast_req, limits, endpoint_, on_chunk); }, c.stream);
}

}  // namespace berth::http
