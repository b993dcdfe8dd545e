#pragma once

// tokens.json on disk: the `berth token` commands change it (under a lock, atomically, mode 0600), and
// the server re-reads it whenever it changes, so a created or revoked token counts without a restart.

#include "common/error.hpp"
#include "control/tokens.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace berth::control {

class TokenStore {
 public:
  explicit TokenStore(std::string path) : path_(std::move(path)) {}

  // Every record; a missing file is an empty list.
  [[nodiscard]] common::Result<std::vector<TokenRecord>> list() const;
  // Adds a token and returns its text, the only time it exists outside the caller's memory.
  // kConflict when the name is taken, kInvalidArgument for a bad name or the webhook-less scope kNone.
  common::Result<std::string> create(const std::string& name, Scope scope, std::chrono::system_clock::time_point now);
  // Adds a token known only by its SHA-256 (64 hex digits, either case): a fleet token made and kept
  // elsewhere. The same errors as create, and kInvalidArgument for a hash that is not 64 hex digits.
  common::Status add(const std::string& name, Scope scope, std::string_view sha256_hex,
                     std::chrono::system_clock::time_point now);
  // kNotFound when no token has that name.
  common::Status revoke(std::string_view name);

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  common::Status insert(TokenRecord record);

  std::string path_;
};

// The server's view of the tokens file. current() stats the file (one syscall) and re-reads it when its
// identity, size or modification time changed. A file that cannot be read or parsed counts as no
// tokens at all (fail closed) until it is fixed; the problem is logged once per change.
class TokenWatcher {
 public:
  explicit TokenWatcher(std::string path) : path_(std::move(path)) {}

  const TokenSet& current();
  // The problem with the file as last read (empty when it was fine or absent).
  [[nodiscard]] const std::string& problem() const { return problem_; }

 private:
  struct Stamp {
    unsigned long long device = 0;
    unsigned long long inode = 0;
    long long size = -1;
    long long mtime_ns = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };

  std::string path_;
  bool loaded_ = false;
  Stamp stamp_;
  TokenSet set_;
  std::string problem_;
};

}  // namespace berth::control
