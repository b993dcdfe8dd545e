#include "config/docker_mapping.hpp"

#include "common/hash.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <iterator>

namespace berth::config {

namespace {

using nlohmann::json;

constexpr std::int64_t kMiB = std::int64_t{1024} * 1024;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::string port_key(int port, Protocol protocol) {
  return std::to_string(port) + "/" + std::string(to_string(protocol));
}

json health_check(const HealthCheck& check) {
  json out = {{"Test", check.command},
              {"Interval", std::int64_t{check.interval_s} * kNanosPerSecond},
              {"Timeout", std::int64_t{check.timeout_s} * kNanosPerSecond},
              {"Retries", check.retries}};
  if (check.start_period_s > 0) out["StartPeriod"] = std::int64_t{check.start_period_s} * kNanosPerSecond;
  return out;
}

bool is_switched(const TaskSpec& task, const ContainerSpec& c, const PortMapping& m) {
  return c.policy.strategy == Strategy::kStartFirst && task.network_mode == NetworkMode::kBridge &&
         !c.disable_networking && m.protocol == Protocol::kTcp && m.host_port && *m.host_port > 0 &&
         m.container_port == m.container_port_last;
}

void add_ports(const TaskSpec& task, const ContainerSpec& c, json& config, json& host_config) {
  // awsvpc: the holder publishes the task's ports; Docker refuses ports on a container that joins another's
  // network namespace.
  if (c.port_mappings.empty() || task.network_mode == NetworkMode::kAwsvpc) return;
  const bool publish = task.network_mode == NetworkMode::kBridge && !c.disable_networking;
  json exposed = json::object();
  json bindings = json::object();
  for (const auto& m : c.port_mappings) {
    for (int port = m.container_port; port <= m.container_port_last; ++port) {
      const std::string key = port_key(port, m.protocol);
      exposed[key] = json::object();
      if (!publish) continue;
      if (is_switched(task, c, m)) {
        // berth's port: the container gets a loopback port of its own (probes reach it there).
        bindings[key].push_back({{"HostIp", "127.0.0.1"}, {"HostPort", ""}});
        continue;
      }
      const std::string host_port = m.host_port ? std::to_string(*m.host_port) : "";
      bindings[key].push_back({{"HostIp", ""}, {"HostPort", host_port}});
    }
  }
  config["ExposedPorts"] = std::move(exposed);
  if (!bindings.empty()) host_config["PortBindings"] = std::move(bindings);
}

void add_storage(const TaskSpec& task, const ContainerSpec& c, json& host_config) {
  json binds = json::array();
  json mounts = json::array();
  for (const auto& m : c.mount_points) {
    const TaskVolume* volume = task.volume(m.source_volume);
    if (volume == nullptr) continue;  // a loaded task has every volume it mounts
    if (volume->kind == VolumeKind::kBind) {
      binds.push_back(volume->source + ":" + m.container_path + (m.read_only ? ":ro" : ""));
      continue;
    }
    json mount = {
        {"Type", "volume"}, {"Source", volume->source}, {"Target", m.container_path}, {"ReadOnly", m.read_only}};
    if (!volume->must_exist) {
      // Used by Docker when it creates a missing volume at container create.
      json driver = {{"Name", volume->driver}};
      if (!volume->driver_opts.empty()) driver["Options"] = volume->driver_opts;
      json labels = volume->labels;
      labels["berth.task"] = task.family;
      mount["VolumeOptions"] = {{"DriverConfig", std::move(driver)}, {"Labels", std::move(labels)}};
    }
    mounts.push_back(std::move(mount));
  }
  if (!binds.empty()) host_config["Binds"] = std::move(binds);
  if (!mounts.empty()) host_config["Mounts"] = std::move(mounts);
  if (!c.volumes_from.empty()) {
    json from = json::array();
    for (const auto& v : c.volumes_from) from.push_back(v.source_container + (v.read_only ? ":ro" : ""));
    host_config["VolumesFrom"] = std::move(from);
  }
  if (!c.linux_parameters.tmpfs.empty()) {
    json tmpfs = json::object();
    for (const auto& t : c.linux_parameters.tmpfs) {
      std::string options;
      for (const auto& o : t.mount_options) options += o + ",";
      options += "size=" + std::to_string(t.size_mib) + "m";
      tmpfs[t.container_path] = options;
    }
    host_config["Tmpfs"] = std::move(tmpfs);
  }
}

void add_resources(const TaskSpec& task, const ContainerSpec& c, json& host_config) {
  const std::optional<int> memory = c.memory_mib ? c.memory_mib : task.memory_mib;
  if (memory) host_config["Memory"] = std::int64_t{*memory} * kMiB;
  if (c.memory_reservation_mib) host_config["MemoryReservation"] = std::int64_t{*c.memory_reservation_mib} * kMiB;
  const auto& lp = c.linux_parameters;
  if (lp.max_swap_mib && memory) host_config["MemorySwap"] = (std::int64_t{*memory} + *lp.max_swap_mib) * kMiB;
  if (lp.swappiness) host_config["MemorySwappiness"] = *lp.swappiness;
  // The kernel's smallest weight is 2; ECS gives containers with cpu 0 or 1 that weight too, but an unset
  // cpu here leaves Docker's default (1024), as a container started by hand gets.
  if (c.cpu_units > 0) host_config["CpuShares"] = std::max(c.cpu_units, 2);
  if (task.cpu_units) host_config["NanoCpus"] = std::int64_t{*task.cpu_units} * kNanosPerSecond / 1024;
  if (c.gpu_count > 0) {
    host_config["DeviceRequests"] =
        json::array({{{"Driver", ""}, {"Count", c.gpu_count}, {"Capabilities", json::array({json::array({"gpu"})})}}});
  }
  if (!c.ulimits.empty()) {
    json ulimits = json::array();
    for (const auto& u : c.ulimits) ulimits.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
    host_config["Ulimits"] = std::move(ulimits);
  }
  if (lp.shared_memory_mib) host_config["ShmSize"] = std::int64_t{*lp.shared_memory_mib} * kMiB;
}

void add_privileges(const TaskSpec& task, const ContainerSpec& c, json& host_config) {
  const auto& lp = c.linux_parameters;
  if (c.privileged) host_config["Privileged"] = true;
  if (c.readonly_root_filesystem) host_config["ReadonlyRootfs"] = true;
  if (lp.init) host_config["Init"] = true;
  if (!lp.cap_add.empty()) host_config["CapAdd"] = lp.cap_add;
  if (!lp.cap_drop.empty()) host_config["CapDrop"] = lp.cap_drop;
  if (!lp.devices.empty()) {
    json devices = json::array();
    for (const auto& d : lp.devices) {
      devices.push_back(
          {{"PathOnHost", d.host_path}, {"PathInContainer", d.container_path}, {"CgroupPermissions", d.permissions}});
    }
    host_config["Devices"] = std::move(devices);
  }
  if (!c.system_controls.empty()) host_config["Sysctls"] = c.system_controls;
  if (!c.security_options.empty()) host_config["SecurityOpt"] = c.security_options;
  if (task.pid_mode == PidMode::kHost) host_config["PidMode"] = "host";
  if (task.pid_mode == PidMode::kTask) host_config["PidMode"] = "container:" + task.holder_name();
  if (task.ipc_mode == IpcMode::kHost) host_config["IpcMode"] = "host";
  if (task.ipc_mode == IpcMode::kNone) host_config["IpcMode"] = "none";
  if (task.ipc_mode == IpcMode::kTask) host_config["IpcMode"] = "container:" + task.holder_name();
}

void add_network(const TaskSpec& task, const ContainerSpec& c, json& body, json& host_config) {
  if (c.disable_networking) {
    body["NetworkDisabled"] = true;
    host_config["NetworkMode"] = "none";
    return;
  }
  if (task.network_mode == NetworkMode::kAwsvpc) {
    // The holder's namespace, its /etc/hosts and resolv.conf (its DNS settings are the task's).
    host_config["NetworkMode"] = "container:" + task.holder_name();
    return;
  }
  if (!c.dns_servers.empty()) host_config["Dns"] = c.dns_servers;
  if (!c.dns_search_domains.empty()) host_config["DnsSearch"] = c.dns_search_domains;
  if (!c.extra_hosts.empty()) {
    json hosts = json::array();
    for (const auto& h : c.extra_hosts) hosts.push_back(h.hostname + ":" + h.ip_address);
    host_config["ExtraHosts"] = std::move(hosts);
  }
  switch (task.network_mode) {
    case NetworkMode::kHost: host_config["NetworkMode"] = "host"; return;
    case NetworkMode::kNone: host_config["NetworkMode"] = "none"; return;
    case NetworkMode::kBridge:
    case NetworkMode::kAwsvpc: break;
  }
  const std::string network = task.network_name();
  host_config["NetworkMode"] = network;
  json endpoint = {{"Aliases", json::array({c.alias.empty() ? c.name : c.alias})}};
  // On a user network, links are aliases of the endpoint rather than legacy /etc/hosts links.
  if (!c.links.empty()) endpoint["Links"] = c.links;
  body["NetworkingConfig"] = {{"EndpointsConfig", {{network, std::move(endpoint)}}}};
}

}  // namespace

std::vector<SwitchedPort> switched_ports(const TaskSpec& task, const ContainerSpec& c) {
  std::vector<SwitchedPort> out;
  for (const auto& m : c.port_mappings) {
    if (is_switched(task, c, m)) out.push_back({*m.host_port, m.container_port});
  }
  return out;
}

common::Result<std::vector<std::string>> resolve_environment(const ContainerSpec& container,
                                                             const EnvFileContents& env_files) {
  std::vector<EnvVar> merged;
  const auto set = [&](const EnvVar& var) {
    auto it = std::find_if(merged.begin(), merged.end(), [&](const EnvVar& v) { return v.name == var.name; });
    if (it != merged.end()) {
      it->value = var.value;
    } else {
      merged.push_back(var);
    }
  };
  for (const auto& path : container.environment_files) {
    const auto it = env_files.find(path);
    if (it == env_files.end() && is_s3_environment_file(path)) {
      continue;  // not read yet: added when the container is created
    }
    if (it == env_files.end()) {
      return common::make_error(common::ErrorKind::kInvalidArgument,
                                "container " + container.name + ": environment file " + path + " was not read");
    }
    for (const auto& var : it->second) set(var);
  }
  for (const auto& var : container.environment) set(var);
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& var : merged) out.push_back(var.name + "=" + var.value);
  return out;
}

common::Result<nlohmann::json> to_create_body(const TaskSpec& task, const ContainerSpec& c,
                                              const EnvFileContents& env_files) {
  auto env = resolve_environment(c, env_files);
  if (!env) return env.error();
  json body = json::object();
  json host_config = json::object();
  body["Image"] = c.image;
  if (!c.entry_point.empty()) body["Entrypoint"] = c.entry_point;
  if (!c.command.empty()) body["Cmd"] = c.command;
  if (!env->empty()) body["Env"] = *env;
  if (!c.working_directory.empty()) body["WorkingDir"] = c.working_directory;
  if (!c.user.empty()) body["User"] = c.user;
  if (!c.hostname.empty()) body["Hostname"] = c.hostname;
  if (c.health_check) body["Healthcheck"] = health_check(*c.health_check);
  body["StopTimeout"] = c.stop_timeout_s;
  if (c.interactive) body["OpenStdin"] = true;
  if (c.pseudo_terminal) body["Tty"] = true;

  json labels = c.docker_labels;
  labels[std::string(kLabelService)] = c.name;
  labels[std::string(kLabelTask)] = task.family;
  body["Labels"] = std::move(labels);

  add_ports(task, c, body, host_config);
  add_storage(task, c, host_config);
  add_resources(task, c, host_config);
  add_privileges(task, c, host_config);
  add_network(task, c, body, host_config);
  host_config["RestartPolicy"] = {{"Name", std::string(to_string(c.restart))}, {"MaximumRetryCount", 0}};
  if (c.log_configuration) {
    host_config["LogConfig"] = {{"Type", c.log_configuration->driver}, {"Config", c.log_configuration->options}};
  }
  body["HostConfig"] = std::move(host_config);

  // A secret's reference shapes the container (its value is read at creation and never kept).
  json hashed = body;
  for (const auto& secret : c.secrets) {
    hashed["BerthSecrets"].push_back({secret.name, secret.value_from});
  }
  for (const auto& file : c.environment_files) {
    if (is_s3_environment_file(file)) hashed["BerthEnvironmentFiles"].push_back(file);
  }
  body["Labels"][std::string(kLabelSpecHash)] = spec_hash(hashed);
  return body;
}

std::string spec_hash(const nlohmann::json& create_body) {
  json copy = create_body;
  // berth's own labels are left out: they say how berth watches the service (probe, poll, policy), and
  // changing that must not restart the container.
  if (auto labels = copy.find("Labels"); labels != copy.end() && labels->is_object()) {
    for (auto it = labels->begin(); it != labels->end();) {
      it = it.key().rfind("berth.", 0) == 0 ? labels->erase(it) : std::next(it);
    }
  }
  // nlohmann::json keeps object keys sorted, so the text is the same for the same content.
  const std::string text = "berth-spec-v1\n" + copy.dump();
  return common::hex(common::sha256(text));
}

nlohmann::json holder_create_body(const TaskSpec& task, const std::string& image) {
  json config = json::object();
  json host_config = json::object();
  json exposed = json::object();
  json bindings = json::object();
  // A bridge task's holder only keeps the task's bridge up: no ports, no DNS, no shared namespace.
  const bool awsvpc = task.network_mode == NetworkMode::kAwsvpc;
  for (const auto& c : task.containers) {
    if (c.disable_networking || !awsvpc) continue;
    for (const auto& m : c.port_mappings) {
      for (int port = m.container_port; port <= m.container_port_last; ++port) {
        const std::string key = port_key(port, m.protocol);
        exposed[key] = json::object();
        bindings[key] = json::array({{{"HostIp", ""}, {"HostPort", std::to_string(port)}}});
      }
    }
    if (!c.dns_servers.empty()) host_config["Dns"] = c.dns_servers;
    if (!c.dns_search_domains.empty()) host_config["DnsSearch"] = c.dns_search_domains;
  }
  config["Image"] = image;
  config["Labels"] = {{std::string(kLabelTask), task.family}, {std::string(kLabelRole), std::string(kRoleHolder)}};
  config["StopSignal"] = "SIGKILL";  // it holds no state: stopping it need not wait
  if (!exposed.empty()) config["ExposedPorts"] = std::move(exposed);
  if (!bindings.empty()) host_config["PortBindings"] = std::move(bindings);
  host_config["NetworkMode"] = task.network_name();
  // Back after a Docker restart before the task's containers can join it (berth starts those that lost the
  // race, see the README).
  host_config["RestartPolicy"] = {{"Name", "unless-stopped"}, {"MaximumRetryCount", 0}};
  if (task.ipc_mode == IpcMode::kTask) host_config["IpcMode"] = "shareable";
  host_config["ReadonlyRootfs"] = true;
  host_config["CapDrop"] = json::array({"ALL"});
  host_config["SecurityOpt"] = json::array({"no-new-privileges"});
  config["HostConfig"] = std::move(host_config);
  config["Labels"][std::string(kLabelSpecHash)] = spec_hash(config);
  return config;
}

nlohmann::json network_create_body(const TaskSpec& task) {
  return {{"Name", task.network_name()},
          {"Driver", "bridge"},
          {"CheckDuplicate", true},
          {"Labels", {{std::string(kLabelTask), task.family}}}};
}

nlohmann::json volume_create_body(const TaskSpec& task, const TaskVolume& volume) {
  json labels = volume.labels;
  labels[std::string(kLabelTask)] = task.family;
  json body = {{"Name", volume.source}, {"Driver", volume.driver}, {"Labels", std::move(labels)}};
  if (!volume.driver_opts.empty()) body["DriverOpts"] = volume.driver_opts;
  return body;
}

}  // namespace berth::config
