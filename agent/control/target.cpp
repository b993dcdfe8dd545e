#include "control/target.hpp"

#include "common/text.hpp"

#include <optional>

namespace berth::control {

using common::ErrorKind;

namespace {

common::Error bad(std::string message) { return common::make_error(ErrorKind::kInvalidArgument, std::move(message)); }

bool visible_ascii(char c) { return c > 0x20 && c < 0x7f; }

// Bytes a decoded segment or query value may hold: printable ASCII without the characters that other
// layers could read as structure ('/', '\\', ';', '%').
bool allowed_decoded(char c, bool in_path) {
  if (c < 0x20 || c >= 0x7f) {
    return false;
  }
  if (c == '%' || c == '\\') {
    return false;
  }
  if (in_path && (c == '/' || c == ';' || c == ' ')) {
    return false;
  }
  return true;
}

std::optional<std::string> percent_decode(std::string_view text, bool in_path) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      const int hi = common::hex_digit(text[i + 1]);
      const int lo = common::hex_digit(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (!in_path && c == '+') {
      c = ' ';
    }
    if (!allowed_decoded(c, in_path)) {
      return std::nullopt;
    }
    out += c;
  }
  return out;
}

common::Status parse_query(std::string_view text, std::map<std::string, std::string>& out) {
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view piece = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (piece.empty()) {
      continue;
    }
    const auto eq = piece.find('=');
    auto key = percent_decode(piece.substr(0, eq), false);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1), false);
    if (!key || !value || key->empty()) {
      return bad("malformed query parameter");
    }
    if (out.size() >= kMaxQueryParams) {
      return bad("too many query parameters");
    }
    if (!out.emplace(std::move(*key), std::move(*value)).second) {
      return bad("query parameter given twice");
    }
  }
  return {};
}

}  // namespace

common::Result<Target> normalise_target(std::string_view target) {
  if (target.empty() || target.size() > kMaxTargetBytes) {
    return bad("request target empty or too long");
  }
  if (target.front() != '/') {
    return bad("request target must be a path");
  }
  for (char c : target) {
    if (!visible_ascii(c) || c == '#') {
      return bad("request target holds a character that is not allowed");
    }
  }
  const auto qmark = target.find('?');
  const std::string_view raw_path = target.substr(0, qmark);
  Target out;
  if (qmark != std::string_view::npos) {
    auto st = parse_query(target.substr(qmark + 1), out.query);
    if (!st) {
      return st.error();
    }
  }
  if (raw_path != "/") {
    std::string_view rest = raw_path.substr(1);
    for (;;) {
      const auto slash = rest.find('/');
      const std::string_view raw = rest.substr(0, slash);
      if (raw.empty()) {
        return bad("empty path segment");
      }
      auto segment = percent_decode(raw, true);
      if (!segment) {
        return bad("malformed path segment");
      }
      if (*segment == "." || *segment == "..") {
        return bad("dot segment in path");
      }
      out.segments.push_back(std::move(*segment));
      if (slash == std::string_view::npos) {
        break;
      }
      rest = rest.substr(slash + 1);
    }
  }
  std::string path;
  for (const auto& s : out.segments) {
    path += '/';
    path += s;
  }
  out.path = path.empty() ? std::string(1, '/') : std::move(path);
  return out;
}

}  // namespace berth::control
