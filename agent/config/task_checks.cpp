// Checks between the containers of one task, start order, and checks between service files.

#include "config/task_definition.hpp"
#include "config/task_parsing.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace berth::config {

namespace {

// Indexes of the containers `c` must start after: dependsOn, links and volumesFrom targets.
std::vector<std::size_t> prerequisites(const TaskSpec& task, const ContainerSpec& c) {
  std::vector<std::size_t> out;
  const auto add = [&](std::string_view name) {
    for (std::size_t i = 0; i < task.containers.size(); ++i) {
      if (task.containers[i].name == name && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
    }
  };
  for (const auto& d : c.depends_on) add(d.container);
  for (const auto& link : c.links) add(std::string_view(link).substr(0, link.find(':')));
  for (const auto& v : c.volumes_from) add(v.source_container);
  return out;
}

// Docker takes container names of two characters or more, ECS takes one: such a container runs as
// "<family>-<name>", keeps its name as its alias on the task's network, and the references to it follow.
void rename_one_character_containers(TaskSpec& task, const detail::ProblemSink& sink) {
  std::map<std::string, std::string> renamed;
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    ContainerSpec& c = task.containers[i];
    c.alias = c.name;
    if (c.name.size() != 1) continue;
    const std::string to = task.family + "-" + c.name;
    const std::string path = json_path_key(json_path_index("containerDefinitions", i), "name");
    if (std::any_of(task.containers.begin(), task.containers.end(), [&](const auto& o) { return o.name == to; })) {
      sink.add(path, "\"" + c.name + "\": Docker needs two characters or more, and \"" + to +
                         "\", which berth would use instead, is another container's name");
      continue;
    }
    sink.note(path, "\"" + c.name + "\": Docker needs two characters or more in a container name: it runs as \"" + to +
                        "\" (the service's name), and is \"" + c.name + "\" on the task's network");
    renamed[c.name] = to;
    c.name = to;
  }
  if (renamed.empty()) return;
  const auto new_name = [&](const std::string& name) {
    const auto it = renamed.find(name);
    return it == renamed.end() ? name : it->second;
  };
  for (auto& c : task.containers) {
    for (auto& d : c.depends_on) d.container = new_name(d.container);
    for (auto& v : c.volumes_from) v.source_container = new_name(v.source_container);
    for (auto& link : c.links) {
      const auto colon = link.find(':');
      const std::string target = link.substr(0, colon);
      if (renamed.count(target) != 0) {
        link = renamed[target] + ":" + (colon == std::string::npos ? target : link.substr(colon + 1));
      }
    }
  }
}

}  // namespace

namespace detail {

void finish_task(TaskSpec& task, TaskContext& context, const ProblemSink& sink) {
  if (!task.containers.empty() &&
      std::none_of(task.containers.begin(), task.containers.end(), [](const auto& c) { return c.essential; })) {
    sink.add("containerDefinitions", "no container is essential; mark at least one \"essential\": true");
  }

  // Start-up cycles: depth-first search, reporting each cycle once at the container that closes it.
  enum class Mark { kNew, kActive, kDone };
  std::vector<Mark> marks(task.containers.size(), Mark::kNew);
  std::vector<std::size_t> stack;
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    marks[i] = Mark::kActive;
    stack.push_back(i);
    for (const std::size_t next : prerequisites(task, task.containers[i])) {
      if (marks[next] == Mark::kActive) {
        const auto from = std::find(stack.begin(), stack.end(), next);
        std::string cycle;
        for (auto it = from; it != stack.end(); ++it) cycle += task.containers[*it].name + " -> ";
        cycle += task.containers[next].name;
        sink.add(json_path_index("containerDefinitions", i),
                 "start-up cycle through dependsOn, links or volumesFrom: " + cycle);
      } else if (marks[next] == Mark::kNew) {
        visit(next);
      }
    }
    stack.pop_back();
    marks[i] = Mark::kDone;
  };
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    if (marks[i] == Mark::kNew) visit(i);
  }

  // A container others wait on to exit (COMPLETE, SUCCESS) is a run-once job: restarting it would loop,
  // so without its own restartPolicy it gets none.
  for (const auto& c : task.containers) {
    for (const auto& d : c.depends_on) {
      if (d.condition != DependencyCondition::kComplete && d.condition != DependencyCondition::kSuccess) continue;
      for (std::size_t i = 0; i < task.containers.size(); ++i) {
        if (task.containers[i].name == d.container && context.restart_given.count(i) == 0) {
          task.containers[i].restart = RestartMode::kNo;
        }
      }
    }
  }
  rename_one_character_containers(task, sink);
}

}  // namespace detail

std::vector<std::size_t> start_order(const TaskSpec& task) {
  const std::size_t n = task.containers.size();
  std::vector<std::vector<std::size_t>> needs(n);
  for (std::size_t i = 0; i < n; ++i) needs[i] = prerequisites(task, task.containers[i]);
  std::vector<bool> started(n, false);
  std::vector<std::size_t> order;
  while (order.size() < n) {
    bool progressed = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (started[i]) continue;
      if (std::all_of(needs[i].begin(), needs[i].end(), [&](std::size_t j) { return started[j]; })) {
        started[i] = true;
        order.push_back(i);
        progressed = true;
        break;  // restart from the top so file order wins among the ready ones
      }
    }
    if (!progressed) {
      // A cycle (only in a task that failed validation): append the rest in file order.
      for (std::size_t i = 0; i < n; ++i) {
        if (!started[i]) order.push_back(i);
      }
      break;
    }
  }
  return order;
}

Problems check_services(const std::vector<LoadedService>& services) {
  Problems problems;
  std::map<std::string, std::string> families;            // family -> file
  std::map<std::string, std::string> containers;          // container name -> file
  std::map<std::pair<Protocol, int>, std::string> ports;  // held host port -> file and path
  for (const auto& service : services) {
    const TaskSpec& task = service.task;
    if (const auto [it, inserted] = families.emplace(task.family, service.file_label); !inserted) {
      problems.add(service.file_label, "family",
                   "\"" + task.family + "\" is also the family of " + it->second +
                       "; families name the network berth-<family> and must differ between service files");
    }
    for (std::size_t i = 0; i < task.containers.size(); ++i) {
      const ContainerSpec& c = task.containers[i];
      const std::string base = json_path_index("containerDefinitions", i);
      if (const auto [it, inserted] = containers.emplace(c.name, service.file_label); !inserted) {
        problems.add(service.file_label, json_path_key(base, "name"),
                     "\"" + c.name + "\" is also a container in " + it->second +
                         "; container names are Docker container names and must be unique on the host");
      }
      for (std::size_t p = 0; p < c.port_mappings.size(); ++p) {
        const PortMapping& m = c.port_mappings[p];
        // host and awsvpc tasks publish every container port on the same host port.
        const bool same_port = task.network_mode == NetworkMode::kHost || task.network_mode == NetworkMode::kAwsvpc;
        if (!same_port && !m.host_port) continue;
        const int port = same_port ? m.container_port : *m.host_port;
        const std::string path = json_path_key(json_path_index(json_path_key(base, "portMappings"), p),
                                               same_port ? "containerPort" : "hostPort");
        const auto [it, inserted] = ports.emplace(std::pair{m.protocol, port}, service.file_label + " " + path);
        if (!inserted && it->second.rfind(service.file_label + " ", 0) != 0) {
          problems.add(service.file_label, path,
                       "host port " + std::to_string(port) + "/" + std::string(to_string(m.protocol)) +
                           " is also published by " + it->second);
        }
      }
    }
  }
  return problems;
}

}  // namespace berth::config
