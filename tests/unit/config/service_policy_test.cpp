#include "config/service_policy.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

TEST(ServicePolicy, DefaultsFollowTheContract) {
  const ServicePolicy policy;
  EXPECT_FALSE(policy.enable);
  EXPECT_EQ(policy.probe.kind, ProbeKind::kAuto);
  EXPECT_EQ(policy.expect, (StatusRange{200, 399}));
  EXPECT_EQ(policy.strategy, Strategy::kStopFirst);
  EXPECT_EQ(policy.monitor, 10s);
  EXPECT_FALSE(policy.poll);
  EXPECT_EQ(policy.policy, UpdatePolicy::kAuto);
  EXPECT_FALSE(policy.remove_on_delete);
  EXPECT_EQ(policy.keep_images, 2);
  const auto empty = service_policy_from_labels({}, "container web");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty.value, policy);
}

TEST(ServicePolicy, ProbeForms) {
  EXPECT_EQ(parse_probe("http://:8080/goals").value, (Probe{ProbeKind::kHttp, "127.0.0.1", 8080, "/goals"}));
  EXPECT_EQ(parse_probe("http://10.0.0.5:80").value, (Probe{ProbeKind::kHttp, "10.0.0.5", 80, "/"}));
  EXPECT_EQ(parse_probe("https://[::1]:8443/health?deep=1").value,
            (Probe{ProbeKind::kHttps, "::1", 8443, "/health?deep=1"}));
  EXPECT_EQ(parse_probe("tcp://:5432").value, (Probe{ProbeKind::kTcp, "127.0.0.1", 5432, "/"}));
  EXPECT_EQ(parse_probe("tcp://db.local:5432/").value, (Probe{ProbeKind::kTcp, "db.local", 5432, "/"}));
  EXPECT_EQ(parse_probe("none").value->kind, ProbeKind::kNone);

  EXPECT_EQ(parse_probe("/health").error,
            "\"/health\" is not a probe; write http://[host]:PORT/PATH, https://[host]:PORT/PATH, tcp://[host]:PORT or "
            "none");
  EXPECT_EQ(parse_probe("udp://:53").error,
            "\"udp://:53\": unknown probe scheme \"udp\"; write http://[host]:PORT/PATH, https://[host]:PORT/PATH, "
            "tcp://[host]:PORT or none");
  EXPECT_EQ(parse_probe("tcp://:5432/x").error, "\"tcp://:5432/x\": a tcp probe has no path");
  EXPECT_EQ(parse_probe("http://:99999/").error, "\"http://:99999/\": \"99999\" is not a port (1-65535)");
  EXPECT_EQ(parse_probe("http://:8080?x").value->path, "/?x");
}

TEST(ServicePolicy, ProbeText) {
  EXPECT_EQ(parse_probe("http://:8080/goals").value->to_string(), "http://127.0.0.1:8080/goals");
  EXPECT_EQ(parse_probe("https://[::1]:8443/").value->to_string(), "https://[::1]:8443/");
  EXPECT_EQ(parse_probe("tcp://:5432").value->to_string(), "tcp://127.0.0.1:5432");
  EXPECT_EQ(parse_probe("none").value->to_string(), "none");
  EXPECT_EQ(Probe{}.to_string(), "");
}

TEST(ServicePolicy, StatusRanges) {
  EXPECT_EQ(parse_status_range("200-399").value, (StatusRange{200, 399}));
  EXPECT_EQ(parse_status_range("204").value, (StatusRange{204, 204}));
  EXPECT_TRUE(parse_status_range("200-299").value->contains(204));
  EXPECT_FALSE(parse_status_range("200-299").value->contains(301));
  EXPECT_EQ(parse_status_range("399-200").error, "\"399-200\": the range starts after it ends");
  EXPECT_EQ(parse_status_range("2xx").error,
            "\"2xx\" is not a status range; write for example \"200-399\" or \"204\" (codes 100-599)");
  EXPECT_FALSE(parse_status_range("600").value);
  EXPECT_FALSE(parse_status_range("200-").value);
}

TEST(ServicePolicy, HandStartedContainerLabels) {
  const auto result = service_policy_from_labels({{"berth.enable", "true"},
                                                  {"berth.probe", "http://:3000/health"},
                                                  {"berth.probe.expect", "200-204"},
                                                  {"berth.strategy", "start-first"},
                                                  {"berth.monitor", "1m"},
                                                  {"berth.poll", "30s"},
                                                  {"berth.policy", "notify"},
                                                  {"berth.remove-on-delete", "TRUE"},
                                                  {"berth.service", "web"},
                                                  {"berth.spec-hash", "abc"},
                                                  {"maintainer", "someone"}},
                                                 "container web");
  ASSERT_TRUE(result.ok()) << result.problems.to_string();
  const ServicePolicy& p = *result.value;
  EXPECT_TRUE(p.enable);
  EXPECT_EQ(p.probe, (Probe{ProbeKind::kHttp, "127.0.0.1", 3000, "/health"}));
  EXPECT_EQ(p.expect, (StatusRange{200, 204}));
  EXPECT_EQ(p.strategy, Strategy::kStartFirst);
  EXPECT_EQ(p.monitor, 1min);
  EXPECT_EQ(p.poll, std::chrono::milliseconds(30s));
  EXPECT_EQ(p.policy, UpdatePolicy::kNotify);
  EXPECT_TRUE(p.remove_on_delete);
}

TEST(ServicePolicy, HandStartedContainerProblems) {
  const auto result = service_policy_from_labels({{"berth.enable", "yes"},
                                                  {"berth.probe", "http://:3000"},
                                                  {"berth.strategy", "rolling"},
                                                  {"berth.monitor", "-1s"},
                                                  {"berth.pol", "auto"}},
                                                 "container web");
  EXPECT_FALSE(result.value);
  EXPECT_EQ(result.problems.lines(),
            (Lines{"container web: Labels[\"berth.enable\"]: \"yes\" is not true or false",
                   "container web: Labels[\"berth.monitor\"]: \"-1s\" is negative; durations are zero or more",
                   "container web: Labels[\"berth.pol\"]: unknown berth label; did you mean \"berth.poll\"?",
                   "container web: Labels[\"berth.strategy\"]: \"rolling\" is not a strategy; use stop-first or "
                   "start-first"}));
}

TEST(ServicePolicy, EnumText) {
  EXPECT_EQ(to_string(Strategy::kStartFirst), "start-first");
  EXPECT_EQ(to_string(Strategy::kStopFirst), "stop-first");
  EXPECT_EQ(to_string(UpdatePolicy::kManual), "manual");
  EXPECT_EQ(to_string(UpdatePolicy::kNotify), "notify");
  EXPECT_EQ(to_string(UpdatePolicy::kAuto), "auto");
}

TEST(ServicePolicy, KeepImagesIsAPositiveCount) {
  const auto three = service_policy_from_labels({{"berth.keep-images", "3"}}, "container web");
  ASSERT_TRUE(three.ok()) << three.problems.to_string();
  EXPECT_EQ(three.value->keep_images, 3);
  for (const char* bad : {"0", "-1", "two", "", "1000", "2.5"}) {
    const auto result = service_policy_from_labels({{"berth.keep-images", bad}}, "container web");
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_NE(result.problems.to_string().find("container web: Labels[\"berth.keep-images\"]: "), std::string::npos)
        << result.problems.to_string();
  }
}

}  // namespace
}  // namespace berth::config
