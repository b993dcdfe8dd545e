#include "registry/manifest.hpp"

#include "common/json_member.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <utility>

#include "common/text.hpp"
#include "registry/digest.hpp"

namespace berth::registry {
namespace {

using common::ErrorKind;
using common::make_error;
using common::trim_blanks;
using nlohmann::json;

constexpr std::string_view kAttestationAnnotation = "vnd.docker.reference.type";
constexpr std::string_view kAttestationManifest = "attestation-manifest";
// Rank offset of a fallback to another architecture, after every variant of the same one.
constexpr int kOtherArchitecture = 1000;

// "vN" (or "N") as N; nullopt for anything else.
std::optional<int> variant_level(std::string_view variant) {
  if (!variant.empty() && variant.front() == 'v') {
    variant.remove_prefix(1);
  }
  int level = 0;
  const auto [end, ec] = std::from_chars(variant.data(), variant.data() + variant.size(), level);
  if (ec != std::errc() || end != variant.data() + variant.size() || variant.empty()) {
    return std::nullopt;
  }
  return level;
}

// arm64 variants as (major, minor): "" is v8.0, "v8.2", "v9" is v9.0.
std::optional<std::pair<int, int>> arm64_level(std::string_view variant) {
  if (variant.empty()) {
    return std::pair{8, 0};
  }
  if (variant.front() != 'v') {
    return std::nullopt;
  }
  variant.remove_prefix(1);
  const std::size_t dot = variant.find('.');
  const auto major = variant_level(variant.substr(0, dot));
  const auto minor = dot == std::string_view::npos ? std::optional<int>(0) : variant_level(variant.substr(dot + 1));
  if (!major || !minor || (*major != 8 && *major != 9) || *minor < 0 || *minor > 99) {
    return std::nullopt;
  }
  return std::pair{*major, *minor};
}

// Position of `have` in the arm64 ladder of `want`: v9.x, …, v9.0, then v8.(x+5), …, v8.0; or v8.x … v8.0.
std::optional<int> arm64_rank(std::pair<int, int> want, std::pair<int, int> have) {
  if (have.first > want.first) {
    return std::nullopt;
  }
  if (want.first == have.first) {
    return have.second <= want.second ? std::optional<int>(want.second - have.second) : std::nullopt;
  }
  // want is v9.x, have is v8.y: v9.x covers v8.(x+5).
  const int top = want.second + 5;
  return have.second <= top ? std::optional<int>(want.second + 1 + (top - have.second)) : std::nullopt;
}

bool is_attestation(const IndexEntry& entry) {
  const auto it = entry.annotations.find(std::string(kAttestationAnnotation));
  if (it != entry.annotations.end() && it->second == kAttestationManifest) {
    return true;
  }
  return entry.platform && entry.platform->os == "unknown" && entry.platform->architecture == "unknown";
}

common::Error protocol(std::string message) { return make_error(ErrorKind::kProtocol, std::move(message)); }

Result<Index> parse_index_entries(const json& doc, std::string media_type) {
  Index index;
  index.media_type = std::move(media_type);
  const auto list = doc.find("manifests");
  if (list == doc.end() || !list->is_array()) {
    return protocol("manifest index has no \"manifests\" list");
  }
  std::size_t position = 0;
  for (const auto& item : *list) {
    const std::size_t n = position++;
    if (!item.is_object()) {
      return protocol("manifest index entry " + std::to_string(n) + " is not an object");
    }
    IndexEntry entry;
    entry.media_type = media_type_essence(common::string_member(item, "mediaType"));
    entry.digest = common::string_member(item, "digest");
    if (const auto size = item.find("size"); size != item.end() && size->is_number_integer()) {
      entry.size = std::max<std::int64_t>(0, size->get<std::int64_t>());
    }
    if (const auto platform = item.find("platform"); platform != item.end() && platform->is_object()) {
      entry.platform =
          Platform{common::string_member(*platform, "os"), common::string_member(*platform, "architecture"),
                   common::string_member(*platform, "variant")};
    }
    if (const auto annotations = item.find("annotations"); annotations != item.end() && annotations->is_object()) {
      for (const auto& [key, value] : annotations->items()) {
        if (value.is_string()) {
          entry.annotations.emplace(key, value.get<std::string>());
        }
      }
    }
    // Entries of other media types are skipped, never an error (image-spec): an index may carry artifacts.
    if (!manifest_kind(entry.media_type) || is_attestation(entry)) {
      ++index.skipped;
      continue;
    }
    if (!is_valid_digest(entry.digest)) {
      return protocol("manifest index entry " + std::to_string(n) + " has an invalid digest");
    }
    index.manifests.push_back(std::move(entry));
  }
  return index;
}

}  // namespace

std::optional<ManifestKind> manifest_kind(std::string_view media_type) {
  const std::string essence = media_type_essence(media_type);
  if (essence == kDockerManifestV2 || essence == kOciManifest) {
    return ManifestKind::kImage;
  }
  if (essence == kDockerManifestList || essence == kOciIndex) {
    return ManifestKind::kIndex;
  }
  return std::nullopt;
}

std::string media_type_essence(std::string_view content_type) {
  return common::to_lower(common::trim_blanks(content_type.substr(0, content_type.find(';'))));
}

std::string Platform::to_string() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) {
    out += "/" + variant;
  }
  return out;
}

Platform normalize_platform(Platform platform) {
  platform.os = common::to_lower(platform.os);
  platform.architecture = common::to_lower(platform.architecture);
  platform.variant = common::to_lower(platform.variant);
  if (platform.os == "macos") {
    platform.os = "darwin";
  }
  std::string& arch = platform.architecture;
  std::string& variant = platform.variant;
  if (arch == "i386") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") {
      variant.clear();
    }
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8" || variant == "v8.0") {
      variant.clear();
    }
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7") {
      variant = "v7";
    } else if (variant == "5" || variant == "6" || variant == "8") {
      variant.insert(0, "v");
    }
  }
  return platform;
}

Result<Platform> parse_platform(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  const bool empty_part = std::any_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); });
  if (parts.size() < 2 || parts.size() > 3 || empty_part) {
    return make_error(ErrorKind::kInvalidArgument, "invalid platform \"" + std::string(text.substr(0, 100)) +
                                                       "\": expected os/architecture[/variant]");
  }
  return normalize_platform(
      Platform{std::string(parts[0]), std::string(parts[1]), parts.size() == 3 ? std::string(parts[2]) : ""});
}

Platform host_platform() {
#if defined(__x86_64__)
  return Platform{"linux", "amd64", ""};
#elif defined(__aarch64__)
  return Platform{"linux", "arm64", ""};
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
  return Platform{"linux", "arm", "v7"};
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH == 6
  return Platform{"linux", "arm", "v6"};
#elif defined(__arm__)
  return Platform{"linux", "arm", "v5"};
#elif defined(__i386__)
  return Platform{"linux", "386", ""};
#elif defined(__powerpc64__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return Platform{"linux", "ppc64le", ""};
#elif defined(__s390x__)
  return Platform{"linux", "s390x", ""};
#elif defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 64
  return Platform{"linux", "riscv64", ""};
#elif defined(__loongarch64)
  return Platform{"linux", "loong64", ""};
#else
#error "host_platform: unknown CPU architecture; add it here with its OCI name"
#endif
}

std::optional<int> platform_preference(const Platform& host, const Platform& candidate) {
  const Platform want = normalize_platform(host);
  const Platform have = normalize_platform(candidate);
  if (want.os != have.os) {
    return std::nullopt;
  }
  if (want.architecture == have.architecture) {
    if (want.variant == have.variant) {
      return 0;
    }
    if (want.architecture == "amd64") {
      const auto w = want.variant.empty() ? std::optional<int>(1) : variant_level(want.variant);
      const auto h = have.variant.empty() ? std::optional<int>(1) : variant_level(have.variant);
      if (w && h && *h >= 1 && *h <= *w) {
        return *w - *h;
      }
    } else if (want.architecture == "arm") {
      const auto w = variant_level(want.variant);
      const auto h = variant_level(have.variant);
      if (w && h && *h >= 5 && *h <= *w) {
        return *w - *h;
      }
    } else if (want.architecture == "arm64") {
      const auto w = arm64_level(want.variant);
      const auto h = arm64_level(have.variant);
      if (w && h) {
        return arm64_rank(*w, *h);
      }
    }
    return std::nullopt;
  }
  if (want.architecture == "amd64" && have.architecture == "386") {
    return kOtherArchitecture;
  }
  if (want.architecture == "arm64" && have.architecture == "arm" && arm64_level(want.variant)) {
    const auto h = variant_level(have.variant);
    if (h && *h >= 5 && *h <= 8) {
      return kOtherArchitecture + (8 - *h);
    }
  }
  return std::nullopt;
}

Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type) {
  if (body.size() > kMaxManifestBytes) {
    return make_error(ErrorKind::kTooLarge, "manifest of " + std::to_string(body.size()) +
                                                " bytes exceeds the limit of " + std::to_string(kMaxManifestBytes));
  }
  const json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return protocol("manifest is not a JSON object");
  }
  const std::string header_type = media_type_essence(content_type);
  const std::string body_type = media_type_essence(common::string_member(doc, "mediaType"));
  if (const auto version = doc.find("schemaVersion"); version != doc.end() && *version == 1) {
    return protocol("schema 1 manifests are not supported (Docker refuses to pull them too)");
  }
  std::string media_type;
  if (manifest_kind(header_type)) {
    if (!body_type.empty() && body_type != header_type) {
      return protocol("Content-Type " + header_type + " does not match the manifest's mediaType " + body_type);
    }
    media_type = header_type;
  } else if (manifest_kind(body_type)) {
    media_type = body_type;
  } else if (!body_type.empty()) {
    return protocol("unsupported manifest media type " + body_type.substr(0, 200));
  } else if (doc.contains("manifests")) {
    media_type = kOciIndex;
  } else if (doc.contains("config") && doc.contains("layers")) {
    media_type = kOciManifest;
  } else {
    return protocol("unsupported manifest: Content-Type " + header_type.substr(0, 200) + " and no mediaType");
  }

  Manifest manifest;
  manifest.media_type = media_type;
  manifest.kind = *manifest_kind(media_type);
  if (manifest.kind == ManifestKind::kIndex) {
    auto index = parse_index_entries(doc, media_type);
    if (!index) {
      return index.error();
    }
    manifest.index = std::move(*index);
    return manifest;
  }
  if (const auto config = doc.find("config"); config != doc.end() && config->is_object()) {
    manifest.config_digest = common::string_member(*config, "digest");
    if (!manifest.config_digest.empty() && !is_valid_digest(manifest.config_digest)) {
      return protocol("manifest config has an invalid digest");
    }
  }
  const auto size_of = [](const json& descriptor) {
    const auto size = descriptor.is_object() ? descriptor.find("size") : descriptor.end();
    return size != descriptor.end() && size->is_number_integer() ? std::max<std::int64_t>(size->get<std::int64_t>(), 0)
                                                                 : std::int64_t{0};
  };
  if (const auto config = doc.find("config"); config != doc.end()) {
    manifest.image_bytes += size_of(*config);
  }
  if (const auto layers = doc.find("layers"); layers != doc.end() && layers->is_array()) {
    for (const auto& layer : *layers) {
      manifest.image_bytes += size_of(layer);
    }
  }
  return manifest;
}

Result<IndexEntry> select_platform(const Index& index, const Platform& host) {
  const IndexEntry* best = nullptr;
  int best_rank = 0;
  for (const auto& entry : index.manifests) {
    if (!entry.platform) {
      continue;
    }
    const auto rank = platform_preference(host, *entry.platform);
    if (rank && (best == nullptr || *rank < best_rank)) {
      best = &entry;
      best_rank = *rank;
    }
  }
  if (best != nullptr) {
    return *best;
  }
  std::vector<std::string> names;
  for (const auto& entry : index.manifests) {
    std::string name = entry.platform ? normalize_platform(*entry.platform).to_string() : "(no platform)";
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  }
  std::string has;
  for (const auto& name : names) {
    has += (has.empty() ? "" : ", ") + name;
  }
  return make_error(ErrorKind::kNotFound, "no matching manifest for " + normalize_platform(host).to_string() +
                                              " in the manifest list entries (" +
                                              (names.empty() ? std::string("it has none") : "it has: " + has) + ")");
}

}  // namespace berth::registry
