#pragma once

#include "common/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::state {

// Replaces `path` with `content` so that a crash at any moment leaves either the old or the new file,
// never a torn one: write a temp file in the same directory, fsync it, rename it over, fsync the
// directory. The file gets `mode` (0600 by default: state can name images and hosts).
common::Status write_file_atomically(const std::string& path, std::string_view content, unsigned mode = 0600);

// Reads a whole file, refusing files over `limit` bytes. A missing file is kNotFound.
common::Result<std::string> read_file(const std::string& path, std::size_t limit = 16 * 1024 * 1024);

// mkdir -p with the given mode for directories it creates.
common::Status make_directories(const std::string& path, unsigned mode = 0700);

}  // namespace berth::state
