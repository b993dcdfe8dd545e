#include "control/registry_hook.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

TEST(RegistryHookTest, DockerHubPush) {
  auto hints = parse_registry_hook(R"({
    "callback_url": "https://registry.hub.docker.com/u/acme/web/hook/x/",
    "push_data": {"pushed_at": 1417566161, "pusher": "acme", "tag": "latest"},
    "repository": {"repo_name": "acme/web", "name": "web", "namespace": "acme", "status": "Active"}})");
  ASSERT_TRUE(hints) << hints.error().message;
  ASSERT_EQ(hints->size(), 1u);
  EXPECT_EQ((*hints)[0], (RegistryHint{"docker.io", "acme/web", "latest"}));
  auto official = parse_registry_hook(R"({"push_data": {"tag": "1.25"}, "repository": {"repo_name": "nginx"}})");
  ASSERT_TRUE(official);
  EXPECT_EQ((*official)[0].repository, "library/nginx");
}

TEST(RegistryHookTest, DistributionEnvelope) {
  auto hints = parse_registry_hook(R"({"events": [
    {"action": "push", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
      "repository": "acme/web", "tag": "v2"}, "request": {"host": "registry.example.com:5000"}},
    {"action": "push", "target": {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "repository": "acme/web"}},
    {"action": "pull", "target": {"repository": "acme/api", "tag": "v1"}},
    {"action": "push", "target": {"mediaType": "application/vnd.oci.image.index.v1+json", "repository": "acme/db"}},
    {"action": "push", "target": {"repository": "acme/web", "tag": "v2"}, "request": {"host": "registry.example.com:5000"}},
    {"action": "push", "target": {"repository": "Bad/Upper", "tag": "v1"}}]})");
  ASSERT_TRUE(hints) << hints.error().message;
  ASSERT_EQ(hints->size(), 2u);
  EXPECT_EQ((*hints)[0], (RegistryHint{"registry.example.com:5000", "acme/web", "v2"}));
  EXPECT_EQ((*hints)[1], (RegistryHint{"", "acme/db", ""}));
}

TEST(RegistryHookTest, RefusesOtherBodies) {
  EXPECT_FALSE(parse_registry_hook("not json"));
  EXPECT_FALSE(parse_registry_hook("[]"));
  EXPECT_FALSE(parse_registry_hook(R"({"hello": 1})"));
  EXPECT_FALSE(parse_registry_hook(R"({"repository": {"repo_name": "acme/web@sha256:00"}})"));
  EXPECT_FALSE(parse_registry_hook(R"({"repository": {"repo_name": "ghcr.io/acme/web"}})"));
  EXPECT_FALSE(parse_registry_hook(R"({"push_data": {"tag": "bad tag"}, "repository": {"repo_name": "acme/web"}})"));
}

TEST(RegistryHookTest, Matching) {
  auto hub = registry::parse_reference("acme/web:latest");
  auto local = registry::parse_reference("127.0.0.1:5000/acme/web:v2");
  ASSERT_TRUE(hub && local);
  EXPECT_TRUE(hint_matches({"docker.io", "acme/web", "latest"}, *hub));
  EXPECT_FALSE(hint_matches({"docker.io", "acme/web", "v2"}, *hub));
  EXPECT_FALSE(hint_matches({"docker.io", "acme/web", ""}, *local));
  EXPECT_TRUE(hint_matches({"localhost:5000", "acme/web", "v2"}, *local));
  EXPECT_TRUE(hint_matches({"", "acme/web", ""}, *local));
  EXPECT_FALSE(hint_matches({"", "acme/api", ""}, *local));
}

}  // namespace
}  // namespace berth::control
