// The control endpoint over real TLS: authentication, scopes, revocation, throttling, webhook secrets,
// mTLS, the audit log, and that no token or secret is ever written down.
#include "control/token_store.hpp"
#include "control_fixture.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace berth::test {
namespace {

using control::RouteId;
using control::Scope;
using Kind = TestClient::Kind;

class ControlAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_file_ = dir_.file("tokens.json");
    state_dir_ = dir_.file("state");
    control::TokenStore store(tokens_file_);
    const auto now = std::chrono::system_clock::now();
    read_ = store.create("reader", Scope::kRead, now).value();
    deploy_ = store.create("ci", Scope::kDeploy, now).value();
    hook_ = store.create("hub", Scope::kWebhook, now).value();
  }

  void start(control::ServerLimits limits = {}, std::optional<std::string> client_ca = std::nullopt) {
    auto settings = tls_settings(tokens_file_);
    settings.tls->client_ca = std::move(client_ca);
    auto st = server_.start(settings, state_dir_, limits);
    ASSERT_TRUE(st) << st.error().message;
  }

  HttpAnswer req(const std::string& method, const std::string& target, const std::string& token = {},
                 const std::string& body = {}) {
    return TestClient::request(Kind::kTls, server_.port(), method, target, token, body);
  }

  static nlohmann::json json_of(const HttpAnswer& a) { return nlohmann::json::parse(a.body, nullptr, false); }

  // Opens GET /v1/events with `token` and reads until the stream says it is subscribed.
  std::unique_ptr<TestClient> open_events(const std::string& token) {
    auto c = std::make_unique<TestClient>(Kind::kTls, server_.port());
    EXPECT_TRUE(c->connect()) << c->error();
    c->write(raw_request("GET", "/v1/events", token));
    const std::string got = read_until(*c, ": subscribed", std::chrono::seconds(5));
    EXPECT_NE(got.find(": subscribed"), std::string::npos) << got;
    return c;
  }

  // What arrives until `text` has (empty `text`: until the server closes) or `timeout` passes.
  static std::string read_until(TestClient& c, std::string_view text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string got;
    while (!c.closed() && (text.empty() || got.find(text) == std::string::npos)) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        break;
      }
      got += c.read_some(left);
    }
    return got;
  }

  [[nodiscard]] std::vector<nlohmann::json> audit_lines() const {
    std::ifstream in(state_dir_ + "/audit.log");
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) {
      lines.push_back(nlohmann::json::parse(line));
    }
    return lines;
  }

  std::size_t calls_to(RouteId route) {
    std::size_t n = 0;
    for (const auto& c : server_.backend().calls()) {
      n += c.route == route ? 1 : 0;
    }
    return n;
  }

  TempDir dir_;
  std::string tokens_file_;
  std::string state_dir_;
  std::string read_;
  std::string deploy_;
  std::string hook_;
  ServerHarness server_;
};

TEST_F(ControlAuthTest, NoTokenIs401WithBearerChallenge) {
  start();
  auto health = req("GET", "/v1/health");
  EXPECT_EQ(health.status, 200);
  auto a = req("GET", "/v1/services");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.headers["www-authenticate"], "Bearer realm=\"berth\"");
  EXPECT_EQ(json_of(a)["error"]["code"], "unauthorized");
  auto wrong = req("GET", "/v1/services", "berth_" + std::string(64, '0'));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(calls_to(RouteId::kListServices), 0u);
  auto ok = req("GET", "/v1/services", read_);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json_of(ok)["services"][0]["name"], "web");
  ASSERT_EQ(calls_to(RouteId::kListServices), 1u);
  EXPECT_EQ(server_.backend().calls().back().caller, "reader");
}

TEST_F(ControlAuthTest, WrongScopeIs403) {
  start();
  auto a = req("POST", "/v1/services/web/update", read_, "{}");
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(json_of(a)["error"]["code"], "forbidden");
  EXPECT_EQ(calls_to(RouteId::kUpdateService), 0u);
  EXPECT_EQ(req("POST", "/v1/services/web/update", deploy_, "{}").status, 202);
  EXPECT_EQ(req("GET", "/metrics", read_).status, 200);
}

TEST_F(ControlAuthTest, RevokedTokenIs401WithoutRestart) {
  start();
  EXPECT_EQ(req("POST", "/v1/services/web/update", deploy_, "{}").status, 202);
  ASSERT_TRUE(control::TokenStore(tokens_file_).revoke("ci"));
  auto after = req("POST", "/v1/services/web/update", deploy_, "{}");
  EXPECT_EQ(after.status, 401);
  EXPECT_FALSE(after.headers["www-authenticate"].empty());
  EXPECT_EQ(calls_to(RouteId::kUpdateService), 1u);
  // A token created while the server runs counts at once too.
  const auto fresh = control::TokenStore(tokens_file_).create("ci2", Scope::kDeploy, std::chrono::system_clock::now());
  ASSERT_TRUE(fresh);
  EXPECT_EQ(req("POST", "/v1/services/web/update", *fresh, "{}").status, 202);
}

TEST_F(ControlAuthTest, RevokedTokenEndsItsEventStreams) {
  using namespace std::chrono_literals;
  start();
  auto reader = open_events(read_);
  auto deployer = open_events(deploy_);
  ASSERT_EQ(server_.backend().subscribers(), 2u);

  // An event sent right after a revocation reaches only the streams whose tokens still count, and the
  // revoked token's stream is closed.
  ASSERT_TRUE(control::TokenStore(tokens_file_).revoke("reader"));
  server_.on_server_thread([&] { server_.backend().emit({{"type", "check"}, {"service", "web"}}); });
  const std::string delivered = read_until(*deployer, "data: ", 5s);
  EXPECT_NE(delivered.find(R"(data: {"service":"web","type":"check"})"), std::string::npos) << delivered;
  const std::string after_revoke = read_until(*reader, {}, 5s);
  EXPECT_TRUE(reader->closed()) << "the stream of a revoked token is still open";
  EXPECT_EQ(after_revoke.find("data: "), std::string::npos) << after_revoke;
  EXPECT_FALSE(deployer->closed());

  // A quiet stream notices too, within a few seconds, without any event to send.
  ASSERT_TRUE(control::TokenStore(tokens_file_).revoke("ci"));
  const auto revoked_at = std::chrono::steady_clock::now();
  read_until(*deployer, {}, 5s);
  EXPECT_TRUE(deployer->closed()) << "a quiet stream of a revoked token is still open";
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, 5s);
  for (int i = 0; i < 50 && server_.backend().subscribers() != 0; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(server_.backend().subscribers(), 0u);
  EXPECT_EQ(req("GET", "/v1/events", read_).status, 401);
}

TEST_F(ControlAuthTest, RepeatedFailuresAreThrottled) {
  start();
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(req("GET", "/v1/services", "berth_guess_" + std::to_string(i)).status, 401);
  }
  auto throttled = req("GET", "/v1/services", "berth_guess_more");
  EXPECT_EQ(throttled.status, 429);
  ASSERT_TRUE(throttled.headers.contains("retry-after"));
  EXPECT_GT(std::stoi(throttled.headers["retry-after"]), 0);
  EXPECT_LE(std::stoi(throttled.headers["retry-after"]), 60);
  EXPECT_EQ(req("GET", "/v1/services").status, 429);
  EXPECT_EQ(req("GET", "/v1/health").status, 200);
  // The guesser shares the address with the operators (a NAT, a loopback listener): they get in.
  EXPECT_EQ(req("GET", "/v1/services", read_).status, 200);
  EXPECT_EQ(req("POST", "/v1/services/web/update", deploy_, "{}").status, 202);
  EXPECT_EQ(req("POST", "/v1/hooks/registry/" + hook_, {}, "{}").status, 202);
}

TEST_F(ControlAuthTest, WebhookSecretOnlyTriggersACheck) {
  start();
  auto hook = req("POST", "/v1/hooks/registry/" + hook_, {}, R"({"repository": {"repo_name": "acme/web"}})");
  EXPECT_EQ(hook.status, 202);
  ASSERT_EQ(calls_to(RouteId::kRegistryHook), 1u);
  const auto call = server_.backend().calls().back();
  EXPECT_EQ(call.caller, "hub");
  EXPECT_EQ(call.scope, Scope::kWebhook);
  EXPECT_FALSE(call.params.contains("secret"));
  EXPECT_EQ(call.path.find(hook_), std::string::npos);
  EXPECT_EQ(req("GET", "/v1/services", hook_).status, 401);
  EXPECT_EQ(req("POST", "/v1/services/web/update", hook_, "{}").status, 401);
  EXPECT_EQ(req("POST", "/v1/services/web/check", hook_, "{}").status, 401);
  EXPECT_EQ(req("POST", "/v1/hooks/registry/" + deploy_, deploy_, "{}").status, 401);
  EXPECT_EQ(req("POST", "/v1/hooks/registry/berth_wrong", {}, "{}").status, 401);
  EXPECT_EQ(calls_to(RouteId::kRegistryHook), 1u);
  EXPECT_EQ(calls_to(RouteId::kUpdateService), 0u);
}

TEST_F(ControlAuthTest, ClientCertificatesAreRequiredWhenConfigured) {
  start({}, test_pki().ca);
  {
    TestClient none(Kind::kTls, server_.port());
    if (none.connect()) {  // TLS 1.3 finishes the client side first; the refusal arrives on the first read
      none.write(raw_request("GET", "/v1/services", read_));
      EXPECT_EQ(none.read_answer().status, 0);
    }
  }
  {
    TestClient rogue(Kind::kTls, server_.port(), {}, {test_pki().rogue_cert, test_pki().rogue_key});
    if (rogue.connect()) {
      rogue.write(raw_request("GET", "/v1/services", read_));
      EXPECT_EQ(rogue.read_answer().status, 0);
    }
  }
  TestClient good(Kind::kTls, server_.port(), {}, {test_pki().client_cert, test_pki().client_key});
  ASSERT_TRUE(good.connect()) << good.error();
  good.write(raw_request("GET", "/v1/services", read_));
  EXPECT_EQ(good.read_answer().status, 200);
  good.write(raw_request("GET", "/v1/services"));
  EXPECT_EQ(good.read_answer().status, 401);  // a certificate is no substitute for the token
  EXPECT_EQ(calls_to(RouteId::kListServices), 1u);
}

TEST_F(ControlAuthTest, AuditLogRecordsEveryMutatingRequest) {
  start();
  EXPECT_EQ(req("POST", "/v1/services/web/update", deploy_, "{}").status, 202);
  EXPECT_EQ(req("POST", "/v1/services/web/rollback", read_, "{}").status, 403);
  EXPECT_EQ(req("POST", "/v1/update", "berth_nope", "{}").status, 401);  // no caller: counted, not audited
  EXPECT_EQ(req("GET", "/v1/services", read_).status, 200);              // reads are not audited
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["caller"], "ci");
  EXPECT_EQ(lines[0]["route"], "update_service");
  EXPECT_EQ(lines[0]["status"], 202);
  EXPECT_EQ(lines[0]["result"], "swap swap-1");
  EXPECT_EQ(lines[0]["address"], "127.0.0.1");
  EXPECT_EQ(lines[1]["caller"], "reader");
  EXPECT_EQ(lines[1]["result"], "forbidden");
}

TEST_F(ControlAuthTest, RefusalsAreCountedNotWrittenDown) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = spdlog::default_logger();
  const auto old_level = logger->level();
  logger->sinks().push_back(sink);
  logger->set_level(spdlog::level::info);
  const std::string socket = dir_.file("berth.sock");
  control::ServerLimits limits;
  limits.throttle.max_failures = 3;
  auto settings = tls_settings(tokens_file_, socket);
  ASSERT_TRUE(server_.start(settings, state_dir_, limits));
  EXPECT_EQ(req("POST", "/v1/services/web/update", deploy_, "{}").status, 202);
  EXPECT_EQ(req("POST", "/v1/services/web/update", read_, "{}").status, 403);
  EXPECT_EQ(req("POST", "/v1/services/web/rollback", {}, "{}").status, 401);
  EXPECT_EQ(req("POST", "/v1/services/web/rollback", "berth_nope", "{}").status, 401);
  EXPECT_EQ(req("POST", "/v1/hooks/registry/berth_nope", {}, "{}").status, 401);
  EXPECT_EQ(req("POST", "/v1/services/web/rollback", "berth_nope", "{}").status, 429);
  EXPECT_EQ(req("POST", "/v1/services/web/rollback", {}, "{}").status, 429);
  const auto metrics = TestClient::request(Kind::kUnix, 0, "GET", "/metrics", {}, {}, socket);
  server_.stop();
  logger->sinks().pop_back();
  logger->set_level(old_level);

  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("berth_services_watched 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("berth_api_refused_total{reason=\"unauthorized\"} 3\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("berth_api_refused_total{reason=\"forbidden\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("berth_api_refused_total{reason=\"throttled\"} 2\n"), std::string::npos);
  // Only authenticated callers are written down; anonymous refusals leave no line anywhere.
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["caller"], "ci");
  EXPECT_EQ(lines[1]["caller"], "reader");
  EXPECT_EQ(lines[1]["status"], 403);
  const std::string log = captured.str();
  EXPECT_EQ(log.find("rollback"), std::string::npos) << log;
  EXPECT_EQ(log.find("hooks"), std::string::npos) << log;
}

TEST_F(ControlAuthTest, RepeatedRefusalsCloseTheConnection) {
  start();
  TestClient c(Kind::kTls, server_.port());
  ASSERT_TRUE(c.connect()) << c.error();
  for (int i = 0; i < 2; ++i) {
    c.write(raw_request("POST", "/v1/services/web/rollback", {}, "{}"));
    const auto a = c.read_answer();
    EXPECT_EQ(a.status, 401);
    EXPECT_FALSE(a.closed);
  }
  c.write(raw_request("POST", "/v1/services/web/rollback", "berth_nope", "{}"));
  const auto last = c.read_answer();
  EXPECT_EQ(last.status, 401);
  EXPECT_TRUE(last.closed);
  EXPECT_TRUE(c.wait_closed(std::chrono::seconds(3)));
  EXPECT_EQ(req("GET", "/v1/services", read_).status, 200);
}

TEST_F(ControlAuthTest, TokensAndSecretsAreNeverWritten) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = spdlog::default_logger();
  const auto old_level = logger->level();
  logger->sinks().push_back(sink);
  logger->set_level(spdlog::level::trace);
  start();
  const std::string near_miss = deploy_.substr(0, deploy_.size() - 1) + "0";
  EXPECT_EQ(req("GET", "/v1/services", read_).status, 200);
  EXPECT_EQ(req("POST", "/v1/services/web/update", deploy_, "{}").status, 202);
  EXPECT_EQ(req("POST", "/v1/services/web/update", near_miss, "{}").status, 401);
  EXPECT_EQ(req("POST", "/v1/services/web/rollback", read_, "{}").status, 403);
  EXPECT_EQ(req("POST", "/v1/hooks/registry/" + hook_, {}, R"({"events": []})").status, 202);
  EXPECT_EQ(req("POST", "/v1/hooks/registry/" + near_miss, {}, "{}").status, 401);
  EXPECT_EQ(req("GET", "/v1/hooks/registry/" + hook_).status, 405);
  EXPECT_EQ(req("GET", "/v1/hooks/registry/" + hook_ + "/x").status, 404);
  server_.stop();
  logger->sinks().pop_back();
  logger->set_level(old_level);

  const std::string log = captured.str();
  EXPECT_NE(log.find("audit"), std::string::npos) << "the log should have audit lines to check";
  for (const std::string& secret : {read_, deploy_, hook_, near_miss}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "secret in the log:\n" << log;
    EXPECT_TRUE(files_containing(dir_.path(), secret).empty()) << "secret in a file";
    EXPECT_EQ(log.find(secret.substr(6, 16)), std::string::npos) << "part of a secret in the log";
  }
  EXPECT_FALSE(files_containing(dir_.path(), "update_service").empty());  // the audit log itself exists
}

}  // namespace
}  // namespace berth::test
