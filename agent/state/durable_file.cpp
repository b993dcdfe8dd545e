#include "state/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

namespace berth::state {

using common::ErrorKind;

namespace {

common::Error io_error(const std::string& what, const std::string& path) {
  return common::make_error(ErrorKind::kInternal, what + " " + path + ": " + std::strerror(errno));
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

common::Status write_file_atomically(const std::string& path, std::string_view content, unsigned mode) {
  std::random_device rd;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return io_error("create", tmp);
  }
  // The new file keeps the owner of the one it replaces: `berth token create` run as root must leave
  // tokens.json readable by the agent's user. Only root can give a file away; anyone else writes
  // files that are theirs already, so a failure here changes nothing.
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) {
    (void)::fchown(fd, existing.st_uid, existing.st_gid);
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      auto e = io_error("write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto e = io_error("fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = io_error("rename into", path);
    ::unlink(tmp.c_str());
    return e;
  }
  const std::string dir = dir_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    return io_error("open directory", dir);
  }
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) {
    return io_error("fsync directory", dir);
  }
  return {};
}

common::Result<std::string> read_file(const std::string& path, std::size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return common::make_error(ErrorKind::kNotFound, path + ": no such file");
    }
    return io_error("open", path);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      auto e = io_error("read", path);
      ::close(fd);
      return e;
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<std::size_t>(n) > limit) {
      ::close(fd);
      return common::make_error(ErrorKind::kTooLarge, path + ": larger than " + std::to_string(limit) + " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

common::Status make_directories(const std::string& path, unsigned mode) {
  std::error_code ec;
  std::filesystem::path p(path);
  std::filesystem::path built;
  for (const auto& part : p) {
    built /= part;
    if (built.empty() || std::filesystem::exists(built, ec)) {
      continue;
    }
    if (::mkdir(built.c_str(), mode) != 0 && errno != EEXIST) {
      return io_error("create directory", built.string());
    }
  }
  if (!std::filesystem::is_directory(p, ec)) {
    return common::make_error(ErrorKind::kInternal, path + ": not a directory");
  }
  return {};
}

}  // namespace berth::state
