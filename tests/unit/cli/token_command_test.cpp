#include "cli/token_command.hpp"
#include "cli/exit_codes.hpp"
#include "control/tokens.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace berth::cli {
namespace {

class TokenCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("berth-tokcmd-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_ = (dir_ / "agent.json").string();
    tokens_ = (dir_ / "tokens.json").string();
    std::ofstream(config_) << R"({"api": {"tokens_file": ")" << tokens_ << R"("}})";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs with stdout and stderr captured into out_ and err_.
  int run(std::initializer_list<const char*> args, std::optional<std::string> env = std::nullopt) {
    std::vector<const char*> argv{"berth", "token"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
    EXPECT_TRUE(cl) << cl.error().message;
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    const int code = run_token_command(*cl, env, out, err);
    out_ = read_all(out);
    err_ = read_all(err);
    return code;
  }

  static std::string read_all(std::FILE* f) {
    std::rewind(f);
    std::string text;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
      text.append(buf, n);
    }
    std::fclose(f);
    return text;
  }

  std::filesystem::path dir_;
  std::string config_;
  std::string tokens_;
  std::string out_;
  std::string err_;
};

TEST_F(TokenCommandTest, CreatePrintsTheTokenOnceAndStoresItsHash) {
  ASSERT_EQ(run({"create", "--name", "ci", "--scope", "deploy", "--config", config_.c_str()}), kExitOk) << err_;
  ASSERT_TRUE(out_.starts_with("berth_"));
  const std::string token = out_.substr(0, out_.find('\n'));
  std::stringstream file;
  file << std::ifstream(tokens_).rdbuf();
  EXPECT_EQ(file.str().find(token), std::string::npos);
  EXPECT_NE(file.str().find(control::hash_token(token)), std::string::npos);
  EXPECT_EQ(err_.find(token), std::string::npos);

  ASSERT_EQ(run({"list", "--json"}, config_), kExitOk) << err_;  // found through BERTH_CONFIG
  const auto listed = nlohmann::json::parse(out_);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["name"], "ci");
  EXPECT_EQ(listed[0]["scope"], "deploy");
  EXPECT_FALSE(listed[0].contains("sha256"));
  EXPECT_EQ(out_.find(token), std::string::npos);

  ASSERT_EQ(run({"list"}, config_), kExitOk);
  EXPECT_TRUE(out_.starts_with("NAME  SCOPE   CREATED\nci    deploy  "));
}

TEST_F(TokenCommandTest, RevokeAndErrors) {
  ASSERT_EQ(run({"create", "--name", "ci", "--scope", "read"}, config_), kExitOk);
  EXPECT_EQ(run({"create", "--name", "ci", "--scope", "read"}, config_), kExitError);
  EXPECT_EQ(run({"create", "--name", "x", "--scope", "root"}, config_), kExitUsage);
  EXPECT_EQ(run({"create", "--name", "-x", "--scope", "read"}, config_), kExitUsage);
  EXPECT_EQ(run({"revoke", "ci"}, config_), kExitOk);
  EXPECT_EQ(run({"revoke", "ci"}, config_), kExitError);
  EXPECT_NE(err_.find("no token named"), std::string::npos);
}

TEST_F(TokenCommandTest, AddKnowsAFleetTokenOnlyByItsHash) {
  const std::string fleet_token = "berth_" + std::string(64, 'f');
  std::string hash = control::hash_token(fleet_token);
  std::string upper = hash;
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  ASSERT_EQ(run({"add", "--name", "fleet", "--scope", "deploy", "--sha256", upper.c_str()}, config_), kExitOk) << err_;
  EXPECT_TRUE(out_.empty()) << "nothing secret to print";
  std::stringstream file;
  file << std::ifstream(tokens_).rdbuf();
  auto records = control::parse_tokens(file.str());
  ASSERT_TRUE(records) << records.error().message;
  const control::TokenSet set(*records);
  const auto* admitted = set.authenticate(fleet_token);
  ASSERT_NE(admitted, nullptr) << "the token made elsewhere is accepted";
  EXPECT_EQ(admitted->name, "fleet");
  EXPECT_EQ(admitted->scope, control::Scope::kDeploy);
  EXPECT_EQ(set.authenticate("berth_" + std::string(64, 'e')), nullptr);

  EXPECT_EQ(run({"add", "--name", "fleet", "--scope", "deploy", "--sha256", hash.c_str()}, config_), kExitError)
      << "the name is taken";
  EXPECT_EQ(run({"add", "--name", "f2", "--scope", "deploy", "--sha256", "abc"}, config_), kExitUsage);
  EXPECT_EQ(
      run({"add", "--name", "f3", "--scope", "deploy", "--sha256", (std::string(63, 'a') + "g").c_str()}, config_),
      kExitUsage);
  EXPECT_EQ(run({"add", "--name", "f4", "--scope", "root", "--sha256", hash.c_str()}, config_), kExitUsage);
}

TEST_F(TokenCommandTest, BadConfigIs78) {
  std::ofstream(config_) << R"({"api": {"tokens_file": 7}})";
  EXPECT_EQ(run({"list"}, config_), kExitConfig);
  EXPECT_EQ(run({"list", "--config", (dir_ / "missing.json").string().c_str()}), kExitConfig);
}

}  // namespace
}  // namespace berth::cli
