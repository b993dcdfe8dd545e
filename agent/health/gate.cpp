#include "health/gate.hpp"

#include "common/json_member.hpp"

#include "common/text.hpp"

#include <algorithm>

namespace berth::health {

using common::ErrorKind;
using nlohmann::json;

namespace {

std::string times(int n) {
  static constexpr const char* kWords[] = {"",           "once",      "twice",       "three times", "four times",
                                           "five times", "six times", "seven times", "eight times", "nine times",
                                           "ten times"};
  if (n >= 1 && n <= 10) {
    return kWords[n];
  }
  return std::to_string(n) + " times";
}

// The first line of probe output, shortened for a one-line reason.
std::string output_excerpt(const std::string& output) {
  constexpr std::size_t kMax = 200;
  std::string line = output.substr(0, output.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  if (line.size() > kMax) {
    line = std::string(common::cut_text(line, kMax)) + "...";
  }
  return line;
}

std::string with_output(std::string text, const ProbeResult& r) {
  const std::string excerpt = output_excerpt(r.output);
  if (!excerpt.empty()) {
    text += " (output: \"" + excerpt + "\")";
  }
  return text;
}

}  // namespace

std::chrono::milliseconds gate_window(const ProbeSpec& spec) {
  const auto& t = spec.timing;
  if (spec.kind == ProbeKind::kDockerHealth) {
    return t.start_period + (t.retries + 1) * (t.interval + t.timeout);
  }
  return t.ecs_window();
}

std::chrono::milliseconds gate_cadence(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kHttp:
    case ProbeKind::kHttps:
    case ProbeKind::kTcp: return kHostProbeCadence;
    case ProbeKind::kDockerHealth:
    case ProbeKind::kExec:
    case ProbeKind::kRunning: return kContainerProbeCadence;
  }
  return kContainerProbeCadence;
}

std::chrono::milliseconds monitor_cadence(const ProbeSpec& spec, std::chrono::milliseconds monitor) {
  const auto fit = monitor / (std::max(spec.timing.retries, 1) + 1);
  return std::max(gate_cadence(spec.kind), std::min(spec.timing.interval, fit));
}

common::Result<ContainerObservation> observation_from_inspect(const json& inspect) {
  if (!inspect.is_object()) {
    return common::make_error(ErrorKind::kProtocol, "container inspect is not an object");
  }
  ContainerObservation c;
  if (const auto rc = inspect.find("RestartCount"); rc != inspect.end() && rc->is_number_integer()) {
    c.restart_count = rc->get<int>();
  }
  const auto st = inspect.find("State");
  if (st == inspect.end() || !st->is_object()) {
    return common::make_error(ErrorKind::kProtocol, "container inspect has no State");
  }
  const auto flag = [&](const char* key) {
    const auto it = st->find(key);
    return it != st->end() && it->is_boolean() && it->get<bool>();
  };
  c.running = flag("Running");
  c.restarting = flag("Restarting");
  c.oom_killed = flag("OOMKilled");
  if (const auto ec = st->find("ExitCode"); ec != st->end() && ec->is_number_integer()) {
    c.exit_code = ec->get<int>();
  }
  c.started_at = common::string_member(*st, "StartedAt");
  c.error = common::printable_text(common::string_member(*st, "Error"));
  return c;
}

GateTracker::GateTracker(ProbeSpec probe, std::chrono::milliseconds monitor, TimePoint start)
    : probe_(std::move(probe)),
      monitor_(monitor),
      start_(start),
      deadline_(start + gate_window(probe_)),
      last_observed_(start),
      next_probe_at_(start),
      monitor_end_(start) {}

ProbeVerdict GateTracker::fail(std::string reason) {
  phase_ = GatePhase::kDone;
  verdict_ = ProbeVerdict{Verdict::kFailed, std::move(reason)};
  return verdict_;
}

ProbeVerdict GateTracker::pass(std::string reason) {
  phase_ = GatePhase::kDone;
  verdict_ = ProbeVerdict{Verdict::kPassed, std::move(reason)};
  return verdict_;
}

std::string GateTracker::phase_name() const {
  return phase_ == GatePhase::kGate ? "during the gate" : "during the monitor window";
}

std::optional<std::string> GateTracker::container_problem(const ContainerObservation& c) const {
  if (!c.exists) {
    return "container was removed " + phase_name();
  }
  if (c.restarting || (baseline_ && c.restart_count > baseline_->restart_count)) {
    std::string why = "container restarted " + phase_name();
    if (baseline_ && c.restart_count > baseline_->restart_count) {
      why += " (restart count " + std::to_string(baseline_->restart_count) + " -> " + std::to_string(c.restart_count) +
             ")";
    }
    if (!c.running && c.exit_code != 0) {
      why += "; it exited with code " + std::to_string(c.exit_code);
    }
    return why;
  }
  if (!c.running) {
    std::string why = "container exited with code " + std::to_string(c.exit_code) + " " + phase_name();
    if (c.oom_killed) {
      why += " (killed: out of memory)";
    }
    if (!c.error.empty()) {
      why += ": " + c.error;
    }
    return why;
  }
  if (baseline_ && !baseline_->started_at.empty() && c.started_at != baseline_->started_at) {
    return "container restarted " + phase_name() + " (started at " + c.started_at + ", before at " +
           baseline_->started_at + ")";
  }
  return std::nullopt;
}

void GateTracker::enter_monitor(TimePoint now, std::string what_passed) {
  gate_passed_at_ = now;
  passed_what_ = std::move(what_passed);
  phase_ = GatePhase::kMonitor;
  monitor_end_ = now + monitor_;
  consecutive_ = 0;
  last_failure_.reset();
  next_probe_at_ = now + monitor_cadence(probe_, monitor_);
}

void GateTracker::record_gate_probe(TimePoint now, const ProbeResult& probe) {
  ++attempts_;
  next_probe_at_ = now + gate_cadence(probe_.kind);
  switch (probe.status) {
    case ProbeStatus::kPass:
      enter_monitor(now, "probe " + probe_.describe() + " " + probe.detail + " after " +
                             format_seconds(std::chrono::duration_cast<std::chrono::milliseconds>(now - start_)));
      return;
    case ProbeStatus::kFail:
      if (now >= start_ + probe_.timing.start_period) {
        ++failures_after_start_;
      }
      last_failure_ = probe;
      return;
    case ProbeStatus::kStarting:
    case ProbeStatus::kUnhealthy: last_failure_ = probe; return;
  }
}

void GateTracker::record_monitor_probe(const ProbeResult& probe) {
  switch (probe.status) {
    case ProbeStatus::kPass: consecutive_ = 0; return;
    case ProbeStatus::kFail:
      consecutive_same_ =
          consecutive_ == 0 || (last_failure_ && last_failure_->detail == probe.detail && consecutive_same_);
      ++consecutive_;
      last_failure_ = probe;
      return;
    case ProbeStatus::kStarting:
    case ProbeStatus::kUnhealthy: last_failure_ = probe; return;
  }
}

std::string GateTracker::deadline_reason() const {
  const auto& t = probe_.timing;
  std::string why = "no successful probe within " + format_seconds(gate_window(probe_)) + " (";
  if (t.start_period.count() > 0) {
    why += "start period " + format_seconds(t.start_period) + " + ";
  }
  if (probe_.kind == ProbeKind::kDockerHealth) {
    why += std::to_string(t.retries + 1) + " × (interval " + format_seconds(t.interval) + " + timeout " +
           format_seconds(t.timeout) + "): Docker never reported healthy or unhealthy";
  } else {
    why += std::to_string(t.retries) + " × " + format_seconds(t.interval);
  }
  why += ")";
  if (!last_failure_) {
    return why + "; no probe ran";
  }
  const auto plural = [](int n, const char* one) { return std::to_string(n) + " " + one + (n == 1 ? "" : "s"); };
  if (probe_.kind == ProbeKind::kDockerHealth) {
    why += "; " + plural(attempts_, "look") + " at the status";
  } else {
    why += "; " + plural(failures_after_start_, "failed attempt");
    if (t.start_period.count() > 0) {
      why += " after the start period";
    }
  }
  return with_output(why + ", the last: probe " + probe_.describe() + " " + last_failure_->detail, *last_failure_);
}

std::string GateTracker::monitor_failure_reason(TimePoint now) const {
  const std::string probe = "probe " + probe_.describe();
  const std::string repeated = consecutive_ == 1 ? "" : " " + times(consecutive_) + " in a row";
  std::string why = consecutive_same_ ? probe + " " + last_failure_->detail + repeated
                                      : probe + " failed" + repeated + " (last: " + last_failure_->detail + ")";
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - *gate_passed_at_);
  return why + " during the monitor window, " + format_seconds(since) + " after the gate passed";
}

ProbeVerdict GateTracker::tick(TimePoint now, const std::optional<ContainerObservation>& container,
                               const std::optional<ProbeResult>& probe) {
  if (phase_ == GatePhase::kDone) {
    return verdict_;
  }
  if (container) {
    if (auto problem = container_problem(*container)) {
      return fail(*problem);
    }
    last_observed_ = now;
    if (!baseline_) {
      baseline_ = *container;
    }
  } else if (now - last_observed_ >= kObservationGrace) {
    return fail("the Docker Engine answered no inspect of the container for " + format_seconds(kObservationGrace) +
                " " + phase_name());
  }
  if (probe_.kind == ProbeKind::kRunning && phase_ == GatePhase::kGate && container) {
    enter_monitor(now, "container running after " +
                           format_seconds(std::chrono::duration_cast<std::chrono::milliseconds>(now - start_)));
  }
  if (probe) {
    if (probe->status == ProbeStatus::kUnhealthy) {
      return fail(with_output("Docker health check reports unhealthy " + phase_name(), *probe));
    }
    ++probes_run_;
    probes_passed_ += probe->ok() ? 1 : 0;
    if (phase_ == GatePhase::kGate) {
      record_gate_probe(now, *probe);
    } else {
      next_probe_at_ = now + monitor_cadence(probe_, monitor_);
      record_monitor_probe(*probe);
      if (consecutive_ >= std::max(probe_.timing.retries, 1)) {
        return fail(with_output(monitor_failure_reason(now), *last_failure_));
      }
    }
  }
  if (phase_ == GatePhase::kGate && now >= deadline_) {
    return fail(deadline_reason());
  }
  // A window that ends in the middle of a run of failures waits for the next probes to settle it: a
  // pass ends it well, `retries` failures in a row fail it (at most retries - 1 more probes).
  if (phase_ == GatePhase::kMonitor && now >= monitor_end_ && container && consecutive_ == 0) {
    if (monitor_.count() == 0) {
      return pass(passed_what_);
    }
    const std::string kept = probe_.kind == ProbeKind::kRunning ? "kept running" : "stayed healthy";
    return pass(passed_what_ + "; " + kept + " for the monitor window of " + format_seconds(monitor_));
  }
  return verdict_;
}

ProbeCount GateTracker::probe_count() const {
  if (probe_.kind == ProbeKind::kRunning) {
    return {};
  }
  const auto cadence = monitor_cadence(probe_, monitor_);
  // The probes at `from`, from + cadence, ... strictly before `end` (the window's end settles it).
  const auto fitting = [&](std::chrono::nanoseconds from_end) {
    return from_end.count() > 0 ? 1 + static_cast<int>((from_end - std::chrono::nanoseconds(1)) / cadence) : 0;
  };
  ProbeCount c{probes_run_, probes_passed_, probes_passed_};
  if (phase_ == GatePhase::kGate) {
    c.needed = 1 + fitting(monitor_ - cadence);
  } else if (phase_ == GatePhase::kMonitor) {
    c.needed = probes_passed_ + fitting(monitor_end_ - next_probe_at_);
  }
  return c;
}

bool GateTracker::probe_due(TimePoint now) const {
  return phase_ != GatePhase::kDone && probe_.kind != ProbeKind::kRunning && now >= next_probe_at_;
}

TimePoint GateTracker::next_tick(TimePoint now) const {
  TimePoint next = now + kObserveCadence;
  if (phase_ == GatePhase::kDone) {
    return next;
  }
  if (probe_.kind != ProbeKind::kRunning) {
    next = std::min(next, next_probe_at_);
  }
  const TimePoint phase_end = phase_ == GatePhase::kGate ? deadline_ : monitor_end_;
  if (phase_end > now) {
    next = std::min(next, phase_end);
  }
  return std::max(now, next);
}

}  // namespace berth::health
