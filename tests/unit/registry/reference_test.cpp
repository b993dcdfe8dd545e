#include "registry/reference.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::registry {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

ImageReference reference_of(std::string_view text) {
  auto r = parse_reference(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? *r : ImageReference{};
}

std::string reference_error(std::string_view text) {
  auto r = parse_reference(text);
  EXPECT_FALSE(r.has_value()) << text << " parsed as " << (r.has_value() ? r->full() : "");
  if (r.has_value()) {
    return {};
  }
  EXPECT_EQ(r.error().kind, common::ErrorKind::kInvalidArgument);
  return r.error().message;
}

struct Case {
  std::string input;
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
};

TEST(ParseReference, NormalisesLikeDocker) {
  const Case cases[] = {
      {"nginx", "docker.io", "library/nginx", "latest", ""},
      {"nginx:1.25", "docker.io", "library/nginx", "1.25", ""},
      {"ubuntu", "docker.io", "library/ubuntu", "latest", ""},
      {"docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", ""},
      {"docker.io/library/ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", ""},
      {"index.docker.io/nginx", "docker.io", "library/nginx", "latest", ""},
      {"index.docker.io/acme/web:v1", "docker.io", "acme/web", "v1", ""},
      {"acme/web", "docker.io", "acme/web", "latest", ""},
      {"acme/team/web", "docker.io", "acme/team/web", "latest", ""},
      {"ghcr.io/acme/web:1.2", "ghcr.io", "acme/web", "1.2", ""},
      {"ghcr.io/web", "ghcr.io", "web", "latest", ""},  // library/ only on Docker Hub
      {"127.0.0.1:5000/app", "127.0.0.1:5000", "app", "latest", ""},
      {"127.0.0.1:5000/app:v2", "127.0.0.1:5000", "app", "v2", ""},
      {"localhost/app", "localhost", "app", "latest", ""},
      {"localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t", ""},
      {"registry.example.com/acme/web:latest", "registry.example.com", "acme/web", "latest", ""},
      {"123456789012.dkr.ecr.us-east-1.amazonaws.com/web", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "web",
       "latest", ""},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", ""},
      {"[fe80::1]/app:x", "[fe80::1]", "app", "x", ""},
      {"Registry.Example.com/app", "Registry.Example.com", "app", "latest", ""},  // host case is kept
      {"Foo/bar", "Foo", "bar", "latest", ""},  // an upper-case first component is a host, as in Docker
      {"reg:5000/app", "reg:5000", "app", "latest", ""},
      {"nginx@" + kDigest, "docker.io", "library/nginx", "", kDigest},
      {"nginx:1.25@" + kDigest, "docker.io", "library/nginx", "1.25", kDigest},
      {"ghcr.io/acme/web@" + kDigest, "ghcr.io", "acme/web", "", kDigest},
      {"localhost:5000/app:v1@" + kDigest, "localhost:5000", "app", "v1", kDigest},
      {"a.b-c--d/f_g.h__i", "a.b-c--d", "f_g.h__i", "latest", ""},
      {"docker.io/a-b__c.d---e", "docker.io", "library/a-b__c.d---e", "latest", ""},
      {"localhost", "docker.io", "library/localhost", "latest", ""},  // a bare name is always Hub
      {"localhost:5000", "docker.io", "library/localhost", "5000", ""},
      {"example.com", "docker.io", "library/example.com", "latest", ""},
      {"nginx:_underscore", "docker.io", "library/nginx", "_underscore", ""},
      {"nginx:Latest-RC.1", "docker.io", "library/nginx", "Latest-RC.1", ""},
  };
  for (const auto& c : cases) {
    const ImageReference ref = reference_of(c.input);
    EXPECT_EQ(ref.registry, c.registry) << c.input;
    EXPECT_EQ(ref.repository, c.repository) << c.input;
    EXPECT_EQ(ref.tag, c.tag) << c.input;
    EXPECT_EQ(ref.digest, c.digest) << c.input;
  }
}

TEST(ParseReference, Sha384AndSha512DigestsAreAccepted) {
  EXPECT_EQ(reference_of("a@sha384:" + std::string(96, '0')).digest, "sha384:" + std::string(96, '0'));
  EXPECT_EQ(reference_of("a@sha512:" + std::string(128, 'f')).digest, "sha512:" + std::string(128, 'f'));
}

TEST(ParseReference, RejectsWithAClearReason) {
  EXPECT_EQ(reference_error("Foo"), "invalid reference \"Foo\": repository name must be lowercase");
  EXPECT_EQ(reference_error("docker.io/Acme/web"),
            "invalid reference \"docker.io/Acme/web\": repository name must be lowercase");
  EXPECT_EQ(reference_error("acme/Web"), "invalid reference \"acme/Web\": repository name must be lowercase");
  EXPECT_EQ(reference_error(""), "invalid reference \"\": reference is empty");
  EXPECT_EQ(reference_error(std::string(64, 'a')),
            "invalid reference \"" + std::string(64, 'a') +
                "\": a 64-character hexadecimal string is an image ID, not a repository name");
  EXPECT_EQ(reference_error("nginx:"), "invalid reference \"nginx:\": tag is empty after ':'");
  EXPECT_EQ(reference_error("nginx@"), "invalid reference \"nginx@\": digest is empty after '@'");
  EXPECT_EQ(reference_error(":tag"), "invalid reference \":tag\": repository name is empty");
  EXPECT_EQ(reference_error("@" + kDigest), "invalid reference \"@" + kDigest + "\": repository name is empty");
  EXPECT_EQ(reference_error("nginx:-x"),
            "invalid reference \"nginx:-x\": invalid tag \"-x\": a tag is 1 to 128 letters, digits, '_', '.' or '-' "
            "and does not start with '.' or '-'");
  EXPECT_EQ(reference_error("nginx@md5:" + std::string(32, 'a')),
            "invalid reference \"nginx@md5:" + std::string(32, 'a') +
                "\": unsupported digest algorithm \"md5\" (sha256, sha384 or sha512)");
  EXPECT_EQ(reference_error("nginx@sha256:abc"),
            "invalid reference \"nginx@sha256:abc\": digest \"sha256:abc\" must have 64 hex digits after the ':'");
  EXPECT_EQ(reference_error("nginx@sha256:" + std::string(64, 'A')),
            "invalid reference \"nginx@sha256:" + std::string(64, 'A') + "\": digest \"sha256:" + std::string(64, 'A') +
                "\" must be lower-case hex");
  EXPECT_EQ(reference_error("nginx@sha256:" + std::string(64, 'g')),
            "invalid reference \"nginx@sha256:" + std::string(64, 'g') + "\": digest \"sha256:" + std::string(64, 'g') +
                "\" must be hexadecimal after the ':'");
  EXPECT_EQ(reference_error("nginx@" + std::string(64, 'a')), "invalid reference \"nginx@" + std::string(64, 'a') +
                                                                  "\": digest \"" + std::string(64, 'a') +
                                                                  "\" must be <algorithm>:<hex>");
  EXPECT_EQ(reference_error("reg:abc/app"), "invalid reference \"reg:abc/app\": invalid registry host \"reg:abc\"");
  EXPECT_EQ(reference_error("-bad.host/app"),
            "invalid reference \"-bad.host/app\": invalid registry host \"-bad.host\"");
  EXPECT_EQ(reference_error("a//b"), "invalid reference \"a//b\": repository name has an empty path component");
  EXPECT_EQ(reference_error("acme/web/"),
            "invalid reference \"acme/web/\": repository name has an empty path component");
  EXPECT_EQ(reference_error("acme/-web"),
            "invalid reference \"acme/-web\": invalid repository name component \"-web\": use lower-case letters and "
            "digits separated by '.', '_', '__' or '-'");
}

TEST(ParseReference, RejectsMalformedInput) {
  const std::string bad[] = {
      "a___b",
      "a..b",
      "a._b",
      "a b",
      "nginx:a:b",
      "nginx:tag@",
      "nginx@sha256:" + std::string(64, 'a') + "@x",
      "http://nginx",
      "[::1/app",
      "[]/app",
      "[zz::1]/app",
      "[::1]x/app",
      "host:/app",
      "a.-b/app",
      "nginx:" + std::string(129, 'a'),
      "ima\tge",
      "/app",
      "app/",
      "UPPER.host/Path",
      "a.b-c__d/app",  // "_" is not allowed in a host
  };
  for (const auto& b : bad) {
    reference_error(b);
  }
  reference_of("nginx:" + std::string(128, 'a'));
}

TEST(ParseReference, QuotesControlBytesAndCutsLongInputInMessages) {
  EXPECT_EQ(reference_error(std::string("a\nb\"")),
            "invalid reference \"a\\x0ab\\x22\": invalid repository name component "
            "\"a\\x0ab\\x22\": use lower-case letters and digits separated by "
            "'.', '_', '__' or '-'");
  const std::string message = reference_error(std::string(2000, 'a'));
  EXPECT_EQ(message, "invalid reference \"" + std::string(100, 'a') + "...\": longer than 1024 characters");
}

TEST(ParseReference, NameLengthLimitIs255IncludingTheRegistry) {
  // docker.io/ (10) + library/ (8) + 237 = 255
  reference_of(std::string(237, 'a'));
  EXPECT_EQ(reference_error(std::string(238, 'a')),
            "invalid reference \"" + std::string(100, 'a') + "...\": repository name is longer than 255 characters");
  reference_of("r.io/" + std::string(250, 'b'));
  reference_error("r.io/" + std::string(251, 'b'));
}

TEST(ParseReference, SixtyFourHexIsOnlyRejectedAsAWholeName) {
  reference_error(std::string(64, '0'));
  reference_of(std::string(63, '0'));
  reference_of(std::string(65, '0'));
  reference_of("acme/" + std::string(64, '0'));
  reference_of(std::string(64, '0') + ":tag");
}

TEST(ImageReference, Helpers) {
  const ImageReference hub = reference_of("nginx:1.25");
  EXPECT_TRUE(hub.is_docker_hub());
  EXPECT_EQ(hub.api_host(), "registry-1.docker.io");
  EXPECT_EQ(hub.repository_with_registry(), "docker.io/library/nginx");
  EXPECT_EQ(hub.full(), "docker.io/library/nginx:1.25");
  EXPECT_EQ(hub.familiar(), "nginx:1.25");
  EXPECT_EQ(hub.familiar_name(), "nginx");
  EXPECT_EQ(hub.pull_reference(), "docker.io/library/nginx:1.25");
  EXPECT_EQ(hub.manifest_reference(), "1.25");
  EXPECT_EQ(hub.pull_scope(), "repository:library/nginx:pull");

  const ImageReference user = reference_of("index.docker.io/acme/web");
  EXPECT_EQ(user.familiar(), "acme/web:latest");
  EXPECT_EQ(user.full(), "docker.io/acme/web:latest");
  EXPECT_EQ(user.pull_scope(), "repository:acme/web:pull");

  const ImageReference nested = reference_of("docker.io/library/a/b");
  EXPECT_EQ(nested.familiar_name(), "library/a/b");

  const ImageReference local = reference_of("127.0.0.1:5000/app:v2@" + kDigest);
  EXPECT_FALSE(local.is_docker_hub());
  EXPECT_EQ(local.api_host(), "127.0.0.1:5000");
  EXPECT_EQ(local.full(), "127.0.0.1:5000/app:v2@" + kDigest);
  EXPECT_EQ(local.familiar(), "127.0.0.1:5000/app:v2@" + kDigest);
  EXPECT_EQ(local.familiar_name(), "127.0.0.1:5000/app");
  EXPECT_EQ(local.pull_reference(), "127.0.0.1:5000/app@" + kDigest);  // the digest wins for pulls
  EXPECT_EQ(local.manifest_reference(), kDigest);
  EXPECT_EQ(local.tag, "v2");  // the tag is kept for the watcher

  const ImageReference pinned = reference_of("nginx@" + kDigest);
  EXPECT_EQ(pinned.familiar(), "nginx@" + kDigest);
  EXPECT_EQ(pinned.full(), "docker.io/library/nginx@" + kDigest);

  // A Hub path that would read as a host keeps its domain in the short form.
  const ImageReference dotted = reference_of("docker.io/foo.bar/app");
  EXPECT_EQ(dotted.familiar_name(), "docker.io/foo.bar/app");
  const ImageReference hub_localhost = reference_of("docker.io/localhost/app");
  EXPECT_EQ(hub_localhost.familiar_name(), "docker.io/localhost/app");
  EXPECT_EQ(reference_of("docker.io/localhost").familiar_name(), "localhost");
}

TEST(ImageReference, FullAndFamiliarParseBackToTheSameReference) {
  const std::string inputs[] = {"nginx",
                                "nginx:1.25@" + kDigest,
                                "acme/web",
                                "docker.io/foo.bar/app:x",
                                "docker.io/localhost/app",
                                "localhost/app",
                                "[::1]:5000/a/b@" + kDigest,
                                "Foo/bar:Baz",
                                "index.docker.io/library/a/b"};
  for (const auto& input : inputs) {
    const ImageReference ref = reference_of(input);
    EXPECT_EQ(reference_of(ref.full()), ref) << input;
    EXPECT_EQ(reference_of(ref.familiar()), ref) << input;
  }
}

}  // namespace
}  // namespace berth::registry
