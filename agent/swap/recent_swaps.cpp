#include "swap/recent_swaps.hpp"

#include <algorithm>

namespace berth::swap {

namespace {

bool has_ended(const nlohmann::json& swap) {
  const auto result = swap.is_object() ? swap.find("result") : swap.end();
  return result != swap.end() && result->is_string() && result->get<std::string>() != "pending";
}

}  // namespace

nlohmann::json& RecentSwaps::operator[](const std::string& id) {
  if (by_id_.try_emplace(id).second) {
    order_.push_back(id);
    forget_oldest_ended();
  }
  return by_id_.at(id);
}

const nlohmann::json* RecentSwaps::find(const std::string& id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

void RecentSwaps::forget_oldest_ended() {
  auto ended = static_cast<std::size_t>(
      std::count_if(by_id_.begin(), by_id_.end(), [](const auto& entry) { return has_ended(entry.second); }));
  for (auto it = order_.begin(); it != order_.end() && ended > kept_ended_;) {
    const auto entry = by_id_.find(*it);
    if (entry != by_id_.end() && has_ended(entry->second)) {
      by_id_.erase(entry);
      it = order_.erase(it);
      --ended;
    } else {
      ++it;
    }
  }
}

}  // namespace berth::swap
