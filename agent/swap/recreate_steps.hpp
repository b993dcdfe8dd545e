#pragma once

// The steps of plan_recreate (recreate.hpp), shared by recreate.cpp (Config, HostConfig) and
// recreate_attachments.cpp (mounts, networks). Internal to agent/swap.

#include "common/error.hpp"
#include "docker/api_version.hpp"
#include "swap/recreate.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace berth::swap::recreate_detail {

// The recreation of one container under way: what every step reads, and the warnings they add.
struct Recreation {
  const nlohmann::json* container = nullptr;  // the container's inspect
  std::string name;                           // for messages: the container's name without "/"
  std::string short_id;                       // Id[:12]
  docker::ApiVersion api;
  std::vector<std::string> warnings;

  // kInvalidArgument "cannot recreate container NAME: REASON".
  [[nodiscard]] common::Error refuse(const std::string& reason) const;
  // A refusal when the negotiated API is below `needed` and the setting `what` is in use.
  [[nodiscard]] common::Status require_api(docker::ApiVersion needed, const std::string& what) const;
};

// object[key], or a null value when object is not an object or has no such key.
const nlohmann::json& member(const nlohmann::json& object, std::string_view key);
// object[key] when it is a string, else "".
std::string text(const nlohmann::json& object, std::string_view key);
// null, false, 0, "", [] or {}: what the daemon treats as "not set".
bool is_unset(const nlohmann::json& value);
// Lower-case hex digits only, at least one.
bool is_hex(std::string_view s);
// "/db:/web/db" (how inspect reports a legacy link) -> "db:db" (how create takes it); "" when the link
// has neither form.
std::string rewrite_link(const std::string& link);

// Carries anonymous volumes over and checks mount options against the API version.
common::Status plan_mounts(const Recreation& r, nlohmann::json& config, nlohmann::json& host,
                           const nlohmann::json& image_config);

// Fills the create endpoint (endpoints: {name: EndpointSettings}, at most one) and the connections to make
// after create; may set config MacAddress (API < 1.44) and rewrite host NetworkMode.
common::Status plan_networks(Recreation& r, nlohmann::json& config, nlohmann::json& host, nlohmann::json& endpoints,
                             std::vector<NetworkConnection>& connections);

// Whether `mac` has the shape Docker gives an endpoint it generated the address for (see the .cpp).
bool engine_generated_mac(std::string_view mac, std::string_view ipv4);

}  // namespace berth::swap::recreate_detail
