#include "config/task_definition.hpp"

#include "fixtures.hpp"
#include "task_helpers.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

using namespace std::chrono_literals;
using testing::loaded;
using testing::one_container;
using testing::problems_in;

LoadResult<TaskSpec> load_fixture(const std::string& name) {
  return load_task_definition(testing::read_fixture("services/" + name), "services.d/" + name);
}

TEST(TaskDefinition, TheContractExampleLoads) {
  const auto result = load_fixture("web.json");
  ASSERT_TRUE(result.ok()) << result.problems.to_string();
  const TaskSpec& task = *result.value;
  EXPECT_EQ(task.family, "web");
  EXPECT_EQ(task.network_mode, NetworkMode::kBridge);
  EXPECT_EQ(task.network_name(), "berth-web");
  ASSERT_EQ(task.containers.size(), 1U);
  const ContainerSpec& c = task.containers[0];
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.image, "registry.example.com/acme/web:latest");
  EXPECT_TRUE(c.essential);
  ASSERT_EQ(c.port_mappings.size(), 1U);
  EXPECT_EQ(c.port_mappings[0], (PortMapping{80, 80, 8080, Protocol::kTcp}));
  EXPECT_EQ(c.environment, (std::vector<EnvVar>{{"NODE_ENV", "production"}}));
  EXPECT_EQ(c.command, (std::vector<std::string>{"node", "app.js"}));
  ASSERT_TRUE(c.health_check);
  EXPECT_EQ(*c.health_check, (HealthCheck{{"CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"}, 30, 5, 3, 60}));
  EXPECT_EQ(c.policy.probe, (Probe{ProbeKind::kHttp, "127.0.0.1", 8080, "/goals"}));
  EXPECT_EQ(c.policy.strategy, Strategy::kStopFirst);
  EXPECT_EQ(c.policy.monitor, 30s);
  EXPECT_EQ(c.policy.policy, UpdatePolicy::kAuto);
  EXPECT_EQ(c.restart, RestartMode::kUnlessStopped);
  EXPECT_EQ(c.stop_timeout_s, 30);
  EXPECT_EQ(c.docker_labels.size(), 3U);
}

TEST(TaskDefinition, MultiContainerTask) {
  const auto result = load_fixture("app-db.json");
  ASSERT_TRUE(result.ok()) << result.problems.to_string();
  const TaskSpec& task = *result.value;
  EXPECT_EQ(task.family, "shop");
  ASSERT_EQ(task.containers.size(), 3U);
  ASSERT_EQ(task.volumes.size(), 2U);
  EXPECT_EQ(task.volumes[0].name, "pgdata");
  EXPECT_EQ(task.volumes[0].kind, VolumeKind::kDockerVolume);
  EXPECT_EQ(task.volumes[0].source, "pgdata");
  EXPECT_FALSE(task.volumes[0].must_exist);
  EXPECT_EQ(task.volumes[0].labels, (std::map<std::string, std::string>{{"backup", "nightly"}}));
  EXPECT_EQ(task.volumes[1].kind, VolumeKind::kBind);
  EXPECT_EQ(task.volumes[1].source, "/srv/shop/uploads");

  const ContainerSpec* db = task.container("shop-db");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->memory_mib, 1024);
  EXPECT_EQ(db->memory_reservation_mib, 512);
  EXPECT_EQ(db->environment_files, (std::vector<std::string>{"/etc/berth/env/shop-db.env"}));
  EXPECT_EQ(db->stop_timeout_s, 60);
  EXPECT_EQ(db->policy.policy, UpdatePolicy::kManual);
  EXPECT_EQ(db->policy.probe.kind, ProbeKind::kNone);
  ASSERT_TRUE(db->health_check);
  EXPECT_EQ(*db->health_check, (HealthCheck{{"CMD", "pg_isready", "-U", "shop"}, 10, 5, 5, 0}));
  EXPECT_EQ(db->restart, RestartMode::kUnlessStopped);

  const ContainerSpec* migrate = task.container("shop-migrate");
  ASSERT_NE(migrate, nullptr);
  EXPECT_FALSE(migrate->essential);
  // Others wait for it to exit with SUCCESS: a run-once job, not restarted.
  EXPECT_EQ(migrate->restart, RestartMode::kNo);

  const ContainerSpec* app = task.container("shop-app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->cpu_units, 512);
  ASSERT_EQ(app->depends_on.size(), 2U);
  EXPECT_EQ(app->depends_on[0].container, "shop-db");
  EXPECT_EQ(app->depends_on[0].condition, DependencyCondition::kHealthy);
  EXPECT_EQ(app->depends_on[1].condition, DependencyCondition::kSuccess);
  EXPECT_EQ(app->policy.expect, (StatusRange{200, 299}));
  EXPECT_EQ(app->policy.poll, std::chrono::milliseconds(1min));
  ASSERT_TRUE(app->log_configuration);
  EXPECT_EQ(app->log_configuration->driver, "journald");
  EXPECT_EQ(app->docker_labels.at("com.example.owner"), "shop-team");

  EXPECT_EQ(start_order(task), (std::vector<std::size_t>{0, 1, 2}));
}

TEST(TaskDefinition, EveryField) {
  const auto result = load_fixture("full.json");
  ASSERT_TRUE(result.ok()) << result.problems.to_string();
  const TaskSpec& task = *result.value;
  EXPECT_EQ(task.cpu_units, 1024);
  EXPECT_EQ(task.memory_mib, 2048);
  EXPECT_EQ(task.pid_mode, PidMode::kHost);
  EXPECT_EQ(task.ipc_mode, IpcMode::kHost);
  EXPECT_EQ(task.platform, "linux/arm64");
  ASSERT_EQ(task.volumes.size(), 5U);
  EXPECT_EQ(task.volume("config")->kind, VolumeKind::kBind);
  EXPECT_EQ(task.volume("cache")->source, "berth-full-cache");
  EXPECT_EQ(task.volume("cache")->driver_opts.at("type"), "tmpfs");
  EXPECT_EQ(task.volume("shared-data")->source, "shared-data");
  EXPECT_TRUE(task.volume("shared-data")->must_exist);
  EXPECT_EQ(task.volume("scratch")->kind, VolumeKind::kDockerVolume);
  EXPECT_EQ(task.volume("scratch")->source, "berth-full-scratch");
  EXPECT_EQ(task.volume("scratch2")->source, "berth-full-scratch2");

  const ContainerSpec& sidecar = task.containers[0];
  EXPECT_EQ(sidecar.restart, RestartMode::kOnFailure);

  const ContainerSpec& c = task.containers[1];
  EXPECT_EQ(c.cpu_units, 256);
  EXPECT_EQ(c.memory_mib, 512);
  EXPECT_EQ(c.memory_reservation_mib, 256);
  EXPECT_EQ(c.port_mappings, (std::vector<PortMapping>{{80, 80, 8081, Protocol::kTcp},
                                                       {53, 53, std::nullopt, Protocol::kUdp},
                                                       {9000, 9002, std::nullopt, Protocol::kTcp},
                                                       {443, 443, std::nullopt, Protocol::kTcp}}));
  EXPECT_EQ(c.entry_point, (std::vector<std::string>{"/bin/app"}));
  EXPECT_EQ(c.environment, (std::vector<EnvVar>{{"A", "1"}, {"B", ""}, {"C", ""}}));
  EXPECT_EQ(c.environment_files, (std::vector<std::string>{"/etc/full/one.env", "/etc/full/two.env"}));
  EXPECT_EQ(c.working_directory, "/srv");
  EXPECT_EQ(c.user, "1000:1000");
  EXPECT_EQ(c.hostname, "main-host");
  EXPECT_EQ(*c.health_check, (HealthCheck{{"CMD", "/bin/app", "health"}, 30, 5, 3, 0}));
  ASSERT_EQ(c.mount_points.size(), 5U);
  EXPECT_TRUE(c.mount_points[0].read_only);
  ASSERT_EQ(c.volumes_from.size(), 1U);
  EXPECT_TRUE(c.volumes_from[0].read_only);
  EXPECT_EQ(c.links, (std::vector<std::string>{"sidecar:helper"}));
  EXPECT_EQ(c.log_configuration->driver, "awslogs");
  EXPECT_EQ(c.log_configuration->options.size(), 2U);
  ASSERT_EQ(c.ulimits.size(), 1U);
  EXPECT_EQ(c.ulimits[0].hard, 4096);
  EXPECT_EQ(c.stop_timeout_s, 45);
  EXPECT_EQ(c.start_timeout_s, 90);
  ASSERT_EQ(c.extra_hosts.size(), 1U);
  EXPECT_EQ(c.extra_hosts[0].ip_address, "10.0.0.5");
  EXPECT_EQ(c.dns_servers, (std::vector<std::string>{"10.0.0.2", "fd00::2"}));
  EXPECT_EQ(c.dns_search_domains, (std::vector<std::string>{"internal.example.com"}));
  EXPECT_EQ(c.security_options,
            (std::vector<std::string>{"no-new-privileges", "apparmor=docker-default", "label=disable"}));
  EXPECT_TRUE(c.readonly_root_filesystem);
  EXPECT_FALSE(c.privileged);
  EXPECT_TRUE(c.interactive);
  EXPECT_TRUE(c.pseudo_terminal);
  EXPECT_FALSE(c.disable_networking);
  const LinuxParameters& lp = c.linux_parameters;
  EXPECT_TRUE(lp.init);
  EXPECT_EQ(lp.cap_add, (std::vector<std::string>{"NET_ADMIN", "SYS_TIME"}));
  EXPECT_EQ(lp.cap_drop, (std::vector<std::string>{"MKNOD"}));
  EXPECT_EQ(lp.shared_memory_mib, 64);
  ASSERT_EQ(lp.tmpfs.size(), 1U);
  EXPECT_EQ(lp.tmpfs[0].size_mib, 16);
  ASSERT_EQ(lp.devices.size(), 2U);
  EXPECT_EQ(lp.devices[0].container_path, "/dev/fuse");
  EXPECT_EQ(lp.devices[0].permissions, "rw");
  EXPECT_EQ(lp.devices[1].container_path, "/dev/sound");
  EXPECT_EQ(lp.devices[1].permissions, "rwm");
  EXPECT_EQ(lp.max_swap_mib, 256);
  EXPECT_EQ(lp.swappiness, 10);
  ASSERT_EQ(c.depends_on.size(), 1U);
  EXPECT_EQ(c.system_controls.at("net.core.somaxconn"), "1024");
  EXPECT_EQ(c.gpu_count, 2);
  EXPECT_EQ(c.policy.probe, (Probe{ProbeKind::kTcp, "127.0.0.1", 8081, "/"}));
  EXPECT_EQ(c.policy.monitor, 1min);
  EXPECT_TRUE(c.policy.remove_on_delete);
  EXPECT_EQ(c.restart, RestartMode::kUnlessStopped);
}

TEST(TaskDefinition, ReportsEveryProblemOfABrokenFile) {
  const auto result = load_fixture("broken.json");
  EXPECT_FALSE(result.value);
  const std::string f = "services.d/broken.json: ";
  const std::string c0 = f + "containerDefinitions[0].";
  EXPECT_EQ(
      result.problems.lines(),
      (std::vector<std::string>{
          f + "family: \"web shop\" is not a valid family: 1 to 255 letters, digits, '-' or '_'",
          f + "networkMode: \"nat\" is not a network mode; use bridge, awsvpc, host or none",
          f + "cpu: \"lots\" is not a CPU amount; write CPU units (\"1024\") or vCPUs (\"1 vCPU\")",
          f + "volumes[1].name: \"data\" is already the name of another volume",
          f + "containerDefinitions[1].name: \"web\" is already the name of containerDefinitions[0]; container names "
              "are Docker container names and must be unique",
          c0 + "essential: must be true or false, not a string",
          c0 + "portMappings[1].hostPort: 70000 is not a port",
          c0 + "portMappings[2].protocol: \"sctp\" is not a protocol; use tcp or udp",
          c0 + "portMappings[2].hostPort: host port 8080/tcp is already published by "
               "containerDefinitions[0].portMappings[0].hostPort",
          c0 + "environment[1].name: NODE_ENV is set twice (first at containerDefinitions[0].environment[0].name)",
          c0 + "memory: 4 is below Docker's minimum of 6 (MiB)",
          c0 + "healthCheck.command: must start with \"CMD\" or \"CMD-SHELL\", for example [\"CMD-SHELL\", \"curl -f "
               "http://localhost/ || exit 1\"]",
          c0 + "healthCheck.interval: 1 is out of range; use 5 to 300",
          c0 + "healthCheck.retries: 20 is out of range; use 1 to 10",
          c0 + "mountPoints[0].sourceVolume: no volume named \"dta\" in the task's volumes; did you mean \"data\"?",
          c0 + "mountPoints[0].containerPath: \"data\" is not an absolute path",
          c0 + "logConfiguration.logDriver: awsfirelens needs a FireLens sidecar that ECS manages; use the fluentd "
               "driver with your own Fluent Bit or Fluentd",
          c0 + "linuxParameters.capabilities.add[0]: \"NET_ADMN\" is not a Linux capability; did you mean "
               "\"NET_ADMIN\"?",
          c0 + "dependsOn[0].containerName: no container named \"wrker\" in this task",
          c0 + "dockerLabels[\"berth.monitor\"]: \"10\" has no unit; write for example \"10s\"",
          c0 + "dockerLabels[\"berth.polcy\"]: unknown berth label; did you mean \"berth.policy\"?",
          c0 + "dockerLabels[\"berth.probe.expect\"]: \"200-99\" is not a status range; write for example \"200-399\" "
               "or \"204\" (codes 100-599)",
          c0 + "repositoryCredentials: berth does not read registry credentials from Secrets Manager; give them in "
               "agent.json \"registries\" or in the docker_config file",
          c0 + "PortMappings: unknown key; did you mean \"portMappings\"?",
          f + "containerDefinitions[1].image: \"busy box\" contains whitespace",
          f + "containerDefinitions[1].firelensConfiguration: FireLens routes logs through a sidecar that ECS "
              "manages; use logConfiguration with the fluentd driver and your own Fluent Bit or Fluentd",
          f + "placementConstraints: placement chooses among the instances of an ECS cluster; berth runs the task on "
              "this host, so remove it",
      }));
}

TEST(TaskDefinition, AwsMetadataIsAcceptedAndIgnored) {
  const auto task =
      loaded(one_container("", R"("taskRoleArn": "arn:aws:iam::1:role/r", "executionRoleArn": "arn:aws:iam::1:role/e",
             "tags": [{"key": "a", "value": "b"}], "requiresCompatibilities": ["EC2", "FARGATE", "EXTERNAL"],
             "taskDefinitionArn": "arn:aws:ecs:eu-west-1:1:task-definition/t:3", "revision": 3, "status": "ACTIVE",
             "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"}],
             "compatibilities": ["EC2"], "registeredAt": "2024-01-01T00:00:00Z", "registeredBy": "arn:aws:iam::1:root",
             "placementConstraints": [], "enableFaultInjection": false)"));
  EXPECT_EQ(task.family, "t");
}

TEST(TaskDefinition, DescribeOutputIsAcceptedAsItIs) {
  // aws ecs describe-task-definition --include TAGS: the definition with its read-only members, tags beside it.
  const std::string inner = one_container("", R"("revision": 7, "status": "ACTIVE", "registeredAt": 1700000000.5)");
  const auto task = loaded(R"({"taskDefinition": )" + inner + R"(, "tags": [{"key": "team", "value": "web"}]})");
  EXPECT_EQ(task.family, "t");
  ASSERT_EQ(task.containers.size(), 1U);
  EXPECT_EQ(task.containers[0].image, "img");
  // Problems inside name their place in the file; a sibling other than tags is unknown.
  EXPECT_EQ(problems_in(R"({"taskDefinition": {"family": "t", "containerDefinitions": [{"name": "app"}]}, "x": 1})"),
            (std::vector<std::string>{"t.json: taskDefinition.containerDefinitions[0]: needs an image",
                                      "t.json: x: unknown key"}));
  EXPECT_EQ(problems_in(R"({"taskDefinition": "t"})"),
            (std::vector<std::string>{"t.json: taskDefinition: must be an object, not a string"}));
}

TEST(TaskDefinition, ABareContainerArrayIsABridgeTaskNamedAfterItsFile) {
  // How Terraform keeps container_definitions.
  auto result = load_task_definition(R"([{"name": "web", "image": "nginx:1.27", "essential": true,
                                         "portMappings": [{"containerPort": 80, "hostPort": 8080}]},
                                        {"name": "sidecar", "image": "busybox"}])",
                                     "services.d/shop-web.json");
  ASSERT_TRUE(result.ok()) << result.problems.to_string();
  EXPECT_EQ(result.value->family, "shop-web");
  EXPECT_EQ(result.value->network_mode, NetworkMode::kBridge);
  EXPECT_EQ(result.value->containers.size(), 2U);
  EXPECT_EQ(load_task_definition(R"([{"name": "web"}])", "services.d/web.json").problems.lines(),
            (std::vector<std::string>{"services.d/web.json: [0]: needs an image"}));
  EXPECT_EQ(
      load_task_definition(R"([{"name": "web", "image": "x", "mountPoints": [{"sourceVolume": "data",
                              "containerPath": "/data"}]}])",
                           "services.d/web.json")
          .problems.lines(),
      (std::vector<std::string>{"services.d/web.json: [0].mountPoints[0].sourceVolume: no volume named \"data\" in "
                                "the task's volumes; a bare containerDefinitions array has no volumes: write the task "
                                "as an object with \"family\", \"volumes\" and \"containerDefinitions\""}));
  EXPECT_EQ(load_task_definition(R"([{"name": "web", "image": "x"}])", "services.d/my.web.json").problems.lines(),
            (std::vector<std::string>{"services.d/my.web.json: a bare containerDefinitions array takes its family "
                                      "from the file's name, and \"my.web\" is not a valid family (1 to 255 letters, "
                                      "digits, '-' or '_'): rename the file"}));
}

TEST(TaskDefinition, AnEfsVolumeWithoutTlsOrIamIsAnNfsVolume) {
  const auto task =
      loaded(one_container(R"("mountPoints": [{"sourceVolume": "shared", "containerPath": "/srv"}])",
                           R"("volumes": [{"name": "shared", "efsVolumeConfiguration": {"fileSystemId": "fs-c3c9bcbb",
         "rootDirectory": "/web", "transitEncryption": "DISABLED", "authorizationConfig": {"iam": "DISABLED"}}}])"));
  ASSERT_EQ(task.volumes.size(), 1U) << task.family;
  EXPECT_EQ(task.volumes[0].efs_file_system, "fs-c3c9bcbb");
  EXPECT_EQ(task.volumes[0].kind, VolumeKind::kDockerVolume);
  EXPECT_EQ(task.volumes[0].source, "berth-t-shared");
  const auto opts = efs_driver_options(task.volumes[0], "eu-west-1");
  EXPECT_EQ(opts.at("type"), "nfs");
  EXPECT_EQ(opts.at("device"), ":/web");
  EXPECT_EQ(opts.at("o"),
            "addr=fs-c3c9bcbb.efs.eu-west-1.amazonaws.com,nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,"
            "retrans=2,noresvport");
}

TEST(TaskDefinition, AnEfsVolumeThatNeedsTheMountHelperIsRefused) {
  const std::string helper =
      " needs amazon-efs-utils (its TLS tunnel and IAM authorization), which Docker's volume driver cannot run: "
      "mount the file system on this host (mount -t efs -o tls,iam, or /etc/fstab) and use host.sourcePath";
  EXPECT_EQ(
      problems_in(one_container("", R"("volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId":
          "fs-0123456789abcdef0", "transitEncryption": "ENABLED", "transitEncryptionPort": 2049,
          "authorizationConfig": {"iam": "ENABLED", "accessPointId": "fsap-1"}}}])")),
      (std::vector<std::string>{"t.json: volumes[0].efsVolumeConfiguration.transitEncryption: ENABLED" + helper,
                                "t.json: volumes[0].efsVolumeConfiguration.authorizationConfig.iam: ENABLED" + helper,
                                "t.json: volumes[0].efsVolumeConfiguration.authorizationConfig.accessPointId: an "
                                "access point" +
                                    helper}));
  EXPECT_EQ(problems_in(one_container("", R"("volumes": [{"name": "v", "efsVolumeConfiguration":
                                              {"fileSystemId": "FILESYSTEM_ID"}}])")),
            (std::vector<std::string>{"t.json: volumes[0].efsVolumeConfiguration.fileSystemId: \"FILESYSTEM_ID\" is "
                                      "not an EFS file system id (fs- and 8 or 17 hex digits)"}));
}

TEST(TaskDefinition, FargateSizingIsAcceptedWithANote) {
  auto result = load_task_definition(one_container("", R"("ephemeralStorage": {"sizeInGiB": 30})"), "t.json");
  EXPECT_TRUE(result.ok()) << result.problems.to_string();
  EXPECT_EQ(result.notes.lines(),
            (std::vector<std::string>{"t.json: ephemeralStorage: ignored: it sizes a Fargate task's disk; here "
                                      "containers use the Docker host's disk (mount a volume for more room)"}));
}

TEST(TaskDefinition, SyntaxAndShape) {
  auto lines = problems_in("{\"family\": \"t\",\n \"containerDefinitions\": [\n}");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].rfind("t.json: line 3, column 1: not valid JSON: syntax error", 0), 0U) << lines[0];
  EXPECT_EQ(
      problems_in(""),
      (std::vector<std::string>{"t.json: line 1, column 1: not valid JSON: the file is empty; write a JSON object"}));
  EXPECT_EQ(problems_in("[]"), (std::vector<std::string>{"t.json: is empty; a task needs at least one container"}));
  EXPECT_EQ(problems_in("3"), (std::vector<std::string>{"t.json: must be an object, not a number"}));
  EXPECT_EQ(problems_in("{}"), (std::vector<std::string>{
                                   "t.json: family: is missing; name the task (it also names the network "
                                   "berth-<family>)",
                                   "t.json: containerDefinitions: is missing; a task needs at least one container"}));
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": []})"),
            (std::vector<std::string>{"t.json: containerDefinitions: is empty; a task needs at least one container"}));
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": ["app"]})"),
            (std::vector<std::string>{"t.json: containerDefinitions[0]: must be an object, not a string"}));
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{}]})"),
            (std::vector<std::string>{"t.json: containerDefinitions[0]: needs a name",
                                      "t.json: containerDefinitions[0]: needs an image"}));
}

TEST(TaskDefinition, ParsesTaskCpuAndMemory) {
  EXPECT_EQ(parse_task_memory("512"), 512);
  EXPECT_EQ(parse_task_memory("1GB"), 1024);
  EXPECT_EQ(parse_task_memory("1 GB"), 1024);
  EXPECT_EQ(parse_task_memory("0.5gb"), 512);
  EXPECT_FALSE(parse_task_memory("512.5"));
  EXPECT_FALSE(parse_task_memory("1 TB"));
  EXPECT_FALSE(parse_task_memory(""));
  EXPECT_EQ(parse_task_cpu("1024"), 1024);
  EXPECT_EQ(parse_task_cpu("1 vCPU"), 1024);
  EXPECT_EQ(parse_task_cpu("0.25 vcpu"), 256);
  EXPECT_EQ(parse_task_cpu("2vCPU"), 2048);
  EXPECT_FALSE(parse_task_cpu("many"));
  EXPECT_FALSE(parse_task_cpu("0.3333 vCPU"));
}

TEST(TaskDefinition, NetworkModes) {
  EXPECT_EQ(loaded(one_container("")).network_mode, NetworkMode::kBridge);
  EXPECT_EQ(loaded(one_container("", R"("networkMode": "host")")).network_mode, NetworkMode::kHost);
  EXPECT_EQ(loaded(one_container("", R"("networkMode": "none")")).network_mode, NetworkMode::kNone);
  EXPECT_EQ(problems_in(one_container("", R"("networkMode": "nat")")),
            (std::vector<std::string>{
                "t.json: networkMode: \"nat\" is not a network mode; use bridge, awsvpc, host or none"}));
}

TEST(TaskDefinition, StartOrderFollowsDependencies) {
  const auto task = loaded(R"({"family": "t", "containerDefinitions": [
      {"name": "web", "image": "i", "dependsOn": [{"containerName": "api", "condition": "START"}]},
      {"name": "api", "image": "i", "links": ["db"]},
      {"name": "log", "image": "i", "essential": false},
      {"name": "db", "image": "i", "volumesFrom": [{"sourceContainer": "log"}]}]})");
  ASSERT_EQ(task.containers.size(), 4U) << task.family;
  EXPECT_EQ(start_order(task), (std::vector<std::size_t>{2, 3, 1, 0}));
}

TEST(TaskDefinition, ServicesAcrossFiles) {
  std::vector<LoadedService> services;
  services.push_back({"services.d/web.json", loaded(R"({"family": "web", "containerDefinitions": [
      {"name": "web", "image": "i", "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]})")});
  services.push_back({"services.d/web2.json", loaded(R"({"family": "web", "containerDefinitions": [
      {"name": "web", "image": "i", "portMappings": [{"containerPort": 80, "hostPort": 8080},
                                                    {"containerPort": 81, "hostPort": 8080, "protocol": "udp"}]}]})")});
  services.push_back({"services.d/host.json", loaded(R"({"family": "h", "networkMode": "host", "containerDefinitions": [
      {"name": "hh", "image": "i", "portMappings": [{"containerPort": 8080}]}]})")});
  services.push_back({"services.d/ok.json", loaded(R"({"family": "ok", "containerDefinitions": [
      {"name": "ok", "image": "i", "portMappings": [{"containerPort": 8080}]}]})")});
  EXPECT_EQ(check_services(services).lines(),
            (std::vector<std::string>{
                "services.d/web2.json: family: \"web\" is also the family of services.d/web.json; families name the "
                "network berth-<family> and must differ between service files",
                "services.d/web2.json: containerDefinitions[0].name: \"web\" is also a container in "
                "services.d/web.json; container names are Docker container names and must be unique on the host",
                "services.d/web2.json: containerDefinitions[0].portMappings[0].hostPort: host port 8080/tcp is also "
                "published by services.d/web.json containerDefinitions[0].portMappings[0].hostPort",
                "services.d/host.json: containerDefinitions[0].portMappings[0].containerPort: host port 8080/tcp is "
                "also published by services.d/web.json containerDefinitions[0].portMappings[0].hostPort",
            }));
}

}  // namespace
}  // namespace berth::config
