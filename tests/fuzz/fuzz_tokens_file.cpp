// Fuzzes parse_tokens (tokens.json). Invariants: a refusal names the problem as a configuration error;
// accepted records have valid names, unique, and hashes the server can use; rendering them and parsing
// the result gives the same records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "control/tokens.hpp"
#include "fuzz_check.hpp"

namespace {

namespace control = berth::control;

using berth_fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = control::parse_tokens(text);
  if (!parsed) {
    check(parsed.error().kind == berth::common::ErrorKind::kInvalidArgument);
    check(parsed.error().message.starts_with("tokens file: "));
    return 0;
  }
  std::set<std::string> names;
  for (const auto& record : *parsed) {
    check(control::is_valid_token_name(record.name));
    check(names.insert(record.name).second);
    check(record.sha256.size() == 64);
  }
  const control::TokenSet set(*parsed);
  check(set.size() == parsed->size());
  (void)set.authenticate(text);
  (void)set.match_webhook_secret(text);
  const auto again = control::parse_tokens(control::render_tokens(*parsed));
  check(again.has_value() && *again == *parsed);
  return 0;
}
