#pragma once

// Image references ("nginx", "ghcr.io/acme/web:1.2", "127.0.0.1:5000/app@sha256:…") parsed and
// normalised the way the Docker CLI and Engine do it, so that berth names the same image Docker does.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::registry {

using common::Result;

// Longest input parse_reference looks at; a longer string cannot be a valid reference.
inline constexpr std::size_t kMaxReferenceLength = 1024;
// Longest "<registry>/<repository>", as in Docker.
inline constexpr std::size_t kMaxNameLength = 255;
// Canonical Docker Hub domain, and the host its registry API answers on.
inline constexpr std::string_view kDockerHubDomain = "docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";

// A normalised image reference. Every field is canonical: two references to the same image compare equal.
struct ImageReference {
  // Registry host with an optional port: "docker.io" (never "index.docker.io"), "ghcr.io",
  // "127.0.0.1:5000", "[::1]:5000". Case kept as given (Docker keeps it too).
  std::string registry;
  // Repository path without the registry: "library/nginx", "acme/web". Always lower-case; Docker Hub
  // single-component names carry "library/".
  std::string repository;
  // The tag the watcher follows. "latest" when the reference names neither a tag nor a digest; empty only
  // when the reference is pinned by a digest alone.
  std::string tag;
  // "sha256:<hex>" when the reference pins a digest, else empty. When both a tag and a digest are given the
  // digest wins for pulls (as in Docker) and the tag is kept for display and watching.
  std::string digest;

  bool operator==(const ImageReference&) const = default;

  [[nodiscard]] bool is_docker_hub() const { return registry == kDockerHubDomain; }

  // Host (and port) to send registry API requests to: "registry-1.docker.io" for Docker Hub, else registry.
  [[nodiscard]] std::string api_host() const;

  // "docker.io/library/nginx": registry and repository, without tag or digest.
  [[nodiscard]] std::string repository_with_registry() const;

  // Canonical string: "docker.io/library/nginx:latest", "ghcr.io/acme/web:1.2@sha256:…". Parses back to the
  // same reference.
  [[nodiscard]] std::string full() const;

  // The short form `docker ps` and `docker images` show: "nginx:latest", "acme/web:1.2",
  // "ghcr.io/acme/web@sha256:…". Parses back to the same reference.
  [[nodiscard]] std::string familiar() const;

  // familiar() without tag and digest: "nginx", "acme/web", "ghcr.io/acme/web". Docker's RepoTags and
  // RepoDigests entries start with this name. (A Hub path whose first component looks like a host, such as
  // "docker.io/foo.bar/app", keeps "docker.io/" here so that it parses back; Hub has no such namespaces.)
  // To match a RepoDigests entry robustly, parse it and compare repository_with_registry() and digest.
  [[nodiscard]] std::string familiar_name() const;

  // What to pull: the digest when there is one, else the tag ("docker.io/library/nginx@sha256:…").
  [[nodiscard]] std::string pull_reference() const;

  // The <reference> of /v2/<repository>/manifests/<reference> for a pull: the digest if set, else the tag.
  [[nodiscard]] const std::string& manifest_reference() const { return digest.empty() ? tag : digest; }

  // Token scope for pulling this repository: "repository:library/nginx:pull".
  [[nodiscard]] std::string pull_scope() const;

 private:
  // name + ":tag" + "@digest", each part only when set.
  [[nodiscard]] std::string with_tag_and_digest(std::string name) const;
};

// Parses and normalises a reference. Errors are kInvalidArgument with a message naming the input and the
// problem, e.g. `invalid reference "Foo": repository name must be lowercase`.
Result<ImageReference> parse_reference(std::string_view text);

}  // namespace berth::registry
