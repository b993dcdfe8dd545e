// Probe labels, ECS and Docker health checks, and the rule that picks a probe for a container.
#include "health/probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace berth::health {
namespace {

using common::ErrorKind;
using nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

ProbeSpec label_ok(std::string_view value, std::string_view expect = {}) {
  auto r = parse_probe_label(value, expect);
  EXPECT_TRUE(r.has_value()) << value << ": " << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? *r : ProbeSpec{};
}

std::string label_error(std::string_view value, std::string_view expect = {}) {
  auto r = parse_probe_label(value, expect);
  EXPECT_FALSE(r.has_value()) << value << " parsed";
  if (r.has_value()) {
    return {};
  }
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  return r.error().message;
}

std::string ecs_error(const json& hc) {
  auto r = probe_from_ecs_healthcheck(hc);
  EXPECT_FALSE(r.has_value()) << hc.dump() << " parsed";
  if (r.has_value()) {
    return {};
  }
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  return r.error().message;
}

TEST(ParseProbeLabel, HttpWithoutHostMeansLoopback) {
  const auto p = label_ok("http://:8080/health");
  EXPECT_EQ(p.kind, ProbeKind::kHttp);
  EXPECT_EQ(p.host, "127.0.0.1");
  EXPECT_EQ(p.port, 8080);
  EXPECT_EQ(p.path, "/health");
  EXPECT_EQ(p.expect, (StatusRange{200, 399}));
  EXPECT_EQ(p.timing, ProbeTiming{}) << "timing is filled in by choose_probe";
  EXPECT_EQ(p.describe(), "http://127.0.0.1:8080/health");
}

TEST(ParseProbeLabel, HttpDefaultsThePathAndKeepsTheQuery) {
  EXPECT_EQ(label_ok("http://127.0.0.1:8080").path, "/");
  EXPECT_EQ(label_ok("http://127.0.0.1:8080/").path, "/");
  EXPECT_EQ(label_ok("http://:8080?ready=1").path, "/?ready=1");
  EXPECT_EQ(label_ok("http://:8080/a/b?c=d%20e").path, "/a/b?c=d%20e");
  EXPECT_EQ(label_ok("http://localhost:3000/goals").host, "localhost");
}

TEST(ParseProbeLabel, HttpsAndIpv6InBrackets) {
  const auto p = label_ok("https://[::1]:8443/ready");
  EXPECT_EQ(p.kind, ProbeKind::kHttps);
  EXPECT_EQ(p.host, "::1");
  EXPECT_EQ(p.port, 8443);
  EXPECT_EQ(p.describe(), "https://[::1]:8443/ready");
}

TEST(ParseProbeLabel, SchemeIsCaseInsensitiveAndSpacesAroundAreIgnored) {
  EXPECT_EQ(label_ok("HTTP://:80/").kind, ProbeKind::kHttp);
  EXPECT_EQ(label_ok(" tcp://:5432 ").port, 5432);
}

TEST(ParseProbeLabel, Tcp) {
  const auto p = label_ok("tcp://:5432");
  EXPECT_EQ(p.kind, ProbeKind::kTcp);
  EXPECT_EQ(p.host, "127.0.0.1");
  EXPECT_EQ(p.port, 5432);
  EXPECT_EQ(p.describe(), "tcp://127.0.0.1:5432");
  EXPECT_EQ(label_ok("tcp://127.0.0.1:6379/").port, 6379);
  EXPECT_THAT(label_error("tcp://:5432/db"), HasSubstr("a tcp probe has no path"));
}

TEST(ParseProbeLabel, NoneMeansTheContainerOnlyKeepsRunning) {
  EXPECT_EQ(label_ok("none").kind, ProbeKind::kRunning);
  EXPECT_EQ(label_ok("None").kind, ProbeKind::kRunning);
  EXPECT_EQ(label_ok("none").describe(), "running");
}

TEST(ParseProbeLabel, ErrorsNameTheBadPart) {
  EXPECT_THAT(label_error(""), HasSubstr("is not a probe; write http://[host]:PORT/PATH"));
  EXPECT_THAT(label_error("localhost:8080"), HasSubstr("\"localhost:8080\" is not a probe"));
  EXPECT_THAT(label_error("ftp://:21/"), HasSubstr("unknown scheme \"ftp\""));
  EXPECT_THAT(label_error("http://127.0.0.1/health"), HasSubstr("has no port"));
  EXPECT_THAT(label_error("http://:/health"), HasSubstr("port \"\" is not a number from 1 to 65535"));
  EXPECT_THAT(label_error("http://:0/"), HasSubstr("port \"0\""));
  EXPECT_THAT(label_error("http://:65536/"), HasSubstr("port \"65536\""));
  EXPECT_THAT(label_error("http://:80x/"), HasSubstr("port \"80x\""));
  EXPECT_THAT(label_error("http://user@:80/"), HasSubstr("user information"));
  EXPECT_THAT(label_error("http://::1:80/"), HasSubstr("IPv6 host in brackets"));
  EXPECT_THAT(label_error("http://[::1:80/"), HasSubstr("no closing \"]\""));
  EXPECT_THAT(label_error("http://[nope]:80/"), HasSubstr("\"nope\" is not an IPv6 address"));
  EXPECT_THAT(label_error("http://[::1]8080/"), HasSubstr("expected \":PORT\""));
  EXPECT_THAT(label_error("http://my host:80/"), HasSubstr("\"my host\" is not a host name"));
  EXPECT_THAT(label_error("http://:80/a b"), HasSubstr("space or control character"));
  EXPECT_THAT(label_error("http://:80/#top"), HasSubstr("fragment"));
  EXPECT_THAT(label_error("ftp://:21/"), HasSubstr("berth.probe \"ftp://:21/\""));
}

TEST(ParseProbeLabel, ExpectRange) {
  EXPECT_EQ(label_ok("http://:80/", "204").expect, (StatusRange{204, 204}));
  EXPECT_EQ(label_ok("http://:80/", "200-299").expect, (StatusRange{200, 299}));
  EXPECT_EQ(label_ok("http://:80/", "").expect, (StatusRange{200, 399}));
  EXPECT_THAT(label_error("http://:80/", "ok"), HasSubstr("berth.probe.expect \"ok\" is not a status range"));
  EXPECT_THAT(label_error("http://:80/", "299-200"), HasSubstr("starts after it ends"));
  EXPECT_THAT(label_error("http://:80/", "99"), HasSubstr("codes 100-599"));
  EXPECT_THAT(label_error("http://:80/", "200-600"), HasSubstr("200-600"));
  EXPECT_THAT(label_error("http://:80/", "200-"), HasSubstr("200-"));
  EXPECT_EQ(label_ok("tcp://:80", "ok").kind, ProbeKind::kTcp) << "expect only applies to http and https";
}

TEST(StatusRangeText, OneCodeOrARange) {
  EXPECT_EQ((StatusRange{204, 204}).to_string(), "204");
  EXPECT_EQ(StatusRange{}.to_string(), "200-399");
  EXPECT_TRUE(StatusRange{}.contains(200));
  EXPECT_TRUE(StatusRange{}.contains(399));
  EXPECT_FALSE(StatusRange{}.contains(400));
  EXPECT_FALSE(StatusRange{}.contains(199));
}

TEST(EcsHealthCheck, FullObject) {
  auto r =
      probe_from_ecs_healthcheck(json::parse(R"({"command": ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"],
      "interval": 10, "timeout": 3, "retries": 2, "startPeriod": 60})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, ProbeKind::kExec);
  EXPECT_EQ(r->timing.interval, 10s);
  EXPECT_EQ(r->timing.timeout, 3s);
  EXPECT_EQ(r->timing.retries, 2);
  EXPECT_EQ(r->timing.start_period, 60s);
  EXPECT_EQ(r->timing.ecs_window(), 80s);
  EXPECT_EQ(exec_argv(*r), (std::vector<std::string>{"sh", "-c", "wget -q -O- http://localhost/ || exit 1"}));
  EXPECT_EQ(r->describe(), "exec [CMD-SHELL wget -q -O- http://localhost/ || exit 1]");
}

TEST(EcsHealthCheck, DefaultsAreEcsDefaults) {
  auto r = probe_from_ecs_healthcheck(json{{"command", {"CMD", "/bin/check", "--quick"}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->timing.interval, 30s);
  EXPECT_EQ(r->timing.timeout, 5s);
  EXPECT_EQ(r->timing.retries, 3);
  EXPECT_EQ(r->timing.start_period, 0s);
  EXPECT_EQ(exec_argv(*r), (std::vector<std::string>{"/bin/check", "--quick"}));
}

TEST(EcsHealthCheck, CmdShellWithSeveralStringsIsJoined) {
  auto r = probe_from_ecs_healthcheck(json{{"command", {"CMD-SHELL", "test", "-f", "/ready"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(exec_argv(*r), (std::vector<std::string>{"sh", "-c", "test -f /ready"}));
}

TEST(EcsHealthCheck, RangesAreEcsRanges) {
  const json base = {{"command", {"CMD", "true"}}};
  auto with = [&](const char* key, int v) {
    json hc = base;
    hc[key] = v;
    return hc;
  };
  for (auto [key, low, high] : {std::tuple{"interval", 5, 300}, std::tuple{"timeout", 2, 60},
                                std::tuple{"retries", 1, 10}, std::tuple{"startPeriod", 0, 300}}) {
    EXPECT_TRUE(probe_from_ecs_healthcheck(with(key, low))) << key << " " << low;
    EXPECT_TRUE(probe_from_ecs_healthcheck(with(key, high))) << key << " " << high;
    const std::string range = std::to_string(low) + "-" + std::to_string(high);
    EXPECT_THAT(ecs_error(with(key, low - 1)),
                HasSubstr(std::string("healthCheck.") + key + " " + std::to_string(low - 1) +
                          " is outside the ECS range " + range));
    EXPECT_THAT(ecs_error(with(key, high + 1)), HasSubstr(std::string("healthCheck.") + key));
  }
  json text = base;
  text["interval"] = "30";
  EXPECT_THAT(ecs_error(text), HasSubstr("healthCheck.interval must be a whole number"));
  json fraction = base;
  fraction["timeout"] = 2.5;
  EXPECT_THAT(ecs_error(fraction), HasSubstr("healthCheck.timeout must be a whole number"));
}

TEST(EcsHealthCheck, CommandErrors) {
  EXPECT_THAT(ecs_error(json::array()), HasSubstr("healthCheck must be an object"));
  EXPECT_THAT(ecs_error(json::object()), HasSubstr("healthCheck.command is missing"));
  EXPECT_THAT(ecs_error(json{{"command", "curl localhost"}}), HasSubstr("must be an array of strings"));
  EXPECT_THAT(ecs_error(json{{"command", {"CMD", 1}}}), HasSubstr("must be an array of strings"));
  EXPECT_THAT(ecs_error(json{{"command", json::array()}}), HasSubstr("healthCheck.command is empty"));
  EXPECT_THAT(ecs_error(json{{"command", {"curl", "localhost"}}}), HasSubstr("not \"curl\""));
  EXPECT_THAT(ecs_error(json{{"command", {"NONE"}}}), HasSubstr("not \"NONE\""));
  EXPECT_THAT(ecs_error(json{{"command", {"CMD"}}}), HasSubstr("\"CMD\" has nothing to run"));
  EXPECT_THAT(ecs_error(json{{"command", {"CMD-SHELL", "  "}}}), HasSubstr("\"CMD-SHELL\" has nothing to run"));
}

TEST(DockerHealthcheck, NanosecondsAndDockerDefaults) {
  auto r = probe_from_docker_healthcheck(json{
      {"Test", {"CMD-SHELL", "wget -q -O- http://localhost/health"}}, {"Interval", 1'000'000'000}, {"Retries", 2}});
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  const ProbeSpec& p = **r;
  EXPECT_EQ(p.kind, ProbeKind::kDockerHealth);
  EXPECT_EQ(p.timing.interval, 1s);
  EXPECT_EQ(p.timing.timeout, 30s) << "Docker's default timeout";
  EXPECT_EQ(p.timing.retries, 2);
  EXPECT_EQ(p.timing.start_period, 0s);
  EXPECT_EQ(p.describe(), "Docker health check");
}

TEST(DockerHealthcheck, NoneOrMissingIsNoHealthCheck) {
  for (const json& hc : {json(nullptr), json::object(), json{{"Test", json::array()}}, json{{"Test", {"NONE"}}}}) {
    auto r = probe_from_docker_healthcheck(hc);
    ASSERT_TRUE(r) << hc.dump();
    EXPECT_FALSE(r->has_value()) << hc.dump();
  }
  EXPECT_FALSE(probe_from_docker_healthcheck(json::array()));
}

json ecs_check() {
  return json{{"command", {"CMD-SHELL", "true"}}, {"interval", 10}, {"retries", 2}, {"startPeriod", 5}};
}
json docker_check() { return json{{"Test", {"CMD", "true"}}, {"Interval", 2'000'000'000}}; }

TEST(ChooseProbe, TheLabelWinsWithTheEcsTiming) {
  ProbeSources s;
  s.probe_label = "http://:8080/health";
  s.expect_label = "200-204";
  s.ecs_health_check = ecs_check();
  s.docker_healthcheck = docker_check();
  auto p = choose_probe(s);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->kind, ProbeKind::kHttp);
  EXPECT_EQ(p->expect, (StatusRange{200, 204}));
  EXPECT_EQ(p->timing.interval, 10s);
  EXPECT_EQ(p->timing.retries, 2);
  EXPECT_EQ(p->timing.start_period, 5s);
}

TEST(ChooseProbe, TheLabelTakesTheDockerTimingWithoutAnEcsCheck) {
  ProbeSources s;
  s.probe_label = "tcp://:5432";
  s.docker_healthcheck = docker_check();
  auto p = choose_probe(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, ProbeKind::kTcp);
  EXPECT_EQ(p->timing.interval, 2s);
}

TEST(ChooseProbe, LabelNoneMeansRunningEvenWithAHealthCheck) {
  ProbeSources s;
  s.probe_label = "none";
  s.docker_healthcheck = docker_check();
  auto p = choose_probe(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, ProbeKind::kRunning);
}

TEST(ChooseProbe, AnEcsHealthCheckIsRunThroughExec) {
  ProbeSources s;
  s.ecs_health_check = ecs_check();
  s.docker_healthcheck = docker_check();
  auto p = choose_probe(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, ProbeKind::kExec);
  EXPECT_EQ(p->command, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(p->timing.interval, 10s);
}

TEST(ChooseProbe, ADockerHealthCheckAlone) {
  ProbeSources s;
  s.docker_healthcheck = docker_check();
  auto p = choose_probe(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, ProbeKind::kDockerHealth);
  EXPECT_EQ(p->timing.interval, 2s);
}

TEST(ChooseProbe, NothingMeansRunning) {
  auto p = choose_probe(ProbeSources{});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, ProbeKind::kRunning);
  ProbeSources disabled;
  disabled.docker_healthcheck = json{{"Test", {"NONE"}}};
  auto q = choose_probe(disabled);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->kind, ProbeKind::kRunning);
}

TEST(ChooseProbe, BadInputIsAnErrorNotAFallback) {
  ProbeSources bad_label;
  bad_label.probe_label = "http://:80x/";
  EXPECT_FALSE(choose_probe(bad_label));
  ProbeSources bad_ecs;
  bad_ecs.probe_label = "http://:80/";
  bad_ecs.ecs_health_check = json{{"command", {"CMD", "true"}}, {"interval", 1}};
  auto r = choose_probe(bad_ecs);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("healthCheck.interval 1"));
}

TEST(ChooseProbe, FromADockerInspect) {
  const json inspect = json::parse(R"({"Id": "abc", "Config": {
      "Labels": {"berth.probe": "http://:8080/health", "berth.probe.expect": "200", "other": "x"},
      "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5000000000, "Retries": 4}}})");
  const auto s = sources_from_inspect(inspect);
  ASSERT_TRUE(s.probe_label);
  EXPECT_EQ(*s.probe_label, "http://:8080/health");
  EXPECT_EQ(s.expect_label, "200");
  ASSERT_TRUE(s.docker_healthcheck);
  auto p = choose_probe(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, ProbeKind::kHttp);
  EXPECT_EQ(p->expect, (StatusRange{200, 200}));
  EXPECT_EQ(p->timing.interval, 5s);
  EXPECT_EQ(p->timing.retries, 4);
  const auto none = sources_from_inspect(json{{"Id", "abc"}, {"Config", {{"Labels", nullptr}}}});
  EXPECT_FALSE(none.probe_label);
  EXPECT_FALSE(none.docker_healthcheck);
}

TEST(FormatSeconds, ShortAndExact) {
  EXPECT_EQ(format_seconds(36s), "36s");
  EXPECT_EQ(format_seconds(90s), "90s");
  EXPECT_EQ(format_seconds(0ms), "0s");
  EXPECT_EQ(format_seconds(250ms), "250ms");
  EXPECT_EQ(format_seconds(1500ms), "1.5s");
  EXPECT_EQ(format_seconds(1999ms), "2s");
  EXPECT_EQ(format_seconds(12340ms), "12.3s");
}

TEST(ProbeKindText, EveryKind) {
  EXPECT_EQ(to_string(ProbeKind::kHttp), "http");
  EXPECT_EQ(to_string(ProbeKind::kHttps), "https");
  EXPECT_EQ(to_string(ProbeKind::kTcp), "tcp");
  EXPECT_EQ(to_string(ProbeKind::kDockerHealth), "docker_health");
  EXPECT_EQ(to_string(ProbeKind::kExec), "exec");
  EXPECT_EQ(to_string(ProbeKind::kRunning), "running");
}

}  // namespace
}  // namespace berth::health
