// Fuzzes parse_manifest and select_platform. The first line of the input is the Content-Type, the rest
// the body. Invariants: a refusal explains itself (kTooLarge exactly above the limit, kProtocol
// otherwise); a manifest has one of the four media types; an index keeps only runnable entries with
// valid digests; the entry chosen for a host is one of them and runs there.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.hpp"
#include "registry/manifest.hpp"

namespace {

namespace registry = berth::registry;

using berth_fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view content_type =
      newline == std::string_view::npos ? std::string_view() : input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? input : input.substr(newline + 1);
  const auto parsed = registry::parse_manifest(body, content_type);
  if (!parsed) {
    check(!parsed.error().message.empty());
    check((parsed.error().kind == berth::common::ErrorKind::kTooLarge) == (body.size() > registry::kMaxManifestBytes));
    check(parsed.error().kind == berth::common::ErrorKind::kTooLarge ||
          parsed.error().kind == berth::common::ErrorKind::kProtocol);
    return 0;
  }
  const auto kind = registry::manifest_kind(parsed->media_type);
  check(kind.has_value() && *kind == parsed->kind);
  if (parsed->kind == registry::ManifestKind::kImage) {
    check(parsed->index.manifests.empty());
    return 0;
  }
  for (const auto& entry : parsed->index.manifests) {
    check(registry::is_valid_digest(entry.digest));
    check(registry::manifest_kind(entry.media_type).has_value());
    check(entry.size >= 0);
  }
  for (const std::string_view host : {"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386"}) {
    const auto platform = registry::parse_platform(host);
    check(platform.has_value());
    const auto chosen = registry::select_platform(parsed->index, *platform);
    if (!chosen) {
      check(chosen.error().kind == berth::common::ErrorKind::kNotFound);
      continue;
    }
    bool listed = false;
    for (const auto& entry : parsed->index.manifests) {
      listed = listed || entry == *chosen;
    }
    check(listed);
    check(chosen->platform.has_value() && registry::platform_preference(*platform, *chosen->platform).has_value());
  }
  return 0;
}
