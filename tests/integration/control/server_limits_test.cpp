// The control endpoint under hostile or careless clients: body and head caps, slowloris, garbage,
// keep-alive and pipelining, connection caps, and event streams that come and go.
#include "control/token_store.hpp"
#include "control_fixture.hpp"

#include <gtest/gtest.h>

#include <random>

namespace berth::test {
namespace {

using control::RouteId;
using Kind = TestClient::Kind;
using namespace std::chrono_literals;

class ControlLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_file_ = dir_.file("tokens.json");
    token_ = control::TokenStore(tokens_file_)
                 .create("ci", control::Scope::kDeploy, std::chrono::system_clock::now())
                 .value();
  }

  void start(control::ServerLimits limits = {}) {
    auto st = server_.start(tls_settings(tokens_file_), dir_.file("state"), limits);
    ASSERT_TRUE(st) << st.error().message;
  }

  std::unique_ptr<TestClient> connected() {
    auto c = std::make_unique<TestClient>(Kind::kTls, server_.port());
    EXPECT_TRUE(c->connect()) << c->error();
    return c;
  }

  bool still_serves() {
    return TestClient::request(Kind::kTls, server_.port(), "GET", "/v1/services", token_).status == 200;
  }

  std::size_t backend_calls() { return server_.backend().calls().size(); }

  TempDir dir_;
  std::string tokens_file_;
  std::string token_;
  ServerHarness server_;
};

TEST_F(ControlLimitsTest, OversizedBodiesAre413) {
  start();
  {
    auto c = connected();
    const std::string body(100 * 1024, 'x');
    c->write(raw_request("POST", "/v1/services/web/update", token_, body));
    auto a = c->read_answer();
    EXPECT_EQ(a.status, 413);
    EXPECT_TRUE(a.closed);
  }
  {
    // Chunked: no length up front, the cap holds on the stream.
    auto c = connected();
    std::string raw = "POST /v1/services/web/update HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token_ +
                      "\r\nTransfer-Encoding: chunked\r\n\r\n";
    c->write(raw);
    const std::string chunk = "4000\r\n" + std::string(0x4000, 'y') + "\r\n";
    for (int i = 0; i < 5 && !c->closed(); ++i) {
      c->write(chunk);
    }
    EXPECT_EQ(c->read_answer().status, 413);
  }
  {
    auto c = connected();
    c->write("GET /v1/services HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(9000, 'p') + "\r\n\r\n");
    EXPECT_EQ(c->read_answer().status, 431);
  }
  EXPECT_EQ(backend_calls(), 0u);
  EXPECT_TRUE(still_serves());
}

TEST_F(ControlLimitsTest, SlowlorisIsClosedByTheHeaderDeadline) {
  control::ServerLimits limits;
  limits.header_timeout = 2s;
  start(limits);
  auto c = connected();
  const std::string head = raw_request("GET", "/v1/services", token_);
  const auto began = std::chrono::steady_clock::now();
  std::size_t sent = 0;
  while (sent < head.size() && !c->closed()) {
    c->write(head.substr(sent++, 1));
    c->read_some(1000ms);  // one byte per second
  }
  const auto lasted = std::chrono::steady_clock::now() - began;
  EXPECT_TRUE(c->closed());
  EXPECT_LT(sent, 6u);
  EXPECT_LT(lasted, 4s);
  EXPECT_EQ(backend_calls(), 0u);
  EXPECT_TRUE(still_serves());
}

TEST_F(ControlLimitsTest, SilentAndSlowConnectionsAreClosed) {
  control::ServerLimits limits;
  limits.header_timeout = 1s;
  limits.body_timeout = 1s;
  limits.idle_timeout = 1s;
  limits.handshake_timeout = 1s;
  start(limits);
  {
    TestClient raw(Kind::kPlain, server_.port());  // TCP only, never says hello
    ASSERT_TRUE(raw.connect());
    EXPECT_TRUE(raw.wait_closed(3s));
  }
  {
    auto c = connected();  // handshake done, then nothing
    EXPECT_TRUE(c->wait_closed(3s));
  }
  {
    auto c = connected();  // a head promising a body that never comes
    c->write("POST /v1/update HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_TRUE(c->wait_closed(3s));
  }
  {
    auto c = connected();  // keep-alive: one answer, then idle
    c->write(raw_request("GET", "/v1/health"));
    EXPECT_EQ(c->read_answer().status, 200);
    EXPECT_TRUE(c->wait_closed(3s));
  }
  EXPECT_TRUE(still_serves());
}

TEST_F(ControlLimitsTest, GarbageIsAnsweredOrClosedWithoutHarm) {
  start();
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    auto c = connected();
    std::string junk(4096, '\0');
    for (auto& ch : junk) {
      ch = static_cast<char>(rng());
    }
    c->write(junk);
    auto a = c->read_answer(3s);
    EXPECT_TRUE(a.status == 400 || a.status == 0) << a.status;
  }
  for (const char* text : {"GET /../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", "GET / HTTP/9.9\r\nHost: t\r\n\r\n",
                           "\r\n\r\n\r\n", "GET /v1/services HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n"}) {
    auto c = connected();
    c->write(text);
    auto a = c->read_answer(3s);
    EXPECT_GE(a.status, 400) << text;
    EXPECT_TRUE(a.closed) << text;
  }
  {
    TestClient plain(Kind::kPlain, server_.port());  // plain HTTP to the TLS port
    ASSERT_TRUE(plain.connect());
    plain.write(raw_request("GET", "/v1/health"));
    EXPECT_TRUE(plain.wait_closed(3s));
  }
  EXPECT_EQ(backend_calls(), 0u);
  EXPECT_TRUE(still_serves());
}

TEST_F(ControlLimitsTest, KeepAliveAndPipelining) {
  start();
  auto c = connected();
  c->write(raw_request("GET", "/v1/health") + raw_request("GET", "/v1/services", token_) +
           raw_request("POST", "/v1/services/web/check", token_, "{}"));
  EXPECT_EQ(c->read_answer().status, 200);
  auto second = c->read_answer();
  EXPECT_EQ(second.status, 200);
  EXPECT_NE(second.body.find("services"), std::string::npos);
  EXPECT_EQ(c->read_answer().status, 200);
  c->write("GET /v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto last = c->read_answer();
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.headers["connection"], "close");
  EXPECT_TRUE(c->wait_closed(3s));
}

TEST_F(ControlLimitsTest, ConnectionsPerAddressAreCapped) {
  control::ServerLimits limits;
  limits.max_connections_per_address = 2;
  start(limits);
  auto a = connected();
  auto b = connected();
  TestClient third(Kind::kTls, server_.port());
  EXPECT_FALSE(third.connect());
  a->close();
  b->write(raw_request("GET", "/v1/health"));
  EXPECT_EQ(b->read_answer().status, 200);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(still_serves());
}

TEST_F(ControlLimitsTest, UnixSocketHasItsOwnBudget) {
  control::ServerLimits limits;
  limits.max_connections = 2;
  limits.max_unix_connections = 2;
  const std::string socket = dir_.file("berth.sock");
  ASSERT_TRUE(server_.start(tls_settings(tokens_file_, socket), dir_.file("state"), limits));
  auto a = connected();  // the TCP budget taken, by anyone
  auto b = connected();
  TestClient third(Kind::kTls, server_.port());
  EXPECT_FALSE(third.connect());
  // The operator on the host still gets in.
  TestClient local(Kind::kUnix, 0, socket);
  ASSERT_TRUE(local.connect()) << local.error();
  local.write(raw_request("GET", "/v1/services"));
  EXPECT_EQ(local.read_answer().status, 200);
  // And the socket's budget is its own: local clients cannot take the TCP slots either.
  TestClient second_local(Kind::kUnix, 0, socket);
  ASSERT_TRUE(second_local.connect());
  TestClient third_local(Kind::kUnix, 0, socket);
  if (third_local.connect()) {
    third_local.write(raw_request("GET", "/v1/services"));
    EXPECT_EQ(third_local.read_answer(2s).status, 0);
  }
  a->close();
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(still_serves());
}

TEST_F(ControlLimitsTest, AnonymousConnectionsHaveAShortIdleLimit) {
  control::ServerLimits limits;
  limits.unauthenticated_idle_timeout = 500ms;  // the normal idle limit stays 30 s
  start(limits);
  {
    auto anonymous = connected();
    anonymous->write(raw_request("GET", "/v1/health"));
    EXPECT_EQ(anonymous->read_answer().status, 200);
    const auto began = std::chrono::steady_clock::now();
    EXPECT_TRUE(anonymous->wait_closed(3s));
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  }
  {
    auto known = connected();
    known->write(raw_request("GET", "/v1/services", token_));
    EXPECT_EQ(known->read_answer().status, 200);
    std::this_thread::sleep_for(1500ms);             // longer than the anonymous limit
    known->write(raw_request("GET", "/v1/health"));  // once authenticated, the connection stays so
    EXPECT_EQ(known->read_answer().status, 200);
    std::this_thread::sleep_for(1500ms);  // longer than the anonymous limit
    known->write(raw_request("GET", "/v1/services", token_));
    EXPECT_EQ(known->read_answer().status, 200);
  }
  {
    auto wrong = connected();  // a wrong token is no better than none
    wrong->write(raw_request("GET", "/v1/services", "berth_nope"));
    EXPECT_EQ(wrong->read_answer().status, 401);
    EXPECT_TRUE(wrong->wait_closed(3s));
  }
}

TEST_F(ControlLimitsTest, EventStreamDeliversAndUnsubscribes) {
  control::ServerLimits limits;
  limits.heartbeat_interval = 300ms;
  start(limits);
  {
    auto c = connected();
    c->write(raw_request("GET", "/v1/events", token_));
    std::string got;
    while (got.find(": subscribed") == std::string::npos && !c->closed()) {
      got += c->read_some(2s);
    }
    EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos);
    EXPECT_EQ(server_.backend().subscribers(), 1u);
    server_.on_server_thread([&] { server_.backend().emit({{"type", "swap"}, {"swap", "s1"}, {"step", "pull"}}); });
    while (got.find("data: ") == std::string::npos && !c->closed()) {
      got += c->read_some(2s);
    }
    EXPECT_NE(got.find(R"(data: {"step":"pull","swap":"s1","type":"swap"})"), std::string::npos) << got;
    while (got.find(": heartbeat") == std::string::npos && !c->closed()) {
      got += c->read_some(2s);
    }
    EXPECT_NE(got.find(": heartbeat"), std::string::npos);
  }
  for (int i = 0; i < 50 && server_.backend().subscribers() != 0; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(server_.backend().subscribers(), 0u);
  EXPECT_EQ(TestClient::request(Kind::kTls, server_.port(), "GET", "/v1/events").status, 401);
}

}  // namespace
}  // namespace berth::test
