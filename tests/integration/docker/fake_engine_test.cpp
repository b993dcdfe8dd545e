// Version negotiation against Docker Engines this machine does not have, played by a small server on a
// unix socket that answers /_ping and /version as such an engine does and refuses, as Docker's version
// middleware does, every request under /vX.Y/ outside its range: Docker 29.0 (API 1.52, minimum 1.44,
// the release that broke clients pinned to older versions), an engine newer than berth knows, one
// whose minimum is above berth's maximum, and one older than berth supports.
#include "docker/client.hpp"
#include "support/async.hpp"
#include "support/fault_server.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

namespace berth::docker {
namespace {

using common::ErrorKind;
using nlohmann::json;
using test::FaultReply;
using test::FaultRequest;

struct FakeEngine {
  std::string version;  // "29.0.0"
  ApiVersion min;
  ApiVersion max;
};

// The API version of a request target "/v1.47/containers/json"; nullopt when unversioned.
std::optional<ApiVersion> version_of(const std::string& target) {
  if (target.rfind("/v", 0) != 0) {
    return std::nullopt;
  }
  const auto slash = target.find('/', 2);
  auto v = parse_api_version(target.substr(2, slash == std::string::npos ? std::string::npos : slash - 2));
  return v ? std::optional<ApiVersion>(*v) : std::nullopt;
}

FaultReply answer(const FakeEngine& engine, const FaultRequest& req) {
  FaultReply reply;
  reply.headers = {{"Api-Version", engine.max.str()},
                   {"Server", "Docker/" + engine.version + " (linux)"},
                   {"Ostype", "linux"},
                   {"Content-Type", "application/json"}};
  const auto asked = version_of(req.target);
  const std::string path = asked ? req.target.substr(req.target.find('/', 2)) : req.target;
  if (asked && *asked < engine.min) {
    reply.status = 400;
    reply.body = json{{"message", "client version " + asked->str() + " is too old. Minimum supported API version is " +
                                      engine.min.str() + ", please upgrade your client to a newer version"}}
                     .dump();
  } else if (asked && *asked > engine.max) {
    reply.status = 400;
    reply.body = json{{"message", "client version " + asked->str() + " is too new. Maximum supported API version is " +
                                      engine.max.str()}}
                     .dump();
  } else if (path == "/_ping") {
    reply.headers.back() = {"Content-Type", "text/plain; charset=utf-8"};
    reply.body = "OK";
  } else if (path == "/version") {
    reply.body = json{
        {"Version", engine.version},
        {"ApiVersion", engine.max.str()},
        {"MinAPIVersion", engine.min.str()},
        {"Os", "linux"},
        {"Arch",
         "amd64"}}.dump();
  } else if (path.rfind("/containers/json", 0) == 0) {
    reply.body = "[]";
  } else {
    reply.status = 404;
    reply.body = json{{"message", "page not found"}}.dump();
  }
  return reply;
}

class FakeEngineTest : public ::testing::Test {
 protected:
  void serve(const FakeEngine& engine) {
    server_.set_handler([engine](const FaultRequest& req) { return answer(engine, req); });
  }

  // Every API version berth put in a request path.
  std::vector<ApiVersion> versions_sent() const {
    std::vector<ApiVersion> out;
    for (const auto& req : server_.received()) {
      if (auto v = version_of(req.target)) {
        out.push_back(*v);
      }
    }
    return out;
  }

  const std::string socket_ =
      (std::filesystem::temp_directory_path() / ("berth-fake-engine-" + test::run_label() + ".sock")).string();
  test::FaultServer server_{socket_};
  test::AsyncRunner runner_;
  DockerClient client_{runner_.executor(), socket_};
};

TEST_F(FakeEngineTest, Docker29RefusesOldVersionsAndBerthNeverSendsOne) {
  serve({"29.0.0", {1, 44}, {1, 52}});
  auto v = runner_.run(client_.negotiate());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, kClientMaxVersion) << "upward: the highest version berth knows, which Docker 29 accepts";
  auto listed = runner_.run(client_.list_containers({"berth.enable=true"}, true));
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_TRUE(listed->empty());
  const auto sent = versions_sent();
  ASSERT_FALSE(sent.empty());
  for (const auto& s : sent) {
    EXPECT_GE(s, (ApiVersion{1, 44})) << "a version Docker 29 refuses";
  }
  for (const auto& req : server_.received()) {
    EXPECT_TRUE(req.target == "/_ping" || req.target.rfind("/v" + kClientMaxVersion.str() + "/", 0) == 0) << req.target;
  }
}

TEST_F(FakeEngineTest, AnEngineNewerThanBerthIsSpokenToAtBerthsHighestVersion) {
  serve({"99.0.0", {1, 24}, {1, 52}});
  auto v = runner_.run(client_.negotiate());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, kClientMaxVersion) << "capped at the highest version berth knows, not the engine's 1.52";
  EXPECT_EQ(client_.api_version(), kClientMaxVersion);
  ASSERT_TRUE(runner_.run(client_.list_containers({}, false)));
  for (const auto& s : versions_sent()) {
    EXPECT_EQ(s, kClientMaxVersion);
  }
}

TEST_F(FakeEngineTest, AnEngineWhoseMinimumIsAboveBerthsIsAClearError) {
  serve({"99.0.0", {1, 50}, {1, 60}});
  auto v = runner_.run(client_.negotiate());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(v.error().message.find("Minimum supported API version is 1.50"), std::string::npos) << v.error().message;
  EXPECT_NE(v.error().message.find("berth speaks API " + kClientMinVersion.str() + " to " + kClientMaxVersion.str()),
            std::string::npos)
      << v.error().message;
}

TEST_F(FakeEngineTest, AnEngineOlderThanBerthIsRefusedBeforeAnyVersionedRequest) {
  serve({"19.03.0", {1, 12}, {1, 40}});
  auto v = runner_.run(client_.negotiate());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(v.error().message.find("speaks API 1.40"), std::string::npos) << v.error().message;
  EXPECT_TRUE(versions_sent().empty()) << "only the unversioned /_ping";
}

}  // namespace
}  // namespace berth::docker
