// Authentication against the real registries: anonymous tokens, refused access, an expiring token, wrong
// passwords, credentials from agent.json, a docker config.json and a credential helper, and the CA.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "aws/client_io.hpp"
#include "common/text.hpp"
#include "registry/client.hpp"
#include "registry_fixture.hpp"
#include "support/async.hpp"
#include "support/test_env.hpp"

namespace berth::registry::testing {
namespace {

using common::ErrorKind;
using namespace std::chrono_literals;

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class AuthTest : public ::testing::Test {
 protected:
  void require(Kind kind) {
    std::string missing;
    auto found = find_target(kind, missing);
    if (!found) {
      if (berth::test::docker_required()) {
        FAIL() << "test environment key " << missing << " missing (CI): run scripts/test-env";
      }
      GTEST_SKIP() << "test environment key " << missing << " missing; run scripts/test-env";
    }
    target_ = *found;
    admin_ = std::make_unique<RegistryAdmin>(runner_, target_);
  }

  void TearDown() override {
    if (admin_) {
      for (const auto& [repo, digest] : pushed_) {
        admin_->remove(repo, digest);
      }
    }
  }

  // v1 copied into a repository of this test run: `public/rt-<label>`, `private/rt-<label>` (token) or
  // `berth-rt/<label>` (basic); returns the reference to check.
  ImageReference image(const std::string& visibility, const std::string& tag) {
    const bool token = target_.kind == Kind::kToken;
    const std::string repo =
        token ? visibility + "/rt-" + berth::test::run_label() : "berth-rt/" + berth::test::run_label();
    const std::string from = token ? visibility + "/web" : target_.source_repo;
    auto copied = admin_->copy_image(from, "v1", repo, tag);
    EXPECT_TRUE(copied) << copied.error().message;
    if (copied) {
      v1_digest_ = copied->digest;
      pushed_.emplace_back(repo, copied->digest);
    }
    return *parse_reference(target_.host + "/" + repo + ":" + tag);
  }

  RegistryClientSettings with_user(const std::string& user, const std::string& password) const {
    auto s = test_settings();
    config::RegistrySettings creds;
    creds.username = user;
    creds.password = password;
    s.registries[target_.host] = creds;
    return s;
  }

  std::string password() const { return target_.password; }

  berth::test::AsyncRunner runner_;
  Target target_;
  std::unique_ptr<RegistryAdmin> admin_;
  std::vector<std::pair<std::string, std::string>> pushed_;
  std::string v1_digest_;
};

TEST_F(AuthTest, AnonymousTokenForAPublicRepository) {
  require(Kind::kToken);
  const auto ref = image("public", "anonymous");
  const int before = logged_token_requests(ref.pull_scope(), "-");
  RegistryClient client(runner_.executor(), test_settings());
  auto got = runner_.run(client.check(ref));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->tag_digest, v1_digest_);
  EXPECT_EQ(got->token_requests, 1);
  EXPECT_EQ(settled([&] { return logged_token_requests(ref.pull_scope(), "-"); }, before + 1), before + 1)
      << "one anonymous token request with scope " << ref.pull_scope();
  auto header = runner_.run(client.registry_auth(ref));
  ASSERT_TRUE(header);
  EXPECT_EQ(*header, "") << "anonymous pulls carry no X-Registry-Auth";
}

TEST_F(AuthTest, PrivateRepositoryWithoutCredentialsIsUnauthorized) {
  require(Kind::kToken);
  const auto ref = image("private", "refused");
  RegistryClient client(runner_.executor(), test_settings());
  auto got = runner_.run(client.check(ref));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized) << got.error().message;
  EXPECT_EQ(got.error().http_status, 401);
  EXPECT_NE(got.error().message.find("registry " + target_.host + " refused anonymous access"), std::string::npos)
      << got.error().message;
  EXPECT_FALSE(client.backoff_until(target_.host)) << "a refusal is not a failing registry";
}

TEST_F(AuthTest, ExpiredTokenIsRefreshedExactlyOnce) {
  require(Kind::kToken);
  const auto ref = image("private", "refresh");
  const std::string user = berth::test::env_or("BERTH_TEST_TOKEN_SHORT_USER", "short");
  RegistryClient client(runner_.executor(), with_user(user, password()));
  auto first = runner_.run(client.check(ref));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->token_requests, 1);
  std::this_thread::sleep_for(3500ms);  // the registry refuses this user's tokens after 3 s

  const int tokens_before = settled([&] { return logged_token_requests(ref.pull_scope(), user); }, 1);
  const std::string uri = "/v2/" + ref.repository + "/manifests/refresh";
  const int requests_before = logged_requests(target_.log, uri);
  auto second = runner_.run(client.check(ref));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->tag_digest, v1_digest_);
  EXPECT_EQ(second->token_requests, 1);
  EXPECT_EQ(second->requests_made, 2) << "the refused HEAD and the HEAD with the new token";
  EXPECT_EQ(settled([&] { return logged_token_requests(ref.pull_scope(), user); }, tokens_before + 1),
            tokens_before + 1);
  EXPECT_EQ(settled([&] { return logged_requests(target_.log, uri); }, requests_before + 2), requests_before + 2);

  auto third = runner_.run(client.check(ref));
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(third->requests_made, 1);
  EXPECT_EQ(third->token_requests, 0);
}

// "auth": "ecr" in agent.json: the login comes from ECR's GetAuthorizationToken with the instance role (the
// fake AWS endpoint, whose passwords the token server takes for user AWS), once; warm checks are one HEAD.
// Explicit credentials win over the instance role for an ECR name.
TEST_F(AuthTest, EcrLoginWithTheInstanceRole) {
  require(Kind::kToken);
  BERTH_REQUIRE_ENV(fake_aws, "BERTH_TEST_FAKE_AWS");
  const auto ref = image("private", "ecr");
  config::AwsSettings aws_settings;
  for (const char* service : {"imds", "ecr"}) {
    aws_settings.endpoints[service] = fake_aws;
  }
  aws::AwsClient aws(runner_.executor(), aws_settings);
  auto settings = test_settings();
  settings.registries[target_.host].ecr = true;
  settings.aws = &aws;
  RegistryClient client(runner_.executor(), settings);
  auto first = runner_.run(client.check(ref));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->tag_digest, v1_digest_);
  EXPECT_EQ(aws.tally().calls_by_service.at("ecr"), 1);
  auto warm = runner_.run(client.check(ref));
  ASSERT_TRUE(warm) << warm.error().message;
  EXPECT_EQ(warm->requests_made, 1);
  EXPECT_EQ(warm->token_requests, 0);
  auto header = runner_.run(client.registry_auth(ref));
  ASSERT_TRUE(header) << header.error().message;
  std::string standard = *header;  // base64url, as Docker reads it
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  const auto decoded = common::base64_decode(standard);
  ASSERT_TRUE(decoded);
  EXPECT_NE(decoded->find(R"("username":"AWS")"), std::string::npos) << "the login Docker pulls with";
  EXPECT_EQ(aws.tally().calls_by_service.at("ecr"), 1) << "one login for the checks and the pull";

  // The same registry with a user in agent.json and no "auth": no AWS request.
  aws::AwsClient unused(runner_.executor(), aws_settings);
  auto explicit_settings = with_user(target_.user, password());
  explicit_settings.aws = &unused;
  RegistryClient with_user_client(runner_.executor(), explicit_settings);
  ASSERT_TRUE(runner_.run(with_user_client.check(ref)));
  EXPECT_EQ(unused.tally().calls, 0);
}

TEST_F(AuthTest, WrongPasswordAtTheTokenServerIsAClearError) {
  require(Kind::kToken);
  const auto ref = image("private", "wrong");
  RegistryClient client(runner_.executor(), with_user(target_.user, "not-the-password"));
  auto got = runner_.run(client.check(ref));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized) << got.error().message;
  EXPECT_NE(got.error().message.find("registry " + target_.host), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("user \"" + target_.user + "\""), std::string::npos) << got.error().message;
  EXPECT_EQ(got.error().message.find("not-the-password"), std::string::npos) << "never a secret in an error";
}

TEST_F(AuthTest, WrongPasswordAtABasicRegistryIsAClearError) {
  require(Kind::kBasic);
  const auto ref = image("", "wrong");
  RegistryClient client(runner_.executor(), with_user(target_.user, "not-the-password"));
  auto got = runner_.run(client.check(ref));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized) << got.error().message;
  EXPECT_NE(got.error().message.find("registry " + target_.host + " refused the credentials of user \"" + target_.user +
                                     "\" (from agent.json)"),
            std::string::npos)
      << got.error().message;
  EXPECT_EQ(got.error().message.find("not-the-password"), std::string::npos);
}

TEST_F(AuthTest, BasicRegistryWithoutCredentials) {
  require(Kind::kBasic);
  const auto ref = image("", "nobody");
  RegistryClient client(runner_.executor(), test_settings());
  auto got = runner_.run(client.check(ref));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(got.error().message.find("requires credentials"), std::string::npos) << got.error().message;
}

TEST_F(AuthTest, PasswordFileAndCaFileFromAgentJson) {
  require(Kind::kBasic);
  const auto ref = image("", "files");
  TempDir dir;
  auto settings = test_settings();
  settings.certs_dir.clear();  // only agent.json's ca_file vouches for the registry
  config::RegistrySettings entry;
  entry.username = target_.user;
  entry.password_file = dir.write("password", password() + "\n");
  entry.ca_file = berth::test::env_or("BERTH_TEST_CA", "");
  settings.registries[target_.host] = entry;
  RegistryClient client(runner_.executor(), settings);
  auto got = runner_.run(client.check(ref));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->tag_digest, v1_digest_);
}

TEST_F(AuthTest, UntrustedCertificateIsRefused) {
  require(Kind::kBasic);
  const auto ref = image("", "untrusted");
  auto settings = with_user(target_.user, password());
  settings.certs_dir.clear();
  RegistryClient client(runner_.executor(), settings);
  auto got = runner_.run(client.check(ref));
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("certificate verify failed"), std::string::npos) << got.error().message;
}

TEST_F(AuthTest, DockerConfigAuths) {
  require(Kind::kToken);
  const auto ref = image("private", "config-auths");
  TempDir dir;
  const std::string auth = common::base64_encode(target_.user + ":" + password());
  auto settings = test_settings();
  settings.docker_config =
      dir.write("config.json", R"({"auths":{")" + target_.host + R"(":{"auth":")" + auth + R"("}}})");
  RegistryClient client(runner_.executor(), settings);
  auto got = runner_.run(client.check(ref));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->tag_digest, v1_digest_);
}

TEST_F(AuthTest, DockerConfigOfTheTestEnvironment) {
  require(Kind::kBasic);
  const auto ref = image("", "env-config");
  auto settings = test_settings();
  settings.docker_config = berth::test::env_or("BERTH_TEST_DOCKER_CONFIG", "") + "/config.json";
  RegistryClient client(runner_.executor(), settings);
  auto got = runner_.run(client.check(ref));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->tag_digest, v1_digest_);
}

// docker-credential-berthtest: answers for one server, counts its runs, and refuses to work when it sees the
// agent's systemd variables.
std::string helper_script(const std::string& server, const std::string& user, const std::string& secret) {
  return "#!/bin/sh\n"
         "echo run >> \"$(dirname \"$0\")/runs\"\n"
         "if [ -n \"$NOTIFY_SOCKET\" ] || [ -n \"$WATCHDOG_USEC\" ] || [ -n \"$LISTEN_FDS\" ]; then\n"
         "  echo 'systemd variables leaked to the helper'; exit 3\n"
         "fi\n"
         "[ \"$1\" = get ] || { echo \"unexpected action $1\"; exit 2; }\n"
         "server=$(cat)\n"
         "if [ \"$server\" = '" +
         server +
         "' ]; then\n"
         "  printf '{\"ServerURL\":\"%s\",\"Username\":\"" +
         user + "\",\"Secret\":\"" + secret +
         "\"}' \"$server\"\n"
         "else\n"
         "  echo 'credentials not found in native keychain'; exit 1\n"
         "fi\n";
}

int runs(const TempDir& dir) {
  std::ifstream in(dir.path() + "/runs");
  return static_cast<int>(std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

TEST_F(AuthTest, CredentialHelper) {
  require(Kind::kToken);
  const auto ref = image("private", "helper");
  TempDir dir;
  dir.write("docker-credential-berthtest", helper_script(target_.host, target_.user, password()), 0755);
  ScopedEnv path("PATH", dir.path() + ":" + berth::test::env_or("PATH", "/usr/bin:/bin"));
  ScopedEnv notify("NOTIFY_SOCKET", "/run/systemd/notify");
  ScopedEnv watchdog("WATCHDOG_USEC", "30000000");
  auto settings = test_settings();
  settings.docker_config = dir.write("config.json", R"({"credHelpers":{")" + target_.host + R"(":"berthtest"}})");
  RegistryClient client(runner_.executor(), settings);
  auto got = runner_.run(client.check(ref));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->tag_digest, v1_digest_);
  auto again = runner_.run(client.check(ref));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->requests_made, 1);
  EXPECT_EQ(runs(dir), 1) << "credentials are kept between checks";
  auto header = runner_.run(client.registry_auth(ref));
  ASSERT_TRUE(header);
  EXPECT_FALSE(header->empty());
}

TEST_F(AuthTest, CredentialHelperWithoutCredentialsMeansAnonymous) {
  require(Kind::kToken);
  const auto pub = image("public", "helper-anonymous");
  const auto priv = image("private", "helper-anonymous");
  TempDir dir;
  dir.write("docker-credential-berthtest", helper_script("some-other-registry.example", "x", "y"), 0755);
  ScopedEnv path("PATH", dir.path() + ":" + berth::test::env_or("PATH", "/usr/bin:/bin"));
  auto settings = test_settings();
  settings.docker_config = dir.write("config.json", R"({"credsStore":"berthtest"})");
  RegistryClient client(runner_.executor(), settings);
  auto got = runner_.run(client.check(pub));
  ASSERT_TRUE(got) << got.error().message;
  auto refused = runner_.run(client.check(priv));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(refused.error().message.find("anonymous"), std::string::npos) << refused.error().message;
}

TEST_F(AuthTest, MissingCredentialHelperIsAnError) {
  require(Kind::kToken);
  const auto ref = image("public", "no-helper");
  TempDir dir;
  ScopedEnv path("PATH", dir.path());
  auto settings = test_settings();
  settings.docker_config = dir.write("config.json", R"({"credsStore":"berth-no-such-helper"})");
  RegistryClient client(runner_.executor(), settings);
  auto got = runner_.run(client.check(ref));
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("docker-credential-berth-no-such-helper"), std::string::npos)
      << got.error().message;
}

}  // namespace
}  // namespace berth::registry::testing
