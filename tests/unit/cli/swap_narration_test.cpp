#include "cli/swap_narration.hpp"
#include "cli/render.hpp"
#include "swap/planner.hpp"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json step(const std::string& name, const std::string& detail = "") {
  return json{{"type", "swap"}, {"swap", "s1"}, {"service", "web"}, {"step", name}, {"detail", detail}};
}

json probes(int run, int passed, int needed) {
  json e = step("gate_progress");
  e["probes_run"] = run;
  e["probes_passed"] = passed;
  e["probes_needed"] = needed;
  return e;
}

json pulled(double done, double total) {
  json e = step("pull_progress");
  e["bytes_done"] = done;
  e["bytes_total"] = total;
  return e;
}

// Events arrive at the given offsets (ms) from the start of the swap.
class Narration {
 public:
  explicit Narration(bool terminal) : narrator_(terminal) {}
  std::string at(int ms, const json& event) {
    return narrator_.on_event(event, start_ + std::chrono::milliseconds(ms),
                              *parse_rfc3339("2026-12-07T19:20:00Z") + std::chrono::milliseconds(ms));
  }
  SwapNarrator narrator_;
  std::chrono::steady_clock::time_point start_{};
};

TEST(SwapNarration, PlainLinesSayWhatHappensWithTimesAndHowLongEachPhaseTook) {
  Narration n(false);
  std::string out;
  out += n.at(0, step("pull"));
  out += n.at(100, pulled(0, 4 << 20));
  out += n.at(200, pulled(1 << 20, 4 << 20));
  out += n.at(250, pulled(1.1 * (1 << 20), 4 << 20));  // the same quarter: nothing new
  out += n.at(1500, step("stop_old", "0123456789ab"));
  out += n.at(1800, step("neutralise_old"));
  out += n.at(1900, step("rename_old_to_prev"));
  out += n.at(2000, step("create_new"));
  out += n.at(2200, step("rename_next_to_name"));
  out += n.at(2300, step("start_new"));
  out += n.at(2600, step("gate_new"));
  out += n.at(2850, probes(1, 0, 4));
  out += n.at(3100, probes(2, 0, 4));  // no new pass: nothing new
  out += n.at(3350, probes(3, 1, 4));
  out += n.at(5850, probes(4, 2, 4));
  out += n.at(7600, probes(6, 4, 4));
  out += n.at(7800, step("remove_old"));
  out += n.at(8000, step("finish", "swapped"));
  json last = step("finish", "");
  last["result"] = "swapped";
  out += n.at(8010, last);
  EXPECT_EQ(out,
            "2026-12-07T19:20:00Z web: pulling the image\n"
            "2026-12-07T19:20:00Z web: pulling the image: 0 B of 4.0 MB\n"
            "2026-12-07T19:20:00Z web: pulling the image: 1.0 MB of 4.0 MB\n"
            "2026-12-07T19:20:01Z web: pulled the image (1.5 s)\n"
            "2026-12-07T19:20:01Z web: stopping the old container\n"
            "2026-12-07T19:20:01Z web: stopped the old container (0.3 s)\n"
            "2026-12-07T19:20:01Z web: setting the old container aside\n"
            "2026-12-07T19:20:02Z web: set the old container aside (0.2 s)\n"
            "2026-12-07T19:20:02Z web: creating the new container\n"
            "2026-12-07T19:20:02Z web: created the new container (0.2 s)\n"
            "2026-12-07T19:20:02Z web: starting the new container\n"
            "2026-12-07T19:20:02Z web: started the new container (0.4 s)\n"
            "2026-12-07T19:20:02Z web: waiting for health\n"
            "2026-12-07T19:20:02Z web: waiting for health: 0 of 4 probes (1 failed)\n"
            "2026-12-07T19:20:03Z web: waiting for health: 1 of 4 probes (2 failed)\n"
            "2026-12-07T19:20:05Z web: waiting for health: 2 of 4 probes (2 failed)\n"
            "2026-12-07T19:20:07Z web: waiting for health: 4 of 4 probes (2 failed)\n"
            "2026-12-07T19:20:07Z web: the new container is healthy (5.2 s)\n"
            "2026-12-07T19:20:07Z web: removing the old container\n"
            "2026-12-07T19:20:08Z web: removed the old container (0.2 s)\n");
  EXPECT_EQ(n.narrator_.duration("s1"), 8010ms);
  EXPECT_EQ(n.narrator_.duration("other"), std::nullopt);
}

TEST(SwapNarration, AFailedGateSaysSoAndTheWayBack) {
  Narration n(false);
  std::string out;
  out += n.at(0, step("gate_new"));
  out += n.at(20000, step("stop_new"));
  out += n.at(20500, step("neutralise_new"));
  out += n.at(20600, step("rename_new_to_failed"));
  out += n.at(20700, step("rename_prev_to_name"));
  out += n.at(20800, step("start_old"));
  out += n.at(21000, step("gate_old"));
  out += n.at(22000, step("finish", "rolled_back: probe failed"));
  EXPECT_EQ(out,
            "2026-12-07T19:20:00Z web: waiting for health\n"
            "2026-12-07T19:20:20Z web: waiting for health: failed (20.0 s)\n"
            "2026-12-07T19:20:20Z web: stopping the failed container\n"
            "2026-12-07T19:20:20Z web: stopped the failed container (0.5 s)\n"
            "2026-12-07T19:20:20Z web: keeping the failed container for inspection\n"
            "2026-12-07T19:20:20Z web: kept the failed container for inspection (0.2 s)\n"
            "2026-12-07T19:20:20Z web: restoring the old container\n"
            "2026-12-07T19:20:21Z web: restored the old container (0.3 s)\n"
            "2026-12-07T19:20:21Z web: waiting for the old container's health\n"
            "2026-12-07T19:20:22Z web: the old container is healthy (1.0 s)\n");
}

TEST(SwapNarration, AFailedPullIsNotCalledPulled) {
  Narration n(false);
  std::string out = n.at(0, step("pull"));
  out += n.at(900, step("finish", "failed: pull: manifest unknown"));
  EXPECT_EQ(out,
            "2026-12-07T19:20:00Z web: pulling the image\n"
            "2026-12-07T19:20:00Z web: pulling the image: failed (0.9 s)\n");
}

TEST(SwapNarration, ATerminalShowsTheCurrentPhaseInPlaceAndThePullAsABar) {
  Narration n(true);
  EXPECT_EQ(n.at(0, step("pull")), "\rweb: pulling the image ...\x1b[K");
  EXPECT_EQ(n.at(500, pulled(2 << 20, 4 << 20)),
            "\rweb: [##########----------]  50% pulling the image 2.0 MB of 4.0 MB\x1b[K");
  EXPECT_EQ(n.at(1000, step("gate_new")), "\rweb: pulled the image (1.0 s)\x1b[K\n\rweb: waiting for health ...\x1b[K");
  EXPECT_EQ(n.narrator_.end_line(), "\n");
  EXPECT_EQ(n.narrator_.end_line(), "");
}

TEST(SwapNarration, ATerminalCountsTheHealthProbesInPlaceAsTheyAnswer) {
  Narration n(true);
  n.at(0, step("gate_new"));
  EXPECT_EQ(n.at(250, probes(1, 0, 10)), "\rweb: waiting for health: 0 of 10 probes (1 failed)\x1b[K");
  EXPECT_EQ(n.at(500, probes(2, 0, 10)), "\rweb: waiting for health: 0 of 10 probes (2 failed)\x1b[K");
  EXPECT_EQ(n.at(750, probes(5, 3, 10)), "\rweb: waiting for health: 3 of 10 probes (2 failed)\x1b[K");
  EXPECT_EQ(n.at(1000, step("remove_old")),
            "\rweb: the new container is healthy (1.0 s)\x1b[K\n\rweb: removing the old container ...\x1b[K");
  EXPECT_EQ(n.at(1100, probes(1, 1, 1)), "") << "a count outside the gate is not shown";
  Narration plain(false);
  plain.at(0, step("gate_old"));
  EXPECT_EQ(plain.at(300, probes(1, 1, 1)),
            "2026-12-07T19:20:00Z web: waiting for the old container's health: 1 of 1 probe\n");
}

// Every step the swap engine can take is told in words (turn_back and finish are told as the result).
TEST(SwapNarration, EveryStepOfTheEngineHasWords) {
  for (int i = 0; i <= static_cast<int>(swap::Action::kFinish); ++i) {
    const auto action = static_cast<swap::Action>(i);
    if (action == swap::Action::kTurnBack || action == swap::Action::kFinish) {
      continue;
    }
    const auto phase = phase_of_step(swap::to_string(action));
    ASSERT_TRUE(phase.has_value()) << swap::to_string(action);
    EXPECT_FALSE(phase->doing.empty()) << swap::to_string(action);
  }
  EXPECT_EQ(phase_of_step("move_port")->doing, "moving the port to the new container");
}

TEST(SwapNarration, ElapsedTimes) {
  EXPECT_EQ(format_elapsed(400ms), "0.4 s");
  EXPECT_EQ(format_elapsed(12345ms), "12.3 s");
  EXPECT_EQ(format_elapsed(65s), "1 min 05 s");
  EXPECT_FALSE(phase_of_step("finish"));
  EXPECT_EQ(phase_of_step("gate_new")->doing, "waiting for health");
}

}  // namespace
}  // namespace berth::cli
