#include "registry/token.hpp"

#include "common/json_member.hpp"

#include "common/text.hpp"
#include "config/address.hpp"

#include <arpa/inet.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

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

// The bytes of an IPv4 or IPv6 literal, an IPv4-mapped IPv6 address as IPv4; empty for a name.
std::vector<unsigned char> address_bytes(const std::string& host) {
  std::array<unsigned char, 16> b{};
  if (inet_pton(AF_INET, host.c_str(), b.data()) == 1) {
    return {b.begin(), b.begin() + 4};
  }
  if (inet_pton(AF_INET6, host.c_str(), b.data()) != 1) {
    return {};
  }
  constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), b.begin())) {
    return {b.begin() + 12, b.end()};
  }
  return {b.begin(), b.end()};
}

// 169.254.0.0/16 and fe80::/10.
bool is_link_local(const std::vector<unsigned char>& a) {
  return (a.size() == 4 && a[0] == 169 && a[1] == 254) || (a.size() == 16 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

// Loopback or unspecified: 127.0.0.0/8, 0.0.0.0/8, ::1, ::, and localhost.
bool reaches_this_host(const std::string& host) {
  const auto a = address_bytes(host);
  if (a.size() == 4) {
    return a[0] == 127 || a[0] == 0;
  }
  if (a.size() == 16) {
    return std::all_of(a.begin(), a.end() - 1, [](unsigned char x) { return x == 0; }) && a[15] <= 1;
  }
  return host == "localhost" || host.ends_with(".localhost");
}

// A name whose last label is a number ("2852039166", "0xa9fea9fe", "169.254.43518", "0177.0.0.1"): the
// resolver reads it as an IPv4 address in another notation.
bool is_numeric_name(const std::string& host) {
  if (!address_bytes(host).empty()) {
    return false;
  }
  std::string_view last = std::string_view(host).substr(host.rfind('.') + 1);
  const bool hex = common::starts_with(last, "0x");
  last.remove_prefix(hex ? 2 : 0);
  return !last.empty() && std::all_of(last.begin(), last.end(), [hex](char c) {
    return (hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c))) != 0;
  });
}

}  // namespace

common::Status check_token_realm(std::string_view realm_host, bool realm_tls, std::string_view registry_host,
                                 bool registry_tls) {
  const std::string host = common::to_lower(realm_host);
  const auto refuse = [&](const std::string& why) {
    return make_error(ErrorKind::kProtocol, "refusing the bearer realm on " + host.substr(0, 100) + ": " + why);
  };
  if (is_link_local(address_bytes(host))) {
    return refuse("a link-local address");
  }
  if (is_numeric_name(host)) {
    return refuse("a number, not a dotted IPv4 address or a name");
  }
  if (reaches_this_host(host) && !reaches_this_host(common::to_lower(registry_host))) {
    return refuse("this host, while the registry is not on it");
  }
  if (!realm_tls && registry_tls) {
    return refuse("plain HTTP, for a registry reached over HTTPS");
  }
  return {};
}

bool realm_may_receive_credentials(std::string_view realm_host, std::string_view registry_host) {
  const std::string realm = common::to_lower(realm_host);
  const std::string registry = common::to_lower(registry_host);
  if (realm == registry) {
    return true;
  }
  if (!address_bytes(registry).empty() || is_numeric_name(registry) || !config::is_hostname(registry)) {
    return false;
  }
  const std::string parent = registry.substr(registry.find('.') + 1);
  if (parent == registry || parent.find('.') == std::string::npos) {
    return false;  // a parent of one label is a top-level domain
  }
  return realm == parent || (realm.size() > parent.size() && realm.ends_with("." + parent));
}

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
  token.token = common::string_member(doc, "access_token");
  if (token.token.empty()) {
    token.token = common::string_member(doc, "token");
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
  token.refresh_token = common::string_member(doc, "refresh_token");
  return token;
}

}  // namespace berth::registry
