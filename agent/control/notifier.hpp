#pragma once

// Notifications: JSON POSTs to the agent.json `notify` targets for the events each one lists
// (CONTRACT section 3). Sending happens in the background; notify() returns at once, never waits on a
// slow or failing receiver, and drops (with a warning) what does not fit in the bounded number of
// deliveries in flight. Each attempt has a deadline; failed attempts are retried with backoff, then
// given up with a warning. Logs name a target by scheme and host only: webhook URLs carry secrets in
// their path.

#include "config/agent_config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace berth::control {

struct NotifierOptions {
  std::chrono::milliseconds attempt_timeout{std::chrono::seconds(10)};
  int attempts = 4;
  std::chrono::milliseconds first_backoff{std::chrono::seconds(2)};  // doubles after each failure
  std::size_t max_in_flight = 64;
  std::string host_name;  // the machine's host name when empty
};

class Notifier {
 public:
  Notifier(boost::asio::any_io_executor executor, std::vector<config::NotifyTarget> targets,
           NotifierOptions options = {});
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // `event` as control/notify.hpp describes; events no target wants are ignored.
  void notify(const nlohmann::json& event);

  // Deliveries still being attempted.
  [[nodiscard]] std::size_t in_flight() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace berth::control
