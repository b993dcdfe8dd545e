#include "docker/api_version.hpp"

#include <charconv>

namespace berth::docker {

using common::ErrorKind;

std::string ApiVersion::str() const { return std::to_string(major) + "." + std::to_string(minor); }

common::Result<ApiVersion> parse_api_version(std::string_view text) {
  ApiVersion v;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= text.size()) {
    return common::make_error(ErrorKind::kProtocol, "not an API version: \"" + std::string(text) + "\"");
  }
  const char* end = text.data() + text.size();
  auto r1 = std::from_chars(text.data(), text.data() + dot, v.major);
  auto r2 = std::from_chars(text.data() + dot + 1, end, v.minor);
  if (r1.ec != std::errc{} || r1.ptr != text.data() + dot || r2.ec != std::errc{} || r2.ptr != end || v.major < 0 ||
      v.minor < 0) {
    return common::make_error(ErrorKind::kProtocol, "not an API version: \"" + std::string(text) + "\"");
  }
  return v;
}

common::Result<ApiVersion> negotiate_api_version(std::optional<ApiVersion> server_max,
                                                 std::optional<ApiVersion> server_min) {
  // Without an Api-Version header the server is old or odd: speak our highest and let it say no.
  ApiVersion chosen = server_max ? std::min(*server_max, kClientMaxVersion) : kClientMaxVersion;
  if (chosen < kClientMinVersion) {
    return common::make_error(ErrorKind::kUnavailable, "the Docker Engine speaks API " + chosen.str() +
                                                           ", berth needs " + kClientMinVersion.str() + " to " +
                                                           kClientMaxVersion.str() + " (Docker 20.10 or newer)");
  }
  if (server_min && chosen < *server_min) {
    return common::make_error(ErrorKind::kUnavailable, "the Docker Engine requires API " + server_min->str() +
                                                           " or newer, berth speaks " + kClientMinVersion.str() +
                                                           " to " + kClientMaxVersion.str());
  }
  return chosen;
}

}  // namespace berth::docker
