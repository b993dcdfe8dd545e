// Service files are written by hand and edited in place: any bytes must give either a task or problems,
// never a crash, and a loaded task must be usable by the rest of the agent (start order, create bodies).
#include "config/docker_mapping.hpp"
#include "config/task_definition.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = berth::config::load_task_definition(text, "services.d/fuzz.json");
  if (!loaded.ok()) {
    if (loaded.problems.empty()) {
      std::abort();  // a refusal always says why
    }
    return 0;
  }
  const auto order = berth::config::start_order(*loaded.value);
  if (order.size() != loaded.value->containers.size()) {
    std::abort();
  }
  for (std::size_t i : order) {
    berth::config::EnvFileContents files;
    for (const auto& path : loaded.value->containers[i].environment_files) {
      files[path] = {};
    }
    auto body = berth::config::to_create_body(*loaded.value, loaded.value->containers[i], files);
    if (!body) {
      std::abort();
    }
  }
  return 0;
}
