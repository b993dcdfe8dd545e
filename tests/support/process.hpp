#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace berth::test {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a command to completion (bounded), capturing its output.
RunResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                      std::chrono::seconds bound = std::chrono::seconds(120));

// Runs a shell command line (for docker CLI steps in tests); the output is captured.
RunResult shell(const std::string& command_line, std::chrono::seconds bound = std::chrono::seconds(120));

// A background process (the berth agent) whose output goes to a file; killed when destroyed.
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
};

// Polls `done` every 100 ms until it holds or `bound` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds bound);

}  // namespace berth::test
