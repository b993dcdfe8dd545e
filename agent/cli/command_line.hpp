#pragma once

// The client commands' argument parsing (CONTRACT section 2): status, check, update, rollback,
// history and token. Pure: the usage errors it reports become exit code 2.

#include "common/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

inline constexpr std::string_view kDefaultAgentUrl = "unix:///run/berth/api.sock";
inline constexpr std::string_view kDefaultConfigPath = "/etc/berth/agent.json";

// A command line berth cannot run (exit code 2), with the reason.
common::Error usage_error(std::string message);

// How to reach an agent (every command but token).
struct ClientOptions {
  std::string url{kDefaultAgentUrl};
  std::optional<std::string> token_file;  // else BERTH_TOKEN
  std::optional<std::string> cacert;      // else the system's trust store
  std::optional<std::string> cert;        // client certificate, for an agent that requires one (mTLS)
  std::optional<std::string> key;
  bool json = false;
};

struct CommandLine {
  std::string command;  // "status", "check", "update", "rollback", "history", "token"
  ClientOptions client;
  std::optional<std::string> service;
  bool all = false;                   // update --all
  std::optional<std::string> digest;  // update --digest
  bool wait = false;                  // update/rollback --wait
  bool in_window = false;             // update --in-window: wait for the service's update window
  // token
  std::string token_action;  // "create", "add", "list", "revoke"
  std::optional<std::string> token_name;
  std::optional<std::string> token_scope;
  std::optional<std::string> token_sha256;  // token add: the hash of a token made elsewhere
  std::optional<std::string> config_path;   // --config
};

// argv[0] is the program, argv[1] the command. kInvalidArgument with a message for any usage error.
common::Result<CommandLine> parse_command_line(int argc, const char* const* argv);

// The usage text of one command ("" for unknown ones).
std::string command_usage(std::string_view command);

// Where an agent URL points.
struct AgentUrl {
  enum class Kind { kUnixSocket, kHttp, kHttps };
  Kind kind = Kind::kUnixSocket;
  std::string host;  // the socket path for kUnixSocket
  int port = 0;
};

// unix:///path, http://host[:port] (default 80), https://host[:port] (default 8443, the agent's port).
common::Result<AgentUrl> parse_agent_url(std::string_view url);

}  // namespace berth::cli
