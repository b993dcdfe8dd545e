#include "aws/client_io.hpp"

#include "common/text.hpp"
#include "http/client.hpp"
#include "registry/url.hpp"

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <cstdlib>

namespace berth::aws {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using common::ErrorKind;
using common::Result;

namespace {

constexpr std::string_view kDefaultImds = "http://169.254.169.254";
constexpr int kImdsTokenSeconds = 21600;
const http::Limits kImdsLimits{std::chrono::seconds(2), 64 * 1024};
const http::Limits kCallLimits{std::chrono::seconds(20), 1024 * 1024};
const http::Limits kObjectLimits{std::chrono::seconds(30), 1024 * 1024};  // env files, like local ones

std::string first_line(std::string_view text) {
  const auto end = text.find_first_of("\r\n");
  return std::string(text.substr(0, end));
}

// <Code> and <Message> of S3's XML error.
std::string xml_element(std::string_view body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const auto start = body.find(open);
  if (start == std::string_view::npos) {
    return "";
  }
  const auto end = body.find("</" + std::string(name) + ">", start);
  return end == std::string_view::npos ? "" : std::string(body.substr(start + open.size(), end - start - open.size()));
}

// "/" and each segment of the key percent-encoded: "a b/c" -> "/a%20b/c".
std::string encoded_key(std::string_view key) {
  std::string out;
  for (const auto segment : common::split(key, '/')) {
    out += '/';
    out += common::url_encode(segment);
  }
  return out;
}

}  // namespace

AwsClient::AwsClient(net::any_io_executor executor, config::AwsSettings settings)
    : executor_(std::move(executor)),
      settings_(std::move(settings)),
      tls_(std::make_shared<ssl::context>(ssl::context::tls_client)),
      fetched_(executor_) {
  tls_->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  tls_->set_default_verify_paths(ec);
  SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
}

AwsClient::~AwsClient() = default;

http::Client& AwsClient::client_for(const std::string& url_text, std::string& host_out) {
  auto url = registry::parse_url(url_text);  // checked when agent.json was read, or built here
  const registry::Origin origin = url ? url->origin : registry::Origin{};
  host_out = origin.authority();
  auto& slot = clients_[origin.key()];
  if (!slot) {
    auto endpoint = origin.tls ? http::Endpoint::tls_to(origin.host, origin.port, tls_)
                               : http::Endpoint::tcp(origin.host, origin.port);
    slot = std::make_unique<http::Client>(executor_, std::move(endpoint), host_out);
  }
  return *slot;
}

std::string AwsClient::endpoint_of(const std::string& service, const std::string& region) const {
  const auto configured = settings_.endpoints.find(service);
  return configured != settings_.endpoints.end() ? configured->second : "https://" + service_host(service, region);
}

net::awaitable<Result<std::string>> AwsClient::imds_get(std::string path) {
  if (!settings_.imds) {
    co_return common::make_error(ErrorKind::kUnavailable, "IMDS is off (aws.imds in agent.json)");
  }
  const auto configured = settings_.endpoints.find("imds");
  const std::string base = configured != settings_.endpoints.end() ? configured->second : std::string(kDefaultImds);
  std::string host;
  http::Client& client = client_for(base, host);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (imds_token_.empty() || std::chrono::steady_clock::now() >= imds_token_until_) {
      ++tally_.imds_token;
      http::Request put{"PUT",
                        "/latest/api/token",
                        {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(kImdsTokenSeconds)}},
                        "",
                        ""};
      auto answer = co_await client.request(std::move(put), kImdsLimits);
      if (!answer) {
        co_return answer.error().context("IMDS at " + base + " (is this an EC2 instance?)");
      }
      if (answer->status != 200 || answer->body.empty()) {
        co_return common::make_error(ErrorKind::kUnavailable,
                                     "IMDS at " + base + ": PUT /latest/api/token answered HTTP " +
                                         std::to_string(answer->status) + "; berth uses IMDSv2 only");
      }
      imds_token_ = common::printable_text(first_line(answer->body), 200);
      imds_token_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(kImdsTokenSeconds - 60);
    }
    http::Request get{"GET", path, {{"X-aws-ec2-metadata-token", imds_token_}}, "", ""};
    auto answer = co_await client.request(std::move(get), kImdsLimits);
    if (!answer) {
      co_return answer.error().context("IMDS at " + base);
    }
    if (answer->status == 401 && attempt == 0) {
      imds_token_.clear();  // the session token expired early: one new one
      continue;
    }
    if (answer->status == 404) {
      co_return common::make_error(ErrorKind::kNotFound, "IMDS: " + path + " not found", 404);
    }
    if (answer->status != 200) {
      co_return common::make_error(ErrorKind::kUnavailable,
                                   "IMDS: GET " + path + " answered HTTP " + std::to_string(answer->status));
    }
    co_return std::move(answer->body);
  }
  co_return common::make_error(ErrorKind::kUnauthorized, "IMDS refused a fresh session token");
}

net::awaitable<Result<std::string>> AwsClient::region() {
  if (settings_.region) {
    co_return *settings_.region;
  }
  if (region_) {
    co_return *region_;
  }
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && is_region(value)) {
      region_ = value;
      co_return *region_;
    }
  }
  ++tally_.imds_region;
  auto body = co_await imds_get("/latest/meta-data/placement/region");
  if (!body) {
    co_return body.error().context("the AWS region (set aws.region in agent.json off EC2)");
  }
  const std::string region = first_line(*body);
  if (!is_region(region)) {
    co_return common::make_error(ErrorKind::kProtocol, "IMDS: placement/region is not a region name");
  }
  region_ = region;
  co_return region;
}

net::awaitable<Result<TimedCredentials>> AwsClient::fetch_instance_credentials() {
  constexpr std::string_view kRoles = "/latest/meta-data/iam/security-credentials/";
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (role_.empty()) {
      auto roles = co_await imds_get(std::string(kRoles));
      if (!roles) {
        co_return roles.error().kind == ErrorKind::kNotFound
            ? common::make_error(ErrorKind::kUnauthorized,
                                 "no AWS credentials: this instance has no IAM role "
                                 "(attach an instance profile, or set AWS_ACCESS_KEY_ID "
                                 "and AWS_SECRET_ACCESS_KEY for berth)")
            : roles.error();
      }
      role_ = common::printable_text(first_line(*roles), 128);
    }
    ++tally_.imds_credentials;
    auto body = co_await imds_get(std::string(kRoles) + role_);
    if (!body && body.error().kind == ErrorKind::kNotFound && attempt == 0) {
      role_.clear();  // the instance profile changed
      continue;
    }
    if (!body) {
      co_return body.error();
    }
    co_return parse_instance_credentials(*body);
  }
  co_return common::make_error(ErrorKind::kUnauthorized, "IMDS: the instance role has no credentials");
}

net::awaitable<Result<Credentials>> AwsClient::credentials() {
  if (auto from_environment = credentials_from_environment()) {
    co_return from_environment->credentials;
  }
  if (!settings_.imds) {
    co_return common::make_error(ErrorKind::kUnauthorized,
                                 "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for berth, "
                                 "or turn aws.imds on");
  }
  while (fetching_) {
    co_await fetched_.wait();
  }
  if (credentials_ && !needs_renewal(*credentials_, std::chrono::system_clock::now())) {
    co_return credentials_->credentials;
  }
  fetching_ = true;
  auto fetched = co_await fetch_instance_credentials();
  fetching_ = false;
  fetched_.notify_all();
  if (!fetched) {
    // Credentials that have not expired yet still serve while IMDS is away.
    if (credentials_ && credentials_->expiration && std::chrono::system_clock::now() < *credentials_->expiration) {
      co_return credentials_->credentials;
    }
    co_return fetched.error();
  }
  credentials_ = std::move(*fetched);
  co_return credentials_->credentials;
}

net::awaitable<Result<std::string>> AwsClient::call(Call c) {
  if (c.region.empty()) {
    auto r = co_await region();
    if (!r) {
      co_return r.error();
    }
    c.region = *r;
  }
  const std::string body = c.body.dump();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto creds = co_await credentials();
    if (!creds) {
      co_return creds.error().context(c.target);
    }
    std::string host;
    http::Client& client = client_for(endpoint_of(c.service, c.region), host);
    const std::string content_type = "application/x-amz-json-1.1";
    Request to_sign{
        "POST", "/", "", {{"Host", host}, {"Content-Type", content_type}, {"X-Amz-Target", c.target}}, body};
    const Signed s = sign(to_sign, *creds, scope_for(c.service, c.region, std::chrono::system_clock::now()));
    http::Request req{"POST", "/", {{"X-Amz-Target", c.target}}, body, content_type};
    req.headers.insert(req.headers.end(), s.headers.begin(), s.headers.end());
    ++tally_.calls;
    ++tally_.calls_by_service[c.service];
    auto answer = co_await client.request(std::move(req), kCallLimits);
    if (!answer) {
      co_return answer.error().context(c.target + " in " + c.region);
    }
    if (answer->status == 200) {
      co_return std::move(answer->body);
    }
    auto error = call_error(c, answer->status, answer->body);
    if (attempt == 0 && is_expired_credentials(error_code_of(error)) && credentials_) {
      credentials_.reset();  // AWS no longer takes them: new ones from IMDS, once
      continue;
    }
    co_return error;
  }
  co_return common::make_error(ErrorKind::kUnauthorized, c.target + ": AWS refused fresh credentials");
}

net::awaitable<Result<std::string>> AwsClient::get_object(std::string bucket, std::string key, std::string region) {
  if (region.empty()) {
    auto r = co_await this->region();
    if (!r) {
      co_return r.error();
    }
    region = *r;
  }
  const std::string what = "s3://" + bucket + "/" + key;
  // Virtual-hosted style on AWS (a bucket with dots would not match the certificate: path style then),
  // path style at a configured endpoint.
  const bool configured = settings_.endpoints.count("s3") != 0;
  const bool path_style = configured || bucket.find('.') != std::string::npos;
  const std::string base =
      path_style ? endpoint_of("s3", region) : "https://" + bucket + "." + service_host("s3", region);
  const std::string path = (path_style ? "/" + common::url_encode(bucket) : "") + encoded_key(key);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto creds = co_await credentials();
    if (!creds) {
      co_return creds.error().context(what);
    }
    std::string host;
    http::Client& client = client_for(base, host);
    const Signed s = sign({"GET", path, "", {{"Host", host}}, ""}, *creds,
                          scope_for("s3", region, std::chrono::system_clock::now()));
    http::Request req{"GET", path, s.headers, "", ""};
    ++tally_.objects;
    auto answer = co_await client.request(std::move(req), kObjectLimits);
    if (!answer) {
      co_return answer.error().context(what);
    }
    if (answer->status == 200) {
      co_return std::move(answer->body);
    }
    const std::string code = xml_element(answer->body, "Code");
    if (attempt == 0 && credentials_ &&
        (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired" ||
         code == "InvalidAccessKeyId")) {
      credentials_.reset();
      continue;
    }
    const ErrorKind kind = answer->status == 404   ? ErrorKind::kNotFound
                           : answer->status == 403 ? ErrorKind::kForbidden
                           : answer->status >= 500 ? ErrorKind::kUnavailable
                                                   : ErrorKind::kProtocol;
    std::string text = what + ": HTTP " + std::to_string(answer->status);
    if (const auto message = xml_element(answer->body, "Message"); !message.empty()) {
      text += ": " + common::printable_text(message, 300);
    }
    if (!code.empty()) {
      text += " (" + common::printable_text(code, 80) + ")";
    }
    co_return common::make_error(kind, std::move(text), answer->status);
  }
  co_return common::make_error(ErrorKind::kUnauthorized, what + ": AWS refused fresh credentials");
}

}  // namespace berth::aws
