#pragma once

#include "common/error.hpp"

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace berth::docker {

// A Docker Engine API version, "1.41".
struct ApiVersion {
  int major = 0;
  int minor = 0;

  auto operator<=>(const ApiVersion&) const = default;
  [[nodiscard]] std::string str() const;
};

common::Result<ApiVersion> parse_api_version(std::string_view text);

// The range of API versions berth speaks. 1.41 is Docker 20.10 (Debian 12); 1.47 is Docker 27.3. Newer
// daemons accept 1.47 (Docker 29.0-29.2 need at least 1.44, so a version is never pinned low).
inline constexpr ApiVersion kClientMinVersion{1, 41};
inline constexpr ApiVersion kClientMaxVersion{1, 47};

// Picks the version to speak from what /_ping (the server's maximum, `Api-Version`) and /version
// (`MinAPIVersion`, when known) said. The error names both ranges.
common::Result<ApiVersion> negotiate_api_version(std::optional<ApiVersion> server_max,
                                                 std::optional<ApiVersion> server_min);

}  // namespace berth::docker
