// Fuzzes the control endpoint's request path as the server runs it: raw bytes -> RequestParser (fed
// whole and in pieces) -> admit_request (normalise, route, authenticate, authorise) -> the answer's bytes.
// The first input byte picks the piece size and the transport; the rest is what a client sent.
// Invariants: feeding in pieces parses exactly like feeding whole; limits hold; a failure names an
// HTTP status; a normalised path normalises to itself; nothing is admitted on TCP without the
// credential of a caller whose scope covers the route, and the webhook secret opens only its route.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/admission.hpp"
#include "control/audit.hpp"
#include "control/response.hpp"
#include "control/router.hpp"
#include "control/target.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace berth::control;

using berth_fuzz::check;

constexpr std::string_view kReadToken = "berth_read";
constexpr std::string_view kDeployToken = "berth_deploy";
constexpr std::string_view kHookSecret = "berth_hook";

const TokenSet& tokens() {
  static const TokenSet set({{"reader", Scope::kRead, hash_token(kReadToken), ""},
                             {"ci", Scope::kDeploy, hash_token(kDeployToken), ""},
                             {"hub", Scope::kWebhook, hash_token(kHookSecret), ""}});
  return set;
}

ParserLimits limits() {
  ParserLimits l;
  l.header_bytes = 1024;  // small, so the fuzzer reaches the caps
  l.body_bytes = 512;
  l.max_headers = 16;
  return l;
}

bool same(const ParsedRequest& a, const ParsedRequest& b) {
  return a.method == b.method && a.target == b.target && a.version_minor == b.version_minor && a.headers == b.headers &&
         a.body == b.body && a.keep_alive == b.keep_alive && a.expect_continue == b.expect_continue &&
         a.content_length == b.content_length && a.chunked == b.chunked;
}

void check_admission(const ParsedRequest& parsed, std::string_view input, Transport transport) {
  AuthThrottle throttle;
  const auto now = AuthThrottle::Clock::time_point{} + std::chrono::hours(1);
  ParsedRequest copy = parsed;
  const Admission a = admit_request(std::move(copy), Peer{transport, "192.0.2.1"}, tokens(), throttle, now);
  if (a.reject) {
    const std::string bytes = serialize_response(*a.reject, KeepAlive::kNo);
    check(bytes.starts_with("HTTP/1.1 "));
    check(a.reject->status >= 400 && a.reject->status < 600);
    return;
  }
  check(a.routed);
  auto again = normalise_target(a.request.path);
  check(again && again->path == a.request.path);
  check(a.request.path.find("//") == std::string::npos && a.request.path.find("/../") == std::string::npos);
  const Scope required = required_scope(a.route);
  if (transport == Transport::kUnixSocket || required == Scope::kNone) {
    return;
  }
  check(scope_allows(a.request.caller.scope, required));
  if (a.route == RouteId::kRegistryHook) {
    check(a.request.caller.name == "hub");
    check(input.find(kHookSecret) != std::string_view::npos);
    check(a.request.path.find(kHookSecret) == std::string::npos);
    check(!a.request.params.contains("secret"));
    return;
  }
  check(a.request.caller.name == "reader" || a.request.caller.name == "ci");
  check(input.find(a.request.caller.name == "ci" ? kDeployToken : kReadToken) != std::string_view::npos);
  check(parsed.header("authorization").size() > 7);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t piece = (data[0] & 0x0f) + 1;
  const Transport transport = (data[0] & 0x10) != 0 ? Transport::kUnixSocket : Transport::kTcp;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  // Up to a few pipelined requests, as the server reads them off one connection.
  for (int round = 0; round < 4 && !input.empty(); ++round) {
    RequestParser whole(limits());
    const std::size_t used = whole.feed(input);
    check(used <= input.size());

    RequestParser split(limits());
    std::size_t split_used = 0;
    while (split_used < input.size() && !split.done() && !split.failed()) {
      const std::size_t n = std::min(piece, input.size() - split_used);
      const std::size_t took = split.feed(input.substr(split_used, n));
      check(took <= n);
      split_used += took;
      if (took < n) {
        break;
      }
    }
    check(whole.state() == split.state());
    if (whole.failed()) {
      const int s = whole.error_status();
      check(s == 400 || s == 413 || s == 417 || s == 431 || s == 501 || s == 505);
      check(split.error_status() == s);
      check(serialize_response(parse_error_response(s, whole.error_message()), KeepAlive::kNo).starts_with("HTTP/1.1"));
      return 0;
    }
    if (!whole.done()) {
      check(used == input.size());
      return 0;
    }
    check(split_used == used);
    check(same(whole.request(), split.request()));
    check(whole.request().body.size() <= limits().body_bytes);
    check(used <= limits().header_bytes + limits().body_bytes * 8 + 4096);
    check_admission(whole.request(), input.substr(0, used), transport);
    input.remove_prefix(used);
  }
  return 0;
}
