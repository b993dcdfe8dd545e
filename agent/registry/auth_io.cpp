// RegistrySession's authentication: credentials (agent.json, docker config.json, credential helpers), the
// registry's challenge, Basic authorization and Bearer tokens cached per realm, service and scope.

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <type_traits>

#include "aws/client_io.hpp"
#include "aws/services.hpp"
#include "common/off_loop.hpp"
#include "common/text.hpp"
#include "registry/challenge.hpp"
#include "registry/registry_error.hpp"
#include "registry/registry_session.hpp"

namespace berth::registry {

namespace net = boost::asio;
using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

constexpr std::size_t kMaxPasswordFileBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxDockerConfigBytes = std::size_t{1024} * 1024;
constexpr std::string_view kClientId = "berth";

enum class Missing { kError, kEmpty };

// Reads a small file whole. A missing file is an empty string when `missing` allows it.
Result<std::string> read_small_file(const std::string& path, std::size_t limit, Missing missing) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT && missing == Missing::kEmpty) {
      return std::string();
    }
    return make_error(ErrorKind::kInvalidArgument, "cannot read " + path + ": " + std::strerror(err));
  }
  std::string text;
  text.resize(limit + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > limit) {
    return make_error(ErrorKind::kTooLarge, path + " is larger than " + std::to_string(limit) + " bytes");
  }
  return text;
}

// agent.json entries for Docker Hub may use any of the names Docker accepts for it.
const config::RegistrySettings* configured_registry(const RegistryClientSettings& settings,
                                                    const std::string& registry) {
  if (auto it = settings.registries.find(registry); it != settings.registries.end()) {
    return &it->second;
  }
  if (registry == kDockerHubDomain) {
    for (const char* alias : {"index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"}) {
      if (auto it = settings.registries.find(alias); it != settings.registries.end()) {
        return &it->second;
      }
    }
  }
  return nullptr;
}

Result<std::optional<Credential>> from_agent_json(const config::RegistrySettings& entry, const std::string& registry) {
  if (!entry.username || entry.username->empty()) {
    return std::optional<Credential>();
  }
  Credential credential;
  credential.username = *entry.username;
  if (entry.password_file) {
    auto text = read_small_file(*entry.password_file, kMaxPasswordFileBytes, Missing::kError);
    if (!text) {
      return text.error().context("registry " + registry + ": password_file");
    }
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) {
      text->pop_back();
    }
    credential.password = std::move(*text);
  } else if (entry.password) {
    credential.password = *entry.password;
  }
  if (credential.password.empty()) {
    return make_error(ErrorKind::kInvalidArgument, "registry " + registry + ": agent.json names user \"" +
                                                       credential.username + "\" but no password");
  }
  return std::optional<Credential>(std::move(credential));
}

struct ResolvingGuard {
  CredentialSlot* slot;
  ~ResolvingGuard() {
    slot->resolving = false;
    slot->resolved_signal.notify_all();
  }
};

struct FetchingGuard {
  TokenSlot* slot;
  ~FetchingGuard() {
    slot->fetching = false;
    slot->fetched.notify_all();
  }
};

}  // namespace

Result<CredentialPlan> RegistrySession::plan_credential(const std::string& registry) const {
  CredentialPlan plan;
  if (const auto* entry = configured_registry(settings_, registry); entry != nullptr && entry->ecr) {
    // Not ECR's own name (a VPC endpoint, a proxy): said in agent.json, before the docker config.
    if (settings_.aws == nullptr) {
      return make_error(ErrorKind::kInvalidArgument, "registry " + registry + ": \"auth\": \"ecr\" needs AWS access");
    }
    plan.ecr = true;
    plan.ecr_region = aws::ecr_registry_region(registry).value_or("");
    plan.source = "ECR GetAuthorizationToken";
    return plan;
  } else if (entry != nullptr && entry->username) {
    auto credential = from_agent_json(*entry, registry);
    if (!credential) {
      return credential.error();
    }
    plan.credential = std::move(*credential);
    plan.source = "agent.json";
    return plan;
  }
  if (settings_.docker_config && !settings_.docker_config->empty()) {
    auto from_config = plan_from_docker_config(registry);
    if (!from_config || from_config->credential || !from_config->helper.empty()) {
      return from_config;
    }
  }
  // Nothing named for an ECR registry: log in with the instance role, as the ECS agent does.
  if (auto region = aws::ecr_registry_region(registry); region && settings_.aws != nullptr) {
    plan.ecr = true;
    plan.ecr_region = *region;
    plan.source = "ECR GetAuthorizationToken";
  }
  return plan;
}

Result<CredentialPlan> RegistrySession::plan_from_docker_config(const std::string& registry) const {
  CredentialPlan plan;
  auto text = read_small_file(*settings_.docker_config, kMaxDockerConfigBytes, Missing::kEmpty);
  if (!text) {
    return text.error().context("registry " + registry + ": docker config");
  }
  auto lookup = lookup_docker_config(*text, registry);
  if (!lookup) {
    return lookup.error().context("registry " + registry + ": " + *settings_.docker_config);
  }
  switch (lookup->source) {
    case CredentialSource::kAnonymous: break;
    case CredentialSource::kConfig:
      plan.credential = std::move(lookup->credential);
      plan.source = *settings_.docker_config + " (auths \"" + lookup->config_key + "\")";
      break;
    case CredentialSource::kHelper:
      plan.helper = std::move(lookup->helper);
      plan.server_url = std::move(lookup->server_url);
      plan.source = "docker-credential-" + plan.helper;
      break;
  }
  return plan;
}

net::awaitable<Result<std::optional<Credential>>> RegistrySession::credential(const ImageReference& ref) {
  co_return co_await credential(state_for(ref));
}

net::awaitable<Result<std::optional<Credential>>> RegistrySession::credential(RegistryState& st) {
  CredentialSlot& slot = st.credential;
  while (slot.resolving) {
    co_await slot.resolved_signal.wait();
  }
  if (slot.resolved && Clock::now() < slot.expires_at) {
    co_return slot.credential;
  }
  slot.resolving = true;
  ResolvingGuard guard{&slot};
  auto plan = plan_credential(st.registry);
  if (!plan) {
    co_return plan.error();
  }
  slot.from_ecr = plan->ecr;
  auto expires_at = Clock::now() + settings_.credential_ttl;
  if (slot.from_ecr) {
    auto login = co_await ecr_login(plan->ecr_region);
    if (!login) {
      co_return login.error().context("registry " + st.registry + ": ECR login");
    }
    // Renewed at half its lifetime (12 hours on ECR), long before the registry refuses it.
    const auto left = login->expires_at - std::chrono::system_clock::now();
    expires_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::max(left / 2, decltype(left){}));
    plan->credential = Credential{std::move(login->username), std::move(login->password), {}, {}};
  } else if (!plan->helper.empty()) {
    // The helper blocks (it may ask a keyring or a cloud API): run it on the blocking pool.
    auto ask_helper = [helper = plan->helper, server = plan->server_url, timeout = settings_.helper_timeout] {
      return run_credential_helper(helper, server, timeout);
    };
    auto answer = co_await common::off_loop(blocking_, std::move(ask_helper));
    if (!answer) {
      co_return answer.error().context("registry " + st.registry);
    }
    plan->credential = std::move(*answer);
  }
  slot.credential = std::move(plan->credential);
  slot.source = std::move(plan->source);
  slot.resolved = true;
  slot.expires_at = expires_at;
  co_return slot.credential;
}

net::awaitable<Result<aws::RegistryLogin>> RegistrySession::ecr_login(const std::string& region) {
  auto body = co_await settings_.aws->call(aws::get_authorization_token(region));
  if (!body) {
    co_return body.error();
  }
  co_return aws::parse_authorization_token(*body);
}

TokenSlot& RegistrySession::token_slot(const std::string& key) {
  auto it = tokens_.find(key);
  if (it == tokens_.end()) {
    it = tokens_.emplace(key, std::make_unique<TokenSlot>(executor_)).first;
  }
  return *it->second;
}

net::awaitable<Result<std::string>> RegistrySession::authorization(RegistryState& st, const ImageReference& ref,
                                                                   const std::string& stale, RequestTally& tally) {
  if (st.auth == AuthScheme::kBearer) {
    auto token = co_await bearer_token(st, ref.pull_scope(), stale, tally);
    if (!token) {
      co_return token.error();
    }
    co_return "Bearer " + *token;
  }
  if (st.auth != AuthScheme::kBasic) {
    co_return std::string();  // anonymous first: the registry says what it wants
  }
  auto cred = co_await credential(st);
  if (!cred) {
    co_return cred.error();
  }
  if (!*cred) {
    co_return std::string();
  }
  if (!(*cred)->registry_token.empty()) {
    co_return "Bearer " + (*cred)->registry_token;
  }
  co_return (*cred)->password.empty() ? std::string() : basic_authorization(**cred);
}

// A valid cached token other than `stale` (the one the registry just refused), or a new one. Concurrent
// callers share one token request.
net::awaitable<Result<std::string>> RegistrySession::bearer_token(RegistryState& st, const std::string& scope,
                                                                  const std::string& stale, RequestTally& tally) {
  TokenSlot& slot = token_slot(st.bearer.realm + '\n' + st.bearer.service + '\n' + scope);
  for (;;) {
    if (!slot.token.empty() && Clock::now() < slot.refresh_at && "Bearer " + slot.token != stale) {
      co_return slot.token;
    }
    if (!slot.fetching) {
      break;
    }
    co_await slot.fetched.wait();
  }
  slot.fetching = true;
  FetchingGuard guard{&slot};
  auto fetched = co_await fetch_token(st, slot, scope, tally);
  if (!fetched) {
    co_return fetched.error();
  }
  co_return slot.token;
}

// The token request for `scope`: a GET with Basic credentials or anonymous, or the OAuth2 POST that trades
// an identity token. The realm must pass check_token_realm, and credentials go only to a realm in the
// registry's own domain.
Result<std::pair<Origin, http::Request>> RegistrySession::token_request(const RegistryState& st, const Credential* c,
                                                                        const std::string& scope) const {
  const bool with_password = c != nullptr && !c->password.empty();
  const bool with_identity = c != nullptr && !c->identity_token.empty() && !with_password;
  auto url = parse_url(with_identity ? st.bearer.realm
                                     : token_request_url(st.bearer, {scope}, with_password ? c->username : ""));
  if (!url) {
    return url.error().context("registry " + st.registry + ": token realm");
  }
  Origin home{.tls = !st.insecure, .host = st.api_host};
  if (st.origin) {
    home = *st.origin;
  } else if (auto split = split_authority(st.api_host)) {
    home.host = split->first;
  }
  if (auto allowed = check_token_realm(url->origin.host, url->origin.tls, home.host, home.tls); !allowed) {
    return allowed.error().context("registry " + st.registry);
  }
  if ((with_password || with_identity) && !realm_may_receive_credentials(url->origin.host, home.host)) {
    return make_error(ErrorKind::kProtocol, "registry " + st.registry + ": refusing to send its credentials to " +
                                                "the bearer realm on " + url->origin.host +
                                                ", outside the registry's own domain");
  }
  http::Request req;
  req.target = url->target;
  if (with_identity) {
    req.method = "POST";
    req.body = token_refresh_form(st.bearer, {scope}, c->identity_token, kClientId);
    req.content_type = "application/x-www-form-urlencoded";
  } else if (with_password) {
    req.headers.emplace_back("Authorization", basic_authorization(*c));
  }
  return std::pair{std::move(url->origin), std::move(req)};
}

// The token server's answer: a token, refused credentials (kUnauthorized naming the user), or a failure that
// backs the registry off.
Result<BearerToken> RegistrySession::token_answer(RegistryState& st, const http::Response& resp, const Credential* c) {
  const std::string what = "token request to " + st.bearer.realm;
  if ((resp.status == 401 || resp.status == 403) && c != nullptr) {
    st.credential.resolved = false;  // read the password file or helper again next time
    const Error e = registry_error(resp.status, resp.body, what);
    const std::string user = c->password.empty() ? std::string("<identity token>") : c->username;
    return make_error(ErrorKind::kUnauthorized,
                      "registry " + st.registry + ": the token server refused the credentials of user \"" + user +
                          "\" (from " + st.credential.source + "): " + e.message,
                      resp.status);
  }
  if (resp.status != 200) {
    Error e = registry_error(resp.status, resp.body, what);
    note_failure(st, e, parse_retry_after(resp.header("Retry-After"), std::chrono::system_clock::now()));
    return e.context("registry " + st.registry);
  }
  auto token = parse_token_response(resp.body);
  if (!token) {
    return token.error().context("registry " + st.registry + ": " + what);
  }
  return token;
}

net::awaitable<Result<TokenSlot*>> RegistrySession::fetch_token(RegistryState& st, TokenSlot& slot,
                                                                const std::string& scope, RequestTally& tally) {
  for (int attempt = 0;; ++attempt) {
    const bool cached = st.credential.resolved && Clock::now() < st.credential.expires_at;
    auto cred = co_await credential(st);
    if (!cred) {
      co_return cred.error();
    }
    const Credential* c = cred->has_value() ? &**cred : nullptr;
    if (c != nullptr && !c->registry_token.empty()) {
      slot.token = c->registry_token;
      slot.refresh_at = Clock::now() + settings_.credential_ttl;
      co_return &slot;
    }
    auto request = token_request(st, c, scope);
    if (!request) {
      co_return request.error();
    }
    auto resp = co_await fetch(request->first, std::move(request->second), kMaxTokenResponseBytes, tally.token);
    if (!resp) {
      note_failure(st, resp.error(), std::nullopt);
      co_return resp.error().context("registry " + st.registry + ": token request to " + st.bearer.realm);
    }
    auto token = token_answer(st, *resp, c);
    if (!token) {
      // An ECR login can be revoked or expire early: a refused one is replaced once, in this same request.
      if (token.error().kind == ErrorKind::kUnauthorized && st.credential.from_ecr && cached && attempt == 0) {
        continue;
      }
      co_return token.error();
    }
    slot.token = std::move(token->token);
    slot.refresh_at = token->refresh_at(Clock::now());
    co_return &slot;
  }
}

common::Status RegistrySession::learn_challenge(RegistryState& st, const http::Response& resp,
                                                const std::string& sent) {
  std::vector<Challenge> challenges;
  for (const auto value : resp.header_values("WWW-Authenticate")) {
    if (auto parsed = parse_challenges(value)) {
      challenges.insert(challenges.end(), std::make_move_iterator(parsed->begin()),
                        std::make_move_iterator(parsed->end()));
    }
  }
  if (const auto* bearer = find_challenge(challenges, "bearer")) {
    auto endpoint = token_endpoint(*bearer);
    if (!endpoint) {
      return endpoint.error().context("registry " + st.registry);
    }
    st.auth = AuthScheme::kBearer;
    st.bearer = TokenEndpoint{endpoint->realm, endpoint->service, {}, {}};
    return {};
  }
  if (find_challenge(challenges, "basic") != nullptr) {
    if (common::starts_with(sent, "Basic ")) {
      st.credential.resolved = false;  // the password may have changed on disk: read it again once
    }
    st.auth = AuthScheme::kBasic;
    return {};
  }
  return make_error(ErrorKind::kProtocol, "registry " + st.registry +
                                              " answered 401 without a Basic or Bearer "
                                              "challenge in WWW-Authenticate");
}

Error RegistrySession::unauthorized(RegistryState& st, const http::Response& resp, const std::string& what) const {
  const Error base = registry_error(resp.status, resp.body, what);
  const auto& slot = st.credential;
  if (slot.credential && !slot.credential->empty()) {
    const std::string user = slot.credential->username.empty() ? "<token>" : slot.credential->username;
    return make_error(ErrorKind::kUnauthorized,
                      "registry " + st.registry + " refused the credentials of user \"" + user + "\" (from " +
                          slot.source + "): " + base.message,
                      resp.status);
  }
  return make_error(
      ErrorKind::kUnauthorized,
      "registry " + st.registry +
          " refused anonymous access (no credentials for it in agent.json or the docker config): " + base.message,
      resp.status);
}

}  // namespace berth::registry
