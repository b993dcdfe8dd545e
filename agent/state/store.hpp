#pragma once

#include "common/error.hpp"
#include "swap/planner.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace berth::state {

// One finished swap, as `berth history` shows it.
struct HistoryEntry {
  std::string id;
  std::string service;
  std::string image;
  std::string from_digest;
  std::string to_digest;
  std::string strategy;
  std::int64_t started_ms = 0;
  std::int64_t ended_ms = 0;
  std::string result;  // swapped | rolled_back | interrupted | failed
  std::string reason;
};

nlohmann::json to_json(const HistoryEntry& e);
HistoryEntry history_entry_of(const swap::SwapRecord& r);

struct QuarantinedDigest {
  std::string service;
  std::string digest;
  std::string reason;
  std::int64_t at_ms = 0;
};

// An image berth pulled itself for a service. Only these are ever removed by image retention: an image
// that was on the host before berth's pull is the user's.
struct PulledImage {
  std::string service;
  std::string image_id;  // Docker's image ID, "sha256:…"
  std::string digest;    // the repository digest it was pulled by
  std::int64_t bytes = 0;
  std::int64_t used_ms = 0;  // when a swap to it was last proven; 0: never (a failed or pending swap)
};

// Which of one service's pulled images to remove after a proven swap: every one but the `keep` most
// recently used (the running one always stays and counts as one of them), and never one that a
// container uses (`in_use`: the image IDs of every container on the host, stopped ones too).
std::vector<std::string> images_to_remove(std::vector<PulledImage> pulled, int keep, const std::string& running_id,
                                          const std::set<std::string>& in_use);

// What berth keeps in its state directory:
//   swaps/<service>.json   the journal of a swap in flight (write-ahead: the intent of each step)
//   history.json           finished swaps, newest last, at most kHistoryLimit
//   quarantine.json        digests that failed their gate, never retried automatically
//   images.json            the images berth pulled itself, by service (image retention)
// Every write is atomic (durable_file). A file that does not parse is moved aside as *.corrupt and
// reported, never silently dropped.
class StateStore {
 public:
  static constexpr std::size_t kHistoryLimit = 1000;

  explicit StateStore(std::string dir, std::size_t history_limit = kHistoryLimit);
  common::Status open();  // creates the directories
  [[nodiscard]] const std::string& dir() const { return dir_; }

  common::Status save_swap(const swap::SwapRecord& r);
  common::Status remove_swap(const std::string& service);
  // Every swap in flight; problems (unreadable journals) are returned alongside.
  std::vector<swap::SwapRecord> swaps_in_flight(std::vector<std::string>* problems);

  common::Status append_history(const HistoryEntry& e);
  // Newest first; only `service` when not empty; at most `limit`.
  std::vector<HistoryEntry> history(const std::string& service, std::size_t limit) const;

  common::Status quarantine(const QuarantinedDigest& q);
  common::Status release(const std::string& service, const std::string& digest);
  [[nodiscard]] bool is_quarantined(const std::string& service, const std::string& digest) const;
  [[nodiscard]] std::vector<QuarantinedDigest> quarantined() const;

  // Adds (or refreshes the size of) an image berth pulled for the service.
  common::Status record_pulled(const PulledImage& image);
  // A swap to the image was proven at `at_ms`; unknown images (not pulled by berth) are ignored.
  common::Status mark_used(const std::string& service, const std::string& image_id, std::int64_t at_ms);
  common::Status forget_pulled(const std::string& service, const std::string& image_id);
  [[nodiscard]] std::vector<PulledImage> pulled_images(const std::string& service) const;

 private:
  std::string swap_path(const std::string& service) const;
  common::Status save_quarantine() const;
  common::Status save_images() const;
  void load();

  std::string dir_;
  std::size_t history_limit_;
  std::vector<HistoryEntry> history_;  // oldest first
  std::vector<QuarantinedDigest> quarantine_;
  std::vector<PulledImage> images_;
};

}  // namespace berth::state
