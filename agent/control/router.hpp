#pragma once

// Method + normalised path -> route, path parameters and the scope the route requires (CONTRACT
// section 6). Pure: the server, the authorisation check and the fuzz target all call this one table.

#include "control/api_types.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::control {

struct RouteMatch {
  RouteId route = RouteId::kHealth;
  Scope scope = Scope::kNone;                 // what the caller must hold
  std::map<std::string, std::string> params;  // "name", "id", "secret"
};

struct RouteResult {
  int status = 200;   // 200 matched; 400 bad parameter; 404 no such path; 405 path known, method not
  std::string allow;  // for 405: the methods the path accepts ("GET", "POST")
  std::string message;
  RouteMatch match;

  [[nodiscard]] bool ok() const { return status == 200; }
};

// `segments` as produced by normalise_target.
RouteResult route_request(std::string_view method, const std::vector<std::string>& segments);

Scope required_scope(RouteId route);
// POST routes: written to the audit log.
bool is_mutating(RouteId route);

// Service names as Docker accepts them for containers; swap ids and token names use the same
// alphabet (token names with their own, shorter limit).
inline constexpr std::size_t kMaxNameBytes = 255;
bool is_valid_name(std::string_view name, std::size_t max_bytes = kMaxNameBytes);

}  // namespace berth::control
