#include "control/tokens.hpp"
#include "control/token_store.hpp"
#include "state/durable_file.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::control {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("berth-tokens-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "tokens.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST(TokensTest, GeneratedTokensAreRecognisableAndDistinct) {
  auto a = generate_token();
  auto b = generate_token();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->starts_with("berth_"));
  EXPECT_EQ(a->size(), kTokenPrefix.size() + 2 * kTokenRandomBytes);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef", kTokenPrefix.size()), std::string::npos);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TokensTest, ParseAndRenderRoundTrip) {
  const std::vector<TokenRecord> records{{"ci", Scope::kDeploy, hash_token("t1"), "2024-05-01T12:00:00Z"},
                                         {"hub", Scope::kWebhook, hash_token("t2"), "2024-05-02T12:00:00Z"}};
  auto parsed = parse_tokens(render_tokens(records));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, records);
  EXPECT_TRUE(parse_tokens("  \n")->empty());
}

TEST(TokensTest, ParseRefusesWhatItDoesNotUnderstand) {
  const std::string h = hash_token("x");
  for (const std::string& bad :
       {std::string("{}"), std::string("[1]"), std::string("not json"),
        R"([{"name":"a","scope":"root","sha256":")" + h + R"("}])",
        std::string(R"([{"name":"a","scope":"read","sha256":"ABC"}])"),
        R"([{"name":"a","scope":"read","sha256":")" + h + R"(","expires":"x"}])",
        R"([{"name":"","scope":"read","sha256":")" + h + R"("}])", R"([{"scope":"read","sha256":")" + h + R"("}])",
        R"([{"name":"a","scope":"read","sha256":")" + h + R"("},{"name":"a","scope":"read","sha256":")" + h +
            R"("}])"}) {
    EXPECT_FALSE(parse_tokens(bad)) << bad;
  }
}

TEST(TokensTest, TokenSetAuthenticatesByHashAndKeepsWebhooksApart) {
  const TokenSet set(
      {{"ci", Scope::kDeploy, hash_token("berth_ci"), ""}, {"hub", Scope::kWebhook, hash_token("berth_hub"), ""}});
  ASSERT_NE(set.authenticate("berth_ci"), nullptr);
  EXPECT_EQ(set.authenticate("berth_ci")->name, "ci");
  EXPECT_EQ(set.authenticate("berth_c"), nullptr);
  EXPECT_EQ(set.authenticate("berth_ci "), nullptr);
  EXPECT_EQ(set.authenticate(""), nullptr);
  EXPECT_EQ(set.authenticate("berth_hub"), nullptr);  // a webhook secret is no bearer token
  ASSERT_NE(set.match_webhook_secret("berth_hub"), nullptr);
  EXPECT_EQ(set.match_webhook_secret("berth_ci"), nullptr);  // nor is a bearer token a webhook secret
}

TEST(TokensTest, StillGrantsOnlyTheSameTokenWithEnoughScope) {
  const TokenRecord reader{"reader", Scope::kRead, hash_token("berth_r"), ""};
  const TokenRecord ci{"ci", Scope::kDeploy, hash_token("berth_ci"), ""};
  const TokenSet set({reader, ci});
  EXPECT_TRUE(set.still_grants(reader, Scope::kRead));
  EXPECT_TRUE(set.still_grants(ci, Scope::kRead));
  EXPECT_FALSE(set.still_grants(reader, Scope::kDeploy));
  EXPECT_FALSE(TokenSet({ci}).still_grants(reader, Scope::kRead));  // revoked
  // Revoked and created again under the same name: another token.
  EXPECT_FALSE(TokenSet({{"reader", Scope::kRead, hash_token("berth_r2"), ""}}).still_grants(reader, Scope::kRead));
  // Narrowed by hand in the file.
  EXPECT_FALSE(TokenSet({{"ci", Scope::kWebhook, hash_token("berth_ci"), ""}}).still_grants(ci, Scope::kRead));
  EXPECT_FALSE(TokenSet().still_grants(reader, Scope::kRead));
}

TEST_F(TokenFileTest, CreateListRevoke) {
  TokenStore store(path_);
  EXPECT_TRUE(store.list()->empty());
  const auto now = std::chrono::system_clock::from_time_t(1714564800);
  auto token = store.create("ci", Scope::kDeploy, now);
  ASSERT_TRUE(token) << token.error().message;
  auto dup = store.create("ci", Scope::kRead, now);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, common::ErrorKind::kConflict);
  EXPECT_FALSE(store.create("bad name", Scope::kRead, now));
  ASSERT_TRUE(store.create("hub", Scope::kWebhook, now));

  const std::string text = slurp(path_);
  EXPECT_EQ(text.find(*token), std::string::npos) << "the token itself must never be stored";
  EXPECT_NE(text.find(hash_token(*token)), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto listed = store.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "ci");
  EXPECT_EQ((*listed)[0].created, "2024-05-01T12:00:00Z");
  EXPECT_NE(TokenSet(*listed).authenticate(*token), nullptr);

  ASSERT_TRUE(store.revoke("ci"));
  EXPECT_EQ(store.revoke("ci").error().kind, common::ErrorKind::kNotFound);
  EXPECT_EQ(TokenSet(*store.list()).authenticate(*token), nullptr);
}

TEST_F(TokenFileTest, WatcherPicksUpChangesAndFailsClosed) {
  TokenStore store(path_);
  TokenWatcher watcher(path_);
  EXPECT_TRUE(watcher.current().empty());
  auto token = store.create("ci", Scope::kRead, std::chrono::system_clock::now());
  ASSERT_TRUE(token);
  EXPECT_NE(watcher.current().authenticate(*token), nullptr);
  ASSERT_TRUE(store.revoke("ci"));
  EXPECT_EQ(watcher.current().authenticate(*token), nullptr);

  auto again = store.create("ci2", Scope::kRead, std::chrono::system_clock::now());
  ASSERT_TRUE(again);
  EXPECT_NE(watcher.current().authenticate(*again), nullptr);
  ASSERT_TRUE(state::write_file_atomically(path_, "[{broken"));
  EXPECT_TRUE(watcher.current().empty());
  EXPECT_FALSE(watcher.problem().empty());
}

}  // namespace
}  // namespace berth::control
