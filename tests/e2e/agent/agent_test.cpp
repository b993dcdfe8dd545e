// berth as a user runs it: config files, the daemon, the command line, and swaps driven by pushes to a
// real registry. Every image is built and pushed locally; every container carries this run's label.
#include "support/agent_e2e.hpp"
#include "support/http_probe.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

namespace berth::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A registry that accepts connections and never answers, until it is closed: a check against it stays in
// flight for as long as a test needs, then fails at once (the connections are reset).
class SilentRegistry {
 public:
  SilentRegistry() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0;) {
        const std::lock_guard lock(mutex_);
        held_.push_back(c);
      }
    });
  }
  ~SilentRegistry() { close(); }
  SilentRegistry(const SilentRegistry&) = delete;
  SilentRegistry& operator=(const SilentRegistry&) = delete;

  [[nodiscard]] std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::size_t held() {
    const std::lock_guard lock(mutex_);
    return held_.size();
  }
  void close() {
    if (fd_ < 0) {
      return;
    }
    ::shutdown(fd_, SHUT_RDWR);  // ends the accept loop
    if (thread_.joinable()) {
      thread_.join();
    }
    ::close(fd_);
    fd_ = -1;
    const std::lock_guard lock(mutex_);
    for (int c : held_) {
      ::close(c);  // the request is unread: the client sees a reset
    }
    held_.clear();
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> held_;
};

TEST_F(AgentE2E, DeploysThenSwapsOnPushAndRollsBackABrokenImage) {
  push("v1");
  write_service(web_task());
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  push("v2");
  ASSERT_TRUE(serves("v2", 60s)) << "a push is picked up by polling\n" << agent_log();
  push("broken");
  ASSERT_FALSE(history_with_rollback(90s).empty()) << agent_log();
  EXPECT_EQ(http_get(port_), "v2") << "the old version serves again";
  auto status = berth({"status", name_, "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  // The broken digest is quarantined: it is not retried by polling, and an explicit update is refused
  // without --digest; with it, the operator gets the rollback again and exit code 3.
  auto digest = shell("docker inspect --format '{{index .RepoDigests 0}}' " + repo_ + ":live");
  const std::string pinned = digest.output.substr(digest.output.find('@') + 1, 71);
  auto forced = berth({"update", name_, "--digest", pinned, "--wait"});
  EXPECT_EQ(forced.exit_code, 3) << forced.output;
  EXPECT_EQ(http_get(port_), "v2");
  auto names = shell("docker ps -a --filter label=e2e.name=" + name_ + " --format '{{.Names}}' | sort");
  EXPECT_EQ(names.output, name_ + "\n" + name_ + ".berth-failed\n");
}

TEST_F(AgentE2E, AProbePrintingBytesThatAreNotTextFailsTheSwapNotTheAgent) {
  // The ECS health check passes for v1 only; for v2 it prints a Latin-1 byte and a cut UTF-8 sequence.
  push("v1");
  json task = web_task();
  auto& c = task["containerDefinitions"][0];
  c["dockerLabels"].erase("berth.probe");
  c["healthCheck"]["command"] = {
      "CMD-SHELL", "wget -q -O- http://localhost/ | grep -q v1 || { printf 'caf\\351 \\342\\202'; exit 1; }"};
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  push("v2");
  const std::string history = history_with_rollback(90s);
  ASSERT_FALSE(history.empty()) << agent_log();
  EXPECT_NE(history.find("caf\xEF\xBF\xBD \xEF\xBF\xBD"), std::string::npos) << history;
  EXPECT_TRUE(agent_->running()) << agent_log();
  EXPECT_EQ(http_get(port_), "v1");
  auto status = berth({"status", name_, "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_FALSE(json::parse(read_text(dir_ / "state" / "history.json"), nullptr, false).is_discarded());
}

TEST_F(AgentE2E, AnUpdateThatCouldNotBeginIsTriedAgain) {
  push("v1");
  write_service(web_task());
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  // A container from no journalled swap holds the name the new version needs: the update cannot begin.
  auto leftover = shell("docker create --name " + name_ + ".berth-next --label e2e.run=" + run_label() +
                        " --label e2e.name=" + name_ + " " + source_repo_ + ":v1");
  ASSERT_EQ(leftover.exit_code, 0) << leftover.output;
  push("v2");
  ASSERT_TRUE(eventually(
      [&] {
        auto status = berth({"status", name_, "--json"});
        return status.output.find("in the way") != std::string::npos;
      },
      60s))
      << agent_log();
  ASSERT_EQ(shell("docker rm " + name_ + ".berth-next").exit_code, 0);
  EXPECT_TRUE(serves("v2", 60s)) << "the failed update is tried again by itself\n" << agent_log();
}

TEST_F(AgentE2E, ChecksOnRequestDoNotHoldBackTheScheduledUpdate) {
  push("v1");
  write_service(web_task());
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  push("v2");
  // A client asks for a check several times per poll interval (1 s here); the scheduled check still
  // comes, and with it the automatic update.
  EXPECT_TRUE(eventually(
      [&] {
        (void)berth({"check", name_});
        return http_get(port_) == "v2";
      },
      60s))
      << agent_log();
}

TEST_F(AgentE2E, ValidateNamesEveryBadField) {
  json task = web_task();
  task["containerDefinitions"][0]["portMappings"][0]["hostPort"] = 70000;
  task["containerDefinitions"][0]["memory"] = "lots";
  task["networkMode"] = "nat";
  write_service(task);
  auto r = run_command({berth_binary(), "validate", "--config", (dir_ / "agent.json").string()});
  EXPECT_EQ(r.exit_code, 78) << r.output;
  const std::string file = "services.d/" + name_ + ".json: ";
  EXPECT_NE(r.output.find(file + "containerDefinitions[0].portMappings[0].hostPort: 70000 is not a port"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(file + "containerDefinitions[0].memory"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(file + "networkMode"), std::string::npos) << r.output;
  // The daemon refuses the same configuration with the same lines and exit code 78.
  start_agent();
  EXPECT_EQ(agent_->wait(30s), 78) << agent_->log();
  EXPECT_NE(agent_->log().find("70000 is not a port"), std::string::npos);
}

TEST_F(AgentE2E, ValidateWithABrokenAgentJsonStillChecksTheServiceFiles) {
  json task = web_task();
  task["containerDefinitions"][0]["portMappings"][0]["hostPort"] = 70000;
  write_service(task);
  set_config("poll", {{"interval", "soon"}});
  auto r = run_command({berth_binary(), "validate", "--config", (dir_ / "agent.json").string()});
  EXPECT_EQ(r.exit_code, 78) << r.output;
  EXPECT_NE(r.output.find("agent.json: poll.interval"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("services.d/" + name_ +
                          ".json: containerDefinitions[0].portMappings[0].hostPort: 70000 "
                          "is not a port"),
            std::string::npos)
      << "every problem at once, the service file's too\n"
      << r.output;
}

TEST_F(AgentE2E, SighupPicksUpANewServiceFile) {
  push("v1");
  start_agent();
  ASSERT_TRUE(eventually([&] { return berth({"status", "--json"}).exit_code == 0; }, 30s)) << agent_log();
  write_service(web_task());
  agent_->signal(SIGHUP);
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
}

TEST_F(AgentE2E, AFirstServiceFileDroppedIntoAnEmptyDirectoryIsDeployed) {
  push("v1");
  start_agent();
  ASSERT_TRUE(eventually([&] { return berth({"status", "--json"}).exit_code == 0; }, 30s)) << agent_log();
  write_service(web_task());
  EXPECT_TRUE(serves("v1", 60s)) << "no SIGHUP: the directory is watched\n" << agent_log();
}

TEST_F(AgentE2E, AMultiContainerTaskSharesANetworkAndSwapsOneContainer) {
  push("v1");
  const std::uint16_t db_port = reserve_port();
  json task = {{"family", name_},
               {"networkMode", "bridge"},
               {"containerDefinitions", {container_def(name_ + "-db", db_port), container_def(name_, port_)}}};
  task["containerDefinitions"][1]["dependsOn"] = {{{"containerName", name_ + "-db"}, {"condition", "START"}}};
  task["containerDefinitions"][0]["image"] = source_repo_ + ":v3";
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  // The app reaches the other container by its name on the task's network.
  auto reach = shell("docker exec " + name_ + " wget -q -O- http://" + name_ + "-db/");
  EXPECT_EQ(reach.output, "v3") << reach.output;
  auto db_started = shell("docker inspect --format '{{.State.StartedAt}}' " + name_ + "-db");
  push("v2");
  ASSERT_TRUE(serves("v2", 60s)) << agent_log();
  EXPECT_EQ(shell("docker inspect --format '{{.State.StartedAt}}' " + name_ + "-db").output, db_started.output)
      << "swapping the app leaves the database running";
  EXPECT_EQ(shell("docker exec " + name_ + " wget -q -O- http://" + name_ + "-db/").output, "v3");
}

// awsvpc: a sidecar reaches the app on localhost through the namespace the task's holder owns; a swap of
// the app leaves the sidecar running, unrestarted, and the namespace (the holder, its address) unchanged.
TEST_F(AgentE2E, AnAwsvpcSidecarReachesTheAppOnLocalhostAcrossItsSwap) {
  push("v1");
  const std::uint16_t side_port = reserve_port();
  const std::string side = name_ + "-side";
  json sidecar = serving_def(side, source_repo_ + ":v3", side_port);
  // It fetches the app on localhost every 200 ms and serves what it got last.
  sidecar["command"] = {
      "sh", "-c",
      "trap 'exit 0' TERM; mkdir -p /tmp/s; echo none > /tmp/s/index.html; httpd -p " + std::to_string(side_port) +
          " -h /tmp/s; while true; do wget -q -O /tmp/s/next http://localhost:" + std::to_string(port_) +
          "/ && mv /tmp/s/next /tmp/s/index.html; sleep 0.2; done"};
  json task = {{"family", name_},
               {"networkMode", "awsvpc"},
               {"containerDefinitions", {serving_def(name_, repo_ + ":live", port_), sidecar}}};
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  ASSERT_TRUE(eventually([&] { return http_get(side_port) == "v1"; }, 30s)) << http_get(side_port) << agent_log();
  const std::string holder = name_ + ".berth-holder";
  const std::string address_format = "{{(index .NetworkSettings.Networks \"berth-" + name_ + "\").IPAddress}}";
  const std::string holder_id = inspect(holder, "{{.Id}}");
  const std::string address = inspect(holder, address_format);
  ASSERT_FALSE(address.empty()) << "the holder is on the task's network";
  EXPECT_EQ(inspect(name_, "{{.HostConfig.NetworkMode}}"), "container:" + holder_id);
  EXPECT_EQ(inspect(holder, "{{index .Config.Labels \"berth.task\"}} {{index .Config.Labels \"berth.role\"}}"),
            name_ + " holder");
  const std::string side_started = inspect(side, "{{.State.StartedAt}} {{.RestartCount}}");

  push("v2");
  ASSERT_TRUE(serves("v2", 60s)) << agent_log();
  EXPECT_TRUE(eventually([&] { return http_get(side_port) == "v2"; }, 10s)) << "the sidecar reaches the new app";
  EXPECT_EQ(inspect(side, "{{.State.StartedAt}} {{.RestartCount}}"), side_started) << "the sidecar was not restarted";
  EXPECT_EQ(inspect(holder, "{{.Id}}"), holder_id);
  EXPECT_EQ(inspect(holder, address_format), address) << "the task keeps its address";
  EXPECT_EQ(shell("docker exec " + side + " wget -q -O- http://localhost:" + std::to_string(port_) + "/").output, "v2");
  // Once the swap has removed the old app: the two containers and the holder.
  EXPECT_EQ(settled_names("label=berth.task=" + name_, name_ + "\n" + side + "\n" + holder + "\n"),
            name_ + "\n" + side + "\n" + holder + "\n");
}

// After a Docker restart the daemon starts containers in no particular order: one that came before the
// holder failed to join it, one started with the holder's previous run sits in a namespace with no network.
// berth starts the holder and both containers again in its namespace.
TEST_F(AgentE2E, AnAwsvpcTaskStartedInTheWrongOrderIsRepaired) {
  push("v1");
  const std::uint16_t side_port = reserve_port();
  const std::string side = name_ + "-side";
  json task = {{"family", name_},
               {"networkMode", "awsvpc"},
               {"containerDefinitions",
                {serving_def(name_, repo_ + ":live", port_), serving_def(side, source_repo_ + ":v3", side_port)}}};
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  ASSERT_TRUE(eventually([&] { return http_get(side_port) == "v3"; }, 30s)) << agent_log();
  agent_->signal(SIGTERM);
  ASSERT_EQ(agent_->wait(30s), 0) << agent_log();
  const std::string holder = name_ + ".berth-holder";
  auto broken = shell("docker stop " + name_ + " && docker stop " + holder + "; docker start " + name_ +
                      "; docker start " + holder);
  ASSERT_NE(inspect(name_, "{{.State.Error}}").find("cannot join network"), std::string::npos) << broken.output;
  ASSERT_EQ(http_get(side_port), "") << "the sidecar runs in the namespace of the holder's previous run";
  start_agent();
  EXPECT_TRUE(serves("v1", 60s)) << agent_log();
  EXPECT_TRUE(eventually([&] { return http_get(side_port) == "v3"; }, 60s)) << agent_log();
  EXPECT_EQ(inspect(name_, "{{.HostConfig.NetworkMode}}"), "container:" + inspect(holder, "{{.Id}}"));
}

// A bridge task whose containers chain links and volumesFrom: each starts after the one it names, reaches
// it by its link alias and sees the volume the first one mounts.
TEST_F(AgentE2E, ABridgeTaskChainsLinksAndVolumesFrom) {
  const std::string a = name_ + "-a";
  const std::string b = name_ + "-b";
  const std::string c = name_ + "-c";
  auto def = [&](const std::string& name, const std::string& script) {
    json d = container_def(name, 0);
    d["image"] = source_repo_ + ":v3";
    d.erase("portMappings");
    d["dockerLabels"].erase("berth.probe");
    d["command"] = {"sh", "-c", "trap 'exit 0' TERM; " + script + "httpd -f -p 80 -h /www & wait"};
    return d;
  };
  json first = def(a, "echo chained > /data/hello; ");
  first["mountPoints"] = {{{"sourceVolume", "data"}, {"containerPath", "/data"}}};
  json second = def(b, "");
  second["links"] = {a + ":alias-a"};
  second["volumesFrom"] = {{{"sourceContainer", a}, {"readOnly", true}}};
  json third = def(c, "");
  third["links"] = {b + ":bee"};
  third["volumesFrom"] = {{{"sourceContainer", b}}};
  // In the file the chain is written backwards: the start order comes from links and volumesFrom.
  json task = {{"family", name_},
               {"networkMode", "bridge"},
               {"volumes", {{{"name", "data"}}}},
               {"containerDefinitions", {third, second, first}}};
  write_service(task);
  start_agent();
  ASSERT_TRUE(eventually([&] { return shell("docker exec " + c + " cat /data/hello").output == "chained\n"; }, 90s))
      << agent_log();
  EXPECT_EQ(shell("docker exec " + c + " wget -q -O- http://bee/").output, "v3");
  EXPECT_EQ(shell("docker exec " + b + " wget -q -O- http://alias-a/").output, "v3");
  EXPECT_NE(shell("docker exec " + b + " touch /data/x").exit_code, 0) << "volumesFrom read-only";
  const std::string at_a = inspect(a, "{{.State.StartedAt}}");
  const std::string at_b = inspect(b, "{{.State.StartedAt}}");
  const std::string at_c = inspect(c, "{{.State.StartedAt}}");
  EXPECT_LT(at_a, at_b);
  EXPECT_LT(at_b, at_c);
}

// Two ECS habits Docker does not share: containers named with one character (they run as "<family>-a" and
// answer to "a" on the task's network; the link follows the rename) and a health check command without
// "CMD" in front (run as one).
TEST_F(AgentE2E, OneCharacterNamesAndABareHealthCheckCommandRunAsOnEcs) {
  auto def = [&](const std::string& name) {
    json d = container_def(name, 0);
    d["image"] = source_repo_ + ":v3";
    d.erase("portMappings");
    d["dockerLabels"].erase("berth.probe");
    d["command"] = {"sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"};
    return d;
  };
  json a = def("a");
  json b = def("b");
  b["links"] = {"a"};
  b["healthCheck"] = {
      {"command", {"wget", "-q", "-O", "/dev/null", "http://a/"}}, {"interval", 5}, {"timeout", 2}, {"retries", 3}};
  write_service({{"family", name_}, {"networkMode", "bridge"}, {"containerDefinitions", {b, a}}});
  start_agent();
  const std::string b_name = name_ + "-b";
  ASSERT_TRUE(eventually([&] { return inspect(b_name, "{{.State.Health.Status}}") == "healthy"; }, 90s)) << agent_log();
  EXPECT_EQ(shell("docker exec " + b_name + " wget -q -O- http://a/").output, "v3");
  EXPECT_EQ(inspect(b_name, "{{json .Config.Healthcheck.Test}}"),
            R"(["CMD","wget","-q","-O","/dev/null","http://a/"])");
  const auto names = listed_services();
  ASSERT_TRUE(names.has_value());
  EXPECT_NE(std::find(names->begin(), names->end(), name_ + "-a"), names->end());
}

// dependsOn HEALTHY: the app starts only once the database's ECS health check passes (the slow image
// serves after 6 s).
TEST_F(AgentE2E, ADependencyOnAHealthyContainerWaitsForItsHealthCheck) {
  push("v1");
  const std::string db = name_ + "-db";
  json database = container_def(db, 0);
  database["image"] = source_repo_ + ":slow";
  database.erase("portMappings");
  database["dockerLabels"].erase("berth.probe");
  database["healthCheck"] = {{"command", {"CMD-SHELL", "wget -q -O- http://localhost/ | grep -q slow"}},
                             {"interval", 5},
                             {"timeout", 2},
                             {"retries", 3},
                             {"startPeriod", 30}};
  json app = container_def(name_, port_);
  app["dependsOn"] = {{{"containerName", db}, {"condition", "HEALTHY"}}};
  write_service({{"family", name_}, {"networkMode", "bridge"}, {"containerDefinitions", {app, database}}});
  start_agent();
  ASSERT_TRUE(serves("v1", 90s)) << agent_log();
  auto seconds = [&](const std::string& name) {
    return shell("date -d \"$(docker inspect --format '{{.State.StartedAt}}' " + name + ")\" +%s").output;
  };
  const long db_started = std::stol(seconds(db));
  const long app_started = std::stol(seconds(name_));
  EXPECT_GE(app_started - db_started, 5) << "the app waited for the database to become healthy";
  EXPECT_TRUE(eventually([&] { return inspect(db, "{{.State.Health.Status}}") == "healthy"; }, 30s));
}

// networkMode host: the container binds the host's port itself, and a swap replaces it in place.
TEST_F(AgentE2E, AHostNetworkTaskServesOnTheHostsPortAndSwaps) {
  push("v1");
  json def = serving_def(name_, repo_ + ":live", port_);
  def["command"] = {"sh", "-c",
                    "trap 'exit 0' TERM; httpd -f -p 127.0.0.1:" + std::to_string(port_) + " -h /www & wait"};
  write_service({{"family", name_}, {"networkMode", "host"}, {"containerDefinitions", {def}}});
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  EXPECT_EQ(inspect(name_, "{{.HostConfig.NetworkMode}}"), "host");
  push("v2");
  EXPECT_TRUE(serves("v2", 60s)) << agent_log();
  EXPECT_EQ(settled_names("label=e2e.name=" + name_, name_ + "\n"), name_ + "\n") << "the swap ends";
}

// A labelled container removed while its registry check is in flight: the check ends on a service that is
// no longer listed by Docker. berth forgets the service once the check is over (under the asan preset, the
// check writing to a forgotten service's memory would abort the agent).
TEST_F(AgentE2E, ALabelledContainerRemovedDuringItsCheckIsForgottenOnceTheCheckEnds) {
  SilentRegistry registry;
  const std::string image = registry.host() + "/berth-e2e/" + name_ + ":live";
  set_config("watch_labeled", true);
  auto run = shell("docker pull -q " + source_repo_ + ":v1 >/dev/null && docker tag " + source_repo_ + ":v1 " + image +
                   " && docker run -d --name " + name_ + " --label berth.enable=true --label e2e.run=" + run_label() +
                   " --label e2e.name=" + name_ + " " + image);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  start_agent();
  ASSERT_TRUE(eventually([&] { return registry.held() > 0; }, 30s)) << "the check reaches the registry\n"
                                                                    << agent_log();
  ASSERT_EQ(shell("docker rm -f " + name_).exit_code, 0);
  // The agent lists labelled containers every 5 s: one listing at least happens during the check.
  std::this_thread::sleep_for(6s);
  registry.close();
  EXPECT_TRUE(eventually(
      [&] {
        const auto names = listed_services();
        return names && std::find(names->begin(), names->end(), name_) == names->end();
      },
      30s))
      << "the service is forgotten\n"
      << agent_log();
  EXPECT_TRUE(agent_->running()) << agent_log();
  shell("docker rmi " + image + " >/dev/null 2>&1");
}

// A labelled container whose tag was moved to another image before berth first saw it (Docker then lists
// the container's image by ID): berth follows the reference the container was created with.
TEST_F(AgentE2E, ALabelledContainerWhoseTagMovedIsFollowedByItsReference) {
  push("v1");
  set_config("watch_labeled", true);
  ASSERT_NO_FATAL_FAILURE(run_labelled_container());
  ASSERT_TRUE(serves("v1", 30s));
  push("v2");  // moves the local tag too: `docker ps` now shows the container's image as an ID
  start_agent();
  EXPECT_TRUE(serves("v2", 90s)) << agent_log();
  EXPECT_EQ(agent_log().find("library/sha256"), std::string::npos) << agent_log();
}

// A labelled container that stops (someone stopped it, or an engine restart left it down) stays watched with
// its state; an automatic update waits until it runs again instead of bringing it back.
TEST_F(AgentE2E, AStoppedLabelledContainerStaysWatchedAndIsUpdatedOnceItRunsAgain) {
  push("v1");
  set_config("watch_labeled", true);
  ASSERT_NO_FATAL_FAILURE(run_labelled_container());
  start_agent();
  ASSERT_TRUE(eventually([&] { return service_state(name_) == "running"; }, 30s)) << agent_log();
  ASSERT_EQ(shell("docker stop -t 1 " + name_).exit_code, 0);
  push("v2");
  // Two listings (every 5 s) and several checks (1 s poll) later: still listed, stopped, not updated.
  std::this_thread::sleep_for(12s);
  EXPECT_EQ(service_state(name_), "update available") << agent_log();
  // Other tests' labelled containers come and go on the same engine: only this one's lines count.
  const auto said_of_this_one = [&](const std::string& what) {
    std::istringstream lines(agent_log());
    for (std::string line; std::getline(lines, line);) {
      if (line.find(name_ + " ") != std::string::npos && line.find(what) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_FALSE(said_of_this_one("no longer watched")) << agent_log();
  EXPECT_FALSE(said_of_this_one("swap begins")) << agent_log();
  EXPECT_EQ(shell("docker inspect -f '{{.State.Running}}' " + name_).output, "false\n");
  ASSERT_EQ(shell("docker start " + name_).exit_code, 0);
  EXPECT_TRUE(serves("v2", 90s)) << agent_log();
  // Once the swap is proven, one container; none of the swap's was taken for a service of its own.
  EXPECT_TRUE(eventually(
      [&] {
        return shell("docker ps -a --filter label=e2e.name=" + name_ + " --format '{{.Names}}'").output == name_ + "\n";
      },
      60s))
      << agent_log();
  const auto names = listed_services();
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(std::count_if(names->begin(), names->end(), [&](const std::string& n) { return n.starts_with(name_); }), 1);
}

// The control endpoint answers only once the labelled containers are known: its first answer lists them.
TEST_F(AgentE2E, TheFirstAnswerOfTheApiListsTheLabelledContainers) {
  push("v1");
  set_config("watch_labeled", true);
  ASSERT_NO_FATAL_FAILURE(run_labelled_container());
  start_agent();
  std::optional<std::vector<std::string>> first;
  ASSERT_TRUE(eventually([&] { return (first = listed_services()).has_value(); }, 30s)) << agent_log();
  EXPECT_NE(std::find(first->begin(), first->end(), name_), first->end()) << agent_log();
  // Ready (for systemd too) comes after the listing.
  const std::string log = agent_log();
  const auto watching = log.find("watching the labelled container");
  ASSERT_NE(watching, std::string::npos) << log;
  EXPECT_LT(watching, log.find(" ready: ")) << log;
}

// A task definition's secrets (an SSM SecureString and a Secrets Manager json key, read with the instance
// role from the fake AWS endpoint) reach the container at every creation, and their values are nowhere
// under berth's state directory or in its log. A secret that cannot be read leaves the old container serving.
TEST_F(AgentE2E, SecretsReachTheContainerAndNothingElse) {
  BERTH_REQUIRE_ENV(aws, "BERTH_TEST_FAKE_AWS");
  const std::string ssm_value = "ssm-value-" + name_;
  const std::string sm_value = "sm-value-" + name_;
  const std::string parameter = "/berth-e2e/" + name_ + "/db";
  const auto fake_put = [&](const std::string& path, const json& body) {
    return fake_aws(aws, "PUT", path, body.dump());
  };
  ASSERT_EQ(fake_put("/_fake/ssm/" + parameter, {{"Type", "SecureString"}, {"Value", ssm_value}}).exit_code, 0);
  auto put = fake_put("/_fake/secrets/berth-e2e-" + name_, {{"SecretString", json{{"pw", sm_value}}.dump()}});
  ASSERT_EQ(put.exit_code, 0) << put.output;
  const std::string arn = json::parse(put.output).at("ARN").get<std::string>();
  set_config("aws", {{"endpoints", {{"imds", aws}, {"ssm", aws}, {"secretsmanager", aws}}}});
  push("v1");
  json task = web_task();
  task["containerDefinitions"][0]["secrets"] = {{{"name", "DB_PASSWORD"}, {"valueFrom", parameter}},
                                                {{"name", "API_KEY"}, {"valueFrom", arn + ":pw::"}}};
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  const auto env_of_container = [&] {
    return shell("docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' " + name_).output;
  };
  EXPECT_NE(env_of_container().find("DB_PASSWORD=" + ssm_value + "\n"), std::string::npos) << env_of_container();
  EXPECT_NE(env_of_container().find("API_KEY=" + sm_value + "\n"), std::string::npos) << env_of_container();
  push("v2");
  ASSERT_TRUE(serves("v2", 60s)) << agent_log();
  EXPECT_NE(env_of_container().find("DB_PASSWORD=" + ssm_value + "\n"), std::string::npos) << "read again for v2";
  // Nowhere else.
  const auto found_under_state = [&](const std::string& value) {
    return shell("grep -rlF -- '" + value + "' " + (dir_ / "state").string() + " || true").output;
  };
  EXPECT_EQ(found_under_state(ssm_value), "");
  EXPECT_EQ(found_under_state(sm_value), "");
  EXPECT_EQ(agent_log().find(ssm_value), std::string::npos);
  EXPECT_EQ(agent_log().find(sm_value), std::string::npos);

  // A parameter that does not exist: the change cannot begin, v2 keeps serving, the log names the code.
  // (Written once v2's swap has ended, or while it is still in its monitor window: either way it is tried.)
  task["containerDefinitions"][0]["secrets"][0]["valueFrom"] = parameter + "-missing";
  write_service(task);
  EXPECT_TRUE(eventually([&] { return agent_log().find("ParameterNotFound") != std::string::npos; }, 30s))
      << agent_log();
  EXPECT_EQ(http_get(port_), "v2");
  EXPECT_TRUE(agent_->running()) << agent_log();
}

// The whole of a host on EC2 with an instance role and no credential helper: the image is on ECR (the test
// environment's token registry under an ECR name, whose token server takes the passwords the fake ECR hands
// out), the task definition has an SSM secret, a Secrets Manager secret and an S3 environment file. It is
// deployed and swapped; the values reach the container and appear nowhere under berth's state directory or
// in its log; a warm check is one HEAD; with the instance's credentials and every ECR login expired, the next
// check renews them with one IMDS round and one accepted GetAuthorizationToken.
TEST_F(AgentE2E, OnEcrWithSecretsAndAnS3EnvironmentFileThroughTheInstanceRole) {
  BERTH_REQUIRE_ENV(aws, "BERTH_TEST_FAKE_AWS");
  BERTH_REQUIRE_ENV(ecr, "BERTH_TEST_REGISTRY_ECR");
  BERTH_REQUIRE_ENV(token_registry, "BERTH_TEST_REGISTRY_TOKEN");
  BERTH_REQUIRE_ENV(docker_config, "BERTH_TEST_DOCKER_CONFIG");
  // Pushed through the token registry (user berth); the ECR name serves the same storage.
  const std::string pushed = token_registry + "/private/" + name_ + ":live";
  const std::string image = ecr + "/private/" + name_ + ":live";
  const auto push_ecr = [&](const std::string& version) {
    return shell("docker pull -q " + source_repo_ + ":" + version + " >/dev/null && docker tag " + source_repo_ + ":" +
                 version + " " + pushed + " && DOCKER_CONFIG=" + docker_config + " docker push -q " + pushed);
  };
  const std::string ssm_value = "ssm-value-" + name_;
  const std::string sm_value = "sm-value-" + name_;
  const std::string s3_value = "s3-value-" + name_;
  const std::string parameter = "/berth-e2e/" + name_ + "/token";
  ASSERT_EQ(fake_aws(aws, "PUT", "/_fake/ssm/" + parameter, json{{"Type", "SecureString"}, {"Value", ssm_value}}.dump())
                .exit_code,
            0);
  auto secret = fake_aws(aws, "PUT", "/_fake/secrets/berth-e2e-ecr-" + name_, json{{"SecretString", sm_value}}.dump());
  ASSERT_EQ(secret.exit_code, 0) << secret.output;
  const std::string key = name_ + "/app.env";
  ASSERT_EQ(fake_aws(aws, "PUT", "/_fake/s3/berth-e2e-bucket/" + key,
                     "# from S3\nFROM_S3=" + s3_value + "\nGREETING=from the file\n")
                .exit_code,
            0);
  set_config("aws", {{"endpoints", {{"imds", aws}, {"ecr", aws}, {"ssm", aws}, {"secretsmanager", aws}, {"s3", aws}}}});
  set_config("poll", {{"interval", "1h"}, {"jitter", "0%"}});  // checks only when asked: counted exactly
  auto pushed_v1 = push_ecr("v1");
  ASSERT_EQ(pushed_v1.exit_code, 0) << pushed_v1.output;
  json task = web_task();
  auto& c = task["containerDefinitions"][0];
  c["image"] = image;
  c["secrets"] = {{{"name", "SSM_TOKEN"}, {"valueFrom", parameter}},
                  {{"name", "SM_PASSWORD"}, {"valueFrom", json::parse(secret.output).at("ARN")}}};
  c["environmentFiles"] = {{{"type", "s3"}, {"value", "arn:aws:s3:::berth-e2e-bucket/" + key}}};
  c["environment"] = {{{"name", "GREETING"}, {"value", "from the task"}}};
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 90s)) << agent_log();
  // The first deploy serves before its monitor window ends; an update asked for meanwhile is refused (409).
  ASSERT_TRUE(eventually(
      [&] {
        const std::string state = service_state(name_);
        return !state.empty() && state != "updating";
      },
      60s))
      << service_state(name_) << "\n"
      << agent_log();
  const auto env_of_container = [&] {
    return shell("docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' " + name_).output;
  };
  const auto expect_env = [&] {
    const std::string env = env_of_container();
    EXPECT_NE(env.find("SSM_TOKEN=" + ssm_value + "\n"), std::string::npos) << env;
    EXPECT_NE(env.find("SM_PASSWORD=" + sm_value + "\n"), std::string::npos) << env;
    EXPECT_NE(env.find("FROM_S3=" + s3_value + "\n"), std::string::npos) << env;
    // environment wins over the file, and the variable is there once.
    EXPECT_NE(env.find("GREETING=from the task\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("GREETING=from the file"), std::string::npos) << env;
  };
  expect_env();

  // Warm checks: one HEAD each, no token, no AWS request.
  const std::string registry_label = "{registry=\"" + ecr + "\"}";
  ASSERT_EQ(berth({"check", name_}).exit_code, 0) << agent_log();
  const long checks = metric("berth_checks" + registry_label);
  const long requests = metric("berth_registry_requests" + registry_label);
  const long tokens = metric("berth_token_requests" + registry_label);
  const long ecr_calls = metric("berth_aws_requests{kind=\"ecr\"}");
  ASSERT_GE(ecr_calls, 1) << "the first check logged in to ECR";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(berth({"check", name_}).exit_code, 0) << agent_log();
  }
  // (The agent may make a check of its own meanwhile: count checks, not only the three asked for.)
  const long warm_checks = metric("berth_checks" + registry_label) - checks;
  EXPECT_GE(warm_checks, 3);
  EXPECT_EQ(metric("berth_registry_requests" + registry_label) - requests, warm_checks) << "one HEAD per warm check";
  EXPECT_EQ(metric("berth_token_requests" + registry_label), tokens);
  EXPECT_EQ(metric("berth_aws_requests{kind=\"ecr\"}"), ecr_calls);

  // A swap: pulled from ECR with the login, secrets and S3 file read again for the new container.
  ASSERT_EQ(push_ecr("v2").exit_code, 0);
  auto update = berth({"update", name_, "--wait"});
  EXPECT_EQ(update.exit_code, 0) << update.output << agent_log();
  ASSERT_TRUE(serves("v2", 90s)) << agent_log();
  expect_env();

  // The instance's credentials and every ECR login stop working. The next check that needs the login (a
  // second service, on another repository, so no token of the registry's is cached for it) logs in again:
  // one IMDS credentials request (the IMDS session token is still good), GetAuthorizationToken refused
  // with the old credentials, then accepted with the new ones; the new service is pulled with that login.
  const std::string pushed_b = token_registry + "/private/" + name_ + "-b:live";
  ASSERT_EQ(shell("docker pull -q " + source_repo_ + ":v3 >/dev/null && docker tag " + source_repo_ + ":v3 " +
                  pushed_b + " && DOCKER_CONFIG=" + docker_config + " docker push -q " + pushed_b)
                .exit_code,
            0);
  ASSERT_EQ(fake_aws(aws, "POST", "/_fake/expire-credentials").exit_code, 0);
  ASSERT_EQ(fake_aws(aws, "POST", "/_fake/expire-ecr").exit_code, 0);
  const long imds_tokens = metric("berth_aws_requests{kind=\"imds_token\"}");
  const long imds_credentials = metric("berth_aws_requests{kind=\"imds_credentials\"}");
  const long ecr_before = metric("berth_aws_requests{kind=\"ecr\"}");
  const std::uint16_t port_b = reserve_port();
  json def_b = container_def(name_ + "b", port_b);
  def_b["image"] = ecr + "/private/" + name_ + "-b:live";
  write_service(json{{"family", name_ + "b"}, {"networkMode", "bridge"}, {"containerDefinitions", {def_b}}}, "b");
  EXPECT_TRUE(eventually([&] { return http_get(port_b) == "v3"; }, 90s)) << agent_log();
  EXPECT_EQ(metric("berth_aws_requests{kind=\"imds_token\"}") - imds_tokens, 0);
  EXPECT_EQ(metric("berth_aws_requests{kind=\"imds_credentials\"}") - imds_credentials, 1);
  EXPECT_EQ(metric("berth_aws_requests{kind=\"ecr\"}") - ecr_before, 2) << "refused with the old credentials, "
                                                                           "then accepted: one new login";
  EXPECT_EQ(http_get(port_), "v2");

  // Nowhere else.
  for (const auto& value : {ssm_value, sm_value, s3_value}) {
    EXPECT_EQ(shell("grep -rlF -- '" + value + "' " + (dir_ / "state").string() + " || true").output, "") << value;
    EXPECT_EQ(agent_log().find(value), std::string::npos) << value;
  }
  agent_.reset();
  shell("docker rmi " + pushed + " " + image + " " + pushed_b + " " + def_b["image"].get<std::string>() +
        " >/dev/null 2>&1");
}

// A service file changed while an image update of its service is still in its monitor window: the change
// is deployed once that swap ends (it used to wait for the next change of the files).
TEST_F(AgentE2E, AServiceFileChangedDuringASwapIsDeployedWhenTheSwapEnds) {
  push("v1");
  json task = web_task();
  task["containerDefinitions"][0]["dockerLabels"]["berth.monitor"] = "15s";
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  ASSERT_TRUE(eventually(
      [&] {
        return shell("docker ps -a --filter label=e2e.name=" + name_ + " --format '{{.Names}}'").output == name_ + "\n";
      },
      60s));
  push("v2");
  ASSERT_TRUE(serves("v2", 60s)) << agent_log();  // now in its 15 s monitor window
  task["containerDefinitions"][0]["environment"] = {{{"name", "CHANGED"}, {"value", "yes"}}};
  write_service(task);
  EXPECT_TRUE(eventually(
      [&] {
        return shell("docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' " + name_)
                   .output.find("CHANGED=yes\n") != std::string::npos;
      },
      90s))
      << agent_log();
  EXPECT_NE(agent_log().find("deployed once the swap ends"), std::string::npos) << agent_log();
  // The new container has the service's name before it starts (stop-first renames first, so the gap is
  // only stop + start): it serves once that swap ends.
  EXPECT_TRUE(serves("v2", 60s)) << agent_log();
}

// The service files change while the first deploy is still running (the "slow" image takes 6 s to serve):
// the deploy pass starts over with the new files, and every service is deployed once.
TEST_F(AgentE2E, ServiceFilesChangedDuringADeployAreAllDeployed) {
  push("slow");
  const std::uint16_t port_b = reserve_port();
  const std::uint16_t port_c = reserve_port();
  auto task = [&](const std::string& suffix, std::uint16_t port, const std::string& image) {
    json def = container_def(name_ + suffix, port);
    def["image"] = image;
    return json{{"family", name_ + suffix}, {"networkMode", "bridge"}, {"containerDefinitions", {def}}};
  };
  write_service(task("a", port_, repo_ + ":live"), "a");
  write_service(task("c", port_c, source_repo_ + ":v3"), "c");
  start_agent();
  ASSERT_TRUE(eventually([&] { return agent_log().find("swap begins (first start)") != std::string::npos; }, 60s))
      << agent_log();
  write_service(task("b", port_b, source_repo_ + ":v2"), "b");
  EXPECT_TRUE(serves("slow", 90s)) << agent_log();
  EXPECT_TRUE(eventually([&] { return http_get(port_b) == "v2" && http_get(port_c) == "v3"; }, 90s)) << agent_log();
  EXPECT_TRUE(agent_->running()) << agent_log();
  auto names = shell("docker ps -a --filter label=e2e.name=" + name_ + " --format '{{.Names}}' | sort");
  EXPECT_EQ(names.output, name_ + "a\n" + name_ + "b\n" + name_ + "c\n");
}

// kill -9 after every step of the journal, then a restart: a healthy service, one container, no leftovers.
class CrashRecovery : public AgentE2E, public ::testing::WithParamInterface<const char*> {};

TEST_P(CrashRecovery, RestartAfterKillNineEndsHealthy) {
  ASSERT_NO_FATAL_FAILURE(deploy_v1_then_stop());
  push("v2");
  start_agent({{"BERTH_FAULT_AFTER", GetParam()}});
  ASSERT_EQ(agent_->wait(90s), 128 + SIGKILL) << "the fault point fires\n" << agent_log();
  start_agent();
  ASSERT_TRUE(eventually(
      [&] {
        auto body = http_get(port_);
        auto names = shell("docker ps -a --filter label=e2e.name=" + name_ + " --format '{{.Names}}'");
        return (body == "v1" || body == "v2") && names.output == name_ + "\n";
      },
      90s))
      << agent_log();
  // Afterwards the service converges on the pushed version by itself.
  EXPECT_TRUE(serves("v2", 60s)) << agent_log();
}

// A swap during which berth dies at every start (as a bug on some input would make it) is given up after
// a few starts: rolled back without another health gate, its digest quarantined, berth running.
TEST_F(AgentE2E, ASwapThatStopsBerthAtEveryStartIsGivenUp) {
  ASSERT_NO_FATAL_FAILURE(deploy_v1_then_stop());
  push("broken");
  const std::map<std::string, std::string> dies_in_the_gate{{"BERTH_FAULT_BEFORE", "gate_old"}};
  for (int start = 1; start <= 3; ++start) {
    start_agent(dies_in_the_gate);
    ASSERT_EQ(agent_->wait(90s), 128 + SIGKILL) << "start " << start << "\n" << agent_log();
  }
  start_agent(dies_in_the_gate);
  const std::string history = history_with_rollback(60s);
  ASSERT_FALSE(history.empty()) << agent_log();
  EXPECT_NE(history.find("gave up on it"), std::string::npos) << history;
  EXPECT_TRUE(serves("v1", 10s));
  EXPECT_TRUE(fs::is_empty(dir_ / "state" / "swaps")) << "no swap left in the journal";
  // The digest is quarantined: polling does not start the same swap again.
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(agent_->running()) << agent_log();
  EXPECT_EQ(http_get(port_), "v1");
  auto names = shell("docker ps -a --filter label=e2e.name=" + name_ + " --format '{{.Names}}' | sort");
  EXPECT_EQ(names.output, name_ + "\n" + name_ + ".berth-failed\n");
}

// A version of its own for the test's repository: the v1 test image with one more setting, so another
// digest. Returns its digest. It is pushed as repo:stage-<n> and removed from the host before repo:live
// names it (its manifest put under that tag in the registry), so the agent, which polls live every second,
// never sees it on the host: the pull that brings it back is berth's own, and no container of berth's uses
// it when it is removed here.
std::string push_distinct(const std::string& source, const std::string& repo, const std::string& name, int n) {
  const std::string stage = repo + ":stage-" + std::to_string(n);
  const auto slash = repo.find('/');
  const std::string manifests = "http://" + repo.substr(0, slash) + "/v2" + repo.substr(slash) + "/manifests/";
  const std::string script =
      "set -e; d=$(mktemp -d); trap 'rm -rf $d' EXIT; "
      "c=$(docker create --label e2e.name=" +
      name + " " + source + ":v1); " + "id=$(docker commit --change 'ENV E2E_VERSION=" + std::to_string(n) + "' $c " +
      stage + ") || true; " + "docker rm $c >/dev/null; test -n \"$id\"; docker push -q " + stage +
      " >/dev/null; docker rmi " + stage + " >/dev/null; " +
      // The manifest as pushed, under the tag the service follows.
      "curl -sSf -D $d/head -o $d/manifest -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "
      "-H 'Accept: application/vnd.oci.image.manifest.v1+json' " +
      manifests + "stage-" + std::to_string(n) + "; " +
      "type=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' $d/head | tr -d '\\r'); "
      "curl -sSf -X PUT -H \"Content-Type: $type\" --data-binary @$d/manifest " +
      manifests + "live >/dev/null; " + "echo \"digest sha256:$(sha256sum < $d/manifest | cut -c1-64)\"";
  auto r = shell(script);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("digest sha256:");
  return at == std::string::npos ? std::string() : r.output.substr(at + 7, 71);
}

// The distinct images of the repository on the host (by ID).
int images_on_host(const std::string& repo) {
  auto r = shell("docker images -q --no-trunc " + repo + " | sort -u | grep -c . || true");
  return std::atoi(r.output.c_str());
}

TEST_F(AgentE2E, TenSwapsLeaveTheRunningAndThePreviousImage) {
  const std::string first = push_distinct(source_repo_, repo_, name_, 0);
  write_service(web_task());
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  std::string previous = first;
  std::string last;
  for (int n = 1; n <= 10; ++n) {
    last = push_distinct(source_repo_, repo_, name_, n);
    ASSERT_FALSE(last.empty());
    const bool swapped = eventually(
        [&] {
          auto h = json::parse(berth({"history", name_, "--json"}).output, nullptr, false);
          const auto swaps = h.is_discarded() ? json::array() : h.value("swaps", json::array());
          return !swaps.empty() && swaps[0].value("to_digest", std::string()) == last &&
                 swaps[0].value("result", std::string()) == "swapped";
        },
        90s);
    ASSERT_TRUE(swapped) << "swap " << n << "\n" << agent_log();
    if (n < 10) {
      previous = last;
    }
  }
  // Exactly the running version and the one `berth rollback` returns to; the eight before went.
  EXPECT_TRUE(eventually([&] { return images_on_host(repo_) == 2; }, 30s))
      << images_on_host(repo_) << " images\n"
      << shell("docker images --digests " + repo_).output << agent_log();
  EXPECT_EQ(shell("docker image inspect " + repo_ + "@" + last + " >/dev/null").exit_code, 0);
  EXPECT_EQ(shell("docker image inspect " + repo_ + "@" + previous + " >/dev/null").exit_code, 0);
  EXPECT_NE(agent_log().find("removed the old image"), std::string::npos);
  auto status = json::parse(berth({"status", name_, "--json"}).output, nullptr, false);
  ASSERT_FALSE(status.is_discarded());
  EXPECT_GT(status.value("images_bytes", std::int64_t{0}), 0) << status.dump();
  // The kept image is what a rollback needs: it goes back without a pull.
  auto back = berth({"rollback", name_, "--wait"});
  EXPECT_EQ(back.exit_code, 0) << back.output << agent_log();
  // Polling may already have swapped forward again (the tag still names the last version).
  auto h = json::parse(berth({"history", name_, "--json"}).output, nullptr, false);
  ASSERT_FALSE(h.is_discarded());
  const auto swaps = h.value("swaps", json::array());
  bool rolled = false;
  for (std::size_t i = 0; i < swaps.size() && i < 2; ++i) {
    rolled = rolled || (swaps[i].value("to_digest", std::string()) == previous &&
                        swaps[i].value("result", std::string()) == "swapped");
  }
  EXPECT_TRUE(rolled) << swaps.dump(2);
  EXPECT_TRUE(serves("v1", 10s));
}

TEST_F(AgentE2E, APullThatWouldLeaveTooLittleDiskIsRefusedAndTheServiceKeepsRunning) {
  push_distinct(source_repo_, repo_, name_, 0);
  write_service(web_task());
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  const std::string serving = inspect(name_, "{{.Id}}");
  agent_->signal(SIGTERM);
  ASSERT_EQ(agent_->wait(30s), 0) << agent_log();
  // Everything must stay free: no pull can pass.
  set_config("disk", {{"min_free", "100%"}});
  const std::string next = push_distinct(source_repo_, repo_, name_, 1);
  start_agent();
  ASSERT_TRUE(eventually([&] { return service_state(name_) == "disk low"; }, 60s)) << agent_log();
  // The update is retried every poll: between a check and its refusal the state reads "update available".
  std::string table;
  EXPECT_TRUE(eventually(
      [&] {
        table = berth({"status"}).output;
        return table.find(name_ + ": not enough disk space: ") != std::string::npos;
      },
      20s))
      << table;
  EXPECT_NE(table.find("nothing was pulled"), std::string::npos) << table;
  EXPECT_NE(shell("docker image inspect " + repo_ + "@" + next + " >/dev/null 2>&1").exit_code, 0)
      << "the image was not pulled";
  EXPECT_EQ(inspect(name_, "{{.Id}}"), serving) << "the running container is untouched";
  EXPECT_EQ(http_get(port_), "v1");
}

TEST_F(AgentE2E, OutsideItsWindowANewVersionWaitsUnlessAskedForNow) {
  // A window that opens twelve hours from now, every day.
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char span[32];
  std::snprintf(span, sizeof(span), "%02d:00-%02d:00 UTC", (utc.tm_hour + 12) % 24, (utc.tm_hour + 13) % 24);
  push("v1");
  json task = web_task();
  task["containerDefinitions"][0]["dockerLabels"]["berth.window"] = span;
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << "a first deploy does not wait for the window\n" << agent_log();
  push("v2");
  std::string state;
  ASSERT_TRUE(eventually(
      [&] {
        state = service_state(name_);
        return state.rfind("waiting for window (next: ", 0) == 0;
      },
      60s))
      << state << "\n"
      << agent_log();
  char next[16];
  std::snprintf(next, sizeof(next), "%02d:00 UTC)", (utc.tm_hour + 12) % 24);
  EXPECT_NE(state.find(next), std::string::npos) << state;
  std::this_thread::sleep_for(3s);  // several polls
  EXPECT_EQ(http_get(port_), "v1") << "no automatic swap outside the window";
  auto deferred = berth({"update", name_, "--in-window"});
  EXPECT_EQ(deferred.exit_code, 0) << deferred.output;
  EXPECT_NE(deferred.output.find("outside its update window; the update starts "), std::string::npos)
      << deferred.output;
  EXPECT_EQ(http_get(port_), "v1");
  auto now_please = berth({"update", name_, "--wait"});
  EXPECT_EQ(now_please.exit_code, 0) << now_please.output << agent_log();
  EXPECT_EQ(http_get(port_), "v2") << "berth update acts at once";
}

TEST_F(AgentE2E, FollowingASemverRangeSwapsToItsHighestTagOnly) {
  const auto push_as = [&](const std::string& version, const std::string& tag) {
    auto r = shell("docker pull -q " + source_repo_ + ":" + version + " >/dev/null && docker tag " + source_repo_ +
                   ":" + version + " " + repo_ + ":" + tag + " && docker push -q " + repo_ + ":" + tag);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  };
  push_as("v1", "1.0.0");
  json task = web_task();
  task["containerDefinitions"][0]["image"] = repo_ + ":1.0.0";
  task["containerDefinitions"][0]["dockerLabels"]["berth.follow"] = "semver:^1.0";
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  push_as("broken", "2.0.0");       // outside the range
  push_as("broken", "1.2.0-rc.1");  // a pre-release the range does not name
  push_as("v2", "1.1.0");
  // The new container answers while its gate runs: the swap ends after that.
  json history;
  ASSERT_TRUE(eventually(
      [&] {
        history = json::parse(berth({"history", name_, "--json"}).output, nullptr, false);
        const auto swaps = history.is_discarded() ? json::array() : history.value("swaps", json::array());
        return !swaps.empty() && swaps[0].value("result", std::string()) == "swapped" &&
               swaps[0].value("image", std::string()) == repo_ + ":1.1.0";
      },
      60s))
      << history.dump() << "\n"
      << agent_log();
  EXPECT_EQ(http_get(port_), "v2");
  EXPECT_EQ(inspect(name_, "{{.Config.Image}}"), repo_ + ":1.1.0");
  auto status = json::parse(berth({"status", name_, "--json"}).output, nullptr, false);
  ASSERT_FALSE(status.is_discarded());
  EXPECT_EQ(status.value("running_tag", std::string()), "1.1.0") << status.dump();
  EXPECT_EQ(status.value("follow", std::string()), "semver:^1.0");
  auto table = berth({"status"});
  EXPECT_NE(table.output.find(repo_ + ":1.1.0 (semver:^1.0)"), std::string::npos) << table.output;
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(http_get(port_), "v2") << "2.0.0 and 1.2.0-rc.1 are not followed";
}

// A network namespace of the test's own, joined to the host by a veth pair: a client there is a client on
// another machine. Removed with the object.
class OutsideHost {
 public:
  OutsideHost() {
    static std::atomic<int> made{0};
    const int n = made++;
    const int pid = static_cast<int>(::getpid());
    const std::string tag = "be" + std::to_string(pid % 100000) + "x" + std::to_string(n % 100);
    namespace_ = "berth-e2e-" + tag;
    host_if_ = tag + "h";
    const std::string subnet = "10.213." + std::to_string(pid % 250) + ".";
    host_address_ = subnet + std::to_string((n % 60) * 4 + 1);
    const std::string inside = subnet + std::to_string((n % 60) * 4 + 2);
    auto r = shell("ip netns add " + namespace_ + " && ip link add " + host_if_ + " type veth peer name " + tag +
                   "n && ip link set " + tag + "n netns " + namespace_ + " && ip addr add " + host_address_ +
                   "/30 dev " + host_if_ + " && ip link set " + host_if_ + " up && ip netns exec " + namespace_ +
                   " sh -c 'ip addr add " + inside + "/30 dev " + tag + "n && ip link set " + tag +
                   "n up && ip link set lo up && ip route add default via " + host_address_ + "' 2>&1");
    error_ = r.output;
    fd_ = r.exit_code == 0 ? ::open(("/run/netns/" + namespace_).c_str(), O_RDONLY | O_CLOEXEC) : -1;
  }
  ~OutsideHost() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    shell("ip link del " + host_if_ + " >/dev/null 2>&1; ip netns del " + namespace_ + " >/dev/null 2>&1");
  }
  OutsideHost(const OutsideHost&) = delete;
  OutsideHost& operator=(const OutsideHost&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] int netns_fd() const { return fd_; }
  // The host's address as the namespace sees it.
  [[nodiscard]] const std::string& host_address() const { return host_address_; }

 private:
  std::string namespace_;
  std::string host_if_;
  std::string host_address_;
  std::string error_;
  int fd_ = -1;
};

// start-first on a fixed host port (berth's port, switched in the kernel), with berth killed (-9) in the
// middle of the swap while a client on 127.0.0.1 and one in another network namespace each send a request
// every 10 ms: no request fails, the service answers while berth is down, and after the restart exactly
// one container has the service's name.
class FixedPortKill : public AgentE2E, public ::testing::WithParamInterface<const char*> {};

TEST_P(FixedPortKill, NoRequestFailsAndOneContainerKeepsTheName) {
  const OutsideHost outside;
  ASSERT_TRUE(outside.ok()) << outside.error();
  push("v1");
  json task = web_task();
  task["containerDefinitions"][0]["dockerLabels"]["berth.strategy"] = "start-first";
  write_service(task);
  auto validated = run_command({berth_binary(), "validate", "--config", (dir_ / "agent.json").string()});
  EXPECT_NE(validated.output.find("host port " + std::to_string(port_) + "/tcp is switched by berth"),
            std::string::npos)
      << validated.output;
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  // The port is berth's: Docker publishes the container on a loopback port of its own, not on port_.
  EXPECT_EQ(inspect(name_, "{{(index (index .HostConfig.PortBindings \"80/tcp\") 0).HostIp}}"), "127.0.0.1");
  agent_->signal(SIGTERM);
  ASSERT_EQ(agent_->wait(30s), 0) << agent_log();
  // From here on the clients count every failure, berth stopped or not.
  LoadProbe local(port_, 10ms);
  LoadProbe remote(outside.host_address(), port_, 10ms, outside.netns_fd());
  ASSERT_TRUE(eventually([&] { return remote.report().requests > 10 && local.report().requests > 10; }, 10s));
  push("v2");
  start_agent({{"BERTH_FAULT_AFTER", GetParam()}});
  ASSERT_EQ(agent_->wait(90s), 128 + SIGKILL) << "the fault point fires\n" << agent_log();
  std::this_thread::sleep_for(1s);  // berth is down: the kernel's rules keep the service answering
  start_agent();
  ASSERT_TRUE(eventually(
      [&] {
        auto names = shell("docker ps -a --filter label=e2e.name=" + name_ + " --format '{{.Names}}'");
        return names.output == name_ + "\n" && !service_state(name_).empty();
      },
      90s))
      << agent_log();
  EXPECT_TRUE(serves("v2", 60s)) << "the service converges on the pushed version\n" << agent_log();
  // The swap that brought v2 (after a rollback, a later one) retires the old container once it is drained.
  EXPECT_EQ(settled_names("label=e2e.name=" + name_, name_ + "\n"), name_ + "\n") << agent_log();
  local.stop();
  remote.stop();
  const auto near = local.report();
  const auto far = remote.report();
  EXPECT_EQ(near.failures, 0) << "of " << near.requests << " on 127.0.0.1, longest gap " << near.longest_gap.count()
                              << " ms\n"
                              << agent_log();
  EXPECT_EQ(far.failures, 0) << "of " << far.requests << " from another namespace, longest gap "
                             << far.longest_gap.count() << " ms";
  EXPECT_GT(far.requests, 100);
  EXPECT_EQ(far.bodies_seen, (std::vector<std::string>{"v1", "v2"}));
  // What an operator sees: the port leads to the serving container.
  const std::string address = inspect(name_, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
  auto map = shell("nft list map ip berth ports");
  EXPECT_NE(map.output.find(std::to_string(port_) + " : " + address + " . 80"), std::string::npos) << map.output;
}

// A service that stops being start-first gets its port back from Docker: berth lets go of it before the
// container that publishes it starts, and the port answers throughout the change but for the stop-first gap.
TEST_F(AgentE2E, AFixedPortGoesBackToDockerWhenTheServiceIsNoLongerStartFirst) {
  push("v1");
  json task = web_task();
  task["containerDefinitions"][0]["dockerLabels"]["berth.strategy"] = "start-first";
  write_service(task);
  start_agent();
  ASSERT_TRUE(serves("v1", 60s)) << agent_log();
  const std::string element = std::to_string(port_) + " : ";
  EXPECT_NE(shell("nft list map ip berth ports").output.find(element), std::string::npos);
  const std::string first = inspect(name_, "{{.Id}}");
  task["containerDefinitions"][0]["dockerLabels"]["berth.strategy"] = "stop-first";
  write_service(task);
  ASSERT_TRUE(eventually([&] { return inspect(name_, "{{.Id}}") != first && http_get(port_) == "v1"; }, 60s))
      << agent_log();
  EXPECT_EQ(inspect(name_, "{{(index (index .HostConfig.PortBindings \"80/tcp\") 0).HostPort}}"), std::to_string(port_))
      << "Docker publishes the port again";
  EXPECT_EQ(shell("nft list map ip berth ports").output.find(element), std::string::npos) << "berth let go of it";
}

INSTANTIATE_TEST_SUITE_P(MidSwap, FixedPortKill, ::testing::Values("start_new", "move_port", "drain_old"),
                         [](const auto& step) { return std::string(step.param); });

INSTANTIATE_TEST_SUITE_P(EveryStep, CrashRecovery,
                         ::testing::Values("pull", "create_new", "stop_old", "neutralise_old", "rename_old_to_prev",
                                           "rename_next_to_name", "start_new", "gate_new", "remove_old"),
                         [](const auto& step) { return std::string(step.param); });

}  // namespace
}  // namespace berth::test
