#include "cli/swap_narration.hpp"
#include "common/json_member.hpp"

#include "cli/render.hpp"
#include "control/time_text.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace berth::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kTerminalWidth = 100;

struct StepPhase {
  std::string_view step;
  std::string_view doing;
  std::string_view done;
  bool going_back;  // a step of the way back to the old version: the phase before it failed
};

constexpr std::array<StepPhase, 20> kPhases{{
    {"pull", "pulling the image", "pulled the image", false},
    {"stop_old", "stopping the old container", "stopped the old container", false},
    {"neutralise_old", "setting the old container aside", "set the old container aside", false},
    {"rename_old_to_prev", "setting the old container aside", "set the old container aside", false},
    {"create_new", "creating the new container", "created the new container", false},
    {"rename_next_to_name", "starting the new container", "started the new container", false},
    {"start_new", "starting the new container", "started the new container", false},
    {"gate_new", "waiting for health", "the new container is healthy", false},
    {"move_port", "moving the port to the new container", "moved the port to the new container", false},
    {"drain_old", "letting the old container's connections finish", "the old container's connections finished", false},
    {"remove_old", "removing the old container", "removed the old container", false},
    {"stop_new", "stopping the failed container", "stopped the failed container", true},
    {"neutralise_new", "keeping the failed container for inspection", "kept the failed container for inspection", true},
    {"remove_stale_failed", "keeping the failed container for inspection", "kept the failed container for inspection",
     true},
    {"rename_new_to_failed", "keeping the failed container for inspection", "kept the failed container for inspection",
     true},
    {"remove_new", "removing the new container", "removed the new container", true},
    {"rename_prev_to_name", "restoring the old container", "restored the old container", true},
    {"restore_old_policy", "restoring the old container", "restored the old container", true},
    {"start_old", "restoring the old container", "restored the old container", true},
    {"gate_old", "waiting for the old container's health", "the old container is healthy", true},
}};

double number_field(const json& event, const char* key) {
  const auto it = event.find(key);
  return it != event.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

std::optional<SwapPhase> phase_of_step(std::string_view step) {
  for (const auto& p : kPhases) {
    if (p.step == step) {
      return SwapPhase{std::string(p.doing), std::string(p.done), p.going_back};
    }
  }
  return std::nullopt;
}

std::string format_elapsed(std::chrono::milliseconds elapsed) {
  const auto ms = std::max<std::int64_t>(elapsed.count(), 0);
  char buf[32];
  if (ms < 60000) {
    std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms) / 1000.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld min %02lld s", static_cast<long long>(ms / 60000),
                  static_cast<long long>(ms % 60000 / 1000));
  }
  return buf;
}

std::string SwapNarrator::line(const Progress& p, const std::string& text, WallTime wall, bool in_place) {
  std::string out;
  if (terminal_) {
    out = "\r" + p.service + ": " + text + "\x1b[K";
    if (!in_place) {
      out += "\n";
    }
    in_place_open_ = in_place;
    return out;
  }
  return control::rfc3339_utc(wall) + " " + p.service + ": " + text + "\n";
}

std::string SwapNarrator::close_phase(Progress& p, SteadyTime now, WallTime wall, const std::string& outcome) {
  if (!p.phase) {
    return {};
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(now - p.phase_began);
  const std::string text =
      (outcome.empty() ? p.phase->done : p.phase->doing + ": " + outcome) + " (" + format_elapsed(took) + ")";
  p.phase.reset();
  return line(p, text, wall, false);
}

std::string SwapNarrator::on_event(const json& event, SteadyTime now, WallTime wall) {
  if (!event.is_object()) {
    return {};
  }
  const std::string id = common::string_member(event, "swap");
  auto [it, fresh] = swaps_.try_emplace(id);
  Progress& p = it->second;
  if (fresh) {
    p.service = common::string_member(event, "service");
    p.began = now;
  }
  const std::string step = common::string_member(event, "step");
  if (step == "pull_progress") {
    const double total = number_field(event, "bytes_total");
    const double done = number_field(event, "bytes_done");
    if (total <= 0) {
      return {};
    }
    const std::string doing = p.phase ? p.phase->doing : "pulling the image";
    if (terminal_) {
      json bar = event;
      bar["step"] = doing;
      return line(p, progress_bar(bar, kTerminalWidth), wall, true);
    }
    const int quarter = static_cast<int>(4 * std::clamp(done / total, 0.0, 1.0));
    if (quarter == p.last_quarter) {
      return {};
    }
    p.last_quarter = quarter;
    return line(p, doing + ": " + human_bytes(done) + " of " + human_bytes(total), wall, false);
  }
  if (step == "gate_progress") {
    // "waiting for health: 3 of 10 probes": in place on a terminal, a plain line when one more passed.
    const auto passed = static_cast<int>(number_field(event, "probes_passed"));
    const auto needed = static_cast<int>(number_field(event, "probes_needed"));
    const auto failed = static_cast<int>(number_field(event, "probes_run")) - passed;
    if (!p.phase || !p.in_gate || needed <= 0 || (!terminal_ && passed == p.last_passed)) {
      return {};
    }
    p.last_passed = passed;
    std::string text = p.phase->doing + ": " + std::to_string(passed) + " of " + std::to_string(needed) +
                       (needed == 1 ? " probe" : " probes");
    if (failed > 0) {
      text += " (" + std::to_string(failed) + " failed)";
    }
    return line(p, text, wall, terminal_);
  }
  if (step == "finish") {
    p.ended = now;
    // The engine's own "finish" (detail "failed: ...") comes before the agent's, which has the result.
    const std::string result = common::string_member(event, "result");
    const bool failed = result == "failed" || common::string_member(event, "detail").rfind("failed", 0) == 0;
    return close_phase(p, now, wall, failed ? "failed" : "");
  }
  if (step == "turn_back") {
    std::string out = close_phase(p, now, wall, "gave up");
    const std::string detail = common::string_member(event, "detail");
    return out + line(p, "turning back to the old version" + (detail.empty() ? "" : ": " + detail), wall, false);
  }
  auto phase = phase_of_step(step);
  if (!phase || (p.phase && p.phase->doing == phase->doing)) {
    return {};  // a step of the phase already shown, or one that is not a phase
  }
  // The first step back to the old version: the phase before it (the health gate, a start) failed.
  const bool turned = phase->going_back && p.phase && !p.phase->going_back;
  std::string out = close_phase(p, now, wall, turned ? "failed" : "");
  p.phase = phase;
  p.phase_began = now;
  p.last_passed = -1;
  p.in_gate = step == "gate_new" || step == "gate_old";
  return out + line(p, phase->doing + (terminal_ ? " ..." : ""), wall, terminal_);
}

std::string SwapNarrator::end_line() {
  if (!in_place_open_) {
    return {};
  }
  in_place_open_ = false;
  return "\n";
}

std::optional<std::chrono::milliseconds> SwapNarrator::duration(const std::string& swap_id) const {
  const auto it = swaps_.find(swap_id);
  if (it == swaps_.end() || !it->second.ended) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*it->second.ended - it->second.began);
}

}  // namespace berth::cli
