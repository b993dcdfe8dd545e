#include "app/entry.hpp"

#include "cli/exit_codes.hpp"
#include "common/build_info.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace berth::app {

namespace {

constexpr std::string_view kUsage =
    "usage: berth <command> [options]\n"
    "\n"
    "commands:\n"
    "  agent    [--config PATH]           run the daemon in the foreground\n"
    "  validate [--config PATH]           check agent.json and every service file\n"
    "  status   [SERVICE] [--json]        services, images, digests and states\n"
    "  check    [SERVICE] [--json]        ask the registries now; change nothing\n"
    "  update   SERVICE|--all [--digest sha256:...] [--wait]\n"
    "  rollback SERVICE [--wait]\n"
    "  history  [SERVICE] [--json]\n"
    "  token    create --name NAME --scope read|deploy|admin | list | revoke NAME\n"
    "  version\n";

}  // namespace

int run_main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage.data(), stderr);
    return cli::kExitUsage;
  }
  const std::string_view command = argv[1];
  if (command == "version" || command == "--version") {
    std::printf("berth %s\n", common::kVersion);
    return cli::kExitOk;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage.data(), stdout);
    return cli::kExitOk;
  }
  for (std::string_view known : {"agent", "validate", "status", "check", "update", "rollback", "history", "token"}) {
    if (command == known) {
      std::fprintf(stderr, "berth %s: not implemented yet\n", argv[1]);
      return cli::kExitError;
    }
  }
  std::fprintf(stderr, "berth: unknown command '%s'\n\n%s", argv[1], kUsage.data());
  return cli::kExitUsage;
}

}  // namespace berth::app
