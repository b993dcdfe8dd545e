#pragma once

// The one normalisation of a request target, shared by the router and the authorisation check so that
// both decide on the same path (a guard and a router that disagree about "/v1//x", "%2F" or "/A/../B" is
// how authorisation gets bypassed). Normalising never "repairs" a target: anything that would need
// repair (empty or dot segments, an encoded slash, a trailing slash, a bad escape) is refused.

#include "common/error.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::control {

inline constexpr std::size_t kMaxTargetBytes = 2048;
inline constexpr std::size_t kMaxQueryParams = 16;

struct Target {
  std::string path;                          // "/" + decoded segments joined by "/"
  std::vector<std::string> segments;         // percent-decoded, each non-empty
  std::map<std::string, std::string> query;  // percent-decoded; keys unique
};

// Origin-form targets only ("/v1/services?x=y"). kInvalidArgument, with the reason, for anything else.
common::Result<Target> normalise_target(std::string_view target);

}  // namespace berth::control
