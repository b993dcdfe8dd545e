#include "config/env_file.hpp"

#include <algorithm>
#include <cctype>

namespace berth::config {

LoadResult<std::vector<EnvVar>> parse_env_file(std::string_view text, const std::string& file_label) {
  LoadResult<std::vector<EnvVar>> result;
  std::vector<EnvVar> vars;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    // A bad line is named by its number only: it may hold a secret.
    const std::string where = "line " + std::to_string(line_number);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      result.problems.add(file_label, where, "not NAME=VALUE (no '=')");
      continue;
    }
    const std::string_view name = line.substr(0, eq);
    if (name.empty()) {
      result.problems.add(file_label, where, "no variable name before '='");
      continue;
    }
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\0'; })) {
      result.problems.add(file_label, where, "the variable name before '=' holds white space");
      continue;
    }
    const std::string_view value = line.substr(eq + 1);
    auto existing = std::find_if(vars.begin(), vars.end(), [&](const EnvVar& v) { return v.name == name; });
    if (existing != vars.end()) {
      existing->value = std::string(value);  // the last assignment wins, as in a shell
    } else {
      vars.push_back(EnvVar{std::string(name), std::string(value)});
    }
  }
  if (result.problems.empty()) result.value = std::move(vars);
  return result;
}

bool is_s3_environment_file(std::string_view value) { return value.starts_with("arn:"); }

std::vector<std::string> environment_files(const TaskSpec& task) {
  std::vector<std::string> out;
  for (const auto& c : task.containers) {
    for (const auto& path : c.environment_files) {
      if (is_s3_environment_file(path)) continue;
      if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
    }
  }
  return out;
}

}  // namespace berth::config
