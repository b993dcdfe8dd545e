#pragma once

// What `berth update --wait` and `rollback --wait` print while a swap runs: its phases in words
// ("pulling the image", "waiting for health"), how long each took, and the pull as a bar on a terminal;
// plain lines with a UTC timestamp otherwise. The swap's raw steps stay in --json and the event stream.
// Pure: the caller brings the events and the time they arrived.

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace berth::cli {

// The phase a step of the swap belongs to, in words ("pulling the image"); empty for steps that are
// not one ("finish", "pull_progress", "gate_progress").
struct SwapPhase {
  std::string doing;        // "pulling the image"
  std::string done;         // "pulled the image"
  bool going_back = false;  // a step of the way back to the old version
};
std::optional<SwapPhase> phase_of_step(std::string_view step);

// "0.4 s", "12.3 s", "1 min 05 s".
std::string format_elapsed(std::chrono::milliseconds elapsed);

class SwapNarrator {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  explicit SwapNarrator(bool terminal) : terminal_(terminal) {}

  // The text to print for one event of a watched swap that arrived at `now` (`wall` stamps plain lines).
  std::string on_event(const nlohmann::json& event, SteadyTime now, WallTime wall);
  // Closes a line a terminal shows in place.
  std::string end_line();
  // From the swap's first event to its "finish", once it has finished.
  [[nodiscard]] std::optional<std::chrono::milliseconds> duration(const std::string& swap_id) const;

 private:
  struct Progress {
    std::string service;
    std::optional<SwapPhase> phase;
    SteadyTime phase_began{};
    SteadyTime began{};
    std::optional<SteadyTime> ended;
    int last_quarter = -1;
    bool in_gate = false;  // the phase is a health gate
    int last_passed = -1;  // of the health gate's probes, last printed on a plain line
  };
  std::string line(const Progress& p, const std::string& text, WallTime wall, bool in_place);
  std::string close_phase(Progress& p, SteadyTime now, WallTime wall, const std::string& outcome);

  bool terminal_;
  bool in_place_open_ = false;
  std::map<std::string, Progress> swaps_;
};

}  // namespace berth::cli
