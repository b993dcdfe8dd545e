#pragma once

#include "common/error.hpp"

#include <cstddef>
#include <string>

namespace berth::config {

// No configuration file, service file or environment file is larger than this.
inline constexpr std::size_t kMaxConfigFileBytes = std::size_t{1} << 20;

// The whole file as text. kNotFound when it does not exist, kTooLarge past `max_bytes`, kInternal for
// other read errors; the message names the file.
common::Result<std::string> read_config_file(const std::string& path, std::size_t max_bytes = kMaxConfigFileBytes);

}  // namespace berth::config
