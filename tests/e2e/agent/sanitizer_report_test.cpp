// In the `asan` build a sanitizer report that berth writes fails the test that ran it, whatever the test
// checked of berth's exit status or output (tests/support/process.cpp). These tests run a stand-in that
// prints a report, so they hold in every build.
#include "support/process.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

const char* const kAsanReport =
    "=================================================================\n"
    "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010\n"
    "    #0 0x55d0 in berth::app::Agent::run() agent/app/agent.cpp:10\n"
    "SUMMARY: AddressSanitizer: heap-use-after-free agent/app/agent.cpp:10 in berth::app::Agent::run()\n";

const char* const kUbsanReport =
    "agent/swap/plan.cpp:7:12: runtime error: signed integer overflow: 2147483647 + 1 cannot be represented\n"
    "    #0 0x55d0 in berth::swap::plan() agent/swap/plan.cpp:7\n"
    "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior agent/swap/plan.cpp:7:12 in \n";

TEST(SanitizerReport, IsFoundFromItsFirstLineToTheEnd) {
  EXPECT_EQ(sanitizer_report(std::string("[info] started\n") + kAsanReport),
            std::string(kAsanReport).substr(std::string(kAsanReport).find('\n') + 1));
  EXPECT_EQ(sanitizer_report(std::string("[info] started\n") + kUbsanReport), kUbsanReport);
  EXPECT_EQ(sanitizer_report("==1==ERROR: LeakSanitizer: detected memory leaks\n"),
            "==1==ERROR: LeakSanitizer: detected memory leaks\n");
  EXPECT_EQ(sanitizer_report("[error] a runtime error: the probe failed\n[info] rolled back\n"), "");
}

TEST(SanitizerReport, FromACommandFailsTheTest) {
  EXPECT_NONFATAL_FAILURE((void)run_command({"printf", "%s", kAsanReport}), "heap-use-after-free on address");
  EXPECT_NONFATAL_FAILURE((void)shell(std::string("printf '%s' '") + kUbsanReport + "'; exit 0"),
                          "runtime error: signed integer overflow");
}

TEST(SanitizerReport, FromABackgroundProcessFailsTheTestWhenItEnds) {
  const fs::path log = fs::temp_directory_path() / ("berth-sanitizer-report-" + std::to_string(::getpid()) + ".log");
  fs::remove(log);
  auto run = [&](const std::vector<std::string>& argv) {
    ChildProcess process(argv, {}, log.string());
    EXPECT_EQ(process.wait(std::chrono::seconds(10)), 0);
  };
  EXPECT_NONFATAL_FAILURE(run({"printf", "%s", kAsanReport}), "heap-use-after-free on address");
  // The next process that logs to the same file (the agent started again) answers for its own output only.
  run({"true"});
  fs::remove(log);
}

}  // namespace
}  // namespace berth::test
