// The swap planner against a simulated host: every action changes the simulated containers the way
// Docker would, so whole swaps, failures and crashes at every step can be played out in microseconds.
#include "swap/planner.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace berth::swap {
namespace {

struct SimContainer {
  std::string id;
  std::string name;
  bool running = false;
  std::string policy = "unless-stopped";
  bool is_new = false;
};

// A host with containers by id, and the health verdict the new and old versions will get.
class SimHost {
 public:
  std::map<std::string, SimContainer> containers;
  bool new_passes = true;
  bool old_passes = true;
  int created = 0;
  std::vector<std::string> trace;
  std::string port_to = "old";  // the container a host port berth switches leads to

  Observation observe(const std::string& service) const {
    Observation o;
    for (const auto& [id, c] : containers) {
      ContainerView v{c.id, c.running, c.policy};
      if (c.name == service) o.at_name = v;
      if (c.name == prev_name(service)) o.at_prev = v;
      if (c.name == next_name(service)) o.at_next = v;
      if (c.name == failed_name(service)) o.at_failed = v;
    }
    return o;
  }

  SimContainer* by_id(const std::string& id) {
    auto it = containers.find(id);
    return it == containers.end() ? nullptr : &it->second;
  }

  // Carries out one step; returns false when the step ended the swap.
  bool apply(SwapRecord& r, const Step& s) {
    trace.emplace_back(to_string(s.action));
    r.intent = std::string(to_string(s.action));
    auto* c = by_id(s.container);
    switch (s.action) {
      case Action::kPull: r.pulled = true; break;
      case Action::kStopOld:
      case Action::kStopNew: c->running = false; break;
      case Action::kNeutraliseOld:
      case Action::kNeutraliseNew: c->policy = "no"; break;
      case Action::kRenameOldToPrev: c->name = prev_name(r.service); break;
      case Action::kCreateNew: {
        SimContainer n{"new" + std::to_string(++created), next_name(r.service), false, "unless-stopped", true};
        r.new_id = n.id;
        containers[n.id] = n;
        break;
      }
      case Action::kStartNew:
        c->running = true;
        r.new_started = true;
        break;
      case Action::kGateNew:
        if (new_passes) {
          r.new_proven = true;
        } else {
          turn_back(r, "probe failed", true);
        }
        break;
      case Action::kRenameNextToName: c->name = r.service; break;
      case Action::kRemoveOld:
      case Action::kRemoveNew:
      case Action::kRemoveStaleFailed: containers.erase(s.container); break;
      case Action::kRenameNewToFailed: c->name = failed_name(r.service); break;
      case Action::kRenamePrevToName: c->name = r.service; break;
      case Action::kRestoreOldPolicy: c->policy = r.old_restart_policy; break;
      case Action::kStartOld: c->running = true; break;
      case Action::kGateOld:
        r.old_gate_done = true;
        r.old_gate_passed = old_passes;
        break;
      case Action::kMovePort:
        port_to = s.container;
        r.port_moved = true;
        break;
      case Action::kDrainOld: r.old_drained = true; break;
      case Action::kTurnBack: turn_back(r, s.note, false); break;
      case Action::kFinish: r.outcome = s.outcome; return false;
    }
    return true;
  }
};

SwapRecord make_record(Strategy strategy, const std::string& old_id, bool switched_port = false) {
  SwapRecord r;
  if (switched_port) {
    r.ports = nlohmann::json::array({{{"host", 8080}, {"container", 80}}});
  }
  r.id = "swap-1";
  r.service = "web";
  r.image_ref = "reg/web:latest";
  r.strategy = strategy;
  r.old_id = old_id;
  r.old_restart_policy = old_id.empty() ? "" : "unless-stopped";
  return r;
}

SimHost host_with_old() {
  SimHost h;
  h.containers["old"] = SimContainer{"old", "web", true, "unless-stopped", false};
  return h;
}

// Runs the swap to its end; stops after `crash_after` steps when given (returns the number of steps run).
int run(SimHost& h, SwapRecord& r, int crash_after = -1) {
  int steps = 0;
  for (int guard = 0; guard < 100; ++guard) {
    if (crash_after >= 0 && steps == crash_after) {
      return steps;
    }
    const Step s = next_step(r, h.observe(r.service));
    ++steps;
    if (!h.apply(r, s)) {
      return steps;
    }
  }
  ADD_FAILURE() << "swap did not end within 100 steps";
  return steps;
}

void expect_clean(const SimHost& h, const std::string& serving_id, bool failed_kept) {
  int at_name = 0;
  for (const auto& [id, c] : h.containers) {
    EXPECT_NE(c.name, prev_name("web")) << "leftover prev";
    EXPECT_NE(c.name, next_name("web")) << "leftover next";
    if (c.name == "web") {
      ++at_name;
      EXPECT_EQ(c.id, serving_id);
      EXPECT_TRUE(c.running);
      EXPECT_EQ(c.policy, "unless-stopped") << "restart policy restored";
    } else if (c.name == failed_name("web")) {
      EXPECT_TRUE(failed_kept);
      EXPECT_FALSE(c.running);
      EXPECT_EQ(c.policy, "no") << "a kept failed container is not revived by a daemon restart";
    }
  }
  EXPECT_EQ(at_name, 1);
}

TEST(Planner, TheSwapsNamesAreKnownAsSuch) {
  for (const auto& n : {prev_name("web"), next_name("web"), failed_name("web")}) {
    EXPECT_TRUE(is_swap_name(n)) << n;
  }
  EXPECT_FALSE(is_swap_name("web"));
  EXPECT_FALSE(is_swap_name("web.berth-prevx"));
  EXPECT_FALSE(is_swap_name("berth-prev"));
}

TEST(Planner, StopFirstSwapInOrder) {
  SimHost h = host_with_old();
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kSwapped);
  EXPECT_EQ(h.trace, (std::vector<std::string>{"pull", "create_new", "neutralise_old", "rename_old_to_prev",
                                               "rename_next_to_name", "stop_old", "start_new", "gate_new", "remove_old",
                                               "finish"}))
      << "only the stop and the start fall inside the gap";
  expect_clean(h, "new1", false);
  EXPECT_EQ(h.containers.size(), 1u) << "the old container is removed once the new one is proven";
}

TEST(Planner, StartFirstSwapInOrder) {
  SimHost h = host_with_old();
  SwapRecord r = make_record(Strategy::kStartFirst, "old");
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kSwapped);
  EXPECT_EQ(h.trace,
            (std::vector<std::string>{"pull", "create_new", "start_new", "gate_new", "stop_old", "neutralise_old",
                                      "rename_old_to_prev", "rename_next_to_name", "remove_old", "finish"}));
  expect_clean(h, "new1", false);
}

TEST(Planner, StartFirstOnASwitchedPortMovesItThenDrainsTheOld) {
  SimHost h = host_with_old();
  SwapRecord r = make_record(Strategy::kStartFirst, "old", true);
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kSwapped);
  EXPECT_EQ(h.trace, (std::vector<std::string>{"pull", "create_new", "start_new", "gate_new", "move_port", "drain_old",
                                               "stop_old", "neutralise_old", "rename_old_to_prev",
                                               "rename_next_to_name", "remove_old", "finish"}));
  EXPECT_EQ(h.port_to, "new1");
  expect_clean(h, "new1", false);
  // A first start has nothing to drain; a failed gate never moves the port.
  SimHost first;
  SwapRecord r2 = make_record(Strategy::kStartFirst, "", true);
  run(first, r2);
  EXPECT_EQ(r2.outcome, Outcome::kSwapped);
  EXPECT_EQ(first.port_to, "new1");
  SimHost failing = host_with_old();
  failing.new_passes = false;
  SwapRecord r3 = make_record(Strategy::kStartFirst, "old", true);
  run(failing, r3);
  EXPECT_EQ(r3.outcome, Outcome::kRolledBack);
  EXPECT_EQ(failing.port_to, "old");
}

TEST(Planner, StopFirstFailedGateRollsBack) {
  SimHost h = host_with_old();
  h.new_passes = false;
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_TRUE(r.new_failed);
  EXPECT_EQ(r.reason, "probe failed");
  EXPECT_EQ(h.trace, (std::vector<std::string>{"pull", "create_new", "neutralise_old", "rename_old_to_prev",
                                               "rename_next_to_name", "stop_old", "start_new", "gate_new", "stop_new",
                                               "neutralise_new", "rename_new_to_failed", "rename_prev_to_name",
                                               "restore_old_policy", "start_old", "gate_old", "finish"}));
  expect_clean(h, "old", true);
}

TEST(Planner, StartFirstFailedGateNeverStopsTheOld) {
  SimHost h = host_with_old();
  h.new_passes = false;
  SwapRecord r = make_record(Strategy::kStartFirst, "old");
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  for (const auto& step : h.trace) {
    EXPECT_NE(step, "stop_old");
  }
  expect_clean(h, "old", true);
}

TEST(Planner, AnOlderFailedContainerMakesWayForTheNewOne) {
  SimHost h = host_with_old();
  h.containers["stale"] = SimContainer{"stale", failed_name("web"), false, "no", true};
  h.new_passes = false;
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(h.by_id("stale"), nullptr);
  ASSERT_NE(h.by_id("new1"), nullptr);
  EXPECT_EQ(h.by_id("new1")->name, failed_name("web"));
}

TEST(Planner, AFailedContainerRevivedByADaemonRestartIsStoppedAgain) {
  SimHost h = host_with_old();
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  r.pulled = true;
  r.new_started = true;
  r.new_id = "new1";
  r.direction = Direction::kBackward;
  r.new_failed = true;
  // The daemon restarted after the new one was put aside (before its policy was neutralised) and the old
  // one was renamed back: the failed one runs again and holds the ports.
  h.containers["old"].name = "web";
  h.containers["old"].running = false;
  h.containers["new1"] = SimContainer{"new1", failed_name("web"), true, "unless-stopped", true};
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(h.trace.front(), "stop_new");
  expect_clean(h, "old", true);
}

TEST(Planner, OldFailingItsGateAgainIsAFailure) {
  SimHost h = host_with_old();
  h.new_passes = false;
  h.old_passes = false;
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kFailed);
}

TEST(Planner, APrevNameHeldByAnotherContainerTurnsBackBeforeAnyHarm) {
  SimHost h = host_with_old();
  h.containers["foreign"] = SimContainer{"foreign", prev_name("web"), false, "no", false};
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  run(h, r);
  EXPECT_NE(r.outcome, Outcome::kSwapped);
  ASSERT_NE(h.by_id("foreign"), nullptr) << "never removed";
  EXPECT_EQ(h.by_id("old")->name, "web");
  EXPECT_TRUE(h.by_id("old")->running);
}

TEST(Planner, FirstStartWithoutAnOldContainer) {
  SimHost h;
  SwapRecord r = make_record(Strategy::kStopFirst, "");
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kSwapped);
  EXPECT_EQ(h.by_id("new1")->name, "web");
  SimHost failing;
  failing.new_passes = false;
  SwapRecord r2 = make_record(Strategy::kStopFirst, "");
  run(failing, r2);
  EXPECT_EQ(r2.outcome, Outcome::kFailed);
  EXPECT_EQ(failing.by_id("new1")->name, failed_name("web"));
}

// The property the contract promises: a restart at any step ends in a healthy service, one container
// named <name>, no leftovers.
class CrashAtEveryStep : public ::testing::TestWithParam<std::tuple<Strategy, bool, bool>> {};

// The host port berth switches leads to the container that serves once the swap has ended.
void expect_port_follows(const SimHost& h, const SwapRecord& r, const std::string& serving_id) {
  if (!r.ports.empty() && r.strategy == Strategy::kStartFirst) {
    EXPECT_EQ(h.port_to, serving_id);
  }
}

TEST_P(CrashAtEveryStep, RecoveryEndsCleanly) {
  const auto [strategy, new_passes, switched_port] = GetParam();
  SimHost full = host_with_old();
  full.new_passes = new_passes;
  SwapRecord probe = make_record(strategy, "old", switched_port);
  const int total = run(full, probe);
  for (int crash = 0; crash < total; ++crash) {
    SCOPED_TRACE("crash after step " + std::to_string(crash));
    SimHost h = host_with_old();
    h.new_passes = new_passes;
    SwapRecord r = make_record(strategy, "old", switched_port);
    run(h, r, crash);
    // The process dies here; the journal holds r. On restart the agent marks it and continues.
    SwapRecord recovered = r;
    mark_interrupted(recovered);
    run(h, recovered);
    ASSERT_NE(recovered.outcome, Outcome::kPending);
    expect_port_follows(h, recovered, recovered.outcome == Outcome::kSwapped ? "new1" : "old");
    if (recovered.outcome == Outcome::kSwapped) {
      expect_clean(h, "new1", false);
    } else {
      EXPECT_TRUE(recovered.outcome == Outcome::kRolledBack || recovered.outcome == Outcome::kInterrupted)
          << to_string(recovered.outcome) << ": " << recovered.reason;
      expect_clean(h, "old", true);
    }
  }
}

// Harder: the process dies after Docker carried out a step but before the journal recorded its result.
TEST_P(CrashAtEveryStep, RecoveryEndsCleanlyWhenTheJournalLagsBehindDocker) {
  const auto [strategy, new_passes, switched_port] = GetParam();
  SimHost full = host_with_old();
  full.new_passes = new_passes;
  SwapRecord probe = make_record(strategy, "old", switched_port);
  const int total = run(full, probe);
  for (int crash = 0; crash < total; ++crash) {
    SCOPED_TRACE("crash inside step " + std::to_string(crash + 1));
    SimHost h = host_with_old();
    h.new_passes = new_passes;
    SwapRecord r = make_record(strategy, "old", switched_port);
    run(h, r, crash);
    SwapRecord lost = r;  // the step's effect on the record is lost, its effect on the host is not
    const Step s = next_step(lost, h.observe(lost.service));
    r.intent = std::string(to_string(s.action));  // the write-ahead intent did reach the journal
    if (s.action == Action::kFinish) {
      continue;
    }
    h.apply(lost, s);
    mark_interrupted(r);
    run(h, r);
    ASSERT_NE(r.outcome, Outcome::kPending);
    expect_port_follows(h, r, r.outcome == Outcome::kSwapped ? "new1" : "old");
    if (r.outcome == Outcome::kSwapped) {
      expect_clean(h, "new1", false);
    } else {
      EXPECT_NE(r.outcome, Outcome::kFailed) << r.reason;
      expect_clean(h, "old", true);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Strategies, CrashAtEveryStep,
                         ::testing::Combine(::testing::Values(Strategy::kStopFirst, Strategy::kStartFirst),
                                            ::testing::Bool(), ::testing::Bool()));

TEST(Planner, InterruptedAfterProofFinishesForward) {
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  r.pulled = true;
  r.new_started = true;
  r.new_proven = true;
  mark_interrupted(r);
  EXPECT_EQ(r.direction, Direction::kForward);
  SwapRecord early = make_record(Strategy::kStopFirst, "old");
  early.intent = "stop_old";
  mark_interrupted(early);
  EXPECT_EQ(early.direction, Direction::kBackward);
  EXPECT_TRUE(early.interrupted);
  EXPECT_NE(early.reason.find("stop_old"), std::string::npos);
}

// Steps the swap until it reaches a health gate (true) or ends (false).
bool reaches_a_gate(SimHost& h, SwapRecord& r) {
  for (int guard = 0; guard < 100; ++guard) {
    const Step s = next_step(r, h.observe(r.service));
    if (s.action == Action::kGateNew || s.action == Action::kGateOld) {
      r.intent = std::string(to_string(s.action));
      return true;
    }
    if (!h.apply(r, s)) {
      return false;
    }
  }
  ADD_FAILURE() << "swap did not end within 100 steps";
  return false;
}

TEST(Planner, ASwapThatStopsBerthAtEveryStartIsGivenUp) {
  // Something in the gates stops berth (as a probe's output with invalid UTF-8 once did): the first run
  // dies in the new version's gate, and every recovery in the old version's gate.
  SimHost h = host_with_old();
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  r.to_digest = "sha256:new";
  ASSERT_TRUE(reaches_a_gate(h, r));
  for (int start = 1; start < kRestartsBeforeGivingUp; ++start) {
    SCOPED_TRACE("start " + std::to_string(start));
    mark_interrupted(r);
    EXPECT_FALSE(r.gave_up);
    ASSERT_TRUE(reaches_a_gate(h, r));
    EXPECT_EQ(r.intent, "gate_old");
  }
  mark_interrupted(r);
  EXPECT_EQ(r.restarts, kRestartsBeforeGivingUp);
  EXPECT_TRUE(r.gave_up);
  EXPECT_FALSE(reaches_a_gate(h, r)) << "giving up runs no gate";
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_TRUE(r.new_failed) << "the digest is quarantined, so it is not tried again by itself";
  EXPECT_NE(r.reason.find("gave up"), std::string::npos) << r.reason;
  expect_clean(h, "old", true);
}

TEST(Planner, GivingUpAfterTheNewVersionWasProvenStillRollsBack) {
  SimHost h = host_with_old();
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  run(h, r, 8);  // up to and including gate_new: proven
  ASSERT_TRUE(r.new_proven);
  r.restarts = kRestartsBeforeGivingUp - 1;
  mark_interrupted(r);
  ASSERT_TRUE(r.gave_up);
  run(h, r);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  expect_clean(h, "old", true);
}

TEST(Planner, ARestartAfterASwapEndedIsNotCounted) {
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  r.outcome = Outcome::kSwapped;
  r.restarts = kRestartsBeforeGivingUp - 1;
  mark_interrupted(r);
  EXPECT_FALSE(r.gave_up);
  EXPECT_EQ(r.outcome, Outcome::kSwapped);
}

TEST(Planner, ATurnBackReasonIsPrintableText) {
  SwapRecord r = make_record(Strategy::kStopFirst, "old");
  turn_back(r, "probe exited with code 1 (output: \"caf\351 \x1b[2J\")", true);
  EXPECT_EQ(r.reason, "probe exited with code 1 (output: \"caf\xEF\xBF\xBD \\x1b[2J\")");
  EXPECT_NO_THROW((void)to_json(r).dump());
}

TEST(SwapRecord, RoundTripsThroughJson) {
  SwapRecord r = make_record(Strategy::kStartFirst, "old", true);
  r.create_body = {{"Image", "reg/web:latest"}};
  r.pulled = true;
  r.port_moved = true;
  r.old_drained = true;
  r.reason = "x";
  r.restarts = 2;
  r.gave_up = true;
  r.outcome = Outcome::kRolledBack;
  std::string problem;
  auto back = swap_record_from_json(to_json(r), &problem);
  ASSERT_TRUE(back) << problem;
  EXPECT_EQ(to_json(*back), to_json(r));
  EXPECT_FALSE(swap_record_from_json(nlohmann::json::parse(R"({"id":1})"), &problem));
  EXPECT_NE(problem.find("id"), std::string::npos);
  EXPECT_FALSE(swap_record_from_json(
      nlohmann::json::parse(R"({"id":"a","service":"w","strategy":"sideways","direction":"forward","outcome":"x"})"),
      &problem));
}

}  // namespace
}  // namespace berth::swap
