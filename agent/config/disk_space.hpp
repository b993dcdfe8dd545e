#pragma once

// agent.json's disk.min_free and the disk guard it drives: a pull that would leave less free space on
// Docker's data root than this is refused (CONTRACT section 3).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::config {

// What must stay free: a share of the file system and an amount, both ("10%, 2GiB").
struct MinFree {
  int percent = 10;
  std::int64_t bytes = std::int64_t{2} << 30;
  friend bool operator==(const MinFree&, const MinFree&) = default;
};

// "10%, 2GiB", "15%", "500MiB", "0". One or two parts separated by a comma: a whole percentage (0-100)
// and an amount in B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024); "0" turns
// the guard off. A part that is not given is 0.
struct MinFreeParse {
  std::optional<MinFree> value;
  std::string error;
};
MinFreeParse parse_min_free(std::string_view text);

// "1.5 GiB", "300 MiB", "12 KiB", "512 B": for people.
std::string format_bytes(std::int64_t bytes);

// The free space of the file system that holds Docker's data root.
struct DiskSpace {
  std::int64_t free = 0;   // available to an unprivileged writer, as df shows it
  std::int64_t total = 0;  // the file system's size
};

// Why a pull of `image_bytes` must not start, or nullopt when it may: what would remain free is below
// min_free's share of the file system or below its amount. `root` names the data root in the message.
std::optional<std::string> disk_guard_refusal(const DiskSpace& disk, std::int64_t image_bytes, const MinFree& min_free,
                                              std::string_view root);

}  // namespace berth::config
