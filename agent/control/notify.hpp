#pragma once

// What a notification says (pure; the sending is notify_io.cpp). The agent hands the Notifier an
// event object; this decides which notification event it is and builds the JSON body: a Slack-
// compatible `text` line plus structured fields for other receivers.
//
// Accepted events: {"event": "swapped"|"rolled_back"|"failed"|"update_available", "service", ...}, or
// an API event of the swap stream whose last step says the result ({"type": "swap", "step": "finish",
// "result": "swapped"|"rolled_back"|"failed"|"interrupted", ...}). Other fields used when present:
// "image", "from_digest", "to_digest", "newest_digest", "reason", "swap" (id), "time".

#include "config/agent_config.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace berth::control {

struct Notification {
  config::NotifyEvent event = config::NotifyEvent::kSwapped;
  nlohmann::json body;  // {"text", "event", "service", "host", "image", "from_digest", "to_digest", ...}
};

// Nothing for events that are not notified (progress steps, checks without news, up_to_date).
std::optional<Notification> build_notification(const nlohmann::json& event, std::string_view host_name);

// An empty `on` list means every event, as in agent.json.
bool target_wants(const config::NotifyTarget& target, config::NotifyEvent event);

// "sha256:0123456789ab" from a full digest (12 hex digits, as Docker shows image ids).
std::string short_digest(std::string_view digest);

}  // namespace berth::control
