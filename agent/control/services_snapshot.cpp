#include "control/services_snapshot.hpp"

#include "control/time_text.hpp"

#include <algorithm>

namespace berth::control {

namespace {

nlohmann::json text_or_null(std::string_view s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

nlohmann::json time_or_null(std::int64_t ms) {
  return ms <= 0 ? nlohmann::json(nullptr)
                 : nlohmann::json(rfc3339_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms))));
}

// As the control server writes a JSON body (response.cpp): one line, invalid UTF-8 replaced.
std::string one_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json service_json(const ServiceShown& s) {
  return nlohmann::json{{"name", s.name},
                        {"image", s.image},
                        {"running_digest", text_or_null(s.running_digest)},
                        {"newest_digest", text_or_null(s.newest_digest)},
                        {"state", s.state},
                        {"last_check", time_or_null(s.last_check_ms)},
                        {"last_swap", time_or_null(s.last_swap_ms)},
                        {"policy", s.policy},
                        {"strategy", s.strategy},
                        {"source", s.source},
                        {"error", text_or_null(s.error)},
                        {"images_bytes", s.images_bytes},
                        {"running_tag", text_or_null(s.running_tag)},
                        {"follow", text_or_null(s.follow)},
                        {"newest_tag", text_or_null(s.newest_tag)}};
}

void ServicesSnapshot::refresh(const std::vector<ServiceShown>& services) {
  bool changed = services.size() != entries_.size();
  if (changed) {
    // Services came or went: keep the rendered entries of those still there, in the new order.
    std::vector<Entry> next(services.size());
    std::size_t j = 0;
    for (std::size_t i = 0; i < services.size(); ++i) {
      while (j < entries_.size() && std::string_view(entries_[j].fields.name) < services[i].name) {
        ++j;
      }
      if (j < entries_.size() && entries_[j].fields.name == services[i].name) {
        next[i] = std::move(entries_[j++]);
      }
    }
    entries_ = std::move(next);
  }
  for (std::size_t i = 0; i < services.size(); ++i) {
    Entry& e = entries_[i];
    if (e.json.empty() || e.fields.tie() != services[i].tie()) {
      e.fields.tie() = services[i].tie();
      e.json = one_line(service_json(services[i]));
      ++renders_;
      changed = true;
    }
  }
  if (!changed) {
    return;
  }
  std::size_t size = 32;
  for (const auto& e : entries_) {
    size += e.json.size() + 1;
  }
  std::string body;
  body.reserve(size);
  body += "{\"services\":[";
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    body += entries_[i].json;
  }
  body += "]}\n";
  list_ = std::make_shared<const std::string>(std::move(body));
}

std::shared_ptr<const std::string> ServicesSnapshot::service_body(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.fields.name < n; });
  if (it == entries_.end() || it->fields.name != name || it->json.empty()) {
    return nullptr;
  }
  return std::make_shared<const std::string>(it->json + "\n");
}

}  // namespace berth::control
