#include "common/loopback.hpp"

#include <gtest/gtest.h>

namespace berth::common {
namespace {

// One rule for every place that allows plain HTTP (api.listen, registries, aws.endpoints, the CLI).
TEST(Loopback, NamesAndAddressesOfThisMachine) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LocalHost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("127.255.255.255"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("0:0:0:0:0:0:0:1"));
  EXPECT_TRUE(is_loopback_host("0000::0001"));
  EXPECT_TRUE(is_loopback_host("::ffff:127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("::FFFF:127.9.8.7"));
  EXPECT_TRUE(is_loopback_host("::ffff:7f00:1"));
}

TEST(Loopback, EverythingElse) {
  EXPECT_FALSE(is_loopback_host(""));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("::2"));
  EXPECT_FALSE(is_loopback_host("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("::127.0.0.1"));  // IPv4-compatible, deprecated: not this machine
  EXPECT_FALSE(is_loopback_host("[::1]"));        // brackets belong to the URL, not the address
  EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
  EXPECT_FALSE(is_loopback_host("127.0.0"));
  EXPECT_FALSE(is_loopback_host("127.0.0."));
  EXPECT_FALSE(is_loopback_host("127..0.1"));
  EXPECT_FALSE(is_loopback_host("127.0.0.256"));
  EXPECT_FALSE(is_loopback_host("registry.local"));
}

}  // namespace
}  // namespace berth::common
