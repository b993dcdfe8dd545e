#pragma once

// Calls to AWS with the instance role: credentials and region from IMDSv2 (never IMDSv1), or from the
// AWS_* environment variables, which win; each request signed with SigV4. Credentials are kept in
// memory only and renewed before they expire, or at once when AWS says they are no longer good.

#include "aws/services.hpp"
#include "common/error.hpp"
#include "common/signal_io.hpp"
#include "config/agent_config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace berth::http {
class Client;
}

namespace berth::aws {

// Requests made, by kind, for the tests and /metrics.
struct AwsTally {
  int imds_token = 0;
  int imds_credentials = 0;
  int imds_region = 0;
  int calls = 0;                               // JSON 1.1 calls, refused ones included
  std::map<std::string, int> calls_by_service;  // the same by service: "ecr", "ssm", "secretsmanager"
  int objects = 0;
};

class AwsClient {
 public:
  AwsClient(boost::asio::any_io_executor executor, config::AwsSettings settings);
  ~AwsClient();
  AwsClient(const AwsClient&) = delete;
  AwsClient& operator=(const AwsClient&) = delete;

  // agent.json's region, else IMDS's, else AWS_REGION / AWS_DEFAULT_REGION.
  boost::asio::awaitable<common::Result<std::string>> region();

  // The answer's body of one JSON 1.1 call (an empty call.region means region()).
  boost::asio::awaitable<common::Result<std::string>> call(Call call);

  // The bytes of s3://bucket/key (`region` empty: region()).
  boost::asio::awaitable<common::Result<std::string>> get_object(std::string bucket, std::string key,
                                                                 std::string region);

  [[nodiscard]] const AwsTally& tally() const { return tally_; }

 private:
  boost::asio::awaitable<common::Result<Credentials>> credentials();
  boost::asio::awaitable<common::Result<TimedCredentials>> fetch_instance_credentials();
  boost::asio::awaitable<common::Result<std::string>> imds_get(std::string path);
  http::Client& client_for(const std::string& url_text, std::string& host_out);
  std::string endpoint_of(const std::string& service, const std::string& region) const;

  boost::asio::any_io_executor executor_;
  config::AwsSettings settings_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::map<std::string, std::unique_ptr<http::Client>> clients_;  // by origin
  std::optional<TimedCredentials> credentials_;
  bool fetching_ = false;
  common::Signal fetched_;
  std::string imds_token_;
  std::chrono::steady_clock::time_point imds_token_until_{};
  std::string role_;
  std::optional<std::string> region_;
  AwsTally tally_;
};

}  // namespace berth::aws
