#include "registry/registry_error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::registry {
namespace {

using common::ErrorKind;

TEST(ParseRegistryErrors, OciErrorBody) {
  const auto entries = parse_registry_errors(
      R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}},
                    {"code":"NAME_UNKNOWN"},{"message":"only text"},{},7]})");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0], (RegistryErrorEntry{"MANIFEST_UNKNOWN", "manifest unknown"}));
  EXPECT_EQ(entries[1], (RegistryErrorEntry{"NAME_UNKNOWN", ""}));
  EXPECT_EQ(entries[2], (RegistryErrorEntry{"", "only text"}));
  EXPECT_TRUE(parse_registry_errors("").empty());
  EXPECT_TRUE(parse_registry_errors("not json").empty());
  EXPECT_TRUE(parse_registry_errors(R"({"errors":"x"})").empty());
  EXPECT_TRUE(parse_registry_errors(R"({"message":"x"})").empty());
}

TEST(RegistryError, KindsFollowTheStatus) {
  EXPECT_EQ(registry_error(401, "", "x").kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(registry_error(403, "", "x").kind, ErrorKind::kForbidden);
  EXPECT_EQ(registry_error(404, "", "x").kind, ErrorKind::kNotFound);
  EXPECT_EQ(registry_error(408, "", "x").kind, ErrorKind::kTimeout);
  EXPECT_EQ(registry_error(413, "", "x").kind, ErrorKind::kTooLarge);
  EXPECT_EQ(registry_error(429, "", "x").kind, ErrorKind::kRateLimited);
  EXPECT_EQ(registry_error(500, "", "x").kind, ErrorKind::kUnavailable);
  EXPECT_EQ(registry_error(503, "", "x").kind, ErrorKind::kUnavailable);
  EXPECT_EQ(registry_error(400, "", "x").kind, ErrorKind::kProtocol);
  EXPECT_EQ(registry_error(302, "", "x").kind, ErrorKind::kProtocol);
  EXPECT_EQ(registry_error(429, "", "x").http_status, 429);
}

TEST(RegistryError, MessagesQuoteTheRegistry) {
  EXPECT_EQ(registry_error(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
                           "HEAD docker.io/library/nginx:nope")
                .message,
            "HEAD docker.io/library/nginx:nope: HTTP 404: MANIFEST_UNKNOWN: manifest unknown");
  EXPECT_EQ(registry_error(401,
                           R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"},
                                         {"code":"DENIED","message":"requested access to the resource is denied"}]})",
                           "GET /v2/")
                .message,
            "GET /v2/: HTTP 401: UNAUTHORIZED: authentication required; DENIED: requested access to the resource is "
            "denied");
  EXPECT_EQ(
      registry_error(429,
                     "You have reached your pull rate limit. You may increase the limit by authenticating and "
                     "upgrading: https://www.docker.com/increase-rate-limits\n",
                     "HEAD docker.io/library/nginx:latest")
          .message,
      "HEAD docker.io/library/nginx:latest: HTTP 429: You have reached your pull rate limit. You may increase the "
      "limit by authenticating and upgrading: https://www.docker.com/increase-rate-limits");
  EXPECT_EQ(registry_error(502, "<html><body>Bad gateway</body></html>", "HEAD r/a:b").message, "HEAD r/a:b: HTTP 502");
  EXPECT_EQ(registry_error(500, "", "HEAD r/a:b").message, "HEAD r/a:b: HTTP 500");
  EXPECT_EQ(registry_error(500, "\n  oops\tnow\r\nmore", "x").message, "x: HTTP 500: oops now");
  EXPECT_EQ(registry_error(500, std::string(400, 'z'), "x").message, "x: HTTP 500: " + std::string(300, 'z') + "...");
  // Bytes that are not UTF-8 are replaced; a character across the limit is not cut in half.
  EXPECT_EQ(registry_error(500, "caf\351", "x").message, "x: HTTP 500: caf\xEF\xBF\xBD");
  EXPECT_EQ(registry_error(500, std::string(299, 'z') + "\xC3\xA9" + "zz", "x").message,
            "x: HTTP 500: " + std::string(299, 'z') + "...");
}

}  // namespace
}  // namespace berth::registry
