#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::test {

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, int out_fd) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    for (const auto& [k, v] : env) {
      ::setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int decode(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

// Fails the running test with the report, when the output holds one.
void fail_on_sanitizer_report(const std::string& what, std::string_view output) {
  const std::string report = sanitizer_report(output);
  if (!report.empty()) {
    ADD_FAILURE() << what << " wrote a sanitizer report:\n" << report;
  }
}

}  // namespace

std::string sanitizer_report(std::string_view output) {
  // ASan and LSan begin their report with an ERROR line; UBSan begins it with "<file>:<line>:<column>:
  // runtime error:" and ends it with a SUMMARY line. Every report ends the process (halt_on_error,
  // -fno-sanitize-recover), so it runs to the end of the output.
  auto at = std::min(output.find("ERROR: AddressSanitizer"), output.find("ERROR: LeakSanitizer"));
  const auto ubsan_summary = output.find("SUMMARY: UndefinedBehaviorSanitizer");
  if (ubsan_summary != std::string_view::npos) {
    at = std::min(at, output.rfind("runtime error:", ubsan_summary));
  }
  if (at == std::string_view::npos) {
    return {};
  }
  const auto line = output.rfind('\n', at);
  return std::string(output.substr(line == std::string_view::npos ? 0 : line + 1));
}

RunResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      std::chrono::seconds bound) {
  char path[] = "/tmp/berth-test-run-XXXXXX";
  const int fd = ::mkstemp(path);
  const pid_t pid = spawn(argv, env, fd);
  RunResult r;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.output = "(killed after " + std::to_string(bound.count()) + " s)\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.exit_code = decode(status);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output += ss.str();
  ::close(fd);
  ::unlink(path);
  fail_on_sanitizer_report(argv.front(), r.output);
  return r;
}

RunResult shell(const std::string& command_line, std::chrono::seconds bound) {
  return run_command({"sh", "-c", command_line}, {}, bound);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                           std::string log_path)
    : log_path_(std::move(log_path)) {
  const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  log_start_ = ::lseek(fd, 0, SEEK_END);
  pid_ = spawn(argv, env, fd);
  ::close(fd);
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  const std::string output = log();
  fail_on_sanitizer_report("pid " + std::to_string(pid_) + " (log " + log_path_ + ")",
                           std::string_view(output).substr(std::min<std::size_t>(log_start_, output.size())));
}

void ChildProcess::signal(int sig) const {
  if (!reaped_) {
    ::kill(pid_, sig);
  }
}

int ChildProcess::wait(std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!reaped_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = decode(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

bool ChildProcess::running() { return wait(std::chrono::milliseconds(0)) == -1 && !reaped_; }

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

}  // namespace berth::test
