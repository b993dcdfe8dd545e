// The client commands against a real server over TLS: exit codes, tables, --json, update --wait
// following the event stream, and a token made by `berth token create` used without a restart.
#include "cli/client.hpp"
#include "cli/exit_codes.hpp"
#include "control/token_store.hpp"
#include "control_fixture.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>

namespace berth::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class CliTest : public ::testing::Test {
 protected:
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  void SetUp() override {
    spdlog::set_level(spdlog::level::err);  // the server's log shares stdout with the output under test
    ::unsetenv("BERTH_TOKEN");
    ::unsetenv("BERTH_CONFIG");
    tokens_file_ = dir_.file("tokens.json");
    const auto now = std::chrono::system_clock::now();
    std::ofstream(dir_.file("deploy.token"))
        << control::TokenStore(tokens_file_).create("ci", control::Scope::kDeploy, now).value() << "\n";
    std::ofstream(dir_.file("read.token"))
        << control::TokenStore(tokens_file_).create("reader", control::Scope::kRead, now).value() << "\n";
    auto st = server_.start(tls_settings(tokens_file_), dir_.file("state"));
    ASSERT_TRUE(st) << st.error().message;
    url_ = "https://127.0.0.1:" + std::to_string(server_.port());
  }

  // Runs `berth <args>` with stdout and stderr captured.
  int berth(std::vector<std::string> args) {
    args.insert(args.begin(), "berth");
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = cli::run_client_command(static_cast<int>(args.size()), argv.data());
    out_ = ::testing::internal::GetCapturedStdout();
    err_ = ::testing::internal::GetCapturedStderr();
    return code;
  }

  std::vector<std::string> remote(std::vector<std::string> args, const std::string& token_file = "deploy.token") {
    for (std::string extra : {"--url", url_.c_str(), "--cacert", test_pki().ca.c_str()}) {
      args.push_back(extra);
    }
    if (!token_file.empty()) {
      args.push_back("--token-file");
      args.push_back(dir_.file(token_file));
    }
    return args;
  }

  // Plays the agent's part of a swap once the CLI has asked for it.
  std::thread play_swap(const std::string& id, const std::string& result) {
    const json record{{"id", id},
                      {"service", "web"},
                      {"result", result},
                      {"from_digest", "sha256:" + std::string(64, 'a')},
                      {"to_digest", "sha256:" + std::string(64, 'b')},
                      {"reason", "probe failed"}};
    server_.backend().set_swap(id, {{"id", id}, {"service", "web"}, {"result", "pending"}});
    std::size_t seen = 0;
    for (const auto& c : server_.backend().calls()) {
      seen += c.route == control::RouteId::kUpdateService ? 1 : 0;
    }
    return std::thread([this, id, result, record, seen] {
      for (int i = 0; i < 200; ++i) {
        std::size_t updates = 0;
        for (const auto& c : server_.backend().calls()) {
          updates += c.route == control::RouteId::kUpdateService ? 1 : 0;
        }
        if (updates > seen) {
          server_.on_server_thread([&] {
            auto& b = server_.backend();
            // As the agent sends them: the step that begins the pull, then its progress.
            b.emit({{"type", "swap"}, {"swap", id}, {"service", "web"}, {"step", "pull"}});
            b.emit({{"type", "swap"},
                    {"swap", id},
                    {"service", "web"},
                    {"step", "pull_progress"},
                    {"bytes_done", 512},
                    {"bytes_total", 1024}});
            b.emit({{"type", "swap"}, {"swap", id}, {"service", "web"}, {"step", "gate_new"}});
            b.emit({{"type", "swap"},
                    {"swap", id},
                    {"service", "web"},
                    {"step", "gate_progress"},
                    {"detail", "1 of 4 probes passed, 2 failed"},
                    {"probes_run", 3},
                    {"probes_passed", 1},
                    {"probes_needed", 4}});
            b.emit({{"type", "swap"}, {"swap", "unrelated"}, {"step", "finish"}, {"result", "failed"}});
            b.set_swap(id, record);
            b.emit({{"type", "swap"}, {"swap", id}, {"service", "web"}, {"step", "finish"}, {"result", result}});
          });
          return;
        }
        std::this_thread::sleep_for(25ms);
      }
    });
  }

  TempDir dir_;
  std::string tokens_file_;
  ServerHarness server_;
  std::string url_;
  std::string out_;
  std::string err_;
};

TEST_F(CliTest, StatusTableAndJson) {
  ASSERT_EQ(berth(remote({"status"}, "read.token")), cli::kExitOk) << err_;
  EXPECT_TRUE(out_.starts_with("SERVICE  IMAGE")) << out_;
  EXPECT_NE(out_.find("web      acme/web:latest  sha256:aaaaaaaaaaaa"), std::string::npos) << out_;
  ASSERT_EQ(berth(remote({"status", "--json"}, "read.token")), cli::kExitOk);
  EXPECT_EQ(json::parse(out_)["services"][0]["name"], "web");
}

TEST_F(CliTest, ExitCodesForTheUsualFailures) {
  EXPECT_EQ(berth(remote({"status"}, "")), cli::kExitUnauthorized);
  EXPECT_NE(err_.find("unauthorized"), std::string::npos) << err_;
  EXPECT_EQ(berth(remote({"update", "web"}, "read.token")), cli::kExitUnauthorized);
  EXPECT_NE(err_.find("forbidden"), std::string::npos) << err_;
  EXPECT_EQ(berth({"status", "--url", "https://127.0.0.1:1", "--cacert", test_pki().ca}), cli::kExitError);
  EXPECT_NE(err_.find("cannot reach the agent at https://127.0.0.1:1"), std::string::npos) << err_;
  EXPECT_EQ(berth({"status", "--url", url_}), cli::kExitError);  // no --cacert: the test CA is not trusted
  EXPECT_EQ(berth({"update"}), cli::kExitUsage);
  EXPECT_EQ(berth({"status", "--url", "ftp://x"}), cli::kExitUsage);
  EXPECT_EQ(berth({"status", "--url", "http://192.0.2.1:80", "--token-file", dir_.file("read.token")}),
            cli::kExitUsage);  // no token in clear text off this host
}

TEST_F(CliTest, UpdateWaitFollowsTheSwapToItsExitCode) {
  auto rolled = play_swap("swap-7", "rolled_back");
  const int code = berth(remote({"update", "web", "--wait"}));
  rolled.join();
  EXPECT_EQ(code, cli::kExitRolledBack) << out_ << err_;
  // Not a terminal: UTC-stamped lines, the phase in words, the pull's progress by quarters.
  EXPECT_NE(out_.find("Z web: pulling the image\n"), std::string::npos) << out_ << err_;
  EXPECT_NE(out_.find("Z web: pulling the image: 512 B of 1.0 KB\n"), std::string::npos) << out_ << err_;
  EXPECT_NE(out_.find("Z web: pulled the image ("), std::string::npos) << out_ << err_;
  EXPECT_NE(out_.find("Z web: waiting for health: 1 of 4 probes (2 failed)\n"), std::string::npos) << out_ << err_;
  EXPECT_NE(out_.find("web: rolled back"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("unrelated"), std::string::npos);

  auto swapped = play_swap("swap-8", "swapped");
  const int ok = berth(remote({"update", "web", "--wait", "--json"}));
  swapped.join();
  EXPECT_EQ(ok, cli::kExitOk) << out_ << err_;
  EXPECT_EQ(json::parse(out_)["result"], "swapped");

  ASSERT_EQ(berth(remote({"update", "web"})), cli::kExitOk);
  EXPECT_NE(out_.find("swap swap-8 started"), std::string::npos) << out_;
}

TEST_F(CliTest, TokenCreatedByTheCliWorksAtOnce) {
  std::ofstream(dir_.file("agent.json")) << R"({"api": {"tokens_file": ")" << tokens_file_ << R"("}})";
  ASSERT_EQ(berth({"token", "create", "--name", "ops", "--scope", "admin", "--config", dir_.file("agent.json")}),
            cli::kExitOk)
      << err_;
  const std::string token = out_.substr(0, out_.find('\n'));
  std::ofstream(dir_.file("ops.token")) << token;
  EXPECT_EQ(berth(remote({"history"}, "ops.token")), cli::kExitOk) << err_;
  ::setenv("BERTH_TOKEN", token.c_str(), 1);
  EXPECT_EQ(berth(remote({"status"}, "")), cli::kExitOk) << err_;
  ::unsetenv("BERTH_TOKEN");
  ASSERT_EQ(berth({"token", "revoke", "ops", "--config", dir_.file("agent.json")}), cli::kExitOk);
  EXPECT_EQ(berth(remote({"status"}, "ops.token")), cli::kExitUnauthorized);
}

}  // namespace
}  // namespace berth::test
