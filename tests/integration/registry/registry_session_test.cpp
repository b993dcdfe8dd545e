// The piece under RegistryClient that needs no registry but real child processes: the credential helper
// runner. (URLs and insecure hosts are pure: tests/unit/registry/url_test.cpp.)

#include <gtest/gtest.h>

#include "registry/registry_session.hpp"
#include "registry_fixture.hpp"

namespace berth::registry::testing {
namespace {

using common::ErrorKind;
using namespace std::chrono_literals;

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
