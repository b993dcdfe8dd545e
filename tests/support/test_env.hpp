#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace berth::test {

// What scripts/test-env brought up, read from the environment or from the file it writes
// (BERTH_TEST_ENV_FILE, default /var/tmp/berth-test/env: KEY=VALUE lines).
std::optional<std::string> env_value(const std::string& key);
std::string env_or(const std::string& key, const std::string& fallback);

// The Docker socket the tests use (DOCKER_HOST when it is unix://, else /var/run/docker.sock).
std::string docker_socket();

// Whether the tests must fail rather than skip when the Docker Engine or registry is missing
// (BERTH_REQUIRE_DOCKER=1, or CI=true).
bool docker_required();

// Empty when the daemon on `socket` answers /_ping; otherwise why not. `server` receives the answer's
// Server header ("Docker/20.10.24+dfsg1 (linux)").
std::string ping_docker(const std::string& socket, std::string* server = nullptr);

// Empty when the daemon on docker_socket() answers /_ping; otherwise why not.
std::string docker_unavailable_reason();

// A label value unique to this test process, put on everything a test creates so that cleanup removes
// only what the test made.
const std::string& run_label();

}  // namespace berth::test

// Skips the test visibly on a developer machine without a Docker Engine; fails it in CI.
#define BERTH_REQUIRE_DOCKER()                                                            \
  do {                                                                                    \
    const std::string berth_reason_ = ::berth::test::docker_unavailable_reason();         \
    if (!berth_reason_.empty()) {                                                         \
      if (::berth::test::docker_required()) {                                             \
        FAIL() << "Docker Engine required (CI) but unavailable: " << berth_reason_;       \
      }                                                                                   \
      GTEST_SKIP() << "no Docker Engine (" << berth_reason_ << "); run scripts/test-env"; \
    }                                                                                     \
  } while (false)

// The same for a key that scripts/test-env writes (a registry address, an image reference).
#define BERTH_REQUIRE_ENV(var, key)                                                          \
  std::string var;                                                                           \
  do {                                                                                       \
    auto berth_v_ = ::berth::test::env_value(key);                                           \
    if (!berth_v_) {                                                                         \
      if (::berth::test::docker_required()) {                                                \
        FAIL() << "test environment key " << (key) << " missing (CI): run scripts/test-env"; \
      }                                                                                      \
      GTEST_SKIP() << "test environment key " << (key) << " missing; run scripts/test-env";  \
    }                                                                                        \
    var = *berth_v_;                                                                         \
  } while (false)
