#include "registry/url.hpp"

#include <charconv>

#include "common/loopback.hpp"
#include "common/text.hpp"

namespace berth::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;

std::string Origin::authority() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = port == (tls ? 443 : 80);
  return default_port ? h : h + ":" + std::to_string(port);
}

std::string Origin::key() const { return (tls ? "https://" : "http://") + authority(); }

Result<std::pair<std::string, std::optional<std::uint16_t>>> split_authority(std::string_view authority) {
  std::string_view host = authority;
  std::string_view port;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return make_error(ErrorKind::kProtocol, "bad host \"" + std::string(authority.substr(0, 200)) + "\"");
    }
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return make_error(ErrorKind::kProtocol, "bad host \"" + std::string(authority.substr(0, 200)) + "\"");
      }
      port = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  // An IPv6 address is written in brackets: no other host has a colon, and none has a bracket.
  if (host.empty() || host.find_first_of("/@?# []") != std::string_view::npos ||
      (!bracketed && host.find(':') != std::string_view::npos)) {
    return make_error(ErrorKind::kProtocol, "bad host \"" + std::string(authority.substr(0, 200)) + "\"");
  }
  std::optional<std::uint16_t> port_number;
  if (!port.empty() || authority.back() == ':') {
    std::uint16_t value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0) {
      return make_error(ErrorKind::kProtocol, "bad port in \"" + std::string(authority.substr(0, 200)) + "\"");
    }
    port_number = value;
  }
  return std::pair{std::string(host), port_number};
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  std::string_view rest;
  if (common::starts_with(common::to_lower(text.substr(0, 8)), "https://")) {
    url.origin.tls = true;
    rest = text.substr(8);
  } else if (common::starts_with(common::to_lower(text.substr(0, 7)), "http://")) {
    url.origin.tls = false;
    rest = text.substr(7);
  } else {
    return make_error(ErrorKind::kProtocol, "not an http(s) URL: \"" + std::string(text.substr(0, 200)) + "\"");
  }
  const auto end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, end);
  auto split = split_authority(authority);
  if (!split) {
    return split.error().context("URL \"" + std::string(text.substr(0, 200)) + "\"");
  }
  url.origin.host = std::move(split->first);
  url.origin.port = split->second.value_or(url.origin.tls ? 443 : 80);
  std::string target = end == std::string_view::npos ? std::string() : std::string(rest.substr(end));
  if (const auto hash = target.find('#'); hash != std::string::npos) {
    target.erase(hash);
  }
  if (target.empty() || target.front() == '?') {
    target.insert(0, "/");
  }
  url.target = std::move(target);
  return url;
}

Result<Url> resolve_location(const Origin& base, std::string_view location) {
  if (location.empty()) {
    return make_error(ErrorKind::kProtocol, "redirect without a Location");
  }
  if (location.size() > 1 && location[0] == '/' && location[1] == '/') {
    return parse_url(std::string(base.tls ? "https:" : "http:") + std::string(location));
  }
  if (location.front() == '/') {
    return Url{base, std::string(location.substr(0, location.find('#')))};  // a fragment is never sent
  }
  return parse_url(location);
}

bool is_loopback_host(std::string_view host) { return common::is_loopback_host(host); }

}  // namespace berth::registry
