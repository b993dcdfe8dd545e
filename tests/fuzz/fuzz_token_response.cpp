// Fuzzes parse_token_response. Invariants: a refusal explains itself and never quotes the token; a token
// is visible ASCII only (it goes into an Authorization header), its lifetime within the bounds, and the
// time to refresh it lies between receiving it and its expiry.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.hpp"
#include "registry/token.hpp"

namespace {

namespace registry = berth::registry;

using berth_fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto parsed = registry::parse_token_response(body);
  if (!parsed) {
    check(!parsed.error().message.empty());
    check((parsed.error().kind == berth::common::ErrorKind::kTooLarge) == (size > registry::kMaxTokenResponseBytes));
    return 0;
  }
  check(size <= registry::kMaxTokenResponseBytes);
  check(!parsed->token.empty());
  for (const char c : parsed->token) {
    check(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
  }
  check(parsed->expires_in >= registry::kMinTokenLifetime && parsed->expires_in <= std::chrono::hours(24 * 365));
  const auto received = std::chrono::steady_clock::time_point{} + std::chrono::hours(24 * 365);
  const auto refresh = parsed->refresh_at(received);
  check(refresh > received && refresh <= received + parsed->expires_in);
  return 0;
}
