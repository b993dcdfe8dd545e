#include "cli/render.hpp"

#include "cli/exit_codes.hpp"
#include "control/notify.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace berth::cli {

using nlohmann::json;

namespace {

std::string text_of(const json& obj, const char* key, std::string fallback = "-") {
  if (!obj.is_object()) {
    return fallback;
  }
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return fallback;
  }
  if (it->is_string()) {
    return it->get<std::string>().empty() ? fallback : it->get<std::string>();
  }
  return it->dump();
}

double number_of(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& row : rows) {
    measure(row);
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : std::string();
      line += cell;
      if (i + 1 < widths.size()) {
        line += std::string(widths[i] - cell.size() + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line + "\n";
  };
  emit(header);
  for (const auto& row : rows) {
    emit(row);
  }
  return out;
}

json list_of(const json& body, std::string_view key) {
  if (body.is_array()) {
    return body;
  }
  if (body.is_object()) {
    const auto it = body.find(std::string(key));
    if (it != body.end() && it->is_array()) {
      return *it;
    }
  }
  return json::array();
}

std::string short_digest(std::string_view digest) {
  if (digest.empty() || digest == "-") {
    return "-";
  }
  return control::short_digest(digest);
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 ||
      std::sscanf(std::string(text).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) {
    return std::nullopt;
  }
  if (text.back() != 'Z' && text.back() != 'z') {
    return std::nullopt;  // the API speaks UTC only
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(t);
}

std::string relative_time(const json& rfc3339, std::chrono::system_clock::time_point now) {
  if (!rfc3339.is_string()) {
    return "-";
  }
  const auto t = parse_rfc3339(rfc3339.get<std::string>());
  if (!t) {
    return "-";
  }
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - *t).count();
  if (secs < 5) {
    return "just now";
  }
  if (secs < 60) {
    return std::to_string(secs) + "s ago";
  }
  if (secs < 3600) {
    return std::to_string(secs / 60) + "m ago";
  }
  if (secs < 86400) {
    return std::to_string(secs / 3600) + "h ago";
  }
  return std::to_string(secs / 86400) + "d ago";
}

namespace {

// The IMAGE cell: the service's reference; with berth.follow, the tag that runs and the pattern.
std::string image_cell(const json& s) {
  std::string image = text_of(s, "image");
  const std::string follow = text_of(s, "follow", "");
  if (follow.empty()) {
    return image;
  }
  const auto slash = image.rfind('/');
  const auto colon = image.find(':', slash == std::string::npos ? 0 : slash);
  const std::string tag = text_of(s, "running_tag", "");
  if (!tag.empty()) {
    image = image.substr(0, std::min(colon, image.find('@'))) + ":" + tag;
  }
  return image + " (" + follow + ")";
}

}  // namespace

std::string render_services(const json& services, std::chrono::system_clock::time_point now) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : services) {
    rows.push_back({text_of(s, "name"), image_cell(s), short_digest(text_of(s, "running_digest", "")),
                    short_digest(text_of(s, "newest_digest", "")), text_of(s, "state"),
                    relative_time(s.is_object() ? s.value("last_check", json()) : json(), now),
                    relative_time(s.is_object() ? s.value("last_swap", json()) : json(), now),
                    number_of(s, "images_bytes") > 0 ? human_bytes(number_of(s, "images_bytes")) : "-"});
  }
  std::string out =
      render_table({"SERVICE", "IMAGE", "RUNNING", "NEWEST", "STATE", "LAST CHECK", "LAST SWAP", "IMAGES"}, rows);
  // A refused pull says why under the table: what is free, what the image needs, what must stay free.
  for (const auto& s : services) {
    if (text_of(s, "state") == "disk low") {
      out += text_of(s, "name") + ": " + text_of(s, "error") + "\n";
    }
  }
  return out;
}

std::string render_checks(const json& services) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : services) {
    const std::string running = text_of(s, "running_digest", "");
    const std::string newest = text_of(s, "newest_digest", "");
    std::string update = "-";
    if (const std::string error = text_of(s, "error", ""); !error.empty()) {
      update = "error: " + error;
    } else if (!newest.empty()) {
      update = newest != running ? "yes" : "no";
    }
    rows.push_back({text_of(s, "name"), short_digest(running), short_digest(newest), update});
  }
  return render_table({"SERVICE", "RUNNING", "NEWEST", "UPDATE"}, rows);
}

std::string render_history(const json& swaps, std::chrono::system_clock::time_point now) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : swaps) {
    rows.push_back({text_of(s, "id"), text_of(s, "service"),
                    relative_time(s.is_object() ? s.value("started", json()) : json(), now), text_of(s, "result"),
                    short_digest(text_of(s, "from_digest", "")), short_digest(text_of(s, "to_digest", "")),
                    text_of(s, "reason")});
  }
  return render_table({"SWAP", "SERVICE", "STARTED", "RESULT", "FROM", "TO", "REASON"}, rows);
}

std::string render_tokens(const json& tokens) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tokens) {
    rows.push_back({text_of(t, "name"), text_of(t, "scope"), text_of(t, "created")});
  }
  return render_table({"NAME", "SCOPE", "CREATED"}, rows);
}

std::string human_bytes(double bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  } else if (bytes < 1024.0 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KB", bytes / 1024);
  } else if (bytes < 1024.0 * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / (1024.0 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
  }
  return buf;
}

std::string event_line(const json& event) {
  if (!event.is_object()) {
    return "-";
  }
  std::string line = text_of(event, "step", text_of(event, "type"));
  const double done = number_of(event, "bytes_done");
  const double total = number_of(event, "bytes_total");
  if (total > 0) {
    const int pct = static_cast<int>(std::min(100.0, done * 100 / total));
    line += ": " + human_bytes(done) + " of " + human_bytes(total) + " (" + std::to_string(pct) + "%)";
  } else if (const std::string detail = text_of(event, "detail", ""); !detail.empty()) {
    line += ": " + detail;
  }
  if (const std::string result = text_of(event, "result", ""); !result.empty()) {
    line += " [" + result + "]";
  }
  return line;
}

std::string progress_bar(const json& event, std::size_t width) {
  const double done = event.is_object() ? number_of(event, "bytes_done") : 0;
  const double total = event.is_object() ? number_of(event, "bytes_total") : 0;
  const std::string label = event_line(event);
  if (total <= 0) {
    return label.size() > width ? label.substr(0, width) : label;
  }
  const double share = std::clamp(done / total, 0.0, 1.0);
  constexpr std::size_t kBar = 20;
  const auto filled = static_cast<std::size_t>(share * kBar + 0.5);
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(share * 100));
  std::string out = "[" + std::string(filled, '#') + std::string(kBar - filled, '-') + "] " + pct + " " +
                    text_of(event, "step") + " " + human_bytes(done) + " of " + human_bytes(total);
  return out.size() > width ? out.substr(0, width) : out;
}

int exit_code_for_result(std::string_view result) {
  if (result == "swapped" || result == "up_to_date" || result == "waiting_for_window") {
    return kExitOk;
  }
  if (result == "rolled_back") {
    return kExitRolledBack;
  }
  return kExitError;
}

std::string swap_summary(const json& swap) {
  const std::string service = text_of(swap, "service", "?");
  const std::string result = text_of(swap, "result", "unknown");
  const std::string from = short_digest(text_of(swap, "from_digest", ""));
  const std::string to = short_digest(text_of(swap, "to_digest", ""));
  const std::string reason = text_of(swap, "reason", "");
  std::string line = service + ": ";
  if (result == "swapped") {
    line += "swapped " + from + " -> " + to;
  } else if (result == "up_to_date") {
    const std::string digest = short_digest(text_of(swap, "digest", ""));
    line += "already up to date (" + (to != "-" ? to : digest != "-" ? digest : from) + ")";
  } else if (result == "rolled_back") {
    line += "rolled back: " + to + " failed its health gate; " + from + " is serving";
  } else if (result == "waiting_for_window") {
    line += "outside its update window; the update starts " + text_of(swap, "next", "when it opens");
  } else {
    line += result;
  }
  if (!reason.empty() && result != "swapped") {
    line += " (" + reason + ")";
  }
  return line;
}

int exit_code_for_status(int status) { return status == 401 || status == 403 ? kExitUnauthorized : kExitError; }

std::string api_error_text(int status, const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& e = doc["error"];
    const std::string message = text_of(e, "message", "");
    const std::string code = text_of(e, "code", "");
    if (!message.empty()) {
      return code.empty() ? message : code + ": " + message;
    }
  }
  return "the agent answered HTTP " + std::to_string(status);
}

}  // namespace berth::cli
