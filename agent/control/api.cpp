#include "control/api_types.hpp"

namespace berth::control {

ApiResponse error_response(int status, std::string code, std::string message) {
  ApiResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}};
  return r;
}

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::kNone: return "none";
    case Scope::kWebhook: return "webhook";
    case Scope::kRead: return "read";
    case Scope::kDeploy: return "deploy";
    case Scope::kAdmin: return "admin";
  }
  return "none";
}

std::optional<Scope> parse_scope(std::string_view text) {
  for (Scope s : {Scope::kWebhook, Scope::kRead, Scope::kDeploy, Scope::kAdmin}) {
    if (text == to_string(s)) {
      return s;
    }
  }
  return std::nullopt;
}

bool scope_allows(Scope held, Scope required) {
  if (required == Scope::kNone) {
    return true;
  }
  if (required == Scope::kWebhook || held == Scope::kWebhook) {
    return held == required;
  }
  return static_cast<int>(held) >= static_cast<int>(required);
}

std::string_view to_string(RouteId route) {
  switch (route) {
    case RouteId::kHealth: return "health";
    case RouteId::kListServices: return "list_services";
    case RouteId::kGetService: return "get_service";
    case RouteId::kCheckService: return "check_service";
    case RouteId::kUpdateService: return "update_service";
    case RouteId::kRollbackService: return "rollback_service";
    case RouteId::kUpdateAll: return "update_all";
    case RouteId::kGetSwap: return "get_swap";
    case RouteId::kHistory: return "history";
    case RouteId::kEvents: return "events";
    case RouteId::kRegistryHook: return "registry_hook";
    case RouteId::kMetrics: return "metrics";
  }
  return "unknown";
}

}  // namespace berth::control
