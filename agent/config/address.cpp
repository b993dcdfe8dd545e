#include "config/address.hpp"

#include "common/loopback.hpp"
#include "common/text.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>

namespace berth::config {

bool is_ipv4(std::string_view text) {
  std::array<unsigned char, 4> buffer{};
  return inet_pton(AF_INET, std::string(text).c_str(), buffer.data()) == 1;
}

bool is_ipv6(std::string_view text) {
  std::array<unsigned char, 16> buffer{};
  return inet_pton(AF_INET6, std::string(text).c_str(), buffer.data()) == 1;
}

bool is_hostname(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (text[i - 1] == '-' || text[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (std::isalnum(c) == 0 && c != '-' && c != '_') return false;
    ++label;
  }
  return true;
}

bool is_loopback(std::string_view host) { return common::is_loopback_host(host); }

namespace {

std::optional<int> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port". Returns false when brackets are unbalanced.
bool split_authority(std::string_view authority, std::string_view& host, std::optional<std::string_view>& port) {
  port.reset();
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
    return true;
  }
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    host = authority;
    return true;
  }
  host = authority.substr(0, colon);
  port = authority.substr(colon + 1);
  return true;
}

bool valid_host(std::string_view host, bool bracketed) {
  if (bracketed) return is_ipv6(host);
  return is_ipv4(host) || is_hostname(host);
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text, HostRequired host_required, std::string& error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view host;
  std::optional<std::string_view> port;
  if (!split_authority(text, host, port) || !port) {
    error = quoted + " is not host:port (for example \"127.0.0.1:8443\" or \"[::1]:8443\")";
    return std::nullopt;
  }
  if (host.empty() ? host_required == HostRequired::kYes : !valid_host(host, text.front() == '[')) {
    error = quoted + ": \"" + std::string(host) + "\" is not a host name or IP address";
    if (host.find(':') != std::string_view::npos && text.front() != '[') error += " (write IPv6 addresses in brackets)";
    return std::nullopt;
  }
  const auto number = parse_port(*port);
  if (!number) {
    error = quoted + ": \"" + std::string(*port) + "\" is not a port (1-65535)";
    return std::nullopt;
  }
  return HostPort{std::string(host), *number};
}

std::optional<Url> parse_url(std::string_view text, HostRequired host_required, std::string& error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    error = quoted + " is not a URL (scheme://host[:port]/path)";
    return std::nullopt;
  }
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || std::iscntrl(static_cast<unsigned char>(c)) != 0) {
      error = quoted + " contains whitespace";
      return std::nullopt;
    }
  }
  Url url;
  url.scheme = common::to_lower(text.substr(0, scheme_end));
  const auto rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) url.path = std::string(rest.substr(path_start));
  if (authority.find('@') != std::string_view::npos) {
    error = quoted + ": user:password@ in a URL is not supported";
    return std::nullopt;
  }
  std::string_view host;
  std::optional<std::string_view> port;
  if (!split_authority(authority, host, port)) {
    error = quoted + " has an unbalanced '[' in its host";
    return std::nullopt;
  }
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (host.empty() ? host_required == HostRequired::kYes : !valid_host(host, bracketed)) {
    error = host.empty() ? quoted + " has no host"
                         : quoted + ": \"" + std::string(host) + "\" is not a host name or IP address";
    return std::nullopt;
  }
  url.host = std::string(host);
  if (port) {
    const auto number = parse_port(*port);
    if (!number) {
      error = quoted + ": \"" + std::string(*port) + "\" is not a port (1-65535)";
      return std::nullopt;
    }
    url.port = *number;
  }
  return url;
}

std::string absolute_path_problem(std::string_view text) {
  if (text.empty()) return "must be an absolute path, not empty";
  if (text.front() != '/') return "\"" + std::string(text) + "\" is not an absolute path";
  if (text.find('\0') != std::string_view::npos) return "contains a NUL byte";
  return {};
}

}  // namespace berth::config
