#include "config/env_file.hpp"

#include "task_helpers.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

TEST(EnvFile, ParsesNameValueLines) {
  const auto result = parse_env_file(
      "# database\nDB_HOST=db\n\n  DB_PORT=5432\r\nQUOTED=\"kept as is\"\nEMPTY=\nURL=a=b=c\nDB_HOST=db2\n",
      "/etc/berth/env/app.env");
  ASSERT_TRUE(result.ok()) << result.problems.to_string();
  EXPECT_EQ(
      *result.value,
      (std::vector<EnvVar>{
          {"DB_HOST", "db2"}, {"DB_PORT", "5432"}, {"QUOTED", "\"kept as is\""}, {"EMPTY", ""}, {"URL", "a=b=c"}}));
}

TEST(EnvFile, EmptyFileHasNoVariables) {
  const auto result = parse_env_file("", "a.env");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.value->empty());
}

TEST(EnvFile, ReportsEveryBadLineWithoutShowingIt) {
  // A line that does not parse may be a secret (a value pasted without its name): only its number is shown.
  const auto result = parse_env_file("GOOD=1\nhunter2-s3cret\n=value\nBAD NAME=1\nLAST=1", "env/app.env");
  EXPECT_FALSE(result.value);
  EXPECT_EQ(result.problems.lines(),
            (std::vector<std::string>{"env/app.env: line 2: not NAME=VALUE (no '=')",
                                      "env/app.env: line 3: no variable name before '='",
                                      "env/app.env: line 4: the variable name before '=' holds white space"}));
  EXPECT_EQ(result.problems.to_string().find("hunter2"), std::string::npos);
  EXPECT_EQ(result.problems.to_string().find("value"), std::string::npos);
}

TEST(EnvFile, ListsTheFilesOfATask) {
  const auto task = testing::loaded(R"({"family": "t", "containerDefinitions": [
      {"name": "one", "image": "i", "environmentFiles": [{"value": "/a.env"}, {"value": "/b.env"}]},
      {"name": "two", "image": "i", "environmentFiles": [{"value": "/b.env"}, {"value": "/c.env"}]}]})");
  EXPECT_EQ(environment_files(task), (std::vector<std::string>{"/a.env", "/b.env", "/c.env"}));
}

}  // namespace
}  // namespace berth::config
