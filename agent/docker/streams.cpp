#include "docker/streams.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace berth::docker {

using common::ErrorKind;

common::Status LineSplitter::feed(std::string_view data,
                                  const std::function<common::Status(std::string_view)>& on_line) {
  while (!data.empty()) {
    const auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      if (pending_.size() + data.size() > max_line_) {
        return common::make_error(ErrorKind::kTooLarge,
                                  "stream line longer than " + std::to_string(max_line_) + " bytes");
      }
      pending_.append(data);
      return {};
    }
    std::string_view line;
    if (pending_.empty()) {
      line = data.substr(0, nl);
    } else {
      pending_.append(data.substr(0, nl));
      line = pending_;
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.empty()) {
      auto st = on_line(line);
      if (!st) {
        return st;
      }
    }
    pending_.clear();
    data.remove_prefix(nl + 1);
  }
  return {};
}

namespace {

// Byte counts of the progress stream are only shown, never decided on: anything but a count that fits
// is 0, and counts are capped so that sums over layers cannot overflow.
constexpr std::int64_t kMaxByteCount = std::int64_t{1} << 50;

std::int64_t byte_count(const nlohmann::json& detail, const char* key) {
  const auto it = detail.find(key);
  if (it == detail.end() || !it->is_number_integer()) {
    return 0;
  }
  if (it->is_number_unsigned()) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(it->get<std::uint64_t>(), kMaxByteCount));
  }
  return std::clamp<std::int64_t>(it->get<std::int64_t>(), 0, kMaxByteCount);
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  return a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max() : a + b;
}

}  // namespace

common::Result<PullEvent> parse_pull_event(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return common::make_error(ErrorKind::kProtocol,
                              "pull progress is not a JSON object: " + std::string(line.substr(0, 200)));
  }
  PullEvent e;
  if (auto it = j.find("id"); it != j.end() && it->is_string()) {
    e.id = it->get<std::string>();
  }
  if (auto it = j.find("status"); it != j.end() && it->is_string()) {
    e.status = it->get<std::string>();
  }
  if (auto it = j.find("progressDetail"); it != j.end() && it->is_object()) {
    e.current = byte_count(*it, "current");
    e.total = byte_count(*it, "total");
  }
  // Errors after the stream started arrive in-band with status 200: errorDetail, or the legacy string.
  if (auto it = j.find("errorDetail"); it != j.end() && it->is_object()) {
    if (auto message = it->find("message"); message != it->end() && message->is_string()) {
      e.error = message->get<std::string>();
    }
  }
  if (auto it = j.find("error"); e.error.empty() && it != j.end()) {
    e.error = it->is_string() ? it->get<std::string>() : it->dump();
  }
  if (e.error.empty() && (j.contains("errorDetail") || j.contains("error"))) {
    e.error = "pull failed (no message)";
  }
  return e;
}

void PullProgress::apply(const PullEvent& event) {
  if (!event.error.empty() && error_.empty()) {
    error_ = event.error;
    return;
  }
  constexpr std::string_view kDigest = "Digest: ";
  if (event.status.rfind(kDigest, 0) == 0) {
    digest_ = event.status.substr(kDigest.size());
    return;
  }
  if (event.status.rfind("Status: Image is up to date", 0) == 0) {
    up_to_date_ = true;
    return;
  }
  if (event.id.empty()) {
    return;
  }
  auto& layer = layers_[event.id];
  if (event.status == "Downloading") {
    layer.current = event.current;
    if (event.total > 0) {
      layer.total = event.total;
    }
  } else if (event.status == "Download complete" || event.status == "Pull complete" ||
             event.status == "Already exists") {
    layer.done = true;
    if (layer.total > 0) {
      layer.current = layer.total;
    }
  }
}

std::int64_t PullProgress::bytes_done() const {
  std::int64_t sum = 0;
  for (const auto& [id, l] : layers_) {
    sum = saturating_add(sum, l.current);
  }
  return sum;
}

std::int64_t PullProgress::bytes_total() const {
  std::int64_t sum = 0;
  for (const auto& [id, l] : layers_) {
    sum = saturating_add(sum, l.total);
  }
  return sum;
}

std::string PullProgress::summary() const {
  std::size_t done = 0;
  for (const auto& [id, l] : layers_) {
    done += l.done ? 1 : 0;
  }
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%zu/%zu layers, %.1f/%.1f MB", done, layers_.size(),
                static_cast<double>(bytes_done()) / 1e6, static_cast<double>(bytes_total()) / 1e6);
  return buf;
}

void RawStreamDemux::append(std::string& to, std::string_view data) {
  to.append(data);
  if (to.size() > limit_) {
    to.erase(0, to.size() - limit_);
  }
}

void RawStreamDemux::feed(std::string_view data) {
  buffer_.append(data);
  std::size_t pos = 0;
  while (buffer_.size() - pos >= 8) {
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + pos);
    const std::size_t size = (std::size_t{h[4]} << 24) | (std::size_t{h[5]} << 16) | (std::size_t{h[6]} << 8) | h[7];
    if (buffer_.size() - pos - 8 < size) {
      break;
    }
    const std::string_view payload(buffer_.data() + pos + 8, size);
    append(h[0] == 2 ? err_ : out_, payload);
    pos += 8 + size;
  }
  buffer_.erase(0, pos);
}

std::string error_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object()) {
    if (auto it = j.find("message"); it != j.end() && it->is_string()) {
      return common::printable_text(it->get<std::string>());
    }
  }
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
    body.remove_suffix(1);
  }
  return common::printable_text(body, 500);
}

common::Error docker_error(int status, std::string_view body, std::string_view doing) {
  ErrorKind kind = ErrorKind::kUnavailable;
  switch (status) {
    case 400: kind = ErrorKind::kInvalidArgument; break;
    case 401: kind = ErrorKind::kUnauthorized; break;
    case 403: kind = ErrorKind::kForbidden; break;
    case 404: kind = ErrorKind::kNotFound; break;
    case 409: kind = ErrorKind::kConflict; break;
    case 429: kind = ErrorKind::kRateLimited; break;
    default: kind = status >= 500 ? ErrorKind::kUnavailable : ErrorKind::kProtocol; break;
  }
  std::string msg = error_message(body);
  if (msg.empty()) {
    msg = "HTTP " + std::to_string(status);
  }
  return common::make_error(kind, std::string(doing) + ": " + msg, status);
}

}  // namespace berth::docker
