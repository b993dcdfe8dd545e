#include "common/error.hpp"

#include <stdexcept>

namespace berth::common {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "invalid_argument";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kForbidden: return "forbidden";
    case ErrorKind::kRateLimited: return "rate_limited";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kProtocol: return "protocol";
    case ErrorKind::kTooLarge: return "too_large";
    case ErrorKind::kInternal: return "internal";
  }
  return "internal";
}

Error Error::context(std::string_view what) const {
  Error e = *this;
  e.message = std::string(what) + ": " + message;
  return e;
}

Error make_error(ErrorKind kind, std::string message, int http_status) {
  return Error{kind, std::move(message), http_status};
}

void throw_exception_from_error(const Error& e, const boost::source_location& /*loc*/) {
  throw std::runtime_error(std::string(to_string(e.kind)) + ": " + e.message);
}

}  // namespace berth::common
