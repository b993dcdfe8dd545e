// AwsClient against the fake AWS endpoint of the test environment (scripts/testenv/fake-aws.py), which
// rebuilds every signature with botocore and answers like AWS: IMDSv2, SSM, Secrets Manager, ECR, S3.

#include <gtest/gtest.h>

#include "aws/client_io.hpp"
#include "common/text.hpp"
#include "http/client.hpp"
#include "registry/url.hpp"
#include "support/async.hpp"
#include "support/test_env.hpp"

#include <nlohmann/json.hpp>

namespace berth::aws {
namespace {

using common::ErrorKind;
using nlohmann::json;
using namespace std::chrono_literals;

class AwsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto base = test::env_value("BERTH_TEST_FAKE_AWS");
    if (!base) {
      if (test::docker_required()) {
        FAIL() << "BERTH_TEST_FAKE_AWS missing (CI): run scripts/test-env";
      }
      GTEST_SKIP() << "no fake AWS endpoint; run scripts/test-env";
    }
    base_ = *base;
    auto url = registry::parse_url(base_);
    ASSERT_TRUE(url);
    control_ =
        std::make_unique<http::Client>(runner_.executor(), http::Endpoint::tcp(url->origin.host, url->origin.port));
    // The environment's variables would win over IMDS.
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"}) {
      unsetenv(name);
    }
  }

  config::AwsSettings settings() const {
    config::AwsSettings s;
    for (const char* service : {"imds", "ecr", "ssm", "secretsmanager", "s3"}) {
      s.endpoints[service] = base_;
    }
    return s;
  }

  http::Response fake(const std::string& method, const std::string& path, const std::string& body = "") {
    auto r = runner_.run(control_->request({method, path, {}, body, "application/json"}));
    EXPECT_TRUE(r) << path;
    return r ? *r : http::Response{};
  }

  // A name no other test run uses.
  std::string unique(const std::string& what) { return "/berth-it/" + test::run_label() + "/" + what; }

  test::AsyncRunner runner_;
  std::string base_;
  std::unique_ptr<http::Client> control_;
};

TEST_F(AwsClientTest, ReadsADecryptedParameterWithTheInstanceRole) {
  const std::string name = unique("db-password");
  ASSERT_EQ(fake("PUT", "/_fake/ssm/" + name, R"({"Type":"SecureString","Value":"s3cr3t value"})").status, 200);
  AwsClient aws(runner_.executor(), settings());
  EXPECT_EQ(runner_.run(aws.region()).value(), test::env_or("BERTH_TEST_FAKE_AWS_REGION", "us-east-1"));
  const auto source = parse_value_from(name).value();
  auto body = runner_.run(aws.call(get_secret_call(source, "")));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(parse_secret_value(source, *body).value(), "s3cr3t value");
  // A second call reuses the credentials and the IMDS session: one round in all.
  ASSERT_TRUE(runner_.run(aws.call(get_secret_call(source, ""))));
  EXPECT_EQ(aws.tally().imds_token, 1);
  EXPECT_EQ(aws.tally().imds_credentials, 1);
  EXPECT_EQ(aws.tally().calls, 2);
}

TEST_F(AwsClientTest, ExpiredCredentialsAreRenewedWithOneImdsRoundAndTheCallSucceeds) {
  const std::string name = unique("token");
  ASSERT_EQ(fake("PUT", "/_fake/ssm/" + name, R"({"Type":"String","Value":"v1"})").status, 200);
  AwsClient aws(runner_.executor(), settings());
  const auto source = parse_value_from(name).value();
  ASSERT_TRUE(runner_.run(aws.call(get_secret_call(source, ""))));
  ASSERT_EQ(fake("POST", "/_fake/expire-credentials").status, 200);
  auto body = runner_.run(aws.call(get_secret_call(source, "")));
  ASSERT_TRUE(body) << body.error().message;
  // This client's own requests (other tests share the fake endpoint): one more credentials request, no
  // new IMDS session token.
  EXPECT_EQ(aws.tally().imds_token, 1);
  EXPECT_EQ(aws.tally().imds_credentials, 2);
  EXPECT_EQ(aws.tally().calls, 3) << "the refused call, then the same call once more";
}

TEST_F(AwsClientTest, ASecretsJsonKeyAndAnS3Object) {
  const std::string name = unique("app");
  auto put = fake("PUT", "/_fake/secrets/" + name, R"({"SecretString":"{\"user\":\"admin\",\"pass\":\"pw\"}"})");
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string arn = json::parse(put.body).at("ARN").get<std::string>();
  AwsClient aws(runner_.executor(), settings());
  const auto source = parse_value_from(arn + ":pass::").value();
  auto body = runner_.run(aws.call(get_secret_call(source, "")));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(parse_secret_value(source, *body).value(), "pw");

  const std::string key = test::run_label() + "/env files/app.env";
  ASSERT_EQ(fake("PUT", "/_fake/s3/berth-it-bucket/" + common::url_encode(test::run_label()) + "/env%20files/app.env",
                 "GREETING=hello\n")
                .status,
            200);
  auto object = runner_.run(aws.get_object("berth-it-bucket", key, ""));
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_EQ(*object, "GREETING=hello\n");
  auto missing = runner_.run(aws.get_object("berth-it-bucket", key + ".nope", ""));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("NoSuchKey"), std::string::npos) << missing.error().message;
}

TEST_F(AwsClientTest, RefusalsNameTheCodeAndNeverTheValue) {
  AwsClient aws(runner_.executor(), settings());
  const auto source = parse_value_from(unique("never-stored")).value();
  auto body = runner_.run(aws.call(get_secret_call(source, "")));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(error_code_of(body.error()), "ParameterNotFound") << body.error().message;
}

TEST_F(AwsClientTest, EcrHandsOutRegistryCredentials) {
  AwsClient aws(runner_.executor(), settings());
  auto body = runner_.run(aws.call(get_authorization_token("")));
  ASSERT_TRUE(body) << body.error().message;
  auto login = parse_authorization_token(*body);
  ASSERT_TRUE(login) << login.error().message;
  EXPECT_EQ(login->username, "AWS");
  EXPECT_FALSE(login->password.empty());
  EXPECT_GT(login->expires_at, std::chrono::system_clock::now() + 1h);
}

TEST_F(AwsClientTest, WithoutImdsAndWithoutKeysTheErrorSaysWhatToDo) {
  auto s = settings();
  s.imds = false;
  s.region = "us-east-1";
  AwsClient aws(runner_.executor(), s);
  auto body = runner_.run(aws.call(get_authorization_token("")));
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(body.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << body.error().message;
}

TEST_F(AwsClientTest, EnvironmentKeysWinOverTheInstanceRole) {
  auto id = test::env_value("BERTH_TEST_FAKE_AWS_STATIC_KEY_ID");
  auto secret = test::env_value("BERTH_TEST_FAKE_AWS_STATIC_SECRET");
  ASSERT_TRUE(id && secret);
  setenv("AWS_ACCESS_KEY_ID", id->c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", secret->c_str(), 1);
  auto s = settings();
  s.region = "us-east-1";
  AwsClient aws(runner_.executor(), s);
  auto body = runner_.run(aws.call(get_authorization_token("")));
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(aws.tally().imds_credentials, 0);
  EXPECT_EQ(aws.tally().imds_token, 0);
}

}  // namespace
}  // namespace berth::aws
