#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace berth::common {

// The string member `key` of a JSON object from a peer (Docker, a registry, AWS, a webhook), or "" when it
// is missing, is not a string, or `object` is not an object.
std::string string_member(const nlohmann::json& object, const char* key);

}  // namespace berth::common
