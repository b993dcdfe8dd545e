#pragma once

// Shared between the files that read a task definition; not part of the configuration API.

#include "config/json_reader.hpp"
#include "config/task_definition.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace berth::config::detail {

// What a container definition needs to know about the others before they are read.
struct SiblingInfo {
  std::string name;
  bool essential = true;
  bool has_health_check = false;
};

struct TaskContext {
  NetworkMode network_mode = NetworkMode::kBridge;
  std::optional<int> task_memory_mib;
  std::vector<SiblingInfo> siblings;    // by position in containerDefinitions
  std::set<std::string> volume_names;   // task volumes
  bool bare_array = false;              // a bare containerDefinitions array, which cannot declare volumes
  std::set<std::size_t> restart_given;  // containers with an explicit restartPolicy
  // Host ports held while the task runs, to report a second use: (protocol, port) -> JSON path of the first.
  std::map<std::pair<Protocol, int>, std::string> fixed_host_ports;
  // awsvpc: DNS settings the task's containers share (dnsServers, dnsSearchDomains) -> value and JSON path.
  std::map<std::string, std::pair<std::vector<std::string>, std::string>> shared_network_settings;
};

ContainerSpec read_container(ObjectReader& reader, std::size_t index, TaskContext& context);

// The fields of a container definition that shape its kernel view: linuxParameters, ulimits,
// systemControls, resourceRequirements, healthCheck, logConfiguration, restartPolicy.
void read_linux_parameters(ObjectReader& container, ContainerSpec& spec);
void read_ulimits(ObjectReader& container, ContainerSpec& spec);
void read_system_controls(ObjectReader& container, ContainerSpec& spec, const TaskContext& context);
void read_resource_requirements(ObjectReader& container, ContainerSpec& spec);
void read_health_check(ObjectReader& container, ContainerSpec& spec);
void read_log_configuration(ObjectReader& container, ContainerSpec& spec);
void read_restart_policy(ObjectReader& container, ContainerSpec& spec);

// Checks between the containers of one task once all are read: dependency cycles and the default
// restart policy of run-once containers.
void finish_task(TaskSpec& task, TaskContext& context, const ProblemSink& sink);

}  // namespace berth::config::detail
