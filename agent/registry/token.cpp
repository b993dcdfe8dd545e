#include "registry/token.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/text.hpp"

namespace berth::registry {
namespace {

using common::ErrorKind;
using common::make_error;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::chrono::seconds kMaxRefreshMargin = 30s;
// Lifetimes beyond a year are treated as a year, far from any overflow.
constexpr std::chrono::seconds kMaxTokenLifetime = std::chrono::hours(24 * 365);

bool is_http_url(std::string_view url) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (url.size() > scheme.size() && common::iequals(url.substr(0, scheme.size()), scheme)) {
      return true;
    }
  }
  return false;
}

void append_param(std::string& out, bool& first, std::string_view key, std::string_view value) {
  if (!first) {
    out += '&';
  }
  first = false;
  out += key;
  out += '=';
  out += common::url_encode(value);
}

std::string string_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<TokenEndpoint> token_endpoint(const Challenge& challenge) {
  if (challenge.scheme != "bearer") {
    return make_error(ErrorKind::kProtocol, "the registry asked for " + challenge.scheme.substr(0, 50) +
                                                " authentication, not a bearer token");
  }
  TokenEndpoint endpoint{challenge.param("realm"), challenge.param("service"), challenge.param("scope"),
                         challenge.param("error")};
  if (endpoint.realm.empty()) {
    return make_error(ErrorKind::kProtocol, "the registry's bearer challenge has no realm");
  }
  if (!is_http_url(endpoint.realm)) {
    return make_error(ErrorKind::kProtocol,
                      "the registry's bearer realm \"" + endpoint.realm.substr(0, 200) + "\" is not an http(s) URL");
  }
  return endpoint;
}

std::string token_request_url(const TokenEndpoint& endpoint, const std::vector<std::string>& scopes,
                              std::string_view account) {
  std::string url = endpoint.realm;
  bool first = true;
  std::string query;
  if (!endpoint.service.empty()) {
    append_param(query, first, "service", endpoint.service);
  }
  for (const auto& scope : scopes) {
    append_param(query, first, "scope", scope);
  }
  if (!account.empty()) {
    append_param(query, first, "account", account);
  }
  if (!query.empty()) {
    const bool has_query = url.find('?') != std::string::npos;
    url += has_query ? (url.back() == '?' || url.back() == '&' ? "" : "&") : "?";
    url += query;
  }
  return url;
}

std::string token_refresh_form(const TokenEndpoint& endpoint, const std::vector<std::string>& scopes,
                               std::string_view refresh_token, std::string_view client_id) {
  std::string form;
  bool first = true;
  append_param(form, first, "grant_type", "refresh_token");
  append_param(form, first, "service", endpoint.service);
  append_param(form, first, "client_id", client_id);
  // Several scopes travel space-separated in one field (OAuth2).
  std::string scope;
  for (const auto& s : scopes) {
    scope += (scope.empty() ? "" : " ") + s;
  }
  append_param(form, first, "scope", scope);
  append_param(form, first, "refresh_token", refresh_token);
  return form;
}

std::chrono::steady_clock::time_point BearerToken::refresh_at(std::chrono::steady_clock::time_point received_at) const {
  const auto margin = std::min<std::chrono::seconds>(kMaxRefreshMargin, expires_in / 10);
  return received_at + expires_in - margin;
}

Result<BearerToken> parse_token_response(std::string_view body) {
  if (body.size() > kMaxTokenResponseBytes) {
    return make_error(ErrorKind::kTooLarge, "token response of " + std::to_string(body.size()) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(kMaxTokenResponseBytes));
  }
  const json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorKind::kProtocol, "token response is not a JSON object");
  }
  BearerToken token;
  token.token = string_field(doc, "access_token");
  if (token.token.empty()) {
    token.token = string_field(doc, "token");
  }
  if (token.token.empty()) {
    return make_error(ErrorKind::kProtocol, "token response has neither \"token\" nor \"access_token\"");
  }
  // The token goes into an Authorization header: a CR or LF would end the header and start another.
  const auto visible = [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  };
  if (!std::all_of(token.token.begin(), token.token.end(), visible)) {
    return make_error(ErrorKind::kProtocol, "token response carries a token with characters other than visible ASCII");
  }
  if (const auto expires = doc.find("expires_in"); expires != doc.end() && expires->is_number()) {
    const double seconds = expires->get<double>();
    if (seconds >= static_cast<double>(kMaxTokenLifetime.count())) {
      token.expires_in = kMaxTokenLifetime;
    } else if (seconds > static_cast<double>(kMinTokenLifetime.count())) {
      token.expires_in = std::chrono::seconds(static_cast<std::int64_t>(seconds));
    }
  }
  token.refresh_token = string_field(doc, "refresh_token");
  return token;
}

}  // namespace berth::registry
