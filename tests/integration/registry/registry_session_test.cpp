// The pieces under RegistryClient that need no registry: URLs, insecure hosts, and the credential helper
// runner (with real child processes).

#include <gtest/gtest.h>

#include "registry/registry_session.hpp"
#include "registry_fixture.hpp"

namespace berth::registry::testing {
namespace {

using common::ErrorKind;
using namespace std::chrono_literals;

TEST(RegistryUrl, Parses) {
  auto u = parse_url("https://auth.docker.io/token?service=registry.docker.io");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->origin, (Origin{true, "auth.docker.io", 443}));
  EXPECT_EQ(u->target, "/token?service=registry.docker.io");
  EXPECT_EQ(u->origin.key(), "https://auth.docker.io");

  auto plain = parse_url("http://127.0.0.1:15000");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->origin, (Origin{false, "127.0.0.1", 15000}));
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->origin.authority(), "127.0.0.1:15000");

  auto v6 = parse_url("HTTPS://[::1]:5000/v2/#frag");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->origin, (Origin{true, "::1", 5000}));
  EXPECT_EQ(v6->target, "/v2/");
  EXPECT_EQ(v6->origin.authority(), "[::1]:5000");

  EXPECT_EQ(parse_url("ftp://x/").error().kind, ErrorKind::kProtocol);
  EXPECT_FALSE(parse_url("https://user@host/"));
  EXPECT_FALSE(parse_url("https://host:99999/"));
  EXPECT_FALSE(parse_url("https://host:/"));
  EXPECT_FALSE(parse_url("https:///path"));
  EXPECT_FALSE(parse_url("https://[::1/"));
}

TEST(RegistryUrl, Redirects) {
  const Origin base{true, "registry.example", 443};
  EXPECT_EQ(resolve_location(base, "/v2/a")->origin, base);
  EXPECT_EQ(resolve_location(base, "/v2/a")->target, "/v2/a");
  EXPECT_EQ(resolve_location(base, "//cdn.example/blob")->origin, (Origin{true, "cdn.example", 443}));
  EXPECT_EQ(resolve_location(base, "http://cdn.example:8080/b")->origin, (Origin{false, "cdn.example", 8080}));
  EXPECT_FALSE(resolve_location(base, ""));
  EXPECT_FALSE(resolve_location(base, "relative/path"));
}

TEST(RegistryUrl, InsecureHostsAreLoopback) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
  EXPECT_FALSE(is_loopback_host("127.0.0"));
  EXPECT_FALSE(is_loopback_host("127.0.0.256"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("registry.local"));
}

class HelperRun : public ::testing::Test {
 protected:
  void SetUp() override {
    old_path_ = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
    ::setenv("PATH", (dir_.path() + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override { ::setenv("PATH", old_path_.c_str(), 1); }

  TempDir dir_;
  std::string old_path_;
};

TEST_F(HelperRun, AnswersWithTheCredential) {
  dir_.write("docker-credential-berthunit",
             "#!/bin/sh\nread -r server || true\n"
             "printf '{\"ServerURL\":\"%s\",\"Username\":\"u\",\"Secret\":\"s3cret\"}' \"$server\"\n",
             0755);
  auto got = run_credential_helper("berthunit", "reg.example:5000", 5s);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->username, "u");
  EXPECT_EQ((*got)->password, "s3cret");
}

TEST_F(HelperRun, NotFoundMeansAnonymous) {
  dir_.write("docker-credential-berthunit", "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n",
             0755);
  auto got = run_credential_helper("berthunit", "reg.example", 5s);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_FALSE(*got);
}

TEST_F(HelperRun, SystemdVariablesStayWithTheAgent) {
  dir_.write("docker-credential-berthunit",
             "#!/bin/sh\nenv | grep -E '^(NOTIFY_SOCKET|WATCHDOG_|LISTEN_)' && exit 3\n"
             "printf '{\"Username\":\"u\",\"Secret\":\"s\"}'\n",
             0755);
  ::setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  ::setenv("LISTEN_FDS", "1", 1);
  auto got = run_credential_helper("berthunit", "reg.example", 5s);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("LISTEN_FDS");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(*got);
}

TEST_F(HelperRun, HangingHelperIsKilledAtTheDeadline) {
  dir_.write("docker-credential-berthunit", "#!/bin/sh\nexec sleep 30\n", 0755);
  const auto start = std::chrono::steady_clock::now();
  auto got = run_credential_helper("berthunit", "reg.example", 300ms);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kTimeout) << got.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(HelperRun, FailureQuotesTheHelperNotTheSecret) {
  dir_.write("docker-credential-berthunit", "#!/bin/sh\necho 'keyring locked'\nexit 4\n", 0755);
  auto got = run_credential_helper("berthunit", "reg.example", 5s);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("docker-credential-berthunit"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("keyring locked"), std::string::npos) << got.error().message;
}

TEST_F(HelperRun, MissingOrOddlyNamedHelper) {
  EXPECT_EQ(run_credential_helper("berth-none", "reg.example", 5s).error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(run_credential_helper("../../bin/sh", "reg.example", 5s).error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace berth::registry::testing
