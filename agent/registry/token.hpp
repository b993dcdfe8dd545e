#pragma once

// The Bearer token exchange of the registry token protocol, minus the network: where to ask (from the
// 401 challenge), what to send, and what the answer means.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "registry/challenge.hpp"

namespace berth::registry {

using common::Result;

// Largest token response parse_token_response accepts.
inline constexpr std::size_t kMaxTokenResponseBytes = std::size_t{1024} * 1024;
// Lifetime assumed when a token response has no (or a shorter) expires_in.
inline constexpr std::chrono::seconds kMinTokenLifetime{60};

// Where and for what to request a token, from a Bearer challenge.
struct TokenEndpoint {
  std::string realm;    // "https://auth.docker.io/token"
  std::string service;  // "registry.docker.io"; may be empty
  std::string scope;    // the scope the registry asked for, if it named one
  std::string error;    // "invalid_token" or "insufficient_scope" when the registry refused a token

  bool operator==(const TokenEndpoint&) const = default;
};

// Reads the realm, service, scope and error of a Bearer challenge. kProtocol when the scheme is not
// Bearer or the realm is missing or not an http(s) URL. Credentials go to the realm, often another host:
// the caller must not send them over plain http unless the registry itself is plain http.
Result<TokenEndpoint> token_endpoint(const Challenge& challenge);

// Whether berth may ask a bearer realm on `realm_host` (reached over TLS or not) for a token on behalf of
// the registry on `registry_host`. The realm is whatever the registry's answer says, so kProtocol for:
// a link-local address (169.254.0.0/16, fe80::/10, where cloud metadata services answer), a loopback or
// unspecified address unless the registry itself is loopback, a host written as a number in a notation
// other than a dotted quad, and plain HTTP for a registry reached over TLS. Names are not resolved.
common::Status check_token_realm(std::string_view realm_host, bool realm_tls, std::string_view registry_host,
                                 bool registry_tls);

// Whether the registry's credentials may go to a realm on `realm_host`: the registry's own host, or a host
// in its parent domain when that parent has two labels or more (registry-1.docker.io: auth.docker.io;
// registry.gitlab.com: gitlab.com). Compared without ports, case-insensitively.
bool realm_may_receive_credentials(std::string_view realm_host, std::string_view registry_host);

// The URL of the token GET: realm?service=…&scope=…[&scope=…][&account=…], values percent-encoded and
// appended with '&' when the realm already has a query. `account` is the user name when there are
// credentials, else empty (anonymous tokens for public repositories).
std::string token_request_url(const TokenEndpoint& endpoint, const std::vector<std::string>& scopes,
                              std::string_view account);

// The form body of the OAuth2 POST to the realm that trades an identity (refresh) token for an access token:
// grant_type=refresh_token&service=…&client_id=…&scope=…&refresh_token=… (application/x-www-form-urlencoded).
std::string token_refresh_form(const TokenEndpoint& endpoint, const std::vector<std::string>& scopes,
                               std::string_view refresh_token, std::string_view client_id);

struct BearerToken {
  std::string token;                                   // `access_token` when present, else `token`
  std::chrono::seconds expires_in{kMinTokenLifetime};  // at least kMinTokenLifetime
  std::string refresh_token;                           // only when an offline token was requested

  bool operator==(const BearerToken&) const = default;

  // When to stop using the token and fetch a new one: counted from the local time the response arrived
  // (not the server's issued_at, so clock skew cannot make a fresh token look expired), less a margin of a
  // tenth of its lifetime, at most 30 s.
  [[nodiscard]] std::chrono::steady_clock::time_point refresh_at(
      std::chrono::steady_clock::time_point received_at) const;
};

// Parses the token endpoint's JSON answer. kTooLarge above kMaxTokenResponseBytes; kProtocol when it is not
// JSON or carries no token. A token is never quoted in an error.
Result<BearerToken> parse_token_response(std::string_view body);

}  // namespace berth::registry
