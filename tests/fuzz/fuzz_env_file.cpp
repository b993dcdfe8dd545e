// Fuzzes parse_env_file. Invariants: a file either gives variables or problems, never both; every
// variable has a name without '=' or white space, and each name comes once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "config/env_file.hpp"
#include "fuzz_check.hpp"

namespace {

using berth_fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = berth::config::parse_env_file(text, "/etc/berth/web.env");
  if (!parsed.problems.empty()) {
    check(!parsed.value.has_value());
    return 0;
  }
  check(parsed.value.has_value());
  std::set<std::string> names;
  for (const auto& var : *parsed.value) {
    check(!var.name.empty());
    check(var.name.find_first_of("= \t\r\n\v\f") == std::string::npos);
    check(var.value.find('\n') == std::string::npos);
    check(names.insert(var.name).second);
  }
  return 0;
}
