// Wiring of the control endpoint and the notifier into the agent.
#include "app/agent.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>

namespace berth::app {

namespace net = boost::asio;

net::awaitable<common::Status> Agent::start_control() {
  server_ = std::make_unique<control::ControlServer>(executor_, config_.api, config_.state_dir, *this);
  if (auto opened = server_->open(); !opened) {
    co_return opened.error();
  }
  net::co_spawn(executor_, server_->run(), [this](std::exception_ptr e, common::Status st) {
    if (e) {
      std::rethrow_exception(e);
    }
    if (!st && !stopping_) {
      // The endpoint is how operators reach berth: losing it is fatal, and systemd restarts us.
      spdlog::critical("control endpoint failed: {}", st.error().message);
      std::exit(1);
    }
  });
  notifier_ = std::make_unique<control::Notifier>(executor_, config_.notify);
  // Finished swaps reach the notification targets through the event stream; check() sends
  // update_available itself, once per digest.
  subscribe([this](const nlohmann::json& event) { notifier_->notify(event); });
  co_return common::Status{};
}

void Agent::stop_control() {
  if (server_) {
    server_->stop();
  }
}

}  // namespace berth::app
