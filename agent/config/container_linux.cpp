// The fields of a container definition that set up its process and kernel view: linuxParameters,
// ulimits, systemControls, resourceRequirements, healthCheck, logConfiguration and restartPolicy.

#include "common/text.hpp"
#include "config/address.hpp"
#include "config/task_parsing.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace berth::config::detail {

namespace {

constexpr std::array<std::string_view, 41> kCapabilities{"ALL",
                                                         "AUDIT_CONTROL",
                                                         "AUDIT_READ",
                                                         "AUDIT_WRITE",
                                                         "BLOCK_SUSPEND",
                                                         "BPF",
                                                         "CHECKPOINT_RESTORE",
                                                         "CHOWN",
                                                         "DAC_OVERRIDE",
                                                         "DAC_READ_SEARCH",
                                                         "FOWNER",
                                                         "FSETID",
                                                         "IPC_LOCK",
                                                         "IPC_OWNER",
                                                         "KILL",
                                                         "LEASE",
                                                         "LINUX_IMMUTABLE",
                                                         "MAC_ADMIN",
                                                         "MAC_OVERRIDE",
                                                         "MKNOD",
                                                         "NET_ADMIN",
                                                         "NET_BIND_SERVICE",
                                                         "NET_BROADCAST",
                                                         "NET_RAW",
                                                         "PERFMON",
                                                         "SETFCAP",
                                                         "SETGID",
                                                         "SETPCAP",
                                                         "SETUID",
                                                         "SYS_ADMIN",
                                                         "SYS_BOOT",
                                                         "SYS_CHROOT",
                                                         "SYS_MODULE",
                                                         "SYS_NICE",
                                                         "SYS_PACCT",
                                                         "SYS_PTRACE",
                                                         "SYS_RAWIO",
                                                         "SYS_RESOURCE",
                                                         "SYS_TIME",
                                                         "SYS_TTY_CONFIG",
                                                         "SYSLOG"};

constexpr std::array<std::string_view, 39> kTmpfsOptions{
    "defaults",      "ro",       "rw",         "suid",    "nosuid",    "dev",        "nodev",       "exec",
    "noexec",        "sync",     "async",      "dirsync", "remount",   "mand",       "nomand",      "atime",
    "noatime",       "diratime", "nodiratime", "bind",    "rbind",     "unbindable", "runbindable", "private",
    "rprivate",      "shared",   "rshared",    "slave",   "rslave",    "relatime",   "norelatime",  "strictatime",
    "nostrictatime", "mode",     "uid",        "gid",     "nr_inodes", "nr_blocks",  "mpol"};

constexpr std::array<std::string_view, 15> kUlimitNames{"core",    "cpu",      "data",   "fsize",      "locks",
                                                        "memlock", "msgqueue", "nice",   "nofile",     "nproc",
                                                        "rss",     "rtprio",   "rttime", "sigpending", "stack"};

// ECS's log drivers that Docker runs itself (awsfirelens needs the ECS agent).
constexpr std::array<std::string_view, 7> kLogDrivers{"json-file", "syslog",  "journald", "gelf",
                                                      "fluentd",   "awslogs", "splunk"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

template <std::size_t N>
std::vector<std::string> as_names(const std::array<std::string_view, N>& list) {
  return {list.begin(), list.end()};
}

template <std::size_t N>
std::string one_of(std::string_view value, const std::array<std::string_view, N>& list, std::string_view what) {
  std::string message = "\"" + std::string(value) + "\" is not " + std::string(what);
  if (auto hint = closest_name(value, as_names(list)); !hint.empty()) message += "; did you mean \"" + hint + "\"?";
  return message;
}

std::vector<std::string> read_capabilities(ObjectReader& caps, std::string_view key) {
  std::vector<std::string> out;
  const auto names = caps.strings(key);
  if (!names) return out;
  for (std::size_t i = 0; i < names->size(); ++i) {
    const std::string& name = (*names)[i];
    if (contains(kCapabilities, name)) {
      out.push_back(name);
    } else if (common::starts_with(name, "CAP_") && contains(kCapabilities, std::string_view(name).substr(4))) {
      caps.sink().add(json_path_index(caps.path_of(key), i),
                      "\"" + name + "\": write capabilities without the CAP_ prefix: \"" + name.substr(4) + "\"");
    } else {
      caps.sink().add(json_path_index(caps.path_of(key), i), one_of(name, kCapabilities, "a Linux capability"));
    }
  }
  return out;
}

void read_devices(ObjectReader& lp, LinuxParameters& params) {
  for_each_object(lp, "devices", [&](ObjectReader& d, std::size_t) {
    Device device;
    bool good = true;
    if (auto host_path = d.string("hostPath")) {
      if (auto problem = absolute_path_problem(*host_path); !problem.empty()) {
        d.report("hostPath", std::move(problem));
        good = false;
      }
      device.host_path = *host_path;
    } else {
      if (d.find("hostPath") == nullptr) d.report_here("needs a hostPath");
      good = false;
    }
    if (auto container_path = d.string("containerPath")) {
      if (auto problem = absolute_path_problem(*container_path); !problem.empty()) {
        d.report("containerPath", std::move(problem));
        good = false;
      }
      device.container_path = *container_path;
    } else {
      device.container_path = device.host_path;
    }
    if (auto permissions = d.strings("permissions")) {
      bool read = false;
      bool write = false;
      bool mknod = false;
      for (std::size_t i = 0; i < permissions->size(); ++i) {
        const auto& p = (*permissions)[i];
        if (p == "read")
          read = true;
        else if (p == "write")
          write = true;
        else if (p == "mknod")
          mknod = true;
        else {
          d.sink().add(json_path_index(d.path_of("permissions"), i),
                       "\"" + p + "\" is not a device permission; use read, write or mknod");
          good = false;
        }
      }
      device.permissions = std::string(read ? "r" : "") + (write ? "w" : "") + (mknod ? "m" : "");
    }
    if (device.permissions.empty()) device.permissions = "rwm";
    if (good) params.devices.push_back(std::move(device));
  });
}

void read_tmpfs(ObjectReader& lp, const ContainerSpec& spec, LinuxParameters& params) {
  std::set<std::string> targets;
  for (const auto& m : spec.mount_points) targets.insert(m.container_path);
  for_each_object(lp, "tmpfs", [&](ObjectReader& t, std::size_t) {
    TmpfsMount mount;
    bool good = true;
    if (auto path = t.string("containerPath")) {
      if (auto problem = absolute_path_problem(*path); !problem.empty()) {
        t.report("containerPath", std::move(problem));
        good = false;
      } else if (!targets.insert(*path).second) {
        t.report("containerPath", *path + " is mounted twice (see mountPoints and tmpfs)");
        good = false;
      }
      mount.container_path = *path;
    } else {
      if (t.find("containerPath") == nullptr) t.report_here("needs a containerPath");
      good = false;
    }
    if (auto size = t.integer_in("size", 1, 1 << 30)) {
      mount.size_mib = static_cast<int>(*size);
    } else {
      if (t.find("size") == nullptr) t.report_here("needs a size (MiB)");
      good = false;
    }
    if (auto options = t.strings("mountOptions")) {
      for (std::size_t i = 0; i < options->size(); ++i) {
        const auto& option = (*options)[i];
        const std::string key = option.substr(0, option.find('='));
        if (!contains(kTmpfsOptions, key) ||
            (key.size() != option.size() && key != "mode" && key != "uid" && key != "gid" && key != "nr_inodes" &&
             key != "nr_blocks" && key != "mpol")) {
          t.sink().add(json_path_index(t.path_of("mountOptions"), i),
                       one_of(option, kTmpfsOptions, "a tmpfs mount option"));
          good = false;
        } else {
          mount.mount_options.push_back(option);
        }
      }
    }
    if (good) params.tmpfs.push_back(std::move(mount));
  });
}

}  // namespace

void read_linux_parameters(ObjectReader& container, ContainerSpec& spec) {
  const auto* value = container.find("linuxParameters");
  if (value == nullptr) return;
  ObjectReader lp(*value, container.path_of("linuxParameters"), container.sink());
  if (!lp.valid()) return;
  LinuxParameters& params = spec.linux_parameters;
  params.init = lp.boolean("initProcessEnabled").value_or(false);
  if (const auto* caps_value = lp.find("capabilities")) {
    ObjectReader caps(*caps_value, lp.path_of("capabilities"), lp.sink());
    params.cap_add = read_capabilities(caps, "add");
    params.cap_drop = read_capabilities(caps, "drop");
    caps.finish();
  }
  if (auto shm = lp.integer_in("sharedMemorySize", 1, 1 << 30)) params.shared_memory_mib = static_cast<int>(*shm);
  read_tmpfs(lp, spec, params);
  read_devices(lp, params);
  if (auto swap = lp.integer_in("maxSwap", 0, 1 << 30)) {
    if (spec.memory_mib) {
      params.max_swap_mib = static_cast<int>(*swap);
    } else {
      lp.report("maxSwap", "needs a memory limit on the container (Docker counts swap on top of memory)");
    }
  }
  if (auto swappiness = lp.integer_in("swappiness", 0, 100)) params.swappiness = static_cast<int>(*swappiness);
  lp.finish();
}

void read_ulimits(ObjectReader& container, ContainerSpec& spec) {
  std::set<std::string> seen;
  for_each_object(container, "ulimits", [&](ObjectReader& u, std::size_t) {
    const auto name = u.string("name");
    const auto soft = u.integer_in("softLimit", -1, std::numeric_limits<std::int64_t>::max());
    const auto hard = u.integer_in("hardLimit", -1, std::numeric_limits<std::int64_t>::max());
    bool good = name && soft && hard;
    if (!name && u.find("name") == nullptr) u.report_here("needs a name");
    if (!soft && u.find("softLimit") == nullptr) u.report_here("needs a softLimit");
    if (!hard && u.find("hardLimit") == nullptr) u.report_here("needs a hardLimit");
    if (name && !contains(kUlimitNames, *name)) {
      u.report("name", one_of(*name, kUlimitNames, "a ulimit"));
      good = false;
    } else if (name && !seen.insert(*name).second) {
      u.report("name", *name + " is set twice");
      good = false;
    }
    if (soft && hard && *hard != -1 && (*soft == -1 || *soft > *hard)) {
      u.report("softLimit", "is above hardLimit");
      good = false;
    }
    if (good) spec.ulimits.push_back(Ulimit{*name, *soft, *hard});
  });
}

void read_system_controls(ObjectReader& container, ContainerSpec& spec, const TaskContext& context) {
  for_each_object(container, "systemControls", [&](ObjectReader& s, std::size_t) {
    const auto ns = s.string("namespace");
    const auto value = s.string("value");
    if (!ns || ns->empty()) {
      if (!ns && s.find("namespace") == nullptr)
        s.report_here("needs a namespace (the sysctl, e.g. net.core.somaxconn)");
      else if (ns)
        s.report("namespace", "is empty");
      return;
    }
    if (!value) {
      if (s.find("value") == nullptr) s.report_here("needs a value");
      return;
    }
    if (context.network_mode == NetworkMode::kHost && common::starts_with(*ns, "net.")) {
      s.report("namespace", *ns + " would change the host itself in host network mode; set it on the host instead");
      return;
    }
    if (!spec.system_controls.emplace(*ns, *value).second) s.report("namespace", *ns + " is set twice");
  });
}

void read_resource_requirements(ObjectReader& container, ContainerSpec& spec) {
  for_each_object(container, "resourceRequirements", [&](ObjectReader& r, std::size_t) {
    const auto type = r.string("type");
    const auto value = r.string("value");
    if (!type) {
      if (r.find("type") == nullptr) r.report_here("needs a type");
      return;
    }
    if (*type == "InferenceAccelerator") {
      r.report("type", "Elastic Inference accelerators exist only on ECS; remove this requirement");
      return;
    }
    if (*type != "GPU") {
      r.report("type", "\"" + *type + "\" is not a resource type; use GPU");
      return;
    }
    if (!value) {
      if (r.find("value") == nullptr) r.report_here("needs a value (the number of GPUs)");
      return;
    }
    int count = 0;
    const bool digits = !value->empty() && value->size() <= 3 &&
                        std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) count = std::stoi(*value);
    if (count < 1) {
      r.report("value", "\"" + *value + "\" is not a number of GPUs");
      return;
    }
    if (spec.gpu_count != 0) {
      r.report("type", "GPU is requested twice");
      return;
    }
    spec.gpu_count = count;
  });
}

void read_health_check(ObjectReader& container, ContainerSpec& spec) {
  const auto* value = container.find("healthCheck");
  if (value == nullptr) return;
  ObjectReader h(*value, container.path_of("healthCheck"), container.sink());
  if (!h.valid()) return;
  HealthCheck check;
  bool good = true;
  if (auto command = h.strings("command")) {
    // A program without CMD in front (["/healthcheck"]): ECS registers it, and Fargate runs it as a program
    // with its arguments. A first element with spaces is a shell command written wrong: refused below.
    if (!command->empty() && (*command)[0] != "CMD" && (*command)[0] != "CMD-SHELL" && (*command)[0] != "NONE" &&
        !(*command)[0].empty() && (*command)[0].find_first_of(" \t") == std::string::npos) {
      h.sink().note(h.path_of("command"), "neither \"CMD\" nor \"CMD-SHELL\" in front: run as [\"CMD\", \"" +
                                              common::printable_text((*command)[0], 80) +
                                              "\", ...], the program and its arguments");
      command->insert(command->begin(), "CMD");
    }
    const bool cmd = !command->empty() && (*command)[0] == "CMD";
    const bool shell = !command->empty() && (*command)[0] == "CMD-SHELL";
    if (!cmd && !shell) {
      h.report("command",
               "must start with \"CMD\" or \"CMD-SHELL\", for example [\"CMD-SHELL\", \"curl -f "
               "http://localhost/ || exit 1\"]");
      good = false;
    } else if (shell && command->size() != 2) {
      h.report("command", "\"CMD-SHELL\" takes exactly one string after it: the shell command");
      good = false;
    } else if (cmd && command->size() < 2) {
      h.report("command", "\"CMD\" needs the program to run after it");
      good = false;
    }
    check.command = std::move(*command);
  } else {
    if (h.find("command") == nullptr) h.report_here("needs a command");
    good = false;
  }
  // ECS's ranges and defaults, in seconds.
  if (auto v = h.integer_in("interval", 5, 300)) check.interval_s = static_cast<int>(*v);
  if (auto v = h.integer_in("timeout", 2, 60)) check.timeout_s = static_cast<int>(*v);
  if (auto v = h.integer_in("retries", 1, 10)) check.retries = static_cast<int>(*v);
  if (auto v = h.integer_in("startPeriod", 0, 300)) check.start_period_s = static_cast<int>(*v);
  h.finish();
  if (good) spec.health_check = std::move(check);
}

void read_log_configuration(ObjectReader& container, ContainerSpec& spec) {
  const auto* value = container.find("logConfiguration");
  if (value == nullptr) return;
  ObjectReader l(*value, container.path_of("logConfiguration"), container.sink());
  if (!l.valid()) return;
  LogConfig config;
  bool good = true;
  if (auto driver = l.string("logDriver")) {
    if (*driver == "awsfirelens") {
      l.report("logDriver",
               "awsfirelens needs a FireLens sidecar that ECS manages; use the fluentd driver with your "
               "own Fluent Bit or Fluentd");
      good = false;
    } else if (!contains(kLogDrivers, *driver)) {
      l.report("logDriver", one_of(*driver, kLogDrivers, "a log driver") +
                                " (json-file, syslog, journald, gelf, fluentd, awslogs, splunk)");
      good = false;
    }
    config.driver = *driver;
  } else {
    if (l.find("logDriver") == nullptr) l.report_here("needs a logDriver");
    good = false;
  }
  if (auto options = l.string_map("options")) config.options = std::move(*options);
  l.refuse("secretOptions", "berth does not read SSM Parameter Store or Secrets Manager; put the value in options");
  l.finish();
  if (good) spec.log_configuration = std::move(config);
}

void read_restart_policy(ObjectReader& container, ContainerSpec& spec) {
  const auto* value = container.find("restartPolicy");
  if (value == nullptr) return;
  ObjectReader r(*value, container.path_of("restartPolicy"), container.sink());
  if (!r.valid()) return;
  const auto enabled = r.boolean("enabled");
  if (!enabled && r.find("enabled") == nullptr) r.report_here("needs \"enabled\": true or false");
  bool ignores_zero = false;
  if (const auto* codes = r.array("ignoredExitCodes")) {
    for (std::size_t i = 0; i < codes->size(); ++i) {
      const std::string path = json_path_index(r.path_of("ignoredExitCodes"), i);
      const auto code = as_integer((*codes)[i], path, r.sink());
      if (!code) continue;
      if (*code == 0) {
        ignores_zero = true;
      } else {
        r.sink().add(path,
                     "Docker can restart on any exit or only on failure; the only exit code it can leave "
                     "alone is 0, not " +
                         std::to_string(*code));
      }
    }
  }
  // Docker backs off on its own (doubling from 100ms, reset after 10s of running); the period is checked
  // against ECS's range but has no Docker equivalent.
  r.integer_in("restartAttemptPeriod", 60, 1800);
  r.finish();
  if (!enabled) return;
  if (!*enabled)
    spec.restart = RestartMode::kNo;
  else
    spec.restart = ignores_zero ? RestartMode::kOnFailure : RestartMode::kUnlessStopped;
}

}  // namespace berth::config::detail
