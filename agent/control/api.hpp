#pragma once

// The seam between the control endpoint (server, authentication, limits, audit: control/*_io.cpp) and
// the agent that answers (app/). The server parses and authorises a request, then hands it to an
// ApiBackend; the agent implements ApiBackend, and the server's tests use a small fake.
//
// JSON shapes (CONTRACT section 6):
//   service  {"name","image","running_digest","newest_digest","state","last_check","last_swap","policy",
//             "strategy","source":"file"|"label","error"}         times: RFC 3339 UTC strings or null
//   swap     {"id","service","image","from_digest","to_digest","strategy","started","ended","result",
//             "reason","step"}                                    result: pending|swapped|up_to_date|
//                                                                  rolled_back|interrupted|failed
//   event    {"type":"check"|"swap"|"service", "time", "service", ...}; swap events carry "swap" (the id),
//             "step", "detail", "bytes_done", "bytes_total", and "result" on the last one (step "finish")

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace berth::control {

// What a caller may do: read < deploy < admin. A webhook secret may only trigger checks.
enum class Scope { kNone, kWebhook, kRead, kDeploy, kAdmin };

struct Caller {
  std::string name;     // the token's name; "unix-socket" on the local socket
  Scope scope = Scope::kNone;
  std::string address;  // peer address, for the audit log
};

enum class RouteId {
  kHealth,          // GET  /v1/health
  kListServices,    // GET  /v1/services
  kGetService,      // GET  /v1/services/{name}
  kCheckService,    // POST /v1/services/{name}/check
  kUpdateService,   // POST /v1/services/{name}/update   body {"digest"} optional; ?wait=true
  kRollbackService, // POST /v1/services/{name}/rollback ?wait=true
  kUpdateAll,       // POST /v1/update
  kGetSwap,         // GET  /v1/swaps/{id}
  kHistory,         // GET  /v1/history?service=
  kEvents,          // GET  /v1/events (server-sent events; the server streams, see ApiBackend::subscribe)
  kRegistryHook,    // POST /v1/hooks/registry/{secret}
  kMetrics,         // GET  /metrics
};

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
  std::string text;                      // used instead of body when content_type is not JSON (/metrics)
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": {"code": code, "message": message}}
ApiResponse error_response(int status, std::string code, std::string message);

class ApiBackend {
 public:
  virtual ~ApiBackend() = default;

  // Every route but kEvents. Called after authentication and authorisation; the backend validates the
  // body and parameters itself and answers errors with error_response.
  virtual boost::asio::awaitable<ApiResponse> handle(RouteId route, const ApiRequest& request) = 0;

  // Server-sent events: `sink` receives every event from now on until the subscription is dropped.
  // Returns an id for unsubscribe().
  virtual std::uint64_t subscribe(std::function<void(const nlohmann::json&)> sink) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

}  // namespace berth::control
