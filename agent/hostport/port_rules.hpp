#pragma once

// The kernel NAT rules berth keeps for the host ports it switches (start-first on a fixed TCP host port),
// as nft scripts, and the map read back from `nft -j`. Pure: the io side runs nft (port_switch.hpp).
//
//   table ip berth {
//     map ports { type inet_service : ipv4_addr . inet_service }      host port -> container address . port
//     chain prerouting  (nat, priority dstnat - 10)   fib daddr type local dnat ip to tcp dport map @ports
//     chain output      (nat, priority dstnat - 10)   the same, for clients on the host itself
//     chain postrouting (nat, priority srcnat + 10)   ip saddr 127.0.0.0/8 oifname != "lo" ct status dnat masquerade
//   }
//
// The chains run before Docker's own NAT chains (priority dstnat), so a port in the map is berth's even
// while an old container still holds a Docker binding of it. One `nft -f` is one transaction: a changed
// element moves new connections at once; conntrack keeps open ones on the container they began with.

#include "common/error.hpp"
#include "config/address.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth::hostport {

inline constexpr std::string_view kTable = "berth";

// Where a switched host port leads: a container's address on its network and its container port.
struct Target {
  std::string address;  // IPv4, dotted
  std::uint16_t port = 0;
  friend bool operator==(const Target&, const Target&) = default;
};

using PortMap = std::map<std::uint16_t, Target>;  // host port -> target

// The table, its map and chains, and the chains' rules (replaced, never appended twice): safe to run again.
std::string setup_script();

// setup_script, then `host_port` pointed at `to`; `current` is the map as it is (an element is replaced by
// deleting and adding it in the same transaction).
std::string point_script(const PortMap& current, std::uint16_t host_port, const Target& to);

// setup_script, then `host_port` removed from the map (nothing when it is not there).
std::string release_script(const PortMap& current, std::uint16_t host_port);

// The elements of `nft -j list map ip berth ports`.
common::Result<PortMap> parse_map_listing(std::string_view nft_json);

// A running container's place on its network, from `docker inspect`: its address and the Linux bridge
// (docker0 for Docker's default network, br-<first 12 digits of the network id> for a user network).
struct Attachment {
  std::string address;
  std::string bridge;
};
std::optional<Attachment> attachment_of(const nlohmann::json& inspect);

// `a.b.c.d` with each part 0-255: an address nft takes as it is.
using config::is_ipv4;

}  // namespace berth::hostport
