// plan_recreate against inspect output captured from a real Docker Engine (tests/data/recreate, see
// capture.sh there): one test per rule of the recreate recipe, and one per refusal.
#include "swap/recreate.hpp"
#include "swap/recreate_steps.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <set>

namespace berth::swap {
namespace {

using common::ErrorKind;
using docker::ApiVersion;
using nlohmann::json;

constexpr ApiVersion kApi141{1, 41};
constexpr ApiVersion kApi144{1, 44};
const std::string kNewRef = "registry.example.com/acme/web:1.4";

json fixture(const std::string& name) {
  const auto dir = std::filesystem::path(BERTH_TEST_DATA_DIR) / "recreate";
  std::ifstream in(dir / name);
  EXPECT_TRUE(in.good()) << "missing fixture " << (dir / name);
  return json::parse(in);
}

std::string this_host() {
  std::array<char, 256> buffer{};
  EXPECT_EQ(::gethostname(buffer.data(), buffer.size() - 1), 0);
  return buffer.data();
}

class RecreateTest : public ::testing::Test {
 protected:
  json web_ = fixture("web.container.json");
  json web_image_ = fixture("web.image.json");
  json tool_ = fixture("tool.container.json");
  json tool_image_ = fixture("tool.image.json");

  static RecreatePlan plan_ok(const json& container, const json& image, ApiVersion api = kApi141,
                              const std::string& ref = kNewRef) {
    auto plan = plan_recreate(container, image, ref, api);
    EXPECT_TRUE(plan) << plan.error().message;
    return plan ? *plan : RecreatePlan{};
  }
  json body(const json& container, ApiVersion api = kApi141) { return plan_ok(container, web_image_, api).create_body; }

  // The refusal's message, checked to be kInvalidArgument and to name the container.
  static std::string refusal(const json& container, const json& image, ApiVersion api = kApi141,
                             const std::string& ref = kNewRef) {
    auto plan = plan_recreate(container, image, ref, api);
    EXPECT_FALSE(plan);
    if (plan) {
      return {};
    }
    EXPECT_EQ(plan.error().kind, ErrorKind::kInvalidArgument);
    const std::string name = container.value("Name", std::string("/?")).substr(1);
    EXPECT_NE(plan.error().message.find("cannot recreate container " + name + ": "), std::string::npos)
        << plan.error().message;
    return plan.error().message;
  }
  std::string refusal(const json& container, ApiVersion api = kApi141) { return refusal(container, web_image_, api); }

  static json& front(json& container) { return container["NetworkSettings"]["Networks"]["berth-capture-front"]; }
  static json& back(json& container) { return container["NetworkSettings"]["Networks"]["berth-capture-back"]; }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- The create body ------------------------------------------------------------------------------

TEST_F(RecreateTest, ImageIsTheUsersReferenceAndTheBodyHoldsOnlyConfiguration) {
  const json b = plan_ok(web_, web_image_, kApi141, "registry.example.com/acme/web:stable").create_body;
  EXPECT_EQ(b["Image"], "registry.example.com/acme/web:stable");
  for (const char* operational : {"Id", "Created", "State", "Name", "Mounts", "NetworkSettings", "GraphDriver",
                                  "RestartCount", "Path", "Args", "Platform", "Config", "LogPath"}) {
    EXPECT_FALSE(b.contains(operational)) << operational;
  }
  EXPECT_TRUE(b["HostConfig"].is_object());
  EXPECT_TRUE(b["NetworkingConfig"]["EndpointsConfig"].is_object());
}

// ---- 1. The old image's defaults are subtracted -----------------------------------------------------

TEST_F(RecreateTest, ImageEnvIsNotFrozenButTheUsersIsKept) {
  // The image says A=1 B=image; the user ran -e A=override -e C=user.
  EXPECT_EQ(body(web_)["Env"], json({"A=override", "C=user"}));
  web_["Config"]["Env"] = web_image_["Config"]["Env"];
  EXPECT_FALSE(body(web_).contains("Env")) << "only the image's entries: the new image's apply";
}

TEST_F(RecreateTest, ImageLabelsAreDroppedWhileTheUsersAndBerthsStay) {
  const json labels = body(web_)["Labels"];
  EXPECT_FALSE(labels.contains("x")) << "the image's label";
  EXPECT_EQ(labels["team"], "shop");
  EXPECT_EQ(labels["berth.probe"], "http://:8080/");
  EXPECT_EQ(labels["berth.enable"], "true") << "berth's own label stays even though the image sets it too";
  web_["Config"]["Labels"]["x"] = "changed";
  EXPECT_EQ(body(web_)["Labels"]["x"], "changed") << "a value the user changed is the user's";
}

TEST_F(RecreateTest, AnInheritedCommandIsClearedSoTheNewImagesApplies) {
  const json b = body(web_);
  EXPECT_FALSE(b.contains("Cmd"));
  EXPECT_FALSE(b.contains("Entrypoint"));
  web_["Config"]["Cmd"] = json::array({"httpd", "-f"});
  EXPECT_EQ(body(web_)["Cmd"], json({"httpd", "-f"}));
}

TEST_F(RecreateTest, AResetEntrypointIsSentAgain) {
  // `docker run --entrypoint "" tool sleep 100000`: inspect shows no entrypoint, the image has one.
  ASSERT_TRUE(tool_["Config"]["Entrypoint"].is_null());
  const json b = plan_ok(tool_, tool_image_).create_body;
  EXPECT_EQ(b["Entrypoint"], json::array({""}));
  EXPECT_EQ(b["Cmd"], json({"sleep", "100000"}));
}

TEST_F(RecreateTest, AUsersEntrypointKeepsItsCmd) {
  tool_["Config"]["Entrypoint"] = json::array({"sleep"});
  tool_["Config"]["Cmd"] = json::array({"sleep 100000"});  // equal to the image's Cmd, but the user's
  json b = plan_ok(tool_, tool_image_).create_body;
  EXPECT_EQ(b["Entrypoint"], json({"sleep"}));
  EXPECT_EQ(b["Cmd"], json({"sleep 100000"}));
  // The image's entrypoint with no Cmd while the image has one: set explicitly, or Cmd would be there.
  tool_["Config"]["Entrypoint"] = tool_image_["Config"]["Entrypoint"];
  tool_["Config"]["Cmd"] = nullptr;
  b = plan_ok(tool_, tool_image_).create_body;
  EXPECT_EQ(b["Entrypoint"], tool_image_["Config"]["Entrypoint"]);
}

TEST_F(RecreateTest, TheImagesEntrypointIsClearedAndAUserCmdUnderItKept) {
  tool_["Config"]["Entrypoint"] = tool_image_["Config"]["Entrypoint"];
  tool_["Config"]["Cmd"] = tool_image_["Config"]["Cmd"];
  json b = plan_ok(tool_, tool_image_).create_body;
  EXPECT_FALSE(b.contains("Entrypoint"));
  EXPECT_FALSE(b.contains("Cmd"));
  tool_["Config"]["Cmd"] = json::array({"echo hi"});
  b = plan_ok(tool_, tool_image_).create_body;
  EXPECT_FALSE(b.contains("Entrypoint"));
  EXPECT_EQ(b["Cmd"], json({"echo hi"}));
}

TEST_F(RecreateTest, WorkingDirAndUserEqualToTheImagesAreCleared) {
  json b = body(web_);
  EXPECT_FALSE(b.contains("WorkingDir")) << "/www is the image's";
  EXPECT_FALSE(b.contains("User"));
  web_["Config"]["WorkingDir"] = "/srv";
  web_["Config"]["User"] = "nobody";
  web_["Config"]["StopSignal"] = "SIGQUIT";
  web_image_["Config"]["StopSignal"] = "SIGQUIT";
  b = body(web_);
  EXPECT_EQ(b["WorkingDir"], "/srv");
  EXPECT_EQ(b["User"], "nobody");
  EXPECT_FALSE(b.contains("StopSignal")) << "the image's stop signal";
}

TEST_F(RecreateTest, HealthcheckKeepsOnlyTheFieldsTheUserSet) {
  // Image: test -d /www, 5s, 3s, 4 retries. User: --health-cmd ... --health-interval 7s.
  const json check = body(web_)["Healthcheck"];
  EXPECT_EQ(check["Test"], json({"CMD-SHELL", "wget -q -O /dev/null http://localhost/ || exit 1"}));
  EXPECT_EQ(check["Interval"], 7000000000);
  EXPECT_FALSE(check.contains("Timeout")) << "the image's timeout: the new image's applies";
  EXPECT_FALSE(check.contains("Retries"));
}

TEST_F(RecreateTest, AHealthcheckEqualToTheImagesIsDroppedWholeAndNoneStays) {
  web_["Config"]["Healthcheck"] = web_image_["Config"]["Healthcheck"];
  EXPECT_FALSE(body(web_).contains("Healthcheck"));
  web_["Config"]["Healthcheck"] = {{"Test", {"NONE"}}};  // --no-healthcheck
  EXPECT_EQ(body(web_)["Healthcheck"], json({{"Test", {"NONE"}}}));
}

TEST_F(RecreateTest, ImageVolumesAndPortsAreSubtractedAndPublishedPortsStayExposed) {
  const json b = body(web_);
  // 80 is the image's but published; 8080 published; 9000 from --expose.
  EXPECT_EQ(b["ExposedPorts"],
            json({{"80/tcp", json::object()}, {"8080/tcp", json::object()}, {"9000/tcp", json::object()}}));
  web_["HostConfig"]["PortBindings"].erase("80/tcp");
  EXPECT_FALSE(body(web_)["ExposedPorts"].contains("80/tcp"));
  // /data (image) and /cache (-v /cache) are carried over as mounts instead (see below).
  EXPECT_FALSE(b.contains("Volumes"));
}

// ---- 2. Hostname --------------------------------------------------------------------------------------

TEST_F(RecreateTest, AHostnameTheDaemonChoseIsDroppedAndTheUsersKept) {
  ASSERT_EQ(web_["Config"]["Hostname"], web_["Id"].get<std::string>().substr(0, 12));
  EXPECT_FALSE(body(web_).contains("Hostname"));
  web_["Config"]["Hostname"] = "shop";
  EXPECT_EQ(body(web_)["Hostname"], "shop");
}

TEST_F(RecreateTest, OnTheHostNetworkTheHostsNameIsDropped) {
  json hostnet = fixture("hostnet.container.json");
  hostnet["Config"]["Hostname"] = this_host();
  json b = body(hostnet);
  EXPECT_FALSE(b.contains("Hostname"));
  EXPECT_EQ(b["HostConfig"]["NetworkMode"], "host");
  EXPECT_TRUE(b["NetworkingConfig"]["EndpointsConfig"].empty());
  hostnet["Config"]["Hostname"] = "not-" + this_host();
  EXPECT_EQ(body(hostnet)["Hostname"], "not-" + this_host());
}

TEST_F(RecreateTest, UtsHostDropsTheHostname) {
  web_["HostConfig"]["UTSMode"] = "host";
  web_["Config"]["Hostname"] = "shop";
  EXPECT_FALSE(body(web_).contains("Hostname")) << "conflicting options: hostname and the UTS mode";
}

TEST_F(RecreateTest, InContainerNetworkModeWhatTheDaemonRefusesIsDropped) {
  json sidecar = fixture("sidecar.container.json");
  // Things a container: mode container cannot have, as if an older daemon had let them through.
  sidecar["HostConfig"]["Dns"] = json::array({"127.0.0.53"});
  sidecar["HostConfig"]["ExtraHosts"] = json::array({"a:127.0.0.1"});
  sidecar["HostConfig"]["PortBindings"] = {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", "18081"}}}}};
  sidecar["HostConfig"]["PublishAllPorts"] = true;
  sidecar["Config"]["MacAddress"] = "92:d0:c6:0a:29:34";
  const RecreatePlan plan = plan_ok(sidecar, web_image_);
  const json& b = plan.create_body;
  EXPECT_EQ(b["HostConfig"]["NetworkMode"], sidecar["HostConfig"]["NetworkMode"]) << "the target id is kept";
  EXPECT_FALSE(b.contains("Hostname")) << "it is the target's: conflicting options: hostname and the network mode";
  EXPECT_FALSE(b.contains("ExposedPorts")) << "merged from the image; refused in this mode";
  EXPECT_FALSE(b.contains("MacAddress"));
  for (const char* key : {"PortBindings", "PublishAllPorts", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "Links"}) {
    EXPECT_FALSE(b["HostConfig"].contains(key)) << key;
  }
  EXPECT_TRUE(b["NetworkingConfig"]["EndpointsConfig"].empty());
  EXPECT_TRUE(plan.connections.empty());
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_TRUE(contains(plan.warnings[0], "container:")) << plan.warnings[0];
}

TEST_F(RecreateTest, SharingAnotherContainersNamespaceIsAWarning) {
  json c = fixture("db.container.json");
  c["HostConfig"]["PidMode"] = "container:" + web_["Id"].get<std::string>();
  const RecreatePlan plan = plan_ok(c, web_image_);
  EXPECT_EQ(plan.create_body["HostConfig"]["PidMode"], c["HostConfig"]["PidMode"]);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_TRUE(contains(plan.warnings[0], "(PidMode)")) << plan.warnings[0];
}

// ---- 3. Links -----------------------------------------------------------------------------------------

TEST_F(RecreateTest, LegacyLinksAreRewritten) {
  json linker = fixture("linker.container.json");
  ASSERT_EQ(linker["HostConfig"]["Links"], json({"/berth-capture-db:/berth-capture-linker/db"}));
  EXPECT_EQ(body(linker)["HostConfig"]["Links"], json({"berth-capture-db:db"}));
  linker["HostConfig"]["Links"] = json::array({"/a/b:/c"});
  EXPECT_TRUE(contains(refusal(linker), "link \"/a/b:/c\""));
}

TEST_F(RecreateTest, EndpointLinksOnAUserNetworkAreKept) {
  front(web_)["Links"] = json::array({"berth-capture-db:db"});
  EXPECT_EQ(body(web_)["NetworkingConfig"]["EndpointsConfig"]["berth-capture-front"]["Links"],
            json({"berth-capture-db:db"}));
}

// ---- 4. Networks --------------------------------------------------------------------------------------

TEST_F(RecreateTest, OneEndpointAtCreateAndTheOtherNetworksConnectedAfter) {
  const RecreatePlan plan = plan_ok(web_, web_image_);
  const json& endpoints = plan.create_body["NetworkingConfig"]["EndpointsConfig"];
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_TRUE(endpoints.contains("berth-capture-front")) << "the network of NetworkMode";
  EXPECT_EQ(plan.create_body["HostConfig"]["NetworkMode"], "berth-capture-front");
  ASSERT_EQ(plan.connections.size(), 1u);
  EXPECT_EQ(plan.connections[0].network, "berth-capture-back");
  EXPECT_EQ(plan.connections[0].endpoint_config, json({{"Aliases", {"api"}}}));
}

TEST_F(RecreateTest, AliasesLoseTheOldShortIdAndOperationalFieldsAreNotCopied) {
  const json endpoint = body(web_)["NetworkingConfig"]["EndpointsConfig"]["berth-capture-front"];
  EXPECT_EQ(endpoint["Aliases"], json({"web"}));
  const std::set<std::string> configuration = {"IPAMConfig", "Aliases",    "Links",
                                               "MacAddress", "DriverOpts", "GwPriority"};
  for (const auto& [key, value] : endpoint.items()) {
    EXPECT_EQ(configuration.count(key), 1u) << key << " is not configuration";
  }
}

TEST_F(RecreateTest, StaticAddressesAreKeptInIpamConfig) {
  front(web_)["IPAMConfig"]["IPv6Address"] = "fd00:b::10";
  const json endpoint = body(web_)["NetworkingConfig"]["EndpointsConfig"]["berth-capture-front"];
  EXPECT_EQ(endpoint["IPAMConfig"], json({{"IPv4Address", "172.31.252.10"}, {"IPv6Address", "fd00:b::10"}}));
  EXPECT_FALSE(endpoint.contains("IPAddress"));
  // An endpoint without static addresses has no IPAMConfig at all (inspect shows {}).
  EXPECT_FALSE(plan_ok(web_, web_image_).connections[0].endpoint_config.contains("IPAMConfig"));
}

TEST_F(RecreateTest, TheDefaultNetworkModeUsesTheBridgeEndpoint) {
  const json db = fixture("db.container.json");
  ASSERT_EQ(db["HostConfig"]["NetworkMode"], "default");
  const RecreatePlan plan = plan_ok(db, web_image_);
  EXPECT_EQ(plan.create_body["HostConfig"]["NetworkMode"], "default");
  EXPECT_EQ(plan.create_body["NetworkingConfig"]["EndpointsConfig"], json({{"bridge", json::object()}}));
  EXPECT_TRUE(plan.connections.empty());
}

TEST_F(RecreateTest, ANetworkModeGivenByIdBecomesTheNetworksName) {
  web_["HostConfig"]["NetworkMode"] = front(web_)["NetworkID"].get<std::string>().substr(0, 12);
  const RecreatePlan plan = plan_ok(web_, web_image_);
  EXPECT_EQ(plan.create_body["HostConfig"]["NetworkMode"], "berth-capture-front");
  EXPECT_TRUE(plan.create_body["NetworkingConfig"]["EndpointsConfig"].contains("berth-capture-front"));
  EXPECT_EQ(plan.connections.size(), 1u);
}

TEST_F(RecreateTest, AContainerDisconnectedFromItsNetworkModeNetwork) {
  web_["NetworkSettings"]["Networks"].erase("berth-capture-front");
  const RecreatePlan plan = plan_ok(web_, web_image_);
  EXPECT_EQ(plan.create_body["HostConfig"]["NetworkMode"], "berth-capture-back");
  EXPECT_TRUE(plan.connections.empty());
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_TRUE(contains(plan.warnings[1], "disconnected")) << plan.warnings[1];
  web_["NetworkSettings"]["Networks"] = json::object();
  EXPECT_TRUE(contains(refusal(web_), "connected to no network"));
}

TEST_F(RecreateTest, AStoppedContainerKeepsItsNetworkConfiguration) {
  json stopped = fixture("web-stopped.container.json");
  ASSERT_EQ(front(stopped)["IPAddress"], "");
  const RecreatePlan plan = plan_ok(stopped, web_image_);
  EXPECT_EQ(plan.create_body["NetworkingConfig"]["EndpointsConfig"]["berth-capture-front"],
            json({{"IPAMConfig", {{"IPv4Address", "172.31.252.10"}}}, {"Aliases", {"web"}}}));
  ASSERT_EQ(plan.connections.size(), 1u);
  EXPECT_EQ(plan.connections[0].endpoint_config, json({{"Aliases", {"api"}}}));
}

// ---- MacAddress ---------------------------------------------------------------------------------------

TEST_F(RecreateTest, GeneratedMacShapeFollowsTheEndpointsAddress) {
  using recreate_detail::engine_generated_mac;
  EXPECT_TRUE(engine_generated_mac("02:42:ac:1f:fc:0a", "172.31.252.10"));
  EXPECT_TRUE(engine_generated_mac("02:42:AC:1F:FC:0A", "172.31.252.10"));
  EXPECT_FALSE(engine_generated_mac("02:42:ac:1f:fc:63", "172.31.252.10")) << "not derived from this address";
  EXPECT_TRUE(engine_generated_mac("02:42:ac:1f:fc:63", "")) << "stopped: no address to compare with";
  EXPECT_TRUE(engine_generated_mac("02:42:ac:1f:fc:63", "fd00::1"));
  EXPECT_FALSE(engine_generated_mac("92:d0:c6:0a:29:33", "172.17.0.2"));
  EXPECT_FALSE(engine_generated_mac("92:d0:c6:0a:29:33", ""));
}

TEST_F(RecreateTest, AGeneratedMacIsNotPinned) {
  ASSERT_EQ(front(web_)["MacAddress"], "02:42:ac:1f:fc:0a");
  for (const ApiVersion api : {kApi141, kApi144}) {
    const RecreatePlan plan = plan_ok(web_, web_image_, api);
    EXPECT_FALSE(plan.create_body.contains("MacAddress"));
    EXPECT_FALSE(plan.create_body["NetworkingConfig"]["EndpointsConfig"]["berth-capture-front"].contains("MacAddress"));
    EXPECT_FALSE(plan.connections[0].endpoint_config.contains("MacAddress"));
  }
}

TEST_F(RecreateTest, APinnedMacIsContainerWideBelowApi144AndOnTheEndpointFrom144) {
  const json mac = fixture("mac.container.json");
  ASSERT_EQ(mac["Config"]["MacAddress"], "92:d0:c6:0a:29:33");
  json b = body(mac, kApi141);
  EXPECT_EQ(b["MacAddress"], "92:d0:c6:0a:29:33");
  EXPECT_FALSE(b["NetworkingConfig"]["EndpointsConfig"]["bridge"].contains("MacAddress")) << "discarded below 1.44";
  b = body(mac, kApi144);
  EXPECT_FALSE(b.contains("MacAddress")) << "deprecated from 1.44, refused from 1.52";
  EXPECT_EQ(b["NetworkingConfig"]["EndpointsConfig"]["bridge"]["MacAddress"], "92:d0:c6:0a:29:33");
}

TEST_F(RecreateTest, A0242MacNotDerivedFromTheAddressIsTheUsers) {
  front(web_)["MacAddress"] = "02:42:ac:1f:fc:63";
  EXPECT_EQ(body(web_, kApi144)["NetworkingConfig"]["EndpointsConfig"]["berth-capture-front"]["MacAddress"],
            "02:42:ac:1f:fc:63");
}

TEST_F(RecreateTest, APinnedMacOnASecondaryNetworkNeedsApi144) {
  back(web_)["MacAddress"] = "92:d0:c6:0a:29:35";
  RecreatePlan plan = plan_ok(web_, web_image_, kApi141);
  EXPECT_FALSE(plan.connections[0].endpoint_config.contains("MacAddress"));
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_TRUE(contains(plan.warnings[1], "92:d0:c6:0a:29:35")) << plan.warnings[1];
  plan = plan_ok(web_, web_image_, kApi144);
  EXPECT_EQ(plan.connections[0].endpoint_config["MacAddress"], "92:d0:c6:0a:29:35");
  EXPECT_EQ(plan.warnings.size(), 1u);
}

// ---- 5. Mounts and volumes ----------------------------------------------------------------------------

TEST_F(RecreateTest, AnonymousVolumesAreCarriedOverByName) {
  const json b = body(web_);
  const json expected = json::array({{{"Type", "volume"},
                                      {"Source", "d076a4b7d72def1500caec8c7e8b0088f5ee80c0ad8b7cf4cf37d209e973abe4"},
                                      {"Target", "/cache"}},
                                     {{"Type", "volume"},
                                      {"Source", "1814f1b62f6277004f7784c16232d9abc2e25469cb42777835a3914ded349cc1"},
                                      {"Target", "/data"}}});
  EXPECT_EQ(b["HostConfig"]["Mounts"], expected);
  EXPECT_EQ(b["HostConfig"]["Binds"], json({"berth-capture-data:/named", "/tmp:/hostbind:ro"}));
}

TEST_F(RecreateTest, ACarriedVolumeKeepsReadOnlyAndItsDriver) {
  for (auto& mount : web_["Mounts"]) {
    if (mount["Destination"] == "/data") {
      mount["RW"] = false;
      mount["Driver"] = "nfs-driver";
    }
  }
  const json mounts = body(web_)["HostConfig"]["Mounts"];
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[1]["ReadOnly"], true);
  EXPECT_EQ(mounts[1]["VolumeOptions"], json({{"DriverConfig", {{"Name", "nfs-driver"}}}}));
}

TEST_F(RecreateTest, AnAnonymousMountWithoutSourceGetsItsVolume) {
  const json mounts_container = fixture("mounts.container.json");
  const json mounts = body(mounts_container)["HostConfig"]["Mounts"];
  std::string scratch_volume;
  for (const auto& m : mounts_container["Mounts"]) {
    if (m["Destination"] == "/scratch") {
      scratch_volume = m["Name"].get<std::string>();
    }
  }
  ASSERT_EQ(scratch_volume.size(), 64u);
  ASSERT_EQ(mounts.size(), 4u) << mounts.dump();
  EXPECT_EQ(mounts[0]["Target"], "/scratch");
  EXPECT_EQ(mounts[0]["Source"], scratch_volume);
  EXPECT_EQ(mounts[1]["Type"], "tmpfs") << "a tmpfs is not a volume";
  EXPECT_FALSE(mounts[1].contains("Source"));
  EXPECT_EQ(mounts[2]["Type"], "bind");
  EXPECT_EQ(mounts[2]["ReadOnly"], true);
  EXPECT_EQ(mounts[3]["Target"], "/data") << "the image's VOLUME, carried over";
}

TEST_F(RecreateTest, APathTheUserMountedSomethingAtIsNotCarried) {
  web_["HostConfig"]["Binds"].push_back("berth-capture-other:/data");
  const json mounts = body(web_)["HostConfig"]["Mounts"];
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0]["Target"], "/cache");
}

TEST_F(RecreateTest, MountOptionsOfAnotherTypeAreDropped) {
  json mounts_container = fixture("mounts.container.json");
  mounts_container["HostConfig"]["Mounts"][2]["VolumeOptions"] = {{"NoCopy", true}};  // on the bind
  const json mounts = body(mounts_container)["HostConfig"]["Mounts"];
  EXPECT_FALSE(mounts[2].contains("VolumeOptions")) << "a 400 from API 1.42";
}

// ---- 7. Restart policy, log config, the rest of HostConfig ------------------------------------------

TEST_F(RecreateTest, HostConfigIsCopiedWithoutItsOperationalFields) {
  const json host = body(web_)["HostConfig"];
  EXPECT_EQ(host["RestartPolicy"], json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ(host["LogConfig"], json({{"Type", "json-file"}, {"Config", {{"max-file", "2"}, {"max-size", "1m"}}}}));
  EXPECT_EQ(host["PortBindings"], web_["HostConfig"]["PortBindings"]);
  EXPECT_EQ(host["Dns"], json({"127.0.0.53"}));
  EXPECT_EQ(host["ExtraHosts"], json({"db.internal:127.0.0.1"}));
  EXPECT_EQ(host["CapAdd"], json({"CAP_NET_ADMIN"}));
  EXPECT_EQ(host["Memory"], 67108864);
  EXPECT_FALSE(host.contains("ContainerIDFile"));
  EXPECT_FALSE(host.contains("ConsoleSize"));
}

// web was created by Docker 20.10, whose defaults the inspect shows; after an upgrade to Docker 26 (API
// 1.45), the new container must get Docker 26's defaults, which mask more.
TEST_F(RecreateTest, MaskedAndReadOnlyPathsThatAreTheEnginesDefaultsAreLeftToTheEngine) {
  ASSERT_EQ(web_["HostConfig"]["MaskedPaths"].size(), 10u);
  for (const ApiVersion api : {kApi141, ApiVersion{1, 45}}) {
    const json host = body(web_, api)["HostConfig"];
    EXPECT_FALSE(host.contains("MaskedPaths")) << api.str();
    EXPECT_FALSE(host.contains("ReadonlyPaths")) << api.str();
  }
  json docker26 = web_;
  docker26["HostConfig"]["MaskedPaths"].push_back("/sys/devices/virtual/powercap");
  EXPECT_FALSE(body(docker26)["HostConfig"].contains("MaskedPaths")) << "a newer engine's defaults are defaults too";
}

TEST_F(RecreateTest, UnconfinedOrCustomMaskedPathsAreTheUsers) {
  json unconfined = web_;  // --security-opt systempaths=unconfined
  unconfined["HostConfig"]["MaskedPaths"] = json::array();
  unconfined["HostConfig"]["ReadonlyPaths"] = json::array();
  const json host = body(unconfined)["HostConfig"];
  EXPECT_EQ(host["MaskedPaths"], json::array()) << "absent, the engine would mask its defaults again";
  EXPECT_EQ(host["ReadonlyPaths"], json::array());
  json custom = web_;  // set through the API
  custom["HostConfig"]["MaskedPaths"] = {"/proc/kcore"};
  EXPECT_EQ(body(custom)["HostConfig"]["MaskedPaths"], json({"/proc/kcore"}));
}

TEST_F(RecreateTest, APortDockerChoseIsAWarning) {
  const RecreatePlan plan = plan_ok(web_, web_image_);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_TRUE(contains(plan.warnings[0], "port 80/tcp of berth-capture-web")) << plan.warnings[0];
  EXPECT_FALSE(contains(plan.warnings[0], "8080")) << "18080 was fixed";
  web_["HostConfig"]["PublishAllPorts"] = true;
  const RecreatePlan all = plan_ok(web_, web_image_);
  ASSERT_EQ(all.warnings.size(), 1u);
  EXPECT_TRUE(contains(all.warnings[0], "80/tcp, every exposed port (-P)")) << all.warnings[0];
}

TEST_F(RecreateTest, ComposeLabelsAreAWarning) {
  web_["Config"]["Labels"]["com.docker.compose.project"] = "shop";
  const RecreatePlan plan = plan_ok(web_, web_image_);
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_TRUE(contains(plan.warnings[0], "compose project shop")) << plan.warnings[0];
}

// ---- Refusals -----------------------------------------------------------------------------------------

TEST_F(RecreateTest, AutoRemoveIsRefused) {
  web_["HostConfig"]["AutoRemove"] = true;
  EXPECT_TRUE(contains(refusal(web_), "--rm"));
}

TEST_F(RecreateTest, AnImageIdIsRefused) {
  const std::string id = web_["Image"].get<std::string>();
  web_["Config"]["Image"] = id;
  EXPECT_TRUE(contains(refusal(web_), "image ID " + id));
  web_["Config"]["Image"] = id.substr(7, 12);
  EXPECT_TRUE(contains(refusal(web_), "image ID"));
  web_["Config"]["Image"] = "";
  EXPECT_TRUE(contains(refusal(web_), "no image reference"));
}

TEST_F(RecreateTest, ADigestPinnedImageIsRefused) {
  web_["Config"]["Image"] =
      "registry.example.com/acme/web@sha256:600d45a8da32414a668342bb6740174c1cf92a796dfc44807aa8902d7ae297c2";
  EXPECT_TRUE(contains(refusal(web_), "pinned by digest"));
}

TEST_F(RecreateTest, TheNewImageMustBeAReference) {
  for (const std::string bad : {"", "sha256:27fff79fba68071b9326b5d69968733eed769dc6878d3c9f0b3faa527e481624",
                                "27fff79fba68071b9326b5d69968733eed769dc6878d3c9f0b3faa527e481624", "Acme/Web"}) {
    EXPECT_FALSE(refusal(web_, web_image_, kApi141, bad).empty()) << bad;
  }
  const RecreatePlan plan = plan_ok(web_, web_image_, kApi141,
                                    "registry.example.com/acme/web@sha256:"
                                    "600d45a8da32414a668342bb6740174c1cf92a796dfc44807aa8902d7ae297c2");
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_TRUE(contains(plan.warnings[0], "pinned by digest")) << plan.warnings[0];
}

TEST_F(RecreateTest, TheOldImageMustBeTheOneItRuns) {
  // After a pull the tag names the new image: inspecting by tag would subtract the wrong defaults.
  EXPECT_TRUE(contains(refusal(web_, tool_image_), "inspect that image by its id"));
  EXPECT_TRUE(contains(refusal(web_, json::object()), "no Id"));
}

TEST_F(RecreateTest, SwarmTasksAreRefused) {
  web_["Config"]["Labels"]["com.docker.swarm.task.id"] = "x1";
  EXPECT_TRUE(contains(refusal(web_), "Swarm"));
}

TEST_F(RecreateTest, SettingsTheApiVersionCannotExpressAreRefused) {
  json c = web_;
  c["Config"]["Healthcheck"]["StartInterval"] = 1000000000;
  EXPECT_TRUE(contains(refusal(c, kApi141), "needs Docker API 1.44, and berth speaks 1.41"));
  EXPECT_EQ(body(c, kApi144)["Healthcheck"]["StartInterval"], 1000000000);

  c = web_;
  c["HostConfig"]["Annotations"] = {{"io.example/a", "b"}};
  EXPECT_TRUE(contains(refusal(c, ApiVersion{1, 42}), "annotations"));
  EXPECT_EQ(body(c, ApiVersion{1, 43})["HostConfig"]["Annotations"], c["HostConfig"]["Annotations"]);

  json m = fixture("mounts.container.json");
  m["HostConfig"]["Mounts"][2]["BindOptions"] = {{"ReadOnlyForceRecursive", true}};
  EXPECT_TRUE(contains(refusal(m, ApiVersion{1, 43}), "its mount at /ro"));
  EXPECT_TRUE(plan_recreate(m, web_image_, kNewRef, kApi144));

  m = fixture("mounts.container.json");
  m["HostConfig"]["Mounts"][0]["VolumeOptions"] = {{"Subpath", "sub"}};
  EXPECT_TRUE(contains(refusal(m, kApi144), "volume subpath"));
  EXPECT_TRUE(plan_recreate(m, web_image_, kNewRef, ApiVersion{1, 45}));

  m = fixture("mounts.container.json");
  m["HostConfig"]["Mounts"][1]["TmpfsOptions"] = {{"Options", {{"exec"}}}};
  EXPECT_TRUE(contains(refusal(m, ApiVersion{1, 45}), "tmpfs options"));
  EXPECT_TRUE(plan_recreate(m, web_image_, kNewRef, ApiVersion{1, 46}));

  c = web_;
  back(c)["GwPriority"] = 10;
  EXPECT_TRUE(contains(refusal(c, ApiVersion{1, 47}), "gateway priority on network berth-capture-back"));
  auto plan = plan_recreate(c, web_image_, kNewRef, ApiVersion{1, 48});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->connections[0].endpoint_config["GwPriority"], 10);
}

TEST_F(RecreateTest, AMalformedInspectIsAnErrorNotACrash) {
  json c = web_;
  c["Config"]["Env"] = json::array({1, 2});
  EXPECT_TRUE(contains(refusal(c), "malformed"));
  c = web_;
  front(c)["Aliases"] = json::array({json::object()});
  EXPECT_TRUE(contains(refusal(c), "malformed"));
  c = web_;
  c.erase("Config");
  auto plan = plan_recreate(c, web_image_, kNewRef, kApi141);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_FALSE(plan_recreate(json::array(), web_image_, kNewRef, kApi141));
  EXPECT_FALSE(plan_recreate(json(), json(), kNewRef, kApi141));
}

TEST_F(RecreateTest, AnImageInspectWithoutConfigFieldsSubtractsNothing) {
  // API 1.52 omits empty Config fields; an image without any leaves the container's settings whole.
  json bare = {{"Id", web_image_["Id"]}};
  const json b = plan_ok(web_, bare).create_body;
  EXPECT_EQ(b["Env"], json({"A=override", "C=user", "B=image"}));
  EXPECT_EQ(b["Cmd"], web_["Config"]["Cmd"]);
  EXPECT_EQ(b["Labels"]["x"], "y");
}

}  // namespace
}  // namespace berth::swap
