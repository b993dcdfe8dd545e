// GateTracker: the gate and the monitor window with synthetic times.
#include "health/gate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::health {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const TimePoint kT0 = TimePoint{} + 1000h;

TimePoint at(std::chrono::milliseconds offset) { return kT0 + offset; }

ProbeSpec http_probe(std::chrono::milliseconds interval, int retries, std::chrono::milliseconds start_period) {
  ProbeSpec p;
  p.kind = ProbeKind::kHttp;
  p.port = 8080;
  p.path = "/health";
  p.timing.interval = interval;
  p.timing.retries = retries;
  p.timing.start_period = start_period;
  return p;
}

ProbeSpec of_kind(ProbeKind kind) {
  ProbeSpec p = http_probe(10s, 3, 0s);
  p.kind = kind;
  if (kind == ProbeKind::kExec) {
    p.command = {"CMD-SHELL", "true"};
  }
  return p;
}

ContainerObservation running(int restart_count = 0, std::string started_at = "2024-05-01T10:00:00.1Z") {
  ContainerObservation c;
  c.running = true;
  c.restart_count = restart_count;
  c.started_at = std::move(started_at);
  return c;
}

ContainerObservation exited(int code) {
  ContainerObservation c = running();
  c.running = false;
  c.exit_code = code;
  return c;
}

ProbeResult pass(std::string detail = "answered 200") { return ProbeResult{ProbeStatus::kPass, std::move(detail), ""}; }
ProbeResult failure(std::string detail = "answered 503", std::string output = "") {
  return ProbeResult{ProbeStatus::kFail, std::move(detail), std::move(output)};
}

// Ticks every `step` from `from` to `to` (exclusive) with a running container and failing probes;
// expects every verdict to be pending.
void fail_until(GateTracker& g, std::chrono::milliseconds from, std::chrono::milliseconds to,
                std::chrono::milliseconds step, const ProbeResult& r = failure()) {
  for (auto t = from; t < to; t += step) {
    ASSERT_TRUE(g.tick(at(t), running(), r).pending()) << "at " << t.count() << " ms: " << g.verdict().reason;
  }
}

TEST(GateTracker, APassEndsTheGateAndTheMonitorWindowPasses) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  EXPECT_EQ(g.phase(), GatePhase::kGate);
  EXPECT_TRUE(g.tick(at(0ms), running(), failure("could not connect (Connection refused)")).pending());
  EXPECT_TRUE(g.tick(at(1200ms), running(), pass()).pending());
  EXPECT_EQ(g.phase(), GatePhase::kMonitor);
  ASSERT_TRUE(g.gate_passed_at());
  EXPECT_EQ(*g.gate_passed_at(), at(1200ms));
  EXPECT_TRUE(g.tick(at(5s), running(), pass()).pending());
  EXPECT_TRUE(g.tick(at(11199ms), running(), std::nullopt).pending()) << "the window is 10s after the pass";
  const auto v = g.tick(at(11200ms), running(), std::nullopt);
  ASSERT_TRUE(v.passed()) << v.reason;
  EXPECT_EQ(v.reason,
            "probe http://127.0.0.1:8080/health answered 200 after 1.2s; stayed healthy for the monitor window of 10s");
  EXPECT_EQ(g.phase(), GatePhase::kDone);
}

TEST(GateTracker, CountsTheProbesPassedOfThoseTheGateAndTheMonitorWindowTake) {
  // Monitor 10 s, interval 10 s, 3 retries: the window probes every 2.5 s (at 2.5, 5 and 7.5 s after the
  // pass; the end of the window settles it), so the first pass and 3 more.
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  const auto count = [&] {
    const auto c = g.probe_count();
    return std::vector<int>{c.run, c.passed, c.needed};
  };
  EXPECT_EQ(count(), (std::vector<int>{0, 0, 4}));
  ASSERT_TRUE(g.tick(at(0ms), running(), failure()).pending());
  ASSERT_TRUE(g.tick(at(250ms), running(), failure()).pending());
  EXPECT_EQ(count(), (std::vector<int>{2, 0, 4}));
  ASSERT_TRUE(g.tick(at(500ms), running(), pass()).pending());
  EXPECT_EQ(count(), (std::vector<int>{3, 1, 4}));
  // Each probe comes a cadence after the last one ended: the count is made again from those that still fit.
  ASSERT_TRUE(g.tick(at(3100ms), running(), pass()).pending());
  EXPECT_EQ(count(), (std::vector<int>{4, 2, 4}));
  ASSERT_TRUE(g.tick(at(5700ms), running(), pass()).pending());
  EXPECT_EQ(count(), (std::vector<int>{5, 3, 4}));
  ASSERT_TRUE(g.tick(at(8300ms), running(), pass()).pending());
  EXPECT_EQ(count(), (std::vector<int>{6, 4, 4}));
  ASSERT_TRUE(g.tick(at(10500ms), running(), std::nullopt).passed());

  GateTracker no_monitor(http_probe(10s, 3, 0s), 0s, kT0);
  EXPECT_EQ(no_monitor.probe_count().needed, 1);
  GateTracker running_only(of_kind(ProbeKind::kRunning), 10s, kT0);
  EXPECT_EQ(running_only.probe_count().needed, 0) << "no probe to count";
}

TEST(GateTracker, NoPassWithinTheWindowFailsAtTheDeadlineWithTheReason) {
  GateTracker g(http_probe(10s, 3, 6s), 10s, kT0);
  EXPECT_EQ(g.gate_deadline(), at(36s));
  fail_until(g, 0ms, 36s, 250ms);
  const auto v = g.tick(at(36s), running(), failure());
  ASSERT_TRUE(v.failed());
  // 145 attempts at 0, 0.25, ..., 36 s; those at 6 s and later count: 121.
  EXPECT_EQ(v.reason,
            "no successful probe within 36s (start period 6s + 3 × 10s); 121 failed attempts after the start period, "
            "the last: probe http://127.0.0.1:8080/health answered 503");
}

TEST(GateTracker, TheDeadlineFailsEvenWithoutAProbeInThatTick) {
  GateTracker g(http_probe(1s, 2, 0s), 0s, kT0);
  fail_until(g, 0ms, 2s, 500ms, failure("did not answer within 5s"));
  const auto v = g.tick(at(2s), running(), std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason,
            "no successful probe within 2s (2 × 1s); 4 failed attempts, the last: probe "
            "http://127.0.0.1:8080/health did not answer within 5s");
}

TEST(GateTracker, APassAtTheDeadlineStillCounts) {
  GateTracker g(http_probe(1s, 2, 0s), 0s, kT0);
  fail_until(g, 0ms, 2s, 250ms);
  EXPECT_TRUE(g.tick(at(2s), running(), pass()).passed()) << g.verdict().reason;
}

TEST(GateTracker, APassDuringTheStartPeriodEndsTheGate) {
  GateTracker g(http_probe(10s, 3, 60s), 5s, kT0);
  EXPECT_TRUE(g.tick(at(1s), running(), pass()).pending());
  EXPECT_EQ(g.phase(), GatePhase::kMonitor);
  // Once a check has passed, failures count even inside the start period (ECS).
  EXPECT_TRUE(g.tick(at(2s), running(), failure()).pending());
  EXPECT_TRUE(g.tick(at(3s), running(), failure()).pending());
  const auto v = g.tick(at(4s), running(), failure());
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason,
            "probe http://127.0.0.1:8080/health answered 503 three times in a row during the monitor window, 3s after "
            "the gate passed");
}

TEST(GateTracker, NoReasonWithoutAnyProbe) {
  GateTracker g(http_probe(1s, 1, 0s), 0s, kT0);
  const auto v = g.tick(at(1s), std::nullopt, std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_THAT(v.reason, HasSubstr("; no probe ran"));
}

TEST(GateTracker, ExecFailureReasonCarriesTheOutput) {
  ProbeSpec spec = of_kind(ProbeKind::kExec);
  spec.timing = ProbeTiming{1s, 1s, 1, 0s};
  GateTracker g(spec, 0s, kT0);
  EXPECT_TRUE(g.tick(at(0ms), running(), failure("exited with code 1", "wget: server returned error\nmore")).pending());
  const auto v = g.tick(at(1s), running(), std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason,
            "no successful probe within 1s (1 × 1s); 1 failed attempt, the last: probe exec [CMD-SHELL true] exited "
            "with code 1 (output: \"wget: server returned error\")");
}

TEST(GateTracker, ALongOutputIsCutBetweenCharacters) {
  ProbeSpec spec = of_kind(ProbeKind::kExec);
  spec.timing = ProbeTiming{1s, 1s, 1, 0s};
  GateTracker g(spec, 0s, kT0);
  // 199 bytes, then a two-byte character across the 200-byte limit of the excerpt.
  const std::string output = std::string(199, 'a') + "\xC3\xA9" + std::string(50, 'b');
  EXPECT_TRUE(g.tick(at(0ms), running(), failure("exited with code 1", output)).pending());
  const auto v = g.tick(at(1s), running(), std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_THAT(v.reason, HasSubstr("(output: \"" + std::string(199, 'a') + "...\")"));
  EXPECT_NO_THROW((void)json(v.reason).dump());
}

TEST(GateTracker, MonitorFailsOnRetriesConsecutiveFailuresOnly) {
  GateTracker g(http_probe(10s, 3, 0s), 60s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), pass()).pending());
  for (auto t : {1s, 2s}) {
    EXPECT_TRUE(g.tick(at(t), running(), failure()).pending());
  }
  EXPECT_TRUE(g.tick(at(3s), running(), pass()).pending()) << "a pass resets the count";
  for (auto t : {4s, 5s}) {
    EXPECT_TRUE(g.tick(at(t), running(), failure()).pending());
  }
  EXPECT_TRUE(g.tick(at(5500ms), running(), std::nullopt).pending()) << "no probe: no change";
  const auto v = g.tick(at(6s), running(), failure("could not connect (Connection refused)"));
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason,
            "probe http://127.0.0.1:8080/health failed three times in a row (last: could not connect (Connection "
            "refused)) during the monitor window, 6s after the gate passed");
}

TEST(GateTracker, AWindowEndingInARunOfFailuresWaitsForTheNextProbes) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), pass()).pending());
  EXPECT_TRUE(g.tick(at(7500ms), running(), failure()).pending());
  EXPECT_TRUE(g.tick(at(10s), running(), failure()).pending()) << "two failures of three at the end";
  EXPECT_TRUE(g.tick(at(10500ms), running(), std::nullopt).pending());
  EXPECT_EQ(g.next_tick(at(10500ms)), at(11s)) << "no busy loop once the window has ended";
  EXPECT_TRUE(g.probe_due(at(12500ms)));
  const auto v = g.tick(at(12500ms), running(), pass());
  ASSERT_TRUE(v.passed()) << v.reason;

  GateTracker h(http_probe(10s, 3, 0s), 10s, kT0);
  ASSERT_TRUE(h.tick(at(0ms), running(), pass()).pending());
  EXPECT_TRUE(h.tick(at(7500ms), running(), failure()).pending());
  EXPECT_TRUE(h.tick(at(10s), running(), failure()).pending());
  EXPECT_TRUE(h.tick(at(12500ms), running(), failure()).failed());
}

TEST(GateTracker, OneRetryMeansOneFailure) {
  GateTracker g(http_probe(10s, 1, 0s), 60s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), pass()).pending());
  const auto v = g.tick(at(1s), running(), failure());
  ASSERT_TRUE(v.failed());
  EXPECT_THAT(v.reason, StartsWith("probe http://127.0.0.1:8080/health answered 503 during the monitor window"));
}

TEST(GateTracker, AnExitFailsAtOnceInTheGate) {
  GateTracker g(http_probe(10s, 3, 60s), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), failure()).pending());
  const auto v = g.tick(at(500ms), exited(1), std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "container exited with code 1 during the gate");
}

TEST(GateTracker, AnExitFailsAtOnceInTheMonitorWindowEvenWithAPassingProbe) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), pass()).pending());
  const auto v = g.tick(at(2s), exited(137), pass());
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "container exited with code 137 during the monitor window");
}

TEST(GateTracker, OutOfMemoryAndDockerErrorAreNamed) {
  GateTracker g(of_kind(ProbeKind::kRunning), 10s, kT0);
  auto c = exited(137);
  c.oom_killed = true;
  c.error = "something Docker said";
  const auto v = g.tick(at(0ms), c, std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "container exited with code 137 during the gate (killed: out of memory): something Docker said");
}

TEST(GateTracker, AGrowingRestartCountFails) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(2), failure()).pending()) << "the first observation is the baseline";
  const auto v = g.tick(at(500ms), running(3, "2024-05-01T10:00:01Z"), std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "container restarted during the gate (restart count 2 -> 3)");
}

TEST(GateTracker, AChangedStartTimeFails) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(0, "A"), pass()).pending());
  const auto v = g.tick(at(500ms), running(0, "B"), std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "container restarted during the monitor window (started at B, before at A)");
}

TEST(GateTracker, RestartingFails) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), std::nullopt).pending());
  auto c = exited(2);
  c.restarting = true;
  const auto v = g.tick(at(500ms), c, std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "container restarted during the gate; it exited with code 2");
}

TEST(GateTracker, ARemovedContainerFails) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  ContainerObservation gone;
  gone.exists = false;
  const auto v = g.tick(at(0ms), gone, std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "container was removed during the gate");
}

TEST(GateTracker, ASilentDockerEngineFailsAfterTheGrace) {
  GateTracker g(of_kind(ProbeKind::kRunning), 60s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), std::nullopt).pending());
  EXPECT_TRUE(g.tick(at(9s), std::nullopt, std::nullopt).pending());
  EXPECT_TRUE(g.tick(at(9500ms), running(), std::nullopt).pending()) << "an answer resets the grace";
  EXPECT_TRUE(g.tick(at(19s), std::nullopt, std::nullopt).pending());
  const auto v = g.tick(at(19500ms), std::nullopt, std::nullopt);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "the Docker Engine answered no inspect of the container for 10s during the monitor window");
}

TEST(GateTracker, TheMonitorWindowNeedsAnObservationAtItsEnd) {
  GateTracker g(of_kind(ProbeKind::kRunning), 2s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), std::nullopt).pending());
  EXPECT_TRUE(g.tick(at(2s), std::nullopt, std::nullopt).pending());
  EXPECT_TRUE(g.tick(at(2500ms), running(), std::nullopt).passed());
}

TEST(GateTracker, RunningPassesTheGateAtOnceAndWatchesTheMonitorWindow) {
  GateTracker g(of_kind(ProbeKind::kRunning), 10s, kT0);
  EXPECT_FALSE(g.probe_due(at(0ms))) << "no probe to run";
  EXPECT_TRUE(g.tick(at(100ms), running(), std::nullopt).pending());
  EXPECT_EQ(g.phase(), GatePhase::kMonitor);
  for (auto t = 600ms; t < 10100ms; t += 500ms) {
    ASSERT_TRUE(g.tick(at(t), running(), std::nullopt).pending()) << t.count();
  }
  const auto v = g.tick(at(10100ms), running(), std::nullopt);
  ASSERT_TRUE(v.passed());
  EXPECT_EQ(v.reason, "container running after 100ms; kept running for the monitor window of 10s");
}

TEST(GateTracker, RunningWithNoMonitorWindowPassesAtOnce) {
  GateTracker g(of_kind(ProbeKind::kRunning), 0s, kT0);
  const auto v = g.tick(at(0ms), running(), std::nullopt);
  ASSERT_TRUE(v.passed());
  EXPECT_EQ(v.reason, "container running after 0s");
}

TEST(GateTracker, DockerHealthStartingIsNeitherPassNorFailure) {
  ProbeSpec spec = of_kind(ProbeKind::kDockerHealth);
  spec.timing = ProbeTiming{1s, 1s, 2, 0s};
  GateTracker g(spec, 0s, kT0);
  // Docker decides on its own schedule; berth waits for (retries + 1) checks of interval + timeout.
  EXPECT_EQ(gate_window(spec), 6s);
  EXPECT_EQ(g.gate_deadline(), at(6s));
  const ProbeResult starting{ProbeStatus::kStarting, "reports starting", ""};
  fail_until(g, 0ms, 6s, 500ms, starting);
  const auto v = g.tick(at(6s), running(), starting);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason,
            "no successful probe within 6s (3 × (interval 1s + timeout 1s): Docker never reported healthy or "
            "unhealthy); 13 looks at the status, the last: probe Docker health check reports starting");
}

TEST(GateTracker, DockerHealthUnhealthyFailsAtOnce) {
  ProbeSpec spec = of_kind(ProbeKind::kDockerHealth);
  GateTracker g(spec, 10s, kT0);
  const auto v = g.tick(at(0ms), running(), ProbeResult{ProbeStatus::kUnhealthy, "reports unhealthy", "exit 1\n"});
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "Docker health check reports unhealthy during the gate (output: \"exit 1\")");
}

TEST(GateTracker, DockerHealthHealthyPassesAndUnhealthyFailsTheMonitor) {
  GateTracker g(of_kind(ProbeKind::kDockerHealth), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), ProbeResult{ProbeStatus::kPass, "reports healthy", ""}).pending());
  EXPECT_EQ(g.phase(), GatePhase::kMonitor);
  const auto v = g.tick(at(3s), running(), ProbeResult{ProbeStatus::kUnhealthy, "reports unhealthy", ""});
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.reason, "Docker health check reports unhealthy during the monitor window");
}

TEST(GateTracker, TheVerdictStays) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), exited(3), std::nullopt).failed());
  const auto again = g.tick(at(1s), running(), pass());
  EXPECT_TRUE(again.failed());
  EXPECT_EQ(again.reason, "container exited with code 3 during the gate");
  EXPECT_FALSE(g.probe_due(at(2s)));
}

TEST(GateTracker, GateWindowByKind) {
  EXPECT_EQ(gate_window(http_probe(10s, 3, 6s)), 36s);
  ProbeSpec exec = of_kind(ProbeKind::kExec);
  exec.timing = ProbeTiming{5s, 2s, 2, 1s};
  EXPECT_EQ(gate_window(exec), 11s);
  ProbeSpec docker = exec;
  docker.kind = ProbeKind::kDockerHealth;
  EXPECT_EQ(gate_window(docker), 22s) << "1s + (2 + 1) x (5s + 2s)";
}

TEST(GateTracker, GateCadenceByKind) {
  EXPECT_EQ(gate_cadence(ProbeKind::kHttp), 250ms);
  EXPECT_EQ(gate_cadence(ProbeKind::kHttps), 250ms);
  EXPECT_EQ(gate_cadence(ProbeKind::kTcp), 250ms);
  EXPECT_EQ(gate_cadence(ProbeKind::kExec), 500ms);
  EXPECT_EQ(gate_cadence(ProbeKind::kDockerHealth), 500ms);
}

TEST(GateTracker, MonitorCadenceFitsTheRetriesInTheWindow) {
  EXPECT_EQ(monitor_cadence(http_probe(30s, 3, 0s), 10s), 2500ms);
  EXPECT_EQ(monitor_cadence(http_probe(30s, 3, 0s), 10min), 30s) << "never slower than the ECS interval";
  EXPECT_EQ(monitor_cadence(http_probe(30s, 3, 0s), 1s), 250ms) << "never faster than the gate";
  EXPECT_EQ(monitor_cadence(of_kind(ProbeKind::kExec), 1s), 500ms);
}

TEST(GateTracker, ProbesWaitTheCadenceBetweenThemselves) {
  GateTracker g(http_probe(10s, 3, 0s), 10s, kT0);
  EXPECT_TRUE(g.probe_due(at(0ms)));
  EXPECT_EQ(g.next_tick(at(0ms)), at(0ms));
  ASSERT_TRUE(g.tick(at(40ms), running(), failure()).pending());
  EXPECT_FALSE(g.probe_due(at(200ms)));
  EXPECT_TRUE(g.probe_due(at(290ms)));
  EXPECT_EQ(g.next_tick(at(40ms)), at(290ms));
  // The pass moves to the monitor cadence: 10s / (3 + 1).
  ASSERT_TRUE(g.tick(at(300ms), running(), pass()).pending());
  EXPECT_FALSE(g.probe_due(at(2700ms)));
  EXPECT_TRUE(g.probe_due(at(2800ms)));
  EXPECT_EQ(g.next_tick(at(300ms)), at(800ms)) << "the container is inspected every 500 ms";
}

TEST(GateTracker, ExecProbesEveryHalfSecondInTheGate) {
  GateTracker g(of_kind(ProbeKind::kExec), 10s, kT0);
  ASSERT_TRUE(g.tick(at(0ms), running(), failure("exited with code 1")).pending());
  EXPECT_FALSE(g.probe_due(at(499ms)));
  EXPECT_TRUE(g.probe_due(at(500ms)));
}

TEST(GateTracker, NextTickNeverPassesTheDeadlineOrTheWindowEnd) {
  GateTracker g(http_probe(1s, 1, 0s), 700ms, kT0);
  ASSERT_TRUE(g.tick(at(900ms), running(), failure()).pending());
  EXPECT_EQ(g.next_tick(at(900ms)), at(1s));
  ASSERT_TRUE(g.tick(at(1s), running(), pass()).pending());
  EXPECT_EQ(g.next_tick(at(1300ms)), at(1350ms)) << "monitor cadence: 700ms / (1 + 1)";
  ASSERT_TRUE(g.tick(at(1350ms), running(), pass()).pending());
  EXPECT_EQ(g.next_tick(at(1600ms)), at(1700ms));
  EXPECT_EQ(g.next_tick(at(1800ms)), at(1800ms)) << "never in the past";
}

TEST(ObservationFromInspect, ReadsTheStateDockerReports) {
  const auto inspect = json::parse(R"({"Id": "abc", "RestartCount": 2, "State": {"Status": "exited",
      "Running": false, "Restarting": false, "OOMKilled": true, "ExitCode": 137, "Error": "",
      "StartedAt": "2024-05-01T10:00:00.123Z"}})");
  auto c = observation_from_inspect(inspect);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->exists);
  EXPECT_FALSE(c->running);
  EXPECT_FALSE(c->restarting);
  EXPECT_TRUE(c->oom_killed);
  EXPECT_EQ(c->exit_code, 137);
  EXPECT_EQ(c->restart_count, 2);
  EXPECT_EQ(c->started_at, "2024-05-01T10:00:00.123Z");
  EXPECT_FALSE(observation_from_inspect(json::array()));
  EXPECT_FALSE(observation_from_inspect(json{{"Id", "abc"}}));
}

}  // namespace
}  // namespace berth::health
