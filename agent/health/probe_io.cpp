#include "common/signal_io.hpp"
#include "health/runner.hpp"

#include "common/text.hpp"
#include "http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <variant>

namespace berth::health {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace net::experimental::awaitable_operators;
using common::ErrorKind;
using std::chrono::milliseconds;

namespace {

using common::kTuple;

// The output is whatever the container or the service wrote: any bytes, kept as printable text.
ProbeResult result(ProbeStatus status, const std::string& detail, std::string_view output = {}) {
  return ProbeResult{status, common::printable_text(detail), common::printable_text(output, kProbeOutputLimit)};
}

// The last whole lines of a container's logs within kFailureLogBytes, as printable text.
std::string log_tail(std::string_view logs) {
  if (logs.size() > kFailureLogBytes) {
    logs.remove_prefix(logs.size() - kFailureLogBytes);
    const auto newline = logs.find('\n');
    logs.remove_prefix(newline == std::string_view::npos ? 0 : newline + 1);
  }
  return common::printable_text(logs);
}

// A health probe of the service's own endpoint from the same host, like a load balancer's health check:
// the certificate is often self-signed and issued for a public name, not 127.0.0.1, so it is not
// verified. The probe only asks whether the service answers; it sends nothing secret and trusts nothing
// it reads.
std::shared_ptr<ssl::context> unverified_tls() {
  static const auto ctx = [] {
    auto c = std::make_shared<ssl::context>(ssl::context::tls_client);
    c->set_verify_mode(ssl::verify_none);
    return c;
  }();
  return ctx;
}

// "connect to http://127.0.0.1:8080: Connection refused" -> "could not connect (Connection refused)".
std::string transport_detail(const common::Error& e, const http::Endpoint& ep, milliseconds timeout) {
  if (e.kind == ErrorKind::kTimeout) {
    return "did not answer within " + format_seconds(timeout);
  }
  const std::string where = ep.describe() + ": ";
  const auto at = e.message.find(where);
  const std::string cause = at == std::string::npos ? e.message : e.message.substr(at + where.size());
  if (e.message.rfind("connect to", 0) == 0) {
    return "could not connect (" + cause + ")";
  }
  if (e.message.rfind("TLS handshake", 0) == 0) {
    return "failed the TLS handshake (" + cause + ")";
  }
  // Docker's port proxy accepts the connection even when nothing in the container listens, then closes it.
  if (cause == "end of stream" || cause.find("reset") != std::string::npos) {
    return "closed the connection without answering (" + cause + ")";
  }
  return "failed (" + e.message + ")";
}

net::awaitable<ProbeResult> http_probe(const ProbeSpec& spec) {
  const auto ex = co_await net::this_coro::executor;
  http::Endpoint ep = spec.kind == ProbeKind::kHttps ? http::Endpoint::tls_to(spec.host, spec.port, unverified_tls())
                                                     : http::Endpoint::tcp(spec.host, spec.port);
  http::Client client(ex, ep);
  http::Request req;
  req.target = spec.path;
  // A stream reads only the start of a 2xx body: a probe of a large page must not fail on its size.
  std::string head;
  const auto t = spec.timing.timeout;
  auto res = co_await client.stream(std::move(req), http::StreamLimits{t, t, t}, [&](std::string_view piece) {
    if (head.size() < kProbeOutputLimit) {
      head.append(piece.substr(0, kProbeOutputLimit - head.size()));
    }
    return common::Status{};
  });
  if (!res) {
    co_return result(ProbeStatus::kFail, transport_detail(res.error(), ep, t));
  }
  const std::string& body = res->status >= 200 && res->status < 300 ? head : res->body;
  const auto status = spec.expect.contains(res->status) ? ProbeStatus::kPass : ProbeStatus::kFail;
  co_return result(status, "answered " + std::to_string(res->status), body);
}

net::awaitable<boost::system::error_code> tcp_connect(const std::string& host, std::uint16_t port) {
  const auto ex = co_await net::this_coro::executor;
  net::ip::tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), kTuple);
  if (rec) {
    co_return rec;
  }
  net::ip::tcp::socket socket(ex);
  auto [ec, connected] = co_await net::async_connect(socket, endpoints, kTuple);
  (void)connected;
  boost::system::error_code ignored;
  socket.close(ignored);
  co_return ec;
}

net::awaitable<ProbeResult> tcp_probe(const ProbeSpec& spec) {
  net::steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(spec.timing.timeout);
  auto done = co_await (tcp_connect(spec.host, spec.port) || timer.async_wait(net::use_awaitable));
  if (done.index() == 1) {
    co_return result(ProbeStatus::kFail, "did not accept a connection within " + format_seconds(spec.timing.timeout));
  }
  const auto ec = std::get<0>(done);
  if (ec) {
    co_return result(ProbeStatus::kFail, "could not connect (" + ec.message() + ")");
  }
  co_return result(ProbeStatus::kPass, "accepted a connection");
}

net::awaitable<ProbeResult> exec_probe(docker::DockerClient& docker, const ProbeSpec& spec, const std::string& id) {
  auto ran = co_await docker.exec(id, exec_argv(spec), spec.timing.timeout);
  if (!ran) {
    if (ran.error().kind == ErrorKind::kTimeout) {
      co_return result(ProbeStatus::kFail, "did not finish within " + format_seconds(spec.timing.timeout));
    }
    co_return result(ProbeStatus::kFail, "could not run (" + ran.error().message + ")");
  }
  const auto status = ran->exit_code == 0 ? ProbeStatus::kPass : ProbeStatus::kFail;
  co_return result(status, "exited with code " + std::to_string(ran->exit_code), ran->output);
}

net::awaitable<ProbeResult> state_probe(docker::DockerClient& docker, const ProbeSpec& spec, const std::string& id) {
  auto inspected = co_await docker.inspect_container(id);
  if (!inspected) {
    co_return result(ProbeStatus::kFail, "could not inspect the container (" + inspected.error().message + ")");
  }
  auto state = docker::parse_container_state(*inspected);
  if (!state) {
    co_return result(ProbeStatus::kFail, "could not read the container state (" + state.error().message + ")");
  }
  if (spec.kind == ProbeKind::kRunning) {
    co_return state->running ? result(ProbeStatus::kPass, "is running")
                             : result(ProbeStatus::kFail, "container is " + state->status);
  }
  if (state->health == "healthy") {
    co_return result(ProbeStatus::kPass, "reports healthy", state->health_output);
  }
  if (state->health == "starting") {
    co_return result(ProbeStatus::kStarting, "reports starting", state->health_output);
  }
  if (state->health == "unhealthy") {
    co_return result(ProbeStatus::kUnhealthy, "reports unhealthy", state->health_output);
  }
  co_return result(ProbeStatus::kFail, "is missing: the container has no Docker health status");
}

// nullopt when the Docker Engine did not answer; a not-existing observation when the container is gone.
net::awaitable<std::optional<ContainerObservation>> observe(docker::DockerClient& docker, const std::string& id) {
  auto inspected = co_await docker.inspect_container(id);
  if (!inspected) {
    if (inspected.error().kind == ErrorKind::kNotFound) {
      ContainerObservation gone;
      gone.exists = false;
      co_return gone;
    }
    co_return std::nullopt;
  }
  auto observed = observation_from_inspect(*inspected);
  if (!observed) {
    co_return std::nullopt;
  }
  co_return *observed;
}

milliseconds since(TimePoint from, TimePoint to) { return std::chrono::duration_cast<milliseconds>(to - from); }

net::awaitable<GateOutcome> outcome_of(docker::DockerClient& docker, const GateTracker& tracker, const std::string& id,
                                       TimePoint start, const std::optional<ContainerObservation>& last) {
  GateOutcome out;
  out.passed = tracker.verdict().passed();
  out.reason = tracker.verdict().reason;
  out.duration = since(start, Clock::now());
  if (const auto passed_at = tracker.gate_passed_at()) {
    out.time_to_pass = since(start, *passed_at);
  }
  if (out.passed) {
    co_return out;
  }
  if (last && last->exists && !last->running) {
    out.exit_code = last->exit_code;
  }
  if (!last || last->exists) {
    auto logs = co_await docker.logs(id, kFailureLogLines);
    if (logs) {
      out.last_logs = log_tail(*logs);
    }
  }
  co_return out;
}

}  // namespace

net::awaitable<ProbeResult> run_probe(docker::DockerClient& docker, const ProbeSpec& spec,
                                      const std::string& container_id) {
  switch (spec.kind) {
    case ProbeKind::kHttp:
    case ProbeKind::kHttps: co_return co_await http_probe(spec);
    case ProbeKind::kTcp: co_return co_await tcp_probe(spec);
    case ProbeKind::kExec: co_return co_await exec_probe(docker, spec, container_id);
    case ProbeKind::kDockerHealth:
    case ProbeKind::kRunning: co_return co_await state_probe(docker, spec, container_id);
  }
  co_return result(ProbeStatus::kFail, "is of an unknown kind");
}

net::awaitable<GateOutcome> run_gate(docker::DockerClient& docker, const ProbeSpec& spec,
                                     const std::string& container_id, milliseconds monitor, ProbeCountFn on_probe) {
  net::steady_timer timer(co_await net::this_coro::executor);
  const TimePoint start = Clock::now();
  GateTracker tracker(spec, monitor, start);
  std::optional<ContainerObservation> last;
  for (;;) {
    auto container = co_await observe(docker, container_id);
    std::optional<ProbeResult> probe;
    if (container && container->running && tracker.probe_due(Clock::now())) {
      probe = co_await run_probe(docker, spec, container_id);
      if (!probe->ok()) {
        // A failed probe is often a container that just exited: look again so the reason says so.
        if (auto again = co_await observe(docker, container_id)) {
          container = std::move(again);
        }
      }
    }
    if (container) {
      last = container;
    }
    if (!tracker.tick(Clock::now(), container, probe).pending()) {
      break;
    }
    if (probe && on_probe) {
      on_probe(tracker.probe_count());
    }
    timer.expires_at(tracker.next_tick(Clock::now()));
    co_await timer.async_wait(net::use_awaitable);
  }
  co_return co_await outcome_of(docker, tracker, container_id, start, last);
}

}  // namespace berth::health
