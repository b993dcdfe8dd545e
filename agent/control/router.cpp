#include "control/router.hpp"

#include <array>

namespace berth::control {

namespace {

struct RouteSpec {
  std::string_view method;
  std::array<std::string_view, 5> pattern;  // "{name}" marks a parameter; empty entries end the pattern
  RouteId route;
};

constexpr std::array<RouteSpec, 12> kRoutes{{
    {"GET", {"v1", "health"}, RouteId::kHealth},
    {"GET", {"v1", "services"}, RouteId::kListServices},
    {"GET", {"v1", "services", "{name}"}, RouteId::kGetService},
    {"POST", {"v1", "services", "{name}", "check"}, RouteId::kCheckService},
    {"POST", {"v1", "services", "{name}", "update"}, RouteId::kUpdateService},
    {"POST", {"v1", "services", "{name}", "rollback"}, RouteId::kRollbackService},
    {"POST", {"v1", "update"}, RouteId::kUpdateAll},
    {"GET", {"v1", "swaps", "{id}"}, RouteId::kGetSwap},
    {"GET", {"v1", "history"}, RouteId::kHistory},
    {"GET", {"v1", "events"}, RouteId::kEvents},
    {"POST", {"v1", "hooks", "registry", "{secret}"}, RouteId::kRegistryHook},
    {"GET", {"metrics"}, RouteId::kMetrics},
}};

std::size_t pattern_size(const RouteSpec& spec) {
  std::size_t n = 0;
  while (n < spec.pattern.size() && !spec.pattern[n].empty()) {
    ++n;
  }
  return n;
}

bool is_param(std::string_view piece) { return piece.size() > 2 && piece.front() == '{' && piece.back() == '}'; }

bool matches(const RouteSpec& spec, const std::vector<std::string>& segments) {
  if (pattern_size(spec) != segments.size()) {
    return false;
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!is_param(spec.pattern[i]) && spec.pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_valid_name(std::string_view name, std::size_t max_bytes) {
  if (name.empty() || name.size() > max_bytes) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) {
      return false;
    }
  }
  return true;
}

Scope required_scope(RouteId route) {
  switch (route) {
    case RouteId::kHealth: return Scope::kNone;
    case RouteId::kListServices:
    case RouteId::kGetService:
    case RouteId::kCheckService:
    case RouteId::kGetSwap:
    case RouteId::kHistory:
    case RouteId::kEvents:
    case RouteId::kMetrics: return Scope::kRead;
    case RouteId::kUpdateService:
    case RouteId::kRollbackService:
    case RouteId::kUpdateAll: return Scope::kDeploy;
    case RouteId::kRegistryHook: return Scope::kWebhook;
  }
  return Scope::kAdmin;
}

bool is_mutating(RouteId route) {
  switch (route) {
    case RouteId::kCheckService:
    case RouteId::kUpdateService:
    case RouteId::kRollbackService:
    case RouteId::kUpdateAll:
    case RouteId::kRegistryHook: return true;
    default: return false;
  }
}

RouteResult route_request(std::string_view method, const std::vector<std::string>& segments) {
  RouteResult out;
  const RouteSpec* found = nullptr;
  for (const auto& spec : kRoutes) {
    if (!matches(spec, segments)) {
      continue;
    }
    if (spec.method == method) {
      found = &spec;
      break;
    }
    if (!out.allow.empty()) {
      out.allow += ", ";
    }
    out.allow += spec.method;
  }
  if (found == nullptr) {
    out.status = out.allow.empty() ? 404 : 405;
    out.message = out.allow.empty() ? "no such endpoint" : "method not allowed; use " + out.allow;
    return out;
  }
  out.allow.clear();
  out.match.route = found->route;
  out.match.scope = required_scope(found->route);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string_view piece = found->pattern[i];
    if (!is_param(piece)) {
      continue;
    }
    std::string key(piece.substr(1, piece.size() - 2));
    // A malformed secret is just a wrong secret: the authorisation check answers it like any other.
    if (key != "secret" && !is_valid_name(segments[i])) {
      out.status = 400;
      out.message = "invalid " + key + " in path";
      return out;
    }
    out.match.params.emplace(std::move(key), segments[i]);
  }
  return out;
}

}  // namespace berth::control
