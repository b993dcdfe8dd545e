#pragma once

// The verdict on a freshly started container (CONTRACT section 5.3), as pure logic: the caller brings
// the time, the container's state and probe results; GateTracker says pending, passed or failed, and why.
//
// Two phases:
//  GATE     the probe must pass within start_period + retries x interval of the start. Failures during
//           the start period do not count (ECS); after it they are counted for the reason, but only the
//           deadline fails the gate, since berth probes far more often than every `interval`. The first
//           pass ends the gate. A Docker health status of "unhealthy" fails at once (Docker has already
//           applied its retries); "starting" is neither a pass nor a failure. Docker runs its check on its
//           own schedule (the first one an interval after the start, each one taking up to its timeout),
//           so with kDockerHealth Docker's "unhealthy" is what fails the gate, and the deadline is only a
//           backstop for a Docker that never decides: start_period + (retries + 1) x (interval + timeout).
//  MONITOR  after the gate the service must stay good for berth.monitor: `retries` consecutive probe
//           failures fail it (as in ECS, once a check has passed, failures count even inside the start
//           period). A window that ends during a run of failures is settled by the next probes: a pass
//           ends it, `retries` failures in a row fail it. With no probe (kRunning) the container only has
//           to keep running.
// In both phases a container that exits, is removed, or restarts (its restart count grows, or its
// StartedAt changes) fails at once, and so does a Docker Engine that answers no inspect for
// kObservationGrace.
//
// Cadence. A stop-first swap leaves the service down from the old container's stop until the new one
// passes the gate, so the gate probes often: every 250 ms for host-side probes (http, https, tcp: a
// refused connection costs nothing) and every 500 ms for exec (each one starts a process in the
// container) and the Docker health status (an inspect; Docker's own interval decides when it changes).
// A healthy container is found at most a quarter or half second after it starts answering, instead of
// up to a whole ECS interval (30 s by default) later. In the monitor window the service is already
// serving, so the probe slows down to the ECS interval, but never so slow that `retries` consecutive
// failures could not fit in the window: min(interval, monitor / (retries + 1)), at least the gate
// cadence. The container itself is inspected every 500 ms in both phases, so an exit or a restart is
// seen within half a second.

#include "health/probe.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace berth::health {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

inline constexpr std::chrono::milliseconds kHostProbeCadence{250};
inline constexpr std::chrono::milliseconds kContainerProbeCadence{500};
inline constexpr std::chrono::milliseconds kObserveCadence{500};
inline constexpr std::chrono::milliseconds kObservationGrace{std::chrono::seconds(10)};
// Probe output (HTTP body, exec output, Docker health output) kept in a ProbeResult.
inline constexpr std::size_t kProbeOutputLimit = 1024;

// How long the gate waits for a pass after the start; see the header comment.
std::chrono::milliseconds gate_window(const ProbeSpec& spec);
// How often the gate probes, by kind; see the header comment.
std::chrono::milliseconds gate_cadence(ProbeKind kind);
// How often the monitor window probes: min(interval, monitor / (retries + 1)), at least the gate cadence.
std::chrono::milliseconds monitor_cadence(const ProbeSpec& spec, std::chrono::milliseconds monitor);

enum class ProbeStatus {
  kPass,       // healthy
  kFail,       // one failed attempt: counted against the retries
  kStarting,   // Docker health "starting": no verdict yet
  kUnhealthy,  // Docker health "unhealthy": Docker has counted the retries; decisive
};

struct ProbeResult {
  ProbeStatus status = ProbeStatus::kFail;
  // What happened, completing "probe <describe> ...": "answered 200", "answered 503", "could not
  // connect: Connection refused", "did not answer within 5s", "exited with code 1", "reports starting".
  std::string detail;
  std::string output;  // the start of the HTTP body, the exec output, Docker's health output (truncated)

  [[nodiscard]] bool ok() const { return status == ProbeStatus::kPass; }
};

// The parts of `docker inspect` the verdict depends on.
struct ContainerObservation {
  bool exists = true;  // false once the container is removed (inspect answers 404)
  bool running = false;
  bool restarting = false;
  int restart_count = 0;
  std::string started_at;  // State.StartedAt
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;  // State.Error
};

// From a `docker inspect` answer; kProtocol when it is not one.
common::Result<ContainerObservation> observation_from_inspect(const nlohmann::json& inspect);

enum class Verdict { kPending, kPassed, kFailed };

struct ProbeVerdict {
  Verdict state = Verdict::kPending;
  // For the operator: why it failed ("container exited with code 1 during the gate"), or what passed.
  std::string reason;

  [[nodiscard]] bool pending() const { return state == Verdict::kPending; }
  [[nodiscard]] bool passed() const { return state == Verdict::kPassed; }
  [[nodiscard]] bool failed() const { return state == Verdict::kFailed; }
};

enum class GatePhase { kGate, kMonitor, kDone };

// How far the probes have come, for the operator ("3 of 10 probes"): `needed` is the passing probes the
// gate and the monitor window take at their cadence, the first pass plus the monitor window's probes;
// once in the monitor window it is recounted from the probes that still fit in it. None for kRunning.
struct ProbeCount {
  int run = 0;
  int passed = 0;
  int needed = 0;
};

class GateTracker {
 public:
  // `start` is when the container was started (the gate's clock starts there); `monitor` is berth.monitor.
  GateTracker(ProbeSpec probe, std::chrono::milliseconds monitor, TimePoint start);

  // One step at `now`: what Docker says about the container (nullopt when the inspect failed), and the
  // result of a probe finished just now (nullopt when none ran). The first observation is the baseline
  // for restarts. Once passed or failed, the verdict stays.
  ProbeVerdict tick(TimePoint now, const std::optional<ContainerObservation>& container,
                    const std::optional<ProbeResult>& probe);

  // Whether a probe is due at `now` (never for kRunning, never once decided).
  [[nodiscard]] bool probe_due(TimePoint now) const;
  // When the next tick should happen: the next probe, the next inspect, or the end of the phase.
  [[nodiscard]] TimePoint next_tick(TimePoint now) const;

  [[nodiscard]] GatePhase phase() const { return phase_; }
  [[nodiscard]] const ProbeVerdict& verdict() const { return verdict_; }
  [[nodiscard]] TimePoint gate_deadline() const { return deadline_; }
  // When the first probe passed (the end of the gate), if it did.
  [[nodiscard]] std::optional<TimePoint> gate_passed_at() const { return gate_passed_at_; }
  [[nodiscard]] const ProbeSpec& probe() const { return probe_; }
  [[nodiscard]] ProbeCount probe_count() const;

 private:
  ProbeVerdict fail(std::string reason);
  ProbeVerdict pass(std::string reason);
  [[nodiscard]] std::optional<std::string> container_problem(const ContainerObservation& c) const;
  void enter_monitor(TimePoint now, std::string what_passed);
  void record_gate_probe(TimePoint now, const ProbeResult& probe);
  void record_monitor_probe(const ProbeResult& probe);
  [[nodiscard]] std::string phase_name() const;
  [[nodiscard]] std::string deadline_reason() const;
  [[nodiscard]] std::string monitor_failure_reason(TimePoint now) const;

  ProbeSpec probe_;
  std::chrono::milliseconds monitor_;
  TimePoint start_;
  TimePoint deadline_;
  GatePhase phase_ = GatePhase::kGate;
  ProbeVerdict verdict_;
  std::optional<ContainerObservation> baseline_;
  TimePoint last_observed_;
  TimePoint next_probe_at_;
  TimePoint monitor_end_;
  std::optional<TimePoint> gate_passed_at_;
  std::string passed_what_;
  int attempts_ = 0;
  int probes_run_ = 0;
  int probes_passed_ = 0;
  int failures_after_start_ = 0;
  std::optional<ProbeResult> last_failure_;
  int consecutive_ = 0;
  bool consecutive_same_ = true;
};

}  // namespace berth::health
