// One test per rule of the service file loader, each checking the exact lines an operator reads.

#include "config/task_definition.hpp"

#include "task_helpers.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

using testing::loaded;
using testing::one_container;
using testing::problems_in;
using Lines = std::vector<std::string>;

const std::string kC = "t.json: containerDefinitions[0].";

Lines container_problems(const std::string& members, const std::string& task_members = "") {
  return problems_in(one_container(members, task_members));
}

TEST(TaskValidation, RefusedTaskFields) {
  EXPECT_EQ(container_problems("", R"("placementConstraints": [{"type": "memberOf", "expression": "x"}])"),
            Lines{"t.json: placementConstraints: placement chooses among the instances of an ECS cluster; berth runs "
                  "the task on this host, so remove it"});
  EXPECT_EQ(container_problems("", R"("proxyConfiguration": {"type": "APPMESH", "containerName": "app"})"),
            Lines{"t.json: proxyConfiguration: App Mesh proxy configuration needs ECS; remove it"});
  EXPECT_EQ(container_problems("", R"("inferenceAccelerators": [{"deviceName": "d", "deviceType": "eia2.medium"}])"),
            Lines{"t.json: inferenceAccelerators: Elastic Inference accelerators exist only on ECS; remove them"});
  EXPECT_EQ(container_problems("", R"("enableFaultInjection": true)"),
            Lines{"t.json: enableFaultInjection: fault injection endpoints are served by the ECS agent; set false or "
                  "remove it"});
  EXPECT_EQ(container_problems("", R"("pidMode": "task")"),
            Lines{"t.json: pidMode: task shares the PID namespace of the task's holder container, which berth creates "
                  "only for networkMode awsvpc; use awsvpc, host, or leave pidMode out"});
  EXPECT_EQ(container_problems("", R"("ipcMode": "task")"),
            Lines{"t.json: ipcMode: task shares the IPC namespace of the task's holder container, which berth creates "
                  "only for networkMode awsvpc; use awsvpc, host or none, or leave ipcMode out"});
  EXPECT_EQ(container_problems("", R"("pidMode": "container")"),
            Lines{"t.json: pidMode: \"container\" is not a PID mode; use host or task, or leave pidMode out"});
  EXPECT_EQ(container_problems("", R"("networkMode": "default")"),
            Lines{"t.json: networkMode: \"default\" is not a network mode; use bridge, awsvpc, host or none"});
  EXPECT_EQ(container_problems("", R"("runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"})"),
            Lines{"t.json: runtimePlatform.operatingSystemFamily: berth runs Linux containers; use LINUX"});
  EXPECT_EQ(container_problems("", R"("runtimePlatform": {"cpuArchitecture": "RISCV"})"),
            Lines{"t.json: runtimePlatform.cpuArchitecture: \"RISCV\" is not X86_64 or ARM64"});
  EXPECT_EQ(container_problems("", R"("requiresCompatibilities": ["EC2", "LAMBDA"])"),
            Lines{"t.json: requiresCompatibilities[1]: \"LAMBDA\" is not EC2, EXTERNAL or FARGATE"});
  EXPECT_EQ(container_problems("", R"("familly": "x")"),
            Lines{"t.json: familly: unknown key; did you mean \"family\"?"});
}

TEST(TaskValidation, AwsvpcTasks) {
  const std::string awsvpc = R"("networkMode": "awsvpc")";
  EXPECT_EQ(
      container_problems(R"("portMappings": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 81}])", awsvpc),
      Lines{});
  EXPECT_EQ(container_problems("", awsvpc + R"(, "pidMode": "task", "ipcMode": "task")"), Lines{});
  EXPECT_EQ(container_problems(R"("portMappings": [{"containerPort": 80, "hostPort": 8080}])", awsvpc),
            Lines{kC + "portMappings[0].hostPort: 8080 differs from containerPort 80; in awsvpc network mode a "
                       "container port is published on the same host port, so leave hostPort out or make it equal"});
  EXPECT_EQ(container_problems(R"("portMappings": [{"containerPortRange": "9000-9002", "hostPort": 9000}])", awsvpc),
            Lines{kC + "portMappings[0].hostPort: a containerPortRange is published on the same host ports; remove "
                       "hostPort"});
  EXPECT_EQ(
      container_problems(R"("hostname": "app", "extraHosts": [{"hostname": "db", "ipAddress": "10.0.0.2"}])", awsvpc),
      (Lines{kC + "hostname: is not supported by ECS in awsvpc network mode, where the task's containers share "
                  "one network namespace; remove it",
             kC + "extraHosts: is not supported by ECS in awsvpc network mode, where the task's containers "
                  "share one network namespace; remove it"}));
  EXPECT_EQ(
      container_problems(R"("portMappings": [{"containerPort": 80}], "dockerLabels": {"berth.strategy": )"
                         R"("start-first"})",
                         awsvpc),
      Lines{kC + "dockerLabels[\"berth.strategy\"]: start-first runs the new container beside the old one, but in "
                 "awsvpc network mode both share the task's network namespace and cannot both listen on port "
                 "80; use stop-first"});
  EXPECT_EQ(container_problems(R"("dockerLabels": {"berth.strategy": "start-first"})", awsvpc), Lines{});
  // The task's containers share one namespace: one of them per port, and one resolv.conf.
  const std::string two = R"({"family": "t", "networkMode": "awsvpc", "containerDefinitions": [
      {"name": "app", "image": "img", "portMappings": [{"containerPort": 80}], "dnsServers": ["10.0.0.2"]},
      {"name": "side", "image": "img", "portMappings": [{"containerPort": 80}], "dnsServers": ["10.0.0.3"]}]})";
  EXPECT_EQ(problems_in(two),
            (Lines{"t.json: containerDefinitions[1].portMappings[0].containerPort: host port 80/tcp is already "
                   "published by containerDefinitions[0].portMappings[0].containerPort",
                   "t.json: containerDefinitions[1].dnsServers: differs from containerDefinitions[0].dnsServers; in "
                   "awsvpc network mode the task's containers share one resolv.conf, so give the same list or give "
                   "it once"}));
  EXPECT_EQ(container_problems(R"("links": ["db"])", awsvpc),
            Lines{kC + "links: links work only with networkMode bridge"});
}

TEST(TaskValidation, ImagesHoldOnlyWhatEcsAllows) {
  EXPECT_EQ(container_problems("").size(), 0U);
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "app", "image": "${repo}:latest"}]})"),
            Lines{kC + "image: \"${repo}:latest\" contains '$', which ECS does not allow in an image (letters, "
                       "digits, '-', '_', ':', '.', '/', '#' and '@' before a digest); a template placeholder left "
                       "unfilled?"});
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "app", "image": )"
                        R"("registry.example.com:5000/a/b_c-d.e:v1#x@sha256:0123"}]})"),
            Lines{});
}

TEST(TaskValidation, RefusedContainerFields) {
  EXPECT_EQ(
      container_problems(R"("secrets": [{"name": "A", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:a"}])"),
      Lines{kC + "secrets[0].valueFrom: \"arn:aws:secretsmanager:eu-west-1:1:secret:a\": not an ARN of the form "
                 "arn:aws:<service>:<region>:<account>:<resource>"});
  EXPECT_EQ(container_problems(R"("secrets": [{"name": "A", "valueFrom": "/app/a"},
      {"name": "B", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:b-AbCdEf:key::"}])"),
            Lines{});
  EXPECT_EQ(container_problems(R"("secrets": [{"name": "A", "valueFrom": "/app/a"}],
      "environment": [{"name": "A", "value": "x"}])"),
            Lines{kC + "environment[0].name: A is set twice (first at containerDefinitions[0].secrets[0].name)"});
  EXPECT_EQ(container_problems(R"("secrets": [{"name": "A"}])"),
            Lines{kC + "secrets[0]: needs a valueFrom: an SSM parameter's name or ARN, or a Secrets Manager "
                       "secret's ARN"});
  EXPECT_EQ(container_problems(R"("repositoryCredentials": {"credentialsParameter": "arn:x"})"),
            Lines{kC + "repositoryCredentials: berth does not read registry credentials from Secrets Manager; give "
                       "them in agent.json \"registries\" or in the docker_config file"});
  EXPECT_EQ(container_problems(R"("firelensConfiguration": {"type": "fluentbit"})"),
            Lines{kC + "firelensConfiguration: FireLens routes logs through a sidecar that ECS manages; use "
                       "logConfiguration with the fluentd driver and your own Fluent Bit or Fluentd"});
  EXPECT_EQ(container_problems(R"("credentialSpecs": ["credentialspecdomainless:arn:x"])"),
            Lines{kC + "credentialSpecs: Active Directory credential specs are for Windows containers; berth runs "
                       "Linux containers"});
  EXPECT_EQ(container_problems(R"("resourceRequirements": [{"type": "InferenceAccelerator", "value": "d"}])"),
            Lines{kC + "resourceRequirements[0].type: Elastic Inference accelerators exist only on ECS; remove this "
                       "requirement"});
  EXPECT_EQ(
      container_problems(
          R"("logConfiguration": {"logDriver": "json-file", "secretOptions": [{"name": "a", "valueFrom": "arn:x"}]})"),
      Lines{kC + "logConfiguration.secretOptions: berth does not read SSM Parameter Store or Secrets Manager; "
                 "put the value in options"});
  EXPECT_EQ(container_problems(R"("dockerSecurityOptions": ["credentialspec:file://x.json"])"),
            Lines{kC + "dockerSecurityOptions[0]: credential specs are for Windows containers; berth runs Linux "
                       "containers"});
  // Empty lists of refused fields, as describe-task-definition prints them, are harmless.
  EXPECT_EQ(container_problems(R"("secrets": [], "credentialSpecs": [])"), Lines{});
}

TEST(TaskValidation, KeysGivenTwice) {
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [
      {"name": "web", "image": "i", "portMappings": [{"containerPort": 80}, {"containerPort": 81, "containerPort": 82}]},
      {"name": "db", "image": "i", "dockerLabels": {"a": "1", "a": "2"}, "image": "j"}], "family": "u"})"),
            (Lines{"t.json: containerDefinitions[0].portMappings[1].containerPort: is given twice in the same object",
                   "t.json: containerDefinitions[1].dockerLabels.a: is given twice in the same object",
                   "t.json: containerDefinitions[1].image: is given twice in the same object",
                   "t.json: family: is given twice in the same object"}));
}

TEST(TaskValidation, ContainerNamesAndImages) {
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "_", "image": "i"}]})"),
            Lines{kC + "name: \"_\" is not a valid container name: 1 to 255 letters, digits, '_', '.' or '-', starting "
                       "with a letter or digit"});
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "-web", "image": "i"}]})"),
            Lines{kC + "name: \"-web\" is not a valid container name: 1 to 255 letters, digits, '_', '.' or '-', "
                       "starting with a letter or digit"});
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "web.berth-prev", "image": "i"}]})"),
            Lines{kC + "name: \"web.berth-prev\": names containing \".berth-\" are kept for berth's own containers"});
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "web", "image": ""}]})"),
            Lines{kC + "image: is empty"});
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "web", "image": 5}]})"),
            Lines{kC + "image: must be a string, not a number"});
  EXPECT_EQ(problems_in(R"({"family": "t.x", "containerDefinitions": [{"name": "web", "image": "i"}]})"),
            Lines{"t.json: family: \"t.x\" is not a valid family: 1 to 255 letters, digits, '-' or '_'"});
  EXPECT_EQ(
      loaded(R"({"family": "t", "containerDefinitions": [{"name": "web.v2_x-1", "image": "i"}]})").containers[0].name,
      "web.v2_x-1");
}

// ECS takes one-character container names, Docker does not: such a container runs as "<family>-<name>",
// keeps its name as its alias on the task's network, and links, volumesFrom and dependsOn follow it.
TEST(TaskValidation, OneCharacterContainerNamesRunUnderTheFamily) {
  auto result = load_task_definition(R"({"family": "shop", "containerDefinitions": [
      {"name": "a", "image": "i", "memory": 64},
      {"name": "b", "image": "i", "memory": 64, "links": ["a", "a:db"], "volumesFrom": [{"sourceContainer": "a"}],
       "dependsOn": [{"containerName": "a", "condition": "START"}]}]})",
                                     "t.json");
  ASSERT_TRUE(result.ok()) << result.problems.to_string();
  const auto& a = result.value->containers[0];
  const auto& b = result.value->containers[1];
  EXPECT_EQ(a.name, "shop-a");
  EXPECT_EQ(a.alias, "a");
  EXPECT_EQ(b.name, "shop-b");
  EXPECT_EQ(b.links, (std::vector<std::string>{"shop-a:a", "shop-a:db"}));
  EXPECT_EQ(b.volumes_from[0].source_container, "shop-a");
  EXPECT_EQ(b.depends_on[0].container, "shop-a");
  EXPECT_EQ(result.notes.lines(),
            (Lines{"t.json: containerDefinitions[0].name: \"a\": Docker needs two characters or more in a container "
                   "name: it runs as \"shop-a\" (the service's name), and is \"a\" on the task's network",
                   "t.json: containerDefinitions[1].name: \"b\": Docker needs two characters or more in a container "
                   "name: it runs as \"shop-b\" (the service's name), and is \"b\" on the task's network"}));
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [{"name": "a", "image": "i", "memory": 64},
                                                                   {"name": "t-a", "image": "i", "memory": 64}]})"),
            Lines{kC + "name: \"a\": Docker needs two characters or more, and \"t-a\", which berth would use "
                       "instead, is another container's name"});
}

TEST(TaskValidation, PortMappings) {
  EXPECT_EQ(
      container_problems(
          R"("portMappings": [{"containerPort": 0}, {"hostPort": 80}, {"containerPort": "80"}, {"containerPort": 80.5}])"),
      (Lines{kC + "portMappings[0].containerPort: 0 is not a port", kC + "portMappings[1]: needs a containerPort",
             kC + "portMappings[2].containerPort: must be a number, not a string",
             kC + "portMappings[3].containerPort: must be a whole number, not 80.5"}));
  EXPECT_EQ(container_problems(R"("portMappings": [{"containerPort": 80, "hostIp": "127.0.0.1"}])"),
            Lines{kC + "portMappings[0].hostIp: unknown key"});
  EXPECT_EQ(
      container_problems(
          R"("portMappings": [{"containerPortRange": "9000-8000"}, {"containerPortRange": "1-2", "containerPort": 1}, {"containerPortRange": "1-2", "hostPort": 5}])"),
      (Lines{kC + "portMappings[0].containerPortRange: \"9000-8000\" is not a port range; write for example "
                  "\"8000-8010\"",
             kC + "portMappings[1].containerPort: give containerPort or containerPortRange, not both",
             kC + "portMappings[2].hostPort: a containerPortRange gets free host ports from Docker; remove "
                  "hostPort"}));
  // The same host port for tcp and udp is fine; twice for tcp is not.
  EXPECT_EQ(
      container_problems(
          R"("portMappings": [{"containerPort": 53, "hostPort": 53}, {"containerPort": 53, "hostPort": 53, "protocol": "udp"}])"),
      Lines{});
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [
      {"name": "one", "image": "i", "portMappings": [{"containerPort": 80, "hostPort": 8080}]},
      {"name": "two", "image": "i", "portMappings": [{"containerPort": 81, "hostPort": 8080}]}]})"),
            Lines{"t.json: containerDefinitions[1].portMappings[0].hostPort: host port 8080/tcp is already published "
                  "by containerDefinitions[0].portMappings[0].hostPort"});
}

TEST(TaskValidation, PortMappingsInHostAndNoneModes) {
  EXPECT_EQ(
      container_problems(R"("portMappings": [{"containerPort": 80, "hostPort": 8080}])", R"("networkMode": "host")"),
      Lines{kC + "portMappings[0].hostPort: 8080 differs from containerPort 80; in host network mode the "
                 "container binds the host's port itself, so leave hostPort out or make it equal"});
  EXPECT_EQ(
      container_problems(R"("portMappings": [{"containerPort": 80, "hostPort": 80}])", R"("networkMode": "host")"),
      Lines{});
  EXPECT_EQ(container_problems(R"("portMappings": [{"containerPortRange": "80-81"}])", R"("networkMode": "host")"),
            Lines{kC + "portMappings[0].containerPortRange: has no meaning in host network mode, where the container "
                       "binds host ports itself"});
  EXPECT_EQ(container_problems(R"("portMappings": [{"containerPort": 80}])", R"("networkMode": "none")"),
            Lines{kC + "portMappings: networkMode none has no network to publish ports on; remove portMappings or "
                       "use bridge"});
  EXPECT_EQ(container_problems(R"("portMappings": [{"containerPort": 80}], "disableNetworking": true)"),
            Lines{kC + "portMappings: disableNetworking leaves no network to publish ports on; remove one or the "
                       "other"});
  EXPECT_EQ(container_problems(R"("links": ["x"])", R"("networkMode": "host")"),
            Lines{kC + "links: links work only with networkMode bridge"});
}

TEST(TaskValidation, StartFirstNeedsNoFixedHostPort) {
  EXPECT_EQ(container_problems(
                R"("portMappings": [{"containerPort": 80}], "dockerLabels": {"berth.strategy": "start-first"})"),
            Lines{});
  EXPECT_EQ(container_problems(
                R"("portMappings": [{"containerPort": 80}], "dockerLabels": {"berth.strategy": "start-first"})",
                R"("networkMode": "host")"),
            Lines{kC + "dockerLabels[\"berth.strategy\"]: start-first runs the new container beside the old one, but "
                       "in host network mode both would bind port 80; use stop-first"});
}

TEST(TaskValidation, StartFirstOnAFixedTcpHostPortIsSwitchedByBerth) {
  const std::string tcp =
      R"("portMappings": [{"containerPort": 80, "hostPort": 8080}], "dockerLabels": {"berth.strategy": "start-first"})";
  EXPECT_EQ(container_problems(tcp), Lines{});
  // validate says which ports berth switches.
  const auto result = load_task_definition(one_container(tcp), "t.json");
  EXPECT_EQ(result.notes.lines(),
            Lines{kC + "dockerLabels[\"berth.strategy\"]: host port 8080/tcp is switched by berth, not published by "
                       "Docker: start-first moves it to the new container at once (nftables table ip berth; see the "
                       "README)"});
  // UDP is not switched: two containers cannot both publish it.
  EXPECT_EQ(container_problems(R"("portMappings": [{"containerPort": 53, "hostPort": 53, "protocol": "udp"}], )"
                               R"("dockerLabels": {"berth.strategy": "start-first"})"),
            Lines{kC + "dockerLabels[\"berth.strategy\"]: start-first runs the new container beside the old one, "
                       "but UDP host port 53 can be published by only one of them (berth switches TCP ports only); "
                       "use stop-first or leave hostPort out"});
  // stop-first keeps Docker's own binding: nothing to note.
  EXPECT_EQ(
      load_task_definition(one_container(R"("portMappings": [{"containerPort": 80, "hostPort": 8080}])"), "t.json")
          .notes.lines(),
      Lines{});
}

TEST(TaskValidation, Environment) {
  EXPECT_EQ(
      container_problems(
          R"("environment": [{"value": "x"}, {"name": "A=B", "value": "x"}, {"name": "", "value": "x"}, {"name": "OK", "value": 1}])"),
      (Lines{kC + "environment[0]: needs a name",
             kC + "environment[1].name: \"A=B\" is not a variable name (it must be non-empty, without '=')",
             kC + "environment[2].name: \"\" is not a variable name (it must be non-empty, without '=')",
             kC + "environment[3].value: must be a string, not a number"}));
  EXPECT_EQ(container_problems(R"("environment": [{"name": "A", "valu": "x"}])"),
            Lines{kC + "environment[0].valu: unknown key; did you mean \"value\"?"});
}

TEST(TaskValidation, EnvironmentFiles) {
  EXPECT_EQ(
      container_problems(
          R"("environmentFiles": [{"value": "arn:aws:s3:::bucket/app.env"}, {"value": "app.env"}, {"value": "/x.env", "type": "file"}, {"type": "s3"}, {}, {"type": "s3", "value": "/x.env"}, {"type": "s3", "value": "arn:aws:s3:::bucket"}, {"type": "s3", "value": "arn:aws:s3:::Bucket_1/a.env"}])"),
      (Lines{kC + "environmentFiles[0].value: \"arn:aws:s3:::bucket/app.env\" is an AWS resource: add \"type\": "
                  "\"s3\" to read it from S3",
             kC + "environmentFiles[1].value: \"app.env\" is not an absolute path",
             kC + "environmentFiles[2].type: \"file\" is not a type: s3 (value: the object's ARN), or leave type "
                  "out and give the absolute path of a file on this host as value",
             kC + "environmentFiles[3]: needs a value: the ARN of the S3 object",
             kC + "environmentFiles[4]: needs a value: the absolute path of a file on this host",
             kC + "environmentFiles[5].value: \"/x.env\": not the ARN of an S3 object: arn:aws:s3:::<bucket>/<key>",
             kC + "environmentFiles[6].value: \"arn:aws:s3:::bucket\": names a bucket but no object: "
                  "arn:aws:s3:::<bucket>/<key>",
             kC + "environmentFiles[7].value: \"arn:aws:s3:::Bucket_1/a.env\": \"Bucket_1\" is not a bucket name (3 "
                  "to 63 lowercase letters, digits, dots and hyphens)"}));
}

TEST(TaskValidation, MemoryAndCpu) {
  EXPECT_EQ(container_problems(R"("memory": 256, "memoryReservation": 512, "cpu": -1)"),
            (Lines{kC + "memoryReservation: 512 is more than memory (256); the soft limit must not exceed the hard one",
                   kC + "cpu: -1 is out of range; use 0 to 262144"}));
  EXPECT_EQ(container_problems(R"("memory": 1024)", R"("memory": "512")"),
            Lines{kC + "memory: 1024 is more than the task's memory (512)"});
  EXPECT_EQ(container_problems(R"("memory": 99999999999)"), Lines{kC + "memory: 99999999999 is too large (MiB)"});
  EXPECT_EQ(container_problems("", R"("cpu": "64", "memory": "2")"),
            (Lines{"t.json: cpu: \"64\" is out of range; use 128 (0.125 vCPU) to 196608 units",
                   "t.json: memory: \"2\" is below Docker's minimum of 6 MiB"}));
  EXPECT_EQ(container_problems("", R"("cpu": 1024)"), Lines{"t.json: cpu: must be a string, not a number"});
  EXPECT_EQ(container_problems("", R"("memory": "lots")"),
            Lines{"t.json: memory: \"lots\" is not a memory amount; write MiB (\"512\") or GB (\"1 GB\")"});
}

TEST(TaskValidation, HealthCheck) {
  EXPECT_EQ(
      container_problems(R"("healthCheck": {"command": ["CMD-SHELL", "a", "b"], "timeout": 61, "startPeriod": 301})"),
      (Lines{kC + "healthCheck.command: \"CMD-SHELL\" takes exactly one string after it: the shell command",
             kC + "healthCheck.timeout: 61 is out of range; use 2 to 60",
             kC + "healthCheck.startPeriod: 301 is out of range; use 0 to 300"}));
  EXPECT_EQ(container_problems(R"("healthCheck": {"command": ["CMD"]})"),
            Lines{kC + "healthCheck.command: \"CMD\" needs the program to run after it"});
  EXPECT_EQ(container_problems(R"("healthCheck": {"interval": 10})"), Lines{kC + "healthCheck: needs a command"});
  EXPECT_EQ(container_problems(R"("healthCheck": {"command": "curl localhost"})"),
            Lines{kC + "healthCheck.command: must be an array, not a string"});
  EXPECT_EQ(container_problems(R"("healthCheck": {"command": ["CMD", "true"], "startInterval": 5})"),
            Lines{kC + "healthCheck.startInterval: unknown key"});
  // A program without "CMD" in front runs as one, with a note; a shell command in one string does not.
  auto bare =
      load_task_definition(one_container(R"("healthCheck": {"command": ["/healthcheck", "--quick"]})"), "t.json");
  ASSERT_TRUE(bare.ok()) << bare.problems.to_string();
  EXPECT_EQ(bare.value->containers[0].health_check->command,
            (std::vector<std::string>{"CMD", "/healthcheck", "--quick"}));
  EXPECT_EQ(bare.notes.lines(), Lines{kC + "healthCheck.command: neither \"CMD\" nor \"CMD-SHELL\" in front: run "
                                           "as [\"CMD\", \"/healthcheck\", ...], the program and its arguments"});
  EXPECT_EQ(container_problems(R"("healthCheck": {"command": ["curl -f http://localhost/"]})"),
            Lines{kC + "healthCheck.command: must start with \"CMD\" or \"CMD-SHELL\", for example [\"CMD-SHELL\", "
                       "\"curl -f http://localhost/ || exit 1\"]"});
}

TEST(TaskValidation, Volumes) {
  EXPECT_EQ(container_problems("", R"("volumes": [
      {"host": {"sourcePath": "/x"}},
      {"name": "a b"},
      {"name": "both", "host": {"sourcePath": "/x"}, "dockerVolumeConfiguration": {}},
      {"name": "rel", "host": {"sourcePath": "data"}},
      {"name": "auto", "dockerVolumeConfiguration": {"scope": "task", "autoprovision": true}},
      {"name": "scope", "dockerVolumeConfiguration": {"scope": "global"}},
      {"name": "s", "dockerVolumeConfiguration": {"scope": "shared"}},
      {"name": "launch", "configuredAtLaunch": true},
      {"name": "fsx", "fsxWindowsFileServerVolumeConfiguration": {"fileSystemId": "fs-1"}},
      {"name": "drv", "dockerVolumeConfiguration": {"driver": "", "driverOpts": {"a": 1}}}])"),
            (Lines{"t.json: volumes[0]: needs a name (mountPoints refer to it as sourceVolume)",
                   "t.json: volumes[1].name: \"a b\" is not a valid volume name: letters, digits, '-' or '_'",
                   "t.json: volumes[2]: give host or dockerVolumeConfiguration, not both",
                   "t.json: volumes[3].host.sourcePath: \"data\" is not an absolute path",
                   "t.json: volumes[4].dockerVolumeConfiguration.autoprovision: applies only to \"scope\": \"shared\"",
                   "t.json: volumes[5].dockerVolumeConfiguration.scope: \"global\" is not a scope; use task or shared",
                   "t.json: volumes[6].name: a shared volume is the Docker volume of that name, which needs at least 2 "
                   "characters",
                   "t.json: volumes[7].configuredAtLaunch: volumes configured at launch are attached by an ECS "
                   "service; use host.sourcePath or dockerVolumeConfiguration",
                   "t.json: volumes[8].fsxWindowsFileServerVolumeConfiguration: FSx for Windows File Server volumes "
                   "are for Windows containers; berth runs Linux containers",
                   "t.json: volumes[9].dockerVolumeConfiguration.driver: is empty",
                   "t.json: volumes[9].dockerVolumeConfiguration.driverOpts.a: must be a string, not a number"}));
}

TEST(TaskValidation, MountPoints) {
  EXPECT_EQ(
      container_problems(
          R"("mountPoints": [{"sourceVolume": "v", "containerPath": "/d"}, {"sourceVolume": "v", "containerPath": "/d"}, {"containerPath": "/e"}, {"sourceVolume": "v"}],
                                  "linuxParameters": {"tmpfs": [{"containerPath": "/d", "size": 1}]})",
          R"("volumes": [{"name": "v"}])"),
      (Lines{kC + "mountPoints[1].containerPath: /d is already mounted by containerDefinitions[0].mountPoints[0]"
                  ".containerPath",
             kC + "mountPoints[2]: needs a sourceVolume (the name of one of the task's volumes)",
             kC + "mountPoints[3]: needs a containerPath",
             kC + "linuxParameters.tmpfs[0].containerPath: /d is mounted twice (see mountPoints and tmpfs)"}));
}

TEST(TaskValidation, BetweenContainers) {
  EXPECT_EQ(
      problems_in(R"({"family": "t", "containerDefinitions": [
      {"name": "web", "image": "i",
       "dependsOn": [{"containerName": "web", "condition": "START"},
                     {"containerName": "db", "condition": "HEALTHY"},
                     {"containerName": "job", "condition": "COMPLETE"},
                     {"containerName": "db", "condition": "READY"},
                     {"containerName": "db"}],
       "volumesFrom": [{"sourceContainer": "dbb"}],
       "links": ["db:data base"]},
      {"name": "db", "image": "i"},
      {"name": "job", "image": "i"}]})"),
      (Lines{kC + "volumesFrom[0].sourceContainer: no container named \"dbb\" in this task; did you mean \"db\"?",
             kC + "dependsOn[0].containerName: \"web\" is this container itself",
             kC + "dependsOn[1].condition: HEALTHY needs a healthCheck on \"db\", which has none",
             kC + "dependsOn[2].condition: COMPLETE waits for \"job\" to exit, so it must have \"essential\": false",
             kC + "dependsOn[3].condition: \"READY\" is not a condition; use START, HEALTHY, COMPLETE or SUCCESS",
             kC + "dependsOn[4]: needs a condition (START, HEALTHY, COMPLETE or SUCCESS)",
             kC + "links[0]: \"db:data base\": the alias after ':' is not a valid host name"}));
}

TEST(TaskValidation, StartUpCycles) {
  EXPECT_EQ(problems_in(R"({"family": "t", "containerDefinitions": [
      {"name": "aa", "image": "i", "dependsOn": [{"containerName": "bb", "condition": "START"}]},
      {"name": "bb", "image": "i", "links": ["cc"]},
      {"name": "cc", "image": "i", "volumesFrom": [{"sourceContainer": "aa"}]}]})"),
            Lines{"t.json: containerDefinitions[2]: start-up cycle through dependsOn, links or volumesFrom: aa -> bb "
                  "-> cc -> aa"});
}

TEST(TaskValidation, AtLeastOneEssential) {
  EXPECT_EQ(container_problems(R"("essential": false)"),
            Lines{"t.json: containerDefinitions: no container is essential; mark at least one \"essential\": true"});
}

TEST(TaskValidation, RestartPolicy) {
  EXPECT_EQ(loaded(one_container(R"("restartPolicy": {"enabled": false})")).containers[0].restart, RestartMode::kNo);
  EXPECT_EQ(loaded(one_container(R"("restartPolicy": {"enabled": true})")).containers[0].restart,
            RestartMode::kUnlessStopped);
  EXPECT_EQ(
      loaded(one_container(R"("restartPolicy": {"enabled": true, "ignoredExitCodes": [0]})")).containers[0].restart,
      RestartMode::kOnFailure);
  EXPECT_EQ(loaded(one_container("")).containers[0].restart, RestartMode::kUnlessStopped);
  EXPECT_EQ(container_problems(R"("restartPolicy": {"ignoredExitCodes": [0, 2], "restartAttemptPeriod": 30})"),
            (Lines{kC + "restartPolicy: needs \"enabled\": true or false",
                   kC + "restartPolicy.ignoredExitCodes[1]: Docker can restart on any exit or only on failure; the "
                        "only exit code it can leave alone is 0, not 2",
                   kC + "restartPolicy.restartAttemptPeriod: 30 is out of range; use 60 to 1800"}));
  // A run-once container keeps an explicit policy.
  const auto task = loaded(R"({"family": "t", "containerDefinitions": [
      {"name": "job", "image": "i", "essential": false, "restartPolicy": {"enabled": true, "ignoredExitCodes": [0]}},
      {"name": "app", "image": "i", "dependsOn": [{"containerName": "job", "condition": "SUCCESS"}]}]})");
  ASSERT_EQ(task.containers.size(), 2U) << task.family;
  EXPECT_EQ(task.containers[0].restart, RestartMode::kOnFailure);
}

TEST(TaskValidation, LinuxParameters) {
  EXPECT_EQ(container_problems(R"("linuxParameters": {
      "capabilities": {"add": ["CAP_NET_ADMIN"], "drop": ["all"], "keep": []},
      "devices": [{"containerPath": "/dev/x"}, {"hostPath": "/dev/y", "permissions": ["read", "exec"]}],
      "tmpfs": [{"containerPath": "/t"}, {"containerPath": "/u", "size": 1, "mountOptions": ["noexe", "size=5m"]}],
      "sharedMemorySize": 0, "maxSwap": 10, "swappiness": 101, "initProcessEnabled": "yes"})"),
            (Lines{kC + "linuxParameters.initProcessEnabled: must be true or false, not a string",
                   kC + "linuxParameters.capabilities.add[0]: \"CAP_NET_ADMIN\": write capabilities without the CAP_ "
                        "prefix: \"NET_ADMIN\"",
                   kC + "linuxParameters.capabilities.drop[0]: \"all\" is not a Linux capability; did you mean "
                        "\"ALL\"?",
                   kC + "linuxParameters.capabilities.keep: unknown key",
                   kC + "linuxParameters.sharedMemorySize: 0 is out of range; use 1 to 1073741824",
                   kC + "linuxParameters.tmpfs[0]: needs a size (MiB)",
                   kC + "linuxParameters.tmpfs[1].mountOptions[0]: \"noexe\" is not a tmpfs mount option; did you "
                        "mean \"noexec\"?",
                   kC + "linuxParameters.tmpfs[1].mountOptions[1]: \"size=5m\" is not a tmpfs mount option",
                   kC + "linuxParameters.devices[0]: needs a hostPath",
                   kC + "linuxParameters.devices[1].permissions[1]: \"exec\" is not a device permission; use read, "
                        "write or mknod",
                   kC + "linuxParameters.maxSwap: needs a memory limit on the container (Docker counts swap on top "
                        "of memory)",
                   kC + "linuxParameters.swappiness: 101 is out of range; use 0 to 100"}));
}

TEST(TaskValidation, UlimitsSysctlsAndGpus) {
  EXPECT_EQ(container_problems(R"("ulimits": [{"name": "nofile", "softLimit": 10, "hardLimit": 5},
                                              {"name": "nofiles", "softLimit": 1, "hardLimit": 1},
                                              {"name": "core", "softLimit": 0, "hardLimit": -1},
                                              {"name": "core", "softLimit": 0, "hardLimit": 0},
                                              {"name": "nproc"}])"),
            (Lines{kC + "ulimits[0].softLimit: is above hardLimit",
                   kC + "ulimits[1].name: \"nofiles\" is not a ulimit; did you mean \"nofile\"?",
                   kC + "ulimits[3].name: core is set twice", kC + "ulimits[4]: needs a softLimit",
                   kC + "ulimits[4]: needs a hardLimit"}));
  EXPECT_EQ(container_problems(R"("systemControls": [{"namespace": "net.ipv4.ip_forward", "value": "1"}])",
                               R"("networkMode": "host")"),
            Lines{kC + "systemControls[0].namespace: net.ipv4.ip_forward would change the host itself in host network "
                       "mode; set it on the host instead"});
  EXPECT_EQ(
      container_problems(
          R"("systemControls": [{"namespace": "kernel.msgmax", "value": "1"}, {"namespace": "kernel.msgmax", "value": "2"}, {"value": "1"}])"),
      (Lines{kC + "systemControls[1].namespace: kernel.msgmax is set twice",
             kC + "systemControls[2]: needs a namespace (the sysctl, e.g. net.core.somaxconn)"}));
  EXPECT_EQ(container_problems(
                R"("resourceRequirements": [{"type": "GPU", "value": "zero"}, {"type": "TPU", "value": "1"}])"),
            (Lines{kC + "resourceRequirements[0].value: \"zero\" is not a number of GPUs",
                   kC + "resourceRequirements[1].type: \"TPU\" is not a resource type; use GPU"}));
}

TEST(TaskValidation, LoggingAndNetworkingFields) {
  EXPECT_EQ(container_problems(R"("logConfiguration": {"logDriver": "jsonfile", "options": {"max-size": 10}})"),
            (Lines{kC + "logConfiguration.logDriver: \"jsonfile\" is not a log driver; did you mean \"json-file\"? "
                        "(json-file, syslog, journald, gelf, fluentd, awslogs, splunk)",
                   kC + "logConfiguration.options[\"max-size\"]: must be a string, not a number"}));
  EXPECT_EQ(
      container_problems(R"("dnsServers": ["dns.example.com"], "dnsSearchDomains": ["bad domain"],
                                  "extraHosts": [{"hostname": "a", "ipAddress": "300.1.1.1"}, {"ipAddress": "1.1.1.1"}],
                                  "hostname": "no_such host", "workingDirectory": "app",
                                  "dockerSecurityOptions": ["seccomp", "privileged"])"),
      (Lines{kC + "workingDirectory: \"app\" is not an absolute path",
             kC + "hostname: \"no_such host\" is not a valid host name",
             kC + "dnsServers[0]: \"dns.example.com\" is not an IP address",
             kC + "dnsSearchDomains[0]: \"bad domain\" is not a domain name",
             kC + "extraHosts[0].ipAddress: \"300.1.1.1\" is not an IP address", kC + "extraHosts[1]: needs a hostname",
             kC + "dockerSecurityOptions[0]: \"seccomp\" is not a security option; use no-new-privileges, "
                  "apparmor:PROFILE, label:VALUE or seccomp:PROFILE",
             kC + "dockerSecurityOptions[1]: \"privileged\" is not a security option; use no-new-privileges, "
                  "apparmor:PROFILE, label:VALUE or seccomp:PROFILE"}));
  EXPECT_EQ(container_problems(R"("stopTimeout": -1, "startTimeout": 0, "versionConsistency": "always")"),
            (Lines{kC + "stopTimeout: -1 is out of range; use 0 to 3600",
                   kC + "startTimeout: 0 is out of range; use 1 to 3600",
                   kC + "versionConsistency: \"always\" is not enabled or disabled"}));
}

TEST(TaskValidation, BerthLabelsInServiceFiles) {
  EXPECT_EQ(container_problems(R"("dockerLabels": {"berth.enable": "true", "berth.service": "x", "berth.task": "y",
                                                   "berth.spec-hash": "z", "berth.remove-on-delete": "yes",
                                                   "berth.policy": "always", "berth.poll": "100ms", "": "x"})"),
            (Lines{kC + "dockerLabels[\"\"]: a label needs a name",
                   kC + "dockerLabels[\"berth.enable\"]: a service file is always managed; remove berth.enable (to "
                        "stop automatic updates, set berth.policy to manual)",
                   kC + "dockerLabels[\"berth.policy\"]: \"always\" is not a policy; use auto, notify or manual",
                   kC + "dockerLabels[\"berth.poll\"]: \"100ms\" is too short; poll at most every 1s",
                   kC + "dockerLabels[\"berth.remove-on-delete\"]: \"yes\" is not true or false",
                   kC + "dockerLabels[\"berth.service\"]: is set by berth itself; remove it",
                   kC + "dockerLabels[\"berth.spec-hash\"]: is set by berth itself; remove it",
                   kC + "dockerLabels[\"berth.task\"]: is set by berth itself; remove it"}));
  EXPECT_EQ(container_problems(R"("dockerLabels": {"berth.probe": "tcp://:5432", "berth.probe.expect": "200"})"),
            Lines{kC + "dockerLabels[\"berth.probe.expect\"]: applies only to an http:// or https:// berth.probe"});
  EXPECT_EQ(container_problems(R"("dockerLabels": {"berth.probe": "http://localhost/health"})"),
            Lines{kC + "dockerLabels[\"berth.probe\"]: \"http://localhost/health\" has no port; the probe runs on the "
                       "host, so name the published port (for example \"http://:8080/health\")"});
  EXPECT_EQ(container_problems(R"("dockerLabels": {"app.version": 3})"),
            Lines{kC + "dockerLabels[\"app.version\"]: must be a string, not a number"});
}

}  // namespace
}  // namespace berth::config
