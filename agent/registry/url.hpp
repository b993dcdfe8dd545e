#pragma once

// Registry URLs, pure: where a request goes (scheme, host, port), absolute http(s) URLs as token realms
// and redirects name them, and which hosts count as loopback. registry_session.hpp builds on these.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.hpp"

namespace berth::registry {

// Where HTTP requests go: scheme, host and port.
struct Origin {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 443;

  bool operator==(const Origin&) const = default;
  [[nodiscard]] std::string authority() const;  // "host", "host:port", "[::1]:5000"
  [[nodiscard]] std::string key() const;        // "https://host:port", unique per origin
};

struct Url {
  Origin origin;
  std::string target = "/";  // path and query

  bool operator==(const Url&) const = default;
};

// Parses an absolute http(s) URL: "https://auth.docker.io/token?x=y", "http://[::1]:5000/v2/". kProtocol for
// anything else (other schemes, user info, a bad port).
common::Result<Url> parse_url(std::string_view text);

// The URL a redirect's Location names: absolute, or a path on the same origin. A fragment is dropped.
common::Result<Url> resolve_location(const Origin& base, std::string_view location);

// "registry.example.com:5000" -> host and port; no port when none is written. "[::1]:5000" keeps "::1";
// an IPv6 address without brackets ("::1:5000") is refused.
common::Result<std::pair<std::string, std::optional<std::uint16_t>>> split_authority(std::string_view authority);

// True for hosts Docker reaches over plain HTTP by default: localhost, 127.0.0.0/8, ::1.
bool is_loopback_host(std::string_view host);

}  // namespace berth::registry
