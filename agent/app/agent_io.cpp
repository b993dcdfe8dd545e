// The daemon's start-up, main loop, desired state and labelled containers.
#include "app/agent.hpp"

#include "app/systemd.hpp"
#include "common/text.hpp"
#include "common/version.hpp"
#include "config/docker_mapping.hpp"
#include "config/service_policy.hpp"
#include "control/time_text.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <ctime>
#include <filesystem>

namespace berth::app {

namespace net = boost::asio;
using common::ErrorKind;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

bool lists_image_id(const docker::ContainerSummary& c) {
  std::string_view image = c.image;
  std::string_view id = c.image_id;
  for (auto* v : {&image, &id}) {
    if (common::starts_with(*v, "sha256:")) {
      v->remove_prefix(7);
    }
  }
  return image.size() >= 12 && common::starts_with(id, image);
}

std::string config_dir_of(const std::string& config_path) {
  const auto parent = std::filesystem::path(config_path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

registry::RegistryClientSettings registry_settings(const config::AgentConfig& config, aws::AwsClient& aws) {
  auto settings = registry::RegistryClientSettings::from_config(config);
  settings.aws = &aws;
  return settings;
}

}  // namespace

std::string rfc3339(std::int64_t ms) {
  return ms <= 0 ? std::string()
                 : control::rfc3339_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

Agent::Agent(net::any_io_executor executor, std::string config_path, Desired desired)
    : executor_(executor),
      config_path_(std::move(config_path)),
      desired_(std::move(desired)),
      config_(*desired_.agent),
      docker_(executor, config_.docker.socket),
      store_(config_.state_dir),
      engine_(docker_, store_, &ports_),
      aws_(executor, config_.aws),
      registry_(executor, registry_settings(config_, aws_)),
      file_stamps_(desired_.stamps) {}

Agent::~Agent() = default;

void Agent::spawn(std::function<net::awaitable<void>()> work) {
  // Bounded pieces of work (a check, a swap). An exception is a bug: it stops the process loudly and
  // systemd restarts berth, which recovers from the journal.
  net::co_spawn(executor_, std::move(work), [](std::exception_ptr e) {
    if (e) {
      std::rethrow_exception(e);
    }
  });
}

void Agent::publish(json event) {
  event["time"] = rfc3339(now_ms());
  for (const auto& [id, sink] : subscribers_) {
    sink(event);
  }
}

std::uint64_t Agent::subscribe(std::function<void(const json&)> sink) {
  const auto id = next_subscriber_++;
  subscribers_[id] = std::move(sink);
  return id;
}

void Agent::unsubscribe(std::uint64_t id) { subscribers_.erase(id); }

std::string Agent::status_line() const {
  std::size_t pending = 0;
  for (const auto& [name, s] : services_) {
    pending += s.state == "update available" || waiting_for_window(s) ? 1 : 0;
  }
  std::string line =
      "watching " + std::to_string(services_.size()) + (services_.size() == 1 ? " service" : " services");
  if (last_successful_check_ms_ > 0) {
    const std::time_t t = static_cast<std::time_t>(last_successful_check_ms_ / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[8];
    std::strftime(buf, sizeof(buf), "%H:%M", &tm);
    line += ", last check " + std::string(buf);
  }
  if (swaps_in_flight_ > 0) {
    line += ", " + std::to_string(swaps_in_flight_) + " swap(s) running";
  }
  if (pending > 0) {
    line += ", " + std::to_string(pending) + " update(s) waiting";
  }
  return line;
}

net::awaitable<bool> Agent::connect_docker() {
  net::steady_timer timer(executor_);
  for (int attempt = 0; !stopping_; ++attempt) {
    auto v = co_await docker_.negotiate();
    if (v) {
      spdlog::info("Docker Engine at {} speaks API {}", config_.docker.host, v->str());
      co_return true;
    }
    spdlog::warn("{} (retrying)", v.error().message);
    notify_status("waiting for the Docker Engine: " + v.error().message);
    timer.expires_after(std::min<std::chrono::seconds>(std::chrono::seconds(1 << std::min(attempt, 5)), 30s));
    co_await timer.async_wait(net::use_awaitable);
  }
  co_return false;
}

net::awaitable<void> Agent::watch_signals() {
  net::signal_set signals(executor_, SIGTERM, SIGINT, SIGHUP);
  while (!stopping_) {
    auto [ec, sig] = co_await signals.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) {
      co_return;
    }
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading the service files");
      reload_requested_ = true;
    } else {
      spdlog::info("signal {}: stopping once running swaps reach a safe point", sig);
      stopping_ = true;
    }
  }
}

net::awaitable<void> Agent::refresh_running(Service& s) {
  const ServiceWork work(s);
  auto inspect = co_await docker_.inspect_container(s.name);
  if (!inspect) {
    if (inspect.error().kind == ErrorKind::kNotFound) {
      s.container_id.clear();
      s.container_running = false;
      s.state = "missing";
    } else {
      s.error = inspect.error().message;
    }
    co_return;
  }
  s.container_id = (*inspect)["Id"].get<std::string>();
  if (auto created = registry::parse_reference((*inspect)["Config"].value("Image", std::string()))) {
    s.running_tag = created->tag;
  }
  s.container_running = inspect->value("State", json::object()).value("Running", false);
  if (s.state == "missing" || s.state == "unknown" || s.state == "stopped" || s.state == "running") {
    s.state = s.container_running ? "running" : "stopped";
  }
  auto ref = registry::parse_reference(s.image);
  auto image = co_await docker_.inspect_image((*inspect)["Image"].get<std::string>());
  if (!ref || !image) {
    co_return;
  }
  s.images_bytes = images_bytes_of(s, image->value("Id", std::string()), image->value("Size", std::int64_t{0}));
  // The repository digest this image came from: RepoDigests in the familiar form "repo@sha256:...".
  for (const auto& rd : image->value("RepoDigests", json::array())) {
    const std::string entry = rd.get<std::string>();
    const auto at = entry.find('@');
    if (at == std::string::npos) {
      continue;
    }
    auto named = registry::parse_reference(entry.substr(0, at));
    if (named && named->registry == ref->registry && named->repository == ref->repository) {
      if (s.running_digest != entry.substr(at + 1)) {
        s.running_digest = entry.substr(at + 1);
        s.running_platform.clear();
      }
      // A digest we already know to be the newest wins when the image carries several.
      if (s.running_digest == s.newest_digest) {
        break;
      }
    }
  }
}

net::awaitable<void> Agent::reconcile_files() {
  if (reconciling_) {
    reconcile_again_ = true;  // the running pass starts over with the new files
    co_return;
  }
  reconciling_ = true;
  do {
    reconcile_again_ = false;
    // A copy: reload() replaces desired_ while a deploy below is suspended.
    const std::vector<FileService> files = desired_.services;
    std::set<std::string> networks_done;
    std::set<std::string> waiting_for_swap;  // changed while their swap ran
    std::map<std::string, common::Result<std::string>>
        holders;  // awsvpc family -> its holder's id, or why there is none
    for (const auto& fs : files) {
      if (reconcile_again_ || stopping_) {
        break;
      }
      const auto& c = fs.container();
      const bool awsvpc = fs.task.network_mode == config::NetworkMode::kAwsvpc;
      if ((fs.task.network_mode == config::NetworkMode::kBridge || awsvpc) &&
          networks_done.insert(fs.task.network_name()).second) {
        std::map<std::string, std::string> labels;
        labels["berth.task"] = fs.task.family;
        auto net_id = co_await docker_.create_network(fs.task.network_name(), labels);
        if (!net_id && net_id.error().kind != ErrorKind::kConflict) {
          log_service(4, c.name, "", "cannot create network " + fs.task.network_name() + ": " + net_id.error().message);
        }
        // Before the task's first container. awsvpc: they all join the holder's namespace. bridge: the holder
        // keeps the task's bridge up while a stop-first swap has none of the task's containers running.
        auto holder = co_await ensure_holder(fs.task);
        if (!holder) {
          log_service(4, fs.task.holder_name(), "",
                      awsvpc ? "the task's containers cannot start: " + holder.error().message
                             : "the task's bridge has no holder (" + holder.error().message +
                                   "): a stop-first swap of a task with one running container waits about a "
                                   "second longer");
        }
        if (awsvpc) {
          holders.insert_or_assign(fs.task.family, std::move(holder));
        }
      }
      auto& s = services_[c.name];
      const ServiceWork work(s);
      s.name = c.name;
      s.from_file = true;
      s.file = fs;
      s.image = c.image;
      s.policy = c.docker_labels.empty() ? config::ServicePolicy{} : c.policy;
      std::string holder_id;
      if (awsvpc) {
        const auto& holder = holders.at(fs.task.family);
        if (!holder) {
          s.state = "error";
          s.error = holder.error().message;
          continue;
        }
        holder_id = *holder;
      }
      auto inspect = co_await docker_.inspect_container(c.name);
      std::string why;
      if (!inspect && inspect.error().kind == ErrorKind::kNotFound) {
        why = "first start";
      } else if (inspect) {
        const auto labels = (*inspect)["Config"].value("Labels", json::object());
        const auto host = inspect->value("HostConfig", json::object());
        if (labels.value("berth.spec-hash", std::string()) != fs.spec_hash) {
          why = "the service file changed";
        } else if (awsvpc && !c.disable_networking &&
                   host.value("NetworkMode", std::string()) != "container:" + holder_id) {
          why = "the task's namespace holder was recreated";
        }
      }
      if (why.empty()) {
        co_await refresh_running(s);
        continue;
      }
      log_service(2, c.name, "", why + ": deploying " + c.image);
      auto result = co_await update(c.name, "", why);
      if (!result && engine_.busy(c.name)) {
        // A swap (an image update) holds the service: the changed file goes in once it has ended.
        log_service(2, c.name, "", "the service file changed during a swap: deployed once the swap ends");
        waiting_for_swap.insert(c.name);
      } else if (!result) {
        log_service(4, c.name, "", "could not deploy: " + result.error().message);
      }
    }
    forget_removed_files();
    net::steady_timer timer(executor_);
    while (!waiting_for_swap.empty() && !reconcile_again_ && !stopping_) {
      std::erase_if(waiting_for_swap, [&](const std::string& name) { return !engine_.busy(name); });
      if (waiting_for_swap.empty()) {
        reconcile_again_ = true;
        break;
      }
      timer.expires_after(500ms);
      co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
  } while (reconcile_again_ && !stopping_);
  reconciling_ = false;
}

net::awaitable<void> Agent::reconcile_ports() {
  std::vector<std::pair<std::string, std::vector<config::SwitchedPort>>> wanted;
  for (const auto& [name, s] : services_) {
    if (s.from_file && s.file) {
      auto ports = config::switched_ports(s.file->task, s.file->container());
      if (!ports.empty()) {
        wanted.emplace_back(name, std::move(ports));
      }
    }
  }
  if (wanted.empty()) {
    co_return;
  }
  if (auto map = co_await ports_.current(); !map) {
    spdlog::warn("host ports switched by berth: {}", map.error().message);
    co_return;
  }
  for (const auto& [name, ports] : wanted) {
    if (engine_.busy(name)) {
      continue;  // a swap moves the port itself
    }
    auto inspect = co_await docker_.inspect_container(name);
    if (!inspect || !inspect->value("State", json::object()).value("Running", false)) {
      continue;
    }
    const auto at = hostport::attachment_of(*inspect);
    if (!at || engine_.busy(name) || services_.count(name) == 0) {
      continue;
    }
    for (const auto& p : ports) {
      const hostport::Target target{at->address, static_cast<std::uint16_t>(p.container_port)};
      auto pointed = co_await ports_.point(static_cast<std::uint16_t>(p.host_port), target, at->bridge);
      if (!pointed) {
        log_service(4, name, "", "host port " + std::to_string(p.host_port) + ": " + pointed.error().message);
      }
    }
  }
}

bool Agent::in_use(const Service& s) const { return s.work > 0 || s.checking || engine_.busy(s.name); }

void Agent::forget_removed_files() {
  std::set<std::string> wanted;
  for (const auto& fs : desired_.services) {
    wanted.insert(fs.container().name);
  }
  // Services whose file went away stop being managed once no work on them runs; their containers stay
  // unless asked otherwise.
  for (auto it = services_.begin(); it != services_.end();) {
    const Service& s = it->second;
    if (!s.from_file || wanted.count(it->first) != 0 || in_use(s)) {
      ++it;
      continue;
    }
    if (s.policy.remove_on_delete && !s.container_id.empty()) {
      log_service(2, it->first, "", "service file removed: removing the container (berth.remove-on-delete)");
      spawn([this, id = s.container_id]() -> net::awaitable<void> {
        (void)co_await docker_.stop_container(id, 30s);
        (void)co_await docker_.remove_container(id, docker::RemoveVolumes::kKeep, docker::ForceRemove::kNo);
      });
    } else {
      log_service(2, it->first, "", "service file removed: no longer managed; the container keeps running");
    }
    it = services_.erase(it);
  }
}

net::awaitable<void> Agent::discover_labelled() {
  if (!config_.watch_labeled) {
    co_return;
  }
  const std::vector<std::string> filter{"berth.enable=true"};
  // Stopped ones too: a container that is down for a moment (an engine restart, a rollback cut short) stays
  // watched, with its state and history.
  auto list = co_await docker_.list_containers(filter, true);
  if (!list) {
    spdlog::warn("cannot list labelled containers: {}", list.error().message);
    co_return;
  }
  std::set<std::string> seen;
  for (const auto& c : *list) {
    if (swap::is_swap_name(c.name)) {
      continue;  // a swap's old, new or failed container, which carries the service's labels
    }
    seen.insert(c.name);
    auto existing = services_.find(c.name);
    if (existing != services_.end() && existing->second.from_file) {
      continue;
    }
    // Once the tag a container was created from has moved to another image, Docker lists the container's
    // image as that image's ID: the reference to follow is the one the container was created with.
    std::string image = c.image;
    if (lists_image_id(c)) {
      if (existing != services_.end()) {
        image = existing->second.image;
      } else if (auto inspect = co_await docker_.inspect_container(c.id)) {
        image = (*inspect)["Config"].value("Image", c.image);
      }
    }
    auto policy = config::service_policy_from_labels(c.labels, "container " + c.name);
    auto& s = services_[c.name];
    const bool is_new = s.name.empty();
    s.name = c.name;
    s.from_file = false;
    s.image = image;
    s.container_id = c.id;
    if (!policy.ok()) {
      s.state = "error";
      s.error = policy.problems.to_string();
      s.next_check = Clock::time_point::max();  // never checked under a policy it does not have
      if (is_new) {
        log_service(4, c.name, "", "labels not usable: " + s.error);
      }
      continue;
    }
    if (s.next_check == Clock::time_point::max()) {  // a container of that name whose labels can be used
      s.next_check = {};
      s.state = "unknown";
      s.error.clear();
    }
    s.policy = *policy.value;
    if (is_new) {
      log_service(2, c.name, "", "watching the labelled container (image " + c.image + ")");
      co_await refresh_running(s);
      continue;
    }
    const bool running = c.state == "running";
    if (running != s.container_running && !in_use(s)) {
      s.container_running = running;
      if (s.state == "running" || s.state == "stopped") {
        s.state = running ? "running" : "stopped";
      }
      log_service(2, c.name, "",
                  running ? "the labelled container runs again"
                          : "the labelled container is not running: still watched; automatic updates wait until it "
                            "runs again (berth update acts at once)");
    }
  }
  for (auto it = services_.begin(); it != services_.end();) {
    if (it->second.from_file || seen.count(it->first) != 0 || in_use(it->second)) {
      ++it;
      continue;
    }
    log_service(2, it->first, "", "the labelled container is gone: no longer watched");
    it = services_.erase(it);
  }
}

void Agent::reload() {
  reload_requested_ = false;
  Desired fresh = load_services(config_, config_dir_of(config_path_));
  if (!fresh.problems.empty()) {
    for (const auto& line : fresh.problems.lines()) {
      spdlog::error("{}", line);
    }
    spdlog::error("service files not reloaded: fix the problems above (berth validate)");
    return;
  }
  for (const auto& line : fresh.notes.lines()) {
    spdlog::info("{}", line);
  }
  file_stamps_ = fresh.stamps;
  desired_ = std::move(fresh);
  spawn([this]() -> net::awaitable<void> { co_await reconcile_files(); });
}

net::awaitable<void> Agent::tick() {
  const auto now = Clock::now();
  if (now >= next_files_scan_) {
    next_files_scan_ = now + 5s;
    auto stamps = service_file_stamps(config_.services_dir);
    if (stamps != file_stamps_) {
      spdlog::info("service files changed: reloading");
      reload_requested_ = true;
      file_stamps_ = std::move(stamps);
    }
    co_await discover_labelled();
    if (!pointing_ports_) {
      pointing_ports_ = true;
      spawn([this]() -> net::awaitable<void> {
        co_await reconcile_ports();
        pointing_ports_ = false;
      });
    }
    if (!repairing_) {
      // Beside the main loop: restarting a container waits for its stop timeout.
      repairing_ = true;
      spawn([this]() -> net::awaitable<void> {
        co_await repair_holders();
        repairing_ = false;
      });
    }
  }
  if (reload_requested_) {
    reload();
  }
  if (!reconciling_) {
    forget_removed_files();  // those that had work in flight when their file went away
  }
  for (auto& [name, s] : services_) {
    // Not while other work on it runs (a deploy, a check on request): the next tick comes soon enough.
    if (in_use(s) || now < s.next_check || (s.policy.policy == config::UpdatePolicy::kManual && !s.update_in_window)) {
      continue;
    }
    s.checking = true;
    spawn([this, service = name]() -> net::awaitable<void> {
      auto it = services_.find(service);
      if (it == services_.end()) {
        co_return;
      }
      auto checked = co_await check(it->second, CheckFor::kSchedule);
      it = services_.find(service);
      if (it == services_.end()) {
        co_return;
      }
      Service& svc = it->second;
      svc.checking = false;
      // A labelled container someone stopped is not brought back by an automatic update.
      // Once the window is open (or when there is none): `check` says "waiting for window" outside it.
      if (checked && svc.state == "update available" &&
          (svc.policy.policy == config::UpdatePolicy::kAuto || svc.update_in_window) &&
          (svc.from_file || svc.container_running)) {
        svc.update_in_window = false;
        (void)co_await update(service, svc.newest_digest, "new digest " + svc.newest_digest.substr(0, 19));
      }
    });
  }
}

net::awaitable<int> Agent::run() {
  spawn([this]() -> net::awaitable<void> { co_await watch_signals(); });
  if (!co_await connect_docker()) {
    co_return 0;
  }
  if (auto opened = store_.open(); !opened) {
    spdlog::critical("state directory {}: {}", config_.state_dir, opened.error().message);
    co_return 1;
  }
  for (const auto& r : co_await engine_.recover()) {
    log_service(3, r.service, r.id,
                std::string("swap recovered after a restart: ") + std::string(swap::to_string(r.outcome)) + " (" +
                    r.reason + ")");
  }
  // The labelled containers are known before anyone can ask for them.
  co_await discover_labelled();
  auto serving = co_await start_control();
  if (!serving) {
    spdlog::critical("control endpoint: {}", serving.error().message);
    co_return serving.error().kind == ErrorKind::kInvalidArgument ? 78 : 1;
  }
  notify_ready("starting: " + status_line());
  spdlog::info("berth {} ready: {} service files, watching labelled containers: {}", common::kVersion,
               desired_.services.size(), config_.watch_labeled ? "yes" : "no");
  // The first deploys run beside the main loop, which keeps the watchdog fed and notices new files
  // meanwhile; the first tick lists the labelled containers.
  spawn([this]() -> net::awaitable<void> { co_await reconcile_files(); });
  const auto watchdog = watchdog_interval();
  const auto period = watchdog ? std::min<std::chrono::milliseconds>(
                                     1s, std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog / 2))
                               : std::chrono::milliseconds(1s);
  net::steady_timer timer(executor_);
  auto next_status = Clock::now();
  while (!stopping_) {
    if (watchdog) {
      notify_watchdog();
    }
    co_await tick();
    if (Clock::now() >= next_status) {
      notify_status(status_line());
      next_status = Clock::now() + 10s;
    }
    timer.expires_after(period);
    co_await timer.async_wait(net::use_awaitable);
  }
  notify_stopping();
  stop_control();
  // Swaps in flight finish their current step; a journalled swap left behind is recovered at the next start.
  for (int i = 0; i < 600 && swaps_in_flight_ > 0; ++i) {
    if (watchdog) {
      notify_watchdog();
    }
    timer.expires_after(100ms);
    co_await timer.async_wait(net::use_awaitable);
  }
  spdlog::info("stopped");
  co_return 0;
}

}  // namespace berth::app
