// Not a test: the server that scripts/bench-api measures (the real ControlServer over TLS, with the
// fake backend). Disabled unless run on purpose with BERTH_BENCH_DIR set; it writes `token` and `port`
// there and serves until a file named `stop` appears.
#include "control/token_store.hpp"
#include "control_fixture.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace berth::test {
namespace {

TEST(ControlBench, DISABLED_Serve) {
  const char* dir = std::getenv("BERTH_BENCH_DIR");
  if (dir == nullptr) {
    GTEST_SKIP() << "BERTH_BENCH_DIR is not set; scripts/bench-api runs this";
  }
  const std::string base = dir;
  const std::string tokens = base + "/tokens.json";
  const auto token =
      control::TokenStore(tokens).create("bench", control::Scope::kRead, std::chrono::system_clock::now());
  ASSERT_TRUE(token);
  std::ofstream(base + "/token") << *token;
  control::ServerLimits limits;
  limits.max_connections = 1024;
  limits.max_connections_per_address = 1024;
  limits.max_requests_per_connection = 1000000;
  ServerHarness server;
  server.backend().set_recording(false);
  auto st = server.start(tls_settings(tokens), base + "/state", limits);
  ASSERT_TRUE(st) << st.error().message;
  std::ofstream(base + "/port.tmp") << server.port();
  std::filesystem::rename(base + "/port.tmp", base + "/port");
  const auto bound = std::chrono::steady_clock::now() + std::chrono::minutes(30);
  while (!std::filesystem::exists(base + "/stop") && std::chrono::steady_clock::now() < bound) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace
}  // namespace berth::test
