#pragma once

#include <chrono>
#include <cstdint>

namespace berth::common {

// Wall-clock milliseconds since the Unix epoch: the times of history, the journal and the API.
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace berth::common
