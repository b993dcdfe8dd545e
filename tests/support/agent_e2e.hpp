#pragma once

// The fixture of the e2e tests that run the berth binary as a user does: a directory of its own with
// agent.json, services.d and the state dir, a test repository of its own in the plain registry (so
// a push moves only this test's services), the daemon as a child process, the CLI, and the cleanup of
// everything labelled with the test's name. Tests that run several agents (berth fleet) build on it.

#include "support/http_probe.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace berth::test {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// The berth binary under test: this build's, or $BERTH_TEST_BINARY (another build of the same tests'
// subject, such as a sanitizer build).
inline std::string berth_binary() { return env_or("BERTH_TEST_BINARY", BERTH_BINARY); }

class AgentE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_DOCKER();
    BERTH_REQUIRE_ENV(registry, "BERTH_TEST_REGISTRY_PLAIN");
    BERTH_REQUIRE_ENV(v1, "BERTH_TEST_IMAGE_V1");
    registry_ = registry;
    source_repo_ = v1.substr(0, v1.rfind(':'));
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    // Short: container names are DNS names on the task's network (63 characters at most per label).
    name_ = "e2e-" + run_label() + "-" + std::to_string(std::hash<std::string>{}(test) % 100000);
    // A repository of this test's own, so that pushing to it moves only this test's service.
    repo_ = registry_ + "/berth-e2e/" + name_;
    dir_ = fs::temp_directory_path() / name_;
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "services.d");
    port_ = reserve_port();
    write_text(
        dir_ / "agent.json",
        json{{"state_dir", (dir_ / "state").string()},
             {"services_dir", (dir_ / "services.d").string()},
             {"watch_labeled", false},
             {"poll", {{"interval", "1s"}, {"jitter", "0%"}}},
             {"api", {{"socket", (dir_ / "api.sock").string()}, {"tokens_file", (dir_ / "tokens.json").string()}}},
             {"docker_config", nullptr},
             {"log", {{"level", "debug"}}}}
            .dump(2));
  }

  void TearDown() override {
    agent_.reset();
    // A host port berth switched for this test's service: the kernel keeps it after berth is gone.
    shell("nft delete element ip berth ports '{ " + std::to_string(port_) + " }' >/dev/null 2>&1");
    shell("docker ps -aq --filter label=e2e.run=" + run_label() + " --filter label=e2e.name=" + name_ +
          " | xargs -r docker rm -f >/dev/null 2>&1");
    // The namespace holders of this test's awsvpc tasks (named <family>.berth-holder), its task volumes
    // (berth-<family>-<volume>) and networks (berth-<family>): every family here starts with name_.
    shell("docker ps -aq --filter label=berth.role=holder --filter name=^" + name_ +
          " | xargs -r docker rm -f >/dev/null 2>&1");
    shell("docker volume ls -q --filter name=^berth-" + name_ + " | xargs -r docker volume rm >/dev/null 2>&1");
    shell("docker network ls -q --filter name=berth-" + name_ + " | xargs -r docker network rm >/dev/null 2>&1");
    // By reference, never by image id: the tests run in parallel and tag the same test images into
    // their own repositories, so removing an id would untag another test's image under its feet.
    shell("docker images --digests --format '{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}' " + repo_ +
          " | tr ' ' '\\n' | grep -v -e ':<none>$' -e '@<none>$' | sort -u | xargs -r docker rmi >/dev/null 2>&1");
    if (!HasFailure()) {
      fs::remove_all(dir_);
    } else {
      std::printf("agent log kept in %s\n", (dir_ / "agent.log").c_str());
    }
  }

  // Points repo:live at one of the test images (v1, v2, broken, slow) and pushes it.
  void push(const std::string& version) {
    auto r = shell("docker pull -q " + source_repo_ + ":" + version + " >/dev/null && docker tag " + source_repo_ +
                   ":" + version + " " + repo_ + ":live && docker push -q " + repo_ + ":live");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  json container_def(const std::string& name, int host_port, const std::string& probe_path = "/") const {
    return json{
        {"name", name},
        {"image", repo_ + ":live"},
        {"essential", true},
        {"portMappings", {{{"containerPort", 80}, {"hostPort", host_port}, {"protocol", "tcp"}}}},
        // Short ECS timings, so a broken version fails its gate in seconds: 2 x 5 s.
        {"healthCheck",
         {{"command", {"CMD-SHELL", "true"}}, {"interval", 5}, {"timeout", 2}, {"retries", 2}, {"startPeriod", 0}}},
        {"dockerLabels",
         {{"berth.probe", "http://:" + std::to_string(host_port) + probe_path},
          {"berth.monitor", "1s"},
          {"e2e.run", run_label()},
          {"e2e.name", name_}}}};
  }

  void write_service(const json& task, const std::string& file = {}) {
    write_text(dir_ / "services.d" / ((file.empty() ? name_ : file) + ".json"), task.dump(2));
  }

  void set_config(const std::string& key, const json& value) {
    auto config = json::parse(read_text(dir_ / "agent.json"));
    config[key] = value;
    write_text(dir_ / "agent.json", config.dump(2));
  }

  // The services `berth status --json` lists; nullopt when it fails.
  std::optional<std::vector<std::string>> listed_services() {
    auto status = berth({"status", "--json"});
    auto body = json::parse(status.output, nullptr, false);
    if (status.exit_code != 0 || body.is_discarded()) {
      return std::nullopt;
    }
    std::vector<std::string> names;
    for (const auto& s : body.value("services", json::array())) {
      names.push_back(s.value("name", std::string()));
    }
    return names;
  }

  // The state `berth status --json` gives the service; empty when it is not listed.
  std::string service_state(const std::string& name) {
    auto status = berth({"status", "--json"});
    auto body = json::parse(status.output, nullptr, false);
    if (status.exit_code != 0 || body.is_discarded()) {
      return "";
    }
    for (const auto& s : body.value("services", json::array())) {
      if (s.value("name", std::string()) == name) {
        return s.value("state", std::string());
      }
    }
    return "";
  }

  // A hand-started container of the test's image, labelled for berth, published on the test's port.
  void run_labelled_container() {
    auto run = shell("docker run -d --name " + name_ + " -p 127.0.0.1:" + std::to_string(port_) +
                     ":80 --label berth.enable=true --label berth.probe=http://:" + std::to_string(port_) +
                     "/ --label e2e.run=" + run_label() + " --label e2e.name=" + name_ + " " + repo_ + ":live");
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }

  json web_task() const {
    return json{{"family", name_}, {"networkMode", "bridge"}, {"containerDefinitions", {container_def(name_, port_)}}};
  }

  void start_agent(const std::map<std::string, std::string>& env = {}) {
    agent_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{berth_binary(), "agent", "--config", (dir_ / "agent.json").string()}, env,
        (dir_ / "agent.log").string());
  }

  RunResult berth(std::vector<std::string> args) {
    args.insert(args.begin(), berth_binary());
    args.push_back("--url");
    args.push_back("unix://" + (dir_ / "api.sock").string());
    return run_command(args, {}, 180s);
  }

  bool serves(const std::string& body, std::chrono::milliseconds bound) {
    return eventually([&] { return http_get(port_) == body; }, bound);
  }

  std::string agent_log() const { return read_text(dir_ / "agent.log"); }

  // A request to the fake AWS endpoint's test controls (/_fake/...) with `body` as is; its answer's body.
  RunResult fake_aws(const std::string& base, const std::string& method, const std::string& path,
                     const std::string& body = {}) {
    write_text(dir_ / "fake-body", body);
    return shell("curl -sf -X " + method + " --data-binary @" + (dir_ / "fake-body").string() + " " + base + path);
  }

  // A counter of the agent's /metrics (the sample named exactly `sample`, labels included); -1 when absent.
  long metric(const std::string& sample) {
    auto r = shell("curl -sf --unix-socket " + (dir_ / "api.sock").string() + " http://berth/metrics");
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(sample + " ")) {
        return std::stol(line.substr(sample.size() + 1));
      }
    }
    return -1;
  }

  // `docker inspect --format FORMAT name`, without the trailing newline.
  static std::string inspect(const std::string& name, const std::string& format) {
    auto r = shell("docker inspect --format '" + format + "' " + name);
    return r.output.substr(0, r.output.find_last_not_of('\n') + 1);
  }

  // The names of the containers `docker ps -a --filter FILTER` lists (sorted, one per line) once they are
  // `expected`, or as they are after 30 s.
  static std::string settled_names(const std::string& filter, const std::string& expected) {
    std::string names;
    eventually(
        [&] {
          names = shell("docker ps -a --filter " + filter + " --format '{{.Names}}' | LC_ALL=C sort").output;
          return names == expected;
        },
        30s);
    return names;
  }

  // A container that serves the image's /www on `port` (for tasks that do not run on port 80).
  json serving_def(const std::string& name, const std::string& image, std::uint16_t port) const {
    json def = container_def(name, port);
    def["image"] = image;
    def["portMappings"] = {{{"containerPort", port}}};
    def["command"] = {"sh", "-c", "trap 'exit 0' TERM; httpd -f -p " + std::to_string(port) + " -h /www & wait"};
    return def;
  }

  // Deploys v1 and stops the agent once it serves: the next start finds a service to swap.
  void deploy_v1_then_stop() {
    push("v1");
    write_service(web_task());
    start_agent();
    ASSERT_TRUE(serves("v1", 60s)) << agent_log();
    agent_->signal(SIGTERM);
    ASSERT_EQ(agent_->wait(30s), 0) << agent_log();
  }

  // `berth history --json` of the service once it lists a rolled back swap; empty when none came in time.
  std::string history_with_rollback(std::chrono::milliseconds bound) {
    std::string found;
    eventually(
        [&] {
          auto h = berth({"history", name_, "--json"});
          found = h.exit_code == 0 && h.output.find("rolled_back") != std::string::npos ? h.output : "";
          return !found.empty();
        },
        bound);
    return found;
  }

  std::string registry_;
  std::string source_repo_;
  std::string repo_;
  std::string name_;
  fs::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> agent_;
};

}  // namespace berth::test
