#pragma once

// The AWS calls berth makes, pure: the request of each (a JSON 1.1 POST) and what to read from the
// answer, the instance role's credentials as IMDS gives them, and where each service answers. Secret
// values and credentials never appear in an error message.

#include "aws/sigv4.hpp"
#include "common/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth::aws {

// "us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1": lower-case words and a number, by hyphens.
bool is_region(std::string_view region);

// The instance role's credentials from IMDS, or the environment's.
struct TimedCredentials {
  Credentials credentials;
  std::optional<std::chrono::system_clock::time_point> expiration;  // none for long-term keys
};

// The body of GET /latest/meta-data/iam/security-credentials/<role>.
common::Result<TimedCredentials> parse_instance_credentials(std::string_view body);

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, when the first two are set.
std::optional<TimedCredentials> credentials_from_environment();

// Credentials are renewed this long before they expire: EC2 offers new ones at least 5 minutes before
// the old ones expire, so asking earlier would get the same ones back.
inline constexpr std::chrono::minutes kRenewBeforeExpiration{4};
bool needs_renewal(const TimedCredentials& c, std::chrono::system_clock::time_point now);

// "2026-12-07T18:00:00Z" (ISO 8601, UTC, optional fraction of a second).
std::optional<std::chrono::system_clock::time_point> parse_utc_time(std::string_view text);

// "ssm.eu-west-1.amazonaws.com"; "api.ecr.<region>..." for ECR; ".amazonaws.com.cn" in China's regions.
std::string service_host(std::string_view service, std::string_view region);

// One call of a JSON 1.1 API: POST / with X-Amz-Target.
struct Call {
  std::string service;  // the signing name and endpoint: "ecr", "ssm", "secretsmanager"
  std::string region;
  std::string target;  // "AmazonSSM.GetParameter"
  nlohmann::json body;
};

// An error answer: AWS's code ("ParameterNotFound") and message; kind from the status and the code.
common::Error call_error(const Call& call, int status, std::string_view body);

// True for the codes that mean "these credentials are no longer good": get new ones and try once more.
bool is_expired_credentials(std::string_view code);

// The code in an error Error message made by call_error ("... (ParameterNotFound)"), or empty.
std::string error_code_of(const common::Error& e);

// ECR: GetAuthorizationToken, and the registry credentials it holds.
Call get_authorization_token(std::string region);
struct RegistryLogin {
  std::string username;
  std::string password;
  std::chrono::system_clock::time_point expires_at;
};
common::Result<RegistryLogin> parse_authorization_token(std::string_view body);

// ECR's registry hosts: "<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]", with or without a port;
// the region, or nullopt.
std::optional<std::string> ecr_registry_region(std::string_view host);

// A secret's valueFrom in a task definition: an SSM parameter (name or ARN) or a Secrets Manager secret
// (ARN, optionally followed by ":json-key:version-stage:version-id").
struct SecretSource {
  enum class Kind { kParameter, kSecret } kind = Kind::kParameter;
  std::string id;      // the parameter's name or ARN, the secret's ARN (without the suffixes)
  std::string region;  // the ARN's region; empty for a bare parameter name (the agent's region)
  std::string json_key;
  std::string version_stage;
  std::string version_id;
};
common::Result<SecretSource> parse_value_from(std::string_view value_from);

Call get_secret_call(const SecretSource& source, std::string region);
// The value from the answer to get_secret_call: the parameter's value, the secret's string, or the
// member json_key of the secret's JSON.
common::Result<std::string> parse_secret_value(const SecretSource& source, std::string_view body);

// An S3 object as environmentFiles of type s3 name it: "arn:aws:s3:::<bucket>/<key>" (any partition).
struct S3Object {
  std::string bucket;
  std::string key;
};
common::Result<S3Object> parse_s3_arn(std::string_view arn);

}  // namespace berth::aws
