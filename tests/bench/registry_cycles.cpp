// Not a test: figures of RegistryClient::check_all against a registry of scripts/test-env, for scripts/bench.
// For 1, 100 and 500 references (tags of one repository it pushes), the requests per warm check and the
// wall time of a cold and a warm cycle, then the warm cycle at 500 references one at a time and 64 at a
// time. Usage: berth_bench_registry_cycles [token|plain]   (default token: HTTPS with pull tokens)
// Prints one JSON object per line.

#include "integration/registry/registry_fixture.hpp"
#include "registry/client.hpp"
#include "support/async.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace berth;
using namespace berth::registry;
namespace rt = berth::registry::testing;
using Ms = std::chrono::duration<double, std::milli>;

struct Cycle {
  double wall_ms = 0;
  int requests = 0;
  int failures = 0;
  std::string first_failure;
};

Cycle run_cycle(test::AsyncRunner& runner, RegistryClient& client, const std::vector<ImageReference>& refs,
                std::size_t concurrency, const std::string& digest) {
  const auto start = std::chrono::steady_clock::now();
  auto results = runner.run(client.check_all(refs, concurrency), std::chrono::seconds(300));
  Cycle c;
  c.wall_ms = Ms(std::chrono::steady_clock::now() - start).count();
  for (const auto& [name, result] : results) {
    if (!result || result->tag_digest != digest) {
      if (c.failures++ == 0) {
        c.first_failure = name + ": " + (result ? "digest " + result->tag_digest : result.error().message);
      }
      continue;
    }
    c.requests += result->requests_made;
  }
  return c;
}

nlohmann::json cycle_json(const Cycle& c) {
  nlohmann::json j{{"wall_ms", c.wall_ms}, {"requests", c.requests}, {"failures", c.failures}};
  if (!c.first_failure.empty()) {
    j["first_failure"] = c.first_failure;
  }
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "token";
  const auto kind = which == "plain" ? rt::Kind::kPlain : rt::Kind::kToken;
  std::string missing;
  auto target = rt::find_target(kind, missing);
  if (!target) {
    std::fprintf(stderr, "test environment key %s missing: run scripts/test-env\n", missing.c_str());
    return 1;
  }
  test::AsyncRunner runner;
  rt::RegistryAdmin admin(runner, *target);
  // Anonymous pulls of the token registry are granted under public/; its token server grants no delete, so
  // the same tags are written again by every run there instead of new ones.
  const std::string repo = kind == rt::Kind::kToken ? std::string("public/berth-bench-cycles")
                                                    : "berth-rt/bench-cycles-" + std::to_string(::getpid());
  constexpr int kTags = 500;
  auto v1 = admin.copy_image(target->source_repo, "v1", repo, "b000");
  if (!v1) {
    std::fprintf(stderr, "cannot copy the test image: %s\n", v1.error().message.c_str());
    return 1;
  }
  std::vector<ImageReference> refs;
  for (int i = 0; i < kTags; ++i) {
    char tag[16];
    std::snprintf(tag, sizeof(tag), "b%03d", i);
    if (i > 0) {
      auto put = admin.put(repo, tag, v1->media_type, v1->body);
      if (!put) {
        std::fprintf(stderr, "cannot push tag %s: %s\n", tag, put.error().message.c_str());
        admin.remove(repo, v1->digest);
        return 1;
      }
    }
    refs.push_back(*parse_reference(target->host + "/" + repo + ":" + tag));
  }
  int failures = 0;
  constexpr std::size_t kConcurrency = 16;
  for (const std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{500}}) {
    const std::vector<ImageReference> some(refs.begin(), refs.begin() + static_cast<std::ptrdiff_t>(n));
    RegistryClient client(runner.executor(), rt::test_settings());
    const Cycle cold = run_cycle(runner, client, some, kConcurrency, v1->digest);
    const Cycle warm = run_cycle(runner, client, some, kConcurrency, v1->digest);
    failures += cold.failures + warm.failures;
    std::cout << nlohmann::json{{"registry", which},
                                {"references", n},
                                {"concurrency", kConcurrency},
                                {"cold", cycle_json(cold)},
                                {"warm", cycle_json(warm)}}
                     .dump()
              << std::endl;
  }
  for (const std::size_t concurrency : {std::size_t{1}, std::size_t{64}}) {
    RegistryClient client(runner.executor(), rt::test_settings());
    (void)run_cycle(runner, client, refs, concurrency, v1->digest);
    const Cycle warm = run_cycle(runner, client, refs, concurrency, v1->digest);
    failures += warm.failures;
    std::cout << nlohmann::json{{"registry", which},
                                {"references", refs.size()},
                                {"concurrency", concurrency},
                                {"warm", cycle_json(warm)}}
                     .dump()
              << std::endl;
  }
  admin.remove(repo, v1->digest);  // every tag of this repository points at it
  return failures == 0 ? 0 : 1;
}
