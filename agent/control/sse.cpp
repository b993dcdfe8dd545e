#include "control/sse.hpp"

namespace berth::control {

std::string sse_event(const nlohmann::json& event) {
  // dump() without indentation never emits a raw newline: one event, one data line.
  return "data: " + event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) {
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  out += "\n\n";
  return out;
}

void SseDecoder::end_line(std::vector<std::string>& out) {
  if (line_.empty()) {
    if (has_data_) {
      out.push_back(std::move(data_));
    }
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line_.front() != ':') {
    const auto colon = line_.find(':');
    const std::string_view field = std::string_view(line_).substr(0, colon);
    std::string_view value =
        colon == std::string::npos ? std::string_view{} : std::string_view(line_).substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    if (field == "data") {
      if (has_data_) {
        data_ += '\n';
      }
      data_.append(value);
      has_data_ = true;
    }
  }
  line_.clear();
}

common::Result<std::vector<std::string>> SseDecoder::feed(std::string_view bytes) {
  std::vector<std::string> out;
  for (char c : bytes) {
    if (c == '\n' && after_cr_) {
      after_cr_ = false;  // the LF of a CRLF pair: the line already ended at the CR
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      end_line(out);
      continue;
    }
    line_ += c;
    if (line_.size() > max_line_ || data_.size() > max_line_) {
      return common::make_error(common::ErrorKind::kTooLarge, "event stream line too long");
    }
  }
  return out;
}

}  // namespace berth::control
