#pragma once

// The swap as a pure planner: from what the journal says has happened (SwapRecord) and what Docker
// shows now (Observation), decide the one next step. The executor writes the intent to the journal,
// performs the step, records its result, observes again and asks again. Because the decision depends
// only on the record and on reality, the same function finishes a swap normally and recovers one after
// a crash at any point: a restart simply observes and continues (forward when the new container was
// already proven, backward otherwise).
//
// Names on the host during a swap of service `web`:
//   web               the serving container (old before the swap, new after)
//   web.berth-prev    the old container, stopped and kept until the new one is proven (stop-first)
//   web.berth-next    the new container while the old one holds the name (created beside it; start-first
//                     also runs and proves it there)
//   web.berth-failed  the last new container that failed, kept for `docker logs`

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::swap {

enum class Strategy { kStopFirst, kStartFirst };
std::string_view to_string(Strategy s);
std::optional<Strategy> parse_strategy(std::string_view s);

// Which way the swap is going: towards the new version, or back to the old one.
enum class Direction { kForward, kBackward };

// How a swap ended.
enum class Outcome {
  kPending,      // not ended yet
  kSwapped,      // the new version serves and passed its gate and monitor window
  kUpToDate,     // nothing to do: the service already runs the target
  kRolledBack,   // the new version failed; the old one serves again and passed its gate
  kInterrupted,  // berth stopped before the new version was proven; the old one serves again
  kFailed,       // could not swap and nothing changed (pull, create), or the rollback itself failed
};
std::string_view to_string(Outcome o);
std::optional<Outcome> parse_outcome(std::string_view s);

enum class Action {
  kPull,               // make sure the target image is on the host (pull, or tag a local copy)
  kStopOld,            // stop the serving old container
  kNeutraliseOld,      // set its restart policy to "no" so a daemon restart does not revive it
  kRenameOldToPrev,    // old: <name> -> <name>.berth-prev
  kCreateNew,          // create the new container as <name>.berth-next (creating binds no port)
  kStartNew,           //
  kGateNew,            // health gate, then the monitor window
  kRenameNextToName,   // new: <name>.berth-next -> <name> (stop-first: before it starts)
  kRemoveOld,          // the new one is proven: remove the old container (never its volumes)
  kStopNew,            // the new one failed: stop it
  kNeutraliseNew,      // and set its restart policy to "no", so a daemon restart does not revive it
  kRemoveNew,          // an interrupted swap: the never-proven new container goes (never its volumes)
  kRemoveStaleFailed,  // an older <name>.berth-failed is in the way: remove it (it is from an earlier swap)
  kRenameNewToFailed,  // new: -> <name>.berth-failed, kept for inspection
  kRenamePrevToName,   // old: <name>.berth-prev -> <name>
  kRestoreOldPolicy,   // give the old container its restart policy back
  kStartOld,           //
  kGateOld,            // the restored old container must pass the gate again
  kMovePort,           // start-first on a fixed host port: point the port berth switches at the proven new one
  kDrainOld,           // then wait until the old one's open connections close (at most its stop timeout)
  kTurnBack,           // the world is not what a forward swap expects: go back (Step::note says why)
  kFinish,             // the swap has ended with `outcome`
};
std::string_view to_string(Action a);
std::optional<Action> parse_action(std::string_view s);

// What the journal keeps about one swap. Everything needed to continue after a crash is here,
// including the create body of the new container, computed before anything changed.
struct SwapRecord {
  std::string id;
  std::string service;    // the container name
  std::string image_ref;  // the user's reference, e.g. "registry.example.com/acme/web:latest"
  std::string from_digest;
  std::string to_digest;
  Strategy strategy = Strategy::kStopFirst;
  std::string old_id;              // the serving container when the swap began; empty for a first start
  std::string old_restart_policy;  // to restore on rollback
  nlohmann::json create_body;      // POST /containers/create body of the new container
  nlohmann::json extra_networks = nlohmann::json::array();  // [{"network": n, "endpoint": {...}}] after create
  // The host ports berth switches (start-first on a fixed TCP host port): [{"host": 8080, "container": 80}].
  nlohmann::json ports = nlohmann::json::array();
  std::int64_t started_ms = 0;
  std::int64_t ended_ms = 0;
  // How the executor judges health and stops containers (probe, monitor window, stop grace); kept so
  // that a recovery after a crash gates the same way. Opaque to the planner.
  nlohmann::json gate = nlohmann::json::object();

  Direction direction = Direction::kForward;
  bool pulled = false;
  bool new_started = false;
  bool new_proven = false;   // gate and monitor passed
  bool port_moved = false;   // the switched host ports lead to the new container
  bool old_drained = false;  // and the old one's connections have closed (or its stop timeout passed)
  bool old_gate_done = false;
  bool old_gate_passed = false;
  bool new_failed = false;   // the new version itself failed (quarantine its digest)
  bool interrupted = false;  // berth restarted before the new version was proven
  int restarts = 0;          // starts of berth that found this swap in flight
  bool gave_up = false;      // too many restarts: roll back without running any more health gates
  std::string new_id;        // once created, for the record
  std::string reason;        // why the swap went backward, or why it failed
  std::string intent;        // the step being carried out (the journal's write-ahead entry)
  Outcome outcome = Outcome::kPending;
};

nlohmann::json to_json(const SwapRecord& r);
// Reads a journal entry; an entry that does not parse is reported, never guessed at.
std::optional<SwapRecord> swap_record_from_json(const nlohmann::json& j, std::string* problem);

struct ContainerView {
  std::string id;
  bool running = false;
  std::string restart_policy;  // HostConfig.RestartPolicy.Name
};

// The containers that carry the service's names right now.
struct Observation {
  std::optional<ContainerView> at_name;
  std::optional<ContainerView> at_prev;
  std::optional<ContainerView> at_next;
  std::optional<ContainerView> at_failed;
};

std::string prev_name(std::string_view service);
std::string next_name(std::string_view service);
std::string failed_name(std::string_view service);
// True for the names above: a container that carries one is a swap's, never a service of its own.
bool is_swap_name(std::string_view container);

struct Step {
  Action action = Action::kFinish;
  std::string container;                // the id the action applies to (empty for pull, create, finish)
  Outcome outcome = Outcome::kPending;  // for kFinish
  std::string note;                     // for kFinish: why, when the world is not what the record expects
};

Step next_step(const SwapRecord& record, const Observation& world);

// A swap that was in flight at this many starts of berth is given up: whatever stops berth during it
// (a bug on some input) would otherwise stop it again at every start.
inline constexpr int kRestartsBeforeGivingUp = 3;

// After a restart: counts it; a swap whose new container was not yet proven turns back, and the reason
// says so. At kRestartsBeforeGivingUp the swap is given up: it rolls back without gating either version
// again, and its digest counts as failed (quarantined).
void mark_interrupted(SwapRecord& record);

// Turns the swap back after a failed step or gate.
void turn_back(SwapRecord& record, const std::string& reason, bool new_version_failed);

}  // namespace berth::swap
