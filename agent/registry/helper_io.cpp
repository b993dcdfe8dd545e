// docker-credential-<helper> get, run as a child process with a deadline. Blocking: RegistrySession calls it
// on its small thread pool.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "common/text.hpp"
#include "registry/registry_session.hpp"

extern char** environ;

namespace berth::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

constexpr std::size_t kMaxHelperOutput = std::size_t{64} * 1024;
constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool valid_helper_name(std::string_view name) {
  return !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

// The executable's full path, searched on PATH as a shell would.
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

// The agent's environment minus what belongs to systemd's protocol with the agent itself.
std::vector<std::string> helper_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (common::starts_with(entry, "NOTIFY_SOCKET=") || common::starts_with(entry, "WATCHDOG_") ||
        common::starts_with(entry, "LISTEN_")) {
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
[[noreturn]] void exec_child(const Pipe& in, const Pipe& out, const char* path, char* const* argv, char* const* envp) {
  ::dup2(in.read, STDIN_FILENO);
  ::dup2(out.write, STDOUT_FILENO);
  ::close_range(3, ~0U, 0);  // the agent's sockets and files stay with the agent
  // The pool thread blocks signals and the agent may ignore SIGPIPE: the helper starts with the defaults.
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(path, argv, envp);
  ::_exit(127);
}

enum class ReadEnd { kEof, kTimeout, kTooLarge, kError };

ReadEnd read_until(int fd, std::string& out, std::chrono::steady_clock::time_point deadline) {
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
    if (out.size() > kMaxHelperOutput) {
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
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

}  // namespace

Result<std::optional<Credential>> run_credential_helper(const std::string& helper, const std::string& server_url,
                                                        std::chrono::milliseconds timeout) {
  const std::string name = "docker-credential-" + helper;
  if (!valid_helper_name(helper)) {
    return make_error(ErrorKind::kInvalidArgument,
                      "credential helper name \"" + helper.substr(0, 100) + "\" is not a plain file name suffix");
  }
  const std::string path = find_on_path(name);
  if (path.empty()) {
    return make_error(ErrorKind::kUnavailable, name + ": executable file not found in $PATH");
  }
  // A helper that exits without reading its stdin must not kill the agent with SIGPIPE: this thread keeps
  // SIGPIPE blocked and sees EPIPE instead.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);

  std::string argv0 = name;
  std::string action = "get";
  std::vector<char*> argv{argv0.data(), action.data(), nullptr};
  std::vector<std::string> env = helper_environment();
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
    exec_child(in, out, path.c_str(), argv.data(), envp.data());
  }
  in.close_read();
  out.close_write();
  // The server URL is a few bytes: the pipe buffer takes it without blocking.
  [[maybe_unused]] const ssize_t written = ::write(in.write, server_url.data(), server_url.size());
  in.close_write();
  std::string output;
  const ReadEnd end = read_until(out.read, output, deadline);
  out.close_read();
  bool killed = false;
  const int status = reap(pid, end == ReadEnd::kEof ? deadline : std::chrono::steady_clock::now(), killed);
  if (end == ReadEnd::kTimeout || (killed && end == ReadEnd::kEof)) {
    return make_error(ErrorKind::kTimeout,
                      name + " get did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  if (end == ReadEnd::kTooLarge) {
    return make_error(ErrorKind::kTooLarge,
                      name + " get printed more than " + std::to_string(kMaxHelperOutput) + " bytes");
  }
  if (end == ReadEnd::kError || status < 0) {
    return make_error(ErrorKind::kInternal, name + " get: cannot read its answer");
  }
  if (status == 127 && output.empty()) {
    return make_error(ErrorKind::kUnavailable, name + ": cannot execute " + path);
  }
  return parse_helper_output(output, status, helper);
}

}  // namespace berth::registry
