#pragma once

// The swap executor: drives the pure planner against the real Docker Engine, writing the intent of
// every step to the journal before the Docker call, and recovers swaps left in flight by a crash.

#include "common/error.hpp"
#include "docker/client.hpp"
#include "health/gate.hpp"
#include "health/probe.hpp"
#include "hostport/port_switch.hpp"
#include "state/store.hpp"
#include "swap/planner.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace berth::swap {

// What the caller decided before the swap: which image, how to create the new container, how to judge it.
struct SwapPlan {
  std::string id;           // the swap's id; generated when empty
  std::string service;      // the container name
  std::string image_ref;    // the user's reference, kept as Config.Image of the new container
  std::string repository;   // the reference without tag or digest: "127.0.0.1:5000/acme/web"
  std::string tag;          // the tag the service follows ("latest")
  std::string to_digest;    // pull exactly this digest (and point the tag at it); empty: pull the tag
  std::string from_digest;  // what runs now, for the history
  Strategy strategy = Strategy::kStopFirst;
  health::ProbeSpec probe;
  std::chrono::milliseconds monitor{std::chrono::seconds(10)};
  std::chrono::seconds stop_grace{10};
  nlohmann::json create_body;                               // POST /containers/create body
  nlohmann::json extra_networks = nlohmann::json::array();  // [{"network", "endpoint"}] joined after create
  nlohmann::json ports = nlohmann::json::array();  // host ports berth switches: [{"host": 8080, "container": 80}]
  std::string registry_auth;                       // X-Registry-Auth, never written to disk
  // "NAME=value" from secrets and S3 environment files: added to Env at create (replacing a variable of the
  // same name), never written to disk.
  std::vector<std::string> secret_env;
  std::string platform;  // "linux/arm64" when not the daemon's own
};

// Progress of a swap, for the event stream and `berth update --wait`.
struct SwapProgress {
  std::string swap_id;
  std::string service;
  std::string step;    // the planner's action name, "pull_progress" or "gate_progress"
  std::string detail;  // human text
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = 0;
  health::ProbeCount probes;  // "gate_progress": see health::ProbeCount
};
using ProgressFn = std::function<void(const SwapProgress&)>;

// A new swap id: 16 hex digits.
std::string new_swap_id();

nlohmann::json gate_to_json(const health::ProbeSpec& probe, std::chrono::milliseconds monitor,
                            std::chrono::seconds stop_grace);

class SwapEngine {
 public:
  // `ports` switches the host ports of start-first services on fixed ports; without it such a swap fails.
  SwapEngine(docker::DockerClient& docker, state::StateStore& store, hostport::PortSwitch* ports = nullptr);

  // Runs one swap to its end and returns its final record. kConflict when a swap of the service is already
  // running; other errors only when the swap could not even begin (the journal could not be written).
  boost::asio::awaitable<common::Result<SwapRecord>> run(SwapPlan plan, ProgressFn progress = {});

  // Finishes every swap a previous run left in the journal: forward when the new container was proven,
  // back to the old one otherwise.
  boost::asio::awaitable<std::vector<SwapRecord>> recover(ProgressFn progress = {});

  [[nodiscard]] bool busy(const std::string& service) const { return running_.count(service) != 0; }

 private:
  // What a swap needs that is never written to the journal. A recovered swap has none: it only goes back.
  struct Unrecorded {
    std::string registry_auth;
    std::vector<std::string> secret_env;
  };
  boost::asio::awaitable<SwapRecord> drive(SwapRecord record, Unrecorded unrecorded, ProgressFn progress);
  boost::asio::awaitable<common::Result<Observation>> observe(const std::string& service);
  boost::asio::awaitable<common::Status> perform(SwapRecord& r, const Step& step, const Unrecorded& unrecorded,
                                                 const ProgressFn& progress);
  boost::asio::awaitable<common::Status> pull(SwapRecord& r, const std::string& registry_auth,
                                              const ProgressFn& progress);
  boost::asio::awaitable<common::Status> create_new(SwapRecord& r, const std::vector<std::string>& secret_env);
  boost::asio::awaitable<common::Status> move_port(SwapRecord& r, const std::string& container);
  boost::asio::awaitable<common::Status> drain_old(SwapRecord& r, const std::string& container,
                                                   std::chrono::seconds grace);
  // Before a container that publishes fixed host ports through Docker is created (so before it starts):
  // berth lets go of those ports, in case it switched them for an earlier version of the service.
  boost::asio::awaitable<void> release_docker_ports(const SwapRecord& r);
  boost::asio::awaitable<health::ProbeSpec> probe_for(const SwapRecord& r, health::ProbeSpec probe,
                                                      const std::string& container);
  void finish(SwapRecord& r, Outcome outcome, const std::string& note);

  docker::DockerClient& docker_;
  state::StateStore& store_;
  hostport::PortSwitch* ports_;
  std::set<std::string> running_;
};

}  // namespace berth::swap
