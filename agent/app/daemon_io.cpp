#include "app/daemon.hpp"

#include "app/agent.hpp"
#include "app/desired.hpp"
#include "app/systemd.hpp"
#include "cli/exit_codes.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>

namespace berth::app {

namespace net = boost::asio;

namespace {

// The agent's io_context, whose pending work can be destroyed before the agent: the coroutines still
// suspended when the agent stops (a refresh, a check) hold references into it, and the io_context's
// destructor would destroy them only after the agent is gone.
class AgentContext : public net::io_context {
 public:
  using net::execution_context::shutdown;
  using net::io_context::io_context;
};

}  // namespace

int run_validate(const std::string& config_path) {
  const Desired d = load_desired(config_path);
  if (!d.problems.empty()) {
    std::fputs(d.problems.to_string().c_str(), stderr);
    return cli::kExitConfig;
  }
  std::fputs(d.notes.to_string().c_str(), stdout);
  std::printf("%s: ok (%zu services)\n", config_path.c_str(), d.services.size());
  return cli::kExitOk;
}

int run_agent(const std::string& config_path) {
  Desired desired = load_desired(config_path);
  if (!desired.problems.empty() || !desired.agent) {
    setup_logging(config::LogLevel::kInfo);
    for (const auto& line : desired.problems.lines()) {
      spdlog::error("{}", line);
    }
    spdlog::critical("configuration refused: fix the problems above (berth validate --config {})", config_path);
    return cli::kExitConfig;
  }
  setup_logging(desired.agent->log_level);
  for (const auto& line : desired.notes.lines()) {
    spdlog::info("{}", line);
  }
  AgentContext ctx(1);
  Agent agent(ctx.get_executor(), config_path, std::move(desired));
  int code = cli::kExitError;
  net::co_spawn(ctx, agent.run(), [&](std::exception_ptr e, int result) {
    if (e) {
      std::rethrow_exception(e);  // a bug: fail loudly; systemd restarts berth and the journal recovers
    }
    code = result;
    ctx.stop();
  });
  ctx.run();
  ctx.shutdown();  // destroys the coroutines still suspended, while the agent they refer to lives
  return code;
}

}  // namespace berth::app
