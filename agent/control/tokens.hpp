#pragma once

// API tokens (CONTRACT sections 1, 2 and 6). A token is 256 random bits shown once, written as
// "berth_" + 64 hex digits so it is recognisable in a paste or a secret scanner. tokens.json keeps only
// its SHA-256, never the token:
//   [{"name": "ci", "scope": "deploy", "sha256": "<64 hex>", "created": "2024-05-01T12:00:00Z"}, ...]
// A `webhook` entry is a registry webhook secret: it is matched against the {secret} path segment of
// POST /v1/hooks/registry/{secret} and can trigger checks, nothing else.

#include "common/error.hpp"
#include "control/api_types.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::control {

inline constexpr std::string_view kTokenPrefix = "berth_";
inline constexpr std::size_t kTokenRandomBytes = 32;
inline constexpr std::size_t kMaxTokensFileBytes = 1024 * 1024;

struct TokenRecord {
  std::string name;
  Scope scope = Scope::kRead;
  std::string sha256;   // lower-case hex of SHA-256(token text)
  std::string created;  // RFC 3339 UTC

  friend bool operator==(const TokenRecord&, const TokenRecord&) = default;
};

// A fresh token from the OpenSSL random generator; kInternal if it has no entropy to give.
common::Result<std::string> generate_token();
// Lower-case hex SHA-256 of the token text exactly as presented.
std::string hash_token(std::string_view token);

// Names: a letter or digit, then letters, digits, '.', '_' or '-'; at most 64.
bool is_valid_token_name(std::string_view name);

// tokens.json text -> records; every problem is an error naming the entry (kInvalidArgument). Empty or
// whitespace-only text is an empty list.
common::Result<std::vector<TokenRecord>> parse_tokens(std::string_view json_text);
std::string render_tokens(const std::vector<TokenRecord>& records);

// The tokens the server authenticates against, with their hashes decoded once.
class TokenSet {
 public:
  TokenSet() = default;
  explicit TokenSet(const std::vector<TokenRecord>& records);

  // The record whose hash matches the presented bearer token (scopes read, deploy, admin), or nullptr.
  // Every record is compared, each with CRYPTO_memcmp over the SHA-256 digests, so the time taken does
  // not depend on which record or how many bytes matched.
  [[nodiscard]] const TokenRecord* authenticate(std::string_view presented) const;
  // The webhook record whose secret is `secret`, compared the same way; nullptr when none.
  [[nodiscard]] const TokenRecord* match_webhook_secret(std::string_view secret) const;
  // Whether the token `admitted` was read from is still here (same name and hash: revoked and created
  // again is another token) with a scope that allows `required`.
  [[nodiscard]] bool still_grants(const TokenRecord& admitted, Scope required) const;

  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    TokenRecord record;
    std::array<unsigned char, 32> digest{};
  };
  [[nodiscard]] const TokenRecord* find(std::string_view presented, bool webhook) const;

  std::vector<Entry> entries_;
};

}  // namespace berth::control
