// A registry that fails (500, 429 with Retry-After, resets, slow bodies, wrong digests) never yields a digest
// and is backed off; redirects never carry credentials to another host. Against FaultServer on 127.0.0.1.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "registry/client.hpp"
#include "registry/digest.hpp"
#include "registry_fixture.hpp"
#include "support/async.hpp"
#include "support/fault_server.hpp"

namespace berth::registry::testing {
namespace {

using common::ErrorKind;
using test::FaultReply;
using test::FaultRequest;
using test::FaultServer;
using namespace std::chrono_literals;

// A manifest answer like a registry's: Content-Type, Docker-Content-Digest (unless not wanted), the body.
FaultReply manifest_reply(const FaultRequest& req, const std::string& body, const std::string& media_type,
                          bool send_digest = true) {
  FaultReply reply;
  reply.headers.emplace_back("Content-Type", media_type);
  if (send_digest) {
    reply.headers.emplace_back("Docker-Content-Digest", sha256_digest(body));
  }
  reply.body = body;
  (void)req;
  return reply;
}

const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
    R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,)"
    R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]})";

FaultReply healthy(const FaultRequest& req) {
  auto reply = manifest_reply(req, kManifest, std::string(kDockerManifestV2));
  reply.headers.emplace_back("ratelimit-limit", "100;w=21600");
  reply.headers.emplace_back("ratelimit-remaining", "76;w=21600");
  return reply;
}

FaultReply status(int code, std::vector<std::pair<std::string, std::string>> headers = {}) {
  FaultReply reply;
  reply.status = code;
  reply.headers = std::move(headers);
  return reply;
}

class FaultTest : public ::testing::Test {
 protected:
  RegistryClientSettings settings() const {
    auto s = test_settings();
    s.request_timeout = 1s;
    s.backoff.initial_delay = 400ms;
    s.backoff.max_delay = 2s;
    return s;
  }

  // settings() with a user and password for the registry `server`.
  RegistryClientSettings settings_with_credentials_for(const FaultServer& server) const {
    auto s = settings();
    config::RegistrySettings creds;
    creds.username = "berth";
    creds.password = "secret";
    s.registries[server.host()] = creds;
    return s;
  }

  ImageReference ref(const FaultServer& server, const std::string& tag = "latest") const {
    return *parse_reference(server.host() + "/fault/web:" + tag);
  }

  // A failed check, then one made at once: it fails too, without a request.
  void expect_backed_off(RegistryClient& client, const FaultServer& server, ErrorKind kind) {
    const int before = server.requests();
    auto again = runner_.run(client.check(ref(server)));
    ASSERT_FALSE(again) << "a backed-off registry gave a digest";
    EXPECT_EQ(again.error().kind, kind) << again.error().message;
    EXPECT_NE(again.error().message.find("backed off"), std::string::npos) << again.error().message;
    EXPECT_EQ(server.requests(), before) << "no request while backed off";
    EXPECT_TRUE(client.backoff_until(server.host()));
  }

  berth::test::AsyncRunner runner_;
};

TEST_F(FaultTest, HealthyRegistryGivesTheDigestAndTheBudget) {
  FaultServer server;
  server.set_handler(healthy);
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->tag_digest, sha256_digest(kManifest));
  EXPECT_EQ(got->platform_digest, got->tag_digest);
  EXPECT_EQ(got->requests_made, 1);
  const RateLimitBudget budget{100, 76, std::chrono::seconds(21600)};
  EXPECT_EQ(got->rate_limit, budget);
  EXPECT_EQ(client.rate_limit(server.host()), budget);
  EXPECT_EQ(server.received().at(0).method, "HEAD");
  EXPECT_NE(server.received().at(0).header("accept").find(std::string(kDockerManifestList)), std::string::npos);
  EXPECT_EQ(server.received().at(0).header("host"), server.host());

  // A loopback registry that does not speak TLS is reached over plain HTTP, and that is remembered.
  const int connections = server.connections();
  ASSERT_TRUE(runner_.run(client.check(ref(server))));
  EXPECT_EQ(server.connections(), connections + 1) << "no second TLS attempt";
}

TEST_F(FaultTest, ServerErrorBacksOff) {
  FaultServer server;
  server.set_handler([](const FaultRequest&) { return status(500); });
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kUnavailable) << got.error().message;
  EXPECT_EQ(got.error().http_status, 500);
  EXPECT_EQ(server.requests(), 1);
  expect_backed_off(client, server, ErrorKind::kUnavailable);

  server.set_handler(healthy);
  std::this_thread::sleep_until(*client.backoff_until(server.host()) + 20ms);
  auto recovered = runner_.run(client.check(ref(server)));
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_FALSE(client.backoff_until(server.host()));
}

TEST_F(FaultTest, TooManyRequestsHonoursRetryAfter) {
  FaultServer server;
  server.set_handler([](const FaultRequest&) { return status(429, {{"Retry-After", "2"}}); });
  RegistryClient client(runner_.executor(), settings());
  const auto start = std::chrono::steady_clock::now();
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kRateLimited) << got.error().message;
  ASSERT_TRUE(client.backoff_until(server.host()));
  EXPECT_GE(*client.backoff_until(server.host()) - start, 1900ms) << "Retry-After: 2 is longer than the backoff";
  expect_backed_off(client, server, ErrorKind::kRateLimited);

  server.set_handler(healthy);
  std::this_thread::sleep_until(*client.backoff_until(server.host()) + 20ms);
  auto recovered = runner_.run(client.check(ref(server)));
  ASSERT_TRUE(recovered) << recovered.error().message;
}

TEST_F(FaultTest, ConnectionResetBacksOff) {
  FaultServer server;
  server.set_handler([](const FaultRequest&) { return FaultReply{FaultReply::Action::kReset, 0, {}, "", {}}; });
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kUnavailable) << got.error().message;
  expect_backed_off(client, server, ErrorKind::kUnavailable);
}

TEST_F(FaultTest, SlowBodyTimesOutAndBacksOff) {
  FaultServer server;
  server.set_handler([](const FaultRequest& req) {
    // No digest on HEAD: the client must read the manifest, which arrives a byte every 100 ms.
    auto reply = manifest_reply(req, kManifest, std::string(kDockerManifestV2), false);
    reply.action = FaultReply::Action::kDribble;
    reply.dribble_interval = 100ms;
    return reply;
  });
  RegistryClient client(runner_.executor(), settings());
  const auto start = std::chrono::steady_clock::now();
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_FALSE(got) << "a body that never finished gave a digest";
  EXPECT_EQ(got.error().kind, ErrorKind::kTimeout) << got.error().message;
  // A deadline per read would wait for the whole body, since each byte comes well within the 1 s timeout;
  // half of that is far beyond the 1 s deadline even on a loaded machine or in the asan build.
  const auto whole_body = static_cast<int>(kManifest.size()) * 100ms;
  EXPECT_LT(std::chrono::steady_clock::now() - start, whole_body / 2) << "the deadline covers the whole response";
  expect_backed_off(client, server, ErrorKind::kUnavailable);
}

TEST_F(FaultTest, ManifestNotMatchingItsDigestIsRefused) {
  FaultServer server;
  server.set_handler([](const FaultRequest& req) {
    auto reply = manifest_reply(req, kManifest, std::string(kDockerManifestV2), false);
    if (req.method == "GET") {
      reply.headers.emplace_back("Docker-Content-Digest", sha256_digest("something else"));
    }
    return reply;
  });
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kProtocol) << got.error().message;
}

TEST_F(FaultTest, NoDigestHeaderMeansTheBodysDigest) {
  FaultServer server;
  server.set_handler(
      [](const FaultRequest& req) { return manifest_reply(req, kManifest, std::string(kDockerManifestV2), false); });
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->tag_digest, sha256_digest(kManifest));
  EXPECT_EQ(got->requests_made, 2) << "HEAD, then GET";
}

TEST_F(FaultTest, RedirectsNeverCarryCredentialsToAnotherHost) {
  FaultServer elsewhere;
  elsewhere.set_handler(healthy);
  FaultServer server;
  const std::string away = "http://" + elsewhere.host() + "/storage/manifest";
  server.set_handler([away](const FaultRequest& req) {
    if (req.header("authorization").empty()) {
      return status(401, {{"WWW-Authenticate", R"(Basic realm="fault")"}});
    }
    if (req.target == "/v2/fault/web/manifests/same") {
      return status(307, {{"Location", "/v2/fault/web/manifests/here"}});
    }
    if (req.target == "/v2/fault/web/manifests/here") {
      return healthy(req);
    }
    return status(307, {{"Location", away}});
  });
  RegistryClient client(runner_.executor(), settings_with_credentials_for(server));

  auto moved = runner_.run(client.check(ref(server, "moved")));
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->tag_digest, sha256_digest(kManifest));
  ASSERT_EQ(elsewhere.received().size(), 1U);
  EXPECT_EQ(elsewhere.received().at(0).header("authorization"), "") << "credentials followed a redirect off-host";

  auto same = runner_.run(client.check(ref(server, "same")));
  ASSERT_TRUE(same) << same.error().message;
  const auto seen = server.received();
  EXPECT_EQ(seen.back().target, "/v2/fault/web/manifests/here");
  EXPECT_FALSE(seen.back().header("authorization").empty()) << "a redirect on the same host keeps them";
}

TEST_F(FaultTest, CredentialsNeverGoToATokenRealmOnAnotherHost) {
  // The registry on 127.0.0.1 names a token server on "localhost": the same machine, another host name.
  FaultServer token_server;
  token_server.set_handler([](const FaultRequest&) {
    FaultReply reply = status(200, {{"Content-Type", "application/json"}});
    reply.body = R"({"token":"t"})";
    return reply;
  });
  FaultServer server;
  const std::string challenge =
      R"(Bearer realm="http://localhost:)" + std::to_string(token_server.port()) + R"(/token",service="fault")";
  server.set_handler([challenge](const FaultRequest& req) {
    return req.header("authorization").empty() ? status(401, {{"WWW-Authenticate", challenge}}) : healthy(req);
  });
  RegistryClient client(runner_.executor(), settings_with_credentials_for(server));
  auto got = runner_.run(client.check(ref(server)));
  ASSERT_FALSE(got) << "a digest without a token";
  EXPECT_NE(got.error().message.find("refusing to send its credentials to the bearer realm on localhost"),
            std::string::npos)
      << got.error().message;
  EXPECT_EQ(token_server.requests(), 0) << "the token server on another host was asked with the credentials";

  // Without credentials the same realm is asked for an anonymous token.
  RegistryClient anonymous(runner_.executor(), settings());
  auto anon = runner_.run(anonymous.check(ref(server)));
  ASSERT_TRUE(anon) << anon.error().message;
  ASSERT_EQ(token_server.requests(), 1);
  EXPECT_EQ(token_server.received().at(0).header("authorization"), "");
}

TEST_F(FaultTest, OneFailingRegistryDoesNotSpoilTheOthers) {
  FaultServer failing;
  failing.set_handler([](const FaultRequest&) { return status(503); });
  FaultServer fine;
  fine.set_handler(healthy);
  RegistryClient client(runner_.executor(), settings());
  auto results =
      runner_.run(client.check_all({ref(failing, "a"), ref(fine, "a"), ref(failing, "b"), ref(fine, "b")}, 4));
  ASSERT_EQ(results.size(), 4U);
  EXPECT_FALSE(results.at(ref(failing, "a").full()));
  EXPECT_FALSE(results.at(ref(failing, "b").full()));
  EXPECT_TRUE(results.at(ref(fine, "a").full()));
  EXPECT_TRUE(results.at(ref(fine, "b").full()));
  EXPECT_EQ(failing.requests(), 1) << "the first failure backs the registry off for the other checks";
}

// A registry that honours `n` (distribution's does; Debian's docker-registry 2.8 answers every tag at once):
// two tags a page, each page linked to the next by its Link header, the last one without.
TEST_F(FaultTest, TagsAreListedAcrossPagesByTheLinkHeader) {
  const std::map<std::string, std::pair<std::string, std::string>> pages{
      {"/v2/fault/web/tags/list?n=2", {R"({"name":"fault/web","tags":["1.0.0","1.10.0"]})", "1.10.0"}},
      {"/v2/fault/web/tags/list?n=2&last=1.10.0",
       {R"({"name":"fault/web","tags":["1.2.0","2.0.0-rc.1"]})", "2.0.0-rc.1"}},
      {"/v2/fault/web/tags/list?n=2&last=2.0.0-rc.1", {R"({"name":"fault/web","tags":["latest"]})", ""}},
  };
  FaultServer server;
  server.set_handler([&](const FaultRequest& req) {
    auto it = pages.find(req.target);
    if (req.method != "GET" || it == pages.end()) {
      return status(404);
    }
    FaultReply reply;
    reply.headers.emplace_back("Content-Type", "application/json");
    if (!it->second.second.empty()) {
      reply.headers.emplace_back("Link", "</v2/fault/web/tags/list?n=2&last=" + it->second.second + ">; rel=\"next\"");
    }
    reply.body = it->second.first;
    return reply;
  });
  RegistryClient client(runner_.executor(), settings());
  auto listed = runner_.run(client.list_tags(ref(server), 2));
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->tags, (std::vector<std::string>{"1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "latest"}));
  EXPECT_EQ(listed->requests_made, 3);
  std::vector<std::string> targets;
  for (const auto& r : server.received()) {
    targets.push_back(r.target);
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/v2/fault/web/tags/list?n=2", "/v2/fault/web/tags/list?n=2&last=1.10.0",
                                               "/v2/fault/web/tags/list?n=2&last=2.0.0-rc.1"}))
      << "each page asked for once, in the order the links give";
}

// A Link to another host is not followed: the tags of the pages on the registry itself are the answer.
TEST_F(FaultTest, ATagPageLinkToAnotherHostIsNotFollowed) {
  FaultServer server;
  server.set_handler([](const FaultRequest&) {
    FaultReply reply;
    reply.headers.emplace_back("Content-Type", "application/json");
    reply.headers.emplace_back("Link", R"(<https://elsewhere.example/v2/fault/web/tags/list?n=2&last=b>; rel="next")");
    reply.body = R"({"name":"fault/web","tags":["a","b"]})";
    return reply;
  });
  RegistryClient client(runner_.executor(), settings());
  auto listed = runner_.run(client.list_tags(ref(server), 2));
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(server.requests(), 1);
}

}  // namespace
}  // namespace berth::registry::testing
