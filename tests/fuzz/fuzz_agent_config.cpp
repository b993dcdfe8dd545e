// agent.json: any bytes give either a configuration or problems, never a crash or an empty refusal.
#include "config/agent_config.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = berth::config::load_agent_config(text, "agent.json");
  if (!loaded.ok() && loaded.problems.empty()) {
    std::abort();
  }
  return 0;
}
