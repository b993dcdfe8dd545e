#include "app/desired.hpp"

#include "config/config_file.hpp"
#include "config/docker_mapping.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace berth::app {

namespace fs = std::filesystem;

namespace {

std::string dir_of(const std::string& path) {
  const auto parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Reads the environment files a task names; problems go to the task's file.
config::EnvFileContents read_env_files(const config::TaskSpec& task, const std::string& label,
                                       config::Problems& problems) {
  config::EnvFileContents out;
  for (const auto& path : config::environment_files(task)) {
    auto text = config::read_config_file(path);
    if (!text) {
      problems.add(label, "", "environment file " + path + ": " + text.error().message);
      continue;
    }
    auto parsed = config::parse_env_file(*text, path);
    problems.append(parsed.problems);
    if (parsed.value) {
      out[path] = *parsed.value;
    }
  }
  return out;
}

// What can still be used of an agent.json that has problems, so the service files can be checked all the
// same: its services_dir (when it is an absolute path) and aws.region (when a string); defaults for the
// rest, and for everything when the text is not a JSON object.
config::AgentConfig salvage_agent_config(std::string_view json_text) {
  config::AgentConfig salvaged;
  const auto root = nlohmann::json::parse(json_text, nullptr, false);
  if (!root.is_object()) {
    return salvaged;
  }
  if (const auto dir = root.find("services_dir"); dir != root.end() && dir->is_string()) {
    const auto& path = dir->get_ref<const std::string&>();
    if (config::absolute_path_problem(path).empty()) {
      salvaged.services_dir = path;
    }
  }
  if (const auto aws = root.find("aws"); aws != root.end() && aws->is_object()) {
    if (const auto region = aws->find("region"); region != aws->end() && region->is_string()) {
      salvaged.aws.region = region->get<std::string>();
    }
  }
  return salvaged;
}

}  // namespace

std::string config_path_from(const std::string& flag_value) {
  if (!flag_value.empty()) {
    return flag_value;
  }
  if (const char* env = std::getenv("BERTH_CONFIG"); env != nullptr && *env != '\0') {
    return env;
  }
  return "/etc/berth/agent.json";
}

FileStamps service_file_stamps(const std::string& services_dir) {
  FileStamps stamps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(services_dir, ec)) {
    struct stat st {};
    if (entry.path().extension() == ".json" && ::stat(entry.path().c_str(), &st) == 0) {
      stamps[entry.path().string()] = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec +
                                      static_cast<std::int64_t>(st.st_size);
    }
  }
  return stamps;
}

Desired load_services(const config::AgentConfig& agent, const std::string& config_dir) {
  Desired d;
  d.agent = agent;
  d.stamps = service_file_stamps(agent.services_dir);
  std::error_code ec;
  if (!fs::exists(agent.services_dir, ec)) {
    return d;  // no services yet: berth still watches labelled containers
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(agent.services_dir, ec)) {
    if (entry.is_regular_file(ec) && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    d.problems.add(config::display_path(agent.services_dir, config_dir), "", "cannot list: " + ec.message());
    return d;
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> paths;  // of d.tasks, in the same order
  for (const auto& path : files) {
    const std::string label = config::display_path(path.string(), config_dir);
    auto text = config::read_config_file(path.string());
    if (!text) {
      d.problems.add(label, "", text.error().message);
      continue;
    }
    auto loaded = config::load_task_definition(*text, label);
    d.problems.append(loaded.problems);
    d.notes.append(loaded.notes);
    if (!loaded.ok()) {
      continue;
    }
    for (std::size_t i = 0; i < loaded.value->volumes.size(); ++i) {
      auto& volume = loaded.value->volumes[i];
      if (!volume.efs_file_system) {
        continue;
      }
      if (agent.aws.region) {
        volume.driver_opts = config::efs_driver_options(volume, *agent.aws.region);
      } else {
        d.problems.add(label, "volumes[" + std::to_string(i) + "].efsVolumeConfiguration",
                       "the file system's address names its region: set aws.region in agent.json");
      }
    }
    d.tasks.push_back(config::LoadedService{label, *loaded.value});
    paths.push_back(path.string());
  }
  d.problems.append(config::check_services(d.tasks));
  for (std::size_t k = 0; k < d.tasks.size(); ++k) {
    const auto& loaded = d.tasks[k];
    const std::string& label = loaded.file_label;
    const auto env_files = read_env_files(loaded.task, label, d.problems);
    for (std::size_t i : config::start_order(loaded.task)) {
      auto body = config::to_create_body(loaded.task, loaded.task.containers[i], env_files);
      if (!body) {
        d.problems.add(label, "containerDefinitions[" + std::to_string(i) + "]", body.error().message);
        continue;
      }
      FileService s{paths[k], loaded.task, i, *body, {}, env_files};
      s.spec_hash = (*body)["Labels"].value("berth.spec-hash", std::string());
      d.services.push_back(std::move(s));
    }
  }
  return d;
}

Desired load_desired(const std::string& config_path) {
  const std::string config_dir = dir_of(config_path);
  const std::string label = config::display_path(config_path, config_dir);
  std::string text;
  Desired d;
  if (auto read = config::read_config_file(config_path); read) {
    text = *read;
  } else if (read.error().kind != common::ErrorKind::kNotFound) {
    d.problems.add(label, "", read.error().message);
  }
  if (d.problems.empty()) {
    auto agent = config::load_agent_config(text, label);
    if (agent.ok()) {
      return load_services(*agent.value, config_dir);
    }
    d.problems = agent.problems;
  }
  // agent.json is refused; its service files are checked all the same, so every problem shows at once.
  const Desired files = load_services(salvage_agent_config(text), config_dir);
  d.problems.append(files.problems);
  return d;
}

}  // namespace berth::app
