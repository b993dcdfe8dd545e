// `berth fleet` against ten agents on this machine: each with its own directory, state, TLS listener
// on 127.0.0.1 and one service on a port of its own, all on the shared Docker Engine, all trusted by
// the fingerprint of one self-signed certificate, all knowing the fleet token only by its hash. The
// folder is *_serial: ten agents and their swaps are enough load for a 2-core machine.
#include "control/tokens.hpp"
#include "support/agent_e2e.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>

namespace berth::test {
namespace {

constexpr int kHosts = 10;
// Hosts whose gate gives up after 5 s: the `slow` image (it serves after 6 s) fails there only.
constexpr std::array<int, 2> kShortGateHosts{2, 4};

class FleetE2E : public AgentE2E {
 protected:
  struct Host {
    std::string name;
    fs::path dir;
    std::uint16_t api_port = 0;
    std::uint16_t port = 0;  // the service's
    std::unique_ptr<ChildProcess> agent;
  };

  void SetUp() override {
    AgentE2E::SetUp();
    if (HasFatalFailure() || IsSkipped()) {
      return;
    }
    const std::string cert = (dir_ / "cert.pem").string();
    auto made = shell(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=berth-fleet-e2e -addext subjectAltName=IP:127.0.0.1 -keyout " +
        (dir_ / "key.pem").string() + " -out " + cert + " 2>&1");
    ASSERT_EQ(made.exit_code, 0) << made.output;
    ::chmod((dir_ / "key.pem").c_str(), 0600);
    // "sha256 Fingerprint=AB:CD:...": the form an admin copies into the hosts file.
    auto fp = shell("openssl x509 -noout -fingerprint -sha256 -in " + cert);
    ASSERT_EQ(fp.exit_code, 0) << fp.output;
    fingerprint_ = "sha256:" + fp.output.substr(fp.output.find('=') + 1);
    fingerprint_.erase(fingerprint_.find_last_not_of("\n ") + 1);
    auto random = shell("head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'");
    ASSERT_EQ(random.output.size(), 64U) << random.output;
    token_ = "berth_" + random.output;
  }

  void TearDown() override {
    for (auto& h : hosts_) {
      h.agent.reset();
    }
    AgentE2E::TearDown();
  }

  // Agent i: its agent.json (polls hourly: only the fleet moves it), the fleet token by its hash, one
  // service of policy manual on a port of its own, and the daemon.
  void add_host(int i, bool short_gate) {
    Host h;
    h.name = "host-" + std::to_string(i);
    h.dir = dir_ / h.name;
    h.api_port = reserve_port();
    h.port = reserve_port();
    const fs::path config = h.dir / "agent.json";
    write_text(config, json{{"state_dir", (h.dir / "state").string()},
                            {"services_dir", (h.dir / "services.d").string()},
                            {"watch_labeled", false},
                            {"poll", {{"interval", "1h"}, {"jitter", "0%"}}},
                            {"api",
                             {{"socket", (h.dir / "api.sock").string()},
                              {"listen", "127.0.0.1:" + std::to_string(h.api_port)},
                              {"tls", {{"cert", (dir_ / "cert.pem").string()}, {"key", (dir_ / "key.pem").string()}}},
                              {"tokens_file", (h.dir / "tokens.json").string()}}},
                            {"docker_config", nullptr},
                            {"log", {{"level", "info"}}}}
                           .dump(2));
    auto added = run_command({berth_binary(), "token", "add", "--name", "fleet", "--scope", "deploy", "--sha256",
                              control::hash_token(token_), "--config", config.string()});
    ASSERT_EQ(added.exit_code, 0) << added.output;
    const std::string container = name_ + "-h" + std::to_string(i);
    json def = container_def(container, h.port);
    def["dockerLabels"]["berth.policy"] = "manual";
    if (short_gate) {
      def["healthCheck"]["retries"] = 1;  // 1 x 5 s, ECS's shortest; the others have 2 x 5 s
    }
    write_text(h.dir / "services.d" / (container + ".json"),
               json{{"family", container}, {"networkMode", "bridge"}, {"containerDefinitions", {def}}}.dump(2));
    h.agent =
        std::make_unique<ChildProcess>(std::vector<std::string>{berth_binary(), "agent", "--config", config.string()},
                                       std::map<std::string, std::string>{}, (h.dir / "agent.log").string());
    hosts_.push_back(std::move(h));
  }

  // A hosts file of every agent, pinned by the certificate's fingerprint; `extra` lines are appended.
  std::string hosts_file(const std::string& file, const std::map<int, std::string>& pins = {},
                         const std::string& extra = {}) {
    std::string text = "# the e2e fleet\n\n";
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      const auto pin = pins.find(static_cast<int>(i));
      text += "https://127.0.0.1:" + std::to_string(hosts_[i].api_port) + "  " + hosts_[i].name + "  " +
              (pin == pins.end() ? fingerprint_ : pin->second) + "\n";
    }
    text += extra;
    write_text(dir_ / file, text);
    return (dir_ / file).string();
  }

  RunResult fleet(std::vector<std::string> args, const std::string& hosts, const std::string& token = {}) {
    args.insert(args.begin(), {berth_binary(), "fleet"});
    args.insert(args.end(), {"--hosts", hosts});
    return run_command(args, {{"BERTH_TOKEN", token.empty() ? token_ : token}}, 300s);
  }

  static json json_of(const RunResult& r) {
    const auto start = r.output.find('{');
    const auto end = r.output.rfind('}');
    if (start == std::string::npos || end == std::string::npos) {
      return json();
    }
    return json::parse(r.output.substr(start, end - start + 1), nullptr, false);
  }

  // The digest the registry gives repo:live now.
  std::string live_digest() {
    auto r = shell("docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' " + repo_ + ":live");
    const auto at = r.output.find(repo_ + "@");
    return at == std::string::npos ? std::string() : r.output.substr(at + repo_.size() + 1, 71);
  }

  // What each host's service answers, in host order.
  std::vector<std::string> bodies() {
    std::vector<std::string> out;
    for (const auto& h : hosts_) {
      out.push_back(http_get(h.port));
    }
    return out;
  }

  std::string logs() const {
    std::string out;
    for (const auto& h : hosts_) {
      out += "--- " + h.name + "\n" + read_text(h.dir / "agent.log");
    }
    return out;
  }

  std::vector<Host> hosts_;
  std::string fingerprint_;
  std::string token_;
};

std::vector<std::string> repeat(const std::string& body, int n) { return std::vector<std::string>(n, body); }

std::string described(const std::vector<std::string>& bodies) {
  std::string out = "the services answer:";
  for (const auto& b : bodies) {
    out += " '" + b + "'";
  }
  return out + "\n";
}

TEST_F(FleetE2E, RollsOutToTenAgentsWithACanaryConcurrencyAndMaxErrors) {
  push("v1");
  const std::string v1 = live_digest();
  for (int i = 0; i < kHosts; ++i) {
    add_host(i, std::find(kShortGateHosts.begin(), kShortGateHosts.end(), i) != kShortGateHosts.end());
  }
  ASSERT_TRUE(eventually([&] { return bodies() == repeat("v1", kHosts); }, 180s)) << described(bodies()) << logs();
  const std::string hosts = hosts_file("hosts");

  // status: every host's service, over TLS trusted by the pinned fingerprint, with the fleet token,
  // once each first deploy has ended (its monitor window runs after the service answers).
  RunResult status;
  json doc;
  const auto all_on = [&](const std::string& digest) {
    status = fleet({"status", "--json"}, hosts);
    doc = json_of(status);
    if (status.exit_code != 0 || !doc.is_object() || doc["hosts"].size() != static_cast<std::size_t>(kHosts)) {
      return false;
    }
    return std::all_of(doc["hosts"].begin(), doc["hosts"].end(), [&](const json& h) {
      return h.contains("services") && h["services"].size() == 1 && h["services"][0]["running_digest"] == digest &&
             h["services"][0]["state"] != "updating";
    });
  };
  ASSERT_TRUE(eventually([&] { return all_on(v1); }, 60s)) << status.output;
  auto stranger = fleet({"status"}, hosts, "berth_" + std::string(64, '0'));
  EXPECT_EQ(stranger.exit_code, 4) << "a token no agent knows\n" << stranger.output;

  // A good digest reaches all ten: the canary first, then three at once.
  push("v2");
  const std::string v2 = live_digest();
  auto check = fleet({"check", "--json"}, hosts);
  ASSERT_EQ(check.exit_code, 0) << check.output;
  doc = json_of(check);
  for (const auto& h : doc["hosts"]) {
    EXPECT_EQ(h["services"][0]["update_available"], true) << h.dump();
    EXPECT_EQ(h["services"][0]["newest_digest"], v2) << h.dump();
  }
  auto good = fleet({"update", "--all", "--canary", "1", "--max-concurrency", "3", "--yes", "--json"}, hosts);
  ASSERT_EQ(good.exit_code, 0) << good.output << logs();
  doc = json_of(good);
  EXPECT_EQ(doc["result"], "done") << good.output;
  EXPECT_EQ(doc["digest"], v2);
  EXPECT_EQ(doc["summary"]["done"], kHosts) << good.output;
  EXPECT_EQ(doc["hosts"][0]["canary"], true);
  for (const auto& h : doc["hosts"]) {
    EXPECT_EQ(h["digest"], v2) << h.dump();
    EXPECT_EQ(h["from_digest"], v1) << h.dump();
  }
  EXPECT_EQ(bodies(), repeat("v2", kHosts));

  // Already there: every host counts as done without a swap.
  auto noop = fleet({"update", "--all", "--max-concurrency", "100%", "--yes", "--json"}, hosts);
  ASSERT_EQ(noop.exit_code, 0) << noop.output;
  doc = json_of(noop);
  for (const auto& h : doc["hosts"]) {
    EXPECT_NE(h["step"].get<std::string>().find("up to date"), std::string::npos) << h.dump();
  }

  // A broken digest stops after the canary: it is rolled back and serves v2, nine hosts are untouched.
  push("broken");
  auto broken = fleet({"update", "--all", "--canary", "1", "--max-concurrency", "3", "--yes", "--json"}, hosts);
  EXPECT_EQ(broken.exit_code, 3) << broken.output << logs();
  doc = json_of(broken);
  EXPECT_EQ(doc["stop_reason"], "canary_failed") << broken.output;
  EXPECT_EQ(doc["hosts"][0]["state"], "failed");
  EXPECT_NE(doc["hosts"][0]["step"].get<std::string>().find("rolled back"), std::string::npos) << broken.output;
  EXPECT_EQ(doc["hosts"][0]["digest"], v2) << "the canary serves its old version";
  EXPECT_EQ(doc["summary"]["not_started"], kHosts - 1);
  EXPECT_EQ(bodies(), repeat("v2", kHosts));
  status = fleet({"status", "--json"}, hosts);
  doc = json_of(status);
  for (const auto& h : doc["hosts"]) {
    EXPECT_EQ(h["services"][0]["running_digest"], v2) << h.dump();
  }

  // Two hosts fail the gate of `slow`: with --max-errors 1 the second failure stops the rollout. The
  // plain output (not a terminal) has a line per change and the summary says why it stopped.
  push("slow");
  auto slow = fleet({"update", "--all", "--max-concurrency", "3", "--max-errors", "1", "--yes"}, hosts);
  EXPECT_EQ(slow.exit_code, 3) << slow.output << logs();
  EXPECT_NE(slow.output.find("; stopped: 2 failures, more than --max-errors 1"), std::string::npos) << slow.output;
  EXPECT_NE(slow.output.find("host-2: failed"), std::string::npos) << slow.output;
  EXPECT_NE(slow.output.find("host-4: failed"), std::string::npos) << slow.output;
  EXPECT_NE(slow.output.find("host-9: not started"), std::string::npos) << slow.output;
  EXPECT_EQ(slow.output.find("host-9: running"), std::string::npos) << slow.output;
  EXPECT_NE(slow.output.find(" 2 failed, "), std::string::npos) << slow.output;
  auto after_slow = bodies();
  EXPECT_EQ(after_slow[0], "slow");
  EXPECT_EQ(after_slow[2], "v2") << "rolled back";
  EXPECT_EQ(after_slow[4], "v2") << "rolled back";
  EXPECT_EQ(after_slow[9], "v2") << "not started";

  // An unreachable host and a host whose certificate is not the pinned one both count as failures;
  // the refused host is never asked to do anything.
  push("v3");
  const std::string ghost = "https://127.0.0.1:" + std::to_string(reserve_port()) + " ghost " + fingerprint_ + "\n";
  const std::string wrong_pin = "sha256:" + std::string(64, 'a');
  const std::string mixed = hosts_file("mixed", {{9, wrong_pin}}, ghost);
  auto partial = fleet({"update", "--all", "--max-concurrency", "10", "--max-errors", "2", "--yes", "--json"}, mixed);
  EXPECT_EQ(partial.exit_code, 3) << partial.output << logs();
  doc = json_of(partial);
  ASSERT_EQ(doc["hosts"].size(), static_cast<std::size_t>(kHosts + 1)) << partial.output;
  EXPECT_EQ(doc["result"], "done") << "two failures are within --max-errors 2";
  EXPECT_EQ(doc["summary"]["failed"], 2);
  EXPECT_EQ(doc["summary"]["done"], kHosts - 1);
  EXPECT_EQ(doc["hosts"][9]["state"], "failed");
  const std::string refused = doc["hosts"][9]["error"].get<std::string>();
  EXPECT_NE(refused.find("refused: its certificate is sha256:"), std::string::npos) << partial.output;
  EXPECT_NE(refused.find("not the pinned " + wrong_pin), std::string::npos) << partial.output;
  EXPECT_EQ(doc["hosts"][10]["host"], "ghost");
  EXPECT_NE(doc["hosts"][10]["error"].get<std::string>().find("unreachable"), std::string::npos) << partial.output;
  auto after = bodies();
  EXPECT_EQ(after[9], "v2") << "the refused host is untouched";
  after.pop_back();
  EXPECT_EQ(after, repeat("v3", kHosts - 1));
}

}  // namespace
}  // namespace berth::test
