// Fuzzes parse_reference. Invariants: a parsed reference is canonical (full() and familiar() parse back to
// the same value), its fields obey the grammar, and a refusal always explains itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.hpp"
#include "registry/digest.hpp"
#include "registry/reference.hpp"

namespace {

using berth_fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = berth::registry::parse_reference(text);
  if (!parsed) {
    check(parsed.error().kind == berth::common::ErrorKind::kInvalidArgument);
    check(parsed.error().message.starts_with("invalid reference \""));
    return 0;
  }
  const auto& ref = *parsed;
  check(!ref.registry.empty() && !ref.repository.empty());
  check(!ref.tag.empty() || !ref.digest.empty());
  check(ref.digest.empty() || berth::registry::is_valid_digest(ref.digest));
  check(ref.registry.size() + 1 + ref.repository.size() <= berth::registry::kMaxNameLength);
  check(ref.registry != "index.docker.io");
  check(!ref.is_docker_hub() || ref.repository.find('/') != std::string::npos);
  for (char c : ref.repository) {
    check(!(c >= 'A' && c <= 'Z'));
  }
  const auto again = berth::registry::parse_reference(ref.full());
  check(again.has_value() && *again == ref);
  const auto familiar = berth::registry::parse_reference(ref.familiar());
  check(familiar.has_value() && *familiar == ref);
  check(ref.pull_scope() == "repository:" + ref.repository + ":pull");
  return 0;
}
