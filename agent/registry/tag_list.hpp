#pragma once

// The registry's tag list (GET /v2/<name>/tags/list): its body and its Link pagination. Pure.

#include "common/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

inline constexpr std::size_t kMaxTagListBytes = std::size_t{4} * 1024 * 1024;

// {"name": "...", "tags": ["a", "b"]}; "tags": null (a repository without tags) is an empty list.
// kProtocol for anything else.
common::Result<std::vector<std::string>> parse_tag_list(std::string_view body);

// The next page from a Link header (`</v2/acme/web/tags/list?last=b&n=2>; rel="next"`): its path and
// query, or empty when there is none. A link to another host is not followed (empty).
std::string next_page_target(std::string_view link);

}  // namespace berth::registry
