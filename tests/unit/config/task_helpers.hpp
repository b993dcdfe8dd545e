#pragma once

#include "config/task_definition.hpp"

#include <string>
#include <vector>

namespace berth::config::testing {

// A service file "t.json" with family "t" and one container "app" (image "img"), plus the given JSON
// members on the container and on the task.
inline std::string one_container(const std::string& container_members, const std::string& task_members = "") {
  std::string text = R"({"family": "t", )";
  if (!task_members.empty()) text += task_members + ", ";
  text += R"("containerDefinitions": [{"name": "app", "image": "img")";
  if (!container_members.empty()) text += ", " + container_members;
  text += "}]}";
  return text;
}

inline std::vector<std::string> problems_in(const std::string& text) {
  return load_task_definition(text, "t.json").problems.lines();
}

inline TaskSpec loaded(const std::string& text) {
  auto result = load_task_definition(text, "t.json");
  if (result.ok()) return *result.value;
  TaskSpec failed;
  failed.family = "<failed: " + result.problems.to_string() + ">";
  return failed;
}

}  // namespace berth::config::testing
