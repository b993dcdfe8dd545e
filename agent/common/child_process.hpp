#pragma once

// A program run as a child process with a deadline: its standard input given, its standard output (and,
// when asked, its standard error) read back. Blocking: callers run it on a thread pool.

#include "common/error.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace berth::common {

enum class ChildStderr { kInherit, kCaptured };

struct ChildOutput {
  int status = 0;  // the exit status; 128 + signal when it was killed
  std::string output;
};

// The executable's full path, searched on PATH (or the usual system directories without one) as a shell
// would; empty when there is none.
std::string find_on_path(const std::string& name);

// Runs `path` with `argv` (argv[0] included) and the agent's environment minus systemd's protocol
// variables. kTimeout when it has not ended by `timeout` (it is killed), kTooLarge past `max_output` bytes,
// kUnavailable when it cannot be executed (exit 127 without output).
Result<ChildOutput> run_child(const std::string& path, const std::vector<std::string>& argv, const std::string& input,
                              std::chrono::milliseconds timeout, std::size_t max_output,
                              ChildStderr stderr_to = ChildStderr::kInherit);

}  // namespace berth::common
