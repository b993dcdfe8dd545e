#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace berth::common {

// What kind of bad news an operation brings. The planner and the CLI decide on the kind; the message
// is for people and names what went wrong (which file, which container, which registry).
enum class ErrorKind {
  kInvalidArgument,  // the request or input is malformed (our fault or the user's)
  kNotFound,         // no such container, image, manifest, tag, network
  kConflict,         // a name in use, a container not running, a swap already in progress
  kUnauthorized,     // missing or bad credentials
  kForbidden,        // credentials fine, permission missing
  kRateLimited,      // 429 from a registry
  kUnavailable,      // could not connect, connection reset, 5xx
  kTimeout,          // a deadline passed
  kProtocol,         // the peer answered something we cannot understand
  kTooLarge,         // a size limit was hit
  kInternal,         // a bug on our side or an unexpected local failure (I/O on the state dir)
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
  int http_status = 0;  // the peer's HTTP status when the error came from one, else 0

  // The message prefixed with what the caller was doing: "inspect container web: No such container: web".
  [[nodiscard]] Error context(std::string_view what) const;
};

Error make_error(ErrorKind kind, std::string message, int http_status = 0);

// Throwing hook for boost::system::result<T, Error>::value(); found by ADL.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

// Result<void> spelled out for readability at call sites.
using Status = boost::system::result<void, Error>;

}  // namespace berth::common
