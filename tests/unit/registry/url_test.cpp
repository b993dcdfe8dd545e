#include "registry/url.hpp"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

using common::ErrorKind;

TEST(RegistryUrl, Parses) {
  auto u = parse_url("https://auth.docker.io/token?service=registry.docker.io");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->origin, (Origin{true, "auth.docker.io", 443}));
  EXPECT_EQ(u->target, "/token?service=registry.docker.io");
  EXPECT_EQ(u->origin.key(), "https://auth.docker.io");

  auto plain = parse_url("http://127.0.0.1:15000");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->origin, (Origin{false, "127.0.0.1", 15000}));
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->origin.authority(), "127.0.0.1:15000");

  auto v6 = parse_url("HTTPS://[::1]:5000/v2/#frag");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->origin, (Origin{true, "::1", 5000}));
  EXPECT_EQ(v6->target, "/v2/");
  EXPECT_EQ(v6->origin.authority(), "[::1]:5000");

  auto query = parse_url("http://localhost:5000?last=10");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->target, "/?last=10");

  EXPECT_EQ(parse_url("ftp://x/").error().kind, ErrorKind::kProtocol);
  EXPECT_FALSE(parse_url("https://user@host/"));
  EXPECT_FALSE(parse_url("https://host:99999/"));
  EXPECT_FALSE(parse_url("https://host:0/"));
  EXPECT_FALSE(parse_url("https://host:/"));
  EXPECT_FALSE(parse_url("https:///path"));
  EXPECT_FALSE(parse_url("https://[::1/"));
  EXPECT_FALSE(parse_url("https://[::1]x/"));
  EXPECT_FALSE(parse_url(""));
}

TEST(RegistryUrl, OriginsAreSpelledWithoutTheDefaultPort) {
  EXPECT_EQ((Origin{true, "registry.example", 443}).authority(), "registry.example");
  EXPECT_EQ((Origin{true, "registry.example", 80}).authority(), "registry.example:80");
  EXPECT_EQ((Origin{false, "registry.example", 80}).key(), "http://registry.example");
  EXPECT_EQ((Origin{false, "registry.example", 443}).key(), "http://registry.example:443");
  EXPECT_EQ((Origin{true, "2001:db8::10", 443}).key(), "https://[2001:db8::10]");
}

TEST(RegistryUrl, SplitsAuthorities) {
  auto plain = split_authority("registry.example.com");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->first, "registry.example.com");
  EXPECT_FALSE(plain->second);
  auto port = split_authority("registry.example.com:5000");
  ASSERT_TRUE(port);
  EXPECT_EQ(port->first, "registry.example.com");
  EXPECT_EQ(port->second, 5000);
  auto v6 = split_authority("[::1]:5000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 5000);
  auto v6_bare = split_authority("[fe80::1]");
  ASSERT_TRUE(v6_bare);
  EXPECT_EQ(v6_bare->first, "fe80::1");
  EXPECT_FALSE(v6_bare->second);
  for (const char* bad : {"", ":5000", "[]", "[::1", "[::1]5000", "host:", "host:x", "host:65536", "a/b", "u@h",
                          "::1:5000", "$::1]:5000", "[a]b]", "a[b"}) {
    auto r = split_authority(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kProtocol) << bad;
  }
}

TEST(RegistryUrl, Redirects) {
  const Origin base{true, "registry.example", 443};
  EXPECT_EQ(resolve_location(base, "/v2/a")->origin, base);
  EXPECT_EQ(resolve_location(base, "/v2/a")->target, "/v2/a");
  EXPECT_EQ(resolve_location(base, "/v2/a?x=1#part")->target, "/v2/a?x=1");
  EXPECT_EQ(resolve_location(base, "//cdn.example/blob")->origin, (Origin{true, "cdn.example", 443}));
  EXPECT_EQ(resolve_location(Origin{false, "::1", 5000}, "//cdn.example/blob")->origin,
            (Origin{false, "cdn.example", 80}));
  EXPECT_EQ(resolve_location(base, "http://cdn.example:8080/b")->origin, (Origin{false, "cdn.example", 8080}));
  auto s3 = resolve_location(base, "https://bucket.s3.us-east-1.amazonaws.com/layer?X-Amz-Signature=ab%2Fcd");
  ASSERT_TRUE(s3);
  EXPECT_EQ(s3->origin, (Origin{true, "bucket.s3.us-east-1.amazonaws.com", 443}));
  EXPECT_EQ(s3->target, "/layer?X-Amz-Signature=ab%2Fcd");
  EXPECT_FALSE(resolve_location(base, ""));
  EXPECT_FALSE(resolve_location(base, "relative/path"));
}

TEST(RegistryUrl, InsecureHostsAreLoopback) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LocalHost"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
  EXPECT_FALSE(is_loopback_host("127.0.0"));
  EXPECT_FALSE(is_loopback_host("127.0.0."));
  EXPECT_FALSE(is_loopback_host("127..0.1"));
  EXPECT_FALSE(is_loopback_host("127.0.0.256"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("registry.local"));
  EXPECT_FALSE(is_loopback_host(""));
}

}  // namespace
}  // namespace berth::registry
