#include "control/admission.hpp"

#include "common/text.hpp"
#include "control/audit.hpp"
#include "control/metrics_text.hpp"
#include "control/router.hpp"
#include "control/target.hpp"

namespace berth::control {

namespace {

// "Bearer <token>" (scheme in any case); empty when the header is absent, repeated or another scheme.
std::string_view bearer_token(const ParsedRequest& parsed) {
  if (parsed.header_count("authorization") != 1) {
    return {};
  }
  std::string_view value = parsed.header("authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !common::iequals(value.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  return value;
}

ApiResponse throttled_response(std::chrono::seconds wait) {
  auto r = error_response(429, "too_many_requests", "too many failed attempts from this address; retry later");
  r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
  return r;
}

}  // namespace

bool RefusalCounts::count(int status) {
  switch (status) {
    case 401: ++unauthorized; return true;
    case 403: ++forbidden; return true;
    case 429: ++throttled; return true;
    default: return false;
  }
}

std::string refusal_metrics(const RefusalCounts& counts) {
  constexpr std::string_view kName = "berth_api_refused_total";
  constexpr std::string_view kHelp = "API requests refused: no or bad token, scope too small, too many failures";
  MetricsText m;
  m.counter(kName, kHelp, static_cast<double>(counts.unauthorized), {{"reason", "unauthorized"}});
  m.counter(kName, kHelp, static_cast<double>(counts.forbidden), {{"reason", "forbidden"}});
  m.counter(kName, kHelp, static_cast<double>(counts.throttled), {{"reason", "throttled"}});
  return m.render();
}

ApiResponse parse_error_response(int status, const std::string& message) {
  switch (status) {
    case 413: return error_response(413, "too_large", message);
    case 417: return error_response(417, "expectation_failed", message);
    case 431: return error_response(431, "headers_too_large", message);
    case 501: return error_response(501, "not_implemented", message);
    case 505: return error_response(505, "http_version", message);
    default: return error_response(400, "bad_request", message);
  }
}

ApiResponse unauthorized_response(bool token_presented) {
  auto r = error_response(401, "unauthorized", "a valid token is required");
  r.headers.emplace_back("WWW-Authenticate", token_presented ? R"(Bearer realm="berth", error="invalid_token")"
                                                             : R"(Bearer realm="berth")");
  return r;
}

Admission admit_request(ParsedRequest&& parsed, const Peer& peer, const TokenSet& tokens, AuthThrottle& throttle,
                        AuthThrottle::Clock::time_point now) {
  Admission out;
  out.request.method = parsed.method;
  auto target = normalise_target(parsed.target);
  if (!target) {
    out.reject = error_response(400, "bad_request", target.error().message);
    return out;
  }
  out.request.path = target->path;
  auto routed = route_request(parsed.method, target->segments);
  if (!routed.ok()) {
    const char* code = routed.status == 404 ? "not_found" : routed.status == 405 ? "method_not_allowed" : "bad_request";
    out.reject = error_response(routed.status, code, routed.message);
    if (routed.status == 405) {
      out.reject->headers.emplace_back("Allow", routed.allow);
    }
    return out;
  }
  out.routed = true;
  out.route = routed.match.route;
  out.request.query = std::move(target->query);
  out.request.params = std::move(routed.match.params);
  out.request.caller.address = peer.address;

  const Scope required = routed.match.scope;
  if (peer.transport == Transport::kUnixSocket) {
    out.request.caller.name = std::string(kUnixSocketCaller);
    out.request.caller.scope = Scope::kAdmin;
  } else if (required != Scope::kNone) {
    const TokenRecord* record = nullptr;
    bool presented = true;
    if (required == Scope::kWebhook) {
      record = tokens.match_webhook_secret(out.request.params["secret"]);
    } else {
      const std::string_view token = bearer_token(parsed);
      presented = !token.empty();
      record = presented ? tokens.authenticate(token) : nullptr;
    }
    if (record == nullptr) {
      if (auto wait = throttle.retry_after(peer.address, now)) {
        out.reject = throttled_response(*wait);
        return out;
      }
      throttle.record_failure(peer.address, now);
      out.reject = unauthorized_response(presented);
      return out;
    }
    out.request.caller.name = record->name;
    out.request.caller.scope = record->scope;
    if (!scope_allows(record->scope, required)) {
      out.reject = error_response(403, "forbidden",
                                  "token \"" + record->name + "\" has scope " + std::string(to_string(record->scope)) +
                                      "; this needs " + std::string(to_string(required)));
      return out;
    }
    out.token = *record;
  }
  if (out.route == RouteId::kRegistryHook) {
    // The secret has done its work: nothing downstream (backend, logs, audit) gets to see it.
    out.request.params.erase("secret");
    out.request.path = redact_path(out.request.path);
  }
  out.request.body = std::move(parsed.body);
  return out;
}

}  // namespace berth::control
