#include "docker/holder_image.hpp"
#include "docker/model.hpp"
#include "registry/digest.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace berth::docker {
namespace {

using nlohmann::json;

// The files of a tar archive by name, checking every header's checksum and the two closing blocks.
std::map<std::string, std::string> untar(const std::string& tar) {
  std::map<std::string, std::string> files;
  std::size_t at = 0;
  while (at + 512 <= tar.size()) {
    const std::string header = tar.substr(at, 512);
    if (header == std::string(512, '\0')) {
      EXPECT_EQ(tar.size(), at + 1024) << "two zero blocks close the archive";
      return files;
    }
    std::string with_spaces = header;
    with_spaces.replace(148, 8, 8, ' ');
    unsigned sum = 0;
    for (const char c : with_spaces) sum += static_cast<unsigned char>(c);
    EXPECT_EQ(std::stoul(header.substr(148, 6), nullptr, 8), sum);
    EXPECT_EQ(header.substr(257, 6), std::string("ustar\0", 6));
    const std::string name = header.substr(0, header.find('\0'));
    const std::size_t size = std::stoul(header.substr(124, 11), nullptr, 8);
    files[name] = tar.substr(at + 512, size);
    at += 512 + (size + 511) / 512 * 512;
  }
  ADD_FAILURE() << "no end of archive";
  return files;
}

TEST(HolderImage, StaticProgramsForBothArchitectures) {
  for (const auto& [arch, machine] : std::map<std::string, int>{{"amd64", 62}, {"arm64", 183}}) {
    const std::string program = holder_program(arch);
    ASSERT_GT(program.size(), 120U) << arch;
    EXPECT_EQ(program.substr(0, 4),
              "\x7f"
              "ELF");
    EXPECT_EQ(static_cast<unsigned char>(program[18]), machine);
    EXPECT_EQ(static_cast<unsigned char>(program[16]), 2) << "ET_EXEC: static, no interpreter";
  }
  EXPECT_TRUE(holder_program("s390x").empty());
  const auto other = holder_image("s390x");
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("\"s390x\""), std::string::npos);
}

TEST(HolderImage, ADockerArchiveWhoseIdIsItsConfigsDigest) {
  const auto image = holder_image("amd64");
  ASSERT_TRUE(image) << image.error().message;
  auto files = untar(image->archive);
  ASSERT_EQ(files.count("manifest.json"), 1U);
  const json manifest = json::parse(files["manifest.json"]);
  ASSERT_EQ(manifest.size(), 1U);
  EXPECT_EQ(manifest[0]["RepoTags"], json::array({std::string(kHolderImage)}));
  const std::string config_text = files[manifest[0]["Config"].get<std::string>()];
  EXPECT_EQ(registry::sha256_digest(config_text), image->id);
  const json config = json::parse(config_text);
  EXPECT_EQ(config["architecture"], "amd64");
  EXPECT_EQ(config["config"]["StopSignal"], "SIGKILL");
  const std::string layer = files[manifest[0]["Layers"][0].get<std::string>()];
  EXPECT_EQ(config["rootfs"]["diff_ids"], json::array({registry::sha256_digest(layer)}));
  auto layer_files = untar(layer);
  EXPECT_EQ(layer_files["holder"], holder_program("amd64"));
  EXPECT_EQ(holder_image("amd64")->archive, image->archive) << "the same bytes every time";
  EXPECT_NE(holder_image("arm64")->id, image->id);
}

TEST(StartedBefore, ComparesDockerTimesWhateverTheirFractionDigits) {
  EXPECT_TRUE(started_before("2026-12-07T16:16:01.7938Z", "2026-12-07T16:16:01.79381Z"));
  EXPECT_TRUE(started_before("2026-12-07T16:16:01Z", "2026-12-07T16:16:01.5Z"));
  EXPECT_FALSE(started_before("2026-12-07T16:16:01.5Z", "2026-12-07T16:16:01Z"));
  EXPECT_TRUE(started_before("2026-12-07T16:16:01.9Z", "2026-12-07T16:16:02.1Z"));
  EXPECT_FALSE(started_before("2026-12-07T16:16:01.1Z", "2026-12-07T16:16:01.1Z"));
  EXPECT_TRUE(started_before("0001-01-01T00:00:00Z", "2026-12-07T16:16:01Z")) << "never started";
}

}  // namespace
}  // namespace berth::docker
