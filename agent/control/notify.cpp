#include "control/notify.hpp"
#include "common/json_member.hpp"

#include <algorithm>

namespace berth::control {

using config::NotifyEvent;
using nlohmann::json;

namespace {

std::optional<NotifyEvent> classify(const json& event) {
  if (const std::string named = common::string_member(event, "event"); !named.empty()) {
    return config::parse_notify_event(named);
  }
  if (common::string_member(event, "type") != "swap" || common::string_member(event, "step") != "finish") {
    return std::nullopt;
  }
  const std::string result = common::string_member(event, "result");
  if (result == "swapped") {
    return NotifyEvent::kSwapped;
  }
  if (result == "rolled_back") {
    return NotifyEvent::kRolledBack;
  }
  if (result == "failed" || result == "interrupted") {
    return NotifyEvent::kFailed;
  }
  return std::nullopt;
}

std::string summary(NotifyEvent kind, const json& body) {
  const std::string service = body.value("service", std::string("?"));
  const std::string host = body.value("host", std::string("?"));
  const std::string from = short_digest(body.value("from_digest", std::string()));
  const std::string to = short_digest(body.value("to_digest", std::string()));
  const std::string reason = body.value("reason", std::string());
  std::string text = "berth on " + host + ": " + service;
  switch (kind) {
    case NotifyEvent::kSwapped: text += " updated " + from + " -> " + to; break;
    case NotifyEvent::kRolledBack: text += " rolled back to " + from + " (" + to + " failed its health gate)"; break;
    case NotifyEvent::kFailed: text += " update to " + to + " failed"; break;
    case NotifyEvent::kUpdateAvailable: text += " has a new image " + to + " waiting"; break;
  }
  if (!reason.empty()) {
    text += ": " + reason;
  }
  return text;
}

}  // namespace

std::string short_digest(std::string_view digest) {
  if (digest.empty()) {
    return "?";
  }
  const auto colon = digest.find(':');
  const std::string_view hex = colon == std::string_view::npos ? digest : digest.substr(colon + 1);
  return std::string(digest.substr(0, colon == std::string_view::npos ? 0 : colon + 1)) +
         std::string(hex.substr(0, 12));
}

std::optional<Notification> build_notification(const json& event, std::string_view host_name) {
  if (!event.is_object()) {
    return std::nullopt;
  }
  const auto kind = classify(event);
  if (!kind) {
    return std::nullopt;
  }
  Notification n;
  n.event = *kind;
  json body{{"event", std::string(config::to_string(*kind))}, {"host", std::string(host_name)}};
  for (const char* key : {"service", "image", "from_digest", "to_digest", "reason", "swap", "time"}) {
    if (std::string v = common::string_member(event, key); !v.empty()) {
      body[key] = std::move(v);
    }
  }
  if (!body.contains("to_digest")) {
    if (std::string v = common::string_member(event, "newest_digest"); !v.empty()) {
      body["to_digest"] = std::move(v);
    }
  }
  if (!body.contains("reason")) {
    if (std::string v = common::string_member(event, "detail"); !v.empty()) {
      body["reason"] = std::move(v);
    }
  }
  body["text"] = summary(*kind, body);
  n.body = std::move(body);
  return n;
}

bool target_wants(const config::NotifyTarget& target, NotifyEvent event) {
  return target.on.empty() || std::find(target.on.begin(), target.on.end(), event) != target.on.end();
}

}  // namespace berth::control
