#include "config/agent_config.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> problems_of(std::string_view text) {
  return load_agent_config(text, "agent.json").problems.lines();
}

TEST(AgentConfig, EmptyFileGivesTheContractDefaults) {
  for (const auto text : {"", "  \n", "{}"}) {
    const auto loaded = load_agent_config(text, "agent.json");
    ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
    const AgentConfig& c = *loaded.value;
    EXPECT_EQ(c.docker.host, "unix:///var/run/docker.sock");
    EXPECT_EQ(c.docker.socket, "/var/run/docker.sock");
    EXPECT_EQ(c.state_dir, "/var/lib/berth");
    EXPECT_EQ(c.services_dir, "/etc/berth/services.d");
    EXPECT_TRUE(c.watch_labeled);
    EXPECT_EQ(c.poll.interval, 5min);
    EXPECT_EQ(c.poll.jitter_percent, 10);
    EXPECT_EQ(c.api.socket, "/run/berth/api.sock");
    EXPECT_FALSE(c.api.listen);
    ASSERT_TRUE(c.api.tls);
    EXPECT_EQ(c.api.tls->cert, "/etc/berth/tls/cert.pem");
    EXPECT_EQ(c.api.tls->key, "/etc/berth/tls/key.pem");
    EXPECT_FALSE(c.api.tls->client_ca);
    EXPECT_EQ(c.api.tokens_file, "/etc/berth/tokens.json");
    EXPECT_TRUE(c.registries.empty());
    EXPECT_EQ(c.docker_config, "/root/.docker/config.json");
    EXPECT_TRUE(c.notify.empty());
    EXPECT_EQ(c.log_level, LogLevel::kInfo);
  }
}

TEST(AgentConfig, TheContractExampleLoads) {
  const auto loaded = load_agent_config(R"({
    "docker":       { "host": "unix:///var/run/docker.sock" },
    "state_dir":    "/var/lib/berth",
    "services_dir": "/etc/berth/services.d",
    "watch_labeled": true,
    "poll":         { "interval": "5m", "jitter": "10%" },
    "api": {
      "socket": "/run/berth/api.sock",
      "listen": null,
      "tls":    { "cert": "/etc/berth/tls/cert.pem", "key": "/etc/berth/tls/key.pem", "client_ca": null },
      "tokens_file": "/etc/berth/tokens.json"
    },
    "registries":    { "registry.example.com": { "username": "ci", "password_file": "/etc/berth/secrets/registry" } },
    "docker_config": "/root/.docker/config.json",
    "notify":        [ { "url": "https://hooks.example.com/T000/B000", "on": ["swapped", "rolled_back", "failed"] } ],
    "log":           { "level": "info" }
  })",
                                        "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  EXPECT_EQ(loaded.value->registries.at("registry.example.com").username, "ci");
  ASSERT_EQ(loaded.value->notify.size(), 1U);
  EXPECT_EQ(loaded.value->notify[0].on,
            (std::vector<NotifyEvent>{NotifyEvent::kSwapped, NotifyEvent::kRolledBack, NotifyEvent::kFailed}));
}

TEST(AgentConfig, EveryKeyIsRead) {
  const auto loaded = load_agent_config(testing::read_fixture("agent/full.json"), "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  const AgentConfig& c = *loaded.value;
  EXPECT_EQ(c.docker.host, "unix:///run/docker.sock");
  EXPECT_EQ(c.docker.socket, "/run/docker.sock");
  EXPECT_EQ(c.state_dir, "/srv/berth/state");
  EXPECT_EQ(c.services_dir, "/srv/berth/services.d");
  EXPECT_FALSE(c.watch_labeled);
  EXPECT_EQ(c.poll.interval, 90s);
  EXPECT_EQ(c.poll.jitter_percent, 25);
  EXPECT_EQ(c.api.socket, "/run/berth/control.sock");
  ASSERT_TRUE(c.api.listen);
  EXPECT_EQ(c.api.listen->host, "0.0.0.0");
  EXPECT_EQ(c.api.listen->port, 8443);
  ASSERT_TRUE(c.api.tls);
  EXPECT_EQ(c.api.tls->cert, "/etc/berth/tls/host.pem");
  EXPECT_EQ(c.api.tls->key, "/etc/berth/tls/host.key");
  EXPECT_EQ(c.api.tls->client_ca, "/etc/berth/tls/ca.pem");
  EXPECT_EQ(c.api.tokens_file, "/srv/berth/tokens.json");
  ASSERT_EQ(c.registries.size(), 3U);
  const auto& reg = c.registries.at("registry.example.com");
  EXPECT_EQ(reg.username, "ci");
  EXPECT_EQ(reg.password_file, "/etc/berth/secrets/registry");
  EXPECT_FALSE(reg.password);
  EXPECT_EQ(c.registries.at("127.0.0.1:5000").ca_file, "/etc/berth/registry-ca.pem");
  EXPECT_FALSE(c.registries.at("127.0.0.1:5000").username);
  EXPECT_EQ(c.registries.at("ghcr.io").password, "inline-token");
  EXPECT_EQ(c.docker_config, "/etc/berth/docker-config.json");
  ASSERT_EQ(c.notify.size(), 2U);
  EXPECT_EQ(c.notify[0].url, "https://hooks.example.com/T000/B000");
  EXPECT_EQ(c.notify[1].url, "http://10.0.0.5:9000/berth");
  EXPECT_EQ(c.notify[1].on, (std::vector<NotifyEvent>{NotifyEvent::kUpdateAvailable, NotifyEvent::kSwapped,
                                                      NotifyEvent::kRolledBack, NotifyEvent::kFailed}));
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
}

TEST(AgentConfig, ReportsEveryProblemOfABrokenFile) {
  const auto loaded = load_agent_config(testing::read_fixture("agent/broken.json"), "agent.json");
  EXPECT_FALSE(loaded.value);
  EXPECT_EQ(
      loaded.problems.lines(),
      (std::vector<std::string>{
          "agent.json: docker.host: \"tcp://10.0.0.1:2375\": berth talks to the Docker Engine over its unix "
          "socket; write \"unix:///var/run/docker.sock\" or another unix:// path",
          "agent.json: state_dir: \"var/lib/berth\" is not an absolute path",
          "agent.json: poll.jitter: \"10\" is not a percentage; write for example \"10%\"",
          "agent.json: poll.intervall: unknown key; did you mean \"interval\"?",
          "agent.json: api.tokens_file: must be a string, not a number",
          "agent.json: api.listen: \"0.0.0.0:8080\" is reachable from other hosts, so it needs TLS; \"tls\": "
          "false is allowed only on a loopback address such as 127.0.0.1",
          "agent.json: registries[\"https://registry.example.com/v2\"]: name the registry by host, without a "
          "scheme or path: \"registry.example.com\"",
          "agent.json: registries[\"https://registry.example.com/v2\"]: username needs a password_file (or "
          "password)",
          "agent.json: notify[0].url: \"ftp://hooks.example.com/x\": notifications go to http:// or https:// URLs",
          "agent.json: notify[0].on[0]: \"swaped\" is not an event (update_available, swapped, rolled_back, "
          "failed); did you mean \"swapped\"?",
          "agent.json: log.level: \"warning\" is not a log level (trace, debug, info, warn, error, critical, "
          "off); did you mean \"warn\"?",
          "agent.json: watch_labled: unknown key; did you mean \"watch_labeled\"?",
      }));
}

TEST(AgentConfig, SyntaxErrorsGiveLineAndColumn) {
  const auto lines = problems_of("{\n  \"poll\": { \"interval\": \"5m\", }\n}\n");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].rfind("agent.json: line 2, column 31: not valid JSON: syntax error while parsing object key - "
                           "unexpected '}'; expected string literal",
                           0),
            0U)
      << lines[0];
}

TEST(AgentConfig, TruncatedFileIsASyntaxError) {
  const auto lines = problems_of("{\"poll\": {");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].rfind("agent.json: line 1, column 11: not valid JSON:", 0), 0U) << lines[0];
}

TEST(AgentConfig, KeysGivenTwice) {
  EXPECT_EQ(problems_of(R"({"poll": {"interval": "1m", "interval": "2m"}, "log": {}, "log": {}})"),
            (std::vector<std::string>{"agent.json: poll.interval: is given twice in the same object",
                                      "agent.json: log: is given twice in the same object"}));
}

TEST(AgentConfig, TopLevelMustBeAnObject) {
  EXPECT_EQ(problems_of("[]"), (std::vector<std::string>{"agent.json: must be an object, not an array"}));
}

TEST(AgentConfig, WrongTypes) {
  EXPECT_EQ(
      problems_of(R"({"watch_labeled": "yes", "poll": "5m", "registries": [], "notify": {}, "log": {"level": 3}})"),
      (std::vector<std::string>{
          "agent.json: watch_labeled: must be true or false, not a string",
          "agent.json: poll: must be an object, not a string",
          "agent.json: registries: must be an object, not an array",
          "agent.json: notify: must be an array, not an object",
          "agent.json: log.level: must be a string, not a number",
      }));
}

TEST(AgentConfig, PollInterval) {
  EXPECT_EQ(problems_of(R"({"poll": {"interval": "30"}})"),
            (std::vector<std::string>{"agent.json: poll.interval: \"30\" has no unit; write for example \"30s\""}));
  EXPECT_EQ(problems_of(R"({"poll": {"interval": "500ms"}})"),
            (std::vector<std::string>{"agent.json: poll.interval: \"500ms\" is too short; poll at most every 1s"}));
  EXPECT_EQ(problems_of(R"({"poll": {"jitter": "150%"}})"),
            (std::vector<std::string>{"agent.json: poll.jitter: \"150%\" is more than 100%"}));
}

TEST(AgentConfig, DockerHost) {
  EXPECT_EQ(
      problems_of(R"({"docker": {"host": "unix://run/docker.sock"}})"),
      (std::vector<std::string>{
          "agent.json: docker.host: \"unix://run/docker.sock\": the socket path after unix:// must be absolute"}));
  EXPECT_EQ(problems_of(R"({"docker": {"host": "unix://"}})"),
            (std::vector<std::string>{"agent.json: docker.host: \"unix://\": the socket path after unix:// is empty"}));
  EXPECT_EQ(problems_of(R"({"docker": {"hots": "unix:///x"}})"),
            (std::vector<std::string>{"agent.json: docker.hots: unknown key; did you mean \"host\"?"}));
}

TEST(AgentConfig, ListenAndTls) {
  auto loaded = load_agent_config(R"({"api": {"listen": "127.0.0.1:8080", "tls": false}})", "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  EXPECT_FALSE(loaded.value->api.tls);
  EXPECT_EQ(loaded.value->api.listen->port, 8080);
  loaded = load_agent_config(R"({"api": {"listen": "[::1]:8080", "tls": false}})", "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  loaded = load_agent_config(R"({"api": {"tls": false}})", "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  EXPECT_FALSE(loaded.value->api.listen);

  EXPECT_EQ(
      problems_of(R"({"api": {"listen": "[::]:8080", "tls": false}})"),
      (std::vector<std::string>{"agent.json: api.listen: \"[::]:8080\" is reachable from other hosts, so it needs "
                                "TLS; \"tls\": false is allowed only on a loopback address such as 127.0.0.1"}));
  EXPECT_EQ(problems_of(R"({"api": {"listen": "8443"}})"),
            (std::vector<std::string>{"agent.json: api.listen: \"8443\" is not host:port (for example "
                                      "\"127.0.0.1:8443\" or \"[::1]:8443\")"}));
  EXPECT_EQ(problems_of(R"({"api": {"listen": "0.0.0.0:70000"}})"),
            (std::vector<std::string>{"agent.json: api.listen: \"0.0.0.0:70000\": \"70000\" is not a port (1-65535)"}));
  EXPECT_EQ(problems_of(R"({"api": {"listen": "berth.example.com:8443"}})"),
            (std::vector<std::string>{"agent.json: api.listen: \"berth.example.com:8443\": listen on an IP address, "
                                      "such as \"0.0.0.0:8443\" or \"127.0.0.1:8080\""}));
  EXPECT_EQ(problems_of(R"({"api": {"tls": true}})"),
            (std::vector<std::string>{"agent.json: api.tls: true is not a TLS setting; give an object with cert and "
                                      "key, or false for plain HTTP on loopback"}));
  EXPECT_EQ(problems_of(R"({"api": {"tls": {"cert": "cert.pem", "client_ca": "", "crt": "/x"}}})"),
            (std::vector<std::string>{"agent.json: api.tls.cert: \"cert.pem\" is not an absolute path",
                                      "agent.json: api.tls.client_ca: must be an absolute path, not empty",
                                      "agent.json: api.tls.crt: unknown key; did you mean \"cert\"?"}));
  EXPECT_EQ(problems_of(R"({"api": {"socket": "api.sock"}})"),
            (std::vector<std::string>{"agent.json: api.socket: \"api.sock\" is not an absolute path"}));
}

TEST(AgentConfig, Registries) {
  EXPECT_EQ(
      problems_of(R"({"registries": {
      "a.example.com": {"username": "u", "password": "p", "password_file": "/p"},
      "b.example.com": {"password_file": "/p"},
      "c.example.com": {"username": "u", "password_file": "p", "ca_file": 1},
      "bad host": {},
      "d.example.com:99999": {},
      "e.example.com": {"user": "u"}
    }})"),
      (std::vector<std::string>{
          "agent.json: registries[\"a.example.com\"].password: give either password or password_file, not both",
          "agent.json: registries[\"b.example.com\"]: a password needs a username",
          "agent.json: registries[\"c.example.com\"].password_file: \"p\" is not an absolute path",
          "agent.json: registries[\"c.example.com\"].ca_file: must be a string, not a number",
          "agent.json: registries[\"bad host\"]: \"bad host\" is not a registry host (\"registry.example.com\" or "
          "\"host:5000\")",
          "agent.json: registries[\"d.example.com:99999\"]: \"d.example.com:99999\" is not a registry host "
          "(\"registry.example.com\" or \"host:5000\")",
          "agent.json: registries[\"e.example.com\"].user: unknown key; did you mean \"username\"?",
      }));
  // ECR behind a name of its own (a VPC endpoint's): "auth": "ecr", and nothing else to log in with.
  EXPECT_EQ(problems_of(R"({"registries": {
      "ecr.internal.example": {"auth": "ecr"},
      "f.example.com": {"auth": "basic"},
      "g.example.com": {"auth": "ecr", "username": "u", "password": "p"}
    }})"),
            (std::vector<std::string>{
                "agent.json: registries[\"f.example.com\"].auth: \"basic\" is not a way to log in: \"ecr\" "
                "(GetAuthorizationToken with the instance role), or leave auth out",
                "agent.json: registries[\"g.example.com\"].auth: \"ecr\" logs in with the instance role: give "
                "either auth or username, not both",
            }));
  auto loaded = load_agent_config(R"({"registries": {"ecr.internal.example": {"auth": "ecr", "ca_file": "/ca.pem"}}})",
                                  "agent.json");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded.value->registries.at("ecr.internal.example").ecr);
  EXPECT_EQ(loaded.value->registries.at("ecr.internal.example").ca_file, "/ca.pem");
}

TEST(AgentConfig, DockerConfigNullTurnsItOff) {
  const auto loaded = load_agent_config(R"({"docker_config": null})", "agent.json");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.value->docker_config);
  EXPECT_EQ(problems_of(R"({"docker_config": "~/.docker/config.json"})"),
            (std::vector<std::string>{"agent.json: docker_config: \"~/.docker/config.json\" is not an absolute path"}));
}

TEST(AgentConfig, Notify) {
  EXPECT_EQ(
      problems_of(
          R"({"notify": [{"on": []}, {"url": "https://x.example.com", "on": "swapped"}, "https://y", {"url": "https:///"}]})"),
      (std::vector<std::string>{
          "agent.json: notify[0]: needs a url",
          "agent.json: notify[0].on: is empty, so nothing would be sent; name events or remove the entry",
          "agent.json: notify[1].on: must be an array, not a string",
          "agent.json: notify[2]: must be an object, not a string",
          "agent.json: notify[3].url: \"https:///\" has no host",
      }));
}

TEST(AgentConfig, LogLevels) {
  for (const auto level : {"trace", "debug", "info", "warn", "error", "critical", "off", "WARN"}) {
    const auto loaded = load_agent_config(std::string(R"({"log": {"level": ")") + level + "\"}}", "agent.json");
    ASSERT_TRUE(loaded.ok()) << level;
  }
  const auto loaded = load_agent_config(R"({"log": {"level": "error"}})", "agent.json");
  EXPECT_EQ(loaded.value->log_level, LogLevel::kError);
  EXPECT_EQ(to_string(LogLevel::kWarn), "warn");
}

TEST(AgentConfig, NotifyEventNames) {
  EXPECT_EQ(parse_notify_event("rolled_back"), NotifyEvent::kRolledBack);
  EXPECT_FALSE(parse_notify_event("rolledback"));
  EXPECT_EQ(to_string(NotifyEvent::kUpdateAvailable), "update_available");
}

TEST(AgentConfig, AwsRegion) {
  const auto loaded = load_agent_config(R"({"aws": {"region": "us-gov-west-1"}})", "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  EXPECT_EQ(loaded.value->aws.region, "us-gov-west-1");
  EXPECT_EQ(problems_of(R"({"aws": {"region": "Ireland"}})"),
            (std::vector<std::string>{
                "agent.json: aws.region: \"Ireland\" is not an AWS region; write for example \"eu-west-1\""}));
}

}  // namespace
}  // namespace berth::config
