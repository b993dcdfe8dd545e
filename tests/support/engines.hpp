#pragma once

// The Docker Engines the integration tests run against. Suites that must hold on every engine berth is
// tested with are parameterised by engine name, so a failure names the engine:
// `DockerClientTest.KillAndWait/Engine26`.
//   Engine20  the host's engine on docker_socket(): Debian 12's Docker 20.10 (API 1.41)
//   Engine26  Debian trixie's Docker 26.1 (API 1.45), which scripts/test-env runs in a root filesystem
//             and a network namespace of its own (scripts/testenv/engine26)

#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace berth::test {

struct Engine {
  std::string name;     // "Engine20"
  std::string socket;   // its unix socket
  std::string netns;    // its network namespace (a path); empty for the host's
  std::string pidfile;  // its dockerd, when scripts/test-env started it; else empty
  std::string start;    // a shell command that starts that dockerd again (after it was stopped)

  [[nodiscard]] std::string docker_host() const { return "unix://" + socket; }
  // The docker CLI talking to this engine, for shell command lines.
  [[nodiscard]] std::string docker() const { return "docker -H " + docker_host(); }
};

// Every engine name, for ::testing::ValuesIn.
std::vector<std::string> engine_names();

// The test name suffix for an engine parameter.
struct EngineName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const { return info.param; }
};

struct EngineLookup {
  std::optional<Engine> engine;
  std::string unavailable;  // why not, when engine is empty
};

// The engine when it answers /_ping; in CI also when its version is the one its name says.
EngineLookup find_engine(const std::string& name);

// Joins a network namespace while it lives, on this thread and the threads started meanwhile: 127.0.0.1
// is then that namespace's loopback, where an engine of its own publishes ports. An empty path joins
// nothing.
class NetnsScope {
 public:
  explicit NetnsScope(const std::string& path);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

  // Empty when joined (or nothing to join); otherwise why not.
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  int home_ = -1;
  std::string error_;
};

}  // namespace berth::test

// Declares `var` (a berth::test::Engine) for the engine named `name`. Without it the test skips visibly
// on a developer machine and fails in CI, as BERTH_REQUIRE_DOCKER does.
#define BERTH_REQUIRE_ENGINE(var, name)                                                                    \
  ::berth::test::Engine var;                                                                               \
  do {                                                                                                     \
    auto berth_found_ = ::berth::test::find_engine(name);                                                  \
    if (!berth_found_.engine) {                                                                            \
      if (::berth::test::docker_required()) {                                                              \
        FAIL() << (name) << " required (CI) but unavailable: " << berth_found_.unavailable;                \
      }                                                                                                    \
      GTEST_SKIP() << (name) << " unavailable (" << berth_found_.unavailable << "); run scripts/test-env"; \
    }                                                                                                      \
    var = *berth_found_.engine;                                                                            \
  } while (false)
