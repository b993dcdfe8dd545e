#pragma once

// Service files: one ECS task definition each (CONTRACT section 4). The loader keeps every field that
// means something on one Docker host and refuses, with the reason and the alternative, the fields that
// cannot (the README's "Task definition fields" lists them all).

#include "config/problems.hpp"
#include "config/service_policy.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::config {

enum class NetworkMode {
  kBridge,  // the task's own user network berth-<family>; containers reach each other by name
  kHost,
  kNone,
  // Fargate's semantics on one host: the task's containers share the network namespace of a holder
  // container (<family>.berth-holder, on the network berth-<family>), reach each other on localhost, and
  // every containerPort is published on the same host port by the holder.
  kAwsvpc,
};
std::string_view to_string(NetworkMode mode);

enum class Protocol { kTcp, kUdp };
std::string_view to_string(Protocol protocol);

struct PortMapping {
  int container_port = 0;
  int container_port_last = 0;   // the end of a containerPortRange; equal to container_port otherwise
  std::optional<int> host_port;  // empty or 0 in the file: Docker picks a free port (ECS dynamic ports)
  Protocol protocol = Protocol::kTcp;
  friend bool operator==(const PortMapping&, const PortMapping&) = default;
};

struct EnvVar {
  std::string name;
  std::string value;
  friend bool operator==(const EnvVar&, const EnvVar&) = default;
};

// An environment variable whose value lives in SSM Parameter Store or Secrets Manager (`valueFrom`):
// read with the instance role when the container is created, never stored.
struct SecretVar {
  std::string name;
  std::string value_from;
  friend bool operator==(const SecretVar&, const SecretVar&) = default;
};

// ECS semantics and defaults; seconds.
struct HealthCheck {
  std::vector<std::string> command;  // starts with CMD or CMD-SHELL, as Docker's Healthcheck.Test
  int interval_s = 30;
  int timeout_s = 5;
  int retries = 3;
  int start_period_s = 0;
  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

struct MountPoint {
  std::string source_volume;  // a TaskVolume name
  std::string container_path;
  bool read_only = false;
};

struct VolumeFrom {
  std::string source_container;
  bool read_only = false;
};

struct LogConfig {
  std::string driver;
  std::map<std::string, std::string> options;
};

struct Ulimit {
  std::string name;
  std::int64_t soft = 0;
  std::int64_t hard = 0;
};

struct HostEntry {
  std::string hostname;
  std::string ip_address;
};

struct Device {
  std::string host_path;
  std::string container_path;  // the host path when the file gives none
  std::string permissions;     // Docker's cgroup permissions: a subset of "rwm"
};

struct TmpfsMount {
  std::string container_path;
  int size_mib = 0;
  std::vector<std::string> mount_options;
};

struct LinuxParameters {
  bool init = false;  // initProcessEnabled
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::optional<int> shared_memory_mib;
  std::vector<TmpfsMount> tmpfs;
  std::vector<Device> devices;
  std::optional<int> max_swap_mib;
  std::optional<int> swappiness;
};

enum class DependencyCondition { kStart, kComplete, kSuccess, kHealthy };
std::string_view to_string(DependencyCondition condition);

struct Dependency {
  std::string container;
  DependencyCondition condition = DependencyCondition::kStart;
};

// Docker's restart policy for the container (see the README's "Task definition fields" for how ECS restartPolicy and
// its absence map onto it).
enum class RestartMode { kUnlessStopped, kOnFailure, kNo };
std::string_view to_string(RestartMode mode);

struct ContainerSpec {
  std::string name;  // also the Docker container name (and the service's)
  // Its name on the task's network: the task definition's name. Differs from `name` only for a name of one
  // character, which ECS takes and Docker does not: that container runs as "<family>-<name>".
  std::string alias;
  std::string image;
  bool essential = true;
  std::vector<PortMapping> port_mappings;
  std::vector<EnvVar> environment;
  std::vector<SecretVar> secrets;
  // Absolute paths on the host, read when the files are loaded, and ARNs of S3 objects (type s3), read
  // when the container is created; in the task definition's order.
  std::vector<std::string> environment_files;
  std::vector<std::string> command;            // empty: the image's CMD
  std::vector<std::string> entry_point;        // empty: the image's ENTRYPOINT
  std::string working_directory;
  std::string user;
  std::string hostname;
  std::optional<int> memory_mib;              // hard limit
  std::optional<int> memory_reservation_mib;  // soft limit
  int cpu_units = 0;                          // 1024 = one CPU; relative weight (CpuShares)
  int gpu_count = 0;                          // resourceRequirements GPU
  std::optional<HealthCheck> health_check;
  std::map<std::string, std::string> docker_labels;
  ServicePolicy policy;  // from the berth.* labels in docker_labels
  std::vector<MountPoint> mount_points;
  std::vector<VolumeFrom> volumes_from;
  std::optional<LogConfig> log_configuration;
  std::vector<Ulimit> ulimits;
  int stop_timeout_s = 30;             // ECS's default on EC2; Docker's own would be 10
  std::optional<int> start_timeout_s;  // how long to wait for dependsOn conditions
  std::vector<HostEntry> extra_hosts;
  std::vector<std::string> dns_servers;
  std::vector<std::string> dns_search_domains;
  std::vector<std::string> security_options;  // dockerSecurityOptions, in Docker's key=value form
  bool readonly_root_filesystem = false;
  bool privileged = false;
  bool interactive = false;
  bool pseudo_terminal = false;
  bool disable_networking = false;
  LinuxParameters linux_parameters;
  std::vector<Dependency> depends_on;
  RestartMode restart = RestartMode::kUnlessStopped;
  std::vector<std::string> links;  // "name" or "name:alias"
  std::map<std::string, std::string> system_controls;
};

enum class VolumeKind {
  kBind,          // host.sourcePath: a directory or file of the host
  kDockerVolume,  // a named Docker volume (dockerVolumeConfiguration, or a volume with no host path)
};

struct TaskVolume {
  std::string name;  // what mountPoints[].sourceVolume names
  VolumeKind kind = VolumeKind::kDockerVolume;
  std::string source;  // the host path, or the Docker volume name
  std::string driver = "local";
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;
  bool must_exist = false;  // scope shared with autoprovision false: the agent checks, never creates
  // An EFS file system, mounted over NFS by Docker's local driver; its address needs the region, which
  // comes from agent.json (efs_driver_options).
  std::optional<std::string> efs_file_system;
  std::string efs_root = "/";
};

// The local driver's options that mount an EFS file system in `region` (what amazon-efs-utils would do
// without TLS or IAM).
std::map<std::string, std::string> efs_driver_options(const TaskVolume& volume, const std::string& region);

// kTask (awsvpc tasks only): the namespace of the task's holder container, shared by all its containers.
enum class PidMode { kDefault, kHost, kTask };
enum class IpcMode { kDefault, kHost, kNone, kTask };

struct TaskSpec {
  std::string family;
  NetworkMode network_mode = NetworkMode::kBridge;
  std::vector<ContainerSpec> containers;
  std::vector<TaskVolume> volumes;
  std::optional<int> cpu_units;   // task-level cpu: a hard CPU cap applied to each container
  std::optional<int> memory_mib;  // task-level memory: the hard limit of containers without their own
  PidMode pid_mode = PidMode::kDefault;
  IpcMode ipc_mode = IpcMode::kDefault;
  std::optional<std::string> platform;  // "linux/amd64" or "linux/arm64" from runtimePlatform

  // The user network of a bridge-mode or awsvpc task: "berth-<family>".
  [[nodiscard]] std::string network_name() const { return "berth-" + family; }
  // The container that holds an awsvpc task's namespaces: "<family>.berth-holder" (".berth-" is reserved
  // in container names, so no service can take it).
  [[nodiscard]] std::string holder_name() const { return family + ".berth-holder"; }
  [[nodiscard]] const ContainerSpec* container(std::string_view name) const;
  [[nodiscard]] const TaskVolume* volume(std::string_view name) const;
};

// Reads one service file. `file_label` names it in problems (see display_path).
LoadResult<TaskSpec> load_task_definition(std::string_view json_text, std::string file_label);

// Indexes into task.containers in start order: a container after everything it depends on (dependsOn,
// links, volumesFrom), otherwise in file order. Stopping goes in reverse. Assumes a loaded (acyclic) task.
std::vector<std::size_t> start_order(const TaskSpec& task);

// Checks that hold between service files: container names (they are Docker container names), families
// (they name networks) and fixed host ports are each used once on the host.
struct LoadedService {
  std::string file_label;
  TaskSpec task;
};
Problems check_services(const std::vector<LoadedService>& services);

// ECS task-level memory ("512", "1GB", "1 GB", "0.5GB") in MiB and cpu ("1024", "1 vCPU", "0.25 vcpu") in
// units; empty when the text is neither.
std::optional<int> parse_task_memory(std::string_view text);
std::optional<int> parse_task_cpu(std::string_view text);

}  // namespace berth::config
