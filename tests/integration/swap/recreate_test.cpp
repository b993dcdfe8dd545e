// plan_recreate against the real Docker Engines (tests/support/engines.hpp): a container started by hand
// is replaced by one created from the plan with a new image, and keeps everything the user gave it,
// while the new image's defaults apply.
#include "swap/recreate.hpp"
#include "docker/client.hpp"
#include "http/client.hpp"
#include "support/async.hpp"
#include "support/engines.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace berth::swap {
namespace {

using docker::ForceRemove;
using docker::RemoveVolumes;
using nlohmann::json;
using namespace std::chrono_literals;

std::string host_name() {
  std::array<char, 256> buffer{};
  return ::gethostname(buffer.data(), buffer.size() - 1) == 0 ? std::string(buffer.data()) : std::string();
}

bool is_anonymous_volume(const std::string& name) {
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The CMD of the test images: writes a page naming the image and three variables, serves it on port 80.
std::string serve_cmd(const std::string& version) {
  return R"(CMD ["sh","-c","trap \"exit 0\" TERM; echo \"$0 A=$A B=$B C=$C\" > /www/index.html; )"
         R"(httpd -f -p 80 -h /www & wait",")" +
         version + R"("])";
}

class RecreateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ENGINE(engine, GetParam());
    BERTH_REQUIRE_ENV(rootfs, "BERTH_TEST_ROOTFS_TAR");
    engine_ = engine;
    rootfs_ = rootfs;
    // The pages the containers publish are on the engine's namespace's loopback.
    netns_.emplace(engine_.netns);
    ASSERT_EQ(netns_->error(), "");
    client_ = std::make_unique<docker::DockerClient>(runner_.executor(), engine_.socket);
    auto v = runner_.run(client_->negotiate());
    ASSERT_TRUE(v) << v.error().message;
    ref_ = "berth-test-recreate/app:" + test::run_label();
    import_image({"ENV A=1", "ENV B=image1", "LABEL x=y", "VOLUME /data", "WORKDIR /www", "EXPOSE 80/tcp",
                  "HEALTHCHECK --interval=5s --timeout=3s CMD true", serve_cmd("v1")});
  }

  void TearDown() override {
    if (!client_) {
      return;
    }
    std::set<std::string> volumes = {named_volume()};
    auto mine = runner_.run(client_->list_containers({"berth.test=" + test::run_label()}, true));
    if (mine) {
      for (const auto& c : *mine) {
        if (auto inspect = runner_.run(client_->inspect_container(c.id))) {
          for (const auto& m : (*inspect)["Mounts"]) {
            if (m.value("Type", "") == "volume" && is_anonymous_volume(m.value("Name", ""))) {
              volumes.insert(m["Name"].get<std::string>());
            }
          }
        }
        (void)runner_.run(client_->remove_container(c.id, RemoveVolumes::kKeep, ForceRemove::kYes));
      }
    }
    for (const auto& v : volumes) {
      (void)docker({"volume", "rm", v});
    }
    for (const auto& n : networks_) {
      (void)runner_.run(client_->remove_network(n));
    }
    (void)runner_.run(client_->remove_image(ref_));
    for (const auto& id : image_ids_) {
      (void)runner_.run(client_->remove_image(id));
    }
    if (!bind_dir_.empty()) {
      std::filesystem::remove_all(bind_dir_);
    }
  }

  // The docker CLI against the engine under test.
  test::RunResult docker(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"docker", "-H", engine_.docker_host()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(argv);
  }

  // Imports the rootfs as ref_ with these Dockerfile instructions; the tag moves from any earlier import.
  void import_image(const std::vector<std::string>& changes) {
    std::vector<std::string> args = {"import"};
    for (const auto& c : changes) {
      args.insert(args.end(), {"--change", c});
    }
    args.insert(args.end(), {rootfs_, ref_});
    const auto imported = docker(args);
    ASSERT_EQ(imported.exit_code, 0) << "docker import failed: " << imported.output;
    auto image = runner_.run(client_->inspect_image(ref_));
    ASSERT_TRUE(image) << image.error().message;
    image_ids_.push_back((*image)["Id"].get<std::string>());
  }

  std::string unique(const std::string& base) const { return "berth-test-recreate-" + base + "-" + test::run_label(); }
  std::string named_volume() const { return unique("vol"); }

  json inspect(const std::string& id) {
    auto j = runner_.run(client_->inspect_container(id));
    EXPECT_TRUE(j) << j.error().message;
    return j ? *j : json::object();
  }

  std::string exec(const std::string& id, const std::vector<std::string>& cmd) {
    auto out = runner_.run(client_->exec(id, cmd, 15s));
    EXPECT_TRUE(out) << out.error().message;
    EXPECT_TRUE(out && out->exit_code == 0) << (out ? out->output : "");
    return out ? out->output : std::string();
  }

  // The page the container's published port 80 serves, once it starts with `prefix` (bounded wait).
  std::string page(const std::string& id, const std::string& prefix) {
    const json ports = inspect(id)["NetworkSettings"]["Ports"]["80/tcp"];
    EXPECT_TRUE(ports.is_array() && !ports.empty()) << ports.dump();
    if (!ports.is_array() || ports.empty()) {
      return {};
    }
    EXPECT_EQ(ports[0]["HostIp"], "127.0.0.1");
    const auto port = static_cast<std::uint16_t>(std::stoi(ports[0]["HostPort"].get<std::string>()));
    std::string body;
    for (int attempt = 0; attempt < 100 && body.rfind(prefix, 0) != 0; ++attempt) {
      http::Client http(runner_.executor(), http::Endpoint::tcp("127.0.0.1", port));
      http::Limits limits;
      limits.timeout = 2s;
      auto r = runner_.run(http.request(http::Request{}, limits));
      body = r && r->status == 200 ? r->body : std::string();
      if (body.rfind(prefix, 0) != 0) {
        std::this_thread::sleep_for(100ms);
      }
    }
    return body;
  }

  // The swap as the engine does it (stop-first): inspect, inspect the image it runs by id, plan, stop and
  // rename the old one, create the new one under the name, connect, start. Returns the new id.
  std::string recreate(const std::string& id, RecreatePlan* plan_out = nullptr) {
    const json old = inspect(id);
    auto image = runner_.run(client_->inspect_image(old["Image"].get<std::string>()));
    EXPECT_TRUE(image) << image.error().message;
    auto plan = plan_recreate(old, image ? *image : json(), ref_, client_->api_version());
    EXPECT_TRUE(plan) << plan.error().message;
    if (!plan) {
      return {};
    }
    const std::string name = old["Name"].get<std::string>().substr(1);
    EXPECT_TRUE(runner_.run(client_->stop_container(id, 5s)));
    EXPECT_TRUE(runner_.run(client_->rename_container(id, name + ".berth-prev")));
    auto created = runner_.run(client_->create_container(name, plan->create_body));
    EXPECT_TRUE(created) << created.error().message << "\n" << plan->create_body.dump(1);
    if (!created) {
      return {};
    }
    for (const auto& c : plan->connections) {
      auto connected = runner_.run(client_->connect_network(c.network, *created, c.endpoint_config));
      EXPECT_TRUE(connected) << connected.error().message;
    }
    auto started = runner_.run(client_->start_container(*created));
    EXPECT_TRUE(started) << started.error().message;
    if (plan_out != nullptr) {
      *plan_out = std::move(*plan);
    }
    return *created;
  }

  // A user network on a private subnet inside Docker's own bridge; returns its prefix ("172.31.250").
  std::string create_subnet_network(const std::string& name) {
    for (const std::string prefix : {"172.31.250", "172.31.249", "172.31.248", "172.31.247"}) {
      if (docker(
              {"network", "create", "--label", "berth.test=" + test::run_label(), "--subnet", prefix + ".0/24", name})
              .exit_code == 0) {
        networks_.push_back(name);
        return prefix;
      }
    }
    ADD_FAILURE() << "no free private subnet for " << name;
    return {};
  }

  test::Engine engine_;
  std::optional<test::NetnsScope> netns_;
  test::AsyncRunner runner_;
  std::unique_ptr<docker::DockerClient> client_;
  std::string rootfs_;
  std::string ref_;
  std::vector<std::string> image_ids_;
  std::vector<std::string> networks_;
  std::string bind_dir_;
};

INSTANTIATE_TEST_SUITE_P(, RecreateTest, ::testing::ValuesIn(test::engine_names()), test::EngineName());

TEST_P(RecreateTest, AHandStartedContainerIsRecreatedFaithfullyWithTheNewImage) {
  const std::string static_net = unique("static");
  const std::string prefix = create_subnet_network(static_net);
  ASSERT_FALSE(prefix.empty());
  const std::string alias_net = unique("alias");
  ASSERT_TRUE(runner_.run(client_->create_network(alias_net, {{"berth.test", test::run_label()}})));
  networks_.push_back(alias_net);
  bind_dir_ = std::filesystem::temp_directory_path() / unique("bind");
  std::filesystem::create_directories(bind_dir_);
  std::ofstream(std::filesystem::path(bind_dir_) / "f") << "from the host";

  // What `docker run -d --name web -e B=user -e C=mine --label team=shop --label berth.enable=true
  // -p 127.0.0.1::80 -v VOL:/named -v DIR:/hostbind:ro --network static --ip P.10 --restart on-failure:3
  // --log-opt max-size=1m --log-opt max-file=2 --health-cmd 'test -f /www/index.html' --health-retries 2`
  // sends, then `docker network connect --alias web alias web`.
  const std::string ip = prefix + ".10";
  const json body = {
      {"Image", ref_},
      {"Env", {"B=user", "C=mine"}},
      {"Labels", {{"berth.test", test::run_label()}, {"berth.enable", "true"}, {"team", "shop"}}},
      {"ExposedPorts", {{"80/tcp", json::object()}}},
      {"Healthcheck", {{"Test", {"CMD-SHELL", "test -f /www/index.html"}}, {"Retries", 2}}},
      {"HostConfig",
       {{"PortBindings", {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}}}}},
        {"Binds", {named_volume() + ":/named", bind_dir_ + ":/hostbind:ro"}},
        {"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 3}}},
        {"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "1m"}, {"max-file", "2"}}}}},
        {"NetworkMode", static_net}}},
      {"NetworkingConfig", {{"EndpointsConfig", {{static_net, {{"IPAMConfig", {{"IPv4Address", ip}}}}}}}}}};
  auto old_id = runner_.run(client_->create_container(unique("web"), body));
  ASSERT_TRUE(old_id) << old_id.error().message;
  ASSERT_TRUE(runner_.run(client_->connect_network(alias_net, *old_id, json{{"Aliases", {"web"}}})));
  ASSERT_TRUE(runner_.run(client_->start_container(*old_id)));
  ASSERT_EQ(page(*old_id, "v1"), "v1 A=1 B=user C=mine\n");
  exec(*old_id, {"sh", "-c", "echo kept > /data/f && echo named > /named/f"});
  const json old = inspect(*old_id);
  std::string anonymous;
  for (const auto& m : old["Mounts"]) {
    if (m["Destination"] == "/data") {
      anonymous = m["Name"].get<std::string>();
    }
  }
  ASSERT_TRUE(is_anonymous_volume(anonymous));

  // The new image: A changes, the command changes, the label changes, the healthcheck timing changes.
  import_image({"ENV A=2", "ENV B=image2", "LABEL x=z", "VOLUME /data", "WORKDIR /www", "EXPOSE 80/tcp",
                "HEALTHCHECK --interval=6s --timeout=4s CMD true", serve_cmd("v2")});
  RecreatePlan plan;
  const std::string new_id = recreate(*old_id, &plan);
  ASSERT_FALSE(new_id.empty());
  ASSERT_EQ(plan.connections.size(), 1u);

  // What the user sees: the new command, the new image's A, the user's B and C, on the published port.
  EXPECT_EQ(page(new_id, "v2"), "v2 A=2 B=user C=mine\n");
  EXPECT_EQ(exec(new_id, {"cat", "/data/f"}), "kept\n") << "the anonymous volume was carried over";
  EXPECT_EQ(exec(new_id, {"cat", "/named/f"}), "named\n");
  EXPECT_EQ(exec(new_id, {"cat", "/hostbind/f"}), "from the host");

  const json now = inspect(new_id);
  EXPECT_EQ(now["Config"]["Image"], ref_);
  EXPECT_EQ(now["Image"], image_ids_.back());
  const json env = now["Config"]["Env"];
  EXPECT_NE(std::find(env.begin(), env.end(), "A=2"), env.end()) << env.dump();
  EXPECT_EQ(std::find(env.begin(), env.end(), "A=1"), env.end()) << "the old image's ENV is not frozen";
  EXPECT_EQ(std::find(env.begin(), env.end(), "B=image2"), env.end()) << "the user's B wins";
  EXPECT_EQ(now["Config"]["Labels"]["team"], "shop");
  EXPECT_EQ(now["Config"]["Labels"]["berth.enable"], "true");
  EXPECT_EQ(now["Config"]["Labels"]["x"], "z") << "the new image's label";
  EXPECT_EQ(now["Config"]["Cmd"].back(), "v2");
  EXPECT_EQ(now["Config"]["Healthcheck"], json({{"Test", {"CMD-SHELL", "test -f /www/index.html"}},
                                                {"Retries", 2},
                                                {"Interval", 6000000000},
                                                {"Timeout", 4000000000}}))
      << "the user's test and retries, the new image's timing";
  EXPECT_EQ(now["HostConfig"]["PortBindings"], old["HostConfig"]["PortBindings"]);
  EXPECT_EQ(now["HostConfig"]["RestartPolicy"], json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ(now["HostConfig"]["LogConfig"], old["HostConfig"]["LogConfig"]);
  EXPECT_EQ(now["HostConfig"]["Binds"], old["HostConfig"]["Binds"]);
  std::map<std::string, json> mounts;
  for (const auto& m : now["Mounts"]) {
    mounts[m["Destination"].get<std::string>()] = m;
  }
  EXPECT_EQ(mounts["/data"]["Name"], anonymous);
  EXPECT_EQ(mounts["/named"]["Name"], named_volume());
  EXPECT_EQ(mounts["/hostbind"]["RW"], false);

  const json networks = now["NetworkSettings"]["Networks"];
  EXPECT_EQ(networks[static_net]["IPAMConfig"]["IPv4Address"], ip);
  EXPECT_EQ(networks[static_net]["IPAddress"], ip);
  const json aliases = networks[alias_net]["Aliases"];
  EXPECT_NE(std::find(aliases.begin(), aliases.end(), "web"), aliases.end()) << aliases.dump();
  EXPECT_EQ(std::find(aliases.begin(), aliases.end(), old_id->substr(0, 12)), aliases.end())
      << "the old short id does not follow: " << aliases.dump();

  // Field by field, what the README says is carried over, as this engine's inspect shows it: networks
  // with their aliases and static addresses, mounts and volumes (ports, restart policy, health check and
  // log configuration above). The engine's default masked paths are its own again.
  for (const auto& [network, settings] : old["NetworkSettings"]["Networks"].items()) {
    ASSERT_TRUE(networks.contains(network)) << network;
    EXPECT_EQ(networks[network]["IPAMConfig"], settings["IPAMConfig"]) << network;
    const json new_aliases = networks[network]["Aliases"].is_array() ? networks[network]["Aliases"] : json::array();
    for (const auto& alias : settings["Aliases"].is_array() ? settings["Aliases"] : json::array()) {
      if (alias != old_id->substr(0, 12)) {
        EXPECT_NE(std::find(new_aliases.begin(), new_aliases.end(), alias), new_aliases.end())
            << network << ": " << alias << " not in " << new_aliases.dump();
      }
    }
  }
  EXPECT_EQ(networks.size(), old["NetworkSettings"]["Networks"].size());
  for (const auto& m : old["Mounts"]) {
    const json& carried = mounts[m["Destination"].get<std::string>()];
    for (const char* key : {"Type", "Name", "Source", "RW"}) {
      EXPECT_EQ(carried.value(key, json()), m.value(key, json())) << m["Destination"] << " " << key;
    }
  }
  EXPECT_EQ(now["Mounts"].size(), old["Mounts"].size());
  EXPECT_EQ(now["HostConfig"]["MaskedPaths"], old["HostConfig"]["MaskedPaths"]);
  EXPECT_EQ(now["HostConfig"]["ReadonlyPaths"], old["HostConfig"]["ReadonlyPaths"]);

  // Another container on the alias network reaches the new one by its alias.
  const json client_body = {{"Image", ref_},
                            {"Cmd", {"sleep", "60"}},
                            {"Labels", {{"berth.test", test::run_label()}}},
                            {"HostConfig", {{"NetworkMode", alias_net}}}};
  auto peer = runner_.run(client_->create_container(unique("peer"), client_body));
  ASSERT_TRUE(peer) << peer.error().message;
  ASSERT_TRUE(runner_.run(client_->start_container(*peer)));
  EXPECT_EQ(exec(*peer, {"wget", "-q", "-O-", "http://web/"}), "v2 A=2 B=user C=mine\n");

  // Planning again from the new container gives the same container: nothing accumulates, nothing is lost.
  auto new_image = runner_.run(client_->inspect_image(now["Image"].get<std::string>()));
  ASSERT_TRUE(new_image);
  auto again = plan_recreate(now, *new_image, ref_, client_->api_version());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->create_body, plan.create_body) << again->create_body.dump(1) << "\nvs\n" << plan.create_body.dump(1);
  ASSERT_EQ(again->connections.size(), 1u);
  EXPECT_EQ(again->connections[0].endpoint_config, plan.connections[0].endpoint_config);
}

TEST_P(RecreateTest, NetworkModesTheDaemonIsStrictAboutAreAccepted) {
  const json kSleep = {"sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"};
  auto body = [&](json extra) {
    json b = {{"Image", ref_}, {"Labels", {{"berth.test", test::run_label()}}}};
    b.update(extra);
    return b;
  };
  auto run = [&](const std::string& name, const json& b) {
    auto id = runner_.run(client_->create_container(unique(name), b));
    EXPECT_TRUE(id) << id.error().message;
    EXPECT_TRUE(id && runner_.run(client_->start_container(*id)));
    return id ? *id : std::string();
  };
  const std::string db = run("db", body(json::object()));
  const std::string sidecar =
      run("sidecar", body({{"Cmd", kSleep}, {"HostConfig", {{"NetworkMode", "container:" + db}}}}));
  const std::string linker = run("linker", body({{"HostConfig", {{"Links", {unique("db") + ":db"}}}}}));
  const std::string hostnet = run("hostnet", body({{"Cmd", kSleep}, {"HostConfig", {{"NetworkMode", "host"}}}}));
  ASSERT_FALSE(db.empty() || sidecar.empty() || linker.empty() || hostnet.empty());
  std::string served;
  for (int attempt = 0; attempt < 100 && served.empty(); ++attempt) {
    auto got = runner_.run(client_->exec(db, {"wget", "-q", "-O-", "http://127.0.0.1/"}, 5s));
    served = got && got->exit_code == 0 ? got->output : std::string();
    if (served.empty()) {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_EQ(served, "v1 A=1 B=image1 C=\n");

  import_image({"ENV A=2", "ENV B=image2", "VOLUME /data", "WORKDIR /www", "EXPOSE 80/tcp", serve_cmd("v2")});
  // container: mode: the daemon refuses a hostname or exposed ports there; both came from the merge.
  RecreatePlan plan;
  const std::string new_sidecar = recreate(sidecar, &plan);
  ASSERT_FALSE(new_sidecar.empty());
  EXPECT_FALSE(plan.warnings.empty());
  EXPECT_EQ(exec(new_sidecar, {"wget", "-q", "-O-", "http://127.0.0.1/"}), "v1 A=1 B=image1 C=\n")
      << "it shares db's network namespace";
  // A legacy link, rewritten from "/db:/linker/db".
  const std::string new_linker = recreate(linker);
  ASSERT_FALSE(new_linker.empty());
  EXPECT_EQ(exec(new_linker, {"wget", "-q", "-O-", "http://db/"}), "v1 A=1 B=image1 C=\n");
  EXPECT_EQ(inspect(new_linker)["HostConfig"]["Links"], json({"/" + unique("db") + ":/" + unique("linker") + "/db"}));
  // host mode: the host's name is not pinned; the daemon gives it again.
  const std::string new_hostnet = recreate(hostnet, &plan);
  ASSERT_FALSE(new_hostnet.empty());
  EXPECT_FALSE(plan.create_body.contains("Hostname"));
  EXPECT_EQ(inspect(new_hostnet)["Config"]["Hostname"], host_name());
  EXPECT_TRUE(inspect(new_hostnet)["State"]["Running"].get<bool>());
}

TEST_P(RecreateTest, APinnedMacIsKeptAndAGeneratedOneIsNot) {
  const bool endpoint_macs = client_->api_version() >= docker::ApiVersion{1, 44};
  json pinned_body = {{"Image", ref_}, {"Labels", {{"berth.test", test::run_label()}}}};
  const std::string mac = "92:d0:c6:0a:29:33";
  if (endpoint_macs) {
    pinned_body["NetworkingConfig"] = {{"EndpointsConfig", {{"bridge", {{"MacAddress", mac}}}}}};
  } else {
    pinned_body["MacAddress"] = mac;
  }
  auto pinned = runner_.run(client_->create_container(unique("pinned"), pinned_body));
  ASSERT_TRUE(pinned) << pinned.error().message;
  auto generated = runner_.run(client_->create_container(
      unique("generated"), {{"Image", ref_}, {"Labels", {{"berth.test", test::run_label()}}}}));
  ASSERT_TRUE(generated) << generated.error().message;
  ASSERT_TRUE(runner_.run(client_->start_container(*pinned)));
  ASSERT_TRUE(runner_.run(client_->start_container(*generated)));

  RecreatePlan plan;
  const std::string new_pinned = recreate(*pinned, &plan);
  ASSERT_FALSE(new_pinned.empty());
  EXPECT_EQ(inspect(new_pinned)["NetworkSettings"]["Networks"]["bridge"]["MacAddress"], mac);
  const std::string new_generated = recreate(*generated, &plan);
  ASSERT_FALSE(new_generated.empty());
  EXPECT_FALSE(plan.create_body.contains("MacAddress"));
  EXPECT_FALSE(plan.create_body["NetworkingConfig"]["EndpointsConfig"]["bridge"].contains("MacAddress"));
  const json endpoint = inspect(new_generated)["NetworkSettings"]["Networks"]["bridge"];
  EXPECT_EQ(endpoint["MacAddress"].get<std::string>().rfind("02:42:", 0), 0u) << "the engine's again";
}

TEST_P(RecreateTest, AnAutoRemoveContainerIsRefused) {
  const json body = {
      {"Image", ref_}, {"Labels", {{"berth.test", test::run_label()}}}, {"HostConfig", {{"AutoRemove", true}}}};
  auto id = runner_.run(client_->create_container(unique("rm"), body));
  ASSERT_TRUE(id) << id.error().message;
  const json c = inspect(*id);
  auto image = runner_.run(client_->inspect_image(c["Image"].get<std::string>()));
  ASSERT_TRUE(image);
  auto plan = plan_recreate(c, *image, ref_, client_->api_version());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind, common::ErrorKind::kInvalidArgument);
  EXPECT_NE(plan.error().message.find("cannot recreate container " + unique("rm") + ": "), std::string::npos)
      << plan.error().message;
  EXPECT_NE(plan.error().message.find("--rm"), std::string::npos);
}

}  // namespace
}  // namespace berth::swap
