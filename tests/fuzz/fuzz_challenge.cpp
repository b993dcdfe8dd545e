// Fuzzes parse_challenges. Invariants: schemes and parameter names come out lower-case and non-empty, the
// size limit holds, and the challenges written back in canonical form parse to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "registry/challenge.hpp"

namespace {

using berth_fuzz::check;

bool has_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') {
      return true;
    }
  }
  return false;
}

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string serialise(const std::vector<berth::registry::Challenge>& challenges) {
  std::string out;
  for (const auto& challenge : challenges) {
    if (!out.empty()) {
      out += ", ";
    }
    out += challenge.scheme;
    if (!challenge.token68.empty()) {
      out += ' ' + challenge.token68;
    }
    bool first = true;
    for (const auto& [key, value] : challenge.params) {
      out += first ? " " : ", ";
      out += key + '=' + quote(value);
      first = false;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = berth::registry::parse_challenges(text);
  if (!parsed) {
    check(!parsed.error().message.empty());
    check(size <= berth::registry::kMaxChallengeHeaderBytes ||
          parsed.error().kind == berth::common::ErrorKind::kTooLarge);
    return 0;
  }
  check(size <= berth::registry::kMaxChallengeHeaderBytes);
  check(!parsed->empty());
  for (const auto& challenge : *parsed) {
    check(!challenge.scheme.empty() && !has_upper(challenge.scheme));
    check(challenge.token68.empty() || challenge.params.empty());
    for (const auto& [key, value] : challenge.params) {
      check(!key.empty() && !has_upper(key));
      check(challenge.param(key) == value);
    }
  }
  const std::string canonical = serialise(*parsed);
  if (canonical.size() <= berth::registry::kMaxChallengeHeaderBytes) {
    const auto again = berth::registry::parse_challenges(canonical);
    check(again.has_value() && *again == *parsed);
  }
  return 0;
}
