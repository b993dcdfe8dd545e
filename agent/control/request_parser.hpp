#pragma once

// An incremental, strict HTTP/1.1 request parser for the control endpoint. The server feeds it the
// bytes as they arrive; the fuzz target feeds it anything. It refuses rather than guesses: bare LF line
// ends, folded headers, both Content-Length and Transfer-Encoding, conflicting lengths and codings other
// than chunked are all errors, so no two readers of a request can disagree about where it ends.
// Limits hold on the stream: the head may not pass `header_bytes` and the body (Content-Length or
// chunked) may not pass `body_bytes`; a declared Content-Length over the cap fails as soon as the head
// is read.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::control {

struct ParserLimits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 64 * 1024;
  std::size_t max_headers = 64;
};

struct ParsedRequest {
  std::string method;
  std::string target;
  int version_minor = 1;                                     // HTTP/1.0 or HTTP/1.1
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  bool keep_alive = true;
  bool expect_continue = false;
  std::optional<std::size_t> content_length;
  bool chunked = false;

  // The first value of a header (name in any case); empty when absent.
  [[nodiscard]] std::string_view header(std::string_view name) const;
  [[nodiscard]] std::size_t header_count(std::string_view name) const;
};

class RequestParser {
 public:
  enum class State { kHead, kBody, kDone, kError };

  explicit RequestParser(ParserLimits limits = {});

  // Consumes bytes of one request and returns how many it used: it stops at the end of the request,
  // so bytes after it (a pipelined request) are the caller's to keep. After kDone or kError it
  // consumes nothing.
  std::size_t feed(std::string_view bytes);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool head_done() const { return state_ == State::kBody || state_ == State::kDone; }
  [[nodiscard]] bool done() const { return state_ == State::kDone; }
  [[nodiscard]] bool failed() const { return state_ == State::kError; }
  // Whether any byte of this request has arrived (ends the keep-alive idle wait).
  [[nodiscard]] bool started() const { return started_; }
  // On failure: the HTTP status to answer (400, 413, 417, 431, 501, 505) and why.
  [[nodiscard]] int error_status() const { return error_status_; }
  [[nodiscard]] const std::string& error_message() const { return error_message_; }

  [[nodiscard]] const ParsedRequest& request() const { return request_; }
  ParsedRequest take_request();

  // Ready for the next request on the same connection.
  void reset();

 private:
  enum class ChunkState { kSize, kData, kDataEnd, kTrailer };

  std::size_t feed_head(std::string_view bytes);
  std::size_t feed_body(std::string_view bytes);
  std::size_t feed_chunked(std::string_view bytes);
  bool parse_head();
  bool parse_request_line(std::string_view line);
  bool parse_header_line(std::string_view line);
  bool apply_framing();
  bool take_line(std::string_view bytes, std::size_t& used, std::size_t limit, std::optional<std::string>& line);
  void fail(int status, std::string message);

  ParserLimits limits_;
  State state_ = State::kHead;
  bool started_ = false;
  std::string head_;
  std::size_t body_expected_ = 0;
  ChunkState chunk_state_ = ChunkState::kSize;
  std::size_t chunk_left_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::string line_;
  ParsedRequest request_;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace berth::control
