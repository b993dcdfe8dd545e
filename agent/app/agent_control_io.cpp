// Wiring of the control endpoint into the agent.
#include "app/agent.hpp"

namespace berth::app {

namespace net = boost::asio;

net::awaitable<common::Status> Agent::start_control() { co_return common::Status{}; }

void Agent::stop_control() {}

}  // namespace berth::app
