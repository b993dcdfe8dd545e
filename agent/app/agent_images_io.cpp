// Image retention and the disk guard: the images berth pulled are removed once they are older than what
// `berth rollback` may need, and a pull that would leave too little space on Docker's data root is refused.
#include "app/agent.hpp"

#include "app/systemd.hpp"
#include "config/disk_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace berth::app {

namespace net = boost::asio;
using common::ErrorKind;
using nlohmann::json;

net::awaitable<std::optional<std::string>> Agent::disk_refusal(std::int64_t image_bytes) {
  if (docker_root_.empty()) {
    auto info = co_await docker_.info();
    if (!info) {
      spdlog::warn("disk guard: {} (the pull goes ahead unguarded)", info.error().message);
      co_return std::nullopt;
    }
    docker_root_ = info->value("DockerRootDir", std::string("/var/lib/docker"));
  }
  struct statvfs fs {};
  if (::statvfs(docker_root_.c_str(), &fs) != 0) {
    // Docker's files are not visible here (a remote or rootless engine): nothing to measure.
    spdlog::debug("disk guard: cannot measure {}: {}", docker_root_, std::strerror(errno));
    co_return std::nullopt;
  }
  const config::DiskSpace disk{static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize),
                               static_cast<std::int64_t>(fs.f_blocks) * static_cast<std::int64_t>(fs.f_frsize)};
  co_return config::disk_guard_refusal(disk, image_bytes, config_.disk.min_free, docker_root_);
}

std::int64_t Agent::images_bytes_of(const Service& s, const std::string& running_id, std::int64_t running_bytes) const {
  std::int64_t total = running_bytes;
  for (const auto& image : store_.pulled_images(s.name)) {
    if (image.image_id != running_id) {
      total += image.bytes;
    }
  }
  return total;
}

net::awaitable<void> Agent::after_swap_images(Service& s, const std::string& repository, bool pulled_by_berth,
                                              const swap::SwapRecord& r) {
  const ServiceWork work(s);
  if (r.to_digest.empty()) {
    co_return;
  }
  auto image = co_await docker_.inspect_image(repository + "@" + r.to_digest);
  if (!image) {
    co_return;  // a failed pull, or removed meanwhile
  }
  const std::string id = image->value("Id", std::string());
  if (pulled_by_berth) {
    if (auto st =
            store_.record_pulled(state::PulledImage{s.name, id, r.to_digest, image->value("Size", std::int64_t{0})});
        !st) {
      log_service(3, s.name, r.id, "cannot record the pulled image: " + st.error().message);
    }
  }
  if (r.outcome != swap::Outcome::kSwapped) {
    co_return;
  }
  (void)store_.mark_used(s.name, id, r.ended_ms > 0 ? r.ended_ms : now_ms());
  co_await prune_images(s);
}

net::awaitable<void> Agent::prune_images(Service& s) {
  const ServiceWork work(s);
  auto containers = co_await docker_.list_containers({}, true);
  if (!containers) {
    log_service(3, s.name, "", "old images kept: " + containers.error().message);
    co_return;
  }
  std::set<std::string> in_use;
  for (const auto& c : *containers) {
    in_use.insert(c.image_id);
  }
  std::string running_id;
  std::int64_t running_bytes = 0;
  if (auto inspect = co_await docker_.inspect_container(s.name)) {
    running_id = (*inspect)["Image"].get<std::string>();
    if (auto image = co_await docker_.inspect_image(running_id)) {
      running_bytes = image->value("Size", std::int64_t{0});
    }
  } else {
    co_return;  // nothing serves under the name: no version to keep images around
  }
  const auto pulled = store_.pulled_images(s.name);
  for (const auto& id : state::images_to_remove(pulled, s.policy.keep_images, running_id, in_use)) {
    std::string digest;
    for (const auto& p : pulled) {
      digest = p.image_id == id ? p.digest : digest;
    }
    // Never forced: Docker itself refuses an image a container uses or another repository names.
    auto removed = co_await docker_.remove_image(id);
    if (!removed && removed.error().kind != ErrorKind::kNotFound) {
      log_service(3, s.name, "", "old image " + id.substr(0, 19) + " kept: " + removed.error().message);
      continue;
    }
    (void)store_.forget_pulled(s.name, id);
    log_service(2, s.name, "",
                "removed the old image " + id.substr(0, 19) + " (" + digest + "); berth.keep-images is " +
                    std::to_string(s.policy.keep_images));
    publish({{"type", "image_removed"}, {"service", s.name}, {"image_id", id}, {"digest", digest}});
  }
  s.images_bytes = images_bytes_of(s, running_id, running_bytes);
}

}  // namespace berth::app
