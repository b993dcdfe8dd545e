#include "registry/digest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::registry {
namespace {

TEST(Digest, Sha256OfBodies) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_digest("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Every byte counts: a re-serialised body has another digest.
  EXPECT_NE(sha256_digest("{\"a\":1}"), sha256_digest("{\"a\": 1}"));
  const std::string binary("\0\xff\n", 3);
  EXPECT_TRUE(is_sha256_digest(sha256_digest(binary)));
}

TEST(Digest, Validation) {
  const std::string hex64(64, 'a');
  EXPECT_TRUE(is_sha256_digest("sha256:" + hex64));
  EXPECT_TRUE(is_sha256_digest("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(65, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a') + "g"));
  EXPECT_FALSE(is_sha256_digest("sha256" + hex64));
  EXPECT_FALSE(is_sha256_digest("SHA256:" + hex64));
  EXPECT_FALSE(is_sha256_digest(hex64));
  EXPECT_FALSE(is_sha256_digest(""));
  EXPECT_FALSE(is_sha256_digest("sha512:" + std::string(128, 'a')));

  EXPECT_TRUE(is_valid_digest("sha256:" + hex64));
  EXPECT_TRUE(is_valid_digest("sha384:" + std::string(96, '1')));
  EXPECT_TRUE(is_valid_digest("sha512:" + std::string(128, 'f')));
  EXPECT_FALSE(is_valid_digest("sha384:" + hex64));
  EXPECT_FALSE(is_valid_digest("md5:" + std::string(32, 'a')));
  EXPECT_FALSE(is_valid_digest("sha256:"));
  EXPECT_FALSE(is_valid_digest(":" + hex64));
}

}  // namespace
}  // namespace berth::registry
