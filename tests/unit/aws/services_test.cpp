#include "aws/services.hpp"

#include "common/text.hpp"

#include <gtest/gtest.h>

namespace berth::aws {
namespace {

using nlohmann::json;

std::chrono::system_clock::time_point at(const char* iso) { return *parse_utc_time(iso); }

TEST(AwsRegion, NamesOfRegions) {
  for (const char* good : {"eu-west-1", "cn-north-1", "ap-southeast-4", "eu-central-2", "us-gov-west-1"}) {
    EXPECT_TRUE(is_region(good)) << good;
  }
  for (const char* bad : {"", "eu-west", "eu-west-1a", "EU-WEST-1", "eu--1", "-eu-west-1", "eu-west-1-"}) {
    EXPECT_FALSE(is_region(bad)) << bad;
  }
}

TEST(UtcTime, Iso8601AsAwsWritesIt) {
  EXPECT_EQ(std::chrono::system_clock::to_time_t(at("2015-08-30T12:36:00Z")), 1440938160);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(at("2015-08-30T12:36:00.123Z")), 1440938160);
  for (const char* bad : {"", "2015-08-30 12:36:00Z", "2015-08-30T12:36:00", "2015-13-30T12:36:00Z", "tomorrow"}) {
    EXPECT_FALSE(parse_utc_time(bad).has_value()) << bad;
  }
}

TEST(InstanceCredentials, ReadsWhatImdsAnswers) {
  const auto c = parse_instance_credentials(R"({"Code":"Success","LastUpdated":"2026-12-07T12:00:00Z",
    "Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s3cr3t","Token":"tok",
    "Expiration":"2026-12-07T18:00:00Z"})");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->credentials.access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(c->credentials.session_token, "tok");
  EXPECT_EQ(c->expiration, at("2026-12-07T18:00:00Z"));
  EXPECT_FALSE(needs_renewal(*c, at("2026-12-07T17:55:00Z")));
  EXPECT_TRUE(needs_renewal(*c, at("2026-12-07T17:57:00Z")));
}

TEST(InstanceCredentials, RefusalsNeverShowTheSecret) {
  for (const char* body : {R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"s3cr3t","Token":"t"})",
                           R"({"Code":"Success","SecretAccessKey":"s3cr3t","Expiration":"2026-12-07T18:00:00Z"})",
                           R"({"Code":"Failure","SecretAccessKey":"s3cr3t"})", "s3cr3t", "[]"}) {
    const auto c = parse_instance_credentials(body);
    ASSERT_FALSE(c) << body;
    EXPECT_EQ(c.error().message.find("s3cr3t"), std::string::npos) << c.error().message;
  }
}

TEST(ServiceHost, EachServiceAndPartition) {
  EXPECT_EQ(service_host("ssm", "eu-west-1"), "ssm.eu-west-1.amazonaws.com");
  EXPECT_EQ(service_host("ecr", "us-east-1"), "api.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(service_host("secretsmanager", "cn-north-1"), "secretsmanager.cn-north-1.amazonaws.com.cn");
}

TEST(EcrRegistry, KnowsEcrHosts) {
  EXPECT_EQ(ecr_registry_region("123456789012.dkr.ecr.eu-west-1.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(ecr_registry_region("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"), "us-gov-west-1");
  EXPECT_EQ(ecr_registry_region("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"), "cn-north-1");
  EXPECT_EQ(ecr_registry_region("123456789012.dkr.ecr.us-east-1.amazonaws.com:443"), "us-east-1");
  for (const char* other : {"registry-1.docker.io", "ghcr.io", "12345678901.dkr.ecr.eu-west-1.amazonaws.com",
                            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example", "public.ecr.aws",
                            "123456789012.dkr.ecr.eu-west-1.example.com"}) {
    EXPECT_FALSE(ecr_registry_region(other).has_value()) << other;
  }
}

TEST(S3Arn, BucketAndKey) {
  auto object = parse_s3_arn("arn:aws:s3:::my-bucket/env/prod:v2/app.env");
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_EQ(object->bucket, "my-bucket");
  EXPECT_EQ(object->key, "env/prod:v2/app.env");
  EXPECT_EQ(parse_s3_arn("arn:aws-us-gov:s3:::b.c.d/k")->bucket, "b.c.d");
  for (const char* bad : {"arn:aws:s3:::bucket", "arn:aws:s3:::bucket/", "arn:aws:s3:us-east-1::bucket/k",
                          "arn:aws:ssm:::bucket/k", "s3://bucket/key", "arn:aws:s3:::-bucket/k", "arn:aws:s3:::ab/k"}) {
    EXPECT_FALSE(parse_s3_arn(bad)) << bad;
  }
}

TEST(EcrToken, ReadsUserPasswordAndExpiry) {
  const std::string token = common::base64_encode("AWS:pa:ss");
  const auto login = parse_authorization_token(R"({"authorizationData":[{"authorizationToken":")" + token +
                                               R"(","expiresAt":1765137600.5,"proxyEndpoint":"https://x"}]})");
  ASSERT_TRUE(login) << login.error().message;
  EXPECT_EQ(login->username, "AWS");
  EXPECT_EQ(login->password, "pa:ss");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(login->expires_at), 1765137600);
  EXPECT_FALSE(parse_authorization_token(R"({"authorizationData":[]})"));
  EXPECT_FALSE(parse_authorization_token(R"({"authorizationData":[{"authorizationToken":"bm9jb2xvbg=="}]})"));
}

TEST(ValueFrom, ParameterNamesAndArns) {
  auto p = parse_value_from("/app/db_password");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, SecretSource::Kind::kParameter);
  EXPECT_EQ(p->id, "/app/db_password");
  EXPECT_EQ(p->region, "");
  p = parse_value_from("arn:aws:ssm:eu-west-1:123456789012:parameter/app/db");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->region, "eu-west-1");
  const Call call = get_secret_call(*p, "us-east-1");
  EXPECT_EQ(call.region, "eu-west-1") << "the ARN's region wins";
  EXPECT_EQ(call.target, "AmazonSSM.GetParameter");
  EXPECT_EQ(call.body,
            (json{{"Name", "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"}, {"WithDecryption", true}}));
}

TEST(ValueFrom, SecretsManagerSuffixes) {
  auto s = parse_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->kind, SecretSource::Kind::kSecret);
  EXPECT_EQ(s->id, "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf");
  EXPECT_EQ(s->json_key, "password");
  EXPECT_EQ(get_secret_call(*s, "us-east-1").body, (json{{"SecretId", s->id}}));
  s = parse_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf::AWSPREVIOUS:");
  ASSERT_TRUE(s);
  EXPECT_EQ(get_secret_call(*s, "us-east-1").body, (json{{"SecretId", s->id}, {"VersionStage", "AWSPREVIOUS"}}));
  for (const char* bad :
       {"", "arn:aws:s3:::bucket/key", "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
        "arn:aws:ssm:us-east-1:123456789012:document/x", "arn:aws:ssm:Ireland:123456789012:parameter/x",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:k:AWSCURRENT:v1"}) {
    EXPECT_FALSE(parse_value_from(bad)) << bad;
  }
}

TEST(SecretValue, FromTheAnswer) {
  const auto parameter = *parse_value_from("db");
  EXPECT_EQ(*parse_secret_value(parameter, R"({"Parameter":{"Name":"db","Type":"SecureString","Value":"pw"}})"), "pw");
  const auto whole = *parse_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf");
  const std::string answer = R"({"Name":"db","SecretString":"{\"user\":\"u\",\"port\":5432}"})";
  EXPECT_EQ(*parse_secret_value(whole, answer), R"({"user":"u","port":5432})");
  const auto key = *parse_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:user::");
  EXPECT_EQ(*parse_secret_value(key, answer), "u");
  const auto number = *parse_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:port::");
  EXPECT_EQ(*parse_secret_value(number, answer), "5432");
  const auto missing = *parse_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:pass::");
  const auto refused = parse_secret_value(missing, answer);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message.find("5432"), std::string::npos) << "no value in the message";
}

TEST(CallError, NamesTheCodeAndTheKind) {
  const Call call = get_secret_call(*parse_value_from("db"), "us-east-1");
  auto e = call_error(call, 400, R"({"__type":"ParameterNotFound","message":"Parameter db not found."})");
  EXPECT_EQ(e.kind, common::ErrorKind::kNotFound);
  EXPECT_EQ(error_code_of(e), "ParameterNotFound");
  EXPECT_NE(e.message.find("AmazonSSM.GetParameter in us-east-1"), std::string::npos) << e.message;
  e = call_error(call, 400, R"({"__type":"com.amazon.coral.service#ExpiredTokenException","message":"x"})");
  EXPECT_EQ(e.kind, common::ErrorKind::kUnauthorized);
  EXPECT_TRUE(is_expired_credentials(error_code_of(e)));
  e = call_error(call, 400, R"({"__type":"AccessDeniedException","Message":"no"})");
  EXPECT_EQ(e.kind, common::ErrorKind::kForbidden);
  e = call_error(call, 503, "<html>");
  EXPECT_EQ(e.kind, common::ErrorKind::kUnavailable);
  EXPECT_EQ(error_code_of(e), "");
}

}  // namespace
}  // namespace berth::aws
