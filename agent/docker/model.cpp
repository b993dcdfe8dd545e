#include "docker/model.hpp"

#include "common/json_member.hpp"

namespace berth::docker {

using common::ErrorKind;
using nlohmann::json;

namespace {

std::map<std::string, std::string> labels_of(const json& j) {
  std::map<std::string, std::string> out;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_string()) {
        out[k] = v.get<std::string>();
      }
    }
  }
  return out;
}

std::string strip_slash(std::string name) {
  if (!name.empty() && name.front() == '/') {
    name.erase(0, 1);
  }
  return name;
}

}  // namespace

common::Result<std::vector<ContainerSummary>> parse_container_list(const json& body) {
  if (!body.is_array()) {
    return common::make_error(ErrorKind::kProtocol, "container list is not a JSON array");
  }
  std::vector<ContainerSummary> out;
  out.reserve(body.size());
  for (const auto& item : body) {
    if (!item.is_object()) {
      return common::make_error(ErrorKind::kProtocol, "container list entry is not an object");
    }
    ContainerSummary c;
    c.id = common::string_member(item, "Id");
    if (auto it = item.find("Names"); it != item.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
      c.name = strip_slash((*it)[0].get<std::string>());
    }
    c.image = common::string_member(item, "Image");
    c.image_id = common::string_member(item, "ImageID");
    c.state = common::string_member(item, "State");
    if (auto it = item.find("Labels"); it != item.end()) {
      c.labels = labels_of(*it);
    }
    if (c.id.empty()) {
      return common::make_error(ErrorKind::kProtocol, "container list entry without an Id");
    }
    out.push_back(std::move(c));
  }
  return out;
}

common::Result<ContainerState> parse_container_state(const json& inspect) {
  if (!inspect.is_object() || !inspect.contains("Id")) {
    return common::make_error(ErrorKind::kProtocol, "container inspect is not an object with an Id");
  }
  ContainerState s;
  s.id = common::string_member(inspect, "Id");
  s.name = strip_slash(common::string_member(inspect, "Name"));
  s.image_id = common::string_member(inspect, "Image");
  if (auto it = inspect.find("RestartCount"); it != inspect.end() && it->is_number_integer()) {
    s.restart_count = it->get<int>();
  }
  if (auto cfg = inspect.find("Config"); cfg != inspect.end() && cfg->is_object()) {
    s.image = common::string_member(*cfg, "Image");
    if (auto it = cfg->find("Labels"); it != cfg->end()) {
      s.labels = labels_of(*it);
    }
  }
  if (auto st = inspect.find("State"); st != inspect.end() && st->is_object()) {
    s.status = common::string_member(*st, "Status");
    s.running = st->value("Running", false);
    s.restarting = st->value("Restarting", false);
    s.exit_code = st->value("ExitCode", 0);
    s.started_at = common::string_member(*st, "StartedAt");
    if (auto h = st->find("Health"); h != st->end() && h->is_object()) {
      s.health = common::string_member(*h, "Status");
      if (auto log = h->find("Log"); log != h->end() && log->is_array() && !log->empty() && log->back().is_object()) {
        s.health_output = common::string_member(log->back(), "Output");
      }
    }
  }
  return s;
}

bool started_before(std::string_view a, std::string_view b) {
  // "2026-12-07T16:16:01.7938Z" -> ("2026-12-07T16:16:01", "793800000")
  const auto split = [](std::string_view t) {
    const auto end = t.find_first_of(".Z");
    std::string fraction;
    if (end != std::string_view::npos && t[end] == '.') {
      const auto z = t.find('Z', end);
      fraction = std::string(t.substr(end + 1, z == std::string_view::npos ? std::string_view::npos : z - end - 1));
    }
    fraction.resize(9, '0');
    return std::pair{std::string(t.substr(0, end)), fraction};
  };
  return split(a) < split(b);
}

json label_filters(const std::vector<std::string>& labels) {
  json label = json::object();
  for (const auto& l : labels) {
    label[l] = true;
  }
  return json{{"label", label}};
}

}  // namespace berth::docker
