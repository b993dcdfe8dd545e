#include "common/text.hpp"

#include <gtest/gtest.h>

namespace berth::common {
namespace {

TEST(Text, UrlEncodeKeepsUnreserved) {
  EXPECT_EQ(url_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(url_encode(R"({"label":["x=y"]})"), "%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D");
  EXPECT_EQ(url_encode("a b/c"), "a%20b%2Fc");
}

TEST(Text, Base64BothAlphabets) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8=");
}

TEST(Text, CaseInsensitive) {
  EXPECT_TRUE(iequals("Docker-Content-Digest", "docker-content-digest"));
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_EQ(to_lower("WWW-Authenticate"), "www-authenticate");
}

}  // namespace
}  // namespace berth::common
