#pragma once

#include <string>

namespace berth::app {

// berth agent: runs the daemon in the foreground until SIGTERM. 78 when the configuration is refused.
int run_agent(const std::string& config_path);

// berth validate: prints every problem of agent.json and the service files; 0 when there is none, 78 else.
int run_validate(const std::string& config_path);

}  // namespace berth::app
