#pragma once

// From a loaded service file to what the Docker Engine API takes: the body of POST /containers/create
// (Config + HostConfig + NetworkingConfig), of POST /networks/create and of POST /volumes/create. Pure:
// environment files are read by the caller and passed in.

#include "common/error.hpp"
#include "config/env_file.hpp"
#include "config/task_definition.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::config {

// The create body for one container of a task. Labels carry berth.service=<container name>,
// berth.task=<family>, the dockerLabels, and berth.spec-hash (see spec_hash). Fails (kInvalidArgument)
// only when an environment file the container names is missing from `env_files`.
common::Result<nlohmann::json> to_create_body(const TaskSpec& task, const ContainerSpec& container,
                                              const EnvFileContents& env_files = {});

// A stable digest (64 hex digits) of everything that shapes the container, computed on the create body
// before anything substitutes the image reference. The berth.* labels are left out (changing a probe or
// a poll interval does not restart a container). The agent compares it with the label on the running
// container to tell a changed service file from a new image digest.
std::string spec_hash(const nlohmann::json& create_body);

// The environment a container gets: its environment files in order (a later file overrides an earlier
// one), then its environment (which overrides the files), as Docker's "NAME=VALUE" list.
common::Result<std::vector<std::string>> resolve_environment(const ContainerSpec& container,
                                                             const EnvFileContents& env_files);

// A TCP port berth switches itself: a fixed host port of a start-first container in bridge mode. Its
// containers publish the container port on a loopback port Docker picks (so the old and the new one can run
// side by side, and Docker's forwarding rules let traffic to the container port in); berth points the fixed
// host port at the serving container with a NAT rule of its own (hostport/port_rules.hpp).
struct SwitchedPort {
  int host_port = 0;
  int container_port = 0;
  friend bool operator==(const SwitchedPort&, const SwitchedPort&) = default;
};
std::vector<SwitchedPort> switched_ports(const TaskSpec& task, const ContainerSpec& container);

// POST /containers/create for the holder of a task (TaskSpec::holder_name): a container of `image` on the
// network berth-<family>. Of an awsvpc task, it owns the task's network namespace (and its PID and IPC
// namespaces with pidMode/ipcMode task), publishing every containerPort of the task on the same host port,
// with the task's DNS settings. Of a bridge task, it only keeps the task's bridge up (a bridge without a
// running endpoint loses carrier, and a stop-first swap would wait for it). Labels: berth.task=<family>,
// berth.role=holder and berth.spec-hash; never berth.service.
nlohmann::json holder_create_body(const TaskSpec& task, const std::string& image);

// POST /networks/create for a bridge-mode or awsvpc task: {"Name": "berth-<family>", "Driver": "bridge", ...}.
nlohmann::json network_create_body(const TaskSpec& task);

// POST /volumes/create for a task volume of kind kDockerVolume.
nlohmann::json volume_create_body(const TaskSpec& task, const TaskVolume& volume);

}  // namespace berth::config
