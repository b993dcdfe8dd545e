#include "control/request_parser.hpp"

#include "common/text.hpp"

#include <algorithm>

namespace berth::control {

namespace {

constexpr std::size_t kMaxMethodBytes = 16;
constexpr std::size_t kMaxChunkLineBytes = 1024;
constexpr std::size_t kMaxLengthDigits = 15;

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// A byte that may appear anywhere in a request head: visible ASCII, space, tab, CR, LF, obs-text.
bool head_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || u == '\r' || u == '\n' || (u >= 0x20 && u != 0x7f);
}

std::optional<std::size_t> parse_decimal(std::string_view s) {
  if (s.size() > kMaxLengthDigits) {
    return std::nullopt;
  }
  return common::parse_unsigned(s);
}

}  // namespace

std::string_view ParsedRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (common::iequals(k, name)) {
      return v;
    }
  }
  return {};
}

std::size_t ParsedRequest::header_count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return common::iequals(h.first, name); }));
}

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::reset() {
  state_ = State::kHead;
  started_ = false;
  head_.clear();
  body_expected_ = 0;
  chunk_state_ = ChunkState::kSize;
  chunk_left_ = 0;
  trailer_bytes_ = 0;
  line_.clear();
  request_ = ParsedRequest{};
  error_status_ = 0;
  error_message_.clear();
}

ParsedRequest RequestParser::take_request() {
  ParsedRequest out = std::move(request_);
  request_ = ParsedRequest{};
  return out;
}

void RequestParser::fail(int status, std::string message) {
  state_ = State::kError;
  error_status_ = status;
  error_message_ = std::move(message);
}

std::size_t RequestParser::feed(std::string_view bytes) {
  std::size_t used = 0;
  if (!bytes.empty()) {
    started_ = true;
  }
  if (state_ == State::kHead) {
    used += feed_head(bytes);
  }
  if (state_ == State::kBody && used < bytes.size()) {
    used += feed_body(bytes.substr(used));
  }
  return used;
}

std::size_t RequestParser::feed_head(std::string_view bytes) {
  const std::size_t old = head_.size();
  const std::size_t take = std::min(bytes.size(), limits_.header_bytes - old);
  head_.append(bytes.data(), take);
  // Only the bytes up to the blank line belong to this head; the rest is body or the next request.
  const auto end = head_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
  if (end != std::string::npos) {
    head_.resize(end + 4);
  }
  const std::size_t used = head_.size() - old;
  for (std::size_t i = old; i < head_.size(); ++i) {
    if (!head_byte(head_[i])) {
      fail(400, "request head holds a control character");
      return used;
    }
    // Line ends are CRLF, nothing else: a bare LF or CR fails now rather than at the deadline.
    const bool after_cr = i > 0 && head_[i - 1] == '\r';
    if ((head_[i] == '\n') != after_cr) {
      fail(400, "request head lines must end in CRLF");
      return used;
    }
  }
  // The method is a short token: refuse garbage at once instead of waiting for a blank line.
  const auto first_space = head_.find(' ');
  const std::string_view method_part =
      std::string_view(head_).substr(0, first_space == std::string::npos ? head_.size() : first_space);
  if (method_part.size() > kMaxMethodBytes || !std::all_of(method_part.begin(), method_part.end(), is_tchar)) {
    fail(400, "malformed request line");
    return used;
  }
  if (end == std::string::npos) {
    if (head_.size() >= limits_.header_bytes) {
      fail(431, "request head larger than " + std::to_string(limits_.header_bytes) + " bytes");
    }
    return used;
  }
  if (parse_head() && apply_framing()) {
    state_ = State::kBody;
    if (body_expected_ == 0 && !request_.chunked) {
      state_ = State::kDone;
    }
  }
  return used;
}

bool RequestParser::parse_head() {
  std::string_view rest(head_);
  rest.remove_suffix(2);  // the blank line's CRLF; every line below keeps its own
  bool first = true;
  while (!rest.empty()) {
    const auto lf = rest.find('\n');
    if (lf == std::string_view::npos || lf == 0 || rest[lf - 1] != '\r') {
      fail(400, "request head lines must end in CRLF");
      return false;
    }
    const std::string_view line = rest.substr(0, lf - 1);
    rest.remove_prefix(lf + 1);
    if (line.find('\r') != std::string_view::npos) {
      fail(400, "bare CR in request head");
      return false;
    }
    if (first ? !parse_request_line(line) : !parse_header_line(line)) {
      return false;
    }
    first = false;
  }
  if (first) {
    fail(400, "empty request");
    return false;
  }
  return true;
}

bool RequestParser::parse_request_line(std::string_view line) {
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    fail(400, "malformed request line");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || target.find('\t') != std::string_view::npos) {
    fail(400, "malformed request line");
    return false;
  }
  if (version == "HTTP/1.1") {
    request_.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    request_.version_minor = 0;
  } else if (version.starts_with("HTTP/")) {
    fail(505, "only HTTP/1.0 and HTTP/1.1 are served");
    return false;
  } else {
    fail(400, "malformed request line");
    return false;
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  return true;
}

bool RequestParser::parse_header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    fail(400, "folded header lines are not accepted");
    return false;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    fail(400, "malformed header line");
    return false;
  }
  const std::string_view value = common::trim_blanks(line.substr(colon + 1));
  for (char c : value) {
    if (c != '\t' && static_cast<unsigned char>(c) < 0x20) {
      fail(400, "control character in a header value");
      return false;
    }
  }
  if (request_.headers.size() >= limits_.max_headers) {
    fail(431, "too many header fields");
    return false;
  }
  request_.headers.emplace_back(common::to_lower(line.substr(0, colon)), std::string(value));
  return true;
}

bool RequestParser::apply_framing() {
  auto& r = request_;
  if (r.version_minor == 1 && r.header_count("host") != 1) {
    fail(400, "an HTTP/1.1 request needs exactly one Host header");
    return false;
  }
  r.keep_alive = r.version_minor == 1;
  for (const auto& [name, value] : r.headers) {
    if (name != "connection") {
      continue;
    }
    std::string_view list = value;
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string token = common::to_lower(common::trim_blanks(list.substr(0, comma)));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      if (token == "close") {
        r.keep_alive = false;
      } else if (token == "keep-alive" && r.version_minor == 0) {
        r.keep_alive = true;
      }
    }
  }
  const std::size_t te_count = r.header_count("transfer-encoding");
  const std::size_t cl_count = r.header_count("content-length");
  if (te_count > 0 && cl_count > 0) {
    fail(400, "both Content-Length and Transfer-Encoding");
    return false;
  }
  if (te_count > 0) {
    if (te_count > 1 || r.version_minor == 0 || !common::iequals(r.header("transfer-encoding"), "chunked")) {
      fail(501, "only the chunked transfer coding is accepted");
      return false;
    }
    r.chunked = true;
  }
  for (const auto& [name, value] : r.headers) {
    if (name != "content-length") {
      continue;
    }
    const auto n = parse_decimal(value);
    if (!n || (r.content_length && *r.content_length != *n)) {
      fail(400, "invalid Content-Length");
      return false;
    }
    r.content_length = n;
  }
  if (r.content_length && *r.content_length > limits_.body_bytes) {
    fail(413, "request body larger than " + std::to_string(limits_.body_bytes) + " bytes");
    return false;
  }
  body_expected_ = r.content_length.value_or(0);
  const std::string_view expect = r.header("expect");
  if (!expect.empty()) {
    if (!common::iequals(expect, "100-continue") || r.header_count("expect") > 1) {
      fail(417, "unsupported Expect");
      return false;
    }
    r.expect_continue = r.version_minor == 1;
  }
  return true;
}

std::size_t RequestParser::feed_body(std::string_view bytes) {
  if (request_.chunked) {
    return feed_chunked(bytes);
  }
  const std::size_t take = std::min(bytes.size(), body_expected_ - request_.body.size());
  request_.body.append(bytes.data(), take);
  if (request_.body.size() == body_expected_) {
    state_ = State::kDone;
  }
  return take;
}

bool RequestParser::take_line(std::string_view bytes, std::size_t& used, std::size_t limit,
                              std::optional<std::string>& line) {
  while (used < bytes.size()) {
    const char c = bytes[used++];
    if (c == '\n') {
      if (line_.empty() || line_.back() != '\r') {
        fail(400, "chunked body lines must end in CRLF");
        return false;
      }
      line_.pop_back();
      line = std::move(line_);
      line_.clear();
      return true;
    }
    if (!line_.empty() && line_.back() == '\r') {
      fail(400, "bare CR in chunked body");
      return false;
    }
    line_ += c;
    if (line_.size() > limit) {
      fail(limit == kMaxChunkLineBytes ? 400 : 431, "chunk line too long");
      return false;
    }
  }
  return false;
}

std::size_t RequestParser::feed_chunked(std::string_view bytes) {
  std::size_t used = 0;
  while (used < bytes.size() && state_ == State::kBody) {
    std::optional<std::string> line;
    switch (chunk_state_) {
      case ChunkState::kSize: {
        if (!take_line(bytes, used, kMaxChunkLineBytes, line)) {
          break;
        }
        const std::string_view size_text = std::string_view(*line).substr(0, line->find(';'));
        if (size_text.empty() || size_text.size() > 8) {
          fail(400, "malformed chunk size");
          break;
        }
        std::size_t size = 0;
        for (char c : size_text) {
          const int d = common::hex_digit(c);
          if (d < 0) {
            fail(400, "malformed chunk size");
            return used;
          }
          size = size * 16 + static_cast<std::size_t>(d);
        }
        if (size > limits_.body_bytes - request_.body.size()) {
          fail(413, "request body larger than " + std::to_string(limits_.body_bytes) + " bytes");
          break;
        }
        chunk_left_ = size;
        chunk_state_ = size == 0 ? ChunkState::kTrailer : ChunkState::kData;
        break;
      }
      case ChunkState::kData: {
        const std::size_t take = std::min(chunk_left_, bytes.size() - used);
        request_.body.append(bytes.data() + used, take);
        used += take;
        chunk_left_ -= take;
        if (chunk_left_ == 0) {
          chunk_state_ = ChunkState::kDataEnd;
        }
        break;
      }
      case ChunkState::kDataEnd:
        if (take_line(bytes, used, kMaxChunkLineBytes, line)) {
          if (!line->empty()) {
            fail(400, "chunk data longer than its size");
          } else {
            chunk_state_ = ChunkState::kSize;
          }
        }
        break;
      case ChunkState::kTrailer:
        if (take_line(bytes, used, limits_.header_bytes, line)) {
          trailer_bytes_ += line->size() + 2;
          if (trailer_bytes_ > limits_.header_bytes) {
            fail(431, "trailer section too large");
          } else if (line->empty()) {
            state_ = State::kDone;
          }
        }
        break;
    }
  }
  return used;
}

}  // namespace berth::control
