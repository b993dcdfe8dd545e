#pragma once

// What the configuration asks for: agent.json plus every service file, loaded and checked together.
// `berth validate` and the daemon use the same loader, so they report the same problems.

#include "config/agent_config.hpp"
#include "config/env_file.hpp"
#include "config/problems.hpp"
#include "config/task_definition.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::app {

// One container berth runs from a service file, with what it needs to create it.
struct FileService {
  std::string file;  // the service file's path
  config::TaskSpec task;
  std::size_t index = 0;       // into task.containers
  nlohmann::json create_body;  // to_create_body with the environment files read
  std::string spec_hash;       // the berth.spec-hash label of create_body
  // The task's environment files on this host as read, for the merge with its S3 ones at creation.
  config::EnvFileContents env_files;
  [[nodiscard]] const config::ContainerSpec& container() const { return task.containers[index]; }
};

// What the service files looked like when read: path -> modification time and size. The daemon compares
// it with the directory's current stamps to notice an added, changed or removed file.
using FileStamps = std::map<std::string, std::int64_t>;
FileStamps service_file_stamps(const std::string& services_dir);

struct Desired {
  std::optional<config::AgentConfig> agent;
  FileStamps stamps;  // taken before the files were read, so a change made while reading is noticed
  std::vector<config::LoadedService> tasks;  // in file name order
  std::vector<FileService> services;         // every container, each task's in start order
  config::Problems problems;
  config::Problems notes;  // fields accepted without effect on this host, said once by validate and at start
};

// Loads agent.json (a missing file means every default) and every *.json in its services_dir.
// Problems name files relative to the directory of agent.json.
Desired load_desired(const std::string& config_path);

// Only the service files (on reload), with the agent configuration already known.
Desired load_services(const config::AgentConfig& agent, const std::string& config_dir);

// The path of agent.json: --config, else $BERTH_CONFIG, else /etc/berth/agent.json.
std::string config_path_from(const std::string& flag_value);

}  // namespace berth::app
