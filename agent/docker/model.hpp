#pragma once

#include "common/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::docker {

// One row of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::string name;  // without the leading "/"
  std::string image;
  std::string image_id;
  std::string state;  // created|running|paused|restarting|removing|exited|dead
  std::map<std::string, std::string> labels;
};

common::Result<std::vector<ContainerSummary>> parse_container_list(const nlohmann::json& body);

// What the swap engine and the probes need from GET /containers/{id}/json.
struct ContainerState {
  std::string id;
  std::string name;   // without the leading "/"
  std::string image;  // Config.Image: the reference the user gave
  std::string image_id;
  std::string status;  // State.Status
  bool running = false;
  bool restarting = false;
  int exit_code = 0;
  int restart_count = 0;
  std::string started_at;
  std::string health;         // State.Health.Status, empty without a healthcheck
  std::string health_output;  // output of the last health check, if any
  std::map<std::string, std::string> labels;
};

common::Result<ContainerState> parse_container_state(const nlohmann::json& inspect);

// The body of POST /containers/{id}/wait.
struct WaitResult {
  std::int64_t status_code = 0;
  std::string error;
};

// True when Docker time `a` (RFC 3339 in UTC with up to nine fraction digits, as in State.StartedAt) is
// earlier than `b`. Go trims trailing zeros of the fraction, so the texts cannot be compared as they are.
bool started_before(std::string_view a, std::string_view b);

// A filter for the list and events endpoints: every label must match ("key" or "key=value").
nlohmann::json label_filters(const std::vector<std::string>& labels);

}  // namespace berth::docker
