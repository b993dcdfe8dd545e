#pragma once

// How berth judges whether a container is healthy (CONTRACT sections 4 and 5): the probe kinds, their
// ECS timing, and the rule that picks one for a container. Pure: no I/O, no clock.

#include "common/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::health {

inline constexpr std::string_view kLabelProbe = "berth.probe";
inline constexpr std::string_view kLabelProbeExpect = "berth.probe.expect";

enum class ProbeKind {
  kHttp,          // host-side GET http://host:port/path; healthy when the status is in the accepted range
  kHttps,         // the same over TLS, certificate not verified (the service's own, often self-signed)
  kTcp,           // host-side TCP connect; healthy when the connection is accepted
  kDockerHealth,  // the container's own Docker HEALTHCHECK status (healthy / starting / unhealthy)
  kExec,          // an ECS healthCheck command run by berth through docker exec; healthy on exit code 0
  kRunning,       // no probe: the container only has to keep running through the monitor window
};

std::string_view to_string(ProbeKind kind);

// Accepted HTTP status codes, both ends included (berth.probe.expect: "200-399", "204").
struct StatusRange {
  int low = 200;
  int high = 399;
  [[nodiscard]] bool contains(int status) const { return status >= low && status <= high; }
  [[nodiscard]] std::string to_string() const;  // "200-399", "204"
  friend bool operator==(const StatusRange&, const StatusRange&) = default;
};

// ECS healthCheck timing with ECS defaults. ECS counts in whole seconds; milliseconds here so that tests
// and Docker health checks (nanoseconds) fit too.
struct ProbeTiming {
  std::chrono::milliseconds interval{std::chrono::seconds(30)};
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
  int retries = 3;
  std::chrono::milliseconds start_period{0};

  // The ECS window for a first pass: start_period + retries x interval (CONTRACT 5.3). The gate uses it
  // for the probes berth runs itself; health::gate_window() widens it for Docker's own health check.
  [[nodiscard]] std::chrono::milliseconds ecs_window() const { return start_period + retries * interval; }
  friend bool operator==(const ProbeTiming&, const ProbeTiming&) = default;
};

// The ranges ECS accepts for a container's healthCheck, in seconds.
inline constexpr int kEcsIntervalMin = 5;
inline constexpr int kEcsIntervalMax = 300;
inline constexpr int kEcsTimeoutMin = 2;
inline constexpr int kEcsTimeoutMax = 60;
inline constexpr int kEcsRetriesMin = 1;
inline constexpr int kEcsRetriesMax = 10;
inline constexpr int kEcsStartPeriodMin = 0;
inline constexpr int kEcsStartPeriodMax = 300;

struct ProbeSpec {
  ProbeKind kind = ProbeKind::kRunning;
  std::string host = "127.0.0.1";  // http, https, tcp: the label's host, 127.0.0.1 when it names none
  std::uint16_t port = 0;          // http, https, tcp
  std::string path = "/";          // http, https: path and query as written in the label
  StatusRange expect;              // http, https
  // exec: the command as ECS and Docker write it, ["CMD", "prog", "arg"...] or ["CMD-SHELL", "text"].
  std::vector<std::string> command;
  ProbeTiming timing;

  // For reasons and logs: "http://127.0.0.1:8080/health", "tcp://127.0.0.1:5432",
  // "exec [CMD-SHELL wget -q -O- http://localhost/health]", "Docker health check", "running".
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const ProbeSpec&, const ProbeSpec&) = default;
};

// What docker exec runs for an exec probe: ["CMD", args...] -> args; ["CMD-SHELL", text...] ->
// ["sh", "-c", text] (several strings after CMD-SHELL are joined with spaces, as Docker does).
std::vector<std::string> exec_argv(const ProbeSpec& spec);

// berth.probe.expect: "" (the default 200-399), "204", "200-299". Codes 100-599.
common::Result<StatusRange> parse_status_expect(std::string_view text);

// berth.probe: "http://[host]:PORT/PATH", "https://[host]:PORT/PATH", "tcp://[host]:PORT" or "none"
// (kind kRunning). An empty host means 127.0.0.1; an IPv6 host is written in brackets. `expect` is
// berth.probe.expect ("" for the default) and is read only for http and https. Timing is left at the
// ECS defaults; choose_probe fills it in. Errors are kInvalidArgument and name the bad part.
common::Result<ProbeSpec> parse_probe_label(std::string_view value, std::string_view expect);

// An ECS container definition's healthCheck object:
// {"command": ["CMD-SHELL", "..."], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}.
// Missing numbers take the ECS defaults; present ones must be whole seconds within the ECS ranges.
common::Result<ProbeSpec> probe_from_ecs_healthcheck(const nlohmann::json& health_check);

// Config.Healthcheck of `docker inspect` (durations in nanoseconds, zero meaning Docker's default: 30 s
// interval, 30 s timeout, 3 retries, no start period). nullopt when there is none or it is ["NONE"].
common::Result<std::optional<ProbeSpec>> probe_from_docker_healthcheck(const nlohmann::json& healthcheck);

// Everything choose_probe looks at.
struct ProbeSources {
  std::optional<std::string> probe_label;  // berth.probe, when set
  std::string expect_label;                // berth.probe.expect, "" when not set
  // The container definition's healthCheck, for services from a task definition file.
  std::optional<nlohmann::json> ecs_health_check;
  // Config.Healthcheck of the container (or the one berth is about to create), when it has one.
  std::optional<nlohmann::json> docker_healthcheck;
};

// The labels and Config.Healthcheck of a `docker inspect` answer (for hand-started containers).
ProbeSources sources_from_inspect(const nlohmann::json& inspect);

// CONTRACT section 4, the berth.probe default rule:
//  1. berth.probe when set ("none" gives kRunning). Its timing comes from the ECS healthCheck when there
//     is one, else from the Docker health check, else the ECS defaults.
//  2. else, with an ECS healthCheck: kExec, its command run by berth through docker exec. berth runs it
//     itself rather than waiting on Docker's health status because Docker only runs the check every
//     `interval` (30 s by default): a healthy container would sit in "starting" for up to that long, and
//     the old service stays down meanwhile. Running the same command on the gate's short cadence finds a
//     healthy container within about half a second, with the same timeout, retries and start period,
//     and gives berth the exit code and output for the reason.
//  3. else, with a Docker health check (image HEALTHCHECK or --health-cmd): kDockerHealth, so that the
//     user's own check and Docker's own verdict decide, with that check's timing.
//  4. else kRunning: the container has to keep running through berth.monitor.
// A bad label or healthCheck is an error (kInvalidArgument) rather than a silent fallback.
common::Result<ProbeSpec> choose_probe(const ProbeSources& sources);

// "36s", "1.5s", "250ms", "2m" for reasons and logs.
std::string format_seconds(std::chrono::milliseconds value);

}  // namespace berth::health
