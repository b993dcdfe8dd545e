#include "config/config_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace berth::config {

common::Result<std::string> read_config_file(const std::string& path, std::size_t max_bytes) {
  using common::ErrorKind;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const ErrorKind kind = err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kInternal;
    return common::make_error(kind, path + ": " + std::generic_category().message(err));
  }
  std::string text;
  char buffer[8192];
  while (in) {
    in.read(buffer, sizeof buffer);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (text.size() + got > max_bytes) {
      return common::make_error(ErrorKind::kTooLarge,
                                path + ": larger than " + std::to_string(max_bytes) + " bytes; is it the right file?");
    }
    text.append(buffer, got);
  }
  if (in.bad()) return common::make_error(ErrorKind::kInternal, path + ": read error");
  return text;
}

}  // namespace berth::config
