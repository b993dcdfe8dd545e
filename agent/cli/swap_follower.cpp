#include "cli/swap_follower.hpp"

#include <algorithm>

namespace berth::cli {

using nlohmann::json;

namespace {

std::string id_of(const json& item) {
  if (item.is_string()) {
    return item.get<std::string>();
  }
  for (const char* key : {"id", "swap"}) {
    if (item.is_object() && item.contains(key) && item[key].is_string()) {
      return item[key].get<std::string>();
    }
  }
  return {};
}

std::string swap_of(const json& event) {
  if (!event.is_object()) {
    return {};
  }
  const auto it = event.find("swap");
  return it != event.end() ? id_of(*it) : std::string{};
}

// The last event of a swap: step "finish" with the result (progress may report "finish" before it).
bool is_last_step(const json& event) {
  return event.is_object() && event.contains("step") && event["step"] == "finish" && event.contains("result") &&
         event["result"].is_string() && !event["result"].get<std::string>().empty();
}

}  // namespace

std::vector<std::string> swap_ids_of(const json& answer) {
  std::vector<std::string> out;
  if (!answer.is_object()) {
    return out;
  }
  if (answer.contains("swap")) {
    if (auto id = id_of(answer["swap"]); !id.empty()) {
      out.push_back(std::move(id));
    }
  }
  if (answer.contains("swaps") && answer["swaps"].is_array()) {
    for (const auto& item : answer["swaps"]) {
      if (auto id = id_of(item); !id.empty() && std::find(out.begin(), out.end(), id) == out.end()) {
        out.push_back(std::move(id));
      }
    }
  }
  return out;
}

bool swap_has_ended(const json& swap) {
  if (!swap.is_object() || !swap.contains("result") || !swap["result"].is_string()) {
    return false;
  }
  const auto result = swap["result"].get<std::string>();
  return !result.empty() && result != "pending";
}

void SwapFollower::on_event(const json& event) {
  const std::string id = swap_of(event);
  if (id.empty()) {
    return;
  }
  if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) {
    if (backlog_.size() < kMaxBacklog) {
      backlog_.push_back(event);
    }
    return;
  }
  progress_.push_back(event);
  if (is_last_step(event)) {
    finished_.insert(id);
  }
}

void SwapFollower::watch(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) {
      ids_.push_back(id);
    }
  }
  auto backlog = std::move(backlog_);
  backlog_.clear();
  for (const auto& event : backlog) {
    on_event(event);
  }
}

std::vector<json> SwapFollower::take_progress() {
  auto out = std::move(progress_);
  progress_.clear();
  return out;
}

bool SwapFollower::all_finished() const {
  return std::all_of(ids_.begin(), ids_.end(), [&](const std::string& id) { return finished_.contains(id); });
}

}  // namespace berth::cli
