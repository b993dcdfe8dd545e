#include "registry/registry_error.hpp"

#include "common/text.hpp"

#include <nlohmann/json.hpp>

namespace berth::registry {
namespace {

using common::ErrorKind;
using nlohmann::json;

constexpr std::size_t kMaxErrorBody = std::size_t{64} * 1024;
constexpr std::size_t kMaxQuoted = 300;
constexpr std::size_t kMaxEntries = 5;

ErrorKind kind_for_status(int status) {
  switch (status) {
    case 401: return ErrorKind::kUnauthorized;
    case 403: return ErrorKind::kForbidden;
    case 404: return ErrorKind::kNotFound;
    case 408: return ErrorKind::kTimeout;
    case 413: return ErrorKind::kTooLarge;
    case 429: return ErrorKind::kRateLimited;
    default: return status >= 500 && status <= 599 ? ErrorKind::kUnavailable : ErrorKind::kProtocol;
  }
}

// One line of printable text, cut to a readable length.
std::string printable(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    const auto u = static_cast<unsigned char>(c);
    c = (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  const std::string out = common::printable_text(line);
  return out.size() > kMaxQuoted ? std::string(common::cut_text(out, kMaxQuoted)) + "..." : out;
}

std::string_view first_line(std::string_view text) {
  while (!text.empty() &&
         (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::vector<RegistryErrorEntry> parse_registry_errors(std::string_view body) {
  std::vector<RegistryErrorEntry> out;
  if (body.size() > kMaxErrorBody) {
    return out;
  }
  const json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return out;
  }
  const auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array()) {
    return out;
  }
  for (const auto& item : *errors) {
    if (!item.is_object()) {
      continue;
    }
    RegistryErrorEntry entry;
    if (const auto code = item.find("code"); code != item.end() && code->is_string()) {
      entry.code = code->get<std::string>();
    }
    if (const auto message = item.find("message"); message != item.end() && message->is_string()) {
      entry.message = message->get<std::string>();
    }
    if (!entry.code.empty() || !entry.message.empty()) {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

common::Error registry_error(int http_status, std::string_view body, std::string_view what) {
  std::string message = std::string(what) + ": HTTP " + std::to_string(http_status);
  const auto entries = parse_registry_errors(body);
  std::string said;
  for (std::size_t i = 0; i < entries.size() && i < kMaxEntries; ++i) {
    const auto& e = entries[i];
    said += said.empty() ? "" : "; ";
    said += e.code.empty() ? e.message : (e.message.empty() ? e.code : e.code + ": " + e.message);
  }
  if (said.empty()) {
    const std::string_view line = first_line(body);
    // A short plain-text line is the registry talking; an HTML page or JSON blob is not worth quoting.
    if (!line.empty() && line.front() != '<' && line.front() != '{' && line.front() != '[') {
      said = std::string(line);
    }
  }
  if (!said.empty()) {
    message += ": " + printable(said);
  }
  return common::make_error(kind_for_status(http_status), std::move(message), http_status);
}

}  // namespace berth::registry
