#include "registry/reference.hpp"

#include <algorithm>

#include "registry/digest.hpp"

namespace berth::registry {
namespace {

using common::ErrorKind;
using common::make_error;

constexpr std::size_t kMaxTagLength = 128;
constexpr std::size_t kMaxQuotedInput = 100;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_lower_alnum(c) || is_upper(c); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }

// The input as it appears in messages: quoted, control bytes escaped, long inputs cut.
std::string quote_input(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxQuotedInput; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxQuotedInput) {
    out += "...";
  }
  out += '"';
  return out;
}

// One path component: [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
bool is_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) {
    return false;
  }
  std::size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    // A separator run, necessarily followed by an alphanumeric (the last character is one).
    const std::size_t start = i;
    while (i < c.size() && !is_lower_alnum(c[i])) {
      ++i;
    }
    const std::string_view sep = c.substr(start, i - start);
    const bool dashes = std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
      return false;
    }
  }
  return true;
}

// A host name or IPv4 address: components of [a-zA-Z0-9] with inner '-', separated by '.'.
bool is_domain_name(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    const std::string_view part =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || !is_alnum(part.front()) || !is_alnum(part.back()) ||
        !std::all_of(part.begin(), part.end(), [](char x) { return is_alnum(x) || x == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// host [":" port], where host is a domain name, an IPv4 address or "[" IPv6 "]".
bool is_registry_host(std::string_view domain) {
  std::string_view host = domain;
  std::string_view port;
  bool has_port = false;
  if (!domain.empty() && domain.front() == '[') {
    const std::size_t close = domain.find(']');
    if (close == std::string_view::npos || close == 1) {
      return false;
    }
    const std::string_view inner = domain.substr(1, close - 1);
    if (!std::all_of(inner.begin(), inner.end(), [](char x) { return is_hex(x) || x == ':'; })) {
      return false;
    }
    const std::string_view rest = domain.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return false;
      }
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    const std::size_t colon = domain.find(':');
    if (colon != std::string_view::npos) {
      has_port = true;
      port = domain.substr(colon + 1);
      host = domain.substr(0, colon);
    }
    if (!is_domain_name(host)) {
      return false;
    }
  }
  return !has_port || (!port.empty() && std::all_of(port.begin(), port.end(), is_digit));
}

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool is_tag(std::string_view tag) {
  return !tag.empty() && tag.size() <= kMaxTagLength && is_word(tag.front()) &&
         std::all_of(tag.begin(), tag.end(), [](char x) { return is_word(x) || x == '.' || x == '-'; });
}

// Why a digest that is_valid_digest refused is wrong, in words.
std::string digest_problem(std::string_view digest) {
  const std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return "digest " + quote_input(digest) + " must be <algorithm>:<hex>";
  }
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view hex = digest.substr(colon + 1);
  std::size_t expected = 0;
  if (algorithm == "sha256") {
    expected = 64;
  } else if (algorithm == "sha384") {
    expected = 96;
  } else if (algorithm == "sha512") {
    expected = 128;
  } else {
    return "unsupported digest algorithm " + quote_input(algorithm) + " (sha256, sha384 or sha512)";
  }
  if (!std::all_of(hex.begin(), hex.end(), is_hex)) {
    return "digest " + quote_input(digest) + " must be hexadecimal after the ':'";
  }
  if (hex.size() != expected) {
    return "digest " + quote_input(digest) + " must have " + std::to_string(expected) + " hex digits after the ':'";
  }
  return "digest " + quote_input(digest) + " must be lower-case hex";
}

}  // namespace

Result<ImageReference> parse_reference(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return make_error(ErrorKind::kInvalidArgument, "invalid reference " + quote_input(text) + ": " + std::string(why));
  };
  if (text.empty()) {
    return fail("reference is empty");
  }
  if (text.size() > kMaxReferenceLength) {
    return fail("longer than " + std::to_string(kMaxReferenceLength) + " characters");
  }
  if (text.size() == 64 &&
      std::all_of(text.begin(), text.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); })) {
    return fail("a 64-character hexadecimal string is an image ID, not a repository name");
  }

  ImageReference ref;
  std::string_view rest = text;
  if (const std::size_t at = rest.find('@'); at != std::string_view::npos) {
    const std::string_view digest = rest.substr(at + 1);
    if (digest.empty()) {
      return fail("digest is empty after '@'");
    }
    if (!is_valid_digest(digest)) {
      return fail(digest_problem(digest));
    }
    ref.digest = std::string(digest);
    rest = rest.substr(0, at);
  }

  const std::size_t last_slash = rest.rfind('/');
  const std::size_t colon = rest.find(':', last_slash == std::string_view::npos ? 0 : last_slash + 1);
  if (colon != std::string_view::npos) {
    const std::string_view tag = rest.substr(colon + 1);
    if (tag.empty()) {
      return fail("tag is empty after ':'");
    }
    if (!is_tag(tag)) {
      return fail("invalid tag " + quote_input(tag) +
                  ": a tag is 1 to 128 letters, digits, '_', '.' or '-' and does not start with '.' or '-'");
    }
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) {
    return fail("repository name is empty");
  }

  // The first component is a registry host when it looks like one: "localhost", or it has a '.', a ':' or an
  // upper-case letter. Otherwise the whole name is a Docker Hub repository.
  std::string_view path = rest;
  ref.registry = std::string(kDockerHubDomain);
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view first = rest.substr(0, slash);
    if (first == "localhost" || first.find_first_of(".:") != std::string_view::npos ||
        std::any_of(first.begin(), first.end(), is_upper)) {
      if (!is_registry_host(first)) {
        return fail("invalid registry host " + quote_input(first));
      }
      ref.registry = first == "index.docker.io" ? std::string(kDockerHubDomain) : std::string(first);
      path = rest.substr(slash + 1);
    }
  }
  if (std::any_of(path.begin(), path.end(), is_upper)) {
    return fail("repository name must be lowercase");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view component =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (component.empty()) {
      return fail("repository name has an empty path component");
    }
    if (!is_path_component(component)) {
      return fail("invalid repository name component " + quote_input(component) +
                  ": use lower-case letters and digits separated by '.', '_', '__' or '-'");
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  ref.repository = std::string(path);
  if (ref.is_docker_hub() && ref.repository.find('/') == std::string::npos) {
    ref.repository.insert(0, "library/");
  }
  if (ref.registry.size() + 1 + ref.repository.size() > kMaxNameLength) {
    return fail("repository name is longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  if (ref.tag.empty() && ref.digest.empty()) {
    ref.tag = "latest";
  }
  return ref;
}

std::string ImageReference::api_host() const { return is_docker_hub() ? std::string(kDockerHubApiHost) : registry; }

std::string ImageReference::repository_with_registry() const { return registry + "/" + repository; }

std::string ImageReference::with_tag_and_digest(std::string name) const {
  if (!tag.empty()) {
    name += ':';
    name += tag;
  }
  if (!digest.empty()) {
    name += '@';
    name += digest;
  }
  return name;
}

std::string ImageReference::full() const { return with_tag_and_digest(repository_with_registry()); }

std::string ImageReference::familiar_name() const {
  if (!is_docker_hub()) {
    return repository_with_registry();
  }
  constexpr std::string_view kLibrary = "library/";
  const std::string_view repo = repository;
  if (repo.substr(0, kLibrary.size()) == kLibrary && repo.find('/', kLibrary.size()) == std::string_view::npos) {
    return std::string(repo.substr(kLibrary.size()));
  }
  // A Hub path whose first component reads as a host ("docker.io/foo.bar/app") keeps its domain, so that
  // the short form still names the same image.
  const std::string_view first = repo.substr(0, repo.find('/'));
  if (first == "localhost" || first.find('.') != std::string_view::npos) {
    return repository_with_registry();
  }
  return repository;
}

std::string ImageReference::familiar() const { return with_tag_and_digest(familiar_name()); }

std::string ImageReference::pull_reference() const {
  return repository_with_registry() + (digest.empty() ? ":" + tag : "@" + digest);
}

std::string ImageReference::pull_scope() const { return "repository:" + repository + ":pull"; }

}  // namespace berth::registry
