#pragma once

// `update --wait` and `rollback --wait` follow their swaps on GET /v1/events. The event stream is
// opened before the request that starts the swap (so no event is missed) and its events are kept until
// the swap ids are known; this class does that bookkeeping. Pure.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace berth::cli {

// The swap ids in an answer to update, rollback or update-all: {"swap": "ID"}, {"swap": {"id": ...}},
// {"swaps": ["ID", {"id": ...}, {"swap": "ID", "service": ...}, ...]}.
std::vector<std::string> swap_ids_of(const nlohmann::json& answer);

// Whether a swap record (GET /v1/swaps/{id}) has ended: a result other than "pending".
bool swap_has_ended(const nlohmann::json& swap);

class SwapFollower {
 public:
  // Events of swaps not (yet) watched are kept, up to a bound, until watch() names their ids.
  void on_event(const nlohmann::json& event);
  void watch(const std::vector<std::string>& ids);

  // Events of watched swaps not handed out before, oldest first.
  std::vector<nlohmann::json> take_progress();

  void mark_finished(const std::string& id) { finished_.insert(id); }
  [[nodiscard]] bool all_finished() const;
  [[nodiscard]] const std::vector<std::string>& ids() const { return ids_; }
  [[nodiscard]] bool is_finished(const std::string& id) const { return finished_.contains(id); }

 private:
  static constexpr std::size_t kMaxBacklog = 10000;

  std::vector<std::string> ids_;
  std::set<std::string> finished_;
  std::vector<nlohmann::json> backlog_;
  std::vector<nlohmann::json> progress_;
};

}  // namespace berth::cli
