#include "app/entry.hpp"

#include "app/daemon.hpp"
#include "app/desired.hpp"
#include "cli/client.hpp"
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
    "           add --name NAME --scope SCOPE --sha256 HEX   (a token known only by its hash)\n"
    "  fleet    status|check|update|rollback --hosts FILE ...   (berth fleet --help)\n"
    "  version\n";

}  // namespace

int run_main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage.data(), stderr);
    return cli::kExitUsage;
  }
  const std::string_view command = argv[1];
  if (command == "version" || command == "--version") {
    std::printf("berth %s (commit %s, linux/%s, %s)\n", common::kVersion, common::kCommit, common::kArchitecture,
                common::kBuildType);
    return cli::kExitOk;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage.data(), stdout);
    return cli::kExitOk;
  }
  if (command == "agent" || command == "validate") {
    std::string config_flag;
    for (int i = 2; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--config" && i + 1 < argc) {
        config_flag = argv[++i];
      } else if (arg.rfind("--config=", 0) == 0) {
        config_flag = std::string(arg.substr(9));
      } else {
        std::fprintf(stderr, "berth %s: unknown option '%s'\n\n%s", argv[1], argv[i], kUsage.data());
        return cli::kExitUsage;
      }
    }
    const std::string config_path = config_path_from(config_flag);
    return command == "agent" ? run_agent(config_path) : run_validate(config_path);
  }
  for (std::string_view known : {"status", "check", "update", "rollback", "history", "token", "fleet"}) {
    if (command == known) {
      return cli::run_client_command(argc, argv);
    }
  }
  std::fprintf(stderr, "berth: unknown command '%s'\n\n%s", argv[1], kUsage.data());
  return cli::kExitUsage;
}

}  // namespace berth::app
