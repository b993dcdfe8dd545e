// RegistrySession's transport: connections per origin with the registry's CA, HTTPS with a plain-HTTP
// fallback for insecure registries, redirects, and the request pipeline with rate limits and backoff.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "common/loopback.hpp"
#include "common/text.hpp"
#include "registry/registry_error.hpp"
#include "registry/registry_session.hpp"

// GCC 12 at -O2 takes the allocation of Asio's coroutine frames (aligned_alloc in its operator new, released
// by its own operator delete) for a mismatched pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace berth::registry {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Failures that say something about the registry (and back it off), as opposed to local configuration
// problems such as an unreadable CA file.
bool is_registry_failure(ErrorKind kind) {
  return kind == ErrorKind::kUnavailable || kind == ErrorKind::kTimeout || kind == ErrorKind::kProtocol ||
         kind == ErrorKind::kTooLarge || kind == ErrorKind::kRateLimited;
}

std::string seconds_text(Clock::duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string((ms + 999) / 1000) + " s";
}

// Lets the requests that waited for a registry's first answer go ahead.
struct ProbeGuard {
  RegistryState* st = nullptr;
  ProbeGuard() = default;
  ProbeGuard(const ProbeGuard&) = delete;
  ProbeGuard& operator=(const ProbeGuard&) = delete;
  ~ProbeGuard() {
    if (st != nullptr) {
      st->probing = false;
      st->first_answer.notify_all();
    }
  }
};

// Trusts the system store plus, for this host, agent.json's ca_file or Docker's certs.d directory.
Result<std::shared_ptr<ssl::context>> tls_context(const RegistryClientSettings& settings, const Origin& origin) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);  // a host without a system store still trusts its configured CAs
  const std::string authority = origin.authority();
  const auto configured = settings.registries.find(authority);
  if (configured != settings.registries.end() && configured->second.ca_file) {
    ctx->load_verify_file(*configured->second.ca_file, ec);
    if (ec) {
      return make_error(ErrorKind::kInvalidArgument, "registry " + authority + ": cannot load ca_file " +
                                                         *configured->second.ca_file + ": " + ec.message());
    }
    return ctx;
  }
  if (settings.certs_dir.empty()) {
    return ctx;
  }
  std::error_code fec;
  const std::filesystem::path dir = std::filesystem::path(settings.certs_dir) / authority;
  for (std::filesystem::directory_iterator it(dir, fec), end; !fec && it != end; it.increment(fec)) {
    if (it->path().extension() != ".crt") {
      continue;
    }
    ctx->load_verify_file(it->path().string(), ec);
    if (ec) {
      return make_error(ErrorKind::kInvalidArgument,
                        "registry " + authority + ": cannot load " + it->path().string() + ": " + ec.message());
    }
  }
  return ctx;
}

}  // namespace

RegistrySession::RegistrySession(net::any_io_executor executor, RegistryClientSettings settings)
    : executor_(std::move(executor)),
      settings_(std::move(settings)),
      in_flight_(executor_, std::max<std::size_t>(1, settings_.requests_in_flight)) {}

RegistrySession::~RegistrySession() = default;

RegistryState* RegistrySession::find_state(std::string_view registry) {
  const auto it = registries_.find(registry);
  if (it != registries_.end()) {
    return it->second.get();
  }
  for (auto& [name, state] : registries_) {
    if (state->api_host == registry) {
      return state.get();
    }
  }
  return nullptr;
}

const RegistryState* RegistrySession::find_state(std::string_view registry) const {
  return const_cast<RegistrySession*>(this)->find_state(registry);
}

RegistryState& RegistrySession::state_for(const ImageReference& ref) {
  auto it = registries_.find(ref.registry);
  if (it == registries_.end()) {
    auto st = std::make_unique<RegistryState>(executor_);
    st->registry = ref.registry;
    st->api_host = ref.api_host();
    st->backoff = RegistryBackoff(settings_.backoff);
    const auto split = split_authority(st->api_host);
    st->insecure = (split && common::is_loopback_host(split->first)) ||
                   std::any_of(settings_.insecure_registries.begin(), settings_.insecure_registries.end(),
                               [&](const std::string& name) {
                                 return name == st->api_host || name == ref.registry || (split && name == split->first);
                               });
    it = registries_.emplace(ref.registry, std::move(st)).first;
  }
  return *it->second;
}

std::optional<RateLimitBudget> RegistrySession::rate_limit(std::string_view registry) const {
  const auto* st = find_state(registry);
  return st != nullptr ? st->rate_limit : std::nullopt;
}

std::optional<Clock::time_point> RegistrySession::backoff_until(std::string_view registry) const {
  const auto* st = find_state(registry);
  if (st == nullptr || st->backoff.ready(Clock::now())) {
    return std::nullopt;
  }
  return st->backoff.retry_at();
}

std::optional<Error> RegistrySession::backed_off(const RegistryState& st) const {
  const auto now = Clock::now();
  if (st.backoff.ready(now)) {
    return std::nullopt;
  }
  return make_error(st.rate_limited ? ErrorKind::kRateLimited : ErrorKind::kUnavailable,
                    "registry " + st.registry + " is backed off for another " +
                        seconds_text(st.backoff.retry_at() - now) + " after " + std::to_string(st.backoff.failures()) +
                        " failed request(s); last: " + st.last_failure);
}

void RegistrySession::note_failure(RegistryState& st, const Error& error, std::optional<Clock::duration> retry_after) {
  if (!is_registry_failure(error.kind)) {
    return;
  }
  const bool was_ready = st.backoff.ready(Clock::now());
  st.backoff.record_failure(Clock::now(), retry_after);
  if (was_ready || error.kind == ErrorKind::kRateLimited) {
    st.rate_limited = error.kind == ErrorKind::kRateLimited;
    st.last_failure = error.message;
  }
}

// Reads the rate-limit headers; 429 and 5xx become errors that back the registry off.
std::optional<Error> RegistrySession::judge_status(RegistryState& st, const http::Response& resp,
                                                   const std::string& what) {
  if (auto budget = parse_rate_limit(resp.header("ratelimit-limit"), resp.header("ratelimit-remaining"))) {
    st.rate_limit = budget;
  }
  if (resp.status == 429) {
    Error error = registry_error(resp.status, resp.body, what);
    note_failure(st, error, parse_retry_after(resp.header("Retry-After"), std::chrono::system_clock::now()));
    return error;
  }
  if (resp.status >= 500) {
    Error error = registry_error(resp.status, resp.body, what);
    note_failure(st, error, std::nullopt);
    return error;
  }
  st.backoff.record_success();
  return std::nullopt;
}

Result<http::Client*> RegistrySession::client_for(const Origin& origin) {
  const std::string key = origin.key();
  if (auto it = clients_.find(key); it != clients_.end()) {
    return it->second.get();
  }
  http::Endpoint endpoint = http::Endpoint::tcp(origin.host, origin.port);
  if (origin.tls) {
    auto ctx = tls_context(settings_, origin);
    if (!ctx) {
      return ctx.error();
    }
    endpoint = http::Endpoint::tls_to(origin.host, origin.port, std::move(*ctx));
  }
  auto client = std::make_unique<http::Client>(executor_, std::move(endpoint), std::string(),
                                               std::max<std::size_t>(1, settings_.connections_per_origin), &in_flight_);
  auto* raw = client.get();
  clients_.emplace(key, std::move(client));
  return raw;
}

// One request, following redirects; Authorization is dropped when a redirect leaves the origin.
net::awaitable<Result<http::Response>> RegistrySession::fetch(Origin origin, http::Request req, std::size_t body_limit,
                                                              int& answered) {
  const Origin first = origin;
  http::Limits limits{settings_.request_timeout, body_limit};
  for (int hop = 0;; ++hop) {
    auto client = client_for(origin);
    if (!client) {
      co_return client.error();
    }
    auto resp = co_await (*client)->request(req, limits);
    if (!resp) {
      co_return resp.error();
    }
    ++answered;
    if (!is_redirect(resp->status)) {
      co_return resp;
    }
    if (hop >= settings_.max_redirects) {
      co_return make_error(ErrorKind::kProtocol, "more than " + std::to_string(settings_.max_redirects) +
                                                     " redirects from " + first.key() + req.target);
    }
    auto next = resolve_location(origin, resp->header("Location"));
    if (!next) {
      co_return next.error().context("redirect from " + origin.key());
    }
    if (!(next->origin == first)) {
      std::erase_if(req.headers, [](const auto& h) { return common::iequals(h.first, "Authorization"); });
    }
    if (resp->status == 303 && req.method != "HEAD") {
      req.method = "GET";
      req.body.clear();
    }
    origin = std::move(next->origin);
    req.target = std::move(next->target);
  }
}

// HTTPS first; an insecure (loopback) registry whose TLS handshake fails is tried over plain HTTP. The
// scheme that answered is kept for the registry.
net::awaitable<Result<http::Response>> RegistrySession::to_registry(RegistryState& st, http::Request req,
                                                                    std::size_t body_limit, RequestTally& tally) {
  if (st.origin) {
    co_return co_await fetch(*st.origin, std::move(req), body_limit, tally.registry);
  }
  auto split = split_authority(st.api_host);
  if (!split) {
    co_return split.error().context("registry " + st.registry);
  }
  Origin secure{true, split->first, split->second.value_or(443)};
  auto resp = co_await fetch(secure, req, body_limit, tally.registry);
  if (resp || !st.insecure || resp.error().kind == ErrorKind::kTimeout ||
      resp.error().kind == ErrorKind::kInvalidArgument) {
    if (resp) {
      st.origin = secure;
    }
    co_return resp;
  }
  Origin plain{false, split->first, split->second.value_or(80)};
  auto fallback = co_await fetch(plain, std::move(req), body_limit, tally.registry);
  // A TLS server answers plain HTTP with 400 ("client sent an HTTP request to an HTTPS server"): the TLS
  // failure is the real news then.
  if (fallback && fallback->status != 400) {
    st.origin = plain;
    co_return fallback;
  }
  co_return make_error(resp.error().kind,
                       resp.error().message + "; over plain HTTP: " +
                           (fallback ? "HTTP 400, the server speaks TLS" : fallback.error().message));
}

net::awaitable<Result<http::Response>> RegistrySession::send(const ImageReference& ref, http::Request req,
                                                             std::size_t body_limit, const std::string& what,
                                                             RequestTally& tally) {
  RegistryState& st = state_for(ref);
  while (!st.answered && st.probing) {
    co_await st.first_answer.wait();
  }
  if (auto busy = backed_off(st)) {
    co_return *busy;
  }
  // The first request to a registry goes alone: it learns the scheme and the authentication the others use.
  ProbeGuard guard;
  if (!st.answered) {
    st.probing = true;
    guard.st = &st;
  }
  std::string sent;
  for (int attempt = 0;; ++attempt) {
    auto auth = co_await authorization(st, ref, sent, tally);
    if (!auth) {
      co_return auth.error();
    }
    if (attempt > 0 && auth->empty() && st.auth == AuthScheme::kBasic) {
      co_return make_error(ErrorKind::kUnauthorized, "registry " + st.registry +
                                                         " requires credentials (Basic) and none are configured "
                                                         "in agent.json or the docker config");
    }
    http::Request r = req;
    if (!auth->empty()) {
      r.headers.emplace_back("Authorization", *auth);
    }
    auto resp = co_await to_registry(st, std::move(r), body_limit, tally);
    if (!resp) {
      note_failure(st, resp.error(), std::nullopt);
      co_return resp.error().context(what);
    }
    if (auto failure = judge_status(st, *resp, what)) {
      co_return *failure;
    }
    if (resp->status != 401) {
      st.answered = true;
      co_return resp;
    }
    if (auto learned = learn_challenge(st, *resp, *auth); !learned) {
      co_return learned.error().context(what);
    }
    st.answered = true;  // scheme and challenge known: other requests may go ahead
    if (attempt > 0) {
      co_return unauthorized(st, *resp, what);
    }
    sent = std::move(*auth);
  }
}

}  // namespace berth::registry
