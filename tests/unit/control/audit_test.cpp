#include "control/audit.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace berth::control {
namespace {

TEST(AuditTest, LineHasEveryFieldAndOneLine) {
  AuditEntry e{std::chrono::system_clock::from_time_t(1714564800) + std::chrono::milliseconds(5),
               "ci",
               "192.0.2.7",
               "POST",
               "/v1/services/web/update",
               "update_service",
               202,
               "swap abc"};
  const std::string line = audit_line(e);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2024-05-01T12:00:00.005Z");
  EXPECT_EQ(j["caller"], "ci");
  EXPECT_EQ(j["address"], "192.0.2.7");
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/v1/services/web/update");
  EXPECT_EQ(j["route"], "update_service");
  EXPECT_EQ(j["status"], 202);
  EXPECT_EQ(j["result"], "swap abc");
}

TEST(AuditTest, HookSecretsAreRedacted) {
  EXPECT_EQ(redact_path("/v1/hooks/registry/berth_secret"), "/v1/hooks/<redacted>");
  EXPECT_EQ(redact_path("/v1/HOOKS/registry/berth_secret/x"), "/v1/HOOKS/<redacted>");
  EXPECT_EQ(redact_path("/v1/services/web"), "/v1/services/web");
}

TEST(AuditTest, ResultFromTheAnswer) {
  EXPECT_EQ(audit_result(error_response(409, "conflict", "busy")), "conflict");
  ApiResponse accepted;
  accepted.status = 202;
  accepted.body = {{"swap", "s1"}};
  EXPECT_EQ(audit_result(accepted), "swap s1");
  ApiResponse plain;
  EXPECT_EQ(audit_result(plain), "ok");
  plain.status = 500;
  plain.body = nlohmann::json::array();
  EXPECT_EQ(audit_result(plain), "error");
}

TEST(AuditTest, LogFileIsAppendedAndPrivate) {
  const auto dir = std::filesystem::temp_directory_path() / ("berth-audit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "audit.log").string();
  {
    AuditLog log;
    EXPECT_FALSE(log.append(AuditEntry{}));
    ASSERT_TRUE(log.open(path));
    ASSERT_TRUE(log.append(AuditEntry{{}, "a", "x", "POST", "/v1/update", "update_all", 202, "ok"}));
  }
  {
    AuditLog log;
    ASSERT_TRUE(log.open(path));
    ASSERT_TRUE(log.append(AuditEntry{{}, "b", "x", "POST", "/v1/update", "update_all", 202, "ok"}));
  }
  std::ifstream in(path);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_EQ(nlohmann::json::parse(first)["caller"], "a");
  EXPECT_EQ(nlohmann::json::parse(second)["caller"], "b");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::filesystem::remove_all(dir);
}

TEST(AuditTest, LogIsRotatedAtItsSizeCap) {
  const auto dir = std::filesystem::temp_directory_path() / ("berth-audit-cap-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "audit.log").string();
  constexpr std::uint64_t kCap = 2000;
  {
    AuditLog log;
    ASSERT_TRUE(log.open(path, kCap));
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(
          log.append(AuditEntry{{}, "c" + std::to_string(i), "x", "POST", "/v1/update", "update_all", 202, "ok"}));
    }
  }
  EXPECT_LE(std::filesystem::file_size(path), kCap);
  ASSERT_TRUE(std::filesystem::exists(path + ".1"));
  EXPECT_LE(std::filesystem::file_size(path + ".1"), kCap);
  EXPECT_GT(std::filesystem::file_size(path + ".1"), kCap / 2);
  EXPECT_FALSE(std::filesystem::exists(path + ".2"));
  // The newest entries, without a gap between the old file and the current one.
  auto callers = [](const std::string& file) {
    std::vector<int> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      out.push_back(std::stoi(nlohmann::json::parse(line)["caller"].get<std::string>().substr(1)));
    }
    return out;
  };
  const auto old_lines = callers(path + ".1");
  const auto new_lines = callers(path);
  ASSERT_FALSE(old_lines.empty());
  ASSERT_FALSE(new_lines.empty());
  EXPECT_EQ(new_lines.back(), 199);
  EXPECT_EQ(old_lines.back() + 1, new_lines.front());
  struct stat st {};
  ASSERT_EQ(::stat((path + ".1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A reopened log knows the size of what is already there.
  {
    AuditLog log;
    ASSERT_TRUE(log.open(path, kCap));
    for (int i = 200; i < 230; ++i) {
      ASSERT_TRUE(
          log.append(AuditEntry{{}, "c" + std::to_string(i), "x", "POST", "/v1/update", "update_all", 202, "ok"}));
    }
  }
  EXPECT_LE(std::filesystem::file_size(path), kCap);
  EXPECT_EQ(callers(path).back(), 229);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth::control
