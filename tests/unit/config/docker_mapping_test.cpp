#include "config/docker_mapping.hpp"

#include "fixtures.hpp"
#include "task_helpers.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

using nlohmann::json;
using testing::loaded;
using testing::one_container;

TaskSpec fixture(const std::string& name) { return loaded(testing::read_fixture("services/" + name)); }

json body_of(const TaskSpec& task, std::size_t index, const EnvFileContents& env_files = {}) {
  if (index >= task.containers.size()) {
    ADD_FAILURE() << "no container " << index << " in " << task.family;
    return json::object();
  }
  auto body = to_create_body(task, task.containers[index], env_files);
  if (!body) {
    ADD_FAILURE() << body.error().message;
    return json::object();
  }
  return *body;
}

json without_hash(json body) {
  body["Labels"].erase("berth.spec-hash");
  return body;
}

TEST(DockerMapping, TheContractExample) {
  const TaskSpec task = fixture("web.json");
  const json body = body_of(task, 0);
  const json expected = json::parse(R"({
    "Image": "registry.example.com/acme/web:latest",
    "Cmd": ["node", "app.js"],
    "Env": ["NODE_ENV=production"],
    "Healthcheck": {"Test": ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"],
                    "Interval": 30000000000, "Timeout": 5000000000, "Retries": 3, "StartPeriod": 60000000000},
    "StopTimeout": 30,
    "Labels": {"berth.probe": "http://:8080/goals", "berth.strategy": "stop-first", "berth.monitor": "30s",
               "berth.service": "web", "berth.task": "web"},
    "ExposedPorts": {"80/tcp": {}},
    "HostConfig": {
      "NetworkMode": "berth-web",
      "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
      "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0}
    },
    "NetworkingConfig": {"EndpointsConfig": {"berth-web": {"Aliases": ["web"]}}}
  })");
  EXPECT_EQ(without_hash(body), expected) << body.dump(2);
  const std::string hash = body["Labels"]["berth.spec-hash"].get<std::string>();
  EXPECT_EQ(hash.size(), 64U);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(hash, spec_hash(body));
  EXPECT_EQ(hash, spec_hash(without_hash(body)));
}

TEST(DockerMapping, EveryField) {
  const TaskSpec task = fixture("full.json");
  const EnvFileContents env = {{"/etc/full/one.env", {{"A", "from-file"}, {"FILE_ONE", "1"}, {"SHARED", "one"}}},
                               {"/etc/full/two.env", {{"SHARED", "two"}}}};
  const json body = body_of(task, 1, env);
  EXPECT_EQ(body["Image"], task.containers[1].image);
  EXPECT_EQ(body["Entrypoint"], json::parse(R"(["/bin/app"])"));
  EXPECT_EQ(body["Cmd"], json::parse(R"(["serve", "--port", "80"])"));
  // Files in order (the later one wins), then environment, which wins over both.
  EXPECT_EQ(body["Env"], json::parse(R"(["A=1", "FILE_ONE=1", "SHARED=two", "B=", "C="])"));
  EXPECT_EQ(body["WorkingDir"], "/srv");
  EXPECT_EQ(body["User"], "1000:1000");
  EXPECT_EQ(body["Hostname"], "main-host");
  EXPECT_EQ(body["Healthcheck"], json::parse(R"({"Test": ["CMD", "/bin/app", "health"], "Interval": 30000000000,
                                                  "Timeout": 5000000000, "Retries": 3})"));
  EXPECT_EQ(body["StopTimeout"], 45);
  EXPECT_EQ(body["OpenStdin"], true);
  EXPECT_EQ(body["Tty"], true);
  EXPECT_FALSE(body.contains("NetworkDisabled"));
  EXPECT_EQ(body["Labels"]["com.example.tier"], "backend");
  EXPECT_EQ(body["Labels"]["berth.service"], "main");
  EXPECT_EQ(body["Labels"]["berth.task"], "full");
  EXPECT_EQ(body["ExposedPorts"], json::parse(R"({"80/tcp": {}, "53/udp": {}, "9000/tcp": {}, "9001/tcp": {},
                                                  "9002/tcp": {}, "443/tcp": {}})"));

  const json& hc = body["HostConfig"];
  EXPECT_EQ(hc["PortBindings"], json::parse(R"({
      "80/tcp": [{"HostIp": "", "HostPort": "8081"}], "53/udp": [{"HostIp": "", "HostPort": ""}],
      "9000/tcp": [{"HostIp": "", "HostPort": ""}], "9001/tcp": [{"HostIp": "", "HostPort": ""}],
      "9002/tcp": [{"HostIp": "", "HostPort": ""}], "443/tcp": [{"HostIp": "", "HostPort": ""}]})"));
  EXPECT_EQ(hc["Binds"], json::parse(R"(["/etc/full:/etc/app:ro"])"));
  EXPECT_EQ(hc["Mounts"], json::parse(R"([
      {"Type": "volume", "Source": "berth-full-cache", "Target": "/cache", "ReadOnly": false,
       "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {"type": "tmpfs", "device": "tmpfs"}},
                         "Labels": {"berth.task": "full"}}},
      {"Type": "volume", "Source": "shared-data", "Target": "/data", "ReadOnly": false},
      {"Type": "volume", "Source": "berth-full-scratch", "Target": "/scratch", "ReadOnly": false,
       "VolumeOptions": {"DriverConfig": {"Name": "local"}, "Labels": {"berth.task": "full"}}},
      {"Type": "volume", "Source": "berth-full-scratch2", "Target": "/scratch2", "ReadOnly": false,
       "VolumeOptions": {"DriverConfig": {"Name": "local"}, "Labels": {"berth.task": "full"}}}])"));
  EXPECT_EQ(hc["VolumesFrom"], json::parse(R"(["sidecar:ro"])"));
  EXPECT_EQ(hc["Tmpfs"], json::parse(R"({"/run": "noexec,mode=1777,size=16m"})"));
  EXPECT_EQ(hc["Memory"], 512LL * 1024 * 1024);
  EXPECT_EQ(hc["MemoryReservation"], 256LL * 1024 * 1024);
  EXPECT_EQ(hc["MemorySwap"], (512LL + 256) * 1024 * 1024);
  EXPECT_EQ(hc["MemorySwappiness"], 10);
  EXPECT_EQ(hc["CpuShares"], 256);
  EXPECT_EQ(hc["NanoCpus"], 1000000000LL);
  EXPECT_EQ(hc["DeviceRequests"], json::parse(R"([{"Driver": "", "Count": 2, "Capabilities": [["gpu"]]}])"));
  EXPECT_EQ(hc["Ulimits"], json::parse(R"([{"Name": "nofile", "Soft": 1024, "Hard": 4096}])"));
  EXPECT_EQ(hc["ShmSize"], 64LL * 1024 * 1024);
  EXPECT_FALSE(hc.contains("Privileged"));
  EXPECT_EQ(hc["ReadonlyRootfs"], true);
  EXPECT_EQ(hc["Init"], true);
  EXPECT_EQ(hc["CapAdd"], json::parse(R"(["NET_ADMIN", "SYS_TIME"])"));
  EXPECT_EQ(hc["CapDrop"], json::parse(R"(["MKNOD"])"));
  EXPECT_EQ(hc["Devices"], json::parse(R"([
      {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rw"},
      {"PathOnHost": "/dev/snd", "PathInContainer": "/dev/sound", "CgroupPermissions": "rwm"}])"));
  EXPECT_EQ(hc["Sysctls"], json::parse(R"({"net.core.somaxconn": "1024"})"));
  EXPECT_EQ(hc["SecurityOpt"], json::parse(R"(["no-new-privileges", "apparmor=docker-default", "label=disable"])"));
  EXPECT_EQ(hc["PidMode"], "host");
  EXPECT_EQ(hc["IpcMode"], "host");
  EXPECT_EQ(hc["Dns"], json::parse(R"(["10.0.0.2", "fd00::2"])"));
  EXPECT_EQ(hc["DnsSearch"], json::parse(R"(["internal.example.com"])"));
  EXPECT_EQ(hc["ExtraHosts"], json::parse(R"(["db.internal:10.0.0.5"])"));
  EXPECT_EQ(hc["NetworkMode"], "berth-full");
  EXPECT_EQ(hc["RestartPolicy"], json::parse(R"({"Name": "unless-stopped", "MaximumRetryCount": 0})"));
  EXPECT_EQ(hc["LogConfig"], json::parse(R"({"Type": "awslogs",
                                            "Config": {"awslogs-group": "/full/main", "awslogs-region": "eu-west-1"}})"));
  EXPECT_EQ(body["NetworkingConfig"], json::parse(R"({"EndpointsConfig": {"berth-full": {
      "Aliases": ["main"], "Links": ["sidecar:helper"]}}})"));

  // The sidecar: on-failure from its restartPolicy; the task memory is its limit; no ports.
  const json sidecar = body_of(task, 0);
  EXPECT_EQ(sidecar["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(sidecar["HostConfig"]["Memory"], 2048LL * 1024 * 1024);
  EXPECT_FALSE(sidecar.contains("ExposedPorts"));
  EXPECT_FALSE(sidecar["HostConfig"].contains("PortBindings"));
  EXPECT_FALSE(sidecar["HostConfig"].contains("CpuShares"));
}

TEST(DockerMapping, MultiContainerTaskSharesOneNetwork) {
  const TaskSpec task = fixture("app-db.json");
  const EnvFileContents env = {{"/etc/berth/env/shop-db.env", {{"POSTGRES_PASSWORD", "secret"}}},
                               {"/etc/berth/env/shop.env", {{"SESSION_KEY", "k"}}}};
  for (std::size_t i = 0; i < task.containers.size(); ++i) {
    const json body = body_of(task, i, env);
    const std::string& name = task.containers[i].name;
    EXPECT_EQ(body["HostConfig"]["NetworkMode"], "berth-shop");
    EXPECT_EQ(body["NetworkingConfig"]["EndpointsConfig"]["berth-shop"]["Aliases"], json::array({name}));
    EXPECT_EQ(body["Labels"]["berth.service"], name);
    EXPECT_EQ(body["Labels"]["berth.task"], "shop");
  }
  const json db = body_of(task, 0, env);
  EXPECT_EQ(db["Env"], json::parse(R"(["POSTGRES_PASSWORD=secret"])"));
  EXPECT_EQ(db["HostConfig"]["Mounts"], json::parse(R"([{"Type": "volume", "Source": "pgdata",
      "Target": "/var/lib/postgresql/data", "ReadOnly": false, "VolumeOptions": {"DriverConfig": {"Name": "local"},
      "Labels": {"backup": "nightly", "berth.task": "shop"}}}])"));
  EXPECT_EQ(body_of(task, 1, env)["HostConfig"]["RestartPolicy"]["Name"], "no");
  const json app = body_of(task, 2, env);
  EXPECT_EQ(app["HostConfig"]["Binds"], json::parse(R"(["/srv/shop/uploads:/app/uploads"])"));
  EXPECT_EQ(app["HostConfig"]["LogConfig"], json::parse(R"({"Type": "journald", "Config": {"tag": "shop-app"}})"));
  EXPECT_EQ(app["Env"], json::parse(R"(["SESSION_KEY=k", "DATABASE_URL=postgres://shop@shop-db/shop", "PORT=3000"])"));

  EXPECT_EQ(network_create_body(task), json::parse(R"({"Name": "berth-shop", "Driver": "bridge",
      "CheckDuplicate": true, "Labels": {"berth.task": "shop"}})"));
  EXPECT_EQ(volume_create_body(task, task.volumes[0]), json::parse(R"({"Name": "pgdata", "Driver": "local",
      "Labels": {"backup": "nightly", "berth.task": "shop"}})"));
  EXPECT_EQ(volume_create_body(fixture("full.json"), *fixture("full.json").volume("cache")),
            json::parse(R"({"Name": "berth-full-cache", "Driver": "local", "Labels": {"berth.task": "full"},
                            "DriverOpts": {"type": "tmpfs", "device": "tmpfs"}})"));
}

TEST(DockerMapping, HostAndNoneNetworkModes) {
  const TaskSpec host = loaded(one_container(R"("portMappings": [{"containerPort": 80}])", R"("networkMode": "host")"));
  const json host_body = body_of(host, 0);
  EXPECT_EQ(host_body["HostConfig"]["NetworkMode"], "host");
  EXPECT_EQ(host_body["ExposedPorts"], json::parse(R"({"80/tcp": {}})"));
  EXPECT_FALSE(host_body["HostConfig"].contains("PortBindings"));
  EXPECT_FALSE(host_body.contains("NetworkingConfig"));

  const json none = body_of(loaded(one_container("", R"("networkMode": "none", "ipcMode": "none")")), 0);
  EXPECT_EQ(none["HostConfig"]["NetworkMode"], "none");
  EXPECT_EQ(none["HostConfig"]["IpcMode"], "none");
  EXPECT_FALSE(none.contains("NetworkingConfig"));

  const json disabled = body_of(loaded(one_container(R"("disableNetworking": true)")), 0);
  EXPECT_EQ(disabled["NetworkDisabled"], true);
  EXPECT_EQ(disabled["HostConfig"]["NetworkMode"], "none");
  EXPECT_FALSE(disabled.contains("NetworkingConfig"));
}

TEST(DockerMapping, AwsvpcContainersJoinTheHoldersNamespaces) {
  const TaskSpec task = loaded(R"({"family": "shop", "networkMode": "awsvpc", "pidMode": "task", "ipcMode": "task",
      "containerDefinitions": [
        {"name": "app", "image": "img", "dnsServers": ["10.0.0.2"],
         "portMappings": [{"containerPort": 80}, {"containerPortRange": "9000-9001", "protocol": "udp"}]},
        {"name": "side", "image": "img", "portMappings": [{"containerPort": 8125, "hostPort": 8125}]}]})");
  const json app = body_of(task, 0);
  EXPECT_EQ(app["HostConfig"]["NetworkMode"], "container:shop.berth-holder");
  EXPECT_EQ(app["HostConfig"]["PidMode"], "container:shop.berth-holder");
  EXPECT_EQ(app["HostConfig"]["IpcMode"], "container:shop.berth-holder");
  // Docker refuses ports, DNS and aliases on a container that joins another's network namespace.
  for (const char* key : {"ExposedPorts", "NetworkingConfig", "Hostname"}) EXPECT_FALSE(app.contains(key)) << key;
  for (const char* key : {"PortBindings", "Dns"}) EXPECT_FALSE(app["HostConfig"].contains(key)) << key;

  const json holder = holder_create_body(task, "berth-holder:1");
  EXPECT_EQ(holder["Labels"].size(), 3U);
  EXPECT_EQ(holder["Labels"]["berth.task"], "shop");
  EXPECT_EQ(holder["Labels"]["berth.role"], "holder");
  EXPECT_EQ(holder["Labels"]["berth.spec-hash"].get<std::string>().size(), 64U);
  json expected = json::parse(R"({
    "Image": "berth-holder:1",
    "StopSignal": "SIGKILL",
    "ExposedPorts": {"80/tcp": {}, "9000/udp": {}, "9001/udp": {}, "8125/tcp": {}},
    "HostConfig": {
      "NetworkMode": "berth-shop",
      "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "80"}], "9000/udp": [{"HostIp": "", "HostPort": "9000"}],
                       "9001/udp": [{"HostIp": "", "HostPort": "9001"}],
                       "8125/tcp": [{"HostIp": "", "HostPort": "8125"}]},
      "Dns": ["10.0.0.2"],
      "IpcMode": "shareable",
      "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
      "ReadonlyRootfs": true, "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"]}})");
  json got = holder;
  got.erase("Labels");
  EXPECT_EQ(got, expected);
  // What the holder carries is in its spec hash: a new port means a new holder.
  TaskSpec more = task;
  more.containers[1].port_mappings.push_back(PortMapping{8126, 8126, std::nullopt, Protocol::kTcp});
  EXPECT_NE(holder_create_body(more, "berth-holder:1")["Labels"]["berth.spec-hash"],
            holder["Labels"]["berth.spec-hash"]);
  EXPECT_EQ(holder_create_body(task, "berth-holder:1"), holder);
}

TEST(DockerMapping, ABridgeTasksHolderOnlyKeepsItsBridgeUp) {
  const TaskSpec task = loaded(R"({"family": "web", "containerDefinitions": [
      {"name": "web", "image": "img", "dnsServers": ["10.0.0.2"], "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]})");
  json holder = holder_create_body(task, "berth-holder:1");
  EXPECT_EQ(holder["Labels"]["berth.role"], "holder");
  holder.erase("Labels");
  EXPECT_EQ(holder, json::parse(R"({
    "Image": "berth-holder:1",
    "StopSignal": "SIGKILL",
    "HostConfig": {
      "NetworkMode": "berth-web",
      "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
      "ReadonlyRootfs": true, "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"]}})"));
}

TEST(DockerMapping, SmallFields) {
  const json minimal = body_of(loaded(one_container("")), 0);
  EXPECT_EQ(without_hash(minimal), json::parse(R"({"Image": "img", "StopTimeout": 30,
      "Labels": {"berth.service": "app", "berth.task": "t"},
      "HostConfig": {"NetworkMode": "berth-t", "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0}},
      "NetworkingConfig": {"EndpointsConfig": {"berth-t": {"Aliases": ["app"]}}}})"));
  const json tiny_cpu = body_of(loaded(one_container(R"("cpu": 1, "privileged": true)")), 0);
  EXPECT_EQ(tiny_cpu["HostConfig"]["CpuShares"], 2);
  EXPECT_EQ(tiny_cpu["HostConfig"]["Privileged"], true);
  const json no_restart = body_of(loaded(one_container(R"("restartPolicy": {"enabled": false})")), 0);
  EXPECT_EQ(no_restart["HostConfig"]["RestartPolicy"]["Name"], "no");
  const json two_ports = body_of(
      loaded(one_container(
          R"("portMappings": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 80, "hostPort": 8081}])")),
      0);
  EXPECT_EQ(two_ports["HostConfig"]["PortBindings"], json::parse(R"({"80/tcp": [{"HostIp": "", "HostPort": "8080"},
                                                                              {"HostIp": "", "HostPort": "8081"}]})"));
}

TEST(DockerMapping, StartFirstOnAFixedTcpPortLeavesTheHostPortToBerth) {
  const TaskSpec task = loaded(one_container(
      R"("portMappings": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 9000},
                          {"containerPort": 81, "hostPort": 8081}],
         "dockerLabels": {"berth.strategy": "start-first"})"));
  const json body = body_of(task, 0);
  // Each container gets a loopback port of its own for the switched ports (probes reach it there, and
  // Docker's forwarding rules let traffic to the container port in); a dynamic port stays Docker's.
  EXPECT_EQ(body["HostConfig"]["PortBindings"], json::parse(R"({
      "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}], "9000/tcp": [{"HostIp": "", "HostPort": ""}],
      "81/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]})"));
  EXPECT_EQ(body["ExposedPorts"], json::parse(R"({"80/tcp": {}, "81/tcp": {}, "9000/tcp": {}})"));
  EXPECT_EQ(switched_ports(task, task.containers[0]), (std::vector<SwitchedPort>{{8080, 80}, {8081, 81}}));
  // stop-first, host networking: Docker's (or the container's) own port, nothing switched.
  const TaskSpec stop_first = loaded(one_container(R"("portMappings": [{"containerPort": 80, "hostPort": 8080}])"));
  EXPECT_TRUE(switched_ports(stop_first, stop_first.containers[0]).empty());
  EXPECT_EQ(body_of(stop_first, 0)["HostConfig"]["PortBindings"],
            json::parse(R"({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]})"));
}

TEST(DockerMapping, MissingEnvironmentFileIsAnError) {
  const TaskSpec task = fixture("app-db.json");
  const auto body = to_create_body(task, task.containers[0]);
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().kind, common::ErrorKind::kInvalidArgument);
  EXPECT_EQ(body.error().message, "container shop-db: environment file /etc/berth/env/shop-db.env was not read");
}

// A container whose name is one character runs as "<family>-<name>" and answers to its own name on the
// task's network.
TEST(DockerMapping, AOneCharacterNameIsTheAliasOnTheTasksNetwork) {
  const TaskSpec task =
      loaded(R"({"family": "shop", "containerDefinitions": [{"name": "a", "image": "i", "memory": 64}]})");
  const json body = body_of(task, 0);
  EXPECT_EQ(body["Labels"]["berth.service"], "shop-a");
  EXPECT_EQ(body["NetworkingConfig"]["EndpointsConfig"]["berth-shop"]["Aliases"], json::array({"a"}));
}

// An S3 environment file is read when the container is created: at load it is left out of the environment,
// the files on this host are read, and its ARN is part of the spec hash.
TEST(DockerMapping, AnS3EnvironmentFileIsLeftForCreation) {
  const std::string text = one_container(
      R"("environmentFiles": [{"type": "s3", "value": "arn:aws-cn:s3:::my.bucket/dir/app.env"}, {"value": "/etc/app.env"}],
         "environment": [{"name": "B", "value": "task"}])");
  const TaskSpec task = loaded(text);
  EXPECT_EQ(task.containers[0].environment_files,
            (std::vector<std::string>{"arn:aws-cn:s3:::my.bucket/dir/app.env", "/etc/app.env"}));
  EXPECT_EQ(environment_files(task), std::vector<std::string>{"/etc/app.env"});
  const EnvFileContents local{{"/etc/app.env", {{"A", "local"}, {"B", "file"}}}};
  EXPECT_EQ(body_of(task, 0, local)["Env"], json::parse(R"(["A=local", "B=task"])"));
  // With the S3 file read, the later file wins over the earlier, and environment over both.
  EnvFileContents all = local;
  all["arn:aws-cn:s3:::my.bucket/dir/app.env"] = {{"A", "s3"}, {"B", "s3"}, {"C", "s3"}};
  EXPECT_EQ(resolve_environment(task.containers[0], all).value(),
            (std::vector<std::string>{"A=local", "B=task", "C=s3"}));
  const auto hash = [&](const std::string& t) { return body_of(loaded(t), 0, local)["Labels"]["berth.spec-hash"]; };
  EXPECT_NE(
      hash(text),
      hash(one_container(
          R"("environmentFiles": [{"type": "s3", "value": "arn:aws-cn:s3:::my.bucket/dir/other.env"}, {"value": "/etc/app.env"}],
                               "environment": [{"name": "B", "value": "task"}])")));
}

TEST(DockerMapping, SpecHashFollowsWhatShapesTheContainer) {
  const auto hash_of = [](const std::string& text, const EnvFileContents& env = {}) {
    const TaskSpec task = loaded(text);
    return body_of(task, 0, env)["Labels"]["berth.spec-hash"].get<std::string>();
  };
  const std::string base = hash_of(one_container(R"("environment": [{"name": "A", "value": "1"}], "cpu": 10)"));
  // Same content, other key order and spacing: same hash.
  EXPECT_EQ(base, hash_of(R"({"containerDefinitions": [{"cpu": 10,   "image": "img",
      "environment": [{"value": "1", "name": "A"}], "name": "app"}], "family": "t"})"));
  EXPECT_NE(base, hash_of(one_container(R"("environment": [{"name": "A", "value": "2"}], "cpu": 10)")));
  EXPECT_NE(base, hash_of(one_container(R"("environment": [{"name": "A", "value": "1"}], "cpu": 20)")));
  EXPECT_NE(base, hash_of(one_container(R"("environment": [{"name": "A", "value": "1"}], "cpu": 10,
                                           "dockerLabels": {"com.example.tier": "web"})")));
  // How berth watches the service is not part of the container.
  EXPECT_EQ(base, hash_of(one_container(R"("environment": [{"name": "A", "value": "1"}], "cpu": 10,
                                           "dockerLabels": {"berth.monitor": "20s", "berth.policy": "manual"})")));
  const std::string with_file = one_container(R"("environmentFiles": [{"value": "/e.env"}])");
  EXPECT_NE(hash_of(with_file, {{"/e.env", {{"X", "1"}}}}), hash_of(with_file, {{"/e.env", {{"X", "2"}}}}));
  EXPECT_EQ(hash_of(with_file, {{"/e.env", {{"X", "1"}}}}), hash_of(with_file, {{"/e.env", {{"X", "1"}}}}));
}

}  // namespace
}  // namespace berth::config
