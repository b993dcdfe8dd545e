#pragma once

// Manifests as registries serve them: the four media types berth accepts, image indexes (multi-platform
// "manifest lists") and the choice of the entry that runs on this host.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "registry/digest.hpp"  // is_sha256_digest, is_valid_digest, sha256_digest for manifest bodies

namespace berth::registry {

using common::Result;

inline constexpr std::string_view kDockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";

// The Accept header value for manifest HEAD and GET: all four types. Leaving out a list type makes some
// registries answer with one platform's manifest (and its digest) instead of the index, or with a 404.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json";

// Largest manifest body parse_manifest accepts (the limit the CNCF registry applies to uploads).
inline constexpr std::size_t kMaxManifestBytes = std::size_t{4} * 1024 * 1024;

enum class ManifestKind {
  kImage,  // a single-platform image manifest (Docker v2 schema 2 or OCI)
  kIndex,  // a list of manifests, one per platform (Docker manifest list or OCI index)
};

// The kind of one of the four media types (parameters and case ignored), or nullopt for any other type.
std::optional<ManifestKind> manifest_kind(std::string_view media_type);

// A Content-Type value without its parameters, trimmed and lower-cased:
// "application/vnd.oci.image.index.v1+json; charset=utf-8" -> "application/vnd.oci.image.index.v1+json".
std::string media_type_essence(std::string_view content_type);

// An OCI platform. Compare platforms after normalize_platform(): "aarch64" and "arm64/v8" are "arm64".
struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"
  std::string variant;       // "v7" for arm, empty when the architecture's default

  bool operator==(const Platform&) const = default;

  // "linux/amd64", "linux/arm/v7".
  [[nodiscard]] std::string to_string() const;
};

// Normalises names as containerd does: lower case; x86_64 and x86-64 are amd64 (variant v1 is the default,
// empty); aarch64 is arm64 (variants 8, v8 and v8.0 are the default, empty); armhf is arm/v7, armel
// arm/v6, bare arm is arm/v7 and arm variants 5 to 8 gain their "v"; i386 is 386; macos is darwin.
Platform normalize_platform(Platform platform);

// Parses "os/architecture[/variant]" ("linux/arm64", "linux/arm/v7") and normalises it.
Result<Platform> parse_platform(std::string_view text);

// The platform this binary was compiled for (always linux), normalised. The Docker Engine's own
// architecture (GET /info) is the better source when the agent runs under emulation.
Platform host_platform();

// How well an image built for `candidate` suits a host of platform `host`: 0 for an exact match, larger
// for fallbacks Docker also accepts (amd64/v3 runs amd64/v2, then v1, then 386; arm/v7 runs v6 and v5;
// arm64 runs lower arm64 variants, then arm/v8 down to arm/v5), nullopt when it cannot run. Both sides are
// normalised first.
std::optional<int> platform_preference(const Platform& host, const Platform& candidate);

// One entry of an index.
struct IndexEntry {
  std::string digest;      // "sha256:…", validated
  std::string media_type;  // one of the four types; an entry may itself be an index
  std::int64_t size = 0;
  std::optional<Platform> platform;  // as written in the index (not normalised); absent when the entry has none
  std::map<std::string, std::string> annotations;

  bool operator==(const IndexEntry&) const = default;
};

struct Index {
  std::string media_type;             // kDockerManifestList or kOciIndex
  std::vector<IndexEntry> manifests;  // runnable entries in document order
  // Entries left out of `manifests`: attestations (annotation vnd.docker.reference.type =
  // attestation-manifest, or platform unknown/unknown) and entries of other media types.
  std::size_t skipped = 0;
};

struct Manifest {
  ManifestKind kind = ManifestKind::kImage;
  std::string media_type;     // one of the four types
  Index index;                // kind == kIndex
  std::string config_digest;  // kind == kImage: the image configuration's digest (Docker's image ID), if present
  // kind == kImage: the sizes of the configuration and the layers as the manifest gives them (compressed,
  // as they are downloaded). Negative or missing sizes count as 0.
  std::int64_t image_bytes = 0;
};

// Parses a manifest or index body. The media type comes from Content-Type when it is one of the four,
// else from the body's mediaType, else from the shape of the body (an OCI manifest may omit mediaType).
// Errors: kTooLarge above kMaxManifestBytes; kProtocol for invalid JSON, schema 1 manifests, an unknown
// media type, a Content-Type that contradicts the body's mediaType, or an index entry with a bad digest.
Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type);

// The entry of an index to run on `host`: the best platform_preference(), the first one on a tie, as Docker
// chooses when it pulls. The entry may itself be an index (fetch it and select again). kNotFound when none
// fits, naming the platforms the index has: "no matching manifest for linux/amd64 in the manifest list
// entries (it has: linux/arm64, linux/arm/v7)".
Result<IndexEntry> select_platform(const Index& index, const Platform& host);

}  // namespace berth::registry
