// One element of containerDefinitions: identity, ports, environment, storage, networking and the links
// between the containers of a task. The kernel-facing fields are read in container_linux.cpp.

#include "aws/services.hpp"
#include "common/text.hpp"
#include "config/address.hpp"
#include "config/task_parsing.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace berth::config::detail {

namespace {

constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();

// Docker's container name rule: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$
bool is_docker_name(std::string_view name) {
  if (name.size() < 2) return false;
  if (std::isalnum(static_cast<unsigned char>(name.front())) == 0) return false;
  return std::all_of(name.begin() + 1, name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
}

bool has_whitespace(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\0'; });
}

std::vector<std::string> sibling_names(const TaskContext& context) {
  std::vector<std::string> out;
  for (const auto& s : context.siblings) out.push_back(s.name);
  return out;
}

// Checks that `target` names another container of the task; reports at `path` otherwise.
const SiblingInfo* find_sibling(std::string_view target, std::size_t self, const TaskContext& context,
                                const std::string& path, const ProblemSink& sink) {
  for (std::size_t i = 0; i < context.siblings.size(); ++i) {
    if (context.siblings[i].name != target) continue;
    if (i == self) {
      sink.add(path, "\"" + std::string(target) + "\" is this container itself");
      return nullptr;
    }
    return &context.siblings[i];
  }
  std::string message = "no container named \"" + std::string(target) + "\" in this task";
  if (auto hint = closest_name(target, sibling_names(context)); !hint.empty()) {
    message += "; did you mean \"" + hint + "\"?";
  }
  sink.add(path, std::move(message));
  return nullptr;
}

// The characters ECS accepts in an image ("repository-url/image:tag" or "...@sha256:<hex>").
bool is_ecs_image_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
         std::string_view("-_:./#@").find(ch) != std::string_view::npos;
}

void read_name_and_image(ObjectReader& c, ContainerSpec& spec) {
  if (auto name = c.string("name")) {
    const bool one_character = name->size() == 1 && std::isalnum(static_cast<unsigned char>(name->front())) != 0;
    if ((!is_docker_name(*name) && !one_character) || name->size() > 255) {
      c.report("name", "\"" + *name +
                           "\" is not a valid container name: 1 to 255 letters, digits, '_', '.' or '-', starting "
                           "with a letter or digit");
    } else if (name->find(".berth-") != std::string::npos) {
      c.report("name", "\"" + *name + "\": names containing \".berth-\" are kept for berth's own containers");
    } else {
      spec.name = *name;
    }
  } else if (c.find("name") == nullptr) {
    c.report_here("needs a name");
  }
  if (auto image = c.string("image")) {
    if (image->empty()) {
      c.report("image", "is empty");
    } else if (has_whitespace(*image)) {
      c.report("image", "\"" + *image + "\" contains whitespace");
    } else if (const auto bad = std::find_if_not(image->begin(), image->end(), is_ecs_image_char);
               bad != image->end()) {
      c.report("image",
               "\"" + *image + "\" contains '" + std::string(1, *bad) +
                   "', which ECS does not allow in an image (letters, digits, '-', '_', ':', '.', '/', '#' and "
                   "'@' before a digest); a template placeholder left unfilled?");
    } else {
      spec.image = *image;
    }
  } else if (c.find("image") == nullptr) {
    c.report_here("needs an image");
  }
}

std::optional<std::pair<int, int>> parse_port_range(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view s) -> std::optional<int> {
    if (s.empty() || s.size() > 5) return std::nullopt;
    int v = 0;
    for (const char ch : s) {
      if (ch < '0' || ch > '9') return std::nullopt;
      v = v * 10 + (ch - '0');
    }
    if (v < 1 || v > 65535) return std::nullopt;
    return v;
  };
  const auto first = number(text.substr(0, dash));
  const auto last = number(text.substr(dash + 1));
  if (!first || !last || *first >= *last) return std::nullopt;
  return std::pair{*first, *last};
}

void read_port_mappings(ObjectReader& c, ContainerSpec& spec, TaskContext& context) {
  const bool host_mode = context.network_mode == NetworkMode::kHost;
  // In host and awsvpc mode a container port is published on the same host port (awsvpc: by the holder).
  const bool same_port = host_mode || context.network_mode == NetworkMode::kAwsvpc;
  for_each_object(c, "portMappings", [&](ObjectReader& m, std::size_t) {
    m.ignore({"name", "appProtocol"});  // ECS Service Connect names; nothing to do on one host
    PortMapping mapping;
    bool good = true;
    if (auto protocol = m.string("protocol")) {
      if (*protocol == "udp") {
        mapping.protocol = Protocol::kUdp;
      } else if (*protocol != "tcp") {
        m.report("protocol", "\"" + *protocol + "\" is not a protocol; use tcp or udp");
      }
    }
    const auto container_port = m.integer_in("containerPort", 1, 65535, "is not a port");
    const auto host_port = m.integer_in("hostPort", 0, 65535, "is not a port");
    if (auto range = m.string("containerPortRange")) {
      const auto ports = parse_port_range(*range);
      if (!ports) {
        m.report("containerPortRange", "\"" + *range + "\" is not a port range; write for example \"8000-8010\"");
        good = false;
      } else {
        mapping.container_port = ports->first;
        mapping.container_port_last = ports->second;
      }
      if (m.find("containerPort") != nullptr) {
        m.report("containerPort", "give containerPort or containerPortRange, not both");
        good = false;
      }
      if (host_port.value_or(0) != 0) {
        m.report("hostPort", same_port ? "a containerPortRange is published on the same host ports; remove hostPort"
                                       : "a containerPortRange gets free host ports from Docker; remove hostPort");
        good = false;
      }
      if (host_mode) {
        m.report("containerPortRange",
                 "has no meaning in host network mode, where the container binds host ports itself");
        good = false;
      }
    } else if (container_port) {
      mapping.container_port = mapping.container_port_last = static_cast<int>(*container_port);
    } else {
      if (m.find("containerPort") == nullptr) m.report_here("needs a containerPort");
      good = false;
    }
    if (host_port && *host_port != 0) mapping.host_port = static_cast<int>(*host_port);
    if (same_port && mapping.host_port && container_port && *mapping.host_port != *container_port) {
      m.report("hostPort", std::to_string(*mapping.host_port) + " differs from containerPort " +
                               std::to_string(*container_port) +
                               (host_mode ? "; in host network mode the container binds the host's port itself"
                                          : "; in awsvpc network mode a container port is published on the same "
                                            "host port") +
                               ", so leave hostPort out or make it equal");
      good = false;
    }
    if (!good) return;
    // Ports the task holds on the host whatever happens: a fixed hostPort, or every port in host and awsvpc
    // mode (where two containers of the task also share one network namespace).
    const char* held_key = m.find("hostPort") != nullptr        ? "hostPort"
                           : m.find("containerPort") != nullptr ? "containerPort"
                                                                : "containerPortRange";
    const std::string held_path = m.path_of(held_key);
    const auto hold = [&](int port) {
      const auto key = std::pair{mapping.protocol, port};
      const auto [it, inserted] = context.fixed_host_ports.emplace(key, held_path);
      if (!inserted) {
        m.sink().add(held_path, "host port " + std::to_string(port) + "/" + std::string(to_string(mapping.protocol)) +
                                    " is already published by " + it->second);
        return false;
      }
      return true;
    };
    if (same_port) {
      for (int port = mapping.container_port; port <= mapping.container_port_last; ++port) {
        if (!hold(port)) break;
      }
    } else if (mapping.host_port) {
      hold(*mapping.host_port);
    }
    spec.port_mappings.push_back(mapping);
  });
}

void read_environment(ObjectReader& c, ContainerSpec& spec) {
  std::map<std::string, std::string> seen;  // name -> path of its first definition
  for_each_object(c, "secrets", [&](ObjectReader& e, std::size_t) {
    const auto name = e.string("name");
    const auto value_from = e.string("valueFrom");
    if (!name || !value_from) {
      if (!name && e.find("name") == nullptr) e.report_here("needs a name");
      if (!value_from && e.find("valueFrom") == nullptr) {
        e.report_here("needs a valueFrom: an SSM parameter's name or ARN, or a Secrets Manager secret's ARN");
      }
      return;
    }
    if (name->empty() || name->find('=') != std::string::npos || name->find('\0') != std::string::npos) {
      e.report("name", "\"" + *name + "\" is not a variable name (it must be non-empty, without '=')");
      return;
    }
    if (auto source = aws::parse_value_from(*value_from); !source) {
      e.report("valueFrom", source.error().message);
      return;
    }
    const auto [it, inserted] = seen.emplace(*name, e.path_of("name"));
    if (!inserted) {
      e.report("name", *name + " is set twice (first at " + it->second + ")");
      return;
    }
    spec.secrets.push_back(SecretVar{*name, *value_from});
  });
  for_each_object(c, "environment", [&](ObjectReader& e, std::size_t) {
    const auto name = e.string("name");
    const auto value = e.string("value");
    if (!name) {
      if (e.find("name") == nullptr) e.report_here("needs a name");
      return;
    }
    if (name->empty() || name->find('=') != std::string::npos || name->find('\0') != std::string::npos) {
      e.report("name", "\"" + *name + "\" is not a variable name (it must be non-empty, without '=')");
      return;
    }
    const auto [it, inserted] = seen.emplace(*name, e.path_of("name"));
    if (!inserted) {
      e.report("name", *name + " is set twice (first at " + it->second + ")");
      return;
    }
    spec.environment.push_back(EnvVar{*name, value.value_or("")});
  });
}

void read_environment_files(ObjectReader& c, ContainerSpec& spec) {
  for_each_object(c, "environmentFiles", [&](ObjectReader& f, std::size_t) {
    const auto value = f.string("value");
    if (auto type = f.string("type")) {
      if (*type != "s3") {
        f.report("type", "\"" + *type +
                             "\" is not a type: s3 (value: the object's ARN), or leave type out and give the "
                             "absolute path of a file on this host as value");
        return;
      }
      if (!value) {
        if (f.find("value") == nullptr) f.report_here("needs a value: the ARN of the S3 object");
        return;
      }
      if (auto object = aws::parse_s3_arn(*value); !object) {
        f.report("value", object.error().message);
        return;
      }
      spec.environment_files.push_back(*value);  // read from S3 when the container is created
      return;
    }
    if (!value) {
      if (f.find("value") == nullptr) f.report_here("needs a value: the absolute path of a file on this host");
      return;
    }
    if (common::starts_with(*value, "arn:")) {
      f.report("value", "\"" + *value + "\" is an AWS resource: add \"type\": \"s3\" to read it from S3");
      return;
    }
    if (auto problem = absolute_path_problem(*value); !problem.empty()) {
      f.report("value", std::move(problem));
      return;
    }
    spec.environment_files.push_back(*value);
  });
}

void read_mount_points(ObjectReader& c, ContainerSpec& spec, const TaskContext& context) {
  std::map<std::string, std::string> targets;  // container path -> JSON path of its first use
  for_each_object(c, "mountPoints", [&](ObjectReader& m, std::size_t) {
    MountPoint mount;
    bool good = true;
    if (auto volume = m.string("sourceVolume")) {
      if (context.volume_names.count(*volume) == 0) {
        std::string message = "no volume named \"" + *volume + "\" in the task's volumes";
        const std::vector<std::string> names(context.volume_names.begin(), context.volume_names.end());
        if (auto hint = closest_name(*volume, names); !hint.empty()) message += "; did you mean \"" + hint + "\"?";
        if (context.bare_array) {
          message +=
              "; a bare containerDefinitions array has no volumes: write the task as an object with \"family\", "
              "\"volumes\" and \"containerDefinitions\"";
        }
        m.report("sourceVolume", std::move(message));
        good = false;
      }
      mount.source_volume = *volume;
    } else {
      if (m.find("sourceVolume") == nullptr)
        m.report_here("needs a sourceVolume (the name of one of the task's volumes)");
      good = false;
    }
    if (auto path = m.string("containerPath")) {
      if (auto problem = absolute_path_problem(*path); !problem.empty()) {
        m.report("containerPath", std::move(problem));
        good = false;
      } else if (const auto [it, inserted] = targets.emplace(*path, m.path_of("containerPath")); !inserted) {
        m.report("containerPath", *path + " is already mounted by " + it->second);
        good = false;
      }
      mount.container_path = *path;
    } else {
      if (m.find("containerPath") == nullptr) m.report_here("needs a containerPath");
      good = false;
    }
    mount.read_only = m.boolean("readOnly").value_or(false);
    if (good) spec.mount_points.push_back(std::move(mount));
  });
}

void read_volumes_from(ObjectReader& c, std::size_t self, ContainerSpec& spec, const TaskContext& context) {
  for_each_object(c, "volumesFrom", [&](ObjectReader& v, std::size_t) {
    VolumeFrom from;
    from.read_only = v.boolean("readOnly").value_or(false);
    if (auto source = v.string("sourceContainer")) {
      if (find_sibling(*source, self, context, v.path_of("sourceContainer"), v.sink()) == nullptr) return;
      from.source_container = *source;
      spec.volumes_from.push_back(std::move(from));
    } else if (v.find("sourceContainer") == nullptr) {
      v.report_here("needs a sourceContainer");
    }
  });
}

void read_links(ObjectReader& c, std::size_t self, ContainerSpec& spec, const TaskContext& context) {
  const auto links = c.strings("links");
  if (!links || links->empty()) return;
  if (context.network_mode != NetworkMode::kBridge) {
    c.report("links", "links work only with networkMode bridge");
    return;
  }
  for (std::size_t i = 0; i < links->size(); ++i) {
    const std::string& link = (*links)[i];
    const std::string path = json_path_index(c.path_of("links"), i);
    const auto colon = link.find(':');
    const std::string target = link.substr(0, colon);
    if (colon != std::string::npos && !is_hostname(link.substr(colon + 1))) {
      c.sink().add(path, "\"" + link + "\": the alias after ':' is not a valid host name");
      continue;
    }
    if (find_sibling(target, self, context, path, c.sink()) != nullptr) spec.links.push_back(link);
  }
}

void read_depends_on(ObjectReader& c, std::size_t self, ContainerSpec& spec, const TaskContext& context) {
  for_each_object(c, "dependsOn", [&](ObjectReader& d, std::size_t) {
    Dependency dependency;
    const auto name = d.string("containerName");
    const auto condition = d.string("condition");
    bool good = true;
    if (!condition) {
      if (d.find("condition") == nullptr) d.report_here("needs a condition (START, HEALTHY, COMPLETE or SUCCESS)");
      good = false;
    } else if (*condition == "START") {
      dependency.condition = DependencyCondition::kStart;
    } else if (*condition == "HEALTHY") {
      dependency.condition = DependencyCondition::kHealthy;
    } else if (*condition == "COMPLETE") {
      dependency.condition = DependencyCondition::kComplete;
    } else if (*condition == "SUCCESS") {
      dependency.condition = DependencyCondition::kSuccess;
    } else {
      d.report("condition", "\"" + *condition + "\" is not a condition; use START, HEALTHY, COMPLETE or SUCCESS");
      good = false;
    }
    if (!name) {
      if (d.find("containerName") == nullptr) d.report_here("needs a containerName");
      return;
    }
    const SiblingInfo* target = find_sibling(*name, self, context, d.path_of("containerName"), d.sink());
    if (target == nullptr || !good) return;
    if (dependency.condition == DependencyCondition::kHealthy && !target->has_health_check) {
      d.report("condition", "HEALTHY needs a healthCheck on \"" + *name + "\", which has none");
      return;
    }
    if ((dependency.condition == DependencyCondition::kComplete ||
         dependency.condition == DependencyCondition::kSuccess) &&
        target->essential) {
      d.report("condition", std::string(to_string(dependency.condition)) + " waits for \"" + *name +
                                "\" to exit, so it must have \"essential\": false");
      return;
    }
    dependency.container = *name;
    spec.depends_on.push_back(std::move(dependency));
  });
}

void read_docker_labels(ObjectReader& c, ContainerSpec& spec, const TaskContext& context) {
  auto labels = c.string_map("dockerLabels");
  if (!labels) return;
  for (const auto& [key, value] : *labels) {
    if (key.empty()) c.sink().add(json_path_key(c.path_of("dockerLabels"), key), "a label needs a name");
  }
  Problems problems;
  spec.policy =
      read_service_policy(*labels, LabelSource::kServiceFile, problems, c.sink().file(), c.path_of("dockerLabels"));
  for (const auto& p : problems) c.sink().add(p.json_path, p.message);
  // Two copies run side by side during a start-first swap: a port held on the host cannot be shared.
  if (spec.policy.strategy == Strategy::kStartFirst) {
    const std::string path = json_path_key(c.path_of("dockerLabels"), kLabelStrategy);
    for (const auto& mapping : spec.port_mappings) {
      if (context.network_mode == NetworkMode::kHost) {
        c.sink().add(path,
                     "start-first runs the new container beside the old one, but in host network mode both "
                     "would bind port " +
                         std::to_string(mapping.container_port) + "; use stop-first");
        break;
      }
      if (context.network_mode == NetworkMode::kAwsvpc) {
        c.sink().add(path,
                     "start-first runs the new container beside the old one, but in awsvpc network mode both "
                     "share the task's network namespace and cannot both listen on port " +
                         std::to_string(mapping.container_port) + "; use stop-first");
        break;
      }
      if (!mapping.host_port || *mapping.host_port == 0 || context.network_mode != NetworkMode::kBridge) continue;
      const std::string port = std::to_string(*mapping.host_port);
      if (mapping.protocol == Protocol::kUdp) {
        c.sink().add(path, "start-first runs the new container beside the old one, but UDP host port " + port +
                               " can be published by only one of them (berth switches TCP ports only); use "
                               "stop-first or leave hostPort out");
        break;
      }
      if (mapping.container_port != mapping.container_port_last) {
        c.sink().add(path,
                     "start-first runs the new container beside the old one, but a containerPortRange with "
                     "fixed host ports can be published by only one of them; use stop-first");
        break;
      }
      c.sink().note(path, "host port " + port +
                              "/tcp is switched by berth, not published by Docker: start-first "
                              "moves it to the new container at once (nftables table ip berth; see the README)");
    }
  }
  spec.docker_labels = std::move(*labels);
}

void read_memory_and_cpu(ObjectReader& c, ContainerSpec& spec, const TaskContext& context) {
  const auto limit = [&](std::string_view key) -> std::optional<int> {
    const auto v = c.integer(key);
    if (!v) return std::nullopt;
    if (*v < 6) {
      c.report(key, std::to_string(*v) + " is below Docker's minimum of 6 (MiB)");
      return std::nullopt;
    }
    if (*v > kMaxInt32) {
      c.report(key, std::to_string(*v) + " is too large (MiB)");
      return std::nullopt;
    }
    return static_cast<int>(*v);
  };
  spec.memory_mib = limit("memory");
  spec.memory_reservation_mib = limit("memoryReservation");
  if (spec.memory_mib && spec.memory_reservation_mib && *spec.memory_reservation_mib > *spec.memory_mib) {
    c.report("memoryReservation", std::to_string(*spec.memory_reservation_mib) + " is more than memory (" +
                                      std::to_string(*spec.memory_mib) +
                                      "); the soft limit must not exceed the hard one");
  }
  if (spec.memory_mib && context.task_memory_mib && *spec.memory_mib > *context.task_memory_mib) {
    c.report("memory", std::to_string(*spec.memory_mib) + " is more than the task's memory (" +
                           std::to_string(*context.task_memory_mib) + ")");
  }
  if (auto cpu = c.integer_in("cpu", 0, 262144)) spec.cpu_units = static_cast<int>(*cpu);
}

// In awsvpc mode the task's containers share one namespace, one /etc/hosts and one resolv.conf (the
// holder's): ECS refuses hostname and extraHosts there, and DNS settings must agree between containers.
void check_awsvpc_networking(ObjectReader& c, const ContainerSpec& spec, TaskContext& context) {
  constexpr std::string_view kShared =
      "is not supported by ECS in awsvpc network mode, where the task's containers share one network namespace; "
      "remove it";
  if (!spec.hostname.empty()) c.report("hostname", std::string(kShared));
  // An empty list is what describe-task-definition prints for "none".
  if (const Json* hosts = c.find("extraHosts"); hosts != nullptr && !hosts->is_null() && !hosts->empty()) {
    c.report("extraHosts", std::string(kShared));
  }
  const auto agree = [&](const char* key, const std::vector<std::string>& values) {
    if (values.empty()) return;
    const auto [it, inserted] = context.shared_network_settings.emplace(key, std::pair{values, c.path_of(key)});
    if (!inserted && it->second.first != values) {
      c.report(key, "differs from " + it->second.second +
                        "; in awsvpc network mode the task's containers share one resolv.conf, so give the same "
                        "list or give it once");
    }
  };
  agree("dnsServers", spec.dns_servers);
  agree("dnsSearchDomains", spec.dns_search_domains);
}

void read_networking(ObjectReader& c, ContainerSpec& spec, TaskContext& context) {
  if (auto hostname = c.string("hostname")) {
    if (!is_hostname(*hostname) || hostname->size() > 63) {
      c.report("hostname", "\"" + *hostname + "\" is not a valid host name");
    } else {
      spec.hostname = *hostname;
    }
  }
  if (auto servers = c.strings("dnsServers")) {
    for (std::size_t i = 0; i < servers->size(); ++i) {
      const auto& s = (*servers)[i];
      if (is_ipv4(s) || is_ipv6(s)) {
        spec.dns_servers.push_back(s);
      } else {
        c.sink().add(json_path_index(c.path_of("dnsServers"), i), "\"" + s + "\" is not an IP address");
      }
    }
  }
  if (auto domains = c.strings("dnsSearchDomains")) {
    for (std::size_t i = 0; i < domains->size(); ++i) {
      const auto& d = (*domains)[i];
      if (is_hostname(d)) {
        spec.dns_search_domains.push_back(d);
      } else {
        c.sink().add(json_path_index(c.path_of("dnsSearchDomains"), i), "\"" + d + "\" is not a domain name");
      }
    }
  }
  for_each_object(c, "extraHosts", [&](ObjectReader& h, std::size_t) {
    const auto name = h.string("hostname");
    const auto ip = h.string("ipAddress");
    bool good = name && ip;
    if (!name && h.find("hostname") == nullptr) h.report_here("needs a hostname");
    if (!ip && h.find("ipAddress") == nullptr) h.report_here("needs an ipAddress");
    if (name && !is_hostname(*name)) {
      h.report("hostname", "\"" + *name + "\" is not a valid host name");
      good = false;
    }
    if (ip && !is_ipv4(*ip) && !is_ipv6(*ip)) {
      h.report("ipAddress", "\"" + *ip + "\" is not an IP address");
      good = false;
    }
    if (good) spec.extra_hosts.push_back(HostEntry{*name, *ip});
  });
  spec.disable_networking = c.boolean("disableNetworking").value_or(false);
  if (!spec.port_mappings.empty() && context.network_mode == NetworkMode::kNone) {
    c.report("portMappings", "networkMode none has no network to publish ports on; remove portMappings or use bridge");
  } else if (!spec.port_mappings.empty() && spec.disable_networking) {
    c.report("portMappings", "disableNetworking leaves no network to publish ports on; remove one or the other");
  }
  if (context.network_mode == NetworkMode::kAwsvpc) check_awsvpc_networking(c, spec, context);
}

void read_security_options(ObjectReader& c, ContainerSpec& spec) {
  const auto options = c.strings("dockerSecurityOptions");
  if (!options) return;
  for (std::size_t i = 0; i < options->size(); ++i) {
    const std::string& option = (*options)[i];
    const std::string path = json_path_index(c.path_of("dockerSecurityOptions"), i);
    const auto colon = option.find(':');
    const std::string key = option.substr(0, colon);
    if (option == "no-new-privileges" || option == "no-new-privileges:true" || option == "no-new-privileges:false") {
      spec.security_options.push_back(colon == std::string::npos ? option : key + "=" + option.substr(colon + 1));
    } else if ((key == "apparmor" || key == "label" || key == "seccomp") && colon != std::string::npos &&
               colon + 1 < option.size()) {
      spec.security_options.push_back(key + "=" + option.substr(colon + 1));
    } else if (key == "credentialspec") {
      c.sink().add(path, "credential specs are for Windows containers; berth runs Linux containers");
    } else {
      c.sink().add(path, "\"" + option +
                             "\" is not a security option; use no-new-privileges, apparmor:PROFILE, label:VALUE or "
                             "seccomp:PROFILE");
    }
  }
}

}  // namespace

ContainerSpec read_container(ObjectReader& c, std::size_t index, TaskContext& context) {
  ContainerSpec spec;
  read_name_and_image(c, spec);
  spec.essential = c.boolean("essential").value_or(true);
  read_port_mappings(c, spec, context);
  read_environment(c, spec);
  read_environment_files(c, spec);
  if (auto command = c.strings("command")) spec.command = std::move(*command);
  if (auto entry_point = c.strings("entryPoint")) spec.entry_point = std::move(*entry_point);
  if (auto dir = c.string("workingDirectory")) {
    if (auto problem = absolute_path_problem(*dir); !problem.empty()) {
      c.report("workingDirectory", std::move(problem));
    } else {
      spec.working_directory = *dir;
    }
  }
  if (auto user = c.string("user")) spec.user = *user;
  read_memory_and_cpu(c, spec, context);
  read_health_check(c, spec);
  read_mount_points(c, spec, context);
  read_volumes_from(c, index, spec, context);
  read_log_configuration(c, spec);
  read_ulimits(c, spec);
  if (auto stop = c.integer_in("stopTimeout", 0, 3600)) spec.stop_timeout_s = static_cast<int>(*stop);
  if (auto start = c.integer_in("startTimeout", 1, 3600)) spec.start_timeout_s = static_cast<int>(*start);
  read_networking(c, spec, context);
  read_security_options(c, spec);
  spec.readonly_root_filesystem = c.boolean("readonlyRootFilesystem").value_or(false);
  spec.privileged = c.boolean("privileged").value_or(false);
  spec.interactive = c.boolean("interactive").value_or(false);
  spec.pseudo_terminal = c.boolean("pseudoTerminal").value_or(false);
  read_linux_parameters(c, spec);
  read_depends_on(c, index, spec, context);
  if (c.find("restartPolicy") != nullptr) context.restart_given.insert(index);
  read_restart_policy(c, spec);
  read_links(c, index, spec, context);
  read_system_controls(c, spec, context);
  read_resource_requirements(c, spec);
  read_docker_labels(c, spec, context);

  if (auto consistency = c.string("versionConsistency")) {
    // ECS pins the digest it resolved at deployment; berth follows digests itself, so either value is fine.
    if (*consistency != "enabled" && *consistency != "disabled") {
      c.report("versionConsistency", "\"" + *consistency + "\" is not enabled or disabled");
    }
  }
  c.refuse("repositoryCredentials",
           "berth does not read registry credentials from Secrets Manager; give them in agent.json \"registries\" "
           "or in the docker_config file");
  c.refuse("firelensConfiguration",
           "FireLens routes logs through a sidecar that ECS manages; use logConfiguration with the fluentd driver "
           "and your own Fluent Bit or Fluentd");
  c.refuse("credentialSpecs",
           "Active Directory credential specs are for Windows containers; berth runs Linux containers");
  return spec;
}

}  // namespace berth::config::detail
