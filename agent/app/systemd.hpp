#pragma once

// systemd integration: readiness, status and watchdog notifications, and logging to the journal with
// structured fields when systemd runs berth (JOURNAL_STREAM set), plain lines to stderr otherwise.

#include "config/agent_config.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth::app {

void setup_logging(config::LogLevel level);

// Logs one line about a service (and swap), with SERVICE= and SWAP_ID= journal fields when logging to
// the journal. level: spdlog's level numbers (2 info, 3 warn, 4 error).
void log_service(int level, std::string_view service, std::string_view swap_id, const std::string& message);

void notify_ready(const std::string& status);
void notify_status(const std::string& status);
void notify_stopping();
void notify_watchdog();
// WATCHDOG_USEC when systemd asked for pings (for this process), else nothing.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace berth::app
