#pragma once

// The image of an awsvpc task's holder container, made by berth itself so that it exists on any host,
// without a registry: one static program of a few dozen bytes that ignores SIGCHLD (so the kernel reaps
// the orphans it inherits as init of a shared PID namespace) and then waits for signals forever. It is
// loaded with POST /images/load from a docker-archive tar built in memory; the same bytes give the same
// image ID on every host.

#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace berth::docker {

// The reference the holder image is loaded under (and the holder is created from).
inline constexpr std::string_view kHolderImage = "berth-holder:1";

struct HolderImage {
  std::string archive;  // docker-archive tar: manifest.json, the config, one layer holding /holder
  std::string id;       // "sha256:<hex>": the image ID Docker gives it (the config's digest)
};

// For the Docker Engine's architecture as GET /version names it ("amd64", "arm64"); kInvalidArgument for
// any other.
common::Result<HolderImage> holder_image(std::string_view docker_arch);

// The program alone: a static ELF executable for "amd64" or "arm64" (empty for others).
std::string holder_program(std::string_view docker_arch);

// A tar archive (ustar, regular files only, owner root, mode 0644 or 0755 for executables, mtime 0).
struct TarEntry {
  std::string name;
  std::string content;
  bool executable = false;
};
std::string tar_archive(const std::vector<TarEntry>& entries);

}  // namespace berth::docker
