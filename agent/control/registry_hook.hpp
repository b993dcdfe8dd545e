#pragma once

// POST /v1/hooks/registry/{secret}: the payloads registries send when an image is pushed, read as
// hints only. Docker Hub's push webhook carries no signature, and neither payload is trusted for
// anything but "this repository (and tag) may have changed": no digest is ever taken from it. The
// agent answers a hint by checking the matching services against the registry itself.

#include "common/error.hpp"
#include "registry/reference.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::control {

inline constexpr std::size_t kMaxRegistryHints = 64;

struct RegistryHint {
  std::string registry;    // "docker.io" for Docker Hub; the host the pusher used for a distribution
                           // registry (may differ from berth's spelling of it); empty when not given
  std::string repository;  // normalised as in ImageReference: "library/nginx", "acme/web"
  std::string tag;         // empty when the push named no tag (a push by digest)

  friend bool operator==(const RegistryHint&, const RegistryHint&) = default;
};

// Docker Hub's push payload ({"push_data": {"tag"}, "repository": {"repo_name"}}) or the distribution
// registry's notification envelope ({"events": [{"action": "push", "target": {"repository", "tag"},
// "request": {"host"}}]}): the hints it holds, deduplicated, at most kMaxRegistryHints. Pulls, deletes
// and blob pushes give none. kInvalidArgument when the body is neither.
common::Result<std::vector<RegistryHint>> parse_registry_hook(std::string_view body);

// Whether a service following `image` should be checked for this hint: the same repository, the same
// tag when the hint names one, and Docker Hub only for a Docker Hub hint. Registry hosts of other hints
// are not compared (the pusher's "localhost:5000" is berth's "127.0.0.1:5000"): a needless check is cheap.
bool hint_matches(const RegistryHint& hint, const registry::ImageReference& image);

}  // namespace berth::control
