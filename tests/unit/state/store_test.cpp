#include "state/store.hpp"
#include "state/durable_file.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace berth::state {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("berth-store-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

swap::SwapRecord record(const std::string& service) {
  swap::SwapRecord r;
  r.id = "s-" + service;
  r.service = service;
  r.image_ref = "reg/" + service + ":latest";
  r.to_digest = "sha256:bb";
  r.from_digest = "sha256:aa";
  r.started_ms = 1000;
  return r;
}

TEST_F(StoreTest, AtomicWriteReplacesAndSetsMode) {
  const std::string path = (dir_ / "f").string();
  ASSERT_TRUE(make_directories(dir_.string()));
  ASSERT_TRUE(write_file_atomically(path, "one"));
  ASSERT_TRUE(write_file_atomically(path, "two"));
  EXPECT_EQ(*read_file(path), "two");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1) << "no temp files left";
  EXPECT_EQ(read_file((dir_ / "missing").string()).error().kind, common::ErrorKind::kNotFound);
  EXPECT_EQ(read_file(path, 2).error().kind, common::ErrorKind::kTooLarge);
}

TEST_F(StoreTest, AtomicWriteKeepsTheOwnerOfTheFileItReplaces) {
  // `berth token create` as root rewrites tokens.json that the agent's user owns.
  const std::string path = (dir_ / "tokens.json").string();
  ASSERT_TRUE(make_directories(dir_.string()));
  ASSERT_TRUE(write_file_atomically(path, "one"));
  const bool root = ::geteuid() == 0;
  const uid_t owner = root ? 65534 : ::geteuid();
  const gid_t group = root ? 65534 : ::getegid();
  ASSERT_EQ(::chown(path.c_str(), owner, group), 0);
  ASSERT_TRUE(write_file_atomically(path, "two"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, owner);
  EXPECT_EQ(st.st_gid, group);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*read_file(path), "two");
}

TEST_F(StoreTest, JournalSurvivesAReopen) {
  {
    StateStore s(dir_.string());
    ASSERT_TRUE(s.open());
    auto r = record("web");
    r.intent = "stop_old";
    ASSERT_TRUE(s.save_swap(r));
    ASSERT_TRUE(s.save_swap(record("api")));
  }
  StateStore s(dir_.string());
  ASSERT_TRUE(s.open());
  std::vector<std::string> problems;
  auto swaps = s.swaps_in_flight(&problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(swaps.size(), 2u);
  auto web = std::find_if(swaps.begin(), swaps.end(), [](const auto& r) { return r.service == "web"; });
  ASSERT_NE(web, swaps.end());
  EXPECT_EQ(web->intent, "stop_old");
  ASSERT_TRUE(s.remove_swap("web"));
  EXPECT_EQ(s.swaps_in_flight(nullptr).size(), 1u);
}

TEST_F(StoreTest, WritesAKillCutShortAreRemovedAtOpen) {
  {
    StateStore s(dir_.string());
    ASSERT_TRUE(s.open());
    ASSERT_TRUE(s.save_swap(record("web")));
  }
  std::ofstream(dir_ / "swaps" / "api.json.tmp.18518.267396269") << "{ half";
  std::ofstream(dir_ / "history.json.tmp.18518.1") << "[";
  StateStore s(dir_.string());
  ASSERT_TRUE(s.open());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "swaps" / "api.json.tmp.18518.267396269"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "history.json.tmp.18518.1"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "swaps" / "web.json")) << "a finished write stays";
  EXPECT_EQ(s.swaps_in_flight(nullptr).size(), 1u);
}

TEST_F(StoreTest, ACorruptJournalIsSetAsideAndReported) {
  StateStore s(dir_.string());
  ASSERT_TRUE(s.open());
  std::ofstream(dir_ / "swaps" / "web.json") << "{ torn";
  std::vector<std::string> problems;
  EXPECT_TRUE(s.swaps_in_flight(&problems).empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("web.json"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "swaps" / "web.json.corrupt")) << "kept for a human";
}

TEST_F(StoreTest, HistoryNewestFirstFilteredAndBounded) {
  {
    StateStore s(dir_.string());
    ASSERT_TRUE(s.open());
    for (int i = 0; i < 5; ++i) {
      auto e = history_entry_of(record(i % 2 == 0 ? "web" : "api"));
      e.id = "s" + std::to_string(i);
      ASSERT_TRUE(s.append_history(e));
    }
  }
  StateStore s(dir_.string(), 8);
  ASSERT_TRUE(s.open());
  auto all = s.history("", 10);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].id, "s4");
  auto web = s.history("web", 10);
  ASSERT_EQ(web.size(), 3u);
  EXPECT_EQ(web[2].id, "s0");
  EXPECT_EQ(s.history("", 2).size(), 2u);
  for (std::size_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(s.append_history(history_entry_of(record("bulk"))));
  }
  EXPECT_EQ(s.history("", 100000).size(), 8u) << "bounded: the oldest entries go";
}

TEST_F(StoreTest, InvalidUtf8InAReasonIsWrittenNotFatal) {
  // Should a reason with raw bytes (a probe's output, log lines) reach the store, the write succeeds
  // and the files stay readable.
  const std::string reason = "probe exited with code 1 (output: \"caf\351 \342\202\")";
  {
    StateStore store(dir_.string());
    ASSERT_TRUE(store.open());
    auto r = record("web");
    r.reason = reason;
    ASSERT_TRUE(store.save_swap(r));
    r.outcome = swap::Outcome::kRolledBack;
    ASSERT_TRUE(store.append_history(history_entry_of(r)));
    ASSERT_TRUE(store.quarantine({"web", "sha256:bb", reason, 5}));
  }
  StateStore again(dir_.string());
  ASSERT_TRUE(again.open());
  std::vector<std::string> problems;
  const auto swaps = again.swaps_in_flight(&problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(swaps.size(), 1u);
  const auto starts_well = [](const std::string& s) {
    return s.rfind("probe exited with code 1 (output: \"caf\xEF\xBF\xBD", 0) == 0;
  };
  EXPECT_TRUE(starts_well(swaps[0].reason)) << swaps[0].reason;
  const auto history = again.history("web", 10);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(starts_well(history[0].reason)) << history[0].reason;
  EXPECT_TRUE(again.is_quarantined("web", "sha256:bb"));
  ASSERT_EQ(again.quarantined().size(), 1u);
  EXPECT_TRUE(starts_well(again.quarantined()[0].reason));
}

TEST_F(StoreTest, QuarantinePersistsAndReleases) {
  {
    StateStore s(dir_.string());
    ASSERT_TRUE(s.open());
    ASSERT_TRUE(s.quarantine({"web", "sha256:bad", "probe failed", 5}));
    ASSERT_TRUE(s.quarantine({"web", "sha256:bad", "again", 6}));
  }
  StateStore s(dir_.string());
  ASSERT_TRUE(s.open());
  EXPECT_TRUE(s.is_quarantined("web", "sha256:bad"));
  EXPECT_FALSE(s.is_quarantined("api", "sha256:bad"));
  EXPECT_EQ(s.quarantined().size(), 1u);
  ASSERT_TRUE(s.release("web", "sha256:bad"));
  EXPECT_FALSE(s.is_quarantined("web", "sha256:bad"));
}

PulledImage pulled(const std::string& id, std::int64_t used_ms) {
  return PulledImage{"web", "sha256:" + id, "sha256:d" + id, 1000, used_ms};
}

TEST(ImageRetention, KeepsTheRunningAndTheMostRecentlyUsedAndRemovesTheRest) {
  // Ten versions berth pulled, v9 running: with the default of 2, v8 stays for `berth rollback`.
  std::vector<PulledImage> images;
  for (int i = 0; i < 10; ++i) {
    images.push_back(pulled("v" + std::to_string(i), 1000 + i));
  }
  auto removed = images_to_remove(images, 2, "sha256:v9", {"sha256:v9"});
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"sha256:v0", "sha256:v1", "sha256:v2", "sha256:v3", "sha256:v4",
                                               "sha256:v5", "sha256:v6", "sha256:v7"}));
  EXPECT_EQ(images_to_remove(images, 10, "sha256:v9", {}).size(), 0u);
  EXPECT_EQ(images_to_remove(images, 1, "sha256:v9", {}).size(), 9u);
}

TEST(ImageRetention, NeverRemovesAnImageAContainerUsesOrTheRunningOne) {
  // v3 runs although v4 was used later (a rollback to v3); v1 is the image of a kept, failed container.
  const std::vector<PulledImage> images{pulled("v1", 10), pulled("v2", 20), pulled("v3", 30), pulled("v4", 40)};
  EXPECT_EQ(images_to_remove(images, 2, "sha256:v3", {"sha256:v3", "sha256:v1"}),
            (std::vector<std::string>{"sha256:v2"}));
  // Never used (a swap to it failed): the oldest in the order.
  const std::vector<PulledImage> failed{pulled("ok", 50), pulled("bad", 0), pulled("old", 40)};
  EXPECT_EQ(images_to_remove(failed, 2, "sha256:ok", {}), (std::vector<std::string>{"sha256:bad"}));
}

TEST(ImageRetention, ARunningImageBerthDidNotPullTakesASlot) {
  // The user's own image runs: with 2 kept, only the most recent of berth's stays beside it.
  const std::vector<PulledImage> images{pulled("a", 10), pulled("b", 20)};
  EXPECT_EQ(images_to_remove(images, 2, "sha256:users", {"sha256:users"}), (std::vector<std::string>{"sha256:a"}));
}

TEST_F(StoreTest, PulledImagesSurviveARestart) {
  {
    StateStore store(dir_.string());
    ASSERT_TRUE(store.open());
    ASSERT_TRUE(store.record_pulled(pulled("v1", 0)));
    ASSERT_TRUE(store.record_pulled(PulledImage{"db", "sha256:x", "sha256:dx", 5, 0}));
    ASSERT_TRUE(store.mark_used("web", "sha256:v1", 1234));
    ASSERT_TRUE(store.mark_used("web", "sha256:unknown", 1234));  // not berth's: ignored
  }
  StateStore store(dir_.string());
  ASSERT_TRUE(store.open());
  const auto web = store.pulled_images("web");
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(web[0].image_id, "sha256:v1");
  EXPECT_EQ(web[0].digest, "sha256:dv1");
  EXPECT_EQ(web[0].bytes, 1000);
  EXPECT_EQ(web[0].used_ms, 1234);
  ASSERT_TRUE(store.forget_pulled("web", "sha256:v1"));
  EXPECT_TRUE(store.pulled_images("web").empty());
  EXPECT_EQ(store.pulled_images("db").size(), 1u);
}

}  // namespace
}  // namespace berth::state
