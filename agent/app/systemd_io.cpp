#include "app/systemd.hpp"

#include "common/text.hpp"

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <cstdlib>
#include <mutex>

namespace berth::app {

namespace {

bool journal_active() {
  static const bool active = std::getenv("JOURNAL_STREAM") != nullptr;
  return active;
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    case spdlog::level::critical: return LOG_CRIT;
    default: return LOG_INFO;
  }
}

// Every log line as one journal entry with its priority.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text = common::printable_text(std::string_view(msg.payload.data(), msg.payload.size()));
    sd_journal_send("MESSAGE=%s", text.c_str(), "PRIORITY=%d", syslog_priority(msg.level), "SYSLOG_IDENTIFIER=berth",
                    nullptr);
  }
  void flush_() override {}
};

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace: return spdlog::level::trace;
    case config::LogLevel::kDebug: return spdlog::level::debug;
    case config::LogLevel::kInfo: return spdlog::level::info;
    case config::LogLevel::kWarn: return spdlog::level::warn;
    case config::LogLevel::kError: return spdlog::level::err;
    case config::LogLevel::kCritical: return spdlog::level::critical;
    case config::LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void setup_logging(config::LogLevel level) {
  std::shared_ptr<spdlog::logger> logger;
  if (journal_active()) {
    logger = std::make_shared<spdlog::logger>("berth", std::make_shared<JournalSink>());
  } else {
    logger = std::make_shared<spdlog::logger>("berth", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(to_spdlog(level));
  spdlog::set_default_logger(logger);
}

void log_service(int level, std::string_view service, std::string_view swap_id, const std::string& message) {
  const auto lvl = static_cast<spdlog::level::level_enum>(level);
  if (!spdlog::default_logger()->should_log(lvl)) {
    return;
  }
  const std::string shown = common::printable_text(message);
  if (journal_active()) {
    const std::string svc(service);
    const std::string swap(swap_id);
    const std::string text = svc + ": " + shown;
    sd_journal_send("MESSAGE=%s", text.c_str(), "PRIORITY=%d", syslog_priority(lvl), "SYSLOG_IDENTIFIER=berth",
                    "BERTH_SERVICE=%s", svc.c_str(), "BERTH_SWAP_ID=%s", swap.c_str(), nullptr);
    return;
  }
  if (swap_id.empty()) {
    spdlog::log(lvl, "{}: {}", service, shown);
  } else {
    spdlog::log(lvl, "{} [swap {}]: {}", service, swap_id, shown);
  }
}

void notify_ready(const std::string& status) { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }

void notify_status(const std::string& status) { sd_notifyf(0, "STATUS=%s", status.c_str()); }

void notify_stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

void notify_watchdog() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(usec);
  }
  return std::nullopt;
}

}  // namespace berth::app
