#include "cli/command_line.hpp"

#include "config/address.hpp"
#include "registry/digest.hpp"

#include <array>

namespace berth::cli {

using common::ErrorKind;

namespace {

constexpr int kDefaultHttpsPort = 8443;

struct Flag {
  std::string_view name;
  bool takes_value;
};

constexpr std::array<Flag, 15> kFlags{{{"--url", true},
                                       {"--token-file", true},
                                       {"--cacert", true},
                                       {"--cert", true},
                                       {"--key", true},
                                       {"--json", false},
                                       {"--all", false},
                                       {"--digest", true},
                                       {"--wait", false},
                                       {"--in-window", false},
                                       {"--name", true},
                                       {"--scope", true},
                                       {"--config", true},
                                       {"--sha256", true},
                                       {"--help", false}}};

const Flag* find_flag(std::string_view name) {
  for (const auto& f : kFlags) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

common::Status apply_flag(CommandLine& cl, std::string_view name, const std::string& value) {
  auto& c = cl.client;
  if (name == "--url") {
    c.url = value;
  } else if (name == "--token-file") {
    c.token_file = value;
  } else if (name == "--cacert") {
    c.cacert = value;
  } else if (name == "--cert") {
    c.cert = value;
  } else if (name == "--key") {
    c.key = value;
  } else if (name == "--json") {
    c.json = true;
  } else if (name == "--all") {
    cl.all = true;
  } else if (name == "--digest") {
    cl.digest = value;
  } else if (name == "--wait") {
    cl.wait = true;
  } else if (name == "--in-window") {
    cl.in_window = true;
  } else if (name == "--name") {
    cl.token_name = value;
  } else if (name == "--scope") {
    cl.token_scope = value;
  } else if (name == "--config") {
    cl.config_path = value;
  } else if (name == "--sha256") {
    cl.token_sha256 = value;
  } else if (name == "--help") {
    return usage_error("");
  }
  return {};
}

// Which flags a command accepts, beyond the client options (token takes none of those but --json).
bool flag_allowed(std::string_view command, std::string_view flag) {
  const bool client = flag == "--url" || flag == "--token-file" || flag == "--cacert" || flag == "--cert" ||
                      flag == "--key" || flag == "--json";
  if (command == "token") {
    return flag == "--name" || flag == "--scope" || flag == "--config" || flag == "--json" || flag == "--sha256";
  }
  if (client) {
    return true;
  }
  if (command == "update") {
    return flag == "--all" || flag == "--digest" || flag == "--wait" || flag == "--in-window";
  }
  if (command == "rollback") {
    return flag == "--wait";
  }
  return false;
}

common::Status check_command(CommandLine& cl, std::vector<std::string>& positional) {
  const std::string& cmd = cl.command;
  if (cmd == "token") {
    if (positional.empty()) {
      return usage_error("token: say create, add, list or revoke");
    }
    cl.token_action = positional.front();
    positional.erase(positional.begin());
    if (cl.token_action != "add" && cl.token_sha256) {
      return usage_error("token: --sha256 goes with token add");
    }
    if (cl.token_action == "create") {
      if (!positional.empty() || !cl.token_name || !cl.token_scope) {
        return usage_error("token create needs --name NAME and --scope read|deploy|admin|webhook");
      }
    } else if (cl.token_action == "add") {
      if (!positional.empty() || !cl.token_name || !cl.token_scope || !cl.token_sha256) {
        return usage_error("token add needs --name NAME, --scope read|deploy|admin|webhook and --sha256 HEX");
      }
    } else if (cl.token_action == "list") {
      if (!positional.empty() || cl.token_name || cl.token_scope) {
        return usage_error("token list takes no arguments");
      }
    } else if (cl.token_action == "revoke") {
      if (positional.size() != 1 || cl.token_scope) {
        return usage_error("token revoke needs the token's NAME");
      }
      cl.token_name = positional.front();
      positional.clear();
    } else {
      return usage_error("token: unknown action '" + cl.token_action + "' (create, add, list, revoke)");
    }
    return {};
  }
  if (positional.size() > 1) {
    return usage_error(cmd + ": one SERVICE at most");
  }
  if (!positional.empty()) {
    cl.service = positional.front();
  }
  if (cmd == "update") {
    if (cl.all == cl.service.has_value()) {
      return usage_error("update: name a SERVICE or give --all");
    }
    if (cl.digest && cl.all) {
      return usage_error("update: --digest goes with one SERVICE, not --all");
    }
    if (cl.digest && !registry::is_valid_digest(*cl.digest)) {
      return usage_error("update: --digest must look like sha256:<64 hex digits>");
    }
    if (cl.digest && cl.in_window) {
      return usage_error("update: --in-window follows the newest version; it does not go with --digest");
    }
  }
  if (cmd == "rollback" && !cl.service) {
    return usage_error("rollback: name the SERVICE");
  }
  return {};
}

constexpr std::string_view kClientOptions =
    "client options: --url URL (default unix:///run/berth/api.sock; https://HOST:8443 remotely)\n"
    "                --token-file PATH (or BERTH_TOKEN)  --cacert PATH  --cert PATH --key PATH\n";

std::string with_client_options(std::string_view line) { return std::string(line) + std::string(kClientOptions); }

}  // namespace

common::Error usage_error(std::string message) {
  return common::make_error(ErrorKind::kInvalidArgument, std::move(message));
}

std::string command_usage(std::string_view command) {
  if (command == "status") {
    return with_client_options("usage: berth status [SERVICE] [--json] [client options]\n");
  }
  if (command == "check") {
    return with_client_options("usage: berth check [SERVICE] [--json] [client options]\n");
  }
  if (command == "update") {
    return with_client_options(
        "usage: berth update SERVICE|--all [--digest sha256:...] [--in-window] [--wait] [--json] [client options]\n"
        "  --in-window: start only inside the service's update window (berth.window, update.window)\n");
  }
  if (command == "rollback") {
    return with_client_options("usage: berth rollback SERVICE [--wait] [--json] [client options]\n");
  }
  if (command == "history") {
    return with_client_options("usage: berth history [SERVICE] [--json] [client options]\n");
  }
  if (command == "token") {
    return "usage: berth token create --name NAME --scope read|deploy|admin|webhook [--config PATH] [--json]\n"
           "       berth token add --name NAME --scope SCOPE --sha256 HEX [--config PATH]\n"
           "       berth token list [--config PATH] [--json]\n"
           "       berth token revoke NAME [--config PATH]\n";
  }
  return "";
}

common::Result<CommandLine> parse_command_line(int argc, const char* const* argv) {
  if (argc < 2) {
    return usage_error("no command");
  }
  CommandLine cl;
  cl.command = argv[1];
  if (command_usage(cl.command).empty()) {
    return usage_error("unknown command '" + cl.command + "'");
  }
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) {
        positional.emplace_back(argv[i]);
      }
      break;
    }
    if (!arg.starts_with("--")) {
      positional.push_back(std::move(arg));
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const Flag* flag = find_flag(name);
    if (flag == nullptr || (name != "--help" && !flag_allowed(cl.command, name))) {
      return usage_error(cl.command + ": unknown option " + name);
    }
    if (flag->takes_value && !value) {
      if (i + 1 >= argc) {
        return usage_error(cl.command + ": " + name + " needs a value");
      }
      value = argv[++i];
    }
    if (!flag->takes_value && value) {
      return usage_error(cl.command + ": " + name + " takes no value");
    }
    if (auto st = apply_flag(cl, name, value.value_or("")); !st) {
      return st.error();
    }
  }
  if (auto st = check_command(cl, positional); !st) {
    return st.error();
  }
  return cl;
}

common::Result<AgentUrl> parse_agent_url(std::string_view url) {
  AgentUrl out;
  if (url.starts_with("unix://")) {
    out.kind = AgentUrl::Kind::kUnixSocket;
    out.host = std::string(url.substr(7));
    if (out.host.empty() || out.host.front() != '/') {
      return usage_error("--url " + std::string(url) + ": a unix socket URL is unix:///absolute/path");
    }
    return out;
  }
  std::string error;
  auto parsed = config::parse_url(url, config::HostRequired::kYes, error);
  if (!parsed || (parsed->scheme != "http" && parsed->scheme != "https")) {
    return usage_error("--url " + std::string(url) +
                       ": use unix:///path, https://host[:port] or http://127.0.0.1:port" +
                       (error.empty() ? std::string() : " (" + error + ")"));
  }
  if (!parsed->path.empty() && parsed->path != "/") {
    return usage_error("--url " + std::string(url) + ": the agent URL takes no path");
  }
  out.kind = parsed->scheme == "https" ? AgentUrl::Kind::kHttps : AgentUrl::Kind::kHttp;
  out.host = parsed->host;
  out.port = parsed->port.value_or(out.kind == AgentUrl::Kind::kHttps ? kDefaultHttpsPort : 80);
  return out;
}

}  // namespace berth::cli
