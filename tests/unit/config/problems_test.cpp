#include "config/problems.hpp"
#include "config/address.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

TEST(Problems, PrintsFilePathAndMessage) {
  Problems problems;
  problems.add("services.d/web.json", "containerDefinitions[0].portMappings[1].hostPort", "70000 is not a port");
  problems.add("agent.json", "", "line 1, column 1: not valid JSON");
  EXPECT_EQ(problems.to_string(),
            "services.d/web.json: containerDefinitions[0].portMappings[1].hostPort: 70000 is not a port\n"
            "agent.json: line 1, column 1: not valid JSON\n");
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_EQ(problems[0].to_string(),
            "services.d/web.json: containerDefinitions[0].portMappings[1].hostPort: 70000 is not a port");
}

TEST(Problems, AppendKeepsOrder) {
  Problems a;
  a.add("a.json", "x", "one");
  Problems b;
  b.add("b.json", "y", "two");
  a.append(b);
  EXPECT_EQ(a.lines(), (std::vector<std::string>{"a.json: x: one", "b.json: y: two"}));
}

TEST(JsonPath, BuildsKeysAndIndexes) {
  EXPECT_EQ(json_path_key("", "family"), "family");
  EXPECT_EQ(json_path_key("poll", "interval"), "poll.interval");
  EXPECT_EQ(json_path_index("containerDefinitions", 0), "containerDefinitions[0]");
  EXPECT_EQ(json_path_key(json_path_index("containerDefinitions", 2), "portMappings"),
            "containerDefinitions[2].portMappings");
  EXPECT_EQ(json_path_key("containerDefinitions[0].dockerLabels", "berth.probe"),
            "containerDefinitions[0].dockerLabels[\"berth.probe\"]");
  EXPECT_EQ(json_path_key("registries", "registry.example.com"), "registries[\"registry.example.com\"]");
  EXPECT_EQ(json_path_key("", "a\"b"), "[\"a\\\"b\"]");
  EXPECT_EQ(json_path_key("x", ""), "x[\"\"]");
}

TEST(DisplayPath, IsRelativeInsideTheConfigDir) {
  EXPECT_EQ(display_path("/etc/berth/services.d/web.json", "/etc/berth"), "services.d/web.json");
  EXPECT_EQ(display_path("/etc/berth/agent.json", "/etc/berth/"), "agent.json");
  EXPECT_EQ(display_path("/srv/services/web.json", "/etc/berth"), "/srv/services/web.json");
  EXPECT_EQ(display_path("/etc/berthx/web.json", "/etc/berth"), "/etc/berthx/web.json");
  EXPECT_EQ(display_path("/etc/berth", "/etc/berth"), "/etc/berth");
  EXPECT_EQ(display_path("/web.json", "/"), "web.json");
  EXPECT_EQ(display_path("web.json", ""), "web.json");
}

TEST(Address, RecognisesHostsAndLoopback) {
  EXPECT_TRUE(is_ipv4("10.0.0.1"));
  EXPECT_FALSE(is_ipv4("10.0.0.256"));
  EXPECT_TRUE(is_ipv6("::1"));
  EXPECT_TRUE(is_hostname("registry.example.com"));
  EXPECT_FALSE(is_hostname("-bad.example.com"));
  EXPECT_FALSE(is_hostname("a..b"));
  EXPECT_FALSE(is_hostname("a b"));
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.1.2.3"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_TRUE(is_loopback("localhost"));
  EXPECT_FALSE(is_loopback("0.0.0.0"));
  EXPECT_FALSE(is_loopback("::"));
  EXPECT_FALSE(is_loopback("10.0.0.1"));
}

TEST(Address, ParsesHostPort) {
  std::string error;
  auto hp = parse_host_port("127.0.0.1:8443", HostRequired::kYes, error);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 8443);
  hp = parse_host_port("[::1]:8443", HostRequired::kYes, error);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  hp = parse_host_port(":8080", HostRequired::kNo, error);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "");
  EXPECT_FALSE(parse_host_port(":8080", HostRequired::kYes, error));
  EXPECT_FALSE(parse_host_port("127.0.0.1", HostRequired::kYes, error));
  EXPECT_EQ(error, "\"127.0.0.1\" is not host:port (for example \"127.0.0.1:8443\" or \"[::1]:8443\")");
  EXPECT_FALSE(parse_host_port("127.0.0.1:70000", HostRequired::kYes, error));
  EXPECT_EQ(error, "\"127.0.0.1:70000\": \"70000\" is not a port (1-65535)");
  EXPECT_FALSE(parse_host_port("::1:80", HostRequired::kYes, error));
  EXPECT_EQ(error, "\"::1:80\": \"::1\" is not a host name or IP address (write IPv6 addresses in brackets)");
}

TEST(Address, ParsesUrls) {
  std::string error;
  auto url = parse_url("https://hooks.example.com:8443/T000/B000?x=1", HostRequired::kYes, error);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "hooks.example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/T000/B000?x=1");
  url = parse_url("http://:8080/goals", HostRequired::kNo, error);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "");
  EXPECT_EQ(url->port, 8080);
  url = parse_url("HTTP://[::1]/", HostRequired::kYes, error);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "::1");
  EXPECT_FALSE(url->port);
  EXPECT_FALSE(parse_url("hooks.example.com/x", HostRequired::kYes, error));
  EXPECT_EQ(error, "\"hooks.example.com/x\" is not a URL (scheme://host[:port]/path)");
  EXPECT_FALSE(parse_url("http:///x", HostRequired::kYes, error));
  EXPECT_EQ(error, "\"http:///x\" has no host");
  EXPECT_FALSE(parse_url("http://a b/", HostRequired::kYes, error));
  EXPECT_EQ(error, "\"http://a b/\" contains whitespace");
  EXPECT_FALSE(parse_url("http://u:p@host/", HostRequired::kYes, error));
  EXPECT_FALSE(parse_url("http://host:0/", HostRequired::kYes, error));
  EXPECT_EQ(error, "\"http://host:0/\": \"0\" is not a port (1-65535)");
}

TEST(Address, AbsolutePaths) {
  EXPECT_EQ(absolute_path_problem("/var/lib/berth"), "");
  EXPECT_EQ(absolute_path_problem("var/lib"), "\"var/lib\" is not an absolute path");
  EXPECT_EQ(absolute_path_problem(""), "must be an absolute path, not empty");
}

}  // namespace
}  // namespace berth::config
