#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace berth::config::testing {

// tests/data/config (BERTH_TEST_DATA_DIR comes from tests/CMakeLists.txt).
inline std::filesystem::path fixture_dir() { return std::filesystem::path(BERTH_TEST_DATA_DIR) / "config"; }

inline std::string read_fixture(const std::string& relative) {
  std::ifstream in(fixture_dir() / relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace berth::config::testing
