#pragma once

// Running probes and the whole gate against a real container (the I/O side of health/gate.hpp).

#include "docker/client.hpp"
#include "health/gate.hpp"
#include "health/probe.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace berth::health {

// Log lines of a failed container kept in a GateOutcome.
inline constexpr int kFailureLogLines = 20;
// At most this many bytes of them (a line may be long).
inline constexpr std::size_t kFailureLogBytes = 4096;

struct GateOutcome {
  bool passed = false;
  std::string reason;                    // ProbeVerdict::reason
  std::chrono::milliseconds duration{};  // from the call to the verdict
  // From the call to the first passing probe (the end of the gate), when it passed.
  std::optional<std::chrono::milliseconds> time_to_pass;
  // On failure: the exit code when the container is no longer running, and its last log lines.
  std::optional<int> exit_code;
  std::string last_logs;
};

// One probe attempt, bounded by the probe's timeout (exec and inspect also by the Docker client's own
// deadlines). Never fails: every problem is a ProbeResult with a detail.
//  http/https  GET host:port/path on a fresh connection; kPass when the status is in `expect`.
//  tcp         a connect; kPass when accepted.
//  exec        the command through docker exec; kPass on exit code 0; output kept (truncated).
//  docker      the container's State.Health: healthy kPass, starting kStarting, unhealthy kUnhealthy.
//  running     an inspect; kPass while the container runs.
boost::asio::awaitable<ProbeResult> run_probe(docker::DockerClient& docker, const ProbeSpec& spec,
                                              const std::string& container_id);

// Drives a GateTracker through the gate and the monitor window, starting now: call it right after the
// container is started. Inspects every kObserveCadence, probes at the tracker's cadence, and waits on a
// steady_timer in between; it returns within the gate window plus `monitor` plus one probe timeout (a
// silent Docker Engine fails it after kObservationGrace). `on_probe` hears the count after each probe
// that leaves the verdict pending.
using ProbeCountFn = std::function<void(const ProbeCount&)>;
boost::asio::awaitable<GateOutcome> run_gate(docker::DockerClient& docker, const ProbeSpec& spec,
                                             const std::string& container_id, std::chrono::milliseconds monitor,
                                             ProbeCountFn on_probe = {});

}  // namespace berth::health
