#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::test {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// The sanitizer report (AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer) in a process's
// output, from its first line to the end; empty when there is none.
std::string sanitizer_report(std::string_view output);

// Runs a command to completion (bounded), capturing its output. A sanitizer report in the output (the
// `asan` build of berth) fails the running test, whatever the test checks of the result.
RunResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                      std::chrono::seconds bound = std::chrono::seconds(120));

// Runs a shell command line (for docker CLI steps in tests); the output is captured.
RunResult shell(const std::string& command_line, std::chrono::seconds bound = std::chrono::seconds(120));

// A background process (the berth agent) whose output goes to a file; killed when destroyed. A
// sanitizer report that the process wrote to the file fails the running test when it is destroyed.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] int pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for the exit (bounded); the exit code, 128+signal when killed, -1 on timeout.
  int wait(std::chrono::milliseconds bound);
  [[nodiscard]] bool running();
  [[nodiscard]] std::string log() const;

 private:
  int pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
  std::string log_path_;
  std::int64_t log_start_ = 0;  // where this process's output begins in the file
};

// Polls `done` every 100 ms until it holds or `bound` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds bound);

}  // namespace berth::test
