#include "swap/engine.hpp"

#include "common/clock.hpp"
#include "common/text.hpp"
#include "health/runner.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <random>

namespace berth::swap {

namespace net = boost::asio;
using common::ErrorKind;
using common::Result;
using common::Status;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int kStepAttempts = 4;  // a step that fails this often during a rollback leaves it to the next start

using common::now_ms;

// Test builds only: BERTH_FAULT_AFTER=<action> kills the process (as kill -9 would) right after that
// step was carried out and journalled, so recovery can be tested at every step; BERTH_FAULT_BEFORE=<action>
// kills it once the step's intent is journalled, before it is carried out (as a crash inside the step).
enum class FaultWhen { kBefore, kAfter };

void fault_point([[maybe_unused]] Action action, [[maybe_unused]] FaultWhen when) {
#ifdef BERTH_FAULT_POINTS
  static const char* before = std::getenv("BERTH_FAULT_BEFORE");
  static const char* after = std::getenv("BERTH_FAULT_AFTER");
  const char* target = when == FaultWhen::kBefore ? before : after;
  if (target != nullptr && to_string(action) == target) {
    spdlog::warn("fault point {} {}: killing the process", when == FaultWhen::kBefore ? "before" : "after",
                 to_string(action));
    std::raise(SIGKILL);
  }
#endif
}

json probe_to_json(const health::ProbeSpec& p) {
  return json{{"kind", health::to_string(p.kind)},
              {"host", p.host},
              {"port", p.port},
              {"path", p.path},
              {"expect", {p.expect.low, p.expect.high}},
              {"command", p.command},
              {"interval_ms", p.timing.interval.count()},
              {"timeout_ms", p.timing.timeout.count()},
              {"retries", p.timing.retries},
              {"start_period_ms", p.timing.start_period.count()}};
}

health::ProbeSpec probe_from_json(const json& j) {
  health::ProbeSpec p;
  const std::string kind = j.value("kind", std::string("running"));
  for (auto k : {health::ProbeKind::kHttp, health::ProbeKind::kHttps, health::ProbeKind::kTcp,
                 health::ProbeKind::kDockerHealth, health::ProbeKind::kExec, health::ProbeKind::kRunning}) {
    if (health::to_string(k) == kind) {
      p.kind = k;
    }
  }
  p.host = j.value("host", std::string("127.0.0.1"));
  p.port = j.value("port", std::uint16_t{0});
  p.path = j.value("path", std::string("/"));
  if (auto e = j.find("expect"); e != j.end() && e->is_array() && e->size() == 2) {
    p.expect = {(*e)[0].get<int>(), (*e)[1].get<int>()};
  }
  p.command = j.value("command", std::vector<std::string>{});
  p.timing.interval = std::chrono::milliseconds(j.value("interval_ms", std::int64_t{30000}));
  p.timing.timeout = std::chrono::milliseconds(j.value("timeout_ms", std::int64_t{5000}));
  p.timing.retries = j.value("retries", 3);
  p.timing.start_period = std::chrono::milliseconds(j.value("start_period_ms", std::int64_t{0}));
  return p;
}

// The key of a HostConfig's PortBindings ("80/tcp") bound to `host_port`, or empty.
std::string container_port_for(const json& host_config, std::uint16_t host_port) {
  const auto& bindings = host_config.value("PortBindings", json::object());
  for (const auto& [cport, list] : bindings.items()) {
    if (!list.is_array()) {
      continue;
    }
    for (const auto& b : list) {
      if (b.is_object() && b.value("HostPort", std::string()) == std::to_string(host_port)) {
        return cport;
      }
    }
  }
  return {};
}

std::string restart_policy_of(const json& inspect) {
  const auto& rp = inspect.value("HostConfig", json::object()).value("RestartPolicy", json::object());
  std::string name = rp.value("Name", std::string());
  if (name == "on-failure" && rp.value("MaximumRetryCount", 0) > 0) {
    name += ":" + std::to_string(rp.value("MaximumRetryCount", 0));
  }
  return name.empty() ? "no" : name;
}

// The gate's probe count for the event stream: "gate_progress" with the count and "3 of 10 probes passed".
health::ProbeCountFn gate_progress(const SwapRecord& r, const ProgressFn& progress) {
  if (!progress) {
    return {};
  }
  return [&r, &progress](const health::ProbeCount& c) {
    std::string detail = std::to_string(c.passed) + " of " + std::to_string(c.needed) + " probes passed";
    if (c.run > c.passed) {
      detail += ", " + std::to_string(c.run - c.passed) + " failed";
    }
    progress(SwapProgress{r.id, r.service, "gate_progress", std::move(detail), 0, 0, c});
  };
}

}  // namespace

json gate_to_json(const health::ProbeSpec& probe, std::chrono::milliseconds monitor, std::chrono::seconds stop_grace) {
  return json{{"probe", probe_to_json(probe)}, {"monitor_ms", monitor.count()}, {"stop_grace_s", stop_grace.count()}};
}

std::string new_swap_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

SwapEngine::SwapEngine(docker::DockerClient& docker, state::StateStore& store, hostport::PortSwitch* ports)
    : docker_(docker), store_(store), ports_(ports) {}

net::awaitable<Result<SwapRecord>> SwapEngine::run(SwapPlan plan, ProgressFn progress) {
  if (busy(plan.service)) {
    co_return common::make_error(ErrorKind::kConflict, "a swap of " + plan.service + " is already running");
  }
  // Claimed before the first suspension, so a second request for the service sees it busy.
  running_.insert(plan.service);
  struct Release {
    std::set<std::string>& set;
    std::string service;
    ~Release() { set.erase(service); }
  } release{running_, plan.service};
  SwapRecord r;
  r.id = plan.id.empty() ? new_swap_id() : plan.id;
  r.service = plan.service;
  r.image_ref = plan.image_ref;
  r.from_digest = plan.from_digest;
  r.to_digest = plan.to_digest;
  r.strategy = plan.strategy;
  r.create_body = plan.create_body;
  r.extra_networks = plan.extra_networks;
  r.ports = plan.ports;
  r.started_ms = now_ms();
  r.gate = gate_to_json(plan.probe, plan.monitor, plan.stop_grace);
  r.gate["repository"] = plan.repository;
  r.gate["tag"] = plan.tag;
  r.gate["platform"] = plan.platform;
  // The serving container, if any, is the old one; its restart policy comes back on rollback.
  auto current = co_await docker_.inspect_container(plan.service);
  if (current) {
    r.old_id = (*current)["Id"].get<std::string>();
    r.old_restart_policy = restart_policy_of(*current);
  } else if (current.error().kind != ErrorKind::kNotFound) {
    co_return current.error();
  }
  // A host-side probe names the service's host port. Side by side (start-first) the new container answers
  // on a port of its own, so remember which container port that host port leads to and probe each
  // container where it publishes it.
  std::string cport =
      current ? container_port_for(current->value("HostConfig", json::object()), plan.probe.port) : std::string();
  if (cport.empty()) {
    cport = container_port_for(plan.create_body.value("HostConfig", json::object()), plan.probe.port);
  }
  for (const auto& p : plan.ports) {
    // A switched port: each container publishes the container port on a loopback port of its own.
    if (cport.empty() && p.value("host", 0) == plan.probe.port) {
      cport = std::to_string(p.value("container", 0)) + "/tcp";
    }
  }
  if (!cport.empty()) {
    r.gate["container_port"] = cport;
  }
  // Leftovers of an earlier swap that no journal explains are a human's call, not ours.
  for (const auto& leftover : {prev_name(plan.service), next_name(plan.service)}) {
    auto found = co_await docker_.inspect_container(leftover);
    if (found) {
      co_return common::make_error(ErrorKind::kConflict, "container " + leftover +
                                                             " from an earlier swap is in the way" +
                                                             "; check it and remove it (docker rm " + leftover + ")");
    }
  }
  auto saved = store_.save_swap(r);
  if (!saved) {
    co_return saved.error().context("cannot start the swap of " + plan.service);
  }
  // A named local: GCC 12 destroys a braced temporary in a co_await's full expression twice.
  Unrecorded unrecorded{std::move(plan.registry_auth), std::move(plan.secret_env)};
  co_return co_await drive(std::move(r), std::move(unrecorded), std::move(progress));
}

net::awaitable<std::vector<SwapRecord>> SwapEngine::recover(ProgressFn progress) {
  std::vector<std::string> problems;
  auto swaps = store_.swaps_in_flight(&problems);
  for (const auto& p : problems) {
    spdlog::error("swap journal unreadable: {}", p);
  }
  std::vector<SwapRecord> out;
  for (auto& r : swaps) {
    spdlog::warn("recovering the swap {} of {} (last step: {})", r.id, r.service, r.intent.empty() ? "none" : r.intent);
    mark_interrupted(r);
    // Counted before anything else runs: a swap that stops berth again and again is given up.
    if (auto st = store_.save_swap(r); !st) {
      spdlog::error("swap {} of {}: journal write failed: {}", r.id, r.service, st.error().message);
    }
    running_.insert(r.service);
    Unrecorded none;
    out.push_back(co_await drive(std::move(r), std::move(none), progress));
    running_.erase(out.back().service);
  }
  co_return out;
}

net::awaitable<Result<Observation>> SwapEngine::observe(const std::string& service) {
  Observation o;
  const std::pair<std::string, std::optional<ContainerView>*> names[] = {{service, &o.at_name},
                                                                         {prev_name(service), &o.at_prev},
                                                                         {next_name(service), &o.at_next},
                                                                         {failed_name(service), &o.at_failed}};
  for (const auto& [name, slot] : names) {
    auto j = co_await docker_.inspect_container(name);
    if (!j) {
      if (j.error().kind == ErrorKind::kNotFound) {
        continue;
      }
      co_return j.error();
    }
    const auto& st = j->value("State", json::object());
    *slot = ContainerView{(*j)["Id"].get<std::string>(), st.value("Running", false) || st.value("Restarting", false),
                          restart_policy_of(*j)};
  }
  co_return o;
}

net::awaitable<SwapRecord> SwapEngine::drive(SwapRecord r, Unrecorded unrecorded, ProgressFn progress) {
  auto emit = [&](std::string step, std::string detail) {
    if (progress) {
      progress(SwapProgress{r.id, r.service, std::move(step), std::move(detail), 0, 0, {}});
    }
  };
  net::steady_timer timer(co_await net::this_coro::executor);
  int failures = 0;
  for (;;) {
    auto world = co_await observe(r.service);
    if (!world) {
      if (++failures >= kStepAttempts) {
        spdlog::error("swap {} of {}: cannot observe the host ({}); left for the next start", r.id, r.service,
                      world.error().message);
        r.reason = world.error().message;
        co_return r;
      }
      timer.expires_after(std::chrono::seconds(1 << failures));
      co_await timer.async_wait(net::use_awaitable);
      continue;
    }
    const Step step = next_step(r, *world);
    if (step.action == Action::kFinish) {
      finish(r, step.outcome, step.note);
      emit("finish", std::string(to_string(r.outcome)) + (r.reason.empty() ? "" : ": " + r.reason));
      co_return r;
    }
    r.intent = std::string(to_string(step.action));
    if (auto st = store_.save_swap(r); !st) {
      spdlog::error("swap {} of {}: journal write failed: {}", r.id, r.service, st.error().message);
    }
    emit(r.intent, step.container.empty() ? std::string() : step.container.substr(0, 12));
    fault_point(step.action, FaultWhen::kBefore);
    auto done = co_await perform(r, step, unrecorded, progress);
    if (!done) {
      const std::string why = std::string(to_string(step.action)) + ": " + done.error().message;
      spdlog::warn("swap {} of {}: {}", r.id, r.service, why);
      if (step.action == Action::kPull) {
        finish(r, Outcome::kFailed, why);  // nothing has changed on the host
        emit("finish", "failed: " + why);
        co_return r;
      }
      if (r.direction == Direction::kForward && !r.new_proven) {
        turn_back(r, why, step.action == Action::kStartNew);
      } else if (++failures >= kStepAttempts) {
        r.reason = why;
        (void)store_.save_swap(r);
        spdlog::error("swap {} of {}: giving up for now ({}); the next start of berth continues it", r.id, r.service,
                      why);
        co_return r;
      } else {
        timer.expires_after(std::chrono::seconds(1 << failures));
        co_await timer.async_wait(net::use_awaitable);
      }
    } else {
      failures = 0;
    }
    if (auto st = store_.save_swap(r); !st) {
      spdlog::error("swap {} of {}: journal write failed: {}", r.id, r.service, st.error().message);
    }
    fault_point(step.action, FaultWhen::kAfter);
  }
}

net::awaitable<Status> SwapEngine::perform(SwapRecord& r, const Step& step, const Unrecorded& unrecorded,
                                           const ProgressFn& progress) {
  const auto grace = std::chrono::seconds(r.gate.value("stop_grace_s", 10));
  const auto monitor = std::chrono::milliseconds(r.gate.value("monitor_ms", std::int64_t{10000}));
  const auto probe = probe_from_json(r.gate.value("probe", json::object()));
  switch (step.action) {
    case Action::kPull: co_return co_await pull(r, unrecorded.registry_auth, progress);
    case Action::kStopOld:
    case Action::kStopNew: co_return co_await docker_.stop_container(step.container, grace);
    case Action::kNeutraliseOld:
    case Action::kNeutraliseNew: co_return co_await docker_.update_restart_policy(step.container, "no");
    case Action::kRenameOldToPrev: co_return co_await docker_.rename_container(step.container, prev_name(r.service));
    case Action::kCreateNew: co_return co_await create_new(r, unrecorded.secret_env);
    case Action::kStartNew: {
      auto st = co_await docker_.start_container(step.container);
      if (st) {
        r.new_started = true;
      }
      co_return st;
    }
    case Action::kGateNew: {
      auto outcome = co_await health::run_gate(docker_, co_await probe_for(r, probe, step.container), step.container,
                                               monitor, gate_progress(r, progress));
      if (outcome.passed) {
        r.new_proven = true;
        co_return Status{};
      }
      std::string reason = outcome.reason;
      if (outcome.exit_code) {
        reason += "; exit code " + std::to_string(*outcome.exit_code);
      }
      if (!outcome.last_logs.empty()) {
        reason += "; last log lines:\n" + outcome.last_logs;
      }
      turn_back(r, reason, true);
      co_return Status{};
    }
    case Action::kRenameNextToName: co_return co_await docker_.rename_container(step.container, r.service);
    case Action::kRemoveOld:
      // The old container goes; its volumes and its image stay (the image is what `berth rollback` uses).
      co_return co_await docker_.remove_container(step.container, docker::RemoveVolumes::kKeep,
                                                  docker::ForceRemove::kNo);
    case Action::kRemoveNew:
    case Action::kRemoveStaleFailed:
      co_return co_await docker_.remove_container(step.container, docker::RemoveVolumes::kKeep,
                                                  docker::ForceRemove::kYes);
    case Action::kRenameNewToFailed:
      co_return co_await docker_.rename_container(step.container, failed_name(r.service));
    case Action::kRenamePrevToName: co_return co_await docker_.rename_container(step.container, r.service);
    case Action::kRestoreOldPolicy: {
      const auto colon = r.old_restart_policy.find(':');
      const std::string name = r.old_restart_policy.substr(0, colon);
      const int retries = colon == std::string::npos ? 0 : std::atoi(r.old_restart_policy.c_str() + colon + 1);
      co_return co_await docker_.update_restart_policy(step.container, name, retries);
    }
    case Action::kStartOld: co_return co_await docker_.start_container(step.container);
    case Action::kGateOld: {
      auto outcome = co_await health::run_gate(docker_, co_await probe_for(r, probe, step.container), step.container,
                                               0ms, gate_progress(r, progress));
      r.old_gate_done = true;
      r.old_gate_passed = outcome.passed;
      if (!outcome.passed) {
        r.reason += "; the old version failed too: " + outcome.reason;
      }
      co_return Status{};
    }
    case Action::kMovePort: co_return co_await move_port(r, step.container);
    case Action::kDrainOld: co_return co_await drain_old(r, step.container, grace);
    case Action::kTurnBack: turn_back(r, step.note, false); co_return Status{};
    case Action::kFinish: co_return Status{};
  }
  co_return Status{};
}

net::awaitable<Status> SwapEngine::move_port(SwapRecord& r, const std::string& container) {
  if (ports_ == nullptr) {
    co_return common::make_error(ErrorKind::kInternal, "this berth cannot switch host ports");
  }
  auto inspect = co_await docker_.inspect_container(container);
  if (!inspect) {
    co_return inspect.error();
  }
  const auto at = hostport::attachment_of(*inspect);
  if (!at) {
    co_return common::make_error(ErrorKind::kConflict, "container " + container.substr(0, 12) +
                                                           " has no IPv4 address on its network to move the port to");
  }
  for (const auto& p : r.ports) {
    const auto host = p.value("host", std::uint16_t{0});
    const auto target = hostport::Target{at->address, p.value("container", std::uint16_t{0})};
    auto pointed = co_await ports_->point(host, target, at->bridge);
    if (!pointed) {
      co_return pointed.error();
    }
    spdlog::info("swap {} of {}: host port {} now leads to {}:{}", r.id, r.service, host, target.address, target.port);
  }
  r.port_moved = true;
  co_return Status{};
}

net::awaitable<Status> SwapEngine::drain_old(SwapRecord& r, const std::string& container, std::chrono::seconds grace) {
  auto inspect = co_await docker_.inspect_container(container);
  const auto at = inspect ? hostport::attachment_of(*inspect) : std::nullopt;
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + grace;
  net::steady_timer timer(co_await net::this_coro::executor);
  int still_open = 0;
  while (at && ports_ != nullptr) {
    still_open = 0;
    bool counted = true;
    for (const auto& p : r.ports) {
      // A named local: GCC 12 destroys a braced temporary in a co_await's full expression twice.
      const hostport::Target target{at->address, p.value("container", std::uint16_t{0})};
      auto n = co_await ports_->open_connections(target);
      if (!n) {
        spdlog::warn("swap {} of {}: cannot count the old container's connections ({}); stopping it now", r.id,
                     r.service, n.error().message);
        counted = false;
        break;
      }
      still_open += *n;
    }
    if (!counted || still_open == 0 || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    timer.expires_after(100ms);
    co_await timer.async_wait(net::use_awaitable);
  }
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info(
      "swap {} of {}: old container drained in {} ms{}", r.id, r.service, waited,
      still_open > 0 ? " (" + std::to_string(still_open) + " connection(s) still open at its stop timeout)" : "");
  r.old_drained = true;
  co_return Status{};
}

net::awaitable<void> SwapEngine::release_docker_ports(const SwapRecord& r) {
  if (ports_ == nullptr || !r.ports.empty()) {
    co_return;
  }
  const auto& bindings = r.create_body.value("HostConfig", json::object()).value("PortBindings", json::object());
  for (const auto& [cport, list] : bindings.items()) {
    if (!list.is_array() || !cport.ends_with("/tcp")) {
      continue;
    }
    for (const auto& b : list) {
      const std::string host = b.is_object() ? b.value("HostPort", std::string()) : std::string();
      const int port = host.empty() ? 0 : std::atoi(host.c_str());
      if (port <= 0 || port > 65535) {
        continue;
      }
      auto released = co_await ports_->release(static_cast<std::uint16_t>(port));
      if (!released) {
        spdlog::warn("swap {} of {}: host port {}: {}", r.id, r.service, port, released.error().message);
      }
    }
  }
}

net::awaitable<health::ProbeSpec> SwapEngine::probe_for(const SwapRecord& r, health::ProbeSpec probe,
                                                        const std::string& container) {
  const std::string cport = r.gate.value("container_port", std::string());
  if (cport.empty() || probe.kind == health::ProbeKind::kExec || probe.kind == health::ProbeKind::kDockerHealth ||
      probe.kind == health::ProbeKind::kRunning) {
    co_return probe;
  }
  auto inspect = co_await docker_.inspect_container(container);
  if (!inspect) {
    co_return probe;  // the gate itself reports the container's absence
  }
  const auto& ports = inspect->value("NetworkSettings", json::object()).value("Ports", json::object());
  if (auto it = ports.find(cport); it != ports.end() && it->is_array() && !it->empty()) {
    const std::string host_port = (*it)[0].value("HostPort", std::string());
    if (!host_port.empty()) {
      probe.port = static_cast<std::uint16_t>(std::stoi(host_port));
    }
  }
  co_return probe;
}

net::awaitable<Status> SwapEngine::pull(SwapRecord& r, const std::string& registry_auth, const ProgressFn& progress) {
  const std::string repository = r.gate.value("repository", std::string());
  const std::string tag = r.gate.value("tag", std::string("latest"));
  const std::string platform = r.gate.value("platform", std::string());
  auto on_progress = [&](const docker::PullEvent&, const docker::PullProgress& p) {
    if (progress) {
      progress(SwapProgress{r.id, r.service, "pull_progress", p.summary(), p.bytes_done(), p.bytes_total(), {}});
    }
  };
  if (!r.to_digest.empty()) {
    // A known digest: use the local copy when there is one (rollback to a kept image), else pull it; then
    // point the followed tag at it so the new container's Config.Image stays the user's reference.
    const std::string pinned = repository + "@" + r.to_digest;
    auto local = co_await docker_.inspect_image(pinned);
    if (!local) {
      auto pulled = co_await docker_.pull_image(repository, r.to_digest, registry_auth, on_progress, platform);
      if (!pulled) {
        co_return pulled.error();
      }
    }
    auto tagged = co_await docker_.tag_image(pinned, repository, tag);
    if (!tagged) {
      co_return tagged.error();
    }
  } else {
    auto pulled = co_await docker_.pull_image(repository, tag, registry_auth, on_progress, platform);
    if (!pulled) {
      co_return pulled.error();
    }
    r.to_digest = pulled->digest;
  }
  r.pulled = true;
  co_return Status{};
}

net::awaitable<Status> SwapEngine::create_new(SwapRecord& r, const std::vector<std::string>& secret_env) {
  json body = r.create_body;  // the journal keeps the body without the secrets' values
  for (const auto& variable : secret_env) {
    // A variable of the same name in the recorded environment gives way: Docker would pass both.
    const std::string prefix = variable.substr(0, variable.find('=') + 1);
    json env = json::array();
    for (const auto& kept : body.value("Env", json::array())) {
      if (!kept.is_string() || !kept.get<std::string>().starts_with(prefix)) env.push_back(kept);
    }
    env.push_back(variable);
    body["Env"] = std::move(env);
  }
  co_await release_docker_ports(r);
  auto id = co_await docker_.create_container(next_name(r.service), body);
  if (!id) {
    co_return id.error();
  }
  r.new_id = *id;
  (void)store_.save_swap(r);
  for (const auto& extra : r.extra_networks) {
    auto joined = co_await docker_.connect_network(extra.value("network", std::string()), *id,
                                                   extra.value("endpoint", json::object()));
    if (!joined) {
      co_return joined.error();
    }
  }
  co_return Status{};
}

void SwapEngine::finish(SwapRecord& r, Outcome outcome, const std::string& note) {
  r.outcome = outcome;
  r.ended_ms = now_ms();
  if (!note.empty() && r.reason.empty()) {
    r.reason = note;
  } else if (!note.empty() && note != r.reason && outcome == Outcome::kFailed) {
    r.reason = note;
  }
  r.reason = common::printable_text(r.reason);
  if (outcome == Outcome::kRolledBack && r.new_failed && !r.to_digest.empty()) {
    auto q = store_.quarantine({r.service, r.to_digest, std::string(common::cut_text(r.reason, 500)), r.ended_ms});
    if (!q) {
      spdlog::error("cannot quarantine {} of {}: {}", r.to_digest, r.service, q.error().message);
    }
  }
  if (auto h = store_.append_history(state::history_entry_of(r)); !h) {
    spdlog::error("cannot write the history: {}", h.error().message);
  }
  if (auto rm = store_.remove_swap(r.service); !rm) {
    spdlog::error("cannot clear the journal of {}: {}", r.service, rm.error().message);
  }
  spdlog::info("swap {} of {} ended: {}{}", r.id, r.service, to_string(outcome),
               r.reason.empty() ? "" : " (" + std::string(common::cut_text(r.reason, 200)) + ")");
}

}  // namespace berth::swap
