#pragma once

#include "common/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth::docker {

// Splits a byte stream (pull progress, events) into lines. Lines end with "\n" (Docker writes "\r\n");
// a line over the limit is an error rather than unbounded memory.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line = 1024 * 1024) : max_line_(max_line) {}

  // Calls on_line for every complete, non-empty line in the data seen so far.
  common::Status feed(std::string_view data, const std::function<common::Status(std::string_view)>& on_line);
  // What is left after the stream ended (a last line without a newline).
  [[nodiscard]] std::string_view rest() const { return pending_; }

 private:
  std::size_t max_line_;
  std::string pending_;
};

// One object of the pull progress stream (POST /images/create).
struct PullEvent {
  std::string id;      // layer id, when the line is about a layer
  std::string status;  // "Downloading", "Pull complete", "Digest: sha256:...", ...
  std::int64_t current = 0;
  std::int64_t total = 0;
  std::string error;  // non-empty: the pull failed (errorDetail.message or error)
};

common::Result<PullEvent> parse_pull_event(std::string_view line);

// Follows a pull's progress: bytes per layer, the digest reported at the end, and the first error.
class PullProgress {
 public:
  void apply(const PullEvent& event);

  [[nodiscard]] std::int64_t bytes_done() const;
  [[nodiscard]] std::int64_t bytes_total() const;
  [[nodiscard]] std::size_t layers() const { return layers_.size(); }
  [[nodiscard]] const std::string& digest() const { return digest_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] bool up_to_date() const { return up_to_date_; }
  // "3/5 layers, 12.1/40.0 MB" for progress lines.
  [[nodiscard]] std::string summary() const;

 private:
  struct Layer {
    std::int64_t current = 0;
    std::int64_t total = 0;
    bool done = false;
  };
  std::map<std::string, Layer> layers_;
  std::string digest_;
  std::string error_;
  bool up_to_date_ = false;
};

// Docker's multiplexed stdout/stderr framing (logs and exec without a TTY): 8-byte headers
// {stream, 0, 0, 0, size big-endian} followed by the payload. Feed bytes as they come.
class RawStreamDemux {
 public:
  void feed(std::string_view data);
  [[nodiscard]] const std::string& stdout_text() const { return out_; }
  [[nodiscard]] const std::string& stderr_text() const { return err_; }
  // Keeps only the last `limit` bytes of each stream (probe output, last log lines).
  void set_limit(std::size_t limit) { limit_ = limit; }

 private:
  void append(std::string& to, std::string_view data);
  std::string buffer_;
  std::string out_;
  std::string err_;
  std::size_t limit_ = 64 * 1024;
};

// The message of a Docker error body ({"message": "..."}), or the raw text when it is not JSON.
std::string error_message(std::string_view body);

// Maps a Docker Engine status and body to an Error, naming what was being done.
common::Error docker_error(int status, std::string_view body, std::string_view doing);

}  // namespace berth::docker
