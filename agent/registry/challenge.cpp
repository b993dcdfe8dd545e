#include "registry/challenge.hpp"

#include <cstring>

#include "common/text.hpp"

namespace berth::registry {
namespace {

using common::ErrorKind;
using common::make_error;

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token68_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/';
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// Visible ASCII or obs-text, allowed in an unquoted value except the characters that end it.
bool is_bare_value_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u > 0x20 && u != 0x7f) && c != ',' && c != '"';
}

// A cursor over the header value with the small grammar pieces the parser needs.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const { return text_[pos_]; }
  [[nodiscard]] std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }

  std::size_t skip_ows() {
    const std::size_t start = pos_;
    while (!at_end() && is_ows(peek())) {
      ++pos_;
    }
    return pos_ - start;
  }

  void skip_ows_and_commas() {
    while (!at_end() && (is_ows(peek()) || peek() == ',')) {
      ++pos_;
    }
  }

  std::string_view token() {
    const std::size_t start = pos_;
    while (!at_end() && is_tchar(peek())) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  // At the current position: token OWS "=" (the start of an auth-param, not of a new challenge)?
  [[nodiscard]] bool at_param_start() const {
    Scanner probe = *this;
    if (probe.token().empty()) {
      return false;
    }
    probe.skip_ows();
    return !probe.at_end() && probe.peek() == '=';
  }

  // token68 followed by OWS and the end or a comma; on success the cursor is after it.
  bool token68(std::string& out) {
    const std::size_t start = pos_;
    std::size_t end = pos_;
    while (end < text_.size() && is_token68_char(text_[end])) {
      ++end;
    }
    if (end == start) {
      return false;
    }
    while (end < text_.size() && text_[end] == '=') {
      ++end;
    }
    std::size_t after = end;
    while (after < text_.size() && is_ows(text_[after])) {
      ++after;
    }
    if (after < text_.size() && text_[after] != ',') {
      return false;
    }
    out = std::string(text_.substr(start, end - start));
    pos_ = after;
    return true;
  }

  // quoted-string with quoted-pairs; the cursor is on the opening quote. Returns false when unterminated
  // or when a control character appears.
  bool quoted(std::string& out) {
    ++pos_;
    while (!at_end()) {
      const char c = peek();
      const auto u = static_cast<unsigned char>(c);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (at_end()) {
          return false;
        }
        const auto escaped = static_cast<unsigned char>(peek());
        if ((escaped < 0x20 && escaped != '\t') || escaped == 0x7f) {
          return false;
        }
        out += peek();
        ++pos_;
        continue;
      }
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return false;
      }
      out += c;
      ++pos_;
    }
    return false;
  }

  std::string_view bare_value() {
    const std::size_t start = pos_;
    while (!at_end() && is_bare_value_char(peek())) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

common::Error malformed(std::string_view what, std::size_t offset) {
  return make_error(ErrorKind::kProtocol,
                    "invalid WWW-Authenticate header: " + std::string(what) + " at offset " + std::to_string(offset));
}

}  // namespace

std::string Challenge::param(std::string_view key) const {
  const auto it = params.find(std::string(key));
  return it == params.end() ? std::string() : it->second;
}

Result<std::vector<Challenge>> parse_challenges(std::string_view header_value) {
  if (header_value.size() > kMaxChallengeHeaderBytes) {
    return make_error(ErrorKind::kTooLarge, "WWW-Authenticate header of " + std::to_string(header_value.size()) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(kMaxChallengeHeaderBytes));
  }
  std::vector<Challenge> challenges;
  Scanner in(header_value);
  in.skip_ows_and_commas();
  while (!in.at_end()) {
    const std::string_view scheme = in.token();
    if (scheme.empty()) {
      return malformed("expected an authentication scheme", in.pos());
    }
    Challenge challenge;
    challenge.scheme = common::to_lower(scheme);
    const std::size_t spaces = in.skip_ows();
    if (in.at_end() || in.peek() == ',') {
      challenges.push_back(std::move(challenge));
      in.skip_ows_and_commas();
      continue;
    }
    if (spaces == 0) {
      return malformed("expected a space after the scheme \"" + std::string(scheme) + "\"", in.pos());
    }
    if (in.token68(challenge.token68)) {
      challenges.push_back(std::move(challenge));
      in.skip_ows_and_commas();
      continue;
    }
    // auth-param list; it ends at the end of input or where the next list element is a new scheme.
    while (true) {
      const std::string_view key = in.token();
      if (key.empty()) {
        return malformed("expected a parameter name", in.pos());
      }
      in.skip_ows();
      if (in.at_end() || in.peek() != '=') {
        return malformed("expected '=' after the parameter \"" + std::string(key) + "\"", in.pos());
      }
      in.seek(in.pos() + 1);
      in.skip_ows();
      std::string value;
      if (!in.at_end() && in.peek() == '"') {
        const std::size_t open = in.pos();
        if (!in.quoted(value)) {
          return malformed("unterminated or invalid quoted value for \"" + std::string(key) + "\"", open);
        }
      } else {
        value = std::string(in.bare_value());
        if (value.empty()) {
          return malformed("expected a value for the parameter \"" + std::string(key) + "\"", in.pos());
        }
      }
      challenge.params.emplace(common::to_lower(key), std::move(value));
      in.skip_ows();
      if (in.at_end()) {
        break;
      }
      if (in.peek() != ',') {
        return malformed("expected ',' after the value of \"" + std::string(key) + "\"", in.pos());
      }
      in.skip_ows_and_commas();
      if (in.at_end() || !in.at_param_start()) {
        break;
      }
    }
    challenges.push_back(std::move(challenge));
  }
  if (challenges.empty()) {
    return malformed("no challenge", 0);
  }
  return challenges;
}

const Challenge* find_challenge(const std::vector<Challenge>& challenges, std::string_view scheme) {
  for (const auto& challenge : challenges) {
    if (common::iequals(challenge.scheme, scheme)) {
      return &challenge;
    }
  }
  return nullptr;
}

}  // namespace berth::registry
