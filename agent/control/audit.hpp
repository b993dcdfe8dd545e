#pragma once

// The audit trail of mutating requests: one JSON object per line in <state_dir>/audit.log (mode 0600),
// also logged. A record names the caller by token name and never holds a token or a webhook secret:
// the webhook route's secret segment is redacted from the path before anything is written.

#include "common/error.hpp"
#include "control/api_types.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace berth::control {

struct AuditEntry {
  std::chrono::system_clock::time_point time;
  std::string caller;   // token name, "unix-socket", or "-" when none was accepted
  std::string address;  // peer address
  std::string method;
  std::string path;   // as redact_path returns it
  std::string route;  // to_string(RouteId), or "-" when the path matched no route
  int status = 0;
  std::string result;  // "ok", "swap <id>", or the error code of the answer
};

// {"time","caller","address","method","path","route","status","result"} on one line, with '\n'.
std::string audit_line(const AuditEntry& entry);

// The normalised path as it may be written down: everything after a "/hooks/" segment (in any case)
// becomes "<redacted>", so the webhook secret is never written, even when the path missed the route.
// Raw request targets are never logged at all: they are not decoded, so they could hide the secret.
std::string redact_path(std::string_view path);

// What the audit record says about an answer: "swap <id>" for an accepted swap, the error code for an
// error body, otherwise "ok" (2xx) or "error".
std::string audit_result(const ApiResponse& response);

inline constexpr std::uint64_t kAuditMaxBytes = 10 * 1024 * 1024;

// Appends audit lines to a file (O_APPEND, 0600). A line that would take the file past `max_bytes`
// first renames it to <path>.1 (replacing the older one) and starts a new file: at most two files,
// whatever the callers do.
class AuditLog {
 public:
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  common::Status open(const std::string& path, std::uint64_t max_bytes = kAuditMaxBytes);
  [[nodiscard]] bool is_open() const { return fd_ >= 0; }
  common::Status append(const AuditEntry& entry);

 private:
  common::Status rotate();

  int fd_ = -1;
  std::string path_;
  std::uint64_t max_bytes_ = kAuditMaxBytes;
};

}  // namespace berth::control
