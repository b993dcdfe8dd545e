#pragma once

// `berth fleet update|rollback`: which host starts when, and what the admin sees. Pure.
//
// Semantics (README "Fleet rollouts"): the first `canary` hosts of the file go first (at most
// `max_concurrency` at once) and must all succeed; then at most `max_concurrency` hosts swap at once,
// in file order. Once the failures exceed `max_errors` (or a canary failed, or Ctrl-C came), no new
// host starts; hosts in flight finish; the rest are reported as not started.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

enum class HostState { kWaiting, kRunning, kDone, kFailed, kNotStarted };
std::string_view to_string(HostState s);

enum class StopReason { kNone, kCanaryFailed, kTooManyFailures, kInterrupted };

// One host's line in the live table, the plain lines and --json.
struct HostRow {
  std::string name;
  std::string url;
  bool canary = false;
  HostState state = HostState::kWaiting;
  std::string step;           // what it does now, or how it ended: "pull", "gate", "swapped", "up to date", ...
  std::string from_digest;    // what it ran before
  std::string digest;         // the digest it goes to, then the one it serves at the end
  std::string error;          // why it failed
  bool unauthorized = false;  // the agent answered 401 or 403
  long long started_ms = -1;  // since the rollout began
  long long ended_ms = -1;
};

class Rollout {
 public:
  Rollout(std::size_t hosts, int canary, int max_concurrency, int max_errors);

  // The next host to start now (it counts as running from here), or nullopt when none may start yet
  // or ever (the limit of hosts in flight, canaries still running, stopped, none left).
  std::optional<std::size_t> next();
  void finished(std::size_t host, bool ok);
  void interrupt();

  // Nothing runs and nothing more will start.
  [[nodiscard]] bool over() const;
  [[nodiscard]] StopReason stop_reason() const { return stop_; }
  [[nodiscard]] int failures() const { return failures_; }
  [[nodiscard]] int running() const { return running_; }
  [[nodiscard]] int max_errors() const { return max_errors_; }

 private:
  std::size_t hosts_;
  std::size_t canary_;
  int max_concurrency_;
  int max_errors_;
  std::size_t next_ = 0;
  int running_ = 0;
  int canaries_running_ = 0;
  int failures_ = 0;
  StopReason stop_ = StopReason::kNone;
};

// The exit code of a finished rollout: 4 when an agent refused the token, else 3 when a host failed or
// did not start because of failures, 130 when Ctrl-C left hosts not started, else 0.
int rollout_exit_code(const std::vector<HostRow>& rows, StopReason stop);

// "12s", "1m05s", "-" when the host has not started.
std::string row_duration(const HostRow& row, long long now_ms);

// HOST STATE DIGEST STEP DURATION
std::string render_rollout_table(const std::vector<HostRow>& rows, long long now_ms);
// "web-3: failed sha256:0123456789ab (rolled back: the probe did not pass) 42s"
std::string rollout_line(const HostRow& row, long long now_ms);
// "10 hosts: 8 done, 1 failed, 1 not started; stopped: 2 failures, more than --max-errors 1"
std::string rollout_summary(const std::vector<HostRow>& rows, StopReason stop, int max_errors);
// {"action", "service", "digest", "result": "done|stopped|interrupted", "summary": {...}, "hosts": [...]}
nlohmann::json rollout_json(const std::vector<HostRow>& rows, StopReason stop, const std::string& action,
                            const std::string& service, const std::string& digest);

}  // namespace berth::cli
