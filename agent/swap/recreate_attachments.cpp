// plan_recreate's mounts and networks: what the new container is attached to.
#include "swap/recreate_steps.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

namespace berth::swap::recreate_detail {
namespace {

using nlohmann::json;

constexpr docker::ApiVersion kEndpointMacVersion{1, 44};

// Docker names an anonymous volume with 64 random hex digits.
bool is_anonymous_volume_name(const std::string& name) { return name.size() == 64 && is_hex(name); }

// "src:dst[:mode]" -> "dst" (Linux binds; a host path cannot hold ':' there).
std::string bind_destination(const std::string& bind) {
  const auto first = bind.find(':');
  if (first == std::string::npos) {
    return bind;
  }
  const auto second = bind.find(':', first + 1);
  return bind.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

// Options the daemon ignored on a mount of another type (and refuses from API 1.42) are dropped;
// options the negotiated API cannot express are refused.
common::Status check_mount_options(const Recreation& r, json& mount) {
  const std::string type = text(mount, "Type");
  const std::string where = "its mount at " + text(mount, "Target");
  for (const auto& [option, for_type] :
       {std::pair{"VolumeOptions", "volume"}, std::pair{"BindOptions", "bind"}, std::pair{"TmpfsOptions", "tmpfs"}}) {
    if (type != for_type) {
      mount.erase(option);
    }
  }
  const json& bind = member(mount, "BindOptions");
  if (!is_unset(member(bind, "CreateMountpoint"))) {
    if (auto status = r.require_api({1, 42}, where + " (create-mountpoint)"); !status) {
      return status;
    }
  }
  if (!is_unset(member(bind, "ReadOnlyNonRecursive")) || !is_unset(member(bind, "ReadOnlyForceRecursive"))) {
    if (auto status = r.require_api({1, 44}, where + " (recursive read-only options)"); !status) {
      return status;
    }
  }
  if (!is_unset(member(member(mount, "VolumeOptions"), "Subpath"))) {
    if (auto status = r.require_api({1, 45}, where + " (volume subpath)"); !status) {
      return status;
    }
  }
  if (!is_unset(member(member(mount, "TmpfsOptions"), "Options"))) {
    if (auto status = r.require_api({1, 46}, where + " (tmpfs options)"); !status) {
      return status;
    }
  }
  return {};
}

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The network of NetworkMode among the container's endpoints (keyed by network name): "default" is
// the bridge, and a network given by id (or id prefix) is found by its NetworkID. Empty when the
// container has no endpoint on that network.
std::string primary_network(const std::string& mode, const json& networks) {
  if (!networks.is_object()) {
    return {};
  }
  std::string wanted = (mode.empty() || mode == "default") ? "bridge" : mode;
  if (networks.contains(wanted)) {
    return wanted;
  }
  if (is_hex(wanted)) {
    for (const auto& [name, settings] : networks.items()) {
      if (text(settings, "NetworkID").rfind(wanted, 0) == 0) {
        return name;
      }
    }
  }
  return {};
}

// The configuration of an endpoint, without its operational data (NetworkID, EndpointID, Gateway,
// IPAddress, IPPrefixLen, IPv6Gateway, GlobalIPv6Address, GlobalIPv6PrefixLen, DNSNames, MacAddress:
// the MAC is decided on separately).
common::Result<json> endpoint_configuration(const Recreation& r, const std::string& network, const json& settings) {
  json out = json::object();
  const json& old_ipam = member(settings, "IPAMConfig");
  json ipam = json::object();
  for (const char* key : {"IPv4Address", "IPv6Address", "LinkLocalIPs"}) {
    if (!is_unset(member(old_ipam, key))) {
      ipam[key] = old_ipam[key];
    }
  }
  if (!ipam.empty()) {
    out["IPAMConfig"] = std::move(ipam);  // static addresses (--ip, --ip6, --link-local-ip)
  }
  json aliases = json::array();
  for (const auto& alias : member(settings, "Aliases")) {
    if (alias.get<std::string>() != r.short_id) {  // the daemon adds the short id; it would pile up
      aliases.push_back(alias);
    }
  }
  if (!aliases.empty()) {
    out["Aliases"] = std::move(aliases);
  }
  json links = json::array();
  for (const auto& link : member(settings, "Links")) {
    const std::string rewritten = rewrite_link(link.get<std::string>());
    if (rewritten.empty()) {
      return r.refuse("its link \"" + link.get<std::string>() + "\" on network " + network +
                      " is not in the form Docker reports");
    }
    links.push_back(rewritten);
  }
  if (!links.empty()) {
    out["Links"] = std::move(links);
  }
  if (!is_unset(member(settings, "DriverOpts"))) {
    out["DriverOpts"] = settings["DriverOpts"];
  }
  if (!is_unset(member(settings, "GwPriority"))) {
    if (auto status = r.require_api({1, 48}, "its gateway priority on network " + network); !status) {
      return status.error();
    }
    out["GwPriority"] = settings["GwPriority"];
  }
  return out;
}

// The MAC of an endpoint when the user pinned it, else "".
std::string pinned_mac(const std::string& mac, const json& settings) {
  return (!mac.empty() && !engine_generated_mac(mac, text(settings, "IPAddress"))) ? mac : std::string();
}

}  // namespace

// MacAddress policy. The API does not say whether an endpoint's MAC was configured by the user or
// generated by the engine (inspect shows the address in use either way). Copying a generated one pins an
// address the bridge driver derived from the OLD IP address: once another container gets that IP, two
// containers carry the same MAC on the bridge. Dropping a pinned one breaks what the user tied to it
// (DHCP reservations on macvlan, licences). Docker generates 02:42 followed by the four octets of the
// endpoint's IPv4 address, so berth keeps a MAC unless it has that shape: when the endpoint's address is
// known (the container runs), the octets must match it, so a 02:42 address the user chose is still kept;
// when it is not known (the container is stopped), any 02:42 address counts as generated. An engine that
// generates random addresses makes them look pinned; copying one keeps the container's MAC stable and
// cannot collide with an address derived from an IP.
bool engine_generated_mac(std::string_view mac, std::string_view ipv4) {
  const std::string lower = to_lower_ascii(mac);
  if (lower.rfind("02:42:", 0) != 0) {
    return false;
  }
  std::array<unsigned, 4> octets{};
  const char* at = ipv4.data();
  const char* end = ipv4.data() + ipv4.size();
  for (std::size_t i = 0; i < octets.size(); ++i) {
    auto [next, ec] = std::from_chars(at, end, octets[i]);
    if (ec != std::errc() || octets[i] > 255 || (i < 3 && (next == end || *next != '.')) || (i == 3 && next != end)) {
      return true;  // no IPv4 address to compare with
    }
    if (i < 3) {
      at = next + 1;  // past the '.'
    }
  }
  std::array<char, 18> expected{};
  (void)std::snprintf(expected.data(), expected.size(), "02:42:%02x:%02x:%02x:%02x", octets[0], octets[1], octets[2],
                      octets[3]);
  return lower == expected.data();
}

common::Status plan_mounts(const Recreation& r, json& config, json& host, const json& image_config) {
  std::map<std::string, const json*> anonymous;  // anonymous volume mounts of the old container by path
  for (const auto& mount : member(*r.container, "Mounts")) {
    if (text(mount, "Type") == "volume" && is_anonymous_volume_name(text(mount, "Name"))) {
      anonymous[text(mount, "Destination")] = &mount;
    }
  }
  std::set<std::string> covered;  // paths the user mounted something at
  for (const auto& bind : member(host, "Binds")) {
    covered.insert(bind_destination(bind.get<std::string>()));
  }
  for (const auto& [path, options] : member(host, "Tmpfs").items()) {
    covered.insert(path);
  }
  if (member(host, "Mounts").is_array()) {
    for (auto& mount : host["Mounts"]) {
      if (auto status = check_mount_options(r, mount); !status) {
        return status;
      }
      const std::string target = text(mount, "Target");
      covered.insert(target);
      // `--mount type=volume,target=/x` without a source: an anonymous volume. Name it, or the new
      // container would get a fresh, empty one.
      if (text(mount, "Type") == "volume" && text(mount, "Source").empty() && anonymous.count(target) != 0) {
        mount["Source"] = text(*anonymous[target], "Name");
      }
    }
  }
  // Paths declared as VOLUME by the old image or by the user (`-v /path`): their anonymous volumes are
  // carried over by name, as docker compose does.
  std::set<std::string> declared;
  for (const auto& [path, unused] : member(image_config, "Volumes").items()) {
    declared.insert(path);
  }
  for (const auto& [path, unused] : member(member(*r.container, "Config"), "Volumes").items()) {
    declared.insert(path);
  }
  for (const auto& [path, mount] : anonymous) {
    if (declared.count(path) == 0 || covered.count(path) != 0) {
      continue;
    }
    json carried = {{"Type", "volume"}, {"Source", text(*mount, "Name")}, {"Target", path}};
    if (const json& rw = member(*mount, "RW"); rw.is_boolean() && !rw.get<bool>()) {
      carried["ReadOnly"] = true;
    }
    const std::string driver = text(*mount, "Driver");
    if (!driver.empty() && driver != "local") {
      carried["VolumeOptions"] = {{"DriverConfig", {{"Name", driver}}}};
    }
    if (!host["Mounts"].is_array()) {
      host["Mounts"] = json::array();
    }
    host["Mounts"].push_back(std::move(carried));
    if (config.contains("Volumes")) {
      config["Volumes"].erase(path);
      if (config["Volumes"].empty()) {
        config.erase("Volumes");
      }
    }
  }
  return {};
}

common::Status plan_networks(Recreation& r, json& config, json& host, json& endpoints,
                             std::vector<NetworkConnection>& connections) {
  const std::string mode = text(host, "NetworkMode");
  if (mode.rfind("container:", 0) == 0) {
    return {};  // the other container's network namespace: no endpoint of its own
  }
  const json& networks = member(member(*r.container, "NetworkSettings"), "Networks");
  const bool host_or_none = mode == "host" || mode == "none";
  std::string primary = primary_network(mode, networks);
  if (primary.empty()) {
    if (is_unset(networks)) {
      if (host_or_none) {
        return {};
      }
      return r.refuse("it is connected to no network although its network mode is \"" + mode +
                      "\"; recreated, it would be connected again");
    }
    primary = networks.begin().key();
    r.warnings.push_back(r.name + " was disconnected from its network \"" + (mode.empty() ? "default" : mode) +
                         "\"; the new container is created on " + primary + " instead");
    host["NetworkMode"] = primary;
  } else if (primary != "bridge" && primary != mode && !host_or_none) {
    host["NetworkMode"] = primary;  // given by id: the name reaches the same network
  }
  const bool endpoint_macs = r.api >= kEndpointMacVersion;
  for (const auto& [network, settings] : networks.items()) {
    auto endpoint = endpoint_configuration(r, network, settings);
    if (!endpoint) {
      return endpoint.error();
    }
    std::string mac = pinned_mac(text(settings, "MacAddress"), settings);
    if (network == primary) {
      if (host_or_none) {
        if (!endpoint->empty()) {
          endpoints[network] = std::move(*endpoint);
        }
        continue;
      }
      // Below API 1.44 a pinned MAC is container-wide (Config.MacAddress) and belongs to this network.
      if (const std::string configured = pinned_mac(text(member(*r.container, "Config"), "MacAddress"), settings);
          !configured.empty()) {
        mac = configured;
      }
      if (!mac.empty()) {
        if (endpoint_macs) {
          (*endpoint)["MacAddress"] = mac;
        } else {
          config["MacAddress"] = mac;
        }
      }
      endpoints[network] = std::move(*endpoint);
      continue;
    }
    if (!mac.empty()) {
      if (endpoint_macs) {
        (*endpoint)["MacAddress"] = mac;
      } else {
        std::string warning = r.name;
        warning.append(" has the MAC address ").append(mac).append(" on network ").append(network);
        warning.append(", which cannot be set below Docker API 1.44; the new container gets another");
        r.warnings.push_back(std::move(warning));
      }
    }
    connections.push_back(NetworkConnection{network, std::move(*endpoint)});
  }
  return {};
}

}  // namespace berth::swap::recreate_detail
