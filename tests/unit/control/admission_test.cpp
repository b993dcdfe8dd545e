#include "control/admission.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

const std::string kRead = "berth_read_token";
const std::string kDeploy = "berth_deploy_token";
const std::string kHook = "berth_hook_secret";

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest()
      : tokens_({{"reader", Scope::kRead, hash_token(kRead), ""},
                 {"ci", Scope::kDeploy, hash_token(kDeploy), ""},
                 {"hub", Scope::kWebhook, hash_token(kHook), ""}}) {}

  Admission admit(const std::string& method, const std::string& target, const std::string& token = {},
                  Transport transport = Transport::kTcp, const std::string& body = {}) {
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: x\r\n";
    if (!token.empty()) {
      raw += "Authorization: Bearer " + token + "\r\n";
    }
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    RequestParser parser;
    parser.feed(raw);
    EXPECT_TRUE(parser.done()) << parser.error_message();
    return admit_request(parser.take_request(), Peer{transport, "192.0.2.7"}, tokens_, throttle_, now_);
  }

  static std::string header(const ApiResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) {
        return v;
      }
    }
    return {};
  }

  TokenSet tokens_;
  AuthThrottle throttle_;
  AuthThrottle::Clock::time_point now_ = AuthThrottle::Clock::time_point{} + std::chrono::hours(1);
};

TEST_F(AdmissionTest, HealthNeedsNothing) {
  auto a = admit("GET", "/v1/health");
  EXPECT_FALSE(a.reject);
  EXPECT_EQ(a.route, RouteId::kHealth);
}

TEST_F(AdmissionTest, NoTokenIs401WithBearerChallenge) {
  auto a = admit("GET", "/v1/services");
  ASSERT_TRUE(a.reject);
  EXPECT_EQ(a.reject->status, 401);
  EXPECT_EQ(header(*a.reject, "WWW-Authenticate"), "Bearer realm=\"berth\"");
  auto bad = admit("GET", "/v1/services", "berth_wrong");
  ASSERT_TRUE(bad.reject);
  EXPECT_EQ(bad.reject->status, 401);
  EXPECT_NE(header(*bad.reject, "WWW-Authenticate").find("invalid_token"), std::string::npos);
  EXPECT_EQ(bad.reject->body, a.reject->body);  // the same answer for missing and wrong
}

TEST_F(AdmissionTest, ScopesAreEnforced) {
  auto ok = admit("GET", "/v1/services/web", kRead);
  ASSERT_FALSE(ok.reject);
  EXPECT_EQ(ok.request.caller.name, "reader");
  ASSERT_TRUE(ok.token);  // what an event stream checks again while it runs
  EXPECT_EQ(ok.token->name, "reader");
  EXPECT_EQ(ok.token->sha256, hash_token(kRead));
  EXPECT_EQ(ok.request.caller.address, "192.0.2.7");
  EXPECT_EQ(ok.request.params.at("name"), "web");
  auto denied = admit("POST", "/v1/services/web/update", kRead, Transport::kTcp, "{}");
  ASSERT_TRUE(denied.reject);
  EXPECT_EQ(denied.reject->status, 403);
  EXPECT_EQ(denied.reject->body["error"]["code"], "forbidden");
  auto deploy = admit("POST", "/v1/services/web/update", kDeploy, Transport::kTcp, R"({"digest":"x"})");
  ASSERT_FALSE(deploy.reject);
  EXPECT_EQ(deploy.request.body, R"({"digest":"x"})");
  EXPECT_FALSE(admit("POST", "/v1/services/web/check", kRead, Transport::kTcp).reject);
}

TEST_F(AdmissionTest, WebhookSecretOnlyOpensTheHookRoute) {
  auto hook = admit("POST", "/v1/hooks/registry/" + kHook, {}, Transport::kTcp, "{}");
  ASSERT_FALSE(hook.reject);
  EXPECT_EQ(hook.route, RouteId::kRegistryHook);
  EXPECT_EQ(hook.request.caller.name, "hub");
  EXPECT_FALSE(hook.request.params.contains("secret"));
  EXPECT_EQ(hook.request.path.find(kHook), std::string::npos);

  auto as_bearer = admit("GET", "/v1/services", kHook);
  ASSERT_TRUE(as_bearer.reject);
  EXPECT_EQ(as_bearer.reject->status, 401);
  auto deploy_on_hook = admit("POST", "/v1/hooks/registry/" + kDeploy, kDeploy, Transport::kTcp, "{}");
  ASSERT_TRUE(deploy_on_hook.reject);
  EXPECT_EQ(deploy_on_hook.reject->status, 401);
  EXPECT_TRUE(admit("POST", "/v1/hooks/registry/wrong", {}, Transport::kTcp, "{}").reject);
}

TEST_F(AdmissionTest, UnixSocketIsAdmin) {
  auto a = admit("POST", "/v1/update", {}, Transport::kUnixSocket);
  ASSERT_FALSE(a.reject);
  EXPECT_EQ(a.request.caller.name, "unix-socket");
  EXPECT_EQ(a.request.caller.scope, Scope::kAdmin);
  EXPECT_FALSE(a.token);  // no token to revoke
}

TEST_F(AdmissionTest, FailuresAreThrottledWithRetryAfter) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(admit("GET", "/v1/services", "berth_guess" + std::to_string(i)).reject->status, 401);
  }
  auto throttled = admit("GET", "/v1/services", "berth_guess_more");
  ASSERT_TRUE(throttled.reject);
  EXPECT_EQ(throttled.reject->status, 429);
  EXPECT_EQ(header(*throttled.reject, "Retry-After"), "60");
  EXPECT_EQ(admit("GET", "/v1/services").reject->status, 429);
  EXPECT_EQ(admit("POST", "/v1/hooks/registry/wrong", {}, Transport::kTcp, "{}").reject->status, 429);
  EXPECT_FALSE(admit("GET", "/v1/health").reject);                                // no credential, no throttle
  EXPECT_FALSE(admit("GET", "/v1/services", {}, Transport::kUnixSocket).reject);  // the socket is not throttled
  now_ += std::chrono::seconds(61);
  EXPECT_EQ(admit("GET", "/v1/services", "berth_guess_later").reject->status, 401);
}

TEST_F(AdmissionTest, AValidCredentialIsNeverThrottled) {
  // Someone else behind the same address (a NAT, or any local user on a loopback listener) guesses.
  for (int i = 0; i < 50; ++i) {
    admit("GET", "/v1/services", "berth_guess" + std::to_string(i));
  }
  ASSERT_EQ(admit("GET", "/v1/services", "berth_guess").reject->status, 429);
  auto reader = admit("GET", "/v1/services", kRead);
  EXPECT_FALSE(reader.reject);
  EXPECT_EQ(reader.request.caller.name, "reader");
  EXPECT_FALSE(admit("POST", "/v1/services/web/update", kDeploy, Transport::kTcp, "{}").reject);
  EXPECT_EQ(admit("POST", "/v1/services/web/update", kRead, Transport::kTcp, "{}").reject->status, 403);
  EXPECT_FALSE(admit("POST", "/v1/hooks/registry/" + kHook, {}, Transport::kTcp, "{}").reject);
}

TEST_F(AdmissionTest, PathAndMethodProblems) {
  EXPECT_EQ(admit("GET", "/v1//services", kRead).reject->status, 400);
  EXPECT_EQ(admit("GET", "/v1/services/%2e%2e", kRead).reject->status, 400);
  EXPECT_EQ(admit("GET", "/v2/services", kRead).reject->status, 404);
  auto wrong = admit("PUT", "/v1/services", kRead);
  EXPECT_EQ(wrong.reject->status, 405);
  EXPECT_EQ(header(*wrong.reject, "Allow"), "GET");
}

TEST(AdmissionErrors, ParseErrorAnswers) {
  EXPECT_EQ(parse_error_response(413, "x").body["error"]["code"], "too_large");
  EXPECT_EQ(parse_error_response(431, "x").status, 431);
  EXPECT_EQ(parse_error_response(400, "x").body["error"]["code"], "bad_request");
}

}  // namespace
}  // namespace berth::control
