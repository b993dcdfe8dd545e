// Child processes with a deadline (credential helpers, nft): fork, exec, feed the standard input, read the
// standard output until its end or the deadline, reap.

#include "common/child_process.hpp"

#include "common/text.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace berth::common {

namespace {

constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The agent's environment minus what belongs to systemd's protocol with the agent itself.
std::vector<std::string> child_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (starts_with(entry, "NOTIFY_SOCKET=") || starts_with(entry, "WATCHDOG_") || starts_with(entry, "LISTEN_")) {
      continue;
    }
    out.emplace_back(entry);
  }
  return out;
}

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  [[nodiscard]] bool ok() const { return read >= 0 && write >= 0; }
  void close_read() {
    if (read >= 0) {
      ::close(read);
      read = -1;
    }
  }
  void close_write() {
    if (write >= 0) {
      ::close(write);
      write = -1;
    }
  }
};

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const Pipe& in, const Pipe& out, ChildStderr stderr_to, const char* path,
                             char* const* argv, char* const* envp) {
  ::dup2(in.read, STDIN_FILENO);
  ::dup2(out.write, STDOUT_FILENO);
  if (stderr_to == ChildStderr::kCaptured) {
    ::dup2(out.write, STDERR_FILENO);
  }
  ::close_range(3, ~0U, 0);  // the agent's sockets and files stay with the agent
  // The pool thread blocks signals and the agent may ignore SIGPIPE: the child starts with the defaults.
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(path, argv, envp);
  ::_exit(127);
}

enum class ReadEnd { kEof, kTimeout, kTooLarge, kError };

ReadEnd read_until(int fd, std::string& out, std::size_t max_output, std::chrono::steady_clock::time_point deadline) {
  char buffer[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return ReadEnd::kTimeout;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) {
      return ReadEnd::kError;
    }
    if (ready <= 0) {
      continue;
    }
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) {
      return ReadEnd::kEof;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return ReadEnd::kError;
    }
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_output) {
      return ReadEnd::kTooLarge;
    }
  }
}

// Waits for the child until the deadline, then kills it. Returns the exit status (128 + signal when killed).
int reap(pid_t pid, std::chrono::steady_clock::time_point deadline, bool& killed) {
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      break;
    }
    if (done < 0 && errno != EINTR) {
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      killed = true;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

}  // namespace

std::string find_on_path(const std::string& name) {
  const char* env_path = std::getenv("PATH");
  const std::string_view path = env_path != nullptr && *env_path != '\0' ? std::string_view(env_path) : kDefaultPath;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find(':', start), path.size());
    const std::string dir(path.substr(start, end - start));
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

Result<ChildOutput> run_child(const std::string& path, const std::vector<std::string>& argv, const std::string& input,
                              std::chrono::milliseconds timeout, std::size_t max_output, ChildStderr stderr_to) {
  const std::string name = argv.empty() ? path : argv.front();
  // A child that exits without reading its stdin must not kill the agent with SIGPIPE: this thread keeps
  // SIGPIPE blocked and sees EPIPE instead.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);

  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) {
    argp.push_back(a.data());
  }
  argp.push_back(nullptr);
  std::vector<std::string> env = child_environment();
  std::vector<char*> envp;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  Pipe in;
  Pipe out;
  if (!in.ok() || !out.ok()) {
    return make_error(ErrorKind::kInternal, name + ": cannot create pipes: " + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const pid_t pid = ::fork();
  if (pid < 0) {
    return make_error(ErrorKind::kInternal, name + ": cannot start: " + std::strerror(errno));
  }
  if (pid == 0) {
    exec_child(in, out, stderr_to, path.c_str(), argp.data(), envp.data());
  }
  in.close_read();
  out.close_write();
  // The input is small (a server URL, a few lines of nft): the pipe buffer takes it without blocking.
  [[maybe_unused]] const ssize_t written = ::write(in.write, input.data(), input.size());
  in.close_write();
  ChildOutput result;
  const ReadEnd end = read_until(out.read, result.output, max_output, deadline);
  out.close_read();
  bool killed = false;
  result.status = reap(pid, end == ReadEnd::kEof ? deadline : std::chrono::steady_clock::now(), killed);
  if (end == ReadEnd::kTimeout || (killed && end == ReadEnd::kEof)) {
    return make_error(ErrorKind::kTimeout, name + " did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  if (end == ReadEnd::kTooLarge) {
    return make_error(ErrorKind::kTooLarge, name + " printed more than " + std::to_string(max_output) + " bytes");
  }
  if (end == ReadEnd::kError || result.status < 0) {
    return make_error(ErrorKind::kInternal, name + ": cannot read its answer");
  }
  if (result.status == 127 && result.output.empty()) {
    return make_error(ErrorKind::kUnavailable, name + ": cannot execute " + path);
  }
  return result;
}

}  // namespace berth::common
