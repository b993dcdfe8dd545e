#pragma once

// Environment files named by environmentFiles: read from the host by the agent, parsed here.

#include "config/problems.hpp"
#include "config/task_definition.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::config {

// Contents of the environment files of a task, by absolute path.
using EnvFileContents = std::map<std::string, std::vector<EnvVar>>;

// ECS's format: one NAME=VALUE per line; blank lines and lines starting with '#' are skipped; the value is
// everything after the first '=', taken literally (no quotes removed, no variables expanded). Problems
// read `<file>: line N: <problem>`.
LoadResult<std::vector<EnvVar>> parse_env_file(std::string_view text, const std::string& file_label);

// Every environment file on this host the task names, each once, in the order they first appear.
std::vector<std::string> environment_files(const TaskSpec& task);

// True for an entry of ContainerSpec::environment_files that names an S3 object (its ARN): read with the
// instance role when the container is created, never at load.
bool is_s3_environment_file(std::string_view value);

}  // namespace berth::config
