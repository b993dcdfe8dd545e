#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace berth::config::testing {

// tests/data/config, found from this file's own path (CMake compiles with absolute source paths).
inline std::filesystem::path fixture_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "data" / "config";
}

inline std::string read_fixture(const std::string& relative) {
  std::ifstream in(fixture_dir() / relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace berth::config::testing
