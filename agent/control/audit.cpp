#include "control/audit.hpp"

#include "common/text.hpp"
#include "control/time_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

namespace berth::control {

namespace {

constexpr std::string_view kHooksSegment = "/hooks/";

}  // namespace

std::string audit_line(const AuditEntry& e) {
  const nlohmann::json line{{"time", rfc3339_utc_ms(e.time)},
                            {"caller", e.caller},
                            {"address", e.address},
                            {"method", e.method},
                            {"path", e.path},
                            {"route", e.route},
                            {"status", e.status},
                            {"result", e.result}};
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string redact_path(std::string_view path) {
  const std::string lower = common::to_lower(path);
  const auto at = lower.find(kHooksSegment);
  if (at == std::string::npos) {
    return std::string(path);
  }
  return std::string(path.substr(0, at + kHooksSegment.size())) + "<redacted>";
}

std::string audit_result(const ApiResponse& response) {
  if (response.body.is_object()) {
    const auto err = response.body.find("error");
    if (err != response.body.end() && err->is_object() && err->contains("code") && (*err)["code"].is_string()) {
      return (*err)["code"].get<std::string>();
    }
    const auto swap = response.body.find("swap");
    if (swap != response.body.end() && swap->is_string()) {
      return "swap " + swap->get<std::string>();
    }
    if (swap != response.body.end() && swap->is_object() && swap->contains("id") && (*swap)["id"].is_string()) {
      return "swap " + (*swap)["id"].get<std::string>();
    }
  }
  return response.status >= 200 && response.status < 300 ? "ok" : "error";
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

common::Status AuditLog::open(const std::string& path, std::uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return common::make_error(common::ErrorKind::kInternal, "open audit log " + path + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
  path_ = path;
  max_bytes_ = max_bytes;
  return {};
}

common::Status AuditLog::rotate() {
  const std::string old = path_ + ".1";
  if (::rename(path_.c_str(), old.c_str()) != 0) {
    return common::make_error(common::ErrorKind::kInternal,
                              "rotate audit log " + path_ + " to " + old + ": " + std::strerror(errno));
  }
  // Until the new file opens, lines still go to the renamed one: nothing is lost.
  return open(path_, max_bytes_);
}

common::Status AuditLog::append(const AuditEntry& entry) {
  if (fd_ < 0) {
    return common::make_error(common::ErrorKind::kInternal, "audit log not open");
  }
  const std::string line = audit_line(entry);
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size > 0 && static_cast<std::uint64_t>(st.st_size) + line.size() > max_bytes_) {
    if (auto rotated = rotate(); !rotated) {
      return rotated;
    }
  }
  // One write of a line opened O_APPEND: lines never interleave, even with another writer.
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    return common::make_error(common::ErrorKind::kInternal,
                              "write audit log " + path_ + ": " + (n < 0 ? std::strerror(errno) : "short write"));
  }
  return {};
}

}  // namespace berth::control
