#include "control/token_store.hpp"

#include "control/time_text.hpp"
#include "state/durable_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace berth::control {

using common::ErrorKind;

namespace {

// An exclusive lock on "<path>.lock" for the read-modify-write of the `berth token` commands.
class FileLock {
 public:
  explicit FileLock(const std::string& path)
      : fd_(::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

common::Result<std::vector<TokenRecord>> read_records(const std::string& path) {
  auto text = state::read_file(path, kMaxTokensFileBytes);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound) {
      return std::vector<TokenRecord>{};
    }
    return text.error();
  }
  auto records = parse_tokens(*text);
  if (!records) {
    return common::make_error(records.error().kind, path + ": " + records.error().message);
  }
  return records;
}

common::Error lock_error(const std::string& path) {
  return common::make_error(ErrorKind::kInternal, "cannot lock " + path + ".lock: " + std::strerror(errno));
}

}  // namespace

common::Result<std::vector<TokenRecord>> TokenStore::list() const { return read_records(path_); }

namespace {

common::Status check_new_token(const std::string& name, Scope scope) {
  if (!is_valid_token_name(name)) {
    return common::make_error(ErrorKind::kInvalidArgument,
                              "invalid token name \"" + name +
                                  "\": use letters, digits, '.', '_' and '-' (64 at most), starting with a letter "
                                  "or digit");
  }
  if (scope == Scope::kNone) {
    return common::make_error(ErrorKind::kInvalidArgument, "a token needs a scope");
  }
  return {};
}

}  // namespace

common::Status TokenStore::insert(TokenRecord record) {
  FileLock lock(path_);
  if (!lock.held()) {
    return lock_error(path_);
  }
  auto records = read_records(path_);
  if (!records) {
    return records.error();
  }
  if (std::any_of(records->begin(), records->end(), [&](const TokenRecord& r) { return r.name == record.name; })) {
    return common::make_error(ErrorKind::kConflict, "a token named \"" + record.name + "\" already exists");
  }
  records->push_back(std::move(record));
  return state::write_file_atomically(path_, render_tokens(*records), 0600);
}

common::Result<std::string> TokenStore::create(const std::string& name, Scope scope,
                                               std::chrono::system_clock::time_point now) {
  if (auto st = check_new_token(name, scope); !st) {
    return st.error();
  }
  auto token = generate_token();
  if (!token) {
    return token.error();
  }
  if (auto st = insert(TokenRecord{name, scope, hash_token(*token), rfc3339_utc(now)}); !st) {
    return st.error();
  }
  return token;
}

common::Status TokenStore::add(const std::string& name, Scope scope, std::string_view sha256_hex,
                               std::chrono::system_clock::time_point now) {
  if (auto st = check_new_token(name, scope); !st) {
    return st;
  }
  std::string hex(sha256_hex);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return std::tolower(c); });
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return common::make_error(ErrorKind::kInvalidArgument,
                              "--sha256 must be the token's SHA-256 as 64 hex digits (sha256sum prints it)");
  }
  return insert(TokenRecord{name, scope, hex, rfc3339_utc(now)});
}

common::Status TokenStore::revoke(std::string_view name) {
  FileLock lock(path_);
  if (!lock.held()) {
    return lock_error(path_);
  }
  auto records = read_records(path_);
  if (!records) {
    return records.error();
  }
  const auto before = records->size();
  std::erase_if(*records, [&](const TokenRecord& r) { return r.name == name; });
  if (records->size() == before) {
    return common::make_error(ErrorKind::kNotFound, "no token named \"" + std::string(name) + "\"");
  }
  return state::write_file_atomically(path_, render_tokens(*records), 0600);
}

const TokenSet& TokenWatcher::current() {
  struct stat st {};
  Stamp now;
  if (::stat(path_.c_str(), &st) == 0) {
    now.device = static_cast<unsigned long long>(st.st_dev);
    now.inode = static_cast<unsigned long long>(st.st_ino);
    now.size = static_cast<long long>(st.st_size);
    now.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  }
  if (loaded_ && now == stamp_) {
    return set_;
  }
  loaded_ = true;
  stamp_ = now;
  auto records = read_records(path_);
  if (!records) {
    problem_ = records.error().message;
    set_ = TokenSet{};
    spdlog::error("control: tokens file unusable, every token refused until it is fixed: {}", problem_);
    return set_;
  }
  problem_.clear();
  if (now.size >= 0 && (st.st_mode & 0077) != 0) {
    spdlog::warn("control: {} is readable or writable by others; it should be mode 0600", path_);
  }
  set_ = TokenSet(*records);
  spdlog::info("control: {} token(s) loaded from {}", set_.size(), path_);
  return set_;
}

}  // namespace berth::control
