// A Docker Engine restart in the middle of a swap, on every engine of tests/support/engines.hpp: berth's
// calls fail for a while, and whatever the swap managed to do, the state it leaves is recoverable: after
// a recovery pass the service answers, one container carries its name and nothing is left over. Only a
// dockerd that scripts/test-env started (its pid file) is restarted; on a host whose Docker is managed
// otherwise the test skips visibly.
#include "support/async.hpp"
#include "support/engines.hpp"
#include "support/http_probe.hpp"
#include "support/process.hpp"
#include "swap/engine.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace berth::swap {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

int dockerd_pid(const std::string& pidfile) {
  std::ifstream in(pidfile);
  int pid = 0;
  in >> pid;
  if (pid <= 0 || ::kill(pid, 0) != 0) {
    return 0;
  }
  // A pid file from an earlier boot may name a pid another program now holds.
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name == "dockerd" ? pid : 0;
}

// Stops dockerd by its pid and starts it again the way scripts/test-env does.
bool restart_dockerd(const test::Engine& engine) {
  const int pid = dockerd_pid(engine.pidfile);
  if (pid == 0) {
    return false;
  }
  ::kill(pid, SIGTERM);
  if (!test::eventually([&] { return ::kill(pid, 0) != 0; }, 60s)) {
    return false;
  }
  auto started = test::shell(engine.start);
  return started.exit_code == 0 && test::eventually([&] { return test::ping_docker(engine.socket).empty(); }, 60s);
}

class DaemonRestart : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(, DaemonRestart, ::testing::ValuesIn(test::engine_names()), test::EngineName());

TEST_P(DaemonRestart, DuringASwapLeavesARecoverableState) {
  BERTH_REQUIRE_ENGINE(daemon, GetParam());
  BERTH_REQUIRE_ENV(v1, "BERTH_TEST_IMAGE_V1");
  if (dockerd_pid(daemon.pidfile) == 0) {
    if (test::docker_required()) {
      FAIL() << "CI: scripts/test-env should have started dockerd (" << daemon.pidfile << ")";
    }
    GTEST_SKIP() << "dockerd was not started by scripts/test-env; not restarting someone else's daemon";
  }
  // The engine's published ports, and so the probes, are on its namespace's loopback.
  test::NetnsScope netns(daemon.netns);
  ASSERT_EQ(netns.error(), "");
  const std::string repo = v1.substr(0, v1.rfind(':'));
  const std::string service = "berth-test-restart-" + test::run_label();
  const std::uint16_t port = test::reserve_port();
  const auto state_dir = std::filesystem::temp_directory_path() / service;
  std::filesystem::remove_all(state_dir);
  auto body = [&](const std::string& tag) {
    return json{{"Image", repo + ":" + tag},
                {"Env", {"SLOW_SECONDS=3"}},
                {"Labels", {{"berth.test", test::run_label()}}},
                {"ExposedPorts", {{"80/tcp", json::object()}}},
                {"HostConfig",
                 {{"RestartPolicy", {{"Name", "unless-stopped"}}},
                  {"PortBindings", {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", std::to_string(port)}}}}}}}}};
  };
  test::AsyncRunner runner;
  auto docker = std::make_unique<docker::DockerClient>(runner.executor(), daemon.socket);
  ASSERT_TRUE(runner.run(docker->negotiate()));
  ASSERT_TRUE(runner.run(docker->pull_image(repo, "v1", {}, {})));
  auto id = runner.run(docker->create_container(service, body("v1")));
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(runner.run(docker->start_container(*id)));
  ASSERT_TRUE(test::eventually([&] { return test::http_get(port) == "v1"; }, 30s));

  state::StateStore store(state_dir.string());
  ASSERT_TRUE(store.open());
  SwapPlan plan;
  plan.service = service;
  plan.image_ref = repo + ":slow";
  plan.repository = repo;
  plan.tag = "slow";
  plan.probe.kind = health::ProbeKind::kHttp;
  plan.probe.port = port;
  plan.probe.timing.interval = 1s;
  plan.probe.timing.retries = 3;
  plan.probe.timing.start_period = 10s;
  plan.monitor = 1s;
  plan.stop_grace = 5s;
  plan.create_body = body("slow");
  // The restart lands while the new container waits out its slow start inside the gate: the progress
  // report of the gate step restarts the daemon before the engine goes on. (A restart that races an
  // in-flight `start` can leave a stale containerd task behind, a Docker Engine defect that no client
  // can clear; the engine then keeps the swap journalled, which recover() below would retry.)
  bool restarted = false;
  {
    SwapEngine engine(*docker, store);
    auto first = runner.run(engine.run(plan,
                                       [&](const SwapProgress& p) {
                                         std::printf("[ step     ] %s %s\n", p.step.c_str(), p.detail.c_str());
                                         if (p.step == "gate_new" && !restarted) {
                                           restarted = true;
                                           EXPECT_TRUE(restart_dockerd(daemon));
                                         }
                                       }),
                            300s);
    ASSERT_TRUE(first) << first.error().message;
  }
  EXPECT_TRUE(restarted) << "the swap reached its gate";
  // What berth does at its next start: a fresh client and engine finish whatever is journalled.
  auto fresh = std::make_unique<docker::DockerClient>(runner.executor(), daemon.socket);
  ASSERT_TRUE(runner.run(fresh->negotiate()));
  SwapEngine engine(*fresh, store);
  auto recovered = runner.run(engine.recover(), 300s);
  for (const auto& r : recovered) {
    EXPECT_NE(r.outcome, Outcome::kPending) << r.reason;
  }
  EXPECT_TRUE(store.swaps_in_flight(nullptr).empty()) << "nothing left in the journal";
  EXPECT_TRUE(test::eventually(
      [&] {
        const auto body_seen = test::http_get(port);
        return body_seen == "v1" || body_seen == "slow";
      },
      60s))
      << "the service answers after the daemon restart";
  auto names = test::shell(daemon.docker() + " ps -a --filter label=berth.test=" + test::run_label() +
                           " --format '{{.Names}}' | grep '^" + service + "' | grep -v berth-failed | sort");
  EXPECT_EQ(names.output, service + "\n") << "one container named " << service << ", no prev or next left over";
  test::shell(daemon.docker() + " ps -aq --filter label=berth.test=" + test::run_label() + " | xargs -r " +
              daemon.docker() + " rm -f");
  std::filesystem::remove_all(state_dir);
}

}  // namespace
}  // namespace berth::swap
