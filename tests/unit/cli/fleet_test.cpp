#include "cli/exit_codes.hpp"
#include "cli/fleet_hosts.hpp"
#include "cli/fleet_rollout.hpp"

#include <gtest/gtest.h>

#include <set>

namespace berth::cli {
namespace {

const std::string kHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST(HostsFile, ReadsUrlsNamesPinsCommentsAndBlankLines) {
  const std::string text =
      "# the web fleet\n"
      "\n"
      "https://10.0.0.1:8443 web-1 sha256:" +
      kHex +
      "\n"
      "  https://web-2.internal   # default port, no name\n"
      "https://10.0.0.3:9443 sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
      "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n"
      "http://127.0.0.1:8081 local\n";
  auto hosts = parse_hosts_file(text);
  ASSERT_TRUE(hosts) << hosts.error().message;
  ASSERT_EQ(hosts->size(), 4U);
  EXPECT_EQ((*hosts)[0].url, "https://10.0.0.1:8443");
  EXPECT_EQ((*hosts)[0].name, "web-1");
  ASSERT_TRUE((*hosts)[0].pin);
  EXPECT_EQ(fingerprint_text(*(*hosts)[0].pin), "sha256:" + kHex);
  EXPECT_EQ((*hosts)[0].line, 3);
  EXPECT_EQ((*hosts)[1].name, "web-2.internal:8443");
  EXPECT_FALSE((*hosts)[1].pin);
  EXPECT_EQ((*hosts)[2].name, "10.0.0.3:9443");
  ASSERT_TRUE((*hosts)[2].pin);
  EXPECT_EQ(*(*hosts)[2].pin, *(*hosts)[0].pin) << "the colon form openssl prints is the same fingerprint";
  EXPECT_EQ((*hosts)[3].name, "local");
}

TEST(HostsFile, RefusesWhatItCannotUseNamingTheLine) {
  struct Case {
    std::string text;
    std::string says;
  };
  const std::vector<Case> cases{
      {"", "no host"},
      {"# only a comment\n", "no host"},
      {"web-1.internal:8443\n", "line 1: 'web-1.internal:8443' is not an agent URL"},
      {"unix:///run/berth/api.sock\n", "is not an agent URL"},
      {"https://a:8443\nhttp://10.0.0.2:8443\n", "line 2: plain http:// only on a loopback address"},
      {"https://a:8443 a sha256:1234\n", "'sha256:1234' is not a certificate fingerprint"},
      {"https://a:8443 a b\n", "unexpected 'b'"},
      {"https://a:8443 x\nhttps://b:8443 x\n", "line 2: the name x is already used"},
      {"https://a:8443 sha256:" + kHex + " sha256:" + kHex + "\n", "two certificate fingerprints"},
  };
  for (const auto& c : cases) {
    auto hosts = parse_hosts_file(c.text);
    ASSERT_FALSE(hosts) << c.text;
    EXPECT_EQ(hosts.error().kind, common::ErrorKind::kInvalidArgument);
    EXPECT_NE(hosts.error().message.find(c.says), std::string::npos) << hosts.error().message;
  }
}

TEST(HostsFile, FingerprintsAreSha256InEitherForm) {
  EXPECT_TRUE(parse_fingerprint("SHA256:" + kHex));
  EXPECT_FALSE(parse_fingerprint("sha1:" + kHex));
  EXPECT_FALSE(parse_fingerprint("sha256:" + kHex.substr(1)));
  EXPECT_FALSE(parse_fingerprint("sha256:" + kHex.substr(0, 63) + "g"));
  std::string pairs;
  for (std::size_t i = 0; i < kHex.size(); i += 2) {
    pairs += (i == 0 ? "" : "-") + kHex.substr(i, 2);
  }
  EXPECT_FALSE(parse_fingerprint("sha256:" + pairs)) << "pairs are separated by colons";
}

TEST(FleetAmounts, CountsAndPercentagesOfTheHosts) {
  auto three = parse_amount("3");
  ASSERT_TRUE(three);
  EXPECT_EQ(concurrency_for(*three, 10), 3);
  EXPECT_EQ(errors_for(*three, 10), 3);
  auto quarter = parse_amount("25%");
  ASSERT_TRUE(quarter);
  EXPECT_EQ(concurrency_for(*quarter, 10), 3) << "hosts at once round up";
  EXPECT_EQ(errors_for(*quarter, 10), 2) << "tolerated failures round down";
  EXPECT_EQ(concurrency_for(*parse_amount("1%"), 10), 1) << "at least one host at a time";
  EXPECT_EQ(errors_for(*parse_amount("0%"), 10), 0);
  EXPECT_FALSE(parse_amount("101%"));
  EXPECT_FALSE(parse_amount("-1"));
  EXPECT_FALSE(parse_amount("three"));
  EXPECT_FALSE(parse_amount(""));
}

std::vector<const char*> argv_of(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"berth", "fleet"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

common::Result<FleetCommandLine> parse_fleet(std::initializer_list<const char*> args) {
  auto argv = argv_of(args);
  return parse_fleet_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(FleetCommandLine, ReadsTheRolloutFlags) {
  auto cl = parse_fleet({"update", "--hosts", "fleet.txt", "web", "--canary", "1", "--max-concurrency=30%",
                         "--max-errors", "2", "--yes", "--json", "--token-file", "/t"});
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(cl->action, "update");
  EXPECT_EQ(cl->hosts_file, "fleet.txt");
  EXPECT_EQ(cl->service, "web");
  EXPECT_EQ(cl->canary, 1);
  EXPECT_TRUE(cl->max_concurrency.percent);
  EXPECT_EQ(cl->max_concurrency.value, 30);
  EXPECT_EQ(cl->max_errors.value, 2);
  EXPECT_TRUE(cl->yes);
  EXPECT_TRUE(cl->client.json);
  EXPECT_EQ(cl->client.token_file, "/t");
  auto stdin_hosts = parse_fleet({"status", "--hosts", "-"});
  ASSERT_TRUE(stdin_hosts) << stdin_hosts.error().message;
  EXPECT_EQ(stdin_hosts->hosts_file, "-");
  EXPECT_FALSE(stdin_hosts->service);
}

TEST(FleetCommandLine, DefaultsAreOneHostAtATimeStoppingAtTheFirstFailure) {
  auto cl = parse_fleet({"rollback", "--hosts", "f", "web"});
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(cl->canary, 0);
  EXPECT_EQ(concurrency_for(cl->max_concurrency, 10), 1);
  EXPECT_EQ(errors_for(cl->max_errors, 10), 0);
  EXPECT_FALSE(cl->yes);
}

TEST(FleetCommandLine, UsageErrors) {
  const std::vector<std::pair<std::vector<const char*>, std::string>> cases{
      {{}, "say status, check, update or rollback"},
      {{"deploy", "--hosts", "f"}, "unknown action 'deploy'"},
      {{"status"}, "--hosts FILE is required"},
      {{"update", "--hosts", "f"}, "name a SERVICE or give --all"},
      {{"update", "--hosts", "f", "web", "--all"}, "name a SERVICE or give --all"},
      {{"update", "--hosts", "f", "--all", "--digest",
        "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
       "--digest goes with one SERVICE"},
      {{"update", "--hosts", "f", "web", "--digest", "latest"}, "--digest must look like"},
      {{"update", "--hosts", "f", "web", "--max-concurrency", "0"}, "--max-concurrency takes N or P%"},
      {{"update", "--hosts", "f", "web", "--max-errors", "x%"}, "--max-errors takes N or P%"},
      {{"update", "--hosts", "f", "web", "--canary", "one"}, "--canary takes a number"},
      {{"status", "--hosts", "f", "--canary", "1"}, "unknown option --canary"},
      {{"rollback", "--hosts", "f"}, "name the SERVICE"},
      {{"status", "--hosts", "f", "--url", "https://a"}, "come from --hosts FILE"},
      {{"status", "--hosts", "f", "a", "b"}, "one SERVICE at most"},
      {{"update", "--hosts"}, "--hosts needs a value"},
  };
  for (const auto& [args, says] : cases) {
    std::vector<const char*> argv{"berth", "fleet"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto cl = parse_fleet_command_line(static_cast<int>(argv.size()), argv.data());
    ASSERT_FALSE(cl) << says;
    EXPECT_NE(cl.error().message.find(says), std::string::npos) << cl.error().message;
  }
  auto help = parse_fleet({"update", "--help"});
  ASSERT_FALSE(help);
  EXPECT_TRUE(help.error().message.empty());
}

// Drives a rollout with no host in flight: starts what it allows, then ends the oldest host in flight
// (failed when it is in `failing`), until the rollout is over; returns the order in which hosts started.
struct Drive {
  std::vector<std::size_t> started;
  std::vector<int> in_flight_when_started;
};

Drive drive(Rollout& r, const std::set<std::size_t>& failing) {
  Drive d;
  std::vector<std::size_t> running;
  while (!r.over()) {
    while (auto i = r.next()) {
      d.started.push_back(*i);
      running.push_back(*i);
      d.in_flight_when_started.push_back(r.running());
    }
    if (running.empty()) {
      break;
    }
    const std::size_t host = running.front();  // the oldest in flight ends first
    running.erase(running.begin());
    r.finished(host, !failing.contains(host));
  }
  return d;
}

TEST(Rollout, CanaryFirstThenAtMostMaxConcurrencyAtOnce) {
  Rollout r(10, 1, 3, 0);
  auto first = r.next();
  ASSERT_EQ(first, 0U);
  EXPECT_FALSE(r.next()) << "nothing else starts while the canary runs";
  r.finished(0, true);
  std::vector<std::size_t> wave;
  while (auto i = r.next()) {
    wave.push_back(*i);
  }
  EXPECT_EQ(wave, (std::vector<std::size_t>{1, 2, 3}));
  r.finished(2, true);
  EXPECT_EQ(r.next(), 4U) << "a free slot starts the next host in file order";
  EXPECT_FALSE(r.next());
  for (std::size_t host : {1U, 3U, 4U}) {
    r.finished(host, true);
  }
  auto d = drive(r, {});
  EXPECT_EQ(d.started, (std::vector<std::size_t>{5, 6, 7, 8, 9}));
  for (int n : d.in_flight_when_started) {
    EXPECT_LE(n, 3);
  }
  EXPECT_TRUE(r.over());
  EXPECT_EQ(r.stop_reason(), StopReason::kNone);
  EXPECT_EQ(r.failures(), 0);
}

TEST(Rollout, AFailedCanaryStopsEverythingWhateverMaxErrors) {
  Rollout r(10, 2, 2, 5);
  auto d = drive(r, {1});
  EXPECT_EQ(d.started, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(r.stop_reason(), StopReason::kCanaryFailed);
  EXPECT_EQ(r.failures(), 1);
}

TEST(Rollout, StopsStartingOnceFailuresExceedMaxErrorsAndLetsInFlightHostsFinish) {
  Rollout r(10, 1, 3, 1);
  ASSERT_EQ(r.next(), 0U);
  r.finished(0, true);
  std::vector<std::size_t> wave;
  while (auto i = r.next()) {
    wave.push_back(*i);
  }
  ASSERT_EQ(wave.size(), 3U);
  r.finished(1, false);
  EXPECT_EQ(r.stop_reason(), StopReason::kNone) << "one failure is within --max-errors 1";
  EXPECT_EQ(r.next(), 4U);
  r.finished(2, false);
  EXPECT_EQ(r.stop_reason(), StopReason::kTooManyFailures);
  EXPECT_FALSE(r.next()) << "no new host starts";
  EXPECT_FALSE(r.over()) << "hosts 3 and 4 are still in flight";
  r.finished(3, true);
  r.finished(4, false);
  EXPECT_TRUE(r.over());
  EXPECT_EQ(r.failures(), 3);
}

TEST(Rollout, MaxErrorsZeroStopsAtTheFirstFailure) {
  Rollout r(5, 0, 1, 0);
  auto d = drive(r, {2});
  EXPECT_EQ(d.started, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(r.stop_reason(), StopReason::kTooManyFailures);
}

TEST(Rollout, InterruptStopsStartingAndWaitsForHostsInFlight) {
  Rollout r(6, 0, 2, 0);
  ASSERT_EQ(r.next(), 0U);
  ASSERT_EQ(r.next(), 1U);
  r.interrupt();
  EXPECT_FALSE(r.next());
  EXPECT_FALSE(r.over());
  r.finished(0, true);
  r.finished(1, true);
  EXPECT_TRUE(r.over());
  EXPECT_EQ(r.stop_reason(), StopReason::kInterrupted);
}

TEST(Rollout, MoreCanariesThanHostsAndEmptyFleets) {
  Rollout r(2, 5, 1, 0);
  auto d = drive(r, {});
  EXPECT_EQ(d.started, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(r.stop_reason(), StopReason::kNone);
  Rollout none(0, 0, 1, 0);
  EXPECT_TRUE(none.over());
}

std::vector<HostRow> rows_of(std::initializer_list<HostState> states) {
  std::vector<HostRow> rows;
  int n = 0;
  for (auto s : states) {
    HostRow row;
    row.name = "web-" + std::to_string(++n);
    row.state = s;
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(RolloutOutcome, ExitCodesAndSummary) {
  using S = HostState;
  auto all_done = rows_of({S::kDone, S::kDone});
  EXPECT_EQ(rollout_exit_code(all_done, StopReason::kNone), kExitOk);
  EXPECT_EQ(rollout_summary(all_done, StopReason::kNone, 0), "2 hosts: 2 done, 0 failed, 0 not started");

  auto stopped = rows_of({S::kDone, S::kFailed, S::kFailed, S::kNotStarted});
  EXPECT_EQ(rollout_exit_code(stopped, StopReason::kTooManyFailures), kExitRolledBack);
  EXPECT_EQ(rollout_summary(stopped, StopReason::kTooManyFailures, 1),
            "4 hosts: 1 done, 2 failed, 1 not started; stopped: 2 failures, more than --max-errors 1");

  auto canary = rows_of({S::kFailed, S::kNotStarted});
  EXPECT_EQ(rollout_exit_code(canary, StopReason::kCanaryFailed), kExitRolledBack);
  EXPECT_NE(rollout_summary(canary, StopReason::kCanaryFailed, 0).find("stopped: a canary host failed"),
            std::string::npos);

  auto tolerated = rows_of({S::kDone, S::kFailed, S::kDone});
  EXPECT_EQ(rollout_exit_code(tolerated, StopReason::kNone), kExitRolledBack) << "not every host is done";

  auto interrupted = rows_of({S::kDone, S::kNotStarted});
  EXPECT_EQ(rollout_exit_code(interrupted, StopReason::kInterrupted), 130);

  auto refused = rows_of({S::kFailed, S::kDone});
  refused[0].unauthorized = true;
  EXPECT_EQ(rollout_exit_code(refused, StopReason::kTooManyFailures), kExitUnauthorized);
}

TEST(RolloutOutcome, TableLinesAndJsonSayWhatEachHostDid) {
  std::vector<HostRow> rows = rows_of({HostState::kDone, HostState::kFailed, HostState::kNotStarted});
  rows[0].canary = true;
  rows[0].digest = "sha256:" + kHex;
  rows[0].step = "swapped";
  rows[0].started_ms = 0;
  rows[0].ended_ms = 12'400;
  rows[1].step = "rolled back";
  rows[1].error = "the probe did not pass";
  rows[1].started_ms = 1'000;
  rows[1].ended_ms = 66'000;
  const std::string table = render_rollout_table(rows, 70'000);
  EXPECT_NE(table.find("HOST"), std::string::npos);
  EXPECT_NE(table.find("DURATION"), std::string::npos);
  EXPECT_NE(table.find("done (canary)"), std::string::npos) << table;
  EXPECT_NE(table.find("sha256:001122334455"), std::string::npos) << table;
  EXPECT_NE(table.find("rolled back: the probe did not pass"), std::string::npos) << table;
  EXPECT_NE(table.find("1m05s"), std::string::npos) << table;
  EXPECT_EQ(rollout_line(rows[0], 70'000), "web-1: done (canary) sha256:001122334455 (swapped) 12s");
  EXPECT_EQ(rollout_line(rows[2], 70'000), "web-3: not started");
  auto doc = rollout_json(rows, StopReason::kCanaryFailed, "update", "web", "sha256:" + kHex);
  EXPECT_EQ(doc["result"], "stopped");
  EXPECT_EQ(doc["stop_reason"], "canary_failed");
  EXPECT_EQ(doc["summary"]["done"], 1);
  EXPECT_EQ(doc["summary"]["failed"], 1);
  EXPECT_EQ(doc["summary"]["not_started"], 1);
  EXPECT_EQ(doc["hosts"][1]["error"], "the probe did not pass");
  EXPECT_EQ(doc["hosts"][0]["duration_ms"], 12'400);
  EXPECT_TRUE(doc["hosts"][2]["duration_ms"].is_null());
}

}  // namespace
}  // namespace berth::cli
