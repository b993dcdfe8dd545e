// The task level of a service file: family, network mode, volumes, task-wide settings and the AWS
// fields that are accepted and ignored or refused. Container definitions are read in
// container_definition.cpp and container_linux.cpp; checks between containers in task_checks.cpp.

#include "config/task_definition.hpp"

#include "common/text.hpp"
#include "config/address.hpp"
#include "config/task_parsing.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

namespace berth::config {

namespace {

using detail::Json;
using detail::ObjectReader;
using detail::ProblemSink;
using detail::TaskContext;

// ECS: up to 255 letters, digits, hyphens and underscores (families, volume names).
bool is_ecs_name(std::string_view name) {
  return !name.empty() && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

// "1", "0.5", "2.25"; empty when not a plain non-negative decimal.
std::optional<double> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  double value = 0;
  double scale = 0;
  for (const char c : text) {
    if (c == '.') {
      if (scale != 0) return std::nullopt;
      scale = 1;
    } else if (c >= '0' && c <= '9') {
      if (scale != 0) {
        scale /= 10;
        value += (c - '0') * scale;
      } else {
        value = value * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  if (text.front() == '.' || text.back() == '.') return std::nullopt;
  return value;
}

// A number with an optional unit ("1GB", "1 GB", "0.25 vCPU"), scaled by `per_unit` when the unit is given.
std::optional<int> parse_scaled(std::string_view text, std::string_view unit, int per_unit) {
  std::string lower = common::to_lower(text);
  std::string_view rest = lower;
  bool scaled = false;
  const std::string lower_unit = common::to_lower(unit);
  if (rest.size() > lower_unit.size() && rest.substr(rest.size() - lower_unit.size()) == lower_unit) {
    rest.remove_suffix(lower_unit.size());
    if (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    scaled = true;
  }
  const auto number = parse_decimal(rest);
  if (!number) return std::nullopt;
  if (!scaled && rest.find('.') != std::string_view::npos) return std::nullopt;
  const double value = scaled ? *number * per_unit : *number;
  if (value > 1e9 || value != std::floor(value)) return std::nullopt;
  return static_cast<int>(value);
}

void read_family(ObjectReader& top, TaskSpec& task) {
  if (auto family = top.string("family")) {
    if (!is_ecs_name(*family)) {
      top.report("family", "\"" + *family + "\" is not a valid family: 1 to 255 letters, digits, '-' or '_'");
    } else {
      task.family = *family;
    }
  } else if (top.find("family") == nullptr) {
    top.report("family", "is missing; name the task (it also names the network berth-<family>)");
  }
}

void read_network_mode(ObjectReader& top, TaskSpec& task) {
  const auto mode = top.string("networkMode");
  if (!mode || *mode == "bridge") return;
  if (*mode == "host") {
    task.network_mode = NetworkMode::kHost;
  } else if (*mode == "none") {
    task.network_mode = NetworkMode::kNone;
  } else if (*mode == "awsvpc") {
    task.network_mode = NetworkMode::kAwsvpc;
  } else {
    top.report("networkMode", "\"" + *mode + "\" is not a network mode; use bridge, awsvpc, host or none");
  }
}

void read_task_resources(ObjectReader& top, TaskSpec& task) {
  if (auto cpu = top.string("cpu")) {
    const auto units = parse_task_cpu(*cpu);
    if (!units) {
      top.report("cpu", "\"" + *cpu + "\" is not a CPU amount; write CPU units (\"1024\") or vCPUs (\"1 vCPU\")");
    } else if (*units < 128 || *units > 196608) {
      top.report("cpu", "\"" + *cpu + "\" is out of range; use 128 (0.125 vCPU) to 196608 units");
    } else {
      task.cpu_units = units;
    }
  }
  if (auto memory = top.string("memory")) {
    const auto mib = parse_task_memory(*memory);
    if (!mib) {
      top.report("memory", "\"" + *memory + "\" is not a memory amount; write MiB (\"512\") or GB (\"1 GB\")");
    } else if (*mib < 6) {
      top.report("memory", "\"" + *memory + "\" is below Docker's minimum of 6 MiB");
    } else {
      task.memory_mib = mib;
    }
  }
}

// EFS over plain NFS, as ECS mounts it without transit encryption or IAM. Those two (and access points,
// which need them) need amazon-efs-utils' mount helper, which Docker's local driver does not call.
bool read_efs(ObjectReader e, TaskVolume& volume) {
  constexpr std::string_view kHelper =
      "needs amazon-efs-utils (its TLS tunnel and IAM authorization), which Docker's volume driver cannot run: "
      "mount the file system on this host (mount -t efs -o tls,iam, or /etc/fstab) and use host.sourcePath";
  bool good = true;
  if (auto id = e.string("fileSystemId")) {
    const bool hex = id->size() == 11 || id->size() == 20;
    if (!common::starts_with(*id, "fs-") || !hex ||
        !std::all_of(id->begin() + 3, id->end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
      e.report("fileSystemId", "\"" + *id + "\" is not an EFS file system id (fs- and 8 or 17 hex digits)");
      good = false;
    }
    volume.efs_file_system = *id;
  } else {
    if (e.find("fileSystemId") == nullptr) e.report_here("needs a fileSystemId");
    good = false;
  }
  if (auto root = e.string("rootDirectory")) {
    if (auto problem = absolute_path_problem(*root); !problem.empty()) {
      e.report("rootDirectory", std::move(problem));
      good = false;
    }
    volume.efs_root = *root;
  }
  if (auto tls = e.string("transitEncryption"); tls && *tls == "ENABLED") {
    e.report("transitEncryption", "ENABLED " + std::string(kHelper));
    good = false;
  } else if (tls && *tls != "DISABLED") {
    e.report("transitEncryption", "\"" + *tls + "\" is not ENABLED or DISABLED");
    good = false;
  }
  e.ignore("transitEncryptionPort");  // the TLS tunnel's port: without TLS there is none
  if (const Json* auth = e.object("authorizationConfig")) {
    ObjectReader a(*auth, e.path_of("authorizationConfig"), e.sink());
    if (auto iam = a.string("iam"); iam && *iam == "ENABLED") {
      a.report("iam", "ENABLED " + std::string(kHelper));
      good = false;
    }
    if (auto point = a.string("accessPointId"); point && !point->empty()) {
      a.report("accessPointId", "an access point " + std::string(kHelper));
      good = false;
    }
    a.finish();
  }
  e.finish();
  return good;
}

void read_volume(ObjectReader& v, TaskSpec& task, TaskContext& context) {
  TaskVolume volume;
  bool good = true;
  if (auto name = v.string("name")) {
    if (!is_ecs_name(*name)) {
      v.report("name", "\"" + *name + "\" is not a valid volume name: letters, digits, '-' or '_'");
      good = false;
    } else if (!context.volume_names.insert(*name).second) {
      v.report("name", "\"" + *name + "\" is already the name of another volume");
      good = false;
    }
    volume.name = *name;
  } else {
    if (v.find("name") == nullptr) v.report_here("needs a name (mountPoints refer to it as sourceVolume)");
    good = false;
  }
  const std::string task_scoped_name = "berth-" + task.family + "-" + volume.name;
  const Json* host = v.object("host");
  const Json* docker = v.object("dockerVolumeConfiguration");
  if (host != nullptr && docker != nullptr) {
    v.report_here("give host or dockerVolumeConfiguration, not both");
    good = false;
  }
  volume.source = task_scoped_name;  // a volume with neither: a named Docker volume kept across swaps
  if (host != nullptr) {
    ObjectReader h(*host, v.path_of("host"), v.sink());
    if (auto source = h.string("sourcePath")) {
      if (auto problem = absolute_path_problem(*source); !problem.empty()) {
        h.report("sourcePath", std::move(problem));
        good = false;
      }
      volume.kind = VolumeKind::kBind;
      volume.source = *source;
    }
    h.finish();
  } else if (docker != nullptr) {
    ObjectReader d(*docker, v.path_of("dockerVolumeConfiguration"), v.sink());
    bool shared = false;
    if (auto scope = d.string("scope")) {
      if (*scope == "shared") {
        shared = true;
      } else if (*scope != "task") {
        d.report("scope", "\"" + *scope + "\" is not a scope; use task or shared");
        good = false;
      }
    }
    if (auto autoprovision = d.boolean("autoprovision")) {
      if (!shared) {
        d.report("autoprovision", "applies only to \"scope\": \"shared\"");
        good = false;
      }
      volume.must_exist = shared && !*autoprovision;
    } else {
      volume.must_exist = shared;  // ECS's default: a shared volume is not created unless autoprovision says so
    }
    if (shared) {
      volume.source = volume.name;
      if (volume.name.size() < 2) {
        v.report("name", "a shared volume is the Docker volume of that name, which needs at least 2 characters");
        good = false;
      }
    }
    if (auto driver = d.string("driver")) {
      if (driver->empty()) {
        d.report("driver", "is empty");
      } else {
        volume.driver = *driver;
      }
    }
    if (auto opts = d.string_map("driverOpts")) volume.driver_opts = std::move(*opts);
    if (auto labels = d.string_map("labels")) volume.labels = std::move(*labels);
    d.finish();
  }
  if (auto at_launch = v.boolean("configuredAtLaunch"); at_launch && *at_launch) {
    v.report("configuredAtLaunch",
             "volumes configured at launch are attached by an ECS service; use host.sourcePath "
             "or dockerVolumeConfiguration");
    good = false;
  }
  if (const Json* efs = v.object("efsVolumeConfiguration")) {
    good = read_efs(ObjectReader(*efs, v.path_of("efsVolumeConfiguration"), v.sink()), volume) && good;
    if (host != nullptr || docker != nullptr) {
      v.report_here("give one of host, dockerVolumeConfiguration and efsVolumeConfiguration");
      good = false;
    }
  }
  v.refuse("fsxWindowsFileServerVolumeConfiguration",
           "FSx for Windows File Server volumes are for Windows containers; berth runs Linux containers");
  if (good) task.volumes.push_back(std::move(volume));
}

void read_platform(ObjectReader& top, TaskSpec& task) {
  const Json* value = top.object("runtimePlatform");
  if (value == nullptr) return;
  ObjectReader p(*value, top.path_of("runtimePlatform"), top.sink());
  if (auto arch = p.string("cpuArchitecture")) {
    if (*arch == "X86_64") {
      task.platform = "linux/amd64";
    } else if (*arch == "ARM64") {
      task.platform = "linux/arm64";
    } else {
      p.report("cpuArchitecture", "\"" + *arch + "\" is not X86_64 or ARM64");
    }
  }
  if (auto os = p.string("operatingSystemFamily")) {
    if (common::starts_with(*os, "WINDOWS")) {
      p.report("operatingSystemFamily", "berth runs Linux containers; use LINUX");
    } else if (*os != "LINUX") {
      p.report("operatingSystemFamily", "\"" + *os + "\" is not an operating system family; use LINUX");
    }
  }
  p.finish();
}

void read_namespaces_and_compatibility(ObjectReader& top, TaskSpec& task) {
  // "task" shares the namespace of the holder container, which only an awsvpc task has; a swap replaces
  // one container and the namespace stays with the holder.
  const bool holder = task.network_mode == NetworkMode::kAwsvpc;
  if (auto pid = top.string("pidMode")) {
    if (*pid == "host") {
      task.pid_mode = PidMode::kHost;
    } else if (*pid == "task" && holder) {
      task.pid_mode = PidMode::kTask;
    } else if (*pid == "task") {
      top.report("pidMode",
                 "task shares the PID namespace of the task's holder container, which berth creates only for "
                 "networkMode awsvpc; use awsvpc, host, or leave pidMode out");
    } else {
      top.report("pidMode", "\"" + *pid + "\" is not a PID mode; use host or task, or leave pidMode out");
    }
  }
  if (auto ipc = top.string("ipcMode")) {
    if (*ipc == "host") {
      task.ipc_mode = IpcMode::kHost;
    } else if (*ipc == "none") {
      task.ipc_mode = IpcMode::kNone;
    } else if (*ipc == "task" && holder) {
      task.ipc_mode = IpcMode::kTask;
    } else if (*ipc == "task") {
      top.report("ipcMode",
                 "task shares the IPC namespace of the task's holder container, which berth creates only for "
                 "networkMode awsvpc; use awsvpc, host or none, or leave ipcMode out");
    } else {
      top.report("ipcMode", "\"" + *ipc + "\" is not an IPC mode; use host, none or task, or leave ipcMode out");
    }
  }
  if (auto compatibilities = top.strings("requiresCompatibilities")) {
    // EC2 and EXTERNAL (ECS Anywhere) describe a host like this one. FARGATE only says the task also runs
    // there; the Fargate-only fields it brings along are refused one by one.
    for (std::size_t i = 0; i < compatibilities->size(); ++i) {
      const auto& c = (*compatibilities)[i];
      if (c != "EC2" && c != "EXTERNAL" && c != "FARGATE") {
        top.sink().add(json_path_index(top.path_of("requiresCompatibilities"), i),
                       "\"" + c + "\" is not EC2, EXTERNAL or FARGATE");
      }
    }
  }
  read_platform(top, task);
  if (auto fault_injection = top.boolean("enableFaultInjection"); fault_injection && *fault_injection) {
    top.report("enableFaultInjection", "fault injection endpoints are served by the ECS agent; set false or remove it");
  }
}

void read_aws_only_fields(ObjectReader& top) {
  // Accepted and ignored: IAM roles and tags ECS uses around the task, and the metadata
  // describe-task-definition returns, so a definition copied from ECS loads unchanged.
  top.ignore({"taskRoleArn", "executionRoleArn", "tags", "taskDefinitionArn", "revision", "status",
              "requiresAttributes", "compatibilities", "registeredAt", "registeredBy", "deregisteredAt"});
  top.refuse("placementConstraints",
             "placement chooses among the instances of an ECS cluster; berth runs the task on this host, so remove it");
  top.refuse("proxyConfiguration", "App Mesh proxy configuration needs ECS; remove it");
  top.refuse("inferenceAccelerators", "Elastic Inference accelerators exist only on ECS; remove them");
  top.accept_with_note("ephemeralStorage",
                       "ignored: it sizes a Fargate task's disk; here containers use the Docker host's disk (mount a "
                       "volume for more room)");
}

// Names, essential flags and health checks of every container, for the checks that refer to siblings.
void scan_siblings(const Json& definitions, const std::string& path, TaskContext& context, const ProblemSink& sink) {
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < definitions.size(); ++i) {
    detail::SiblingInfo info;
    const Json& c = definitions[i];
    if (c.is_object()) {
      if (const auto it = c.find("name"); it != c.end() && it->is_string()) info.name = it->get<std::string>();
      if (const auto it = c.find("essential"); it != c.end() && it->is_boolean()) info.essential = it->get<bool>();
      if (const auto it = c.find("healthCheck"); it != c.end() && it->is_object()) info.has_health_check = true;
    }
    if (!info.name.empty()) {
      const auto [it, inserted] = first.emplace(info.name, i);
      if (!inserted) {
        sink.add(json_path_key(json_path_index(path, i), "name"),
                 "\"" + info.name + "\" is already the name of " + json_path_index(path, it->second) +
                     "; container names are Docker container names and must be unique");
      }
    }
    context.siblings.push_back(std::move(info));
  }
}

}  // namespace

std::optional<int> parse_task_memory(std::string_view text) {
  if (auto v = parse_scaled(text, "GB", 1024)) return v;
  return std::nullopt;
}

std::optional<int> parse_task_cpu(std::string_view text) {
  if (auto v = parse_scaled(text, "vCPU", 1024)) return v;
  return std::nullopt;
}

namespace {

// Every container definition of `definitions` (at `path`), with the checks that refer to siblings.
void read_containers(const Json& definitions, const std::string& path, TaskSpec& task, TaskContext& context,
                     const ProblemSink& sink) {
  if (definitions.empty()) sink.add(path, "is empty; a task needs at least one container");
  scan_siblings(definitions, path, context, sink);
  for (std::size_t i = 0; i < definitions.size(); ++i) {
    ObjectReader c(definitions[i], json_path_index(path, i), sink);
    if (c.valid()) task.containers.push_back(detail::read_container(c, i, context));
    c.finish();
  }
}

// A task definition object: what register-task-definition takes, or what describe-task-definition returns
// inside "taskDefinition".
TaskSpec read_task(ObjectReader& top, const ProblemSink& sink) {
  TaskSpec task;
  TaskContext context;
  read_family(top, task);
  read_network_mode(top, task);
  context.network_mode = task.network_mode;
  read_task_resources(top, task);
  context.task_memory_mib = task.memory_mib;
  detail::for_each_object(top, "volumes", [&](ObjectReader& v, std::size_t) { read_volume(v, task, context); });
  if (const Json* definitions = top.array("containerDefinitions")) {
    read_containers(*definitions, top.path_of("containerDefinitions"), task, context, sink);
  } else if (top.find("containerDefinitions") == nullptr) {
    top.report("containerDefinitions", "is missing; a task needs at least one container");
  }
  read_namespaces_and_compatibility(top, task);
  read_aws_only_fields(top);
  top.finish();
  detail::finish_task(task, context, sink);
  return task;
}

// A bare containerDefinitions array, as Terraform keeps it: a bridge task named after the file.
TaskSpec read_container_array(const Json& definitions, const ProblemSink& sink) {
  TaskSpec task;
  TaskContext context;
  const std::string family = std::filesystem::path(sink.file()).stem().string();
  if (!is_ecs_name(family)) {
    sink.add("", "a bare containerDefinitions array takes its family from the file's name, and \"" + family +
                     "\" is not a valid family (1 to 255 letters, digits, '-' or '_'): rename the file");
  }
  task.family = family;
  context.network_mode = task.network_mode;
  context.bare_array = true;
  read_containers(definitions, "", task, context, sink);
  detail::finish_task(task, context, sink);
  return task;
}

}  // namespace

LoadResult<TaskSpec> load_task_definition(std::string_view json_text, std::string file_label) {
  LoadResult<TaskSpec> result;
  const ProblemSink sink(result.problems, std::move(file_label), &result.notes);
  const auto root = detail::parse_json(json_text, sink);
  if (!root) return result;
  TaskSpec task;
  if (root->is_array()) {
    task = read_container_array(*root, sink);
  } else if (root->is_object() && root->contains("taskDefinition") && !root->contains("containerDefinitions")) {
    // The output of describe-task-definition, as it is: the definition, and the task's tags beside it.
    ObjectReader wrapper(*root, "", sink);
    wrapper.ignore("tags");
    if (const Json* inner = wrapper.object("taskDefinition")) {
      ObjectReader top(*inner, "taskDefinition", sink);
      task = read_task(top, sink);
    }
    wrapper.finish();
  } else {
    ObjectReader top(*root, "", sink);
    if (!top.valid()) return result;
    task = read_task(top, sink);
  }
  if (result.problems.empty()) result.value = std::move(task);
  return result;
}

std::map<std::string, std::string> efs_driver_options(const TaskVolume& volume, const std::string& region) {
  // The mount options AWS documents for EFS over NFSv4.1.
  return {{"type", "nfs"},
          {"o", "addr=" + volume.efs_file_system.value_or("") + ".efs." + region +
                    ".amazonaws.com,nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport"},
          {"device", ":" + volume.efs_root}};
}

const ContainerSpec* TaskSpec::container(std::string_view name) const {
  for (const auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const TaskVolume* TaskSpec::volume(std::string_view name) const {
  for (const auto& v : volumes) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::string_view to_string(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::kBridge: return "bridge";
    case NetworkMode::kHost: return "host";
    case NetworkMode::kNone: return "none";
    case NetworkMode::kAwsvpc: return "awsvpc";
  }
  return "bridge";
}

std::string_view to_string(Protocol protocol) { return protocol == Protocol::kUdp ? "udp" : "tcp"; }

std::string_view to_string(DependencyCondition condition) {
  switch (condition) {
    case DependencyCondition::kStart: return "START";
    case DependencyCondition::kComplete: return "COMPLETE";
    case DependencyCondition::kSuccess: return "SUCCESS";
    case DependencyCondition::kHealthy: return "HEALTHY";
  }
  return "START";
}

std::string_view to_string(RestartMode mode) {
  switch (mode) {
    case RestartMode::kUnlessStopped: return "unless-stopped";
    case RestartMode::kOnFailure: return "on-failure";
    case RestartMode::kNo: return "no";
  }
  return "no";
}

}  // namespace berth::config
