#pragma once

// The pure decision on a fully read request: normalise the target, route it, authenticate the caller
// and check the scope. The server calls this only once the whole request (body included) has been
// read, and hands the backend only what this admits. The fuzz target drives the same function.

#include "control/api_types.hpp"
#include "control/request_parser.hpp"
#include "control/throttle.hpp"
#include "control/tokens.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace berth::control {

enum class Transport {
  kUnixSocket,  // the local socket: its file permissions are the authorisation (admin)
  kTcp,         // TLS or loopback HTTP: a bearer token (or the webhook secret) is required
};

inline constexpr std::string_view kUnixSocketCaller = "unix-socket";

struct Peer {
  Transport transport = Transport::kTcp;
  std::string address;  // "127.0.0.1", "::1", "unix"
};

struct Admission {
  // Set when the request is answered without the backend (400, 401, 403, 404, 405, 429).
  std::optional<ApiResponse> reject;
  RouteId route = RouteId::kHealth;
  bool routed = false;  // the path and method matched a route (set on rejections after routing too)
  // Complete when admitted; method and path (normalised) when routed. On the webhook route the secret
  // is gone from params and path ("/v1/hooks/<redacted>") once it has been checked.
  ApiRequest request;
  // The tokens file's record that admitted the caller (none on the unix socket or a route that needs no
  // token): an event stream checks it again while it runs, and ends once it no longer counts.
  std::optional<TokenRecord> token;
};

// Takes the request's parts (the body moves into the admitted request). The credential is checked
// first: a valid one is admitted whatever the throttle says. A missing or bad one is recorded in
// `throttle` and answered 401, or 429 once its address is over the limit.
Admission admit_request(ParsedRequest&& parsed, const Peer& peer, const TokenSet& tokens, AuthThrottle& throttle,
                        AuthThrottle::Clock::time_point now);

// Requests admission refused, by reason: counted for GET /metrics, never written down one by one (an
// anonymous client must not be able to fill a disk or the journal).
struct RefusalCounts {
  std::uint64_t unauthorized = 0;  // 401
  std::uint64_t forbidden = 0;     // 403
  std::uint64_t throttled = 0;     // 429
  // Counts an admission answer; false when `status` is none of the three.
  bool count(int status);
};

// berth_api_refused_total{reason="unauthorized"|"forbidden"|"throttled"} in the text format.
std::string refusal_metrics(const RefusalCounts& counts);

// The answer to a request the parser refused (its status: 400, 413, 417, 431, 501, 505).
ApiResponse parse_error_response(int status, const std::string& message);

// 401 with `WWW-Authenticate: Bearer`, the same body whether the token was missing, wrong or revoked.
ApiResponse unauthorized_response(bool token_presented);

}  // namespace berth::control
