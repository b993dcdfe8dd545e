#pragma once

// The swaps GET /v1/swaps/{id} answers from memory: every swap still running and the last few that ended
// (older ones are in the history). Bounded, so a client that starts swaps in a loop cannot grow it.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <deque>
#include <map>
#include <string>

namespace berth::swap {

class RecentSwaps {
 public:
  static constexpr std::size_t kKeptEnded = 100;

  explicit RecentSwaps(std::size_t kept_ended = kKeptEnded) : kept_ended_(kept_ended) {}

  // The entry of swap `id`, a null JSON value when new. Adding one forgets the oldest ended swaps beyond
  // the limit; a swap has ended once its "result" is other than "pending".
  nlohmann::json& operator[](const std::string& id);
  // nullptr when unknown or forgotten.
  [[nodiscard]] const nlohmann::json* find(const std::string& id) const;
  [[nodiscard]] std::size_t size() const { return by_id_.size(); }

 private:
  void forget_oldest_ended();

  std::size_t kept_ended_;
  std::map<std::string, nlohmann::json> by_id_;
  std::deque<std::string> order_;  // ids, oldest first
};

}  // namespace berth::swap
