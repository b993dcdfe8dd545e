#pragma once

// AWS Signature Version 4 (AWS4-HMAC-SHA256): the canonical request, the string to sign and the
// signature of one HTTP request, for the Authorization header or for a presigned URL. Pure: the caller
// gives the time and the credentials. Checked byte for byte against AWS's signing test suite.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;   // as sent on the wire
  std::string query;  // as sent, without the '?'; may be empty
  Headers headers;    // in the order they are sent; must hold Host
  std::string body;
};

// How a service wants its requests signed. Most services normalise the path and encode it once more;
// S3 takes the path as sent and wants the payload's hash in x-amz-content-sha256. (kEncoded, without
// normalising, exists for the signing test suite.)
enum class PathRule { kNormalizedAndEncoded, kEncoded, kAsSent };
enum class PayloadHeader { kNone, kContentSha256 };
enum class SessionToken { kSigned, kAddedAfterSigning };

struct Scope {
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;
  PathRule path = PathRule::kNormalizedAndEncoded;
  PayloadHeader payload = PayloadHeader::kNone;
  SessionToken token = SessionToken::kSigned;
};

// The rules of `service` ("s3" gets S3's) for `region` at `time`.
Scope scope_for(std::string_view service, std::string_view region, std::chrono::system_clock::time_point time);

struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // 64 lower-case hex digits
  // Header signing: the headers to add to the request (X-Amz-Date, X-Amz-Security-Token,
  // x-amz-content-sha256 where they apply, Authorization). Presigning: empty.
  Headers headers;
  // Presigning: the whole query to send, signature included. Header signing: empty.
  std::string query;
};

Signed sign(const Request& request, const Credentials& credentials, const Scope& scope);
Signed presign(const Request& request, const Credentials& credentials, const Scope& scope,
               std::chrono::seconds expires);

// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point time);

}  // namespace berth::aws
