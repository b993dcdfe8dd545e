#pragma once

// The HTTP side of RegistryClient, shared by the registry module's *_io.cpp files: connections per host
// (TLS with the registry's CA, plain HTTP for insecure loopback registries), redirects, authentication
// (credentials, Basic, Bearer tokens), rate-limit headers and per-registry backoff. Not for use outside
// agent/registry.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "aws/services.hpp"
#include "common/error.hpp"
#include "common/signal_io.hpp"
#include "http/client.hpp"
#include "registry/client.hpp"
#include "registry/credentials.hpp"
#include "registry/ratelimit.hpp"
#include "registry/reference.hpp"
#include "registry/token.hpp"
#include "registry/url.hpp"

namespace berth::registry {

using Clock = std::chrono::steady_clock;

// HTTP exchanges made on behalf of one call, for TagDigest and the tests.
struct RequestTally {
  int registry = 0;
  int token = 0;
};

using common::Signal;

// A bearer token for one (realm, service, scope).
struct TokenSlot {
  explicit TokenSlot(const boost::asio::any_io_executor& executor) : fetched(executor) {}
  std::string token;
  Clock::time_point refresh_at{};
  bool fetching = false;
  Signal fetched;
};

// Credentials resolved for one registry.
struct CredentialSlot {
  explicit CredentialSlot(const boost::asio::any_io_executor& executor) : resolved_signal(executor) {}
  bool resolved = false;
  Clock::time_point expires_at{};
  std::optional<Credential> credential;  // nullopt: anonymous
  std::string source;                    // "agent.json", "/root/.docker/config.json", "docker-credential-pass"
  bool from_ecr = false;                 // an ECR login: worth renewing at once when it is refused
  bool resolving = false;
  Signal resolved_signal;
};

// Where a registry's credential comes from: a value found in agent.json or config.json `auths`, or a
// credential helper still to run.
struct CredentialPlan {
  std::optional<Credential> credential;
  std::string source;      // for messages: "agent.json", the config.json path, "docker-credential-pass"
  std::string helper;      // run docker-credential-<helper> when not empty
  std::string server_url;  // what to write to the helper's stdin
  bool ecr = false;        // log in with ECR's GetAuthorizationToken
  std::string ecr_region;  // in this region; empty: the agent's
};

enum class AuthScheme { kUnknown, kBasic, kBearer };

// What berth knows about one registry (by ImageReference::registry).
struct RegistryState {
  explicit RegistryState(const boost::asio::any_io_executor& executor) : credential(executor), first_answer(executor) {}
  std::string registry;          // "docker.io"
  std::string api_host;          // "registry-1.docker.io"
  std::optional<Origin> origin;  // set once the registry answered over https or (insecure) http
  bool insecure = false;
  AuthScheme auth = AuthScheme::kUnknown;
  TokenEndpoint bearer;  // realm and service when auth is kBearer
  CredentialSlot credential;
  RegistryBackoff backoff;
  bool rate_limited = false;  // the last failure was a 429
  std::string last_failure;
  std::optional<RateLimitBudget> rate_limit;
  // Until the registry has answered once, one request at a time finds out its scheme and authentication.
  bool answered = false;
  bool probing = false;
  Signal first_answer;
};

class RegistrySession {
 public:
  RegistrySession(boost::asio::any_io_executor executor, RegistryClientSettings settings);
  ~RegistrySession();
  RegistrySession(const RegistrySession&) = delete;
  RegistrySession& operator=(const RegistrySession&) = delete;

  // Sends a request to the registry of `ref` (target "/v2/..."), authenticating as the registry asks, and
  // returns its answer. 401 after the credentials were offered becomes kUnauthorized; 429, 5xx and transport
  // failures become errors and back the registry off; while it is backed off no request goes out. Other
  // statuses (200, 404, ...) are returned for the caller to judge. `what` names the request in errors.
  boost::asio::awaitable<common::Result<http::Response>> send(const ImageReference& ref, http::Request req,
                                                              std::size_t body_limit, const std::string& what,
                                                              RequestTally& tally);

  // The credential for the registry of `ref`: agent.json, then the docker config (auths, credential
  // helpers), else nullopt (anonymous). Cached for credential_ttl.
  boost::asio::awaitable<common::Result<std::optional<Credential>>> credential(const ImageReference& ref);

  [[nodiscard]] std::optional<RateLimitBudget> rate_limit(std::string_view registry) const;
  [[nodiscard]] std::optional<Clock::time_point> backoff_until(std::string_view registry) const;

 private:
  RegistryState& state_for(const ImageReference& ref);
  RegistryState* find_state(std::string_view registry);
  [[nodiscard]] const RegistryState* find_state(std::string_view registry) const;
  std::optional<common::Error> backed_off(const RegistryState& st) const;
  void note_failure(RegistryState& st, const common::Error& error, std::optional<Clock::duration> retry_after);
  std::optional<common::Error> judge_status(RegistryState& st, const http::Response& resp, const std::string& what);

  // Transport: connections per origin, scheme discovery, redirects.
  common::Result<http::Client*> client_for(const Origin& origin);
  boost::asio::awaitable<common::Result<http::Response>> fetch(Origin origin, http::Request req, std::size_t body_limit,
                                                               int& answered);
  boost::asio::awaitable<common::Result<http::Response>> to_registry(RegistryState& st, http::Request req,
                                                                     std::size_t body_limit, RequestTally& tally);

  // Authentication (auth_io.cpp).
  boost::asio::awaitable<common::Result<std::string>> authorization(RegistryState& st, const ImageReference& ref,
                                                                    const std::string& stale, RequestTally& tally);
  boost::asio::awaitable<common::Result<std::optional<Credential>>> credential(RegistryState& st);
  common::Result<CredentialPlan> plan_credential(const std::string& registry) const;
  common::Result<CredentialPlan> plan_from_docker_config(const std::string& registry) const;
  boost::asio::awaitable<common::Result<aws::RegistryLogin>> ecr_login(const std::string& region);
  boost::asio::awaitable<common::Result<std::string>> bearer_token(RegistryState& st, const std::string& scope,
                                                                   const std::string& stale, RequestTally& tally);
  common::Result<std::pair<Origin, http::Request>> token_request(const RegistryState& st, const Credential* c,
                                                                 const std::string& scope) const;
  common::Result<BearerToken> token_answer(RegistryState& st, const http::Response& resp, const Credential* c);
  boost::asio::awaitable<common::Result<TokenSlot*>> fetch_token(RegistryState& st, TokenSlot& slot,
                                                                 const std::string& scope, RequestTally& tally);
  common::Status learn_challenge(RegistryState& st, const http::Response& resp, const std::string& sent);
  common::Error unauthorized(RegistryState& st, const http::Response& resp, const std::string& what) const;
  TokenSlot& token_slot(const std::string& key);

  boost::asio::any_io_executor executor_;
  RegistryClientSettings settings_;
  common::Semaphore in_flight_;                                   // settings_.requests_in_flight, shared by the clients
  std::map<std::string, std::unique_ptr<http::Client>> clients_;  // by Origin::key()
  std::map<std::string, std::unique_ptr<RegistryState>, std::less<>> registries_;
  std::map<std::string, std::unique_ptr<TokenSlot>> tokens_;  // by realm, service and scope
  boost::asio::thread_pool blocking_{1};                      // credential helpers
};

// Runs `docker-credential-<helper> get` with `server_url` on stdin (blocking: call it off the event loop).
// The helper is looked up on PATH; NOTIFY_SOCKET, WATCHDOG_* and LISTEN_* are not passed to it; it is
// killed after `timeout`; its stdout (a secret) is never logged nor quoted in an error. nullopt means
// anonymous ("credentials not found").
common::Result<std::optional<Credential>> run_credential_helper(const std::string& helper,
                                                                const std::string& server_url,
                                                                std::chrono::milliseconds timeout);

}  // namespace berth::registry
