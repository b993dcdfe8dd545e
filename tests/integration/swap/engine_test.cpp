// The swap engine against the real Docker Engines (tests/support/engines.hpp) and registry: both
// strategies, the health gate, the rollback and its quarantine, and the longest gap in service as a
// client sees it.
#include "swap/engine.hpp"
#include "support/async.hpp"
#include "support/engines.hpp"
#include "support/http_probe.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include <filesystem>
#include <optional>

namespace berth::swap {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using docker::DockerClient;

class SwapEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ENGINE(engine, GetParam());
    BERTH_REQUIRE_ENV(v1, "BERTH_TEST_IMAGE_V1");
    // The engine's published ports, and so the probes and the load, are on its namespace's loopback.
    netns_.emplace(engine.netns);
    ASSERT_EQ(netns_->error(), "");
    v1_ = v1;
    repository_ = v1_.substr(0, v1_.rfind(':'));
    std::string test_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    test_name = test_name.substr(0, test_name.find('/')) + "-" + engine.name;
    service_ = "berth-test-swap-" + test::run_label() + "-" + test_name;
    port_ = test::reserve_port();
    state_dir_ = std::filesystem::temp_directory_path() / ("berth-swap-" + service_);
    std::filesystem::remove_all(state_dir_);
    docker_ = std::make_unique<DockerClient>(runner_.executor(), engine.socket);
    ASSERT_TRUE(runner_.run(docker_->negotiate()));
    store_ = std::make_unique<state::StateStore>(state_dir_.string());
    ASSERT_TRUE(store_->open());
    engine_ = std::make_unique<SwapEngine>(*docker_, *store_);
  }

  void TearDown() override {
    if (!docker_) {
      return;
    }
    auto mine = runner_.run(docker_->list_containers({"berth.test=" + test::run_label()}, true));
    if (mine) {
      for (const auto& c : *mine) {
        if (c.name.rfind(service_, 0) == 0) {
          (void)runner_.run(
              docker_->remove_container(c.id, docker::RemoveVolumes::kRemoveAnonymous, docker::ForceRemove::kYes));
        }
      }
    }
    std::filesystem::remove_all(state_dir_);
  }

  json body_for(const std::string& tag, const std::string& env = {}) const {
    json body = {{"Image", repository_ + ":" + tag},
                 {"Labels", {{"berth.test", test::run_label()}, {"berth.service", service_}}},
                 {"ExposedPorts", {{"80/tcp", json::object()}}},
                 {"HostConfig",
                  {{"RestartPolicy", {{"Name", "unless-stopped"}}},
                   {"PortBindings", {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", std::to_string(port_)}}}}}}}}};
    if (!env.empty()) {
      body["Env"] = {env};
    }
    return body;
  }

  // Starts the service at `tag` by hand, the way an operator did before berth.
  void start_serving(const std::string& tag) {
    auto pulled = runner_.run(docker_->pull_image(repository_, tag, {}, {}));
    ASSERT_TRUE(pulled) << pulled.error().message;
    auto id = runner_.run(docker_->create_container(service_, body_for(tag)));
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(runner_.run(docker_->start_container(*id)));
    // The wait ends as soon as it serves; its bound is generous, for a loaded machine starts containers slowly.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (test::http_get(port_) != tag && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(test::http_get(port_), tag);
  }

  SwapPlan plan(const std::string& tag, Strategy strategy) const {
    SwapPlan p;
    p.service = service_;
    p.image_ref = repository_ + ":" + tag;
    p.repository = repository_;
    p.tag = tag;
    p.strategy = strategy;
    p.probe.kind = health::ProbeKind::kHttp;
    p.probe.port = port_;
    p.probe.path = "/";
    p.probe.timing.interval = 1s;
    p.probe.timing.timeout = 1s;
    p.probe.timing.retries = 3;
    p.monitor = 1s;
    p.stop_grace = 5s;
    p.create_body = body_for(tag);
    return p;
  }

  std::vector<std::string> names_on_host() {
    std::vector<std::string> out;
    auto mine = runner_.run(docker_->list_containers({"berth.test=" + test::run_label()}, true));
    EXPECT_TRUE(mine);
    for (const auto& c : *mine) {
      if (c.name.rfind(service_, 0) == 0) {
        out.push_back(c.name.substr(service_.size()));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  SwapRecord swap(SwapPlan p, ProgressFn progress = {}) {
    auto r = runner_.run(engine_->run(std::move(p), std::move(progress)), 300s);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : SwapRecord{};
  }

  std::optional<test::NetnsScope> netns_;
  test::AsyncRunner runner_;
  std::unique_ptr<DockerClient> docker_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<SwapEngine> engine_;
  std::string v1_;
  std::string repository_;
  std::string service_;
  std::uint16_t port_ = 0;
  std::filesystem::path state_dir_;
};

INSTANTIATE_TEST_SUITE_P(, SwapEngineTest, ::testing::ValuesIn(test::engine_names()), test::EngineName());

TEST_P(SwapEngineTest, StopFirstSwapsAndServesTheNewVersion) {
  start_serving("v1");
  std::vector<SwapProgress> gate;
  const SwapRecord r = swap(plan("v2", Strategy::kStopFirst), [&](const SwapProgress& step) {
    if (step.step == "gate_progress") {
      gate.push_back(step);
    }
  });
  EXPECT_EQ(r.outcome, Outcome::kSwapped) << r.reason;
  EXPECT_EQ(test::http_get(port_), "v2");
  // After each probe of the gate, the count: the first pass and the monitor window's probes (1 s at 250 ms).
  ASSERT_FALSE(gate.empty());
  for (const auto& g : gate) {
    EXPECT_LE(g.probes.passed, g.probes.needed) << g.detail;
    EXPECT_LE(g.probes.passed, g.probes.run) << g.detail;
    EXPECT_LE(g.probes.needed, 4) << g.detail;
    EXPECT_EQ(g.detail.rfind(
                  std::to_string(g.probes.passed) + " of " + std::to_string(g.probes.needed) + " probes passed", 0),
              0u)
        << g.detail;
  }
  EXPECT_GE(gate.back().probes.passed, 1);
  EXPECT_EQ(gate.back().probes.passed, gate.back().probes.needed) << "the window's probes all passed";
  EXPECT_EQ(names_on_host(), std::vector<std::string>{""}) << "only <name>: the old one is removed";
  auto inspect = runner_.run(docker_->inspect_container(service_));
  ASSERT_TRUE(inspect);
  EXPECT_EQ((*inspect)["Config"]["Image"].get<std::string>(), repository_ + ":v2");
  EXPECT_EQ((*inspect)["HostConfig"]["RestartPolicy"]["Name"].get<std::string>(), "unless-stopped");
  auto history = store_->history(service_, 10);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].result, "swapped");
  EXPECT_EQ(history[0].to_digest.rfind("sha256:", 0), 0u);
  EXPECT_TRUE(store_->swaps_in_flight(nullptr).empty()) << "the journal is cleared";
}

TEST_P(SwapEngineTest, StartFirstSwapsWithoutAGap) {
  start_serving("v1");
  // start-first runs both side by side, so the new container publishes its port 80 on a port of its own
  // ("" lets Docker pick); the probe names the service's port and berth follows it to each container.
  SwapPlan p = plan("v2", Strategy::kStartFirst);
  p.create_body["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] = "";
  test::LoadProbe load(port_, 20ms);
  const SwapRecord r = swap(std::move(p), [&](const SwapProgress& step) {
    if (step.step == "stop_old") {
      load.stop();  // from here on the service's old port goes away, as start-first intends
    }
  });
  EXPECT_EQ(r.outcome, Outcome::kSwapped) << r.reason;
  EXPECT_EQ(load.report().failures, 0) << "the old one serves until the new one is proven";
  EXPECT_EQ(load.report().bodies_seen, std::vector<std::string>{"v1"});
  auto inspect = runner_.run(docker_->inspect_container(service_));
  ASSERT_TRUE(inspect);
  const auto published = (*inspect)["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"].get<std::string>();
  EXPECT_EQ(test::http_get(static_cast<std::uint16_t>(std::stoi(published))), "v2");
  EXPECT_EQ(names_on_host(), std::vector<std::string>{""});
}

TEST_P(SwapEngineTest, ABrokenVersionIsRolledBackAndQuarantined) {
  start_serving("v1");
  SwapPlan p = plan("broken", Strategy::kStopFirst);
  p.probe.timing.interval = 1s;
  p.probe.timing.retries = 2;
  const SwapRecord r = swap(std::move(p));
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_NE(r.reason.find("no successful probe"), std::string::npos) << r.reason;
  EXPECT_EQ(test::http_get(port_), "v1") << "the old version serves again";
  EXPECT_EQ(names_on_host(), (std::vector<std::string>{"", ".berth-failed"}));
  auto failed = runner_.run(docker_->inspect_container(failed_name(service_)));
  ASSERT_TRUE(failed);
  EXPECT_FALSE((*failed)["State"]["Running"].get<bool>()) << "kept stopped, for docker logs";
  auto old = runner_.run(docker_->inspect_container(service_));
  ASSERT_TRUE(old);
  EXPECT_EQ((*old)["HostConfig"]["RestartPolicy"]["Name"].get<std::string>(), "unless-stopped")
      << "the restart policy is given back";
  ASSERT_FALSE(r.to_digest.empty());
  EXPECT_TRUE(store_->is_quarantined(service_, r.to_digest));
  EXPECT_EQ(store_->history(service_, 1)[0].result, "rolled_back");
}

TEST_P(SwapEngineTest, StartFirstRollbackNeverStopsTheOldOne) {
  start_serving("v1");
  SwapPlan p = plan("broken", Strategy::kStartFirst);
  p.create_body["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] = "";
  p.probe.timing.retries = 2;
  test::LoadProbe load(port_, 20ms);
  const SwapRecord r = swap(std::move(p));
  load.stop();
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(load.report().failures, 0) << "the old one served throughout";
  EXPECT_EQ(test::http_get(port_), "v1");
}

TEST_P(SwapEngineTest, ASlowVersionPassesWhenItsStartPeriodAllows) {
  start_serving("v1");
  SwapPlan p = plan("slow", Strategy::kStopFirst);
  p.create_body["Env"] = {"SLOW_SECONDS=3"};
  p.probe.timing.start_period = 5s;
  p.probe.timing.retries = 1;
  const SwapRecord r = swap(std::move(p));
  EXPECT_EQ(r.outcome, Outcome::kSwapped) << r.reason;
  EXPECT_EQ(test::http_get(port_), "slow");
}

TEST_P(SwapEngineTest, ASlowVersionFailsWhenItsStartPeriodDoesNot) {
  start_serving("v1");
  SwapPlan p = plan("slow", Strategy::kStopFirst);
  p.create_body["Env"] = {"SLOW_SECONDS=8"};
  p.probe.timing.start_period = 0s;
  p.probe.timing.retries = 2;
  const SwapRecord r = swap(std::move(p));
  EXPECT_EQ(r.outcome, Outcome::kRolledBack) << r.reason;
  EXPECT_EQ(test::http_get(port_), "v1");
}

TEST_P(SwapEngineTest, AFailedPullChangesNothing) {
  start_serving("v1");
  auto before = runner_.run(docker_->inspect_container(service_));
  ASSERT_TRUE(before);
  const SwapRecord r = swap(plan("no-such-tag", Strategy::kStopFirst));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("pull"), std::string::npos) << r.reason;
  auto after = runner_.run(docker_->inspect_container(service_));
  ASSERT_TRUE(after);
  EXPECT_EQ((*after)["Id"], (*before)["Id"]);
  EXPECT_EQ((*after)["State"]["StartedAt"], (*before)["State"]["StartedAt"]) << "never stopped";
  EXPECT_EQ(names_on_host(), std::vector<std::string>{""});
}

TEST_P(SwapEngineTest, AFailedCreateRestoresTheOldOne) {
  start_serving("v1");
  SwapPlan p = plan("v2", Strategy::kStopFirst);
  p.create_body["HostConfig"]["Memory"] = 1;  // Docker refuses a memory limit below 6 MB
  const SwapRecord r = swap(std::move(p));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.reason.find("create_new"), std::string::npos) << r.reason;
  EXPECT_EQ(test::http_get(port_), "v1");
  EXPECT_EQ(names_on_host(), std::vector<std::string>{""});
  EXPECT_FALSE(store_->is_quarantined(service_, r.to_digest)) << "not the image's fault";
}

TEST_P(SwapEngineTest, ASecondSwapOfTheSameServiceIsRefusedWhileOneRuns) {
  start_serving("v1");
  std::optional<common::Result<SwapRecord>> spawned;
  auto both = [&]() -> boost::asio::awaitable<common::Result<SwapRecord>> {
    boost::asio::co_spawn(
        co_await boost::asio::this_coro::executor,
        [&]() -> boost::asio::awaitable<void> { spawned = co_await engine_->run(plan("v2", Strategy::kStopFirst)); },
        boost::asio::detached);
    co_return co_await engine_->run(plan("v2", Strategy::kStopFirst));
  };
  auto awaited = runner_.run(both(), 120s);
  for (int i = 0; i < 100 && !spawned; ++i) {
    runner_.context().run_for(100ms);
  }
  ASSERT_TRUE(spawned.has_value());
  // Whichever began first swaps; the other is refused at once.
  const auto& winner = awaited ? awaited : *spawned;
  const auto& loser = awaited ? *spawned : awaited;
  ASSERT_TRUE(winner) << winner.error().message;
  EXPECT_EQ(winner->outcome, Outcome::kSwapped);
  ASSERT_FALSE(loser);
  EXPECT_EQ(loser.error().kind, common::ErrorKind::kConflict);
  EXPECT_NE(loser.error().message.find("already running"), std::string::npos);
}

// The figure the swap engine exists for: the longest time a client sees no answer during a stop-first
// swap, next to the manual procedure operators follow today, measured here in the same run.
TEST_P(SwapEngineTest, StopFirstGapIsNoWorseThanTheManualProcedure) {
  start_serving("v1");
  test::LoadProbe berth_load(port_, 20ms);
  std::this_thread::sleep_for(300ms);
  SwapPlan p = plan("v2", Strategy::kStopFirst);
  p.probe.timing.interval = 5s;
  const SwapRecord r = swap(std::move(p));
  std::this_thread::sleep_for(300ms);
  berth_load.stop();
  ASSERT_EQ(r.outcome, Outcome::kSwapped) << r.reason;
  const auto berth_gap = berth_load.report();

  // The manual procedure on the same image: docker pull; docker stop; docker rm; docker run.
  test::LoadProbe manual_load(port_, 20ms);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(runner_.run(docker_->remove_image(repository_ + ":v1")) || true);
  ASSERT_TRUE(runner_.run(docker_->pull_image(repository_, "v1", {}, {})));
  ASSERT_TRUE(runner_.run(docker_->stop_container(service_, 10s)));
  ASSERT_TRUE(runner_.run(docker_->remove_container(service_, docker::RemoveVolumes::kKeep, docker::ForceRemove::kNo)));
  auto id = runner_.run(docker_->create_container(service_, body_for("v1")));
  ASSERT_TRUE(id);
  ASSERT_TRUE(runner_.run(docker_->start_container(*id)));
  for (int i = 0; i < 200 && test::http_get(port_) != "v1"; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(300ms);
  manual_load.stop();
  const auto manual_gap = manual_load.report();

  std::printf("[ figures  ] stop-first gap: berth %lld ms (%d/%d requests failed), manual procedure %lld ms (%d/%d)\n",
              static_cast<long long>(berth_gap.longest_gap.count()), berth_gap.failures, berth_gap.requests,
              static_cast<long long>(manual_gap.longest_gap.count()), manual_gap.failures, manual_gap.requests);
  RecordProperty("berth_gap_ms", static_cast<int>(berth_gap.longest_gap.count()));
  RecordProperty("manual_gap_ms", static_cast<int>(manual_gap.longest_gap.count()));
  EXPECT_EQ(berth_gap.bodies_seen, (std::vector<std::string>{"v1", "v2"}));
  EXPECT_GT(berth_gap.requests, 20);
  // berth pulls first and only then stops: its gap must not exceed the manual one by more than the
  // probe cadence and scheduling noise.
  EXPECT_LT(berth_gap.longest_gap, manual_gap.longest_gap + 1500ms);
  EXPECT_LT(berth_gap.longest_gap, 5s);
}

}  // namespace
}  // namespace berth::swap
