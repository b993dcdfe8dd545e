#pragma once

// Turning a registry's error response into an Error a person can act on.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::registry {

// One entry of the OCI error body {"errors":[{"code","message","detail"}]}.
struct RegistryErrorEntry {
  std::string code;     // "MANIFEST_UNKNOWN", "UNAUTHORIZED", "DENIED", "NAME_UNKNOWN", "TOOMANYREQUESTS"
  std::string message;  // "manifest unknown"

  bool operator==(const RegistryErrorEntry&) const = default;
};

// The entries of an OCI error body; empty when the body is not one (plain text, HTML, empty).
std::vector<RegistryErrorEntry> parse_registry_errors(std::string_view body);

// An Error for a non-success response: the kind follows the status (401 kUnauthorized, 403 kForbidden,
// 404 kNotFound, 408 kTimeout, 413 kTooLarge, 429 kRateLimited, 5xx kUnavailable, others kProtocol) and
// http_status is set. The message is "<what>: HTTP <status>" followed by the registry's own words: its error
// codes and messages, or the first line of a plain-text body (Docker Hub's pull-limit text), e.g.
// "HEAD docker.io/library/nginx:latest: HTTP 404: MANIFEST_UNKNOWN: manifest unknown".
common::Error registry_error(int http_status, std::string_view body, std::string_view what);

}  // namespace berth::registry
