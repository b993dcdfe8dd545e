#include "cli/fleet_rollout.hpp"

#include "cli/exit_codes.hpp"
#include "cli/render.hpp"

#include <algorithm>
#include <cstdio>

namespace berth::cli {

using nlohmann::json;

namespace {

constexpr long long kMsPerSecond = 1000;
constexpr long long kSecondsPerMinute = 60;

std::string state_cell(const HostRow& row) {
  std::string s(to_string(row.state));
  return row.canary ? s + " (canary)" : s;
}

std::string stop_text(StopReason stop, int failures, int max_errors) {
  switch (stop) {
    case StopReason::kNone: return "";
    case StopReason::kCanaryFailed: return "stopped: a canary host failed";
    case StopReason::kTooManyFailures:
      return "stopped: " + std::to_string(failures) + " failure" + (failures == 1 ? "" : "s") +
             ", more than --max-errors " + std::to_string(max_errors);
    case StopReason::kInterrupted: return "interrupted: no new host started after Ctrl-C";
  }
  return "";
}

std::string result_of(StopReason stop) {
  switch (stop) {
    case StopReason::kNone: return "done";
    case StopReason::kInterrupted: return "interrupted";
    default: return "stopped";
  }
}

json stop_code(StopReason stop) {
  switch (stop) {
    case StopReason::kNone: return nullptr;
    case StopReason::kCanaryFailed: return "canary_failed";
    case StopReason::kTooManyFailures: return "max_errors";
    case StopReason::kInterrupted: return "interrupted";
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(HostState s) {
  switch (s) {
    case HostState::kWaiting: return "waiting";
    case HostState::kRunning: return "running";
    case HostState::kDone: return "done";
    case HostState::kFailed: return "failed";
    case HostState::kNotStarted: return "not started";
  }
  return "?";
}

Rollout::Rollout(std::size_t hosts, int canary, int max_concurrency, int max_errors)
    : hosts_(hosts),
      canary_(std::min(hosts, static_cast<std::size_t>(std::max(0, canary)))),
      max_concurrency_(std::max(1, max_concurrency)),
      max_errors_(std::max(0, max_errors)) {}

std::optional<std::size_t> Rollout::next() {
  if (stop_ != StopReason::kNone || next_ >= hosts_ || running_ >= max_concurrency_) {
    return std::nullopt;
  }
  if (next_ >= canary_ && canaries_running_ > 0) {
    return std::nullopt;  // the canaries must all have succeeded before the others start
  }
  const std::size_t host = next_++;
  ++running_;
  if (host < canary_) {
    ++canaries_running_;
  }
  return host;
}

void Rollout::finished(std::size_t host, bool ok) {
  --running_;
  if (host < canary_) {
    --canaries_running_;
  }
  if (ok) {
    return;
  }
  ++failures_;
  if (stop_ != StopReason::kNone) {
    return;
  }
  if (host < canary_) {
    stop_ = StopReason::kCanaryFailed;
  } else if (failures_ > max_errors_) {
    stop_ = StopReason::kTooManyFailures;
  }
}

void Rollout::interrupt() {
  if (stop_ == StopReason::kNone && next_ < hosts_) {
    stop_ = StopReason::kInterrupted;
  }
}

bool Rollout::over() const { return running_ == 0 && (stop_ != StopReason::kNone || next_ >= hosts_); }

int rollout_exit_code(const std::vector<HostRow>& rows, StopReason stop) {
  if (std::any_of(rows.begin(), rows.end(), [](const HostRow& r) { return r.unauthorized; })) {
    return kExitUnauthorized;
  }
  if (std::any_of(rows.begin(), rows.end(), [](const HostRow& r) { return r.state == HostState::kFailed; }) ||
      stop == StopReason::kCanaryFailed || stop == StopReason::kTooManyFailures) {
    return kExitRolledBack;
  }
  if (std::any_of(rows.begin(), rows.end(), [](const HostRow& r) { return r.state != HostState::kDone; })) {
    return stop == StopReason::kInterrupted ? kExitInterrupted : kExitError;
  }
  return kExitOk;
}

std::string row_duration(const HostRow& row, long long now_ms) {
  if (row.started_ms < 0) {
    return "-";
  }
  const long long ms = (row.ended_ms >= 0 ? row.ended_ms : now_ms) - row.started_ms;
  const long long s = std::max(0LL, ms / kMsPerSecond);
  if (s < kSecondsPerMinute) {
    return std::to_string(s) + "s";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lldm%02llds", s / kSecondsPerMinute, s % kSecondsPerMinute);
  return buf;
}

std::string render_rollout_table(const std::vector<HostRow>& rows, long long now_ms) {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  for (const auto& r : rows) {
    std::string step = r.error.empty() ? r.step : r.step + (r.step.empty() ? "" : ": ") + r.error;
    cells.push_back(
        {r.name, state_cell(r), short_digest(r.digest), step.empty() ? "-" : step, row_duration(r, now_ms)});
  }
  return render_table({"HOST", "STATE", "DIGEST", "STEP", "DURATION"}, cells);
}

std::string rollout_line(const HostRow& row, long long now_ms) {
  std::string line = row.name + ": " + state_cell(row);
  if (!row.digest.empty()) {
    line += " " + short_digest(row.digest);
  }
  std::string detail = row.step;
  if (!row.error.empty()) {
    detail += (detail.empty() ? "" : ": ") + row.error;
  }
  if (!detail.empty()) {
    line += " (" + detail + ")";
  }
  if (row.started_ms >= 0) {
    line += " " + row_duration(row, now_ms);
  }
  return line;
}

std::string rollout_summary(const std::vector<HostRow>& rows, StopReason stop, int max_errors) {
  int done = 0;
  int failed = 0;
  int not_started = 0;
  for (const auto& r : rows) {
    done += r.state == HostState::kDone ? 1 : 0;
    failed += r.state == HostState::kFailed ? 1 : 0;
    not_started += r.state == HostState::kNotStarted || r.state == HostState::kWaiting ? 1 : 0;
  }
  std::string out = std::to_string(rows.size()) + " host" + (rows.size() == 1 ? "" : "s") + ": " +
                    std::to_string(done) + " done, " + std::to_string(failed) + " failed, " +
                    std::to_string(not_started) + " not started";
  if (const std::string why = stop_text(stop, failed, max_errors); !why.empty()) {
    out += "; " + why;
  }
  return out;
}

json rollout_json(const std::vector<HostRow>& rows, StopReason stop, const std::string& action,
                  const std::string& service, const std::string& digest) {
  json hosts = json::array();
  int counts[5] = {0, 0, 0, 0, 0};
  for (const auto& r : rows) {
    ++counts[static_cast<int>(r.state)];
    json h{{"host", r.name},
           {"url", r.url},
           {"canary", r.canary},
           {"state", std::string(to_string(r.state))},
           {"step", r.step},
           {"from_digest", r.from_digest.empty() ? json(nullptr) : json(r.from_digest)},
           {"digest", r.digest.empty() ? json(nullptr) : json(r.digest)},
           {"error", r.error.empty() ? json(nullptr) : json(r.error)},
           {"duration_ms", r.started_ms >= 0 && r.ended_ms >= 0 ? json(r.ended_ms - r.started_ms) : json(nullptr)}};
    hosts.push_back(std::move(h));
  }
  return json{{"action", action},
              {"service", service},
              {"digest", digest.empty() ? json(nullptr) : json(digest)},
              {"result", result_of(stop)},
              {"stop_reason", stop_code(stop)},
              {"summary",
               {{"hosts", rows.size()},
                {"done", counts[static_cast<int>(HostState::kDone)]},
                {"failed", counts[static_cast<int>(HostState::kFailed)]},
                {"not_started",
                 counts[static_cast<int>(HostState::kNotStarted)] + counts[static_cast<int>(HostState::kWaiting)]}}},
              {"hosts", hosts}};
}

}  // namespace berth::cli
