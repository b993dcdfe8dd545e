// The Docker Engine client against the real daemons (every engine of tests/support/engines.hpp): every
// call, and its error paths.
#include "common/text.hpp"
#include "docker/client.hpp"
#include "docker/holder_image.hpp"
#include "support/async.hpp"
#include "support/engines.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <fstream>
#include <optional>
#include <thread>

namespace berth::docker {
namespace {

using common::ErrorKind;
using nlohmann::json;
using namespace std::chrono_literals;
namespace net = boost::asio;

class DockerClientTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ENGINE(engine, GetParam());
    BERTH_REQUIRE_ENV(image, "BERTH_TEST_IMAGE_V1");
    engine_ = engine;
    image_ = image;
    netns_.emplace(engine_.netns);
    ASSERT_EQ(netns_->error(), "");
    client_ = std::make_unique<DockerClient>(runner_.executor(), engine_.socket);
    auto v = runner_.run(client_->negotiate());
    ASSERT_TRUE(v) << v.error().message;
    // The image the tests start containers from; pulled once from the local registry.
    auto pulled = runner_.run(client_->pull_image(repo_of(image_), tag_of(image_), {}, {}));
    ASSERT_TRUE(pulled) << pulled.error().message;
  }

  void TearDown() override {
    if (!client_) {
      return;
    }
    auto mine = runner_.run(client_->list_containers({"berth.test=" + test::run_label()}, true));
    if (mine) {
      for (const auto& c : *mine) {
        (void)runner_.run(client_->remove_container(c.id, RemoveVolumes::kRemoveAnonymous, ForceRemove::kYes));
      }
    }
    for (const auto& n : networks_) {
      (void)runner_.run(client_->remove_network(n));
    }
  }

  static std::string repo_of(const std::string& ref) { return ref.substr(0, ref.rfind(':')); }
  static std::string tag_of(const std::string& ref) { return ref.substr(ref.rfind(':') + 1); }

  std::string unique(const std::string& base) { return "berth-test-" + base + "-" + test::run_label(); }

  json create_body(const std::vector<std::string>& cmd = {}) {
    json body = {{"Image", image_},
                 {"Labels", {{"berth.test", test::run_label()}}},
                 {"HostConfig", {{"RestartPolicy", {{"Name", "no"}}}}}};
    if (!cmd.empty()) {
      body["Cmd"] = cmd;
    }
    return body;
  }

  std::string create(const std::string& name, const std::vector<std::string>& cmd = {}) {
    auto id = runner_.run(client_->create_container(name, create_body(cmd)));
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : std::string();
  }

  ContainerState state(const std::string& id) {
    auto j = runner_.run(client_->inspect_container(id));
    EXPECT_TRUE(j) << j.error().message;
    auto s = parse_container_state(*j);
    EXPECT_TRUE(s);
    return *s;
  }

  test::Engine engine_;
  std::optional<test::NetnsScope> netns_;
  test::AsyncRunner runner_;
  std::unique_ptr<DockerClient> client_;
  std::string image_;
  std::vector<std::string> networks_;
};

INSTANTIATE_TEST_SUITE_P(, DockerClientTest, ::testing::ValuesIn(test::engine_names()), test::EngineName());

TEST_P(DockerClientTest, NegotiatesAVersionTheDaemonAccepts) {
  const ApiVersion v = client_->api_version();
  EXPECT_GE(v, kClientMinVersion);
  EXPECT_LE(v, kClientMaxVersion);
  auto ver = runner_.run(client_->version());
  ASSERT_TRUE(ver) << ver.error().message;
  auto server_max = parse_api_version((*ver)["ApiVersion"].get<std::string>());
  ASSERT_TRUE(server_max);
  EXPECT_EQ(v, std::min(*server_max, kClientMaxVersion)) << "the highest version both speak";
  std::printf("[ engine   ] %s: Docker %s, API %s, berth speaks %s\n", GetParam().c_str(),
              (*ver)["Version"].get<std::string>().c_str(), server_max->str().c_str(), v.str().c_str());
  auto info = runner_.run(client_->info());
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE(info->contains("RegistryConfig"));
}

TEST(DockerClient, AnUnreachableDaemonIsAClearError) {
  test::AsyncRunner runner;
  DockerClient nowhere(runner.executor(), "/nonexistent/berth-test/docker.sock");
  auto v = runner.run(nowhere.negotiate());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(v.error().message.find("unix:///nonexistent/berth-test/docker.sock"), std::string::npos)
      << v.error().message;
  EXPECT_NE(v.error().message.find("is dockerd running"), std::string::npos) << v.error().message;
}

TEST_P(DockerClientTest, CreateStartInspectStopRemove) {
  const std::string name = unique("life");
  const std::string id = create(name);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(state(id).status, "created");
  ASSERT_TRUE(runner_.run(client_->start_container(id)));
  EXPECT_TRUE(runner_.run(client_->start_container(id))) << "starting twice (304) is success";
  auto s = state(name);
  EXPECT_TRUE(s.running);
  EXPECT_EQ(s.name, name);
  EXPECT_EQ(s.image, image_);
  EXPECT_EQ(s.labels.at("berth.test"), test::run_label());
  ASSERT_TRUE(runner_.run(client_->stop_container(id, 2s)));
  EXPECT_TRUE(runner_.run(client_->stop_container(id, 2s))) << "stopping twice (304) is success";
  EXPECT_FALSE(state(id).running);
  ASSERT_TRUE(runner_.run(client_->remove_container(id, RemoveVolumes::kKeep, ForceRemove::kNo)));
  auto gone = runner_.run(client_->inspect_container(id));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(gone.error().message.find("No such container"), std::string::npos);
}

TEST_P(DockerClientTest, ListFiltersByEveryLabel) {
  const std::string a = create(unique("list-a"));
  auto body = create_body();
  body["Labels"]["berth.extra"] = "yes";
  auto b = runner_.run(client_->create_container(unique("list-b"), body));
  ASSERT_TRUE(b);
  auto both = runner_.run(client_->list_containers({"berth.test=" + test::run_label()}, true));
  ASSERT_TRUE(both);
  EXPECT_EQ(both->size(), 2u);
  auto running_only = runner_.run(client_->list_containers({"berth.test=" + test::run_label()}, false));
  ASSERT_TRUE(running_only);
  EXPECT_TRUE(running_only->empty()) << "neither was started";
  auto one = runner_.run(client_->list_containers({"berth.test=" + test::run_label(), "berth.extra=yes"}, true));
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, *b);
  EXPECT_EQ((*one)[0].name, unique("list-b"));
}

TEST_P(DockerClientTest, ANameInUseIsAConflict) {
  const std::string name = unique("dup");
  ASSERT_FALSE(create(name).empty());
  auto again = runner_.run(client_->create_container(name, create_body()));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(again.error().http_status, 409);
  EXPECT_NE(again.error().message.find("already in use"), std::string::npos) << again.error().message;
}

TEST_P(DockerClientTest, CreateFromAMissingImageIsNotFound) {
  auto body = create_body();
  body["Image"] = "127.0.0.1:1/berth-test/never-pulled:nope";
  auto id = runner_.run(client_->create_container(unique("noimg"), body));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().kind, ErrorKind::kNotFound);
  auto img = runner_.run(client_->inspect_image("127.0.0.1:1/berth-test/never-pulled:nope"));
  ASSERT_FALSE(img);
  EXPECT_EQ(img.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(img.error().message.find("No such image"), std::string::npos) << img.error().message;
}

TEST_P(DockerClientTest, InspectImageByReferenceAndById) {
  auto by_ref = runner_.run(client_->inspect_image(image_));
  ASSERT_TRUE(by_ref) << by_ref.error().message;
  const std::string id = (*by_ref)["Id"].get<std::string>();
  EXPECT_EQ(id.rfind("sha256:", 0), 0u);
  auto by_id = runner_.run(client_->inspect_image(id));
  ASSERT_TRUE(by_id) << by_id.error().message;
  EXPECT_EQ((*by_id)["Id"].get<std::string>(), id);
  EXPECT_FALSE((*by_ref)["RepoDigests"].empty()) << "pulled from a registry, so it has a repo digest";
}

TEST_P(DockerClientTest, RenameAndItsConflict) {
  const std::string a = create(unique("ren-a"));
  const std::string b = create(unique("ren-b"));
  ASSERT_TRUE(runner_.run(client_->rename_container(a, unique("ren-a") + ".berth-prev")));
  EXPECT_EQ(state(a).name, unique("ren-a") + ".berth-prev");
  auto clash = runner_.run(client_->rename_container(b, unique("ren-a") + ".berth-prev"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().kind, ErrorKind::kConflict);
}

TEST_P(DockerClientTest, KillAndWait) {
  const std::string id = create(unique("kill"));
  ASSERT_TRUE(runner_.run(client_->start_container(id)));
  ASSERT_TRUE(runner_.run(client_->kill_container(id, "SIGKILL")));
  auto w = runner_.run(client_->wait_container(id, "not-running", 30s));
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->status_code, 137);
  auto again = runner_.run(client_->kill_container(id, "SIGKILL"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict) << "not running";
}

TEST_P(DockerClientTest, WaitReturnsTheExitCode) {
  const std::string id = create(unique("exit"), {"sh", "-c", "exit 7"});
  ASSERT_TRUE(runner_.run(client_->start_container(id)));
  auto w = runner_.run(client_->wait_container(id, "not-running", 30s));
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->status_code, 7);
  EXPECT_EQ(state(id).exit_code, 7);
}

TEST_P(DockerClientTest, RemoveKeepsVolumesUnlessAsked) {
  const std::string volume = unique("vol");
  auto body = create_body({"sh", "-c", "echo kept > /data/f; sleep 100"});
  body["HostConfig"]["Binds"] = json::array({volume + ":/data"});
  auto id = runner_.run(client_->create_container(unique("vol"), body));
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(runner_.run(client_->start_container(*id)));
  ASSERT_TRUE(runner_.run(client_->remove_container(*id, RemoveVolumes::kKeep, ForceRemove::kYes)));
  // The named volume and its data survive: a new container reads it.
  auto reader = create_body({"cat", "/data/f"});
  reader["HostConfig"]["Binds"] = json::array({volume + ":/data"});
  auto rid = runner_.run(client_->create_container(unique("vol-read"), reader));
  ASSERT_TRUE(rid);
  ASSERT_TRUE(runner_.run(client_->start_container(*rid)));
  ASSERT_TRUE(runner_.run(client_->wait_container(*rid, "not-running", 30s)));
  auto out = runner_.run(client_->logs(*rid, 10));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "kept\n");
  ASSERT_TRUE(runner_.run(client_->remove_container(*rid, RemoveVolumes::kKeep, ForceRemove::kYes)));
  std::system((engine_.docker() + " volume rm " + volume + " >/dev/null 2>&1").c_str());
}

TEST_P(DockerClientTest, UpdateRestartPolicy) {
  auto body = create_body();
  body["HostConfig"]["RestartPolicy"] = {{"Name", "always"}};
  auto id = runner_.run(client_->create_container(unique("restart"), body));
  ASSERT_TRUE(id);
  ASSERT_TRUE(runner_.run(client_->update_restart_policy(*id, "no")));
  auto j = runner_.run(client_->inspect_container(*id));
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["HostConfig"]["RestartPolicy"]["Name"].get<std::string>(), "no");
  auto missing = runner_.run(client_->update_restart_policy("berth-test-no-such-container", "no"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_P(DockerClientTest, ExecReturnsExitCodeAndOutput) {
  const std::string id = create(unique("exec"));
  ASSERT_TRUE(runner_.run(client_->start_container(id)));
  auto ok = runner_.run(client_->exec(id, {"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->exit_code, 3);
  EXPECT_NE(ok->output.find("out"), std::string::npos);
  EXPECT_NE(ok->output.find("err"), std::string::npos);
  auto slow = runner_.run(client_->exec(id, {"sleep", "5"}, 500ms));
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().kind, ErrorKind::kTimeout);
  auto not_running = create(unique("exec-stopped"));
  auto refused = runner_.run(client_->exec(not_running, {"true"}, 5s));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict) << refused.error().message;
}

TEST_P(DockerClientTest, NetworksCreateConnectAndResolveByName) {
  const std::string net_name = unique("net");
  auto nid = runner_.run(client_->create_network(net_name, {{"berth.test", test::run_label()}}));
  ASSERT_TRUE(nid) << nid.error().message;
  networks_.push_back(net_name);
  auto dup = runner_.run(client_->create_network(net_name, {}));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict) << dup.error().message;
  // The server joins the network at create time with an alias; the client joins afterwards.
  auto server = create_body();
  server["HostConfig"]["NetworkMode"] = net_name;
  server["NetworkingConfig"] = {{"EndpointsConfig", {{net_name, {{"Aliases", {"db"}}}}}}};
  auto sid = runner_.run(client_->create_container(unique("net-server"), server));
  ASSERT_TRUE(sid) << sid.error().message;
  ASSERT_TRUE(runner_.run(client_->start_container(*sid)));
  const std::string cid = create(unique("net-client"));
  ASSERT_TRUE(runner_.run(client_->connect_network(net_name, cid, json::object())));
  ASSERT_TRUE(runner_.run(client_->start_container(cid)));
  auto got = runner_.run(client_->exec(cid, {"wget", "-q", "-O-", "http://db/"}, 15s));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->exit_code, 0) << got->output;
  EXPECT_EQ(got->output, "v1");
  auto inspected = runner_.run(client_->inspect_network(net_name));
  ASSERT_TRUE(inspected);
  EXPECT_EQ((*inspected)["Containers"].size(), 2u);
}

TEST_P(DockerClientTest, PullReportsProgressAndDigest) {
  BERTH_REQUIRE_ENV(v2, "BERTH_TEST_IMAGE_V2");
  (void)runner_.run(client_->remove_image(v2));
  int events = 0;
  std::size_t layers = 0;
  auto pulled =
      runner_.run(client_->pull_image(repo_of(v2), tag_of(v2), {}, [&](const PullEvent&, const PullProgress& p) {
        ++events;
        layers = p.layers();
      }));
  ASSERT_TRUE(pulled) << pulled.error().message;
  EXPECT_GT(events, 2);
  EXPECT_GE(layers, 1u);
  EXPECT_EQ(pulled->digest.rfind("sha256:", 0), 0u) << pulled->digest;
  EXPECT_FALSE(pulled->up_to_date);
  auto again = runner_.run(client_->pull_image(repo_of(v2), tag_of(v2), {}, {}));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->up_to_date);
  EXPECT_EQ(again->digest, pulled->digest);
}

TEST_P(DockerClientTest, PullOfAMissingTagFails) {
  auto pulled = runner_.run(client_->pull_image(repo_of(image_), "no-such-tag", {}, {}));
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().kind, ErrorKind::kNotFound) << pulled.error().message;
  EXPECT_NE(pulled.error().message.find("no-such-tag"), std::string::npos) << pulled.error().message;
}

TEST_P(DockerClientTest, PullWithRegistryAuthHeader) {
  BERTH_REQUIRE_ENV(reg, "BERTH_TEST_REGISTRY_BASIC");
  BERTH_REQUIRE_ENV(user, "BERTH_TEST_REGISTRY_BASIC_USER");
  BERTH_REQUIRE_ENV(password, "BERTH_TEST_REGISTRY_BASIC_PASSWORD");
  const std::string repo = reg + "/berth-test/web";
  (void)runner_.run(client_->remove_image(repo + ":v1"));
  auto anonymous = runner_.run(client_->pull_image(repo, "v1", {}, {}));
  ASSERT_FALSE(anonymous) << "the registry requires credentials";
  const std::string auth =
      common::base64url_encode(json{{"username", user}, {"password", password}, {"serveraddress", reg}}.dump());
  auto pulled = runner_.run(client_->pull_image(repo, "v1", auth, {}));
  ASSERT_TRUE(pulled) << pulled.error().message;
  EXPECT_EQ(pulled->digest.rfind("sha256:", 0), 0u);
}

TEST_P(DockerClientTest, EventsStreamDeliversContainerEvents) {
  const std::string name = unique("events");
  const std::string id = create(name);
  const auto since = std::to_string(std::time(nullptr) - 1);
  ASSERT_TRUE(runner_.run(client_->start_container(id)));
  std::vector<std::string> actions;
  auto done = runner_.run(
      client_->events(json{{"label", {{"berth.test=" + test::run_label(), true}}}, {"type", {{"container", true}}}},
                      since, [&](const json& e) -> common::Status {
                        actions.push_back(e.value("Action", std::string()));
                        if (actions.back() == "start") {
                          return common::make_error(ErrorKind::kConflict, "seen");  // stop following
                        }
                        return {};
                      }));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message, "follow Docker events: seen");
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions.back(), "start");
}

// The holder of awsvpc tasks: its image loads from memory, its program runs until killed (at once: its
// stop signal is SIGKILL), and as init of a shared PID namespace it leaves no zombie behind.
TEST_P(DockerClientTest, TheHolderImageLoadsAndItsProgramHoldsTheNamespaces) {
  auto ver = runner_.run(client_->version());
  ASSERT_TRUE(ver) << ver.error().message;
  auto image = holder_image((*ver)["Arch"].get<std::string>());
  ASSERT_TRUE(image) << image.error().message;
  ASSERT_TRUE(runner_.run(client_->load_image(image->archive)));
  auto loaded = runner_.run(client_->inspect_image(std::string(kHolderImage)));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ((*loaded)["Id"], image->id);
  EXPECT_TRUE(runner_.run(client_->load_image(image->archive))) << "loading again changes nothing";
  auto broken = runner_.run(client_->load_image("not a tar"));
  ASSERT_FALSE(broken);

  const std::string holder = unique("holder");
  json body = {{"Image", std::string(kHolderImage)},
               {"Labels", {{"berth.test", test::run_label()}}},
               {"HostConfig", {{"RestartPolicy", {{"Name", "no"}}}, {"ReadonlyRootfs", true}, {"CapDrop", {"ALL"}}}}};
  auto holder_id = runner_.run(client_->create_container(holder, body));
  ASSERT_TRUE(holder_id) << holder_id.error().message;
  ASSERT_TRUE(runner_.run(client_->start_container(*holder_id)));
  json member = create_body({"sh", "-c", "(sleep 0.2 &); sleep 1000"});
  member["HostConfig"]["PidMode"] = "container:" + *holder_id;
  member["HostConfig"]["NetworkMode"] = "container:" + *holder_id;
  auto member_id = runner_.run(client_->create_container(unique("holder-member"), member));
  ASSERT_TRUE(member_id) << member_id.error().message;
  ASSERT_TRUE(runner_.run(client_->start_container(*member_id)));
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(state(*holder_id).running);
  auto ps = runner_.run(client_->exec(*member_id, {"ps", "-o", "pid,stat,comm"}, 10s));
  ASSERT_TRUE(ps) << ps.error().message;
  EXPECT_NE(ps->output.find("holder"), std::string::npos) << ps->output;
  EXPECT_EQ(ps->output.find(" Z"), std::string::npos) << "the orphaned sleep was reaped\n" << ps->output;
  ASSERT_TRUE(runner_.run(client_->stop_container(*member_id, 2s)));
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(runner_.run(client_->stop_container(*holder_id, 30s)));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s) << "SIGKILL, not the grace period";
}

// The aarch64 build of the holder program, under qemu-user when the host has it.
TEST(HolderProgram, Arm64WaitsUntilKilled) {
  if (test::shell("command -v qemu-aarch64-static >/dev/null").exit_code != 0) {
    GTEST_SKIP() << "qemu-aarch64-static is not installed";
  }
  const std::string path = "/tmp/berth-test-holder-arm64-" + test::run_label();
  {
    std::ofstream out(path, std::ios::binary);
    out << holder_program("arm64");
  }
  auto run = test::shell("chmod +x " + path + " && timeout 2 qemu-aarch64-static " + path + "; echo $?; rm -f " + path);
  EXPECT_EQ(run.output, "124\n") << "still waiting when the timeout ends it";
}

}  // namespace
}  // namespace berth::docker
