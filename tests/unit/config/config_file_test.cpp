#include "config/config_file.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace berth::config {
namespace {

TEST(ConfigFile, ReadsAWholeFile) {
  const auto text = read_config_file((testing::fixture_dir() / "agent" / "full.json").string());
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("\"docker\""), std::string::npos);
}

TEST(ConfigFile, MissingFileIsNotFound) {
  const auto text = read_config_file("/nonexistent/berth/agent.json");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().kind, common::ErrorKind::kNotFound);
  EXPECT_EQ(text.error().message, "/nonexistent/berth/agent.json: No such file or directory");
}

TEST(ConfigFile, RefusesFilesPastTheCap) {
  const auto path = std::filesystem::temp_directory_path() / ("berth-config-file-test-" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(100, 'x');
  }
  const auto small = read_config_file(path.string(), 100);
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(small->size(), 100U);
  const auto big = read_config_file(path.string(), 99);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().kind, common::ErrorKind::kTooLarge);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace berth::config
