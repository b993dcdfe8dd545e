#include "aws/sigv4.hpp"

#include "common/hash.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <ctime>

namespace berth::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trimmed, with every run of white space inside made one space.
std::string canonical_value(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (const char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += c;
  }
  return out;
}

// The path without "." and ".." segments and without empty ones; a trailing slash is kept.
std::vector<std::string_view> normalized_segments(std::string_view path, bool& trailing_slash) {
  const auto raw = common::split(path, '/');
  std::vector<std::string_view> kept;
  for (const auto& segment : raw) {
    if (segment.empty() || segment == ".") {
      continue;
    }
    if (segment == "..") {
      if (!kept.empty()) {
        kept.pop_back();
      }
      continue;
    }
    kept.push_back(segment);
  }
  trailing_slash = !kept.empty() && raw.back().empty();
  return kept;
}

std::string canonical_uri(std::string_view path, PathRule rule) {
  if (path.empty()) {
    return "/";
  }
  if (rule == PathRule::kAsSent) {
    return std::string(path);
  }
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  if (rule == PathRule::kNormalizedAndEncoded) {
    segments = normalized_segments(path, trailing_slash);
  } else {
    segments = common::split(path.substr(path.front() == '/' ? 1 : 0), '/');
  }
  std::string out;
  for (const auto& segment : segments) {
    out += '/';
    out += common::url_encode(segment);
  }
  if (out.empty() || trailing_slash) {
    out += '/';
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = common::hex_digit(text[i + 1]);
      const int lo = common::hex_digit(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

using Parameters = std::vector<std::pair<std::string, std::string>>;

// Each name and value decoded, then encoded the one way SigV4 wants.
Parameters encoded_parameters(std::string_view query) {
  Parameters out;
  if (query.empty()) {
    return out;
  }
  for (const auto& pair : common::split(query, '&')) {
    if (pair.empty()) {
      continue;
    }
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    out.emplace_back(common::url_encode(percent_decode(name)), common::url_encode(percent_decode(value)));
  }
  return out;
}

std::string joined_parameters(Parameters parameters) {
  std::sort(parameters.begin(), parameters.end());
  std::string out;
  for (const auto& [name, value] : parameters) {
    if (!out.empty()) {
      out += '&';
    }
    out += name + "=" + value;
  }
  return out;
}

struct CanonicalHeaders {
  std::string lines;         // "name:value\n" for each, sorted by name
  std::string signed_names;  // "host;x-amz-date"
};

// Names lower-cased and sorted; the values of a repeated name joined with ',' in the order sent.
CanonicalHeaders canonical_headers(const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> merged;
  for (const auto& [name, value] : headers) {
    const std::string lower = common::to_lower(name);
    auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return m.first == lower; });
    if (it == merged.end()) {
      merged.emplace_back(lower, canonical_value(value));
    } else {
      it->second += "," + canonical_value(value);
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.lines += name + ":" + value + "\n";
    if (!out.signed_names.empty()) {
      out.signed_names += ';';
    }
    out.signed_names += name;
  }
  return out;
}

std::string date_of(std::string_view amz) { return std::string(amz.substr(0, 8)); }

std::string credential_scope(const Scope& scope, std::string_view amz) {
  return date_of(amz) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

std::string signature_of(const Credentials& credentials, const Scope& scope, std::string_view amz,
                         std::string_view string_to_sign) {
  std::string key = common::hmac_sha256("AWS4" + credentials.secret_access_key, date_of(amz));
  key = common::hmac_sha256(key, scope.region);
  key = common::hmac_sha256(key, scope.service);
  key = common::hmac_sha256(key, "aws4_request");
  return common::hex(common::hmac_sha256(key, string_to_sign));
}

// Fills canonical_request, string_to_sign and signature.
void sign_canonical(Signed& out, const Request& request, const std::string& query, const CanonicalHeaders& headers,
                    const std::string& payload_hash, const Credentials& credentials, const Scope& scope,
                    std::string_view amz) {
  out.canonical_request = request.method + "\n" + canonical_uri(request.path, scope.path) + "\n" + query + "\n" +
                          headers.lines + "\n" + headers.signed_names + "\n" + payload_hash;
  out.string_to_sign = std::string(kAlgorithm) + "\n" + std::string(amz) + "\n" + credential_scope(scope, amz) + "\n" +
                       common::hex(common::sha256(out.canonical_request));
  out.signature = signature_of(credentials, scope, amz, out.string_to_sign);
}

}  // namespace

Scope scope_for(std::string_view service, std::string_view region, std::chrono::system_clock::time_point time) {
  Scope scope{std::string(region), std::string(service), time};
  if (service == "s3") {
    scope.path = PathRule::kAsSent;
    scope.payload = PayloadHeader::kContentSha256;
  }
  return scope;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

Signed sign(const Request& request, const Credentials& credentials, const Scope& scope) {
  const std::string amz = amz_date(scope.time);
  const bool token_signed = !credentials.session_token.empty() && scope.token == SessionToken::kSigned;
  const std::string payload_hash = common::hex(common::sha256(request.body));
  Signed out;
  out.headers.emplace_back("X-Amz-Date", amz);
  if (token_signed) {
    out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  if (scope.payload == PayloadHeader::kContentSha256) {
    out.headers.emplace_back("x-amz-content-sha256", payload_hash);
  }
  Headers all = request.headers;
  all.insert(all.end(), out.headers.begin(), out.headers.end());
  const auto headers = canonical_headers(all);
  sign_canonical(out, request, joined_parameters(encoded_parameters(request.query)), headers, payload_hash, credentials,
                 scope, amz);
  if (!credentials.session_token.empty() && !token_signed) {
    out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  out.headers.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                                                credential_scope(scope, amz) + ", SignedHeaders=" +
                                                headers.signed_names + ", Signature=" + out.signature);
  return out;
}

Signed presign(const Request& request, const Credentials& credentials, const Scope& scope,
               std::chrono::seconds expires) {
  const std::string amz = amz_date(scope.time);
  const auto headers = canonical_headers(request.headers);
  Parameters parameters = encoded_parameters(request.query);
  const auto add = [&](std::string_view name, std::string_view value) {
    parameters.emplace_back(common::url_encode(name), common::url_encode(value));
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", credentials.access_key_id + "/" + credential_scope(scope, amz));
  add("X-Amz-Date", amz);
  add("X-Amz-Expires", std::to_string(expires.count()));
  add("X-Amz-SignedHeaders", headers.signed_names);
  const bool token_signed = !credentials.session_token.empty() && scope.token == SessionToken::kSigned;
  if (token_signed) {
    add("X-Amz-Security-Token", credentials.session_token);
  }
  Signed out;
  sign_canonical(out, request, joined_parameters(parameters), headers, common::hex(common::sha256(request.body)),
                 credentials, scope, amz);
  if (!credentials.session_token.empty() && !token_signed) {
    add("X-Amz-Security-Token", credentials.session_token);
  }
  add("X-Amz-Signature", out.signature);
  out.query = joined_parameters(parameters);
  return out;
}

}  // namespace berth::aws
