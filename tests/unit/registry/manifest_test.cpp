#include "registry/manifest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace berth::registry {
namespace {

std::string digest_of(char c) { return "sha256:" + std::string(64, c); }

// A BuildKit-built multi-platform OCI index, as Docker Hub serves it: two images and their attestations.
const std::string kBuildkitIndex = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                                   digest_of('1') + R"(", "size": 1234,
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                                   digest_of('2') + R"(", "size": 1235,
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                                   digest_of('3') + R"(", "size": 566,
     "annotations": {"vnd.docker.reference.digest": ")" +
                                   digest_of('1') + R"(",
                     "vnd.docker.reference.type": "attestation-manifest"},
     "platform": {"architecture": "unknown", "os": "unknown"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                                   digest_of('4') + R"(", "size": 566,
     "annotations": {"vnd.docker.reference.digest": ")" +
                                   digest_of('2') + R"(",
                     "vnd.docker.reference.type": "attestation-manifest"},
     "platform": {"architecture": "unknown", "os": "unknown"}}
  ]
})";

// A Docker manifest list with several arm variants.
const std::string kDockerList = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": ")" +
                                digest_of('a') + R"(",
     "size": 527, "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": ")" +
                                digest_of('b') + R"(",
     "size": 527, "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": ")" +
                                digest_of('c') + R"(",
     "size": 527, "platform": {"architecture": "386", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": ")" +
                                digest_of('d') + R"(",
     "size": 527, "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1"}}
  ]
})";

const std::string kDockerImage = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
             "digest": ")" + digest_of('e') +
                                 R"("},
  "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2811321,
              "digest": ")" + digest_of('f') +
                                 R"("}]
})";

Manifest parse_ok(std::string_view body, std::string_view content_type) {
  auto r = parse_manifest(body, content_type);
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? *r : Manifest{};
}

std::string parse_error(std::string_view body, std::string_view content_type,
                        common::ErrorKind kind = common::ErrorKind::kProtocol) {
  auto r = parse_manifest(body, content_type);
  EXPECT_FALSE(r.has_value());
  if (r.has_value()) {
    return {};
  }
  EXPECT_EQ(r.error().kind, kind);
  return r.error().message;
}

TEST(MediaTypes, AcceptListsAllFour) {
  for (auto type : {kDockerManifestV2, kDockerManifestList, kOciManifest, kOciIndex}) {
    EXPECT_NE(kManifestAccept.find(type), std::string_view::npos) << type;
  }
  EXPECT_EQ(std::count(kManifestAccept.begin(), kManifestAccept.end(), ','), 3);
}

TEST(MediaTypes, KindAndEssence) {
  EXPECT_EQ(manifest_kind(kDockerManifestV2), ManifestKind::kImage);
  EXPECT_EQ(manifest_kind(kOciManifest), ManifestKind::kImage);
  EXPECT_EQ(manifest_kind(kDockerManifestList), ManifestKind::kIndex);
  EXPECT_EQ(manifest_kind(kOciIndex), ManifestKind::kIndex);
  EXPECT_EQ(manifest_kind("Application/VND.OCI.Image.Index.v1+JSON; charset=utf-8"), ManifestKind::kIndex);
  EXPECT_EQ(manifest_kind("application/vnd.docker.distribution.manifest.v1+prettyjws"), std::nullopt);
  EXPECT_EQ(manifest_kind("application/json"), std::nullopt);
  EXPECT_EQ(manifest_kind(""), std::nullopt);
  EXPECT_EQ(media_type_essence(" application/vnd.oci.image.index.v1+json ; charset=utf-8"),
            "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(media_type_essence("TEXT/Plain"), "text/plain");
}

TEST(Platform, NormalisesLikeContainerd) {
  struct Case {
    Platform in;
    Platform out;
  };
  const Case cases[] = {
      {{"linux", "x86_64", ""}, {"linux", "amd64", ""}},    {{"linux", "x86-64", "v1"}, {"linux", "amd64", ""}},
      {{"linux", "amd64", "v3"}, {"linux", "amd64", "v3"}}, {{"linux", "aarch64", ""}, {"linux", "arm64", ""}},
      {{"linux", "arm64", "v8"}, {"linux", "arm64", ""}},   {{"linux", "arm64", "8"}, {"linux", "arm64", ""}},
      {{"linux", "arm64", "v8.0"}, {"linux", "arm64", ""}}, {{"linux", "arm64", "v8.2"}, {"linux", "arm64", "v8.2"}},
      {{"linux", "armhf", ""}, {"linux", "arm", "v7"}},     {{"linux", "armel", ""}, {"linux", "arm", "v6"}},
      {{"linux", "arm", ""}, {"linux", "arm", "v7"}},       {{"linux", "arm", "7"}, {"linux", "arm", "v7"}},
      {{"linux", "arm", "6"}, {"linux", "arm", "v6"}},      {{"linux", "arm", "v5"}, {"linux", "arm", "v5"}},
      {{"linux", "i386", "x"}, {"linux", "386", ""}},       {{"Linux", "AMD64", ""}, {"linux", "amd64", ""}},
      {{"macos", "arm64", ""}, {"darwin", "arm64", ""}},    {{"linux", "ppc64le", ""}, {"linux", "ppc64le", ""}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(normalize_platform(c.in), c.out) << c.in.to_string();
  }
}

TEST(Platform, ToStringAndParse) {
  EXPECT_EQ((Platform{"linux", "amd64", ""}).to_string(), "linux/amd64");
  EXPECT_EQ((Platform{"linux", "arm", "v7"}).to_string(), "linux/arm/v7");
  EXPECT_EQ(*parse_platform("linux/aarch64"), (Platform{"linux", "arm64", ""}));
  EXPECT_EQ(*parse_platform("linux/arm64/v8"), (Platform{"linux", "arm64", ""}));
  EXPECT_EQ(*parse_platform("linux/arm"), (Platform{"linux", "arm", "v7"}));
  EXPECT_EQ(*parse_platform("linux/arm/v6"), (Platform{"linux", "arm", "v6"}));
  for (auto bad : {"", "linux", "linux/", "/amd64", "linux/arm//", "a/b/c/d"}) {
    auto r = parse_platform(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, common::ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message, "invalid platform \"" + std::string(bad) + "\": expected os/architecture[/variant]");
  }
}

TEST(Platform, HostPlatformIsLinuxAndNormalised) {
  const Platform host = host_platform();
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
  EXPECT_EQ(normalize_platform(host), host);
#if defined(__x86_64__)
  EXPECT_EQ(host, (Platform{"linux", "amd64", ""}));
#elif defined(__aarch64__)
  EXPECT_EQ(host, (Platform{"linux", "arm64", ""}));
#endif
}

TEST(Platform, Preference) {
  const Platform amd64{"linux", "amd64", ""};
  EXPECT_EQ(platform_preference(amd64, {"linux", "amd64", ""}), 0);
  EXPECT_EQ(platform_preference(amd64, {"linux", "x86_64", "v1"}), 0);
  EXPECT_EQ(platform_preference(amd64, {"linux", "amd64", "v2"}), std::nullopt);
  EXPECT_EQ(platform_preference(amd64, {"linux", "arm64", ""}), std::nullopt);
  EXPECT_EQ(platform_preference(amd64, {"windows", "amd64", ""}), std::nullopt);
  EXPECT_GT(platform_preference(amd64, {"linux", "386", ""}).value_or(-1), 0);

  const Platform amd64v3{"linux", "amd64", "v3"};
  EXPECT_EQ(platform_preference(amd64v3, {"linux", "amd64", "v3"}), 0);
  EXPECT_EQ(platform_preference(amd64v3, {"linux", "amd64", "v2"}), 1);
  EXPECT_EQ(platform_preference(amd64v3, {"linux", "amd64", ""}), 2);
  EXPECT_EQ(platform_preference(amd64v3, {"linux", "amd64", "v4"}), std::nullopt);
  EXPECT_GT(platform_preference(amd64v3, {"linux", "386", ""}).value_or(-1), 2);

  const Platform armv7{"linux", "arm", ""};  // normalised to v7
  EXPECT_EQ(platform_preference(armv7, {"linux", "armhf", ""}), 0);
  EXPECT_EQ(platform_preference(armv7, {"linux", "arm", "v6"}), 1);
  EXPECT_EQ(platform_preference(armv7, {"linux", "arm", "v5"}), 2);
  EXPECT_EQ(platform_preference(armv7, {"linux", "arm", "v8"}), std::nullopt);
  EXPECT_EQ(platform_preference(armv7, {"linux", "arm64", ""}), std::nullopt);

  const Platform arm64{"linux", "aarch64", ""};
  EXPECT_EQ(platform_preference(arm64, {"linux", "arm64", "v8"}), 0);
  EXPECT_EQ(platform_preference(arm64, {"linux", "arm64", "v8.1"}), std::nullopt);
  const auto arm_v8 = platform_preference(arm64, {"linux", "arm", "v8"});
  const auto arm_v7 = platform_preference(arm64, {"linux", "arm", "v7"});
  ASSERT_TRUE(arm_v8 && arm_v7);
  EXPECT_GT(*arm_v8, 0);
  EXPECT_GT(*arm_v7, *arm_v8);
  EXPECT_EQ(platform_preference(arm64, {"linux", "amd64", ""}), std::nullopt);

  const Platform arm64v82{"linux", "arm64", "v8.2"};
  EXPECT_EQ(platform_preference(arm64v82, {"linux", "arm64", "v8.1"}), 1);
  EXPECT_EQ(platform_preference(arm64v82, {"linux", "arm64", ""}), 2);
  const Platform arm64v9{"linux", "arm64", "v9"};
  EXPECT_EQ(platform_preference(arm64v9, {"linux", "arm64", "v9.0"}), 0);
  EXPECT_EQ(platform_preference(arm64v9, {"linux", "arm64", "v8.5"}), 1);
  EXPECT_EQ(platform_preference(arm64v9, {"linux", "arm64", ""}), 6);
  EXPECT_EQ(platform_preference(arm64v9, {"linux", "arm64", "v8.6"}), std::nullopt);
  EXPECT_EQ(platform_preference(arm64v9, {"linux", "arm64", "v9.1"}), std::nullopt);

  const Platform s390x{"linux", "s390x", ""};
  EXPECT_EQ(platform_preference(s390x, {"linux", "s390x", ""}), 0);
  EXPECT_EQ(platform_preference(s390x, {"linux", "s390x", "z15"}), std::nullopt);
}

TEST(ParseManifest, BuildkitIndexSkipsAttestations) {
  const Manifest m = parse_ok(kBuildkitIndex, "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.media_type, kOciIndex);
  EXPECT_EQ(m.index.media_type, kOciIndex);
  ASSERT_EQ(m.index.manifests.size(), 2u);
  EXPECT_EQ(m.index.skipped, 2u);
  EXPECT_EQ(m.index.manifests[0].digest, digest_of('1'));
  EXPECT_EQ(m.index.manifests[0].size, 1234);
  EXPECT_EQ(m.index.manifests[0].media_type, kOciManifest);
  EXPECT_EQ(m.index.manifests[0].platform, (Platform{"linux", "amd64", ""}));
  EXPECT_EQ(m.index.manifests[1].platform, (Platform{"linux", "arm64", "v8"}));  // as written

  EXPECT_EQ(select_platform(m.index, {"linux", "amd64", ""})->digest, digest_of('1'));
  EXPECT_EQ(select_platform(m.index, {"linux", "aarch64", ""})->digest, digest_of('2'));
  const auto missing = select_platform(m.index, {"linux", "arm", "v7"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, common::ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().message,
            "no matching manifest for linux/arm/v7 in the manifest list entries (it has: linux/amd64, linux/arm64)");
}

TEST(ParseManifest, AttestationByAnnotationOrUnknownPlatformAlone) {
  const std::string body = R"({"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                           digest_of('1') + R"(",
     "annotations": {"vnd.docker.reference.type": "attestation-manifest"}, "platform": {"os": "linux", "architecture": "amd64"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                           digest_of('2') + R"(",
     "platform": {"os": "unknown", "architecture": "unknown"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                           digest_of('3') + R"(",
     "annotations": {"org.opencontainers.image.ref.name": "x"}, "platform": {"os": "linux", "architecture": "amd64"}}]})";
  const Manifest m = parse_ok(body, "");
  ASSERT_EQ(m.index.manifests.size(), 1u);
  EXPECT_EQ(m.index.skipped, 2u);
  EXPECT_EQ(m.index.manifests[0].digest, digest_of('3'));
  EXPECT_EQ(m.index.manifests[0].annotations.at("org.opencontainers.image.ref.name"), "x");
}

TEST(ParseManifest, DockerListAndArmFallbacks) {
  const Manifest m = parse_ok(kDockerList, "application/vnd.docker.distribution.manifest.list.v2+json");
  EXPECT_EQ(m.kind, ManifestKind::kIndex);
  EXPECT_EQ(m.media_type, kDockerManifestList);
  ASSERT_EQ(m.index.manifests.size(), 4u);
  EXPECT_EQ(select_platform(m.index, {"linux", "arm", ""})->digest, digest_of('b'));
  EXPECT_EQ(select_platform(m.index, {"linux", "arm", "v6"})->digest, digest_of('a'));
  EXPECT_EQ(select_platform(m.index, {"linux", "arm64", ""})->digest, digest_of('b'));  // arm/v7 on arm64
  EXPECT_EQ(select_platform(m.index, {"linux", "amd64", ""})->digest, digest_of('c'));  // 386 on amd64
  EXPECT_EQ(select_platform(m.index, {"windows", "amd64", ""})->digest, digest_of('d'));
  const auto missing = select_platform(m.index, {"linux", "s390x", ""});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message,
            "no matching manifest for linux/s390x in the manifest list entries (it has: linux/arm/v6, linux/arm/v7, "
            "linux/386, windows/amd64)");
}

TEST(SelectPlatform, FirstOfEqualMatchesAndBestFallback) {
  Index index;
  index.media_type = std::string(kOciIndex);
  index.manifests = {
      {digest_of('1'), std::string(kOciManifest), 1, Platform{"linux", "amd64", "v2"}, {}},
      {digest_of('2'), std::string(kOciManifest), 1, Platform{"linux", "x86_64", ""}, {}},
      {digest_of('3'), std::string(kOciManifest), 1, Platform{"linux", "amd64", ""}, {}},
      {digest_of('4'), std::string(kOciManifest), 1, std::nullopt, {}},
  };
  EXPECT_EQ(select_platform(index, {"linux", "amd64", ""})->digest, digest_of('2'));
  EXPECT_EQ(select_platform(index, {"linux", "amd64", "v3"})->digest, digest_of('1'));
  EXPECT_EQ(select_platform(index, {"linux", "arm64", ""}).error().message,
            "no matching manifest for linux/arm64 in the manifest list entries (it has: linux/amd64/v2, linux/amd64, "
            "(no platform))");
  EXPECT_EQ(select_platform(Index{}, {"linux", "amd64", ""}).error().message,
            "no matching manifest for linux/amd64 in the manifest list entries (it has none)");
}

TEST(ParseManifest, NestedIndexEntryIsReturnedForAnotherRound) {
  const std::string body = R"({"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": ")" +
                           digest_of('9') + R"(",
     "platform": {"os": "linux", "architecture": "amd64"}}]})";
  const Manifest m = parse_ok(body, "application/vnd.oci.image.index.v1+json");
  const auto entry = select_platform(m.index, {"linux", "amd64", ""});
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(manifest_kind(entry->media_type), ManifestKind::kIndex);
}

TEST(ParseManifest, UnknownEntryTypesAreSkippedEvenWithOddDigests) {
  const std::string body = R"({"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.example.sbom+json", "digest": "md5:abc"},
    {"digest": ")" + digest_of('1') +
                           R"(", "platform": {"os": "linux", "architecture": "amd64"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                           digest_of('2') + R"(",
     "size": -5, "platform": {"os": "linux", "architecture": "amd64"}, "annotations": {"n": 1, "s": "v"}}]})";
  const Manifest m = parse_ok(body, kOciIndex);
  ASSERT_EQ(m.index.manifests.size(), 1u);
  EXPECT_EQ(m.index.skipped, 2u);
  EXPECT_EQ(m.index.manifests[0].size, 0);
  EXPECT_EQ(m.index.manifests[0].annotations.size(), 1u);
}

TEST(ParseManifest, ImageManifests) {
  const Manifest docker = parse_ok(kDockerImage, "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(docker.kind, ManifestKind::kImage);
  EXPECT_EQ(docker.media_type, kDockerManifestV2);
  EXPECT_EQ(docker.config_digest, digest_of('e'));
  EXPECT_EQ(docker.image_bytes, 1469 + 2811321);  // what the disk guard expects a pull to download
  EXPECT_TRUE(docker.index.manifests.empty());

  // An OCI manifest without mediaType, served with a generic Content-Type: recognised by its shape.
  const std::string oci = R"({"schemaVersion": 2, "config": {"digest": ")" + digest_of('7') + R"("}, "layers": []})";
  const Manifest shaped = parse_ok(oci, "application/octet-stream");
  EXPECT_EQ(shaped.media_type, kOciManifest);
  EXPECT_EQ(shaped.config_digest, digest_of('7'));
  EXPECT_EQ(shaped.image_bytes, 0);  // sizes missing: nothing known
  // The same body under its proper Content-Type (with parameters).
  EXPECT_EQ(parse_ok(oci, "application/vnd.oci.image.manifest.v1+json; charset=utf-8").media_type, kOciManifest);
  // The body's mediaType is used when Content-Type says nothing useful.
  EXPECT_EQ(parse_ok(kDockerImage, "application/json").media_type, kDockerManifestV2);
  // An index without mediaType is recognised by its manifests list.
  EXPECT_EQ(parse_ok(R"({"schemaVersion": 2, "manifests": []})", "").media_type, kOciIndex);
}

TEST(ParseManifest, RejectsWhatItCannotUse) {
  EXPECT_EQ(parse_error("not json", kOciIndex), "manifest is not a JSON object");
  EXPECT_EQ(parse_error("[1]", kOciIndex), "manifest is not a JSON object");
  EXPECT_EQ(parse_error(R"({"schemaVersion": 1, "name": "x", "fsLayers": []})",
                        "application/vnd.docker.distribution.manifest.v1+prettyjws"),
            "schema 1 manifests are not supported (Docker refuses to pull them too)");
  EXPECT_EQ(parse_error(kDockerImage, kOciIndex),
            "Content-Type application/vnd.oci.image.index.v1+json does not match the manifest's mediaType "
            "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(parse_error(R"({"mediaType": "application/vnd.oci.artifact.manifest.v1+json"})", "application/json"),
            "unsupported manifest media type application/vnd.oci.artifact.manifest.v1+json");
  EXPECT_EQ(parse_error(R"({"schemaVersion": 2})", "text/plain"),
            "unsupported manifest: Content-Type text/plain and no mediaType");
  EXPECT_EQ(parse_error(R"({"mediaType": "application/vnd.oci.image.index.v1+json"})", ""),
            "manifest index has no \"manifests\" list");
  EXPECT_EQ(parse_error(R"({"manifests": [1]})", kOciIndex), "manifest index entry 0 is not an object");
  EXPECT_EQ(parse_error(R"({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                           "digest": "sha256:ABC"}]})",
                        kOciIndex),
            "manifest index entry 0 has an invalid digest");
  EXPECT_EQ(
      parse_error(R"({"mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"digest": "x"}})", ""),
      "manifest config has an invalid digest");
  const std::string huge(kMaxManifestBytes + 1, ' ');
  EXPECT_EQ(parse_error(huge, kOciIndex, common::ErrorKind::kTooLarge),
            "manifest of 4194305 bytes exceeds the limit of 4194304");
}

}  // namespace
}  // namespace berth::registry
