#include "registry/token.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::registry {
namespace {

using namespace std::chrono_literals;

Challenge bearer(std::string_view header) {
  auto parsed = parse_challenges(header);
  EXPECT_TRUE(parsed.has_value());
  return parsed.has_value() && !parsed->empty() ? parsed->front() : Challenge{};
}

TEST(TokenEndpoint, FromDockerHubChallenge) {
  const auto endpoint = token_endpoint(bearer(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")"));
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(*endpoint,
            (TokenEndpoint{"https://auth.docker.io/token", "registry.docker.io", "repository:library/nginx:pull", ""}));
  const auto expired = token_endpoint(bearer(R"(Bearer realm="http://127.0.0.1:5001/auth",error="invalid_token")"));
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->error, "invalid_token");
  EXPECT_EQ(expired->service, "");
}

TEST(TokenEndpoint, Refusals) {
  EXPECT_EQ(token_endpoint(bearer(R"(Basic realm="Registry Realm")")).error().message,
            "the registry asked for basic authentication, not a bearer token");
  EXPECT_EQ(token_endpoint(bearer(R"(Bearer service="x")")).error().message,
            "the registry's bearer challenge has no realm");
  const auto bad = token_endpoint(bearer(R"(Bearer realm="file:///etc/passwd")"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, common::ErrorKind::kProtocol);
  EXPECT_EQ(bad.error().message, "the registry's bearer realm \"file:///etc/passwd\" is not an http(s) URL");
  EXPECT_FALSE(token_endpoint(bearer(R"(Bearer realm="https://")")).has_value());
}

TEST(TokenRequestUrl, BuildsTheQuery) {
  const TokenEndpoint hub{"https://auth.docker.io/token", "registry.docker.io", "", ""};
  EXPECT_EQ(token_request_url(hub, {"repository:library/nginx:pull"}, ""),
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull");
  EXPECT_EQ(token_request_url(hub, {"repository:a/b:pull", "repository:c/d:pull"}, "ci"),
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Aa%2Fb%3Apull"
            "&scope=repository%3Ac%2Fd%3Apull&account=ci");
  const TokenEndpoint with_query{"https://r.example/token?tenant=1", "", "", ""};
  EXPECT_EQ(token_request_url(with_query, {"repository:x:pull"}, ""),
            "https://r.example/token?tenant=1&scope=repository%3Ax%3Apull");
  const TokenEndpoint bare{"https://r.example/token", "", "", ""};
  EXPECT_EQ(token_request_url(bare, {}, ""), "https://r.example/token");
  EXPECT_EQ(token_request_url(bare, {}, "user name"), "https://r.example/token?account=user%20name");
}

TEST(TokenRefreshForm, EncodesTheFields) {
  const TokenEndpoint hub{"https://auth.docker.io/token", "registry.docker.io", "", ""};
  EXPECT_EQ(token_refresh_form(hub, {"repository:a/b:pull", "repository:c:pull"}, "r+t/=", "berth"),
            "grant_type=refresh_token&service=registry.docker.io&client_id=berth"
            "&scope=repository%3Aa%2Fb%3Apull%20repository%3Ac%3Apull&refresh_token=r%2Bt%2F%3D");
}

TEST(ParseTokenResponse, DockerHubShape) {
  const auto token = parse_token_response(
      R"({"token":"t1","access_token":"t1","expires_in":300,"issued_at":"2024-05-01T10:00:00.123456789Z"})");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->token, "t1");
  EXPECT_EQ(token->expires_in, 300s);
  EXPECT_EQ(token->refresh_token, "");
}

TEST(ParseTokenResponse, FieldRules) {
  EXPECT_EQ(parse_token_response(R"({"token":"only"})")->token, "only");
  EXPECT_EQ(parse_token_response(R"({"token":"only"})")->expires_in, 60s);  // default
  EXPECT_EQ(parse_token_response(R"({"access_token":"a"})")->token, "a");
  EXPECT_EQ(parse_token_response(R"({"token":"t","access_token":"a"})")->token, "a");  // access_token wins
  EXPECT_EQ(parse_token_response(R"({"token":"t","access_token":""})")->token, "t");
  EXPECT_EQ(parse_token_response(R"({"token":"t","expires_in":10})")->expires_in, 60s);  // at least 60 s
  EXPECT_EQ(parse_token_response(R"({"token":"t","expires_in":-1})")->expires_in, 60s);
  EXPECT_EQ(parse_token_response(R"({"token":"t","expires_in":"300"})")->expires_in, 60s);
  EXPECT_EQ(parse_token_response(R"({"token":"t","expires_in":3600.9})")->expires_in, 3600s);
  EXPECT_EQ(parse_token_response(R"({"token":"t","expires_in":1e300})")->expires_in, std::chrono::hours(24 * 365));
  EXPECT_EQ(parse_token_response(R"({"token":"t","refresh_token":"r"})")->refresh_token, "r");
}

TEST(ParseTokenResponse, Errors) {
  const auto none = parse_token_response(R"({"details":"x"})");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().kind, common::ErrorKind::kProtocol);
  EXPECT_EQ(none.error().message, "token response has neither \"token\" nor \"access_token\"");
  EXPECT_EQ(parse_token_response("<html>").error().message, "token response is not a JSON object");
  EXPECT_EQ(parse_token_response(R"(["t"])").error().message, "token response is not a JSON object");
  EXPECT_EQ(parse_token_response(std::string(kMaxTokenResponseBytes + 1, ' ')).error().kind,
            common::ErrorKind::kTooLarge);
}

TEST(ParseTokenResponse, RefusesATokenAHeaderCannotHold) {
  // A CR LF in the token would end the Authorization header and let the token server add headers.
  for (const char* body : {R"({"token":"abc\r\nX-Injected: 1"})", R"({"access_token":"abc\ndef"})",
                           R"({"token":"abc def"})", R"({"token":"abc\u0000"})", R"({"token":"caf\u00e9"})"}) {
    const auto parsed = parse_token_response(body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().kind, common::ErrorKind::kProtocol);
    EXPECT_EQ(parsed.error().message.find("abc"), std::string::npos) << "a token is never quoted";
  }
  EXPECT_EQ(parse_token_response(R"({"token":"eyJhbGciOi.J9-_~+/="})")->token, "eyJhbGciOi.J9-_~+/=");
}

TEST(TokenRealm, RefusesLinkLocalAddressesInEveryNotation) {
  for (const char* host :
       {"169.254.169.254", "169.254.0.1", "fe80::1", "FE80::a:b", "febf::1", "::ffff:169.254.169.254", "2852039166",
        "0xa9fea9fe", "169.254.43518", "0251.0376.0251.0376"}) {
    const auto checked = check_token_realm(host, true, "registry.example.com", true);
    ASSERT_FALSE(checked) << host;
    EXPECT_EQ(checked.error().kind, common::ErrorKind::kProtocol);
    EXPECT_NE(checked.error().message.find("refusing the bearer realm"), std::string::npos) << checked.error().message;
  }
  EXPECT_TRUE(check_token_realm("fec0::1", true, "registry.example.com", true)) << "not link-local";
  EXPECT_TRUE(check_token_realm("169.255.0.1", true, "registry.example.com", true));
  EXPECT_TRUE(check_token_realm("auth.docker.io", true, "registry-1.docker.io", true));
}

TEST(TokenRealm, LoopbackOnlyForALoopbackRegistry) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "db.localhost", "0.0.0.0",
                           "::", "::ffff:127.0.0.1", "0177.0.0.1"}) {
    EXPECT_FALSE(check_token_realm(host, true, "registry.example.com", true)) << host;
    EXPECT_FALSE(check_token_realm(host, true, "10.0.0.5", true)) << host;
  }
  EXPECT_TRUE(check_token_realm("127.0.0.1", true, "127.0.0.1", true));
  EXPECT_TRUE(check_token_realm("localhost", false, "::1", false));
}

TEST(TokenRealm, PlainHttpOnlyForAPlainHttpRegistry) {
  const auto checked = check_token_realm("auth.example.com", false, "registry.example.com", true);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("plain HTTP"), std::string::npos);
  EXPECT_TRUE(check_token_realm("auth.example.com", true, "registry.example.com", false));
  EXPECT_TRUE(check_token_realm("127.0.0.1", false, "127.0.0.1", false));
}

TEST(TokenRealm, CredentialsOnlyWithinTheRegistrysDomain) {
  EXPECT_TRUE(realm_may_receive_credentials("ghcr.io", "ghcr.io"));
  EXPECT_TRUE(realm_may_receive_credentials("Registry.Example.com", "registry.example.COM"));
  EXPECT_TRUE(realm_may_receive_credentials("auth.docker.io", "registry-1.docker.io"));
  EXPECT_TRUE(realm_may_receive_credentials("gitlab.com", "registry.gitlab.com"));
  EXPECT_TRUE(realm_may_receive_credentials("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(realm_may_receive_credentials("evil.example.net", "registry.example.com"));
  EXPECT_FALSE(realm_may_receive_credentials("evil.io", "ghcr.io")) << "a top-level domain is no parent";
  EXPECT_FALSE(realm_may_receive_credentials("notdocker.io.evil.net", "registry-1.docker.io"));
  EXPECT_FALSE(realm_may_receive_credentials("evildocker.io", "registry-1.docker.io"));
  EXPECT_FALSE(realm_may_receive_credentials("10.0.0.6", "10.0.0.5"));
  EXPECT_FALSE(realm_may_receive_credentials("0.0.5", "10.0.0.5")) << "no parent domain of an address";
}

TEST(BearerToken, RefreshesBeforeExpiry) {
  const auto t0 = std::chrono::steady_clock::time_point(100h);
  EXPECT_EQ((BearerToken{"t", 60s, ""}).refresh_at(t0), t0 + 54s);
  EXPECT_EQ((BearerToken{"t", 300s, ""}).refresh_at(t0), t0 + 270s);
  EXPECT_EQ((BearerToken{"t", 3600s, ""}).refresh_at(t0), t0 + 3570s);
}

}  // namespace
}  // namespace berth::registry
