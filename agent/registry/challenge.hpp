#pragma once

// WWW-Authenticate header values (RFC 7235 section 4.1) parsed into challenges. A registry's 401 names
// how to authenticate: `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"` or
// `Basic realm="Registry Realm"`.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::registry {

using common::Result;

// Longest header value parse_challenges accepts.
inline constexpr std::size_t kMaxChallengeHeaderBytes = std::size_t{16} * 1024;

struct Challenge {
  // The authentication scheme, lower-cased: "bearer", "basic".
  std::string scheme;
  // Auth parameters. Keys are lower-cased; values are exactly as sent, unquoted and unescaped (a realm URL
  // keeps its case, a scope keeps its commas). When a key repeats, the first value is kept.
  std::map<std::string, std::string> params;
  // The token68 form (`Newauth abc123==`), which carries no parameters; empty otherwise.
  std::string token68;

  bool operator==(const Challenge&) const = default;

  // The value of a parameter (key in lower case), or an empty string when it is absent.
  [[nodiscard]] std::string param(std::string_view key) const;
};

// Parses one header value, which may hold several challenges separated by commas:
//   Bearer realm="https://r.example/token",service="r.example",scope="repository:a/b:pull,push", Basic realm="x"
// Scheme and parameter names are case-insensitive; values are tokens or quoted strings with backslash
// escapes. Unquoted values are read leniently up to the next comma or white space, since some registries
// send unquoted URLs. A response may carry several WWW-Authenticate headers: parse each and concatenate.
// Errors: kTooLarge above kMaxChallengeHeaderBytes; kProtocol for an empty or malformed value (the message
// gives the byte offset).
Result<std::vector<Challenge>> parse_challenges(std::string_view header_value);

// The first challenge with this scheme (compared case-insensitively), or nullptr.
const Challenge* find_challenge(const std::vector<Challenge>& challenges, std::string_view scheme);

}  // namespace berth::registry
