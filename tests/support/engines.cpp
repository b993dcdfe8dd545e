#include "support/engines.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace berth::test {

std::vector<std::string> engine_names() { return {"Engine20", "Engine26"}; }

EngineLookup find_engine(const std::string& name) {
  Engine e;
  e.name = name;
  std::string version;
  if (name == "Engine20") {
    version = "20.";
    e.socket = docker_socket();
    const std::string dir = env_or("BERTH_TEST_DIR", "/var/tmp/berth-test");
    e.pidfile = dir + "/dockerd.pid";
    e.start = "setsid nohup dockerd >>" + dir + "/dockerd.log 2>&1 </dev/null & echo $! > " + e.pidfile;
  } else if (name == "Engine26") {
    version = "26.";
    auto socket = env_value("BERTH_TEST_ENGINE26_SOCKET");
    if (!socket) {
      return {std::nullopt, "scripts/test-env did not bring it up: no BERTH_TEST_ENGINE26_SOCKET"};
    }
    e.socket = *socket;
    e.netns = env_or("BERTH_TEST_ENGINE26_NETNS", "");
    e.pidfile = env_or("BERTH_TEST_ENGINE26_PIDFILE", "");
    e.start = "'" + env_or("BERTH_TEST_ENGINE26_CONTROL", "false") + "' start";
  } else {
    return {std::nullopt, "no engine is called " + name};
  }
  std::string server;
  if (std::string why = ping_docker(e.socket, &server); !why.empty()) {
    return {std::nullopt, why};
  }
  // CI tests the engines the names promise; a developer's host engine of another version still runs
  // the Engine20 cases.
  if (docker_required() && server.rfind("Docker/" + version, 0) != 0) {
    return {std::nullopt, e.socket + " answers as \"" + server + "\", not as Docker " + version + "x"};
  }
  return {e, {}};
}

NetnsScope::NetnsScope(const std::string& path) {
  if (path.empty()) {
    return;
  }
  home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (home_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
    error_ = "cannot join the network namespace " + path + ": " + std::strerror(errno);
    if (home_ >= 0) {
      ::close(home_);
      home_ = -1;
    }
  }
  if (target >= 0) {
    ::close(target);
  }
}

NetnsScope::~NetnsScope() {
  if (home_ < 0) {
    return;
  }
  if (::setns(home_, CLONE_NEWNET) != 0) {
    std::abort();  // the rest of the run would talk to the wrong loopback
  }
  ::close(home_);
}

}  // namespace berth::test
