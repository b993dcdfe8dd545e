#include "swap/planner.hpp"

#include "common/text.hpp"

#include <array>
#include <utility>

namespace berth::swap {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<Action, std::string_view>, 22> kActionNames{{
    {Action::kPull, "pull"},
    {Action::kStopOld, "stop_old"},
    {Action::kNeutraliseOld, "neutralise_old"},
    {Action::kRenameOldToPrev, "rename_old_to_prev"},
    {Action::kCreateNew, "create_new"},
    {Action::kStartNew, "start_new"},
    {Action::kGateNew, "gate_new"},
    {Action::kRenameNextToName, "rename_next_to_name"},
    {Action::kRemoveOld, "remove_old"},
    {Action::kStopNew, "stop_new"},
    {Action::kNeutraliseNew, "neutralise_new"},
    {Action::kRemoveNew, "remove_new"},
    {Action::kRemoveStaleFailed, "remove_stale_failed"},
    {Action::kRenameNewToFailed, "rename_new_to_failed"},
    {Action::kRenamePrevToName, "rename_prev_to_name"},
    {Action::kRestoreOldPolicy, "restore_old_policy"},
    {Action::kStartOld, "start_old"},
    {Action::kGateOld, "gate_old"},
    {Action::kMovePort, "move_port"},
    {Action::kDrainOld, "drain_old"},
    {Action::kTurnBack, "turn_back"},
    {Action::kFinish, "finish"},
}};

constexpr std::array<std::pair<Outcome, std::string_view>, 6> kOutcomeNames{{
    {Outcome::kPending, "pending"},
    {Outcome::kSwapped, "swapped"},
    {Outcome::kUpToDate, "up_to_date"},
    {Outcome::kRolledBack, "rolled_back"},
    {Outcome::kInterrupted, "interrupted"},
    {Outcome::kFailed, "failed"},
}};

Step act(Action a, const std::optional<ContainerView>& on = std::nullopt) {
  Step s;
  s.action = a;
  if (on) {
    s.container = on->id;
  }
  return s;
}

Step finish(Outcome o, std::string note = {}) {
  Step s;
  s.action = Action::kFinish;
  s.outcome = o;
  s.note = std::move(note);
  return s;
}

Step turn_back_step(std::string note) {
  Step s;
  s.action = Action::kTurnBack;
  s.note = std::move(note);
  return s;
}

std::string describe(const std::optional<ContainerView>& c) {
  return c ? c->id.substr(0, 12) + (c->running ? " (running)" : " (stopped)") : "none";
}

std::string describe_world(const SwapRecord& r, const Observation& w) {
  return r.service + "=" + describe(w.at_name) + ", " + prev_name(r.service) + "=" + describe(w.at_prev) + ", " +
         next_name(r.service) + "=" + describe(w.at_next);
}

// Docker would start it again after a daemon restart.
bool may_restart(const ContainerView& c) { return !c.restart_policy.empty() && c.restart_policy != "no"; }

class Planner {
 public:
  Planner(const SwapRecord& r, const Observation& w) : r_(r), w_(w) {}

  Step next() const {
    if (r_.outcome != Outcome::kPending) {
      return finish(r_.outcome);
    }
    if (r_.direction == Direction::kBackward) {
      return backward();
    }
    if (!r_.pulled) {
      return act(Action::kPull);
    }
    return r_.strategy == Strategy::kStopFirst ? stop_first() : start_first();
  }

 private:
  bool is_old(const std::optional<ContainerView>& c) const { return c && !r_.old_id.empty() && c->id == r_.old_id; }
  bool is_other(const std::optional<ContainerView>& c) const { return c && !is_old(c); }

  // Stop the old one, keep it down across daemon restarts, move it aside.
  std::optional<Step> retire_old_from_name() const {
    if (!is_old(w_.at_name)) {
      return std::nullopt;
    }
    if (w_.at_name->running) {
      return act(Action::kStopOld, w_.at_name);
    }
    if (may_restart(*w_.at_name)) {
      return act(Action::kNeutraliseOld, w_.at_name);
    }
    if (is_other(w_.at_prev)) {
      return turn_back_step(prev_name(r_.service) + " is held by another container (" + w_.at_prev->id.substr(0, 12) +
                            "); remove it once it is not needed");
    }
    return act(Action::kRenameOldToPrev, w_.at_name);
  }

  // Stop-first: whatever can happen while the old container still serves happens first: the new one is
  // created beside it (creating binds no port), the old one's restart policy is neutralised and both names
  // move (a running container can be renamed). The gap in service is then only the old one's stop and the
  // new one's start.
  Step stop_first() const {
    if (!r_.new_proven) {
      if (!r_.new_started) {
        if (!w_.at_next && !is_other(w_.at_name)) {
          return act(Action::kCreateNew);
        }
        if (is_old(w_.at_name)) {
          if (may_restart(*w_.at_name)) {
            return act(Action::kNeutraliseOld, w_.at_name);
          }
          if (is_other(w_.at_prev)) {
            return turn_back_step(prev_name(r_.service) + " is held by another container (" +
                                  w_.at_prev->id.substr(0, 12) + "); remove it once it is not needed");
          }
          return act(Action::kRenameOldToPrev, w_.at_name);
        }
        if (!w_.at_name && w_.at_next) {
          if (!r_.old_id.empty() && !is_old(w_.at_prev)) {
            return finish(Outcome::kFailed, "the old container " + r_.old_id.substr(0, 12) +
                                                " disappeared during the swap: " + describe_world(r_, w_));
          }
          return act(Action::kRenameNextToName, w_.at_next);
        }
        if (is_old(w_.at_prev) && w_.at_prev->running) {
          return act(Action::kStopOld, w_.at_prev);
        }
        if (is_other(w_.at_name) && !w_.at_name->running) {
          return act(Action::kStartNew, w_.at_name);
        }
      }
      if (is_other(w_.at_name)) {
        return act(Action::kGateNew, w_.at_name);
      }
      return turn_back_step("the new container disappeared before it was proven: " + describe_world(r_, w_));
    }
    if (is_old(w_.at_prev)) {
      return act(Action::kRemoveOld, w_.at_prev);
    }
    if (is_old(w_.at_name)) {
      return finish(Outcome::kFailed, "the new container was proven but the old one serves: " + describe_world(r_, w_));
    }
    return finish(Outcome::kSwapped);
  }

  Step start_first() const {
    if (!r_.new_proven) {
      if (w_.at_next) {
        if (!w_.at_next->running && !r_.new_started) {
          return act(Action::kStartNew, w_.at_next);
        }
        return act(Action::kGateNew, w_.at_next);
      }
      if (r_.new_started) {
        return turn_back_step("the new container " + next_name(r_.service) + " disappeared before it was proven");
      }
      return act(Action::kCreateNew);
    }
    if (!r_.ports.empty()) {
      // The fixed host port is berth's: the new container takes it at once, the old one keeps the
      // connections it has until they close.
      if (!r_.port_moved) {
        if (w_.at_next && w_.at_next->running) {
          return act(Action::kMovePort, w_.at_next);
        }
        if (is_other(w_.at_name) && w_.at_name->running) {
          return act(Action::kMovePort, w_.at_name);
        }
      }
      if (r_.port_moved && !r_.old_drained && is_old(w_.at_name) && w_.at_name->running) {
        return act(Action::kDrainOld, w_.at_name);
      }
    }
    if (auto s = retire_old_from_name()) {
      return *s;
    }
    if (!w_.at_name) {
      if (w_.at_next) {
        return act(Action::kRenameNextToName, w_.at_next);
      }
      return finish(Outcome::kFailed, "the proven new container disappeared: " + describe_world(r_, w_));
    }
    if (is_old(w_.at_prev)) {
      return act(Action::kRemoveOld, w_.at_prev);
    }
    return finish(Outcome::kSwapped);
  }

  Step backward() const {
    // 1. The new container leaves the stage and is kept for inspection.
    std::optional<ContainerView> fresh = w_.at_next;
    if (!fresh && is_other(w_.at_name)) {
      fresh = w_.at_name;
    }
    if (fresh) {
      if (fresh->running) {
        return act(Action::kStopNew, fresh);
      }
      if (r_.interrupted && !r_.new_failed) {
        return act(Action::kRemoveNew, fresh);  // nothing to inspect: berth stopped, not the new version
      }
      if (may_restart(*fresh)) {
        return act(Action::kNeutraliseNew, fresh);
      }
      if (w_.at_failed && w_.at_failed->id != fresh->id) {
        return act(Action::kRemoveStaleFailed, w_.at_failed);
      }
      return act(Action::kRenameNewToFailed, fresh);
    }
    // A daemon restart may have revived the failed container after it was put aside: stop it again.
    if (w_.at_failed && !r_.new_id.empty() && w_.at_failed->id == r_.new_id) {
      if (w_.at_failed->running) {
        return act(Action::kStopNew, w_.at_failed);
      }
      if (may_restart(*w_.at_failed)) {
        return act(Action::kNeutraliseNew, w_.at_failed);
      }
    }
    // 2. The old container returns under its name, with its restart policy, and must pass again.
    if (r_.old_id.empty()) {
      return finish(Outcome::kFailed, r_.reason);
    }
    if (!w_.at_name && is_old(w_.at_prev)) {
      return act(Action::kRenamePrevToName, w_.at_prev);
    }
    if (is_old(w_.at_name)) {
      const auto& old = *w_.at_name;
      if (old.restart_policy != r_.old_restart_policy && !r_.old_restart_policy.empty()) {
        return act(Action::kRestoreOldPolicy, w_.at_name);
      }
      if (!old.running) {
        return act(Action::kStartOld, w_.at_name);
      }
      if (r_.gave_up) {
        return finish(Outcome::kRolledBack, r_.reason);
      }
      if (!r_.old_gate_done) {
        return act(Action::kGateOld, w_.at_name);
      }
      if (!r_.old_gate_passed) {
        return finish(Outcome::kFailed, r_.reason + "; the old version did not pass its gate either");
      }
      if (r_.new_failed) {
        return finish(Outcome::kRolledBack, r_.reason);
      }
      return finish(r_.interrupted ? Outcome::kInterrupted : Outcome::kFailed, r_.reason);
    }
    return finish(Outcome::kFailed, r_.reason + "; cannot restore the old container: " + describe_world(r_, w_));
  }

  const SwapRecord& r_;
  const Observation& w_;
};

}  // namespace

std::string_view to_string(Strategy s) { return s == Strategy::kStopFirst ? "stop-first" : "start-first"; }

std::optional<Strategy> parse_strategy(std::string_view s) {
  if (s == "stop-first") {
    return Strategy::kStopFirst;
  }
  if (s == "start-first") {
    return Strategy::kStartFirst;
  }
  return std::nullopt;
}

std::string_view to_string(Outcome o) {
  for (const auto& [v, n] : kOutcomeNames) {
    if (v == o) {
      return n;
    }
  }
  return "pending";
}

std::optional<Outcome> parse_outcome(std::string_view s) {
  for (const auto& [v, n] : kOutcomeNames) {
    if (n == s) {
      return v;
    }
  }
  return std::nullopt;
}

std::string_view to_string(Action a) {
  for (const auto& [v, n] : kActionNames) {
    if (v == a) {
      return n;
    }
  }
  return "finish";
}

std::optional<Action> parse_action(std::string_view s) {
  for (const auto& [v, n] : kActionNames) {
    if (n == s) {
      return v;
    }
  }
  return std::nullopt;
}

std::string prev_name(std::string_view service) { return std::string(service) + ".berth-prev"; }
std::string next_name(std::string_view service) { return std::string(service) + ".berth-next"; }
std::string failed_name(std::string_view service) { return std::string(service) + ".berth-failed"; }
bool is_swap_name(std::string_view container) {
  return container.ends_with(".berth-prev") || container.ends_with(".berth-next") ||
         container.ends_with(".berth-failed");
}

Step next_step(const SwapRecord& record, const Observation& world) { return Planner(record, world).next(); }

void mark_interrupted(SwapRecord& record) {
  ++record.restarts;
  if (record.outcome == Outcome::kPending && record.restarts >= kRestartsBeforeGivingUp && !record.gave_up) {
    record.gave_up = true;
    record.new_failed = true;
    record.interrupted = true;
    record.direction = Direction::kBackward;
    record.reason = "berth stopped " + std::to_string(record.restarts) + " times during this swap (last at step " +
                    (record.intent.empty() ? "start" : record.intent) +
                    "); gave up on it and rolled back without another health gate" +
                    (record.reason.empty() ? "" : " (earlier: " + record.reason + ")");
    return;
  }
  if (record.outcome != Outcome::kPending || record.direction == Direction::kBackward) {
    return;  // a rollback in progress simply continues
  }
  if (record.new_proven) {
    return;  // the new version passed: finish retiring the old one
  }
  record.direction = Direction::kBackward;
  record.interrupted = true;
  record.reason = "berth stopped during the swap (at step " + (record.intent.empty() ? "start" : record.intent) +
                  ") before the new version was proven";
}

void turn_back(SwapRecord& record, const std::string& reason, bool new_version_failed) {
  record.direction = Direction::kBackward;
  record.reason = common::printable_text(reason);
  record.new_failed = record.new_failed || new_version_failed;
}

json to_json(const SwapRecord& r) {
  return json{{"id", r.id},
              {"service", r.service},
              {"image", r.image_ref},
              {"from_digest", r.from_digest},
              {"to_digest", r.to_digest},
              {"strategy", to_string(r.strategy)},
              {"old_id", r.old_id},
              {"old_restart_policy", r.old_restart_policy},
              {"create_body", r.create_body},
              {"extra_networks", r.extra_networks},
              {"ports", r.ports},
              {"started_ms", r.started_ms},
              {"ended_ms", r.ended_ms},
              {"gate", r.gate},
              {"direction", r.direction == Direction::kForward ? "forward" : "backward"},
              {"pulled", r.pulled},
              {"new_started", r.new_started},
              {"new_proven", r.new_proven},
              {"port_moved", r.port_moved},
              {"old_drained", r.old_drained},
              {"old_gate_done", r.old_gate_done},
              {"old_gate_passed", r.old_gate_passed},
              {"new_failed", r.new_failed},
              {"interrupted", r.interrupted},
              {"restarts", r.restarts},
              {"gave_up", r.gave_up},
              {"new_id", r.new_id},
              {"reason", r.reason},
              {"intent", r.intent},
              {"outcome", to_string(r.outcome)}};
}

std::optional<SwapRecord> swap_record_from_json(const json& j, std::string* problem) {
  auto fail = [&](const std::string& what) -> std::optional<SwapRecord> {
    if (problem != nullptr) {
      *problem = what;
    }
    return std::nullopt;
  };
  if (!j.is_object()) {
    return fail("not a JSON object");
  }
  for (const char* key : {"id", "service", "strategy", "direction", "outcome"}) {
    if (!j.contains(key) || !j[key].is_string()) {
      return fail(std::string("missing or non-string \"") + key + "\"");
    }
  }
  SwapRecord r;
  try {
    r.id = j.at("id").get<std::string>();
    r.service = j.at("service").get<std::string>();
    r.image_ref = j.value("image", std::string());
    r.from_digest = j.value("from_digest", std::string());
    r.to_digest = j.value("to_digest", std::string());
    auto strategy = parse_strategy(j.at("strategy").get<std::string>());
    auto outcome = parse_outcome(j.at("outcome").get<std::string>());
    if (!strategy || !outcome) {
      return fail("unknown strategy or outcome");
    }
    r.strategy = *strategy;
    r.outcome = *outcome;
    r.old_id = j.value("old_id", std::string());
    r.old_restart_policy = j.value("old_restart_policy", std::string());
    r.create_body = j.value("create_body", json::object());
    r.extra_networks = j.value("extra_networks", json::array());
    r.ports = j.value("ports", json::array());
    r.started_ms = j.value("started_ms", std::int64_t{0});
    r.ended_ms = j.value("ended_ms", std::int64_t{0});
    r.gate = j.value("gate", json::object());
    r.direction = j.at("direction").get<std::string>() == "backward" ? Direction::kBackward : Direction::kForward;
    r.pulled = j.value("pulled", false);
    r.new_started = j.value("new_started", false);
    r.new_proven = j.value("new_proven", false);
    r.port_moved = j.value("port_moved", false);
    r.old_drained = j.value("old_drained", false);
    r.old_gate_done = j.value("old_gate_done", false);
    r.old_gate_passed = j.value("old_gate_passed", false);
    r.new_failed = j.value("new_failed", false);
    r.interrupted = j.value("interrupted", false);
    r.restarts = j.value("restarts", 0);
    r.gave_up = j.value("gave_up", false);
    r.new_id = j.value("new_id", std::string());
    r.reason = j.value("reason", std::string());
    r.intent = j.value("intent", std::string());
  } catch (const json::exception& e) {
    return fail(std::string("wrong type: ") + e.what());
  }
  return r;
}

}  // namespace berth::swap
