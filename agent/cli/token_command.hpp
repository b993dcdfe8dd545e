#pragma once

// `berth token create|list|revoke`: local admin work on the tokens file named by agent.json's
// api.tokens_file (agent.json from --config, BERTH_CONFIG, or /etc/berth/agent.json; when that file does
// not exist, the default /etc/berth/tokens.json). The running agent picks the change up by itself.

#include "cli/command_line.hpp"

#include <cstdio>
#include <optional>
#include <string>

namespace berth::cli {

// `config_env` is BERTH_CONFIG's value, if set. Prints to `out` (the token itself, tables, JSON) and
// `err` (notes and errors); returns the exit code.
int run_token_command(const CommandLine& command, const std::optional<std::string>& config_env, std::FILE* out,
                      std::FILE* err);

}  // namespace berth::cli
