#include "registry/tag_list.hpp"

#include "common/text.hpp"

#include <nlohmann/json.hpp>

namespace berth::registry {

using common::ErrorKind;
using common::make_error;

common::Result<std::vector<std::string>> parse_tag_list(std::string_view body) {
  if (body.size() > kMaxTagListBytes) {
    return make_error(ErrorKind::kTooLarge, "the tag list is larger than 4 MiB");
  }
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorKind::kProtocol, "the tag list is not a JSON object");
  }
  std::vector<std::string> tags;
  const auto it = doc.find("tags");
  if (it == doc.end() || it->is_null()) {
    return tags;
  }
  if (!it->is_array()) {
    return make_error(ErrorKind::kProtocol, "the tag list's \"tags\" is not an array");
  }
  for (const auto& tag : *it) {
    if (!tag.is_string()) {
      return make_error(ErrorKind::kProtocol, "the tag list holds a tag that is not a string");
    }
    tags.push_back(tag.get<std::string>());
  }
  return tags;
}

std::string next_page_target(std::string_view link) {
  // Several links may be given, separated by commas; the one with rel="next" counts.
  while (!link.empty()) {
    const auto open = link.find('<');
    const auto close = link.find('>', open == std::string_view::npos ? 0 : open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      return {};
    }
    const std::string_view url = link.substr(open + 1, close - open - 1);
    auto params_end = link.find('<', close);
    const std::string_view params =
        link.substr(close + 1, params_end == std::string_view::npos ? std::string_view::npos : params_end - close - 1);
    const bool next =
        params.find("rel=\"next\"") != std::string_view::npos || params.find("rel=next") != std::string_view::npos;
    if (next) {
      if (common::starts_with(url, "/v2/")) {
        return std::string(url);
      }
      return {};  // an absolute URL: possibly another host; not followed
    }
    if (params_end == std::string_view::npos) {
      return {};
    }
    link.remove_prefix(params_end);
  }
  return {};
}

}  // namespace berth::registry
