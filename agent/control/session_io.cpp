// One connection of the control endpoint: TLS handshake, then requests read with deadlines and caps,
// admitted by the pure admission check, answered by the backend, written with a deadline; GET /v1/events
// turns the connection into a server-sent event stream, which ends when the token that opened it is revoked.
#include "common/signal_io.hpp"
#include "control/admission.hpp"
#include "control/audit.hpp"
#include "control/request_parser.hpp"
#include "control/response.hpp"
#include "control/router.hpp"
#include "control/server_shared.hpp"
#include "control/sse.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <deque>
#include <exception>
#include <type_traits>

namespace berth::control {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using Shared = ControlServer::Shared;
using namespace net::experimental::awaitable_operators;

namespace {

using common::kTuple;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr auto kShutdownTime = std::chrono::seconds(2);

using UnixStream = net::local::stream_protocol::socket;
using TlsStream = ssl::stream<tcp::socket>;

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

template <class Stream>
auto& lowest(Stream& s) {
  if constexpr (kIsTls<Stream>) {
    return s.next_layer();
  } else {
    return s;
  }
}

// The connection's one deadline at a time. A watchdog coroutine closes the socket when it passes, which
// ends whatever read or write is pending: the slowloris defence for every phase of a connection.
class Deadline {
 public:
  explicit Deadline(const net::any_io_executor& ex) : timer_(ex) {}

  void after(std::chrono::milliseconds d) { set(Clock::now() + d); }
  void clear() { set(Clock::time_point::max()); }
  void finish() {
    finished_ = true;
    timer_.cancel();
  }

  [[nodiscard]] bool finished() const { return finished_; }
  [[nodiscard]] bool passed() const { return !finished_ && Clock::now() >= at_; }
  // Waits until the deadline passes or moves; the watchdog loops on this.
  net::awaitable<void> wait() {
    timer_.expires_at(at_);
    co_await timer_.async_wait(kTuple);
  }

 private:
  void set(Clock::time_point t) {
    at_ = t;
    timer_.expires_at(t);  // wakes the watchdog, which re-arms for the new time
  }

  net::steady_timer timer_;
  Clock::time_point at_ = Clock::time_point::max();
  bool finished_ = false;
};

template <class Stream>
struct Connection {
  Connection(Stream s, std::string addr, Transport t, const net::any_io_executor& ex)
      : stream(std::move(s)),
        deadline(ex),
        address(std::move(addr)),
        transport(t),
        authenticated(t == Transport::kUnixSocket) {}

  void close() {
    boost::system::error_code ignored;
    lowest(stream).close(ignored);
  }

  Stream stream;
  Deadline deadline;
  std::string address;
  Transport transport;
  bool authenticated;        // a request presented a valid token (the unix socket always is)
  std::size_t refusals = 0;  // 401, 403 and 429 answers on this connection
  std::array<char, kReadChunk> buffer{};
};

// Events queued for one stream by the backend's sink, which must never block.
struct EventQueue {
  EventQueue(const net::any_io_executor& ex, std::size_t max) : wake(ex), max_items(max) {}
  void push(std::string item) {
    if (items.size() >= max_items) {
      overflowed = true;
    } else {
      items.push_back(std::move(item));
    }
    wake.cancel();
  }
  net::steady_timer wake;
  std::deque<std::string> items;
  std::size_t max_items;
  bool overflowed = false;
};

void log_failure(std::exception_ptr e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("control: connection ended by an exception: {}", ex.what());
  }
}

// Holds the connection alive until the session calls deadline.finish(), so the timer it waits on can
// never be destroyed under it.
template <class Stream>
net::awaitable<void> watchdog(std::shared_ptr<Connection<Stream>> c) {
  while (!c->deadline.finished()) {
    co_await c->deadline.wait();
    if (c->deadline.passed()) {
      c->close();
      co_return;
    }
  }
}

// Writes `bytes`, then `more` (a body kept elsewhere, written from where it is).
template <class Stream>
net::awaitable<bool> write_all(Connection<Stream>& c, std::string_view bytes, std::chrono::milliseconds timeout,
                               std::string_view more = {}) {
  c.deadline.after(timeout);
  const std::array<net::const_buffer, 2> buffers{net::buffer(bytes.data(), bytes.size()),
                                                 net::buffer(more.data(), more.size())};
  auto [ec, n] = co_await net::async_write(c.stream, buffers, kTuple);
  c.deadline.clear();
  co_return !ec;
}

// Ends the connection. After an error answer the peer may still be sending a body we did not read:
// closing at once would reset the connection and could destroy the answer before it is read, so the
// send side is shut first and the rest drained for a moment ("lingering close").
template <class Stream>
net::awaitable<void> close_connection(Connection<Stream>& c, bool linger) {
  if constexpr (kIsTls<Stream>) {
    if (!linger) {
      c.deadline.after(std::chrono::duration_cast<std::chrono::milliseconds>(kShutdownTime));
      co_await c.stream.async_shutdown(kTuple);
    }
  }
  auto& socket = lowest(c.stream);
  boost::system::error_code ignored;
  socket.shutdown(net::socket_base::shutdown_send, ignored);
  if (linger) {
    c.deadline.after(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
    std::size_t drained = 0;
    while (drained < kLingerBytes) {
      auto [ec, n] = co_await socket.async_read_some(net::buffer(c.buffer), kTuple);
      if (ec) {
        break;
      }
      drained += n;
    }
  }
  c.deadline.clear();
  c.close();
}

enum class ReadOutcome { kComplete, kRefused, kClosed };

// Reads one request into `parser`. Deadlines: the keep-alive idle wait until its first byte (short until
// the connection has authenticated), then the head deadline (from the first byte, or from the start for
// the first request), then the body deadline from the end of the head.
template <class Stream>
net::awaitable<ReadOutcome> read_request(Connection<Stream>& c, const ServerLimits& limits, RequestParser& parser,
                                         std::string& pending, bool first) {
  const auto idle =
      c.authenticated ? limits.idle_timeout : std::min(limits.idle_timeout, limits.unauthenticated_idle_timeout);
  c.deadline.after(first ? limits.header_timeout : idle);
  bool head_seen = false;
  for (;;) {
    if (!pending.empty()) {
      const bool was_started = parser.started();
      pending.erase(0, parser.feed(pending));
      if (!first && !was_started && parser.started()) {
        c.deadline.after(limits.header_timeout);
      }
      if (parser.failed()) {
        co_return ReadOutcome::kRefused;
      }
      if (parser.head_done() && !head_seen) {
        head_seen = true;
        if (parser.request().expect_continue && !parser.done() &&
            !co_await write_all(c, continue_response(), limits.write_timeout)) {
          co_return ReadOutcome::kClosed;
        }
        c.deadline.after(limits.body_timeout);
      }
      if (parser.done()) {
        co_return ReadOutcome::kComplete;
      }
    }
    auto [ec, n] = co_await c.stream.async_read_some(net::buffer(c.buffer), kTuple);
    if (ec) {
      co_return ReadOutcome::kClosed;
    }
    pending.assign(c.buffer.data(), n);
  }
}

// The audit record (mutating routes of an authenticated caller, whatever the outcome) and the access log
// line. Anonymous refusals are only counted (RefusalCounts): written down, they would let anyone fill
// the disk and the journal.
void record(Shared& s, const std::string& method, const Admission& adm, const std::string& address,
            const ApiResponse& response) {
  const std::string path = adm.request.path.empty() ? std::string("<malformed target>") : redact_path(adm.request.path);
  const std::string caller = adm.request.caller.name.empty() ? std::string("-") : adm.request.caller.name;
  const std::string route = adm.routed ? std::string(to_string(adm.route)) : std::string("-");
  if (adm.routed && is_mutating(adm.route) && !adm.request.caller.name.empty()) {
    const AuditEntry entry{std::chrono::system_clock::now(),
                           caller,
                           address,
                           method,
                           path,
                           route,
                           response.status,
                           audit_result(response)};
    if (auto st = s.audit.append(entry); !st) {
      spdlog::error("control: {}", st.error().message);
    }
    std::string line = audit_line(entry);
    line.pop_back();
    spdlog::info("control: audit {}", line);
  } else {
    spdlog::debug("control: {} {} {} from {} -> {}", caller, method, path, address, response.status);
  }
}

// Whether the caller that opened an event stream may still watch it: the token that admitted it is still
// in the tokens file with a scope the route allows (the unix socket has no token to lose).
bool still_admitted(Shared& s, const Admission& adm) {
  return !adm.token || s.tokens.current().still_grants(*adm.token, required_scope(adm.route));
}

template <class Stream>
net::awaitable<void> pump_events(Shared& s, Connection<Stream>& c, EventQueue& q, const Admission& adm) {
  const ServerLimits& limits = s.limits;
  auto next_beat = Clock::now() + limits.heartbeat_interval;
  auto next_check = Clock::now() + limits.token_recheck_interval;
  for (;;) {
    if (q.overflowed) {
      spdlog::warn("control: event stream to {} dropped: the client fell {} events behind", c.address, q.max_items);
      co_return;
    }
    if (!q.items.empty() || Clock::now() >= next_check) {
      if (!still_admitted(s, adm)) {
        spdlog::info("control: event stream to {} closed: token \"{}\" is no longer valid", c.address, adm.token->name);
        co_await write_all(c, sse_comment("token no longer valid"), limits.write_timeout);
        co_return;
      }
      next_check = Clock::now() + limits.token_recheck_interval;
    }
    if (!q.items.empty()) {
      std::string batch;
      for (auto& item : q.items) {
        batch += item;
      }
      q.items.clear();
      if (!co_await write_all(c, batch, limits.write_timeout)) {
        co_return;
      }
      continue;
    }
    if (Clock::now() >= next_beat) {
      if (!co_await write_all(c, sse_comment("heartbeat"), limits.write_timeout)) {
        co_return;
      }
      next_beat = Clock::now() + limits.heartbeat_interval;
      continue;
    }
    q.wake.expires_at(std::min(next_beat, next_check));
    co_await q.wake.async_wait(kTuple);
    const net::cancellation_state state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none) {
      co_return;
    }
  }
}

// Reads (and ignores) what the client sends while it watches events, to notice at once when it leaves.
template <class Stream>
net::awaitable<void> watch_client(Connection<Stream>& c) {
  std::size_t received = 0;
  while (received < kLingerBytes) {
    auto [ec, n] = co_await c.stream.async_read_some(net::buffer(c.buffer), kTuple);
    if (ec) {
      co_return;
    }
    received += n;
  }
}

template <class Stream>
net::awaitable<void> stream_events(Shared& s, Connection<Stream>& c, const Admission& adm) {
  if (s.event_streams >= s.limits.max_event_streams) {
    const auto busy = error_response(503, "busy", "too many event streams open");
    const std::string bytes = serialize_response(busy, KeepAlive::kNo);
    co_await write_all(c, bytes, s.limits.write_timeout);
    co_return;
  }
  // Subscribed before the head goes out, and the head carries a first comment: a client that sees any
  // body knows that no later event can be missed (the CLI starts a swap only then).
  auto queue = std::make_shared<EventQueue>(s.executor, s.limits.max_queued_events);
  ++s.event_streams;
  const auto id = s.backend.subscribe([queue](const nlohmann::json& event) { queue->push(sse_event(event)); });
  struct Unsubscribe {
    Shared& s;
    std::uint64_t id;
    ~Unsubscribe() {
      if (!s.detached) {
        s.backend.unsubscribe(id);
      }
      --s.event_streams;
    }
  } unsubscribe{s, id};
  const std::string head = std::string(event_stream_head()) + sse_comment("subscribed");
  if (!co_await write_all(c, head, s.limits.write_timeout)) {
    co_return;
  }
  spdlog::debug("control: event stream opened for {}", c.address);
  co_await (pump_events(s, c, *queue, adm) || watch_client(c));
  spdlog::debug("control: event stream closed for {}", c.address);
}

// Answers one complete request; false when the connection must end afterwards.
template <class Stream>
net::awaitable<bool> answer(Shared& s, Connection<Stream>& c, ParsedRequest parsed, bool may_keep_alive) {
  bool keep_alive = parsed.keep_alive && may_keep_alive && !s.stopping;
  const std::string method = parsed.method;
  Admission adm =
      admit_request(std::move(parsed), Peer{c.transport, c.address}, s.tokens.current(), s.throttle, Clock::now());
  if (!adm.request.caller.name.empty()) {
    c.authenticated = true;
  }
  ApiResponse response;
  bool refused = false;
  if (adm.reject) {
    refused = s.refused.count(adm.reject->status);
    response = std::move(*adm.reject);
  } else if (is_mutating(adm.route) && !s.audit.is_open()) {
    response = error_response(503, "audit_unavailable", "the audit log cannot be written; nothing was changed");
  } else if (adm.route == RouteId::kEvents) {
    record(s, method, adm, c.address, ApiResponse{});
    co_await stream_events(s, c, adm);
    co_return false;
  } else {
    c.deadline.clear();
    try {
      response = co_await s.backend.handle(adm.route, adm.request);
    } catch (const std::exception& e) {
      spdlog::error("control: {} failed: {}", to_string(adm.route), e.what());
      response = error_response(500, "internal", "internal error");
    }
    if (adm.route == RouteId::kMetrics && response.status == 200) {
      if (!response.text.empty() && response.text.back() != '\n') {
        response.text += '\n';
      }
      response.text += refusal_metrics(s.refused);
    }
  }
  record(s, method, adm, c.address, response);
  // A client that sent a malformed request gets no second chance on the same connection.
  keep_alive = keep_alive && response.status != 400;
  // Nor does one that keeps presenting no or bad credentials.
  if (refused && ++c.refusals >= s.limits.max_refusals_per_connection) {
    keep_alive = false;
  }
  // Arguments of a co_await are kept simple (named values, no temporaries built by conditionals): GCC 12
  // mishandles some temporaries that live across a suspension.
  const KeepAlive keep = keep_alive ? KeepAlive::kYes : KeepAlive::kNo;
  if (response.json_text) {
    const std::shared_ptr<const std::string> body = response.json_text;  // kept alive for the write
    const std::string head = serialize_head(response, keep, body->size());
    const std::string_view body_text = *body;
    const bool sent = co_await write_all(c, head, s.limits.write_timeout, body_text);
    co_return sent&& keep_alive;
  }
  const std::string bytes = serialize_response(response, keep);
  const bool sent = co_await write_all(c, bytes, s.limits.write_timeout);
  co_return sent&& keep_alive;
}

template <class Stream>
net::awaitable<void> serve_requests(Shared& s, Connection<Stream>& c) {
  RequestParser parser(ParserLimits{s.limits.header_bytes, s.limits.body_bytes, 64});
  std::string pending;
  for (std::size_t served = 0;; ++served) {
    parser.reset();
    const ReadOutcome got = co_await read_request(c, s.limits, parser, pending, served == 0);
    if (got == ReadOutcome::kClosed) {
      c.close();
      co_return;
    }
    if (got == ReadOutcome::kRefused) {
      spdlog::debug("control: refused a request from {}: {}", c.address, parser.error_message());
      const auto refusal = parse_error_response(parser.error_status(), parser.error_message());
      const std::string bytes = serialize_response(refusal, KeepAlive::kNo);
      co_await write_all(c, bytes, s.limits.write_timeout);
      co_await close_connection(c, true);
      co_return;
    }
    const bool more = served + 1 < s.limits.max_requests_per_connection;
    if (!co_await answer(s, c, parser.take_request(), more)) {
      co_await close_connection(c, false);
      co_return;
    }
  }
}

template <class Stream>
net::awaitable<void> run_session(std::shared_ptr<Shared> s, std::shared_ptr<Connection<Stream>> c) {
  struct Slot {
    Shared& s;
    Connection<Stream>& c;
    std::uint64_t key;
    ~Slot() {
      c.deadline.finish();
      s.forget(key);
      s.release_slot(c.address, c.transport);
    }
  } slot{*s, *c, s->track([weak = std::weak_ptr<Connection<Stream>>(c)] {
           if (auto conn = weak.lock()) {
             conn->close();
           }
         })};
  net::co_spawn(s->executor, watchdog(c), log_failure);
  if constexpr (kIsTls<Stream>) {
    c->deadline.after(s->limits.handshake_timeout);
    auto [ec] = co_await c->stream.async_handshake(ssl::stream_base::server, kTuple);
    if (ec) {
      spdlog::debug("control: TLS handshake with {} failed: {}", c->address, ec.message());
      c->close();
      co_return;
    }
  }
  co_await serve_requests(*s, *c);
}

template <class Stream>
void start_session(const std::shared_ptr<Shared>& s, Stream stream, std::string address, Transport transport) {
  auto c = std::make_shared<Connection<Stream>>(std::move(stream), std::move(address), transport, s->executor);
  net::co_spawn(s->executor, run_session(s, std::move(c)), log_failure);
}

}  // namespace

void start_tcp_session(const std::shared_ptr<Shared>& shared, tcp::socket socket, std::string address) {
  if (shared->tls) {
    start_session(shared, TlsStream(std::move(socket), *shared->tls), std::move(address), Transport::kTcp);
  } else {
    start_session(shared, std::move(socket), std::move(address), Transport::kTcp);
  }
}

void start_unix_session(const std::shared_ptr<Shared>& shared, UnixStream socket) {
  start_session(shared, std::move(socket), "unix", Transport::kUnixSocket);
}

}  // namespace berth::control
