// Fuzzes the registry's URL handling: parse_url, resolve_location (the Location of a redirect, against an
// HTTPS and a plain-HTTP origin), split_authority and is_loopback_host. Invariants: a parsed URL names a
// usable origin and a target that is a path, spelling it again parses back to the same value, a path-only
// Location stays on its origin, and every refusal is a kProtocol error that explains itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/loopback.hpp"
#include "fuzz_check.hpp"
#include "registry/url.hpp"

namespace {

using berth::common::ErrorKind;
using berth::registry::Origin;
using berth::registry::Url;
using berth_fuzz::check;

void check_refusal(const berth::common::Error& error) {
  check(error.kind == ErrorKind::kProtocol);
  check(!error.message.empty());
}

void check_url(const Url& url) {
  const Origin& o = url.origin;
  check(!o.host.empty());
  check(o.host.find_first_of("/@?# ") == std::string::npos);
  check(o.port != 0);
  check(!url.target.empty() && url.target.front() == '/');
  check(url.target.find('#') == std::string::npos);
  // The origin spelled as a URL parses back to itself, with the same target.
  const auto again = berth::registry::parse_url(o.key() + url.target);
  check(again.has_value() && *again == url);
  const auto split = berth::registry::split_authority(o.authority());
  check(split.has_value() && split->first == o.host);
  check(split->second.value_or(o.tls ? 443 : 80) == o.port);
  check(o.key().starts_with(o.tls ? "https://" : "http://"));
}

void check_location(const Origin& base, std::string_view location) {
  const auto resolved = berth::registry::resolve_location(base, location);
  if (!resolved) {
    check_refusal(resolved.error());
    return;
  }
  check_url(*resolved);
  if (location.starts_with('/') && !location.starts_with("//")) {
    check(resolved->origin == base);
  }
  if (location.starts_with("//")) {
    check(resolved->origin.tls == base.tls);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto url = berth::registry::parse_url(text);
  if (url) {
    check_url(*url);
    // Plain HTTP is allowed to loopback hosts only: localhost, ::1 or 127.x.y.z.
    const std::string& host = url->origin.host;
    if (berth::common::is_loopback_host(host)) {
      check(host.size() == 9 || host == "::1" || host.starts_with("127."));
    }
  } else {
    check_refusal(url.error());
  }
  check_location(Origin{true, "registry.example.com", 443}, text);
  check_location(Origin{false, "::1", 5000}, text);
  const auto split = berth::registry::split_authority(text);
  if (split) {
    check(!split->first.empty());
    check(!split->second || *split->second != 0);
  } else {
    check_refusal(split.error());
  }
  berth::common::is_loopback_host(text);
  return 0;
}
