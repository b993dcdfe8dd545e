#include "registry/credentials.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/text.hpp"

namespace berth::registry {
namespace {

CredentialLookup lookup_ok(std::string_view config, std::string_view registry) {
  auto r = lookup_docker_config(config, registry);
  EXPECT_TRUE(r.has_value()) << registry << ": " << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? *r : CredentialLookup{};
}

std::string lookup_error(std::string_view config, std::string_view registry) {
  auto r = lookup_docker_config(config, registry);
  EXPECT_FALSE(r.has_value()) << config;
  if (r.has_value()) {
    return {};
  }
  EXPECT_EQ(r.error().kind, common::ErrorKind::kInvalidArgument);
  return r.error().message;
}

TEST(Base64Decode, DecodesStandardBase64) {
  EXPECT_EQ(common::base64_decode(""), "");
  EXPECT_EQ(common::base64_decode("Zg=="), "f");
  EXPECT_EQ(common::base64_decode("Zg"), "f");
  EXPECT_EQ(common::base64_decode("Zm8="), "fo");
  EXPECT_EQ(common::base64_decode("Zm8"), "fo");
  EXPECT_EQ(common::base64_decode("Zm9v"), "foo");
  EXPECT_EQ(common::base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(common::base64_decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(common::base64_decode("+/+/"), std::string("\xfb\xff\xbf", 3));
  const std::string bytes("\0\x01\xfe\xff xyz", 8);
  EXPECT_EQ(common::base64_decode(common::base64_encode(bytes)), bytes);
  for (auto bad : {"Z", "Zm9vY", "Zg=", "Zg===", "Z===", "Zm9v\n", "Zm 9v", "-_-_", "Zg==Zg==", "=", "Zm8=="}) {
    EXPECT_EQ(common::base64_decode(bad), std::nullopt) << bad;
  }
}

TEST(DockerConfigKey, HubUsesTheLegacyUrl) {
  EXPECT_EQ(docker_config_key("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(docker_config_key("index.docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(docker_config_key("registry-1.docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(docker_config_key("ghcr.io"), "ghcr.io");
  EXPECT_EQ(docker_config_key("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(LookupDockerConfig, InlineAuth) {
  // "ci:s3cr:et" -> the password keeps its colon
  const std::string config = R"({"auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                             common::base64_encode("hubuser:hubpass") + R"("},
      "ghcr.io": {"auth": ")" +
                             common::base64_encode("ci:s3cr:et") + R"(", "username": "ignored"},
      "reg.example.com:5000": {"username": "alice", "password": "pw"},
      "https://legacy.example.com/v1/": {"auth": ")" +
                             common::base64_encode("bob:pw2") + R"("},
      "tok.example.com": {"identitytoken": "refresh-me"},
      "rt.example.com": {"registrytoken": "bearer-me"},
      "nul.example.com": {"auth": ")" +
                             common::base64_encode(std::string("\0carol\0:pw3\0", 12)) + R"("}
  }})";
  const auto hub = lookup_ok(config, "docker.io");
  EXPECT_EQ(hub.source, CredentialSource::kConfig);
  EXPECT_EQ(hub.config_key, "https://index.docker.io/v1/");
  EXPECT_EQ(hub.credential, (Credential{"hubuser", "hubpass", "", ""}));

  const auto ghcr = lookup_ok(config, "ghcr.io");
  EXPECT_EQ(ghcr.credential, (Credential{"ci", "s3cr:et", "", ""}));

  const auto fields = lookup_ok(config, "reg.example.com:5000");
  EXPECT_EQ(fields.credential, (Credential{"alice", "pw", "", ""}));

  const auto legacy = lookup_ok(config, "legacy.example.com");
  EXPECT_EQ(legacy.source, CredentialSource::kConfig);
  EXPECT_EQ(legacy.config_key, "https://legacy.example.com/v1/");
  EXPECT_EQ(legacy.credential, (Credential{"bob", "pw2", "", ""}));

  EXPECT_EQ(lookup_ok(config, "tok.example.com").credential, (Credential{"", "", "refresh-me", ""}));
  EXPECT_EQ(lookup_ok(config, "rt.example.com").credential, (Credential{"", "", "", "bearer-me"}));
  EXPECT_EQ(lookup_ok(config, "nul.example.com").credential, (Credential{"carol", "pw3", "", ""}));

  EXPECT_EQ(lookup_ok(config, "other.example.com").source, CredentialSource::kAnonymous);
  EXPECT_EQ(lookup_ok(config, "reg.example.com").source, CredentialSource::kAnonymous);  // the port matters
}

TEST(LookupDockerConfig, HubUnderAnyOfItsNames) {
  const std::string auth = common::base64_encode("u:p");
  for (auto key : {"docker.io", "index.docker.io", "https://index.docker.io/v1/", "https://registry-1.docker.io"}) {
    const std::string config = std::string(R"({"auths": {")") + key + R"(": {"auth": ")" + auth + R"("}}})";
    const auto hub = lookup_ok(config, "docker.io");
    EXPECT_EQ(hub.source, CredentialSource::kConfig) << key;
    EXPECT_EQ(hub.credential.password, "p") << key;
    EXPECT_EQ(lookup_ok(config, "ghcr.io").source, CredentialSource::kAnonymous) << key;
  }
}

TEST(LookupDockerConfig, ExactKeyWinsOverHostMatch) {
  const std::string config = R"({"auths": {
      "http://reg:5000": {"username": "a", "password": "1"},
      "reg:5000": {"username": "b", "password": "2"}}})";
  EXPECT_EQ(lookup_ok(config, "reg:5000").credential.username, "b");
}

TEST(LookupDockerConfig, HelpersAndStores) {
  const std::string config = R"({
    "auths": {"https://index.docker.io/v1/": {}, "ghcr.io": {"auth": ")" +
                             common::base64_encode("ci:pat") + R"("}, "ecr.example": {"auth": ")" +
                             common::base64_encode("AWS:x") + R"("}},
    "credsStore": "pass",
    "credHelpers": {"123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login", "ecr.example": "ecr-login",
                    "https://index.docker.io/v1/": "desktop"}
  })";
  const auto ecr = lookup_ok(config, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(ecr.source, CredentialSource::kHelper);
  EXPECT_EQ(ecr.helper, "ecr-login");
  EXPECT_EQ(ecr.server_url, "123456789012.dkr.ecr.us-east-1.amazonaws.com");

  // credHelpers beats an inline secret
  EXPECT_EQ(lookup_ok(config, "ecr.example").helper, "ecr-login");

  const auto hub = lookup_ok(config, "docker.io");
  EXPECT_EQ(hub.source, CredentialSource::kHelper);
  EXPECT_EQ(hub.helper, "desktop");
  EXPECT_EQ(hub.server_url, "https://index.docker.io/v1/");

  // An inline secret beats credsStore.
  const auto ghcr = lookup_ok(config, "ghcr.io");
  EXPECT_EQ(ghcr.source, CredentialSource::kConfig);
  EXPECT_EQ(ghcr.credential.password, "pat");

  // Anything else goes to the default store.
  const auto other = lookup_ok(config, "127.0.0.1:5000");
  EXPECT_EQ(other.source, CredentialSource::kHelper);
  EXPECT_EQ(other.helper, "pass");
  EXPECT_EQ(other.server_url, "127.0.0.1:5000");
}

TEST(LookupDockerConfig, DesktopStyleConfigGoesToTheStore) {
  const auto hub = lookup_ok(R"({"auths": {"https://index.docker.io/v1/": {}}, "credsStore": "desktop"})", "docker.io");
  EXPECT_EQ(hub.source, CredentialSource::kHelper);
  EXPECT_EQ(hub.helper, "desktop");
  EXPECT_EQ(hub.server_url, "https://index.docker.io/v1/");
}

TEST(LookupDockerConfig, EmptyAndAnonymous) {
  EXPECT_EQ(lookup_ok("", "docker.io"), CredentialLookup{});
  EXPECT_EQ(lookup_ok(" \n", "docker.io"), CredentialLookup{});
  EXPECT_EQ(lookup_ok("{}", "docker.io"), CredentialLookup{});
  EXPECT_EQ(lookup_ok(R"({"auths": {}, "credsStore": ""})", "ghcr.io").source, CredentialSource::kAnonymous);
  EXPECT_EQ(lookup_ok(R"({"credsStore": null})", "ghcr.io").source, CredentialSource::kAnonymous);
  EXPECT_EQ(lookup_ok(R"({"auths": {"ghcr.io": {"username": "no-password"}}})", "ghcr.io").source,
            CredentialSource::kAnonymous);
  EXPECT_EQ(lookup_ok(R"({"auths": [], "credHelpers": 5})", "ghcr.io").source, CredentialSource::kAnonymous);
  EXPECT_EQ(lookup_ok(R"({"auths": {"ghcr.io": "odd"}})", "ghcr.io").source, CredentialSource::kAnonymous);
}

TEST(LookupDockerConfig, ErrorsNeverContainSecrets) {
  EXPECT_EQ(lookup_error("{", "ghcr.io"), "docker config: not a JSON object");
  EXPECT_EQ(lookup_error("[]", "ghcr.io"), "docker config: not a JSON object");
  const std::string bad64 = lookup_error(R"({"auths": {"ghcr.io": {"auth": "c2VjcmV0!!"}}})", "ghcr.io");
  EXPECT_EQ(bad64, "docker config: auths[\"ghcr.io\"].auth is not valid base64");
  const std::string no_colon =
      lookup_error(R"({"auths": {"ghcr.io": {"auth": ")" + common::base64_encode("secretonly") + R"("}}})", "ghcr.io");
  EXPECT_EQ(no_colon, "docker config: auths[\"ghcr.io\"].auth does not decode to user:password");
  EXPECT_EQ(no_colon.find("secretonly"), std::string::npos);
  EXPECT_EQ(lookup_error(R"({"credsStore": "../../bin/sh"})", "ghcr.io"),
            "docker config: credsStore is not a credential helper name");
  EXPECT_EQ(lookup_error(R"({"credsStore": 5})", "ghcr.io"),
            "docker config: credsStore is not a credential helper name");
  EXPECT_EQ(lookup_error(R"({"credHelpers": {"ghcr.io": ""}})", "ghcr.io"),
            "docker config: credHelpers[\"ghcr.io\"] is not a credential helper name");
}

TEST(HelperOutput, Credentials) {
  const auto user = parse_helper_output(R"({"ServerURL":"ghcr.io","Username":"ci","Secret":"pat"})", 0, "pass");
  ASSERT_TRUE(user.has_value());
  ASSERT_TRUE(user->has_value());
  EXPECT_EQ(**user, (Credential{"ci", "pat", "", ""}));

  const auto token =
      parse_helper_output(R"({"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"refresh"})"
                          "\n",
                          0, "desktop");
  ASSERT_TRUE(token.has_value() && token->has_value());
  EXPECT_EQ(**token, (Credential{"", "", "refresh", ""}));

  const auto empty = parse_helper_output(R"({"ServerURL":"x","Username":"","Secret":""})", 0, "pass");
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->has_value());
}

TEST(HelperOutput, NotFoundIsAnonymous) {
  for (auto text :
       {"credentials not found in native keychain\n", "Credentials not found", "error: credentials not found"}) {
    const auto r = parse_helper_output(text, 1, "osxkeychain");
    ASSERT_TRUE(r.has_value()) << text;
    EXPECT_FALSE(r->has_value()) << text;
  }
}

TEST(HelperOutput, Failures) {
  const auto failed = parse_helper_output("no credentials server URL\nmore\n", 1, "pass");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, common::ErrorKind::kUnavailable);
  EXPECT_EQ(failed.error().message, "docker-credential-pass get failed (exit status 1): no credentials server URL");
  EXPECT_EQ(parse_helper_output("", 127, "ecr-login").error().message,
            "docker-credential-ecr-login get failed (exit status 127)");
  const auto long_message = parse_helper_output(std::string(300, 'x'), 2, "pass");
  EXPECT_EQ(long_message.error().message,
            "docker-credential-pass get failed (exit status 2): " + std::string(200, 'x') + "...");

  const auto garbage = parse_helper_output("Secret: hunter2", 0, "pass");
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().kind, common::ErrorKind::kProtocol);
  EXPECT_EQ(garbage.error().message, "docker-credential-pass get: the output is not a JSON object");
}

TEST(RegistryAuthHeader, EncodesForTheEngine) {
  const std::string basic =
      registry_auth_header(Credential{"AWS", "pa/ss?", "", ""}, "123.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(basic,
            common::base64url_encode(
                R"({"password":"pa/ss?","serveraddress":"123.dkr.ecr.us-east-1.amazonaws.com","username":"AWS"})"));
  EXPECT_EQ(registry_auth_header(Credential{"", "", "refresh", ""}, ""),
            common::base64url_encode(R"({"identitytoken":"refresh"})"));
  EXPECT_EQ(registry_auth_header(Credential{"", "", "refresh", ""}, "https://index.docker.io/v1/"),
            common::base64url_encode(R"({"identitytoken":"refresh","serveraddress":"https://index.docker.io/v1/"})"));
  EXPECT_EQ(registry_auth_header(Credential{"", "", "", "bearer"}, "r"),
            common::base64url_encode(R"({"registrytoken":"bearer"})"));
  EXPECT_EQ(registry_auth_header(Credential{}, "ghcr.io"), "e30=");
  // Quotes and non-ASCII are escaped properly; invalid UTF-8 does not throw.
  EXPECT_EQ(registry_auth_header(Credential{"a\"b", "\xc3\xa9", "", ""}, "r"),
            common::base64url_encode("{\"password\":\"\xc3\xa9\",\"serveraddress\":\"r\",\"username\":\"a\\\"b\"}"));
  EXPECT_FALSE(registry_auth_header(Credential{"u", "\xff\xfe", "", ""}, "r").empty());
  // The URL-safe alphabet (standard base64 of this body has '+' and '/').
  EXPECT_EQ(registry_auth_header(Credential{"u", ">>>", "", ""}, "r"),
            "eyJwYXNzd29yZCI6Ij4-PiIsInNlcnZlcmFkZHJlc3MiOiJyIiwidXNlcm5hbWUiOiJ1In0=");
  EXPECT_EQ(registry_auth_header(Credential{"u", "?~?~?~", "", ""}, "r"),
            "eyJwYXNzd29yZCI6Ij9-P34_fiIsInNlcnZlcmFkZHJlc3MiOiJyIiwidXNlcm5hbWUiOiJ1In0=");
}

TEST(BasicAuthorization, EncodesUserAndPassword) {
  EXPECT_EQ(basic_authorization(Credential{"Aladdin", "open sesame", "", ""}), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(basic_authorization(Credential{"ci", "a:b", "", ""}), "Basic " + common::base64_encode("ci:a:b"));
}

}  // namespace
}  // namespace berth::registry
