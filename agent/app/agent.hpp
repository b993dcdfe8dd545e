#pragma once

// The daemon: keeps the services of the service files and the labelled containers on their newest
// healthy image. One io_context, one thread; every piece of work is a coroutine on it.

#include "app/desired.hpp"
#include "aws/client_io.hpp"
#include "common/clock.hpp"
#include "control/api.hpp"
#include "control/notifier.hpp"
#include "control/server.hpp"
#include "control/services_snapshot.hpp"
#include "docker/client.hpp"
#include "hostport/port_switch.hpp"
#include "registry/client.hpp"
#include "state/store.hpp"
#include "swap/engine.hpp"
#include "swap/recent_swaps.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace berth::app {

// One service berth keeps up to date: a container of a service file, or a labelled container.
struct Service {
  std::string name;  // the container name
  bool from_file = false;
  std::optional<FileService> file;
  std::string image;  // the user's reference
  config::ServicePolicy policy;
  // What berth saw last.
  std::string container_id;
  bool container_running = false;
  std::string running_digest;    // the repository digest the running image came from
  std::string running_platform;  // this host's manifest of it
  std::string newest_digest;
  std::string newest_platform;
  std::string running_tag;        // the tag of the reference the container was created with
  std::string newest_tag;         // berth.follow: the highest matching tag at the last check
  std::string notified_digest;    // the newest digest an update_available notification went out for
  std::string state = "unknown";  // running | stopped | missing | updating | update available | quarantined | error
  std::string error;
  std::int64_t last_check_ms = 0;
  std::int64_t last_swap_ms = 0;
  std::int64_t images_bytes = 0;  // the disk space the images of its running and kept versions hold
  // The next check; time_point::max() while its labels cannot be used.
  std::chrono::steady_clock::time_point next_check{};
  // `berth update --in-window` outside the window: the update starts when the window opens.
  bool update_in_window = false;
  int failures = 0;         // checks failed in a row
  int update_failures = 0;  // updates that could not begin, in a row
  bool checking = false;
  // Coroutines working on this service across a suspension (ServiceWork). While any runs, the service
  // stays in the map, so their references stay valid: std::map never moves its elements.
  int work = 0;
};

// Held by a coroutine for as long as it uses a Service& across co_await.
class ServiceWork {
 public:
  explicit ServiceWork(Service& s) : s_(&s) { ++s_->work; }
  ~ServiceWork() { --s_->work; }
  ServiceWork(const ServiceWork&) = delete;
  ServiceWork& operator=(const ServiceWork&) = delete;

 private:
  Service* s_;
};

class Agent final : public control::ApiBackend {
 public:
  Agent(boost::asio::any_io_executor executor, std::string config_path, Desired desired);
  ~Agent() override;

  // Runs until SIGTERM or SIGINT; returns the process exit code.
  boost::asio::awaitable<int> run();

  boost::asio::awaitable<control::ApiResponse> handle(control::RouteId route,
                                                      const control::ApiRequest& request) override;
  std::uint64_t subscribe(std::function<void(const nlohmann::json&)> sink) override;
  void unsubscribe(std::uint64_t id) override;

 private:
  // Start-up and the main loop (agent_io.cpp).
  boost::asio::awaitable<bool> connect_docker();
  boost::asio::awaitable<void> reconcile_files();
  // Stops managing the services of service files that went away (none with work in flight).
  void forget_removed_files();
  boost::asio::awaitable<void> discover_labelled();
  boost::asio::awaitable<void> refresh_running(Service& s);
  boost::asio::awaitable<void> tick();
  boost::asio::awaitable<void> watch_signals();
  void reload();
  boost::asio::awaitable<common::Status> start_control();
  void stop_control();
  void publish(nlohmann::json event);
  std::string status_line() const;

  // awsvpc tasks' namespace holders (task_holder_io.cpp).
  // Creates, starts or (when no container uses it) recreates the holder of `task`; returns its id.
  // kConflict when what the holder carries changed while containers still use it.
  boost::asio::awaitable<common::Result<std::string>> ensure_holder(const config::TaskSpec& task);
  boost::asio::awaitable<common::Status> ensure_holder_image();
  // Names of the containers of the task that join a namespace of the holder `holder_id`.
  boost::asio::awaitable<common::Result<std::vector<std::string>>> holder_users(const config::TaskSpec& task,
                                                                                const std::string& holder_id);
  // After a Docker restart, or a holder stopped or restarted by hand: starts a stopped holder, restarts the
  // containers left in the namespace of its previous run and starts those whose start failed while it was
  // down (Docker starts containers after its own restart in no particular order).
  boost::asio::awaitable<void> repair_holders();
  // Points every host port berth switches at the container that carries its service's name, when that one
  // runs and no swap of it is in flight (after a restart of berth or of the Docker Engine, addresses change).
  boost::asio::awaitable<void> reconcile_ports();

  // Checks and swaps (agent_work_io.cpp).
  // A check on request (API, CLI) leaves the schedule alone: a client that checks more often than the
  // poll interval must not keep the scheduled check, and the automatic update it leads to, away.
  enum class CheckFor { kSchedule, kRequest };
  boost::asio::awaitable<common::Status> check(Service& s, CheckFor why);
  // Swaps the service to `digest` (empty: the tag's newest, pulled). `id` names the swap for the API.
  boost::asio::awaitable<common::Result<swap::SwapRecord>> update(const std::string& name, std::string digest,
                                                                  std::string why, std::string id = {});
  // `s` is a copy: the plan is made from the service as it was when the update began.
  boost::asio::awaitable<common::Result<swap::SwapPlan>> plan_for(Service s, registry::ImageReference ref);
  // The value of a task definition's secret (SSM or Secrets Manager), with the instance role.
  boost::asio::awaitable<common::Result<std::string>> read_secret(const std::string& value_from);
  // berth.follow: the highest tag of the repository that matches; the tags are listed at most once per
  // `interval` per repository.
  boost::asio::awaitable<common::Result<std::string>> followed_tag(const registry::ImageReference& ref,
                                                                   const config::VersionFollow& follow,
                                                                   std::chrono::milliseconds interval);
  // The update window of the service (its berth.window, else agent.json's update.window); null: always.
  const config::UpdateWindow* window_of(const Service& s) const;
  // A newer version waits for the window to open (the state check() gives it).
  static bool waiting_for_window(const Service& s);
  // The variables a service's S3 environment files add to (or change in) its recorded environment, read now
  // with the instance role; never recorded.
  boost::asio::awaitable<common::Result<std::vector<std::string>>> s3_environment(const FileService& file);
  // True while the service must stay in the map: a swap or other work on it is running.
  bool in_use(const Service& s) const;
  void spawn(std::function<boost::asio::awaitable<void>()> work);
  void record_swap_end(Service& s, const swap::SwapRecord& r);

  // Images and disk space (agent_images_io.cpp).
  // Why a pull of `image_bytes` must not start on Docker's data root now (disk.min_free), or nullopt.
  boost::asio::awaitable<std::optional<std::string>> disk_refusal(std::int64_t image_bytes);
  // After a swap to `r.to_digest`: records the image when berth pulled it, and after a proven swap removes
  // the service's older images berth pulled (berth.keep-images).
  boost::asio::awaitable<void> after_swap_images(Service& s, const std::string& repository, bool pulled_by_berth,
                                                 const swap::SwapRecord& r);
  boost::asio::awaitable<void> prune_images(Service& s);
  // The disk space of the service's running image and of the images kept for it.
  std::int64_t images_bytes_of(const Service& s, const std::string& running_id, std::int64_t running_bytes) const;

  // The API (agent_api_io.cpp).
  static control::ServiceShown shown(const Service& s);
  // Brings the snapshot the reads are served from up to date with services_.
  void refresh_snapshot();
  nlohmann::json swap_json(const swap::SwapRecord& r) const;
  boost::asio::awaitable<control::ApiResponse> api_update(const control::ApiRequest& request);
  boost::asio::awaitable<control::ApiResponse> api_rollback(const control::ApiRequest& request);
  boost::asio::awaitable<control::ApiResponse> api_update_all(const control::ApiRequest& request);
  control::ApiResponse api_registry_hook(const control::ApiRequest& request);
  // `--in-window` outside the window: the update waits for it; the answer says until when. nullopt: act now.
  std::optional<nlohmann::json> defer_to_window(Service& s);
  boost::asio::awaitable<control::ApiResponse> start_swap(const std::string& name, const std::string& digest,
                                                          const std::string& why, bool wait);
  // /metrics as last rendered, rendered again when what it shows changed.
  const std::string& metrics_text();

  boost::asio::any_io_executor executor_;
  std::string config_path_;
  Desired desired_;
  config::AgentConfig config_;
  docker::DockerClient docker_;
  state::StateStore store_;
  hostport::PortSwitch ports_;
  swap::SwapEngine engine_;
  aws::AwsClient aws_;  // before registry_, which logs in to ECR with it
  registry::RegistryClient registry_;
  std::unique_ptr<control::ControlServer> server_;
  std::unique_ptr<control::Notifier> notifier_;
  std::map<std::string, Service> services_;
  control::ServicesSnapshot snapshot_;  // what GET /v1/services answers
  struct MetricsShown {
    std::size_t services = 0;
    std::int64_t last_successful_check_ms = 0;
    std::map<std::string, std::int64_t> counters;
    std::string text;
  } metrics_;
  swap::RecentSwaps swaps_;  // running and recent swaps by id: the record, then the result
  std::map<std::uint64_t, std::function<void(const nlohmann::json&)>> subscribers_;
  std::uint64_t next_subscriber_ = 1;
  std::map<std::string, std::int64_t> counters_;  // metrics: checks, errors, swaps by result
  std::set<std::string> pulling_;                 // services whose swap is pulling (global bound)
  std::int64_t last_successful_check_ms_ = 0;
  std::vector<std::int64_t> swap_durations_ms_;  // for the metrics histogram
  std::chrono::steady_clock::time_point next_files_scan_{};
  FileStamps file_stamps_;  // of the service files last read
  bool stopping_ = false;
  bool reload_requested_ = false;
  bool reconciling_ = false;      // reconcile_files runs one at a time
  bool reconcile_again_ = false;  // the service files changed while it ran
  bool repairing_ = false;        // repair_holders runs one at a time
  bool pointing_ports_ = false;   // reconcile_ports runs one at a time
  // Containers repair_holders started after a failed start: container id -> the holder's StartedAt then.
  std::map<std::string, std::string> started_for_holder_;
  int swaps_in_flight_ = 0;
  std::string docker_root_;  // Docker's data root (GET /info DockerRootDir), read at the first pull
  struct TagListing {
    bool listed = false;
    std::chrono::steady_clock::time_point at{};
    std::vector<std::string> tags;
  };
  std::map<std::string, TagListing> tag_lists_;  // berth.follow: by repository (registry/name)
};

using common::now_ms;
std::string rfc3339(std::int64_t ms);

}  // namespace berth::app
