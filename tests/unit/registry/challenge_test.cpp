#include "registry/challenge.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::registry {
namespace {

std::vector<Challenge> challenges_of(std::string_view text) {
  auto r = parse_challenges(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? *r : std::vector<Challenge>{};
}

std::string challenge_error(std::string_view text, common::ErrorKind kind = common::ErrorKind::kProtocol) {
  auto r = parse_challenges(text);
  EXPECT_FALSE(r.has_value()) << text;
  if (r.has_value()) {
    return {};
  }
  EXPECT_EQ(r.error().kind, kind);
  return r.error().message;
}

TEST(ParseChallenges, DockerHubBearer) {
  const auto c = challenges_of(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params.size(), 3u);
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:samalba/my-app:pull,push");  // the comma stays inside
  EXPECT_EQ(c[0].param("error"), "");
  EXPECT_TRUE(c[0].token68.empty());
}

TEST(ParseChallenges, DistributionTokenErrors) {
  const auto c = challenges_of(
      R"(Bearer realm="https://r.example/token",service="r.example",scope="repository:a/b:pull",error="invalid_token")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("error"), "invalid_token");
  const auto scope = challenges_of(R"(Bearer realm="x",error="insufficient_scope")");
  EXPECT_EQ(scope[0].param("error"), "insufficient_scope");
}

TEST(ParseChallenges, BasicRealms) {
  const auto htpasswd = challenges_of(R"(Basic realm="Registry Realm")");
  ASSERT_EQ(htpasswd.size(), 1u);
  EXPECT_EQ(htpasswd[0].scheme, "basic");
  EXPECT_EQ(htpasswd[0].param("realm"), "Registry Realm");

  const auto ecr = challenges_of(
      R"(Basic realm="https://012345678910.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com")");
  ASSERT_EQ(ecr.size(), 1u);
  EXPECT_EQ(ecr[0].param("realm"), "https://012345678910.dkr.ecr.us-east-1.amazonaws.com/");
  EXPECT_EQ(ecr[0].param("service"), "ecr.amazonaws.com");
}

TEST(ParseChallenges, GhcrBearer) {
  const auto c =
      challenges_of(R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/web:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("scope"), "repository:acme/web:pull");
}

TEST(ParseChallenges, SeveralChallengesInOneValue) {
  const auto c = challenges_of(R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "newauth");
  EXPECT_EQ(c[0].param("realm"), "apps");
  EXPECT_EQ(c[0].param("type"), "1");
  EXPECT_EQ(c[0].param("title"), R"(Login to "apps")");
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].param("realm"), "simple");

  const auto three = challenges_of(R"(Basic, Bearer realm="a,b", Negotiate abc+/==)");
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0].scheme, "basic");
  EXPECT_TRUE(three[0].params.empty());
  EXPECT_EQ(three[1].param("realm"), "a,b");
  EXPECT_EQ(three[2].scheme, "negotiate");
  EXPECT_EQ(three[2].token68, "abc+/==");
}

TEST(ParseChallenges, SchemesAndKeysAreCaseInsensitiveValuesAreNot) {
  const auto c = challenges_of(R"(BEARER Realm="https://Auth.Example/Token",SERVICE=Registry.Example)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://Auth.Example/Token");
  EXPECT_EQ(c[0].param("service"), "Registry.Example");
  EXPECT_NE(find_challenge(c, "Bearer"), nullptr);
  EXPECT_NE(find_challenge(c, "bearer"), nullptr);
  EXPECT_EQ(find_challenge(c, "basic"), nullptr);
}

TEST(ParseChallenges, WhiteSpaceEmptyElementsAndUnquotedValues) {
  const auto c = challenges_of(" ,\tBearer   realm = \"r\" ,, , service=svc.example:5000 ,  ");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), "r");
  EXPECT_EQ(c[0].param("service"), "svc.example:5000");

  // An unquoted URL, as some registries send it.
  const auto url = challenges_of("Bearer realm=https://auth.example/token?x=1,service=reg");
  EXPECT_EQ(url[0].param("realm"), "https://auth.example/token?x=1");
  EXPECT_EQ(url[0].param("service"), "reg");
}

TEST(ParseChallenges, EscapesEmptyQuotedValuesAndDuplicates) {
  const auto c = challenges_of(R"(Bearer realm="a\\b\"c\,d", service="", realm="second")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), R"(a\b"c,d)");  // the first of a repeated key is kept
  EXPECT_EQ(c[0].params.count("service"), 1u);
  EXPECT_EQ(c[0].param("service"), "");
}

TEST(ParseChallenges, SchemeAlone) {
  const auto c = challenges_of("Basic");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_TRUE(c[0].params.empty());
  EXPECT_TRUE(c[0].token68.empty());
}

TEST(ParseChallenges, Token68) {
  const auto c = challenges_of("Negotiate YIIBHwYGKwYBBQUCoII=");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].token68, "YIIBHwYGKwYBBQUCoII=");
  EXPECT_TRUE(c[0].params.empty());
  const auto bare = challenges_of("Custom realm");  // a lone token after the scheme is a token68
  EXPECT_EQ(bare[0].token68, "realm");
  const auto padded = challenges_of("Custom realm=");  // and so is one ending in '=', by the grammar
  EXPECT_EQ(padded[0].token68, "realm=");
}

TEST(ParseChallenges, RejectsMalformedValues) {
  EXPECT_EQ(challenge_error(""), "invalid WWW-Authenticate header: no challenge at offset 0");
  EXPECT_EQ(challenge_error(" , ,"), "invalid WWW-Authenticate header: no challenge at offset 0");
  EXPECT_EQ(challenge_error(R"(Bearer realm="https://auth)"),
            "invalid WWW-Authenticate header: unterminated or invalid quoted value for \"realm\" at offset 13");
  EXPECT_EQ(challenge_error(R"(Bearer a="x", realm=)"),
            "invalid WWW-Authenticate header: expected a value for the parameter \"realm\" at offset 20");
  EXPECT_EQ(challenge_error(R"(Bearer realm="x" service="y")"),
            "invalid WWW-Authenticate header: expected ',' after the value of \"realm\" at offset 17");
  EXPECT_EQ(challenge_error(R"(Bearer realm="x", ="y")"),
            "invalid WWW-Authenticate header: expected an authentication scheme at offset 18");
  EXPECT_EQ(challenge_error(R"(Bearer realm "x")"),
            "invalid WWW-Authenticate header: expected '=' after the parameter \"realm\" at offset 13");
  EXPECT_EQ(challenge_error(R"("Bearer")"),
            "invalid WWW-Authenticate header: expected an authentication scheme at offset 0");
  EXPECT_EQ(challenge_error("Bearer\"x\""),
            "invalid WWW-Authenticate header: expected a space after the scheme \"Bearer\" at offset 6");
  challenge_error("Bearer realm=\"a\nb\"");     // a control character inside quotes
  challenge_error("Bearer realm=\"a\\");        // a backslash at the very end
  challenge_error("Bearer realm=\"a\\\x01\"");  // an escaped control character
  challenge_error("Bearer a=b c=d");
}

TEST(ParseChallenges, RejectsOversizedValues) {
  std::string big = "Bearer realm=\"" + std::string(kMaxChallengeHeaderBytes, 'a') + "\"";
  EXPECT_EQ(challenge_error(big, common::ErrorKind::kTooLarge),
            "WWW-Authenticate header of " + std::to_string(big.size()) + " bytes exceeds the limit of 16384");
  std::string fits = "Bearer realm=\"" + std::string(kMaxChallengeHeaderBytes - 15, 'a') + "\"";
  ASSERT_EQ(fits.size(), kMaxChallengeHeaderBytes);
  EXPECT_EQ(challenges_of(fits)[0].param("realm").size(), kMaxChallengeHeaderBytes - 15);
}

}  // namespace
}  // namespace berth::registry
