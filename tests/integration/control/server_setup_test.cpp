// What the control endpoint refuses at start-up, plain HTTP on loopback, and the unix socket.
#include "control/token_store.hpp"
#include "control_fixture.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace berth::test {
namespace {

using Kind = TestClient::Kind;

class ControlSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_file_ = dir_.file("tokens.json");
    token_ = control::TokenStore(tokens_file_)
                 .create("ci", control::Scope::kDeploy, std::chrono::system_clock::now())
                 .value();
  }

  common::Status start(const config::ApiSettings& settings) { return server_.start(settings, dir_.file("state")); }

  // Only open() (the start-up checks and binding) of a server that is then dropped.
  common::Status open_only(const config::ApiSettings& settings, const std::string& state_dir) {
    boost::asio::io_context io;
    control::ControlServer server(io.get_executor(), settings, state_dir, server_.backend());
    return server.open();
  }

  TempDir dir_;
  std::string tokens_file_;
  std::string token_;
  ServerHarness server_;
};

TEST_F(ControlSetupTest, PlainHttpIsRefusedOffLoopback) {
  for (const char* host : {"0.0.0.0", "192.0.2.10", "", "::"}) {
    config::ApiSettings s;
    s.socket.clear();
    s.listen = config::HostPort{host, 0};
    s.tls.reset();
    s.tokens_file = tokens_file_;
    auto st = open_only(s, dir_.file("state"));
    ASSERT_FALSE(st) << host;
    EXPECT_EQ(st.error().kind, common::ErrorKind::kInvalidArgument) << host;
    EXPECT_NE(st.error().message.find("loopback"), std::string::npos) << st.error().message;
  }
}

TEST_F(ControlSetupTest, TcpWithoutAnyTokenIsRefused) {
  const std::string empty = dir_.file("empty-tokens.json");
  auto st = start(tls_settings(empty));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, common::ErrorKind::kInvalidArgument);
  EXPECT_NE(st.error().message.find("token"), std::string::npos);
  std::ofstream(dir_.file("broken-tokens.json")) << "[{";
  auto broken = open_only(tls_settings(dir_.file("broken-tokens.json")), dir_.file("state"));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().kind, common::ErrorKind::kInvalidArgument);
}

TEST_F(ControlSetupTest, UnusableCertificateIsRefused) {
  auto s = tls_settings(tokens_file_);
  s.tls->cert = dir_.file("missing.pem");
  auto st = open_only(s, dir_.file("state"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, common::ErrorKind::kInvalidArgument);
  EXPECT_NE(st.error().message.find("api.tls.cert"), std::string::npos);
  s = tls_settings(tokens_file_);
  s.tls->key = test_pki().client_key;  // a key of another certificate
  auto mismatch = open_only(s, dir_.file("state"));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().kind, common::ErrorKind::kInvalidArgument);
}

TEST_F(ControlSetupTest, PlainHttpOnLoopbackServes) {
  config::ApiSettings s;
  s.socket.clear();
  s.listen = config::HostPort{"127.0.0.1", 0};
  s.tls.reset();
  s.tokens_file = tokens_file_;
  auto st = start(s);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(TestClient::request(Kind::kPlain, server_.port(), "GET", "/v1/services", token_).status, 200);
  EXPECT_EQ(TestClient::request(Kind::kPlain, server_.port(), "GET", "/v1/services").status, 401);
}

TEST_F(ControlSetupTest, UnixSocketIsPrivateAndAdmin) {
  config::ApiSettings s;
  s.socket = dir_.file("run/api.sock");
  s.tokens_file = dir_.file("no-tokens.json");  // the socket needs none
  auto st = start(s);
  ASSERT_TRUE(st) << st.error().message;
  struct stat info {};
  ASSERT_EQ(::stat(s.socket.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0660u);

  auto list = TestClient::request(Kind::kUnix, 0, "GET", "/v1/services", {}, {}, s.socket);
  EXPECT_EQ(list.status, 200);
  auto update = TestClient::request(Kind::kUnix, 0, "POST", "/v1/services/web/update", {}, "{}", s.socket);
  EXPECT_EQ(update.status, 202);
  const auto calls = server_.backend().calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].caller, "unix-socket");
  EXPECT_EQ(calls[1].scope, control::Scope::kAdmin);
  std::ifstream audit(dir_.file("state/audit.log"));
  std::string line;
  ASSERT_TRUE(std::getline(audit, line));
  EXPECT_EQ(nlohmann::json::parse(line)["caller"], "unix-socket");

  // A second agent on the same socket is refused while the first one listens.
  auto second = open_only(s, dir_.file("state2"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, common::ErrorKind::kConflict);
  server_.stop();
  EXPECT_FALSE(std::filesystem::exists(s.socket));
}

}  // namespace
}  // namespace berth::test
