#include "aws/services.hpp"

#include "common/json_member.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>

namespace berth::aws {

using common::ErrorKind;
using nlohmann::json;

namespace {

common::Error bad_answer(std::string what) { return common::make_error(ErrorKind::kProtocol, std::move(what)); }

}  // namespace

bool is_region(std::string_view region) {
  int parts = 0;
  std::size_t start = 0;
  while (start <= region.size()) {
    const auto end = std::min(region.find('-', start), region.size());
    const auto part = region.substr(start, end - start);
    if (part.empty() || part.size() > 16) {
      return false;
    }
    const bool last = end == region.size();
    for (const char c : part) {
      if (last ? (c < '0' || c > '9') : (c < 'a' || c > 'z')) {
        return false;
      }
    }
    ++parts;
    start = end + 1;
  }
  return parts >= 3;
}

std::optional<std::chrono::system_clock::time_point> parse_utc_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t n) -> int {
    const auto part = text.substr(at, n);
    const auto v = common::parse_unsigned(part, 9999);
    return v ? static_cast<int>(*v) : -1;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(5, 2) - 1;
  tm.tm_mday = number(8, 2);
  tm.tm_hour = number(11, 2);
  tm.tm_min = number(14, 2);
  tm.tm_sec = number(17, 2);
  const auto rest = text.substr(19, text.size() - 20);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
      tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60 ||
      !(rest.empty() || (rest.front() == '.' && common::all_digits(rest.substr(1))))) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

common::Result<TimedCredentials> parse_instance_credentials(std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  if (!doc.is_object()) {
    return bad_answer("IMDS: the role's credentials are not a JSON object");
  }
  if (const auto code = common::string_member(doc, "Code"); code != "Success") {
    return common::make_error(ErrorKind::kUnavailable, "IMDS: the role's credentials are not available (Code " +
                                                           common::printable_text(code.empty() ? "missing" : code, 64) +
                                                           ")");
  }
  TimedCredentials out;
  out.credentials = {common::string_member(doc, "AccessKeyId"), common::string_member(doc, "SecretAccessKey"),
                     common::string_member(doc, "Token")};
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    return bad_answer("IMDS: the role's credentials lack AccessKeyId or SecretAccessKey");
  }
  out.expiration = parse_utc_time(common::string_member(doc, "Expiration"));
  if (!out.expiration) {
    return bad_answer("IMDS: the role's credentials have no Expiration in ISO 8601 UTC");
  }
  return out;
}

std::optional<TimedCredentials> credentials_from_environment() {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (id == nullptr || secret == nullptr || *id == '\0' || *secret == '\0') {
    return std::nullopt;
  }
  const char* token = std::getenv("AWS_SESSION_TOKEN");
  return TimedCredentials{{id, secret, token != nullptr ? token : ""}, std::nullopt};
}

bool needs_renewal(const TimedCredentials& c, std::chrono::system_clock::time_point now) {
  return c.expiration && now + kRenewBeforeExpiration >= *c.expiration;
}

std::string service_host(std::string_view service, std::string_view region) {
  const std::string suffix = common::starts_with(region, "cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  if (service == "ecr") {
    return "api.ecr." + std::string(region) + suffix;
  }
  return std::string(service) + "." + std::string(region) + suffix;
}

common::Error call_error(const Call& call, int status, std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  std::string code;
  std::string message;
  if (doc.is_object()) {
    code = common::string_member(doc, "__type");
    if (const auto hash = code.rfind('#'); hash != std::string::npos) {
      code = code.substr(hash + 1);  // "com.amazon.coral.service#UnrecognizedClientException"
    }
    message = common::string_member(doc, "message");
    if (message.empty()) {
      message = common::string_member(doc, "Message");
    }
  }
  ErrorKind kind = ErrorKind::kProtocol;
  if (status >= 500) {
    kind = ErrorKind::kUnavailable;
  } else if (code == "ThrottlingException" || code == "TooManyRequestsException" || status == 429) {
    kind = ErrorKind::kRateLimited;
  } else if (is_expired_credentials(code) || status == 401) {
    kind = ErrorKind::kUnauthorized;
  } else if (code == "AccessDeniedException" || status == 403) {
    kind = ErrorKind::kForbidden;
  } else if (code == "ParameterNotFound" || code == "ResourceNotFoundException" || code == "ParameterVersionNotFound" ||
             status == 404) {
    kind = ErrorKind::kNotFound;
  } else if (status >= 400) {
    kind = ErrorKind::kInvalidArgument;
  }
  std::string text = call.target + " in " + call.region + " failed: HTTP " + std::to_string(status);
  if (!message.empty()) {
    text += ": " + common::printable_text(message, 300);
  }
  if (!code.empty()) {
    text += " (" + common::printable_text(code, 80) + ")";
  }
  return common::make_error(kind, std::move(text), status);
}

bool is_expired_credentials(std::string_view code) {
  return code == "ExpiredTokenException" || code == "ExpiredToken" || code == "UnrecognizedClientException" ||
         code == "InvalidClientTokenId" || code == "InvalidSignatureException" || code == "SignatureDoesNotMatch";
}

std::string error_code_of(const common::Error& e) {
  const auto& m = e.message;
  if (m.empty() || m.back() != ')') {
    return "";
  }
  const auto open = m.rfind(" (");
  return open == std::string::npos ? "" : m.substr(open + 2, m.size() - open - 3);
}

Call get_authorization_token(std::string region) {
  return {"ecr", std::move(region), "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", json::object()};
}

common::Result<RegistryLogin> parse_authorization_token(std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  const json* data = nullptr;
  if (doc.is_object()) {
    const auto it = doc.find("authorizationData");
    if (it != doc.end() && it->is_array() && !it->empty() && it->front().is_object()) {
      data = &it->front();
    }
  }
  if (data == nullptr) {
    return bad_answer("ECR GetAuthorizationToken: the answer has no authorizationData");
  }
  const auto decoded = common::base64_decode(common::string_member(*data, "authorizationToken"));
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    return bad_answer("ECR GetAuthorizationToken: authorizationToken is not base64 of user:password");
  }
  const auto expires = data->find("expiresAt");
  if (expires == data->end() || !expires->is_number()) {
    return bad_answer("ECR GetAuthorizationToken: the answer has no expiresAt");
  }
  const auto seconds = std::chrono::duration<double>(expires->get<double>());
  return RegistryLogin{
      decoded->substr(0, colon), decoded->substr(colon + 1),
      std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(seconds))};
}

std::optional<std::string> ecr_registry_region(std::string_view host) {
  std::string_view rest = host.substr(0, host.find(':'));  // a port, as a test's registry has
  for (const std::string_view suffix : {".amazonaws.com.cn", ".amazonaws.com"}) {
    if (rest.ends_with(suffix)) {
      rest.remove_suffix(suffix.size());
      const auto parts = common::split(rest, '.');
      // <account>.dkr.ecr[-fips].<region>
      if (parts.size() == 4 && parts[0].size() == 12 && common::all_digits(parts[0]) && parts[1] == "dkr" &&
          (parts[2] == "ecr" || parts[2] == "ecr-fips") && is_region(parts[3])) {
        return std::string(parts[3]);
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

common::Result<SecretSource> parse_value_from(std::string_view value_from) {
  const auto refuse = [&](const std::string& why) {
    return common::make_error(ErrorKind::kInvalidArgument,
                              "\"" + common::printable_text(value_from, 200) + "\": " + why);
  };
  SecretSource s;
  if (!common::starts_with(value_from, "arn:")) {
    if (value_from.empty()) {
      return refuse("empty; name an SSM parameter or the ARN of a parameter or a Secrets Manager secret");
    }
    s.id = std::string(value_from);  // a parameter's name, in the agent's region
    return s;
  }
  // arn:partition:service:region:account:resource
  const auto parts = common::split(value_from, ':');
  if (parts.size() < 6 || parts[1].empty() || !is_region(parts[3]) || parts[4].size() != 12 ||
      !common::all_digits(parts[4])) {
    return refuse("not an ARN of the form arn:aws:<service>:<region>:<account>:<resource>");
  }
  s.region = std::string(parts[3]);
  if (parts[2] == "ssm") {
    if (parts.size() != 6 || !common::starts_with(parts[5], "parameter/") || parts[5].size() <= 10) {
      return refuse("an SSM ARN names a parameter: arn:aws:ssm:<region>:<account>:parameter/<name>");
    }
    s.id = std::string(value_from);
    return s;
  }
  if (parts[2] != "secretsmanager") {
    return refuse("secrets come from SSM Parameter Store (ssm) or Secrets Manager (secretsmanager), not " +
                  common::printable_text(parts[2], 40));
  }
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>[:json-key:version-stage:version-id]
  if (parts.size() < 7 || parts[5] != "secret" || parts[6].empty() || parts.size() > 10) {
    return refuse(
        "a Secrets Manager ARN is arn:aws:secretsmanager:<region>:<account>:secret:<name>, optionally followed "
        "by :json-key:version-stage:version-id");
  }
  s.kind = SecretSource::Kind::kSecret;
  std::string arn;
  for (std::size_t i = 0; i < 7; ++i) {
    arn += (i == 0 ? "" : ":") + std::string(parts[i]);
  }
  s.id = arn;
  s.json_key = parts.size() > 7 ? std::string(parts[7]) : "";
  s.version_stage = parts.size() > 8 ? std::string(parts[8]) : "";
  s.version_id = parts.size() > 9 ? std::string(parts[9]) : "";
  if (!s.version_stage.empty() && !s.version_id.empty()) {
    return refuse("name a version stage or a version id, not both");
  }
  return s;
}

common::Result<S3Object> parse_s3_arn(std::string_view arn) {
  const auto refuse = [&](const std::string& why) {
    return common::make_error(ErrorKind::kInvalidArgument, "\"" + common::printable_text(arn, 200) + "\": " + why);
  };
  // arn:<partition>:s3:::<bucket>/<key>; the key may hold ':' and '/'.
  const auto parts = common::split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[1].empty() || parts[2] != "s3" || !parts[3].empty() ||
      !parts[4].empty()) {
    return refuse("not the ARN of an S3 object: arn:aws:s3:::<bucket>/<key>");
  }
  const std::string_view rest = arn.substr(std::string_view("arn::s3:::").size() + parts[1].size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return refuse("names a bucket but no object: arn:aws:s3:::<bucket>/<key>");
  }
  const std::string_view bucket = rest.substr(0, slash);
  const auto bucket_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  };
  if (bucket.size() < 3 || bucket.size() > 63 || !std::all_of(bucket.begin(), bucket.end(), bucket_char) ||
      !std::isalnum(static_cast<unsigned char>(bucket.front())) ||
      !std::isalnum(static_cast<unsigned char>(bucket.back()))) {
    return refuse("\"" + common::printable_text(bucket, 80) +
                  "\" is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)");
  }
  return S3Object{std::string(bucket), std::string(rest.substr(slash + 1))};
}

Call get_secret_call(const SecretSource& source, std::string region) {
  if (!source.region.empty()) {
    region = source.region;
  }
  if (source.kind == SecretSource::Kind::kParameter) {
    return {"ssm", std::move(region), "AmazonSSM.GetParameter", {{"Name", source.id}, {"WithDecryption", true}}};
  }
  json body = {{"SecretId", source.id}};
  if (!source.version_stage.empty()) {
    body["VersionStage"] = source.version_stage;
  }
  if (!source.version_id.empty()) {
    body["VersionId"] = source.version_id;
  }
  return {"secretsmanager", std::move(region), "secretsmanager.GetSecretValue", std::move(body)};
}

common::Result<std::string> parse_secret_value(const SecretSource& source, std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  if (source.kind == SecretSource::Kind::kParameter) {
    if (doc.is_object() && doc.contains("Parameter") && doc["Parameter"].is_object() &&
        doc["Parameter"].contains("Value") && doc["Parameter"]["Value"].is_string()) {
      return doc["Parameter"]["Value"].get<std::string>();
    }
    return bad_answer("SSM GetParameter " + source.id + ": the answer has no Parameter.Value");
  }
  if (!doc.is_object() || !doc.contains("SecretString") || !doc["SecretString"].is_string()) {
    return bad_answer("Secrets Manager " + source.id +
                      ": the answer has no SecretString (binary secrets cannot be environment variables)");
  }
  std::string value = doc["SecretString"].get<std::string>();
  if (source.json_key.empty()) {
    return value;
  }
  const json inner = json::parse(value, nullptr, false);
  if (!inner.is_object()) {
    return common::make_error(ErrorKind::kInvalidArgument, "Secrets Manager " + source.id + ": json key \"" +
                                                               source.json_key +
                                                               "\" named, but the secret is not a JSON object");
  }
  const auto it = inner.find(source.json_key);
  if (it == inner.end()) {
    return common::make_error(ErrorKind::kNotFound,
                              "Secrets Manager " + source.id + ": the secret has no key \"" + source.json_key + "\"");
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace berth::aws
