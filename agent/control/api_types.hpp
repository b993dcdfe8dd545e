#pragma once

// The plain types of the control API, shared by the pure request path (router, authentication, the
// fuzz target) and the I/O server. api.hpp adds the ApiBackend seam on top of them.

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::control {

// What a caller may do: read < deploy < admin. A webhook secret may only trigger checks.
enum class Scope { kNone, kWebhook, kRead, kDeploy, kAdmin };

// "read", "deploy", "admin", "webhook"; "none" for kNone.
std::string_view to_string(Scope scope);
// The four scopes a token file may name; nothing for any other text (kNone is never parsed).
std::optional<Scope> parse_scope(std::string_view text);
// Whether a caller holding `held` may use a route that requires `required`. The webhook scope is
// outside the read < deploy < admin order: it grants the webhook route and nothing else, and no other
// scope grants the webhook route (that route is authorised by its path secret alone).
bool scope_allows(Scope held, Scope required);

struct Caller {
  std::string name;  // the token's name; "unix-socket" on the local socket
  Scope scope = Scope::kNone;
  std::string address;  // peer address, for the audit log
};

enum class RouteId {
  kHealth,           // GET  /v1/health
  kListServices,     // GET  /v1/services
  kGetService,       // GET  /v1/services/{name}
  kCheckService,     // POST /v1/services/{name}/check
  kUpdateService,    // POST /v1/services/{name}/update   body {"digest"} optional; ?wait=true
  kRollbackService,  // POST /v1/services/{name}/rollback ?wait=true
  kUpdateAll,        // POST /v1/update
  kGetSwap,          // GET  /v1/swaps/{id}
  kHistory,          // GET  /v1/history?service=
  kEvents,           // GET  /v1/events (server-sent events; the server streams, see ApiBackend::subscribe)
  kRegistryHook,     // POST /v1/hooks/registry/{secret}
  kMetrics,          // GET  /metrics
};

// "health", "list_services", ...: the route's name in the audit log and in logs.
std::string_view to_string(RouteId route);

struct ApiRequest {
  std::string method;
  std::string path;  // normalised
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> params;  // "name", "id", "secret" from the path
  std::string body;
  Caller caller;
};

struct ApiResponse {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
  // A JSON body already rendered on one line and ending in a newline (the agent's snapshot of its
  // services), sent as it is instead of `body`.
  std::shared_ptr<const std::string> json_text;
  std::string text;  // used instead of body when content_type is not JSON (/metrics)
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": {"code": code, "message": message}}
ApiResponse error_response(int status, std::string code, std::string message);

}  // namespace berth::control
