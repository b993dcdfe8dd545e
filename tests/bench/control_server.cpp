// Not a test: the server scripts/bench-api measures (the real ControlServer over TLS, with the integration
// tests' fake backend, so the figure is the endpoint's own cost: TLS, parsing, authentication, routing,
// JSON). Usage: berth_bench_control_server DIR. It writes DIR/token (a read token) and DIR/port, and
// serves until a file named DIR/stop appears (30 minutes at most).
#include "control/token_store.hpp"
#include "integration/control/control_fixture.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  using namespace berth;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string base = argv[1];
  const std::string tokens = base + "/tokens.json";
  const auto token =
      control::TokenStore(tokens).create("bench", control::Scope::kRead, std::chrono::system_clock::now());
  if (!token) {
    std::fprintf(stderr, "cannot create a token: %s\n", token.error().message.c_str());
    return 1;
  }
  std::ofstream(base + "/token") << *token;
  control::ServerLimits limits;
  limits.max_connections = 1024;
  limits.max_connections_per_address = 1024;
  limits.max_requests_per_connection = 1000000;
  test::ServerHarness server;
  server.backend().set_recording(false);
  auto st = server.start(test::tls_settings(tokens), base + "/state", limits);
  if (!st) {
    std::fprintf(stderr, "cannot start the server: %s\n", st.error().message.c_str());
    return 1;
  }
  std::ofstream(base + "/port.tmp") << server.port();
  std::filesystem::rename(base + "/port.tmp", base + "/port");
  const auto bound = std::chrono::steady_clock::now() + std::chrono::minutes(30);
  while (!std::filesystem::exists(base + "/stop") && std::chrono::steady_clock::now() < bound) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}
