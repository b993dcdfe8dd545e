#pragma once

// Checks for the addresses, URLs and paths found in configuration files. Pure text checks: nothing is
// resolved or opened.

#include <optional>
#include <string>
#include <string_view>

namespace berth::config {

bool is_ipv4(std::string_view text);
bool is_ipv6(std::string_view text);  // without brackets
// A DNS name: dot-separated labels of letters, digits and '-', none longer than 63, 253 in all.
bool is_hostname(std::string_view text);
// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(std::string_view host);

struct HostPort {
  std::string host;  // IPv6 without brackets; empty when the text gave none (":8080")
  int port = 0;
};

enum class HostRequired { kYes, kNo };

// "127.0.0.1:8443", "[::1]:8443", "example.com:443" (and ":8443" when the host is optional). The port
// must be 1-65535. On failure returns nothing and sets `error`.
std::optional<HostPort> parse_host_port(std::string_view text, HostRequired host_required, std::string& error);

struct Url {
  std::string scheme;  // lower case
  std::string host;    // IPv6 without brackets; may be empty when allowed
  std::optional<int> port;
  std::string path;  // from the first '/' on, query included; empty when the URL has none
};

// scheme://host[:port][/path]. Only the structure and the host and port are checked; the caller checks
// the scheme. On failure returns nothing and sets `error`.
std::optional<Url> parse_url(std::string_view text, HostRequired host_required, std::string& error);

// The reason `text` is not an absolute path ("" when it is one).
std::string absolute_path_problem(std::string_view text);

}  // namespace berth::config
