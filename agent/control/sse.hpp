#pragma once

// Server-sent events framing (the text/event-stream format): the server writes one `data:` line per
// event and a comment as heartbeat; the CLI decodes the stream back into events.

#include "common/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::control {

// "data: <json on one line>\n\n"
std::string sse_event(const nlohmann::json& event);
// ": <text>\n\n", ignored by readers; keeps proxies and idle timers from closing a quiet stream.
std::string sse_comment(std::string_view text);

// Splits a text/event-stream body, fed in arbitrary pieces, into the data of each event (the `data:`
// lines of one event joined by "\n"). Comments and other fields are skipped. A line longer than
// `max_line` fails with kTooLarge.
class SseDecoder {
 public:
  explicit SseDecoder(std::size_t max_line = 1024 * 1024) : max_line_(max_line) {}

  common::Result<std::vector<std::string>> feed(std::string_view bytes);

 private:
  void end_line(std::vector<std::string>& out);

  std::size_t max_line_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool after_cr_ = false;
};

}  // namespace berth::control
