#include "hostport/port_rules.hpp"

#include <gtest/gtest.h>

namespace berth::hostport {
namespace {

using nlohmann::json;

TEST(PortRules, SetupRenewsTheRulesInsteadOfAppendingThem) {
  const std::string script = setup_script();
  // Everything is `add` (a no-op when it exists) or a flush followed by the chain's rules.
  for (const char* chain : {"prerouting", "output", "postrouting"}) {
    EXPECT_NE(script.find(std::string("flush chain ip berth ") + chain + "\n"), std::string::npos) << chain;
  }
  EXPECT_LT(script.find("flush chain ip berth prerouting"), script.find("add rule ip berth prerouting"));
  // Before Docker's NAT (priority -100) and only for local destinations and TCP.
  EXPECT_NE(script.find("type nat hook prerouting priority -110"), std::string::npos);
  EXPECT_NE(script.find("add rule ip berth output fib daddr type local dnat ip to tcp dport map @ports"),
            std::string::npos);
  EXPECT_NE(script.find("ip saddr 127.0.0.0/8 oifname != \"lo\" ct status dnat masquerade"), std::string::npos);
}

TEST(PortRules, PointingReplacesAnElementInTheSameTransaction) {
  const std::string fresh = point_script({}, 8080, Target{"172.18.0.3", 80});
  EXPECT_EQ(fresh.find("delete element"), std::string::npos);
  EXPECT_TRUE(fresh.ends_with("add element ip berth ports { 8080 : 172.18.0.3 . 80 }\n")) << fresh;
  const PortMap current{{8080, Target{"172.18.0.2", 80}}, {9090, Target{"172.19.0.2", 90}}};
  const std::string moved = point_script(current, 8080, Target{"172.18.0.3", 80});
  EXPECT_TRUE(
      moved.ends_with("delete element ip berth ports { 8080 }\n"
                      "add element ip berth ports { 8080 : 172.18.0.3 . 80 }\n"))
      << moved;
  EXPECT_EQ(moved.find("9090"), std::string::npos) << "other ports are left alone";
  EXPECT_TRUE(release_script(current, 9090).ends_with("delete element ip berth ports { 9090 }\n"));
  EXPECT_EQ(release_script(current, 7070), setup_script());
}

TEST(PortRules, ReadsTheMapNftPrints) {
  // nft 1.0.6: `nft -j list map ip berth ports`.
  const auto map = parse_map_listing(
      R"({"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
          {"map": {"family": "ip", "name": "ports", "table": "berth", "type": "inet_service", "handle": 1,
                   "map": "ipv4_addr . inet_service",
                   "elem": [[8080, {"concat": ["172.18.0.2", 80]}], [443, {"concat": ["10.1.2.3", 8443]}]]}}]})");
  ASSERT_TRUE(map) << map.error().message;
  EXPECT_EQ(*map, (PortMap{{443, Target{"10.1.2.3", 8443}}, {8080, Target{"172.18.0.2", 80}}}));
  // An empty map has no "elem".
  const auto empty = parse_map_listing(
      R"({"nftables": [{"map": {"family": "ip", "name": "ports", "table": "berth", "type": "inet_service"}}]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parse_map_listing("Error: No such file or directory"));
  EXPECT_FALSE(parse_map_listing(R"({"nftables": [{"map": {"elem": [[8080, {"concat": ["172.18.0", 80]}]]}}]})"));
  EXPECT_FALSE(parse_map_listing(R"({"nftables": [{"map": {"elem": [[70000, {"concat": ["1.2.3.4", 80]}]]}}]})"));
  EXPECT_FALSE(parse_map_listing(R"({"nftables": [{"map": {"elem": [["x", {"concat": ["1.2.3.4", 80]}]]}}]})"));
}

TEST(PortRules, Ipv4Addresses) {
  for (const char* good : {"0.0.0.0", "172.18.0.2", "255.255.255.255"}) {
    EXPECT_TRUE(is_ipv4(good)) << good;
  }
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.", "a.b.c.d", "1.2.3.4 ", "::1",
                          "1.2.3.4; flush ruleset"}) {
    EXPECT_FALSE(is_ipv4(bad)) << bad;
  }
}

TEST(PortRules, AContainersPlaceOnItsNetwork) {
  const auto user = attachment_of(json::parse(R"({
      "HostConfig": {"NetworkMode": "berth-web"},
      "NetworkSettings": {"Networks": {"berth-web": {"IPAddress": "172.18.0.2",
          "NetworkID": "a977ebd61a4a5488925f5bad268070d9c14e065fe0daf012e14bfd1b5ddd0b0c"}}}})"));
  ASSERT_TRUE(user);
  EXPECT_EQ(user->address, "172.18.0.2");
  EXPECT_EQ(user->bridge, "br-a977ebd61a4a");
  const auto default_bridge = attachment_of(json::parse(R"({
      "HostConfig": {"NetworkMode": "default"},
      "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.5", "NetworkID": "0123456789abcdef"}}}})"));
  ASSERT_TRUE(default_bridge);
  EXPECT_EQ(default_bridge->bridge, "docker0");
  // A stopped container has no address.
  EXPECT_FALSE(attachment_of(json::parse(R"({
      "HostConfig": {"NetworkMode": "berth-web"},
      "NetworkSettings": {"Networks": {"berth-web": {"IPAddress": "", "NetworkID": "a977ebd61a4a5488"}}}})")));
  EXPECT_FALSE(attachment_of(json::parse(R"({"HostConfig": {"NetworkMode": "host"},
                                            "NetworkSettings": {"Networks": {}}})")));
}

}  // namespace
}  // namespace berth::hostport
