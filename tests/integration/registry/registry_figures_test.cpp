// Figures for the closing note: requests per warm check and the wall time of one check_all cycle for 1, 100
// and 500 references against the local plain registry. Only sane bounds are asserted.

#include <gtest/gtest.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "registry/client.hpp"
#include "registry_fixture.hpp"
#include "support/async.hpp"
#include "support/test_env.hpp"

namespace berth::registry::testing {
namespace {

using namespace std::chrono_literals;
using Ms = std::chrono::duration<double, std::milli>;

struct Cycle {
  Ms wall{};
  int requests = 0;
  int failures = 0;
};

Cycle run_cycle(berth::test::AsyncRunner& runner, RegistryClient& client, const std::vector<ImageReference>& refs,
                std::size_t concurrency, const std::string& digest) {
  const auto start = std::chrono::steady_clock::now();
  auto results = runner.run(client.check_all(refs, concurrency), std::chrono::seconds(300));
  Cycle c;
  c.wall = std::chrono::steady_clock::now() - start;
  for (const auto& [name, result] : results) {
    if (!result || result->tag_digest != digest) {
      ++c.failures;
      if (c.failures == 1) {
        ADD_FAILURE() << name << ": " << (result ? "digest " + result->tag_digest : result.error().message);
      }
      continue;
    }
    c.requests += result->requests_made;
  }
  EXPECT_EQ(results.size(), refs.size());
  return c;
}

TEST(RegistryFigures, CheckCycleTimes) {
  std::string missing;
  auto target = find_target(Kind::kPlain, missing);
  if (!target) {
    if (berth::test::docker_required()) {
      FAIL() << "test environment key " << missing << " missing (CI): run scripts/test-env";
    }
    GTEST_SKIP() << "test environment key " << missing << " missing; run scripts/test-env";
  }
  berth::test::AsyncRunner runner;
  RegistryAdmin admin(runner, *target);
  const std::string repo = "berth-rt/" + berth::test::run_label() + "-figures";
  constexpr int kTags = 500;
  auto v1 = admin.copy_image(target->source_repo, "v1", repo, "b000");
  ASSERT_TRUE(v1) << v1.error().message;
  std::vector<ImageReference> refs;
  const auto setup_start = std::chrono::steady_clock::now();
  for (int i = 0; i < kTags; ++i) {
    char tag[16];
    std::snprintf(tag, sizeof(tag), "b%03d", i);
    if (i > 0) {
      auto put = admin.put(repo, tag, v1->media_type, v1->body);
      ASSERT_TRUE(put) << put.error().message;
    }
    refs.push_back(*parse_reference(target->host + "/" + repo + ":" + tag));
  }
  const Ms setup = std::chrono::steady_clock::now() - setup_start;

  constexpr std::size_t kConcurrency = 16;
  std::ostringstream line;
  line << std::fixed << std::setprecision(1);
  line << "[ figures ] check_all against the plain registry " << target->host << ", concurrency " << kConcurrency
       << ":";
  for (const std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{500}}) {
    const std::vector<ImageReference> some(refs.begin(), refs.begin() + static_cast<std::ptrdiff_t>(n));
    RegistryClient client(runner.executor(), test_settings());
    const Cycle cold = run_cycle(runner, client, some, kConcurrency, v1->digest);
    const Cycle warm = run_cycle(runner, client, some, kConcurrency, v1->digest);
    EXPECT_EQ(cold.failures + warm.failures, 0);
    EXPECT_EQ(warm.requests, static_cast<int>(n)) << "one request per reference in a warm cycle";
    EXPECT_LT(warm.wall, Ms(60000)) << n << " references";
    line << "  " << n << (n == 1 ? " ref" : " refs") << ": warm " << warm.wall.count() << " ms (cold "
         << cold.wall.count() << " ms), " << static_cast<double>(warm.requests) / static_cast<double>(n)
         << " requests/check;";
  }
  std::cout << line.str() << "\n";

  // The bound's effect at 500 references: one at a time, and wider.
  for (const std::size_t concurrency : {std::size_t{1}, std::size_t{64}}) {
    RegistryClient client(runner.executor(), test_settings());
    (void)run_cycle(runner, client, refs, concurrency, v1->digest);
    const Cycle warm = run_cycle(runner, client, refs, concurrency, v1->digest);
    std::cout << std::fixed << std::setprecision(1) << "[ figures ] 500 refs, concurrency " << concurrency << ": warm "
              << warm.wall.count() << " ms\n";
  }
  std::cout << std::fixed << std::setprecision(1) << "[ figures ] setup: " << kTags - 1 << " tags PUT in "
            << setup.count() << " ms\n";
  admin.remove(repo, v1->digest);  // every tag of this repository points at it
}

}  // namespace
}  // namespace berth::registry::testing
