// The holder container of each task. awsvpc: it owns the task's network namespace (and its PID and IPC
// namespaces with pidMode/ipcMode task); the task's containers join it, so a swap of one of them leaves
// the namespace, its address and the other containers' connections alone. bridge: it sits on the task's
// network and keeps its bridge up, so a stop-first swap does not wait for the bridge to come back.
#include "app/agent.hpp"

#include "app/systemd.hpp"
#include "config/docker_mapping.hpp"
#include "docker/holder_image.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <list>

namespace berth::app {

namespace net = boost::asio;
using common::ErrorKind;
using common::Result;
using common::Status;
using nlohmann::json;

namespace {

std::string text_at(const json& object, const char* a, const char* b) {
  const auto outer = object.find(a);
  if (outer == object.end() || !outer->is_object()) return {};
  const auto inner = outer->find(b);
  return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : std::string();
}

// True when the inspected container joins a namespace of the container `holder_id`.
bool joins(const json& inspect, const std::string& holder_id) {
  const std::string mode = "container:" + holder_id;
  for (const char* key : {"NetworkMode", "PidMode", "IpcMode"}) {
    if (text_at(inspect, "HostConfig", key) == mode) return true;
  }
  return false;
}

}  // namespace

net::awaitable<Status> Agent::ensure_holder_image() {
  const auto version = co_await docker_.version();
  if (!version) co_return version.error();
  const auto image = docker::holder_image(version->value("Arch", std::string()));
  if (!image) co_return image.error();
  if (auto present = co_await docker_.inspect_image(std::string(docker::kHolderImage));
      present && present->value("Id", std::string()) == image->id) {
    co_return Status{};
  }
  spdlog::info("loading the image of awsvpc tasks' namespace holders ({}, {})", docker::kHolderImage, image->id);
  co_return co_await docker_.load_image(image->archive);
}

net::awaitable<Result<std::vector<std::string>>> Agent::holder_users(const config::TaskSpec& task,
                                                                     const std::string& holder_id) {
  const std::vector<std::string> filter{std::string(config::kLabelTask) + "=" + task.family};
  auto list = co_await docker_.list_containers(filter, true);
  if (!list) co_return list.error();
  std::vector<std::string> users;
  for (const auto& c : *list) {
    if (c.id == holder_id) continue;
    auto inspect = co_await docker_.inspect_container(c.id);
    if (inspect && joins(*inspect, holder_id)) users.push_back(c.name);
  }
  co_return users;
}

net::awaitable<Result<std::string>> Agent::ensure_holder(const config::TaskSpec& task) {
  const std::string name = task.holder_name();
  const json body = config::holder_create_body(task, std::string(docker::kHolderImage));
  const std::string want = body["Labels"].value(std::string(config::kLabelSpecHash), std::string());
  auto inspect = co_await docker_.inspect_container(name);
  if (!inspect && inspect.error().kind != ErrorKind::kNotFound) co_return inspect.error();
  if (inspect) {
    const std::string id = inspect->value("Id", std::string());
    const auto labels = inspect->value("Config", json::object()).value("Labels", json::object());
    if (labels.value(std::string(config::kLabelSpecHash), std::string()) == want) {
      if (!inspect->value("State", json::object()).value("Running", false)) {
        log_service(2, name, "", "starting the task's namespace holder");
        if (auto started = co_await docker_.start_container(id); !started) co_return started.error();
      }
      co_return id;
    }
    // The task's ports, DNS settings or shared namespaces changed: they live on the holder. A namespace
    // that containers share cannot be swapped under them one at a time.
    auto users = co_await holder_users(task, id);
    if (!users) co_return users.error();
    if (!users->empty()) {
      std::string names;
      for (const auto& u : *users) names += (names.empty() ? "" : " ") + u;
      co_return common::make_error(
          ErrorKind::kConflict,
          "the task's port mappings, DNS settings or pidMode/ipcMode changed, and they belong to its namespace "
          "holder " +
              name + ", which " + names +
              " still use; berth does not replace a namespace under running "
              "containers: remove them (docker rm -f " +
              names + ") and berth creates the task anew");
    }
    log_service(2, name, "", "the task's ports or namespaces changed and no container uses its holder: recreating it");
    if (auto removed = co_await docker_.remove_container(id, docker::RemoveVolumes::kKeep, docker::ForceRemove::kYes);
        !removed) {
      co_return removed.error();
    }
  }
  if (auto loaded = co_await ensure_holder_image(); !loaded) co_return loaded.error();
  auto id = co_await docker_.create_container(name, body);
  if (!id) co_return id.error();
  log_service(2, name, "", "created the task's holder");
  if (auto started = co_await docker_.start_container(*id); !started) co_return started.error();
  co_return *id;
}

net::awaitable<void> Agent::repair_holders() {
  // A copy: a reload replaces desired_ while this waits for Docker.
  const std::vector<config::LoadedService> tasks = desired_.tasks;
  for (const auto& loaded : tasks) {
    const config::TaskSpec& task = loaded.task;
    if (task.network_mode == config::NetworkMode::kBridge) {
      // It only keeps the bridge up: start it when someone stopped it.
      auto holder = co_await docker_.inspect_container(task.holder_name());
      if (holder && !holder->value("State", json::object()).value("Running", false) && !reconciling_) {
        log_service(3, task.holder_name(), "", "the task's holder is not running: starting it");
        (void)co_await docker_.start_container(holder->value("Id", std::string()));
      }
      continue;
    }
    if (task.network_mode != config::NetworkMode::kAwsvpc) continue;
    const bool busy = std::any_of(task.containers.begin(), task.containers.end(), [&](const auto& c) {
      const auto it = services_.find(c.name);
      return engine_.busy(c.name) || (it != services_.end() && in_use(it->second));
    });
    if (busy || reconciling_) continue;  // a deploy or a swap works on the task: the next pass comes soon
    // Holding the task's services keeps their checks, and the swaps they lead to, from starting meanwhile.
    std::list<ServiceWork> held;
    for (const auto& c : task.containers) {
      if (auto it = services_.find(c.name); it != services_.end()) held.emplace_back(it->second);
    }
    auto holder = co_await docker_.inspect_container(task.holder_name());
    if (!holder) continue;  // missing: the task's next deploy creates it
    const std::string id = holder->value("Id", std::string());
    if (!holder->value("State", json::object()).value("Running", false)) {
      log_service(3, task.holder_name(), "", "the task's namespace holder is not running: starting it");
      if (auto started = co_await docker_.start_container(id); !started) {
        log_service(4, task.holder_name(), "", "cannot start the namespace holder: " + started.error().message);
        continue;
      }
      holder = co_await docker_.inspect_container(id);
      if (!holder) continue;
    }
    const std::string holder_started = text_at(*holder, "State", "StartedAt");
    for (const auto& c : task.containers) {
      auto member = co_await docker_.inspect_container(c.name);
      if (!member || !joins(*member, id)) continue;
      const auto state = member->value("State", json::object());
      const std::string member_id = member->value("Id", std::string());
      if (state.value("Running", false)) {
        // Started before the holder's current run: it still sits in the namespace of the holder's previous
        // run, which has no network any more.
        if (!docker::started_before(state.value("StartedAt", std::string()), holder_started)) continue;
        log_service(3, c.name, "", "restarting: it runs in the namespace of the holder's previous run");
        (void)co_await docker_.stop_container(member_id, std::chrono::seconds(c.stop_timeout_s));
      } else {
        // A start that failed because the holder was not up yet, as after a Docker restart, which starts
        // containers in no particular order; one stopped on purpose has no error.
        const std::string error = state.value("Error", std::string());
        const std::string policy =
            member->value("HostConfig", json::object()).value("RestartPolicy", json::object()).value("Name", "");
        if (error.empty() || policy.empty() || policy == "no") continue;
        // Once per run of the holder: a start that fails for another reason is not tried every 5 s.
        std::string& tried = started_for_holder_[member_id];
        if (tried == holder_started) continue;
        tried = holder_started;
        log_service(3, c.name, "", "starting: its last start failed (" + error + ")");
      }
      if (auto started = co_await docker_.start_container(member_id); !started) {
        log_service(4, c.name, "", "cannot start it in the task's namespace: " + started.error().message);
      }
    }
  }
}

}  // namespace berth::app
