#include "swap/recent_swaps.hpp"

#include <gtest/gtest.h>

namespace berth::swap {
namespace {

using nlohmann::json;

TEST(RecentSwaps, KeepsEveryRunningSwapAndTheLastThatEnded) {
  RecentSwaps swaps(3);
  swaps["running"] = json{{"result", "pending"}};
  for (int i = 0; i < 10; ++i) {
    swaps["ended-" + std::to_string(i)] = json{{"result", i % 2 == 0 ? "swapped" : "failed"}};
  }
  // The newest ended swap counts once the next one is added.
  swaps["next"] = json{{"result", "pending"}};
  EXPECT_EQ(swaps.size(), 5U) << "two running, three ended";
  ASSERT_NE(swaps.find("running"), nullptr);
  EXPECT_EQ(swaps.find("running")->at("result"), "pending");
  EXPECT_NE(swaps.find("next"), nullptr);
  for (const char* kept : {"ended-7", "ended-8", "ended-9"}) {
    EXPECT_NE(swaps.find(kept), nullptr) << kept;
  }
  for (const char* forgotten : {"ended-0", "ended-6"}) {
    EXPECT_EQ(swaps.find(forgotten), nullptr) << forgotten;
  }
}

TEST(RecentSwaps, ASwapThatEndsLaterIsForgottenInTheOrderItBegan) {
  RecentSwaps swaps(1);
  swaps["a"] = json{{"result", "pending"}};
  swaps["b"] = json{{"result", "swapped"}};
  swaps["a"]["result"] = "rolled_back";  // the older swap ends after the newer one
  swaps["c"] = json::object();           // an entry still being filled in is running
  EXPECT_EQ(swaps.find("a"), nullptr);
  EXPECT_NE(swaps.find("b"), nullptr);
  EXPECT_NE(swaps.find("c"), nullptr);
}

TEST(RecentSwaps, AThousandSwapsStayBounded) {
  RecentSwaps swaps;
  for (int i = 0; i < 1000; ++i) {
    swaps["s" + std::to_string(i)] = json{{"result", "swapped"}};
  }
  EXPECT_LE(swaps.size(), RecentSwaps::kKeptEnded + 1);
  EXPECT_NE(swaps.find("s999"), nullptr);
  EXPECT_EQ(swaps.find("s0"), nullptr);
}

}  // namespace
}  // namespace berth::swap
