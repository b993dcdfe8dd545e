#include "hostport/port_rules.hpp"

#include <nlohmann/json.hpp>

namespace berth::hostport {

using nlohmann::json;

namespace {

std::string element(std::uint16_t host_port, const Target& to) {
  return std::to_string(host_port) + " : " + to.address + " . " + std::to_string(to.port);
}

}  // namespace

std::string setup_script() {
  return "add table ip berth\n"
         "add map ip berth ports { type inet_service : ipv4_addr . inet_service ; }\n"
         "add chain ip berth prerouting { type nat hook prerouting priority -110 ; policy accept ; }\n"
         "add chain ip berth output { type nat hook output priority -110 ; policy accept ; }\n"
         "add chain ip berth postrouting { type nat hook postrouting priority 110 ; policy accept ; }\n"
         "flush chain ip berth prerouting\n"
         "flush chain ip berth output\n"
         "flush chain ip berth postrouting\n"
         "add rule ip berth prerouting fib daddr type local dnat ip to tcp dport map @ports\n"
         "add rule ip berth output fib daddr type local dnat ip to tcp dport map @ports\n"
         "add rule ip berth postrouting ip saddr 127.0.0.0/8 oifname != \"lo\" ct status dnat masquerade\n";
}

std::string point_script(const PortMap& current, std::uint16_t host_port, const Target& to) {
  std::string script = setup_script();
  if (current.count(host_port) != 0) {
    script += "delete element ip berth ports { " + std::to_string(host_port) + " }\n";
  }
  script += "add element ip berth ports { " + element(host_port, to) + " }\n";
  return script;
}

std::string release_script(const PortMap& current, std::uint16_t host_port) {
  std::string script = setup_script();
  if (current.count(host_port) != 0) {
    script += "delete element ip berth ports { " + std::to_string(host_port) + " }\n";
  }
  return script;
}

std::optional<Attachment> attachment_of(const json& inspect) {
  if (!inspect.is_object()) {
    return std::nullopt;
  }
  const std::string mode = inspect.value("HostConfig", json::object()).value("NetworkMode", std::string());
  const auto networks = inspect.value("NetworkSettings", json::object()).value("Networks", json::object());
  if (!networks.is_object() || networks.empty()) {
    return std::nullopt;
  }
  // The network the container was created on; a container created on Docker's default network says "default".
  auto it = networks.find(mode == "default" ? std::string("bridge") : mode);
  if (it == networks.end()) {
    it = networks.begin();
  }
  if (!it->is_object()) {
    return std::nullopt;
  }
  Attachment a;
  a.address = it->value("IPAddress", std::string());
  const std::string id = it->value("NetworkID", std::string());
  a.bridge = it.key() == "bridge" ? std::string("docker0") : "br-" + id.substr(0, 12);
  if (!is_ipv4(a.address) || (it.key() != "bridge" && id.size() < 12)) {
    return std::nullopt;
  }
  return a;
}

common::Result<PortMap> parse_map_listing(std::string_view nft_json) {
  const auto bad = [](const std::string& why) {
    return common::make_error(common::ErrorKind::kProtocol, "nft -j list map: " + why);
  };
  const json doc = json::parse(nft_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) {
    return bad("not the JSON nft prints");
  }
  PortMap out;
  for (const auto& item : doc["nftables"]) {
    if (!item.is_object() || !item.contains("map")) {
      continue;
    }
    const auto& elements = item["map"].value("elem", json::array());
    if (!elements.is_array()) {
      return bad("\"elem\" is not an array");
    }
    for (const auto& e : elements) {
      // [8080, {"concat": ["172.18.0.2", 80]}]
      if (!e.is_array() || e.size() != 2 || !e[0].is_number_unsigned() || !e[1].is_object()) {
        return bad("an element is not [port, {concat}]: " + e.dump());
      }
      const auto& concat = e[1].value("concat", json::array());
      if (!concat.is_array() || concat.size() != 2 || !concat[0].is_string() || !concat[1].is_number_unsigned()) {
        return bad("an element's value is not address . port: " + e.dump());
      }
      const auto host_port = e[0].get<std::uint64_t>();
      const auto port = concat[1].get<std::uint64_t>();
      const auto address = concat[0].get<std::string>();
      if (host_port == 0 || host_port > 65535 || port == 0 || port > 65535 || !is_ipv4(address)) {
        return bad("an element is out of range: " + e.dump());
      }
      out[static_cast<std::uint16_t>(host_port)] = Target{address, static_cast<std::uint16_t>(port)};
    }
  }
  return out;
}

}  // namespace berth::hostport
