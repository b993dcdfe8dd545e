#include "cli/command_line.hpp"

#include <gtest/gtest.h>

#include <initializer_list>

namespace berth::cli {
namespace {

common::Result<CommandLine> parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"berth"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(CommandLineTest, ClientOptions) {
  auto cl = parse({"status", "web", "--url", "https://h:8443", "--token-file=/t", "--cacert", "/ca", "--json"});
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(cl->command, "status");
  EXPECT_EQ(cl->service, "web");
  EXPECT_EQ(cl->client.url, "https://h:8443");
  EXPECT_EQ(cl->client.token_file, "/t");
  EXPECT_EQ(cl->client.cacert, "/ca");
  EXPECT_TRUE(cl->client.json);
  auto defaults = parse({"status"});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->client.url, "unix:///run/berth/api.sock");
  EXPECT_FALSE(defaults->service);
}

TEST(CommandLineTest, Update) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  auto one = parse({"update", "web", "--digest", digest.c_str(), "--wait"});
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->digest, digest);
  EXPECT_TRUE(one->wait);
  auto all = parse({"update", "--all"});
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->all);
  EXPECT_FALSE(parse({"update"}));
  EXPECT_FALSE(parse({"update", "web", "--all"}));
  EXPECT_FALSE(parse({"update", "--all", "--digest", digest.c_str()}));
  EXPECT_FALSE(parse({"update", "web", "--digest", "latest"}));
  EXPECT_FALSE(parse({"update", "web", "api"}));
  auto in_window = parse({"update", "web", "--in-window"});
  ASSERT_TRUE(in_window) << in_window.error().message;
  EXPECT_TRUE(in_window->in_window);
  EXPECT_TRUE(parse({"update", "--all", "--in-window"}));
  EXPECT_FALSE(parse({"update", "web", "--in-window", "--digest", digest.c_str()}));
  EXPECT_FALSE(parse({"rollback", "web", "--in-window"}));
}

TEST(CommandLineTest, UsageErrors) {
  EXPECT_FALSE(parse({}));
  EXPECT_FALSE(parse({"launch"}));
  EXPECT_FALSE(parse({"status", "--bogus"}));
  EXPECT_FALSE(parse({"status", "--url"}));
  EXPECT_FALSE(parse({"status", "--json=yes"}));
  EXPECT_FALSE(parse({"history", "--wait"}));
  EXPECT_FALSE(parse({"rollback"}));
  EXPECT_TRUE(parse({"rollback", "web", "--wait"}));
  auto help = parse({"status", "--help"});
  ASSERT_FALSE(help);
  EXPECT_TRUE(help.error().message.empty());
}

TEST(CommandLineTest, Token) {
  auto create = parse({"token", "create", "--name", "ci", "--scope", "deploy", "--config", "/c.json"});
  ASSERT_TRUE(create) << create.error().message;
  EXPECT_EQ(create->token_action, "create");
  EXPECT_EQ(create->token_name, "ci");
  EXPECT_EQ(create->token_scope, "deploy");
  EXPECT_EQ(create->config_path, "/c.json");
  auto revoke = parse({"token", "revoke", "ci"});
  ASSERT_TRUE(revoke);
  EXPECT_EQ(revoke->token_name, "ci");
  EXPECT_TRUE(parse({"token", "list", "--json"}));
  EXPECT_FALSE(parse({"token"}));
  EXPECT_FALSE(parse({"token", "create", "--name", "ci"}));
  EXPECT_FALSE(parse({"token", "revoke"}));
  EXPECT_FALSE(parse({"token", "list", "--url", "https://x"}));
  EXPECT_FALSE(parse({"token", "rotate"}));
  auto add = parse({"token", "add", "--name", "fleet", "--scope", "deploy", "--sha256", "ab12"});
  ASSERT_TRUE(add) << add.error().message;
  EXPECT_EQ(add->token_action, "add");
  EXPECT_EQ(add->token_sha256, "ab12");
  EXPECT_FALSE(parse({"token", "add", "--name", "fleet", "--scope", "deploy"}));
  EXPECT_FALSE(parse({"token", "create", "--name", "ci", "--scope", "deploy", "--sha256", "ab12"}));
  EXPECT_FALSE(parse({"status", "--sha256", "ab12"}));
}

TEST(CommandLineTest, AgentUrls) {
  auto unix_url = parse_agent_url("unix:///run/berth/api.sock");
  ASSERT_TRUE(unix_url);
  EXPECT_EQ(unix_url->kind, AgentUrl::Kind::kUnixSocket);
  EXPECT_EQ(unix_url->host, "/run/berth/api.sock");
  auto https = parse_agent_url("https://host.example");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->kind, AgentUrl::Kind::kHttps);
  EXPECT_EQ(https->port, 8443);
  auto http = parse_agent_url("http://127.0.0.1:9000/");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->port, 9000);
  EXPECT_FALSE(parse_agent_url("unix://relative"));
  EXPECT_FALSE(parse_agent_url("ftp://x"));
  EXPECT_FALSE(parse_agent_url("https://h/v1"));
}

}  // namespace
}  // namespace berth::cli
