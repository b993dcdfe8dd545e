// Probes and the gate against real containers of the test images: what a swap sees when the new
// version serves, never serves, serves late, or dies after passing.
#include "docker/client.hpp"
#include "health/runner.hpp"
#include "support/async.hpp"
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

namespace berth::health {
namespace {

using docker::DockerClient;
using nlohmann::json;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace net = boost::asio;

class ProbeGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_DOCKER();
    BERTH_REQUIRE_ENV(v1, "BERTH_TEST_IMAGE_V1");
    BERTH_REQUIRE_ENV(broken, "BERTH_TEST_IMAGE_BROKEN");
    BERTH_REQUIRE_ENV(slow, "BERTH_TEST_IMAGE_SLOW");
    v1_ = v1;
    broken_ = broken;
    slow_ = slow;
    docker_ = std::make_unique<DockerClient>(runner_.executor(), test::docker_socket());
    auto v = runner_.run(docker_->negotiate());
    ASSERT_TRUE(v) << v.error().message;
    for (const auto& image : {v1_, broken_, slow_}) {
      const auto colon = image.rfind(':');
      auto pulled = runner_.run(docker_->pull_image(image.substr(0, colon), image.substr(colon + 1), {}, {}));
      ASSERT_TRUE(pulled) << image << ": " << pulled.error().message;
    }
  }

  void TearDown() override {
    if (!docker_) {
      return;
    }
    auto mine = runner_.run(docker_->list_containers({"berth.test=" + test::run_label()}, true));
    if (mine) {
      for (const auto& c : *mine) {
        (void)runner_.run(
            docker_->remove_container(c.id, docker::RemoveVolumes::kRemoveAnonymous, docker::ForceRemove::kYes));
      }
    }
  }

  std::string unique(const std::string& base) const { return "berth-test-health-" + base + "-" + test::run_label(); }

  // A create body for `image` with container port 80 published on a free loopback port of the host.
  static json body(const std::string& image, const std::vector<std::string>& cmd = {}) {
    json b = {{"Image", image},
              {"Labels", {{"berth.test", test::run_label()}}},
              {"ExposedPorts", {{"80/tcp", json::object()}}},
              {"HostConfig",
               {{"RestartPolicy", {{"Name", "no"}}},
                {"PortBindings", {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}}}}}}}};
    if (!cmd.empty()) {
      b["Cmd"] = cmd;
    }
    return b;
  }

  // Creates and starts the container; returns its id.
  std::string start(const std::string& name, const json& create_body) {
    auto id = runner_.run(docker_->create_container(unique(name), create_body));
    EXPECT_TRUE(id) << id.error().message;
    if (!id) {
      return {};
    }
    auto started = runner_.run(docker_->start_container(*id));
    EXPECT_TRUE(started) << started.error().message;
    return *id;
  }

  // The host port Docker picked for container port 80.
  std::uint16_t published_port(const std::string& id) {
    auto inspect = runner_.run(docker_->inspect_container(id));
    EXPECT_TRUE(inspect) << inspect.error().message;
    if (!inspect) {
      return 0;
    }
    const auto& bindings = (*inspect)["NetworkSettings"]["Ports"]["80/tcp"];
    EXPECT_TRUE(bindings.is_array() && !bindings.empty()) << inspect->dump();
    if (!bindings.is_array() || bindings.empty()) {
      return 0;
    }
    EXPECT_EQ(bindings[0]["HostIp"].get<std::string>(), "127.0.0.1");
    return static_cast<std::uint16_t>(std::stoi(bindings[0]["HostPort"].get<std::string>()));
  }

  static ProbeSpec http_spec(std::uint16_t port, std::string path = "/health") {
    auto p = parse_probe_label("http://:" + std::to_string(port) + path, "");
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : ProbeSpec{};
  }

  static ProbeTiming quick(std::chrono::milliseconds start_period = 0ms) {
    return ProbeTiming{1s, 2s, 2, start_period};
  }

  ProbeResult probe(const ProbeSpec& spec, const std::string& id) {
    return runner_.run(run_probe(*docker_, spec, id), 60s);
  }

  GateOutcome gate(const ProbeSpec& spec, const std::string& id, milliseconds monitor) {
    return runner_.run(run_gate(*docker_, spec, id, monitor), 120s);
  }

  test::AsyncRunner runner_;
  std::unique_ptr<DockerClient> docker_;
  std::string v1_;
  std::string broken_;
  std::string slow_;
};

TEST_F(ProbeGateTest, HttpProbePassesOnThePublishedPort) {
  const std::string id = start("http", body(v1_));
  ASSERT_FALSE(id.empty());
  const auto port = published_port(id);
  ASSERT_NE(port, 0);
  ProbeSpec spec = http_spec(port);
  spec.timing = quick();
  const auto outcome = gate(spec, id, 1s);
  EXPECT_TRUE(outcome.passed) << outcome.reason;
  EXPECT_THAT(outcome.reason, StartsWith("probe http://127.0.0.1:" + std::to_string(port) + "/health answered 200"));
  EXPECT_THAT(outcome.reason, HasSubstr("stayed healthy for the monitor window of 1s"));
  ASSERT_TRUE(outcome.time_to_pass);
  EXPECT_LT(*outcome.time_to_pass, 2s);
  EXPECT_GE(outcome.duration, 1s);
  EXPECT_LT(outcome.duration, 5s);

  // The probe itself: what answered, and the accepted range.
  const auto ok = probe(spec, id);
  EXPECT_TRUE(ok.ok()) << ok.detail;
  EXPECT_EQ(ok.detail, "answered 200");
  EXPECT_EQ(ok.output, "ok");
  auto version = probe(http_spec(port, "/version"), id);
  EXPECT_EQ(version.output, "v1");
  const auto missing = probe(http_spec(port, "/no-such-page"), id);
  EXPECT_EQ(missing.status, ProbeStatus::kFail);
  EXPECT_EQ(missing.detail, "answered 404");
  auto strict = parse_probe_label("http://127.0.0.1:" + std::to_string(port) + "/health", "204");
  ASSERT_TRUE(strict);
  EXPECT_EQ(probe(*strict, id).detail, "answered 200");
  EXPECT_FALSE(probe(*strict, id).ok()) << "200 is outside 204";
}

TEST_F(ProbeGateTest, TcpProbeConnectsToThePublishedPort) {
  const std::string id = start("tcp", body(v1_));
  ASSERT_FALSE(id.empty());
  const auto port = published_port(id);
  auto spec = parse_probe_label("tcp://:" + std::to_string(port), "");
  ASSERT_TRUE(spec);
  spec->timing = quick();
  const auto outcome = gate(*spec, id, 0ms);
  EXPECT_TRUE(outcome.passed) << outcome.reason;
  EXPECT_THAT(outcome.reason, StartsWith("probe tcp://127.0.0.1:" + std::to_string(port) + " accepted a connection"));

  // A port nothing listens on: bound and released by the test, so it is free.
  std::uint16_t closed = 0;
  {
    net::io_context io;
    net::ip::tcp::acceptor acceptor(io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    closed = acceptor.local_endpoint().port();
  }
  auto refused = parse_probe_label("tcp://127.0.0.1:" + std::to_string(closed), "");
  ASSERT_TRUE(refused);
  const auto r = probe(*refused, id);
  EXPECT_EQ(r.status, ProbeStatus::kFail);
  EXPECT_THAT(r.detail, StartsWith("could not connect (")) << r.detail;
}

TEST_F(ProbeGateTest, ExecProbeRunsTheEcsCommandInTheContainer) {
  const std::string id = start("exec", body(v1_));
  ASSERT_FALSE(id.empty());
  auto spec = probe_from_ecs_healthcheck(json{{"command", {"CMD-SHELL", "wget -q -O- http://localhost/health"}},
                                              {"interval", 5},
                                              {"timeout", 2},
                                              {"retries", 2}});
  ASSERT_TRUE(spec) << spec.error().message;
  const auto outcome = gate(*spec, id, 1s);
  EXPECT_TRUE(outcome.passed) << outcome.reason;
  EXPECT_THAT(outcome.reason,
              StartsWith("probe exec [CMD-SHELL wget -q -O- http://localhost/health] exited with code 0"));
  const auto ok = probe(*spec, id);
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.output, "ok");

  ProbeSpec failing = *spec;
  failing.command = {"CMD", "sh", "-c", "echo not ready; exit 3"};
  const auto r = probe(failing, id);
  EXPECT_EQ(r.status, ProbeStatus::kFail);
  EXPECT_EQ(r.detail, "exited with code 3");
  EXPECT_EQ(r.output, "not ready\n");

  ProbeSpec hanging = *spec;
  hanging.command = {"CMD", "sleep", "30"};
  const auto before = std::chrono::steady_clock::now();
  const auto t = probe(hanging, id);
  EXPECT_EQ(t.detail, "did not finish within 2s");
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
}

TEST_F(ProbeGateTest, BytesThatAreNotTextBecomePrintableText) {
  // A Latin-1 byte, a cut UTF-8 sequence and a terminal escape, in the probe's output and in the logs;
  // the "local" log driver keeps log lines as raw bytes (json-file would have replaced them).
  json b = body(v1_, {"sh", "-c", "printf 'caf\\351 \\342\\202 \\033[2J\\n'; exec sleep 600"});
  b["HostConfig"]["LogConfig"] = {{"Type", "local"}};
  const std::string id = start("bytes", b);
  ASSERT_FALSE(id.empty());
  auto spec = probe_from_ecs_healthcheck(json{{"command", {"CMD-SHELL", "printf 'caf\\351 \\342\\202'; exit 1"}},
                                              {"interval", 5},
                                              {"timeout", 2},
                                              {"retries", 1}});
  ASSERT_TRUE(spec) << spec.error().message;
  spec->timing = ProbeTiming{1s, 2s, 1, 0s};
  const std::string replaced = "caf\xEF\xBF\xBD \xEF\xBF\xBD";
  const auto r = probe(*spec, id);
  EXPECT_EQ(r.detail, "exited with code 1");
  EXPECT_EQ(r.output, replaced);
  const auto outcome = gate(*spec, id, 0s);
  EXPECT_FALSE(outcome.passed);
  EXPECT_THAT(outcome.reason, HasSubstr("(output: \"" + replaced + "\")"));
  EXPECT_EQ(outcome.last_logs, replaced + " \\x1b[2J\n");
  // What the swap journal and the API do with them: a strict dump, which throws on invalid UTF-8.
  EXPECT_NO_THROW((void)json({{"reason", outcome.reason}, {"logs", outcome.last_logs}}).dump());
}

TEST_F(ProbeGateTest, TheBrokenImageFailsTheGateAtTheDeadline) {
  const std::string id = start("broken", body(broken_));
  ASSERT_FALSE(id.empty());
  const auto port = published_port(id);
  ProbeSpec spec = http_spec(port);
  spec.timing = quick();
  const auto outcome = gate(spec, id, 10s);
  EXPECT_FALSE(outcome.passed);
  // Docker's port proxy accepts and closes the connection, or (without the proxy) nothing listens.
  EXPECT_THAT(outcome.reason, StartsWith("no successful probe within 2s (2 × 1s); "));
  EXPECT_THAT(outcome.reason, AnyOf(HasSubstr("the last: probe http://127.0.0.1:" + std::to_string(port) +
                                              "/health closed the connection without answering ("),
                                    HasSubstr("/health could not connect (")));
  EXPECT_GE(outcome.duration, 2s);
  EXPECT_LT(outcome.duration, 6s);
  EXPECT_FALSE(outcome.time_to_pass);
  EXPECT_FALSE(outcome.exit_code) << "still running: it just never serves";
}

TEST_F(ProbeGateTest, TheSlowImagePassesWhenTheStartPeriodAllows) {
  json b = body(slow_);
  b["Env"] = {"SLOW_SECONDS=3"};
  const std::string id = start("slow-ok", b);
  ASSERT_FALSE(id.empty());
  ProbeSpec spec = http_spec(published_port(id));
  spec.timing = quick(4s);  // window: 4s + 2 x 1s
  const auto outcome = gate(spec, id, 1s);
  EXPECT_TRUE(outcome.passed) << outcome.reason;
  ASSERT_TRUE(outcome.time_to_pass);
  EXPECT_GE(*outcome.time_to_pass, 2500ms) << "it serves after 3 s";
  EXPECT_LT(*outcome.time_to_pass, 4500ms) << "found within a probe cadence of serving";
}

TEST_F(ProbeGateTest, TheSlowImageFailsWithoutAStartPeriod) {
  json b = body(slow_);
  b["Env"] = {"SLOW_SECONDS=3"};
  const std::string id = start("slow-late", b);
  ASSERT_FALSE(id.empty());
  ProbeSpec spec = http_spec(published_port(id));
  spec.timing = quick();
  const auto outcome = gate(spec, id, 1s);
  EXPECT_FALSE(outcome.passed);
  EXPECT_THAT(outcome.reason, StartsWith("no successful probe within 2s (2 × 1s)"));
}

TEST_F(ProbeGateTest, AnExitDuringTheMonitorWindowFailsAtOnceWithTheExitCode) {
  const std::string id =
      start("exit", body(v1_, {"sh", "-c", "httpd -p 80 -h /www; echo serving; sleep 2; echo giving up; exit 4"}));
  ASSERT_FALSE(id.empty());
  ProbeSpec spec = http_spec(published_port(id));
  spec.timing = quick();
  const auto outcome = gate(spec, id, 30s);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "container exited with code 4 during the monitor window");
  ASSERT_TRUE(outcome.time_to_pass) << "it passed the gate first";
  EXPECT_LT(outcome.duration, 6s) << "not at the end of the 30 s window";
  ASSERT_TRUE(outcome.exit_code);
  EXPECT_EQ(*outcome.exit_code, 4);
  EXPECT_EQ(outcome.last_logs, "serving\ngiving up\n");
}

TEST_F(ProbeGateTest, ARestartDuringTheMonitorWindowFails) {
  json b = body(v1_, {"sh", "-c", "httpd -p 80 -h /www; sleep 2; exit 5"});
  b["HostConfig"]["RestartPolicy"] = {{"Name", "always"}};
  const std::string id = start("restart", b);
  ASSERT_FALSE(id.empty());
  ProbeSpec spec = http_spec(published_port(id));
  spec.timing = quick();
  const auto outcome = gate(spec, id, 30s);
  EXPECT_FALSE(outcome.passed);
  // Depending on when the inspect lands: exited (between the exit and the restart) or restarted.
  EXPECT_THAT(outcome.reason, AnyOf(StartsWith("container restarted during the monitor window"),
                                    StartsWith("container exited with code 5 during the monitor window")));
  EXPECT_LT(outcome.duration, 8s);
}

TEST_F(ProbeGateTest, RunningOnlyWatchesTheContainer) {
  const std::string id = start("running", body(v1_));
  ASSERT_FALSE(id.empty());
  auto spec = parse_probe_label("none", "");
  ASSERT_TRUE(spec);
  const auto outcome = gate(*spec, id, 1500ms);
  EXPECT_TRUE(outcome.passed) << outcome.reason;
  EXPECT_THAT(outcome.reason, HasSubstr("kept running for the monitor window of 1.5s"));
  EXPECT_GE(outcome.duration, 1500ms);
}

TEST_F(ProbeGateTest, DockerHealthFollowsTheContainersHealthcheck) {
  json b = body(v1_);
  b["Healthcheck"] = {{"Test", {"CMD-SHELL", "wget -q -O- http://localhost/health"}},
                      {"Interval", 500'000'000},
                      {"Timeout", 2'000'000'000},
                      {"Retries", 2}};
  const std::string id = start("docker-health", b);
  ASSERT_FALSE(id.empty());
  auto inspect = runner_.run(docker_->inspect_container(id));
  ASSERT_TRUE(inspect);
  auto spec = choose_probe(sources_from_inspect(*inspect));
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->kind, ProbeKind::kDockerHealth);
  EXPECT_EQ(spec->timing.interval, 500ms);
  const auto outcome = gate(*spec, id, 1s);
  EXPECT_TRUE(outcome.passed) << outcome.reason;
  EXPECT_THAT(outcome.reason, StartsWith("probe Docker health check reports healthy"));
}

TEST_F(ProbeGateTest, DockerHealthUnhealthyFailsWithTheCheckOutput) {
  json b = body(v1_);
  b["Healthcheck"] = {
      {"Test", {"CMD-SHELL", "echo database unreachable; exit 1"}}, {"Interval", 300'000'000}, {"Retries", 1}};
  const std::string id = start("docker-unhealthy", b);
  ASSERT_FALSE(id.empty());
  auto inspect = runner_.run(docker_->inspect_container(id));
  ASSERT_TRUE(inspect);
  auto spec = choose_probe(sources_from_inspect(*inspect));
  ASSERT_TRUE(spec);
  const auto outcome = gate(*spec, id, 1s);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "Docker health check reports unhealthy during the gate (output: \"database unreachable\")");
  EXPECT_LT(outcome.duration, 5s) << "Docker's verdict is final; no wait for the deadline";
}

TEST_F(ProbeGateTest, HttpsProbeDoesNotVerifyTheServiceCertificate) {
  // The basic-auth test registry serves TLS with a certificate from the test CA, which the probe does not
  // trust; it answers /v2/ with 401 without credentials.
  BERTH_REQUIRE_ENV(registry, "BERTH_TEST_REGISTRY_BASIC");
  const std::string id = start("https", body(v1_));
  ASSERT_FALSE(id.empty());
  auto spec = parse_probe_label("https://" + registry + "/v2/", "401");
  ASSERT_TRUE(spec) << spec.error().message;
  const auto r = probe(*spec, id);
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.detail, "answered 401");
  auto plain =
      parse_probe_label("https://" + test::env_or("BERTH_TEST_REGISTRY_PLAIN", "127.0.0.1:15000") + "/v2/", "");
  ASSERT_TRUE(plain);
  const auto no_tls = probe(*plain, id);
  EXPECT_EQ(no_tls.status, ProbeStatus::kFail);
  EXPECT_THAT(no_tls.detail, StartsWith("failed the TLS handshake (")) << no_tls.detail;
}

}  // namespace
}  // namespace berth::health
