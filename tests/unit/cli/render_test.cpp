#include "cli/render.hpp"
#include "cli/exit_codes.hpp"
#include "cli/swap_follower.hpp"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::json;

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

TEST(RenderTest, ServicesTable) {
  const auto now = *parse_rfc3339("2024-05-01T12:00:00Z");
  const json services = json::parse(R"({"services": [
    {"name": "web", "image": "acme/web:latest", "running_digest": ")" +
                                    kA + R"(", "newest_digest": ")" + kB +
                                    R"(", "state": "update available", "last_check": "2024-05-01T11:57:00Z",
     "last_swap": null, "images_bytes": 3145728},
    {"name": "db", "image": "postgres:16", "running_digest": null, "newest_digest": null, "state": "missing"},
    {"name": "api", "image": "acme/api:1", "state": "disk low", "error": "not enough disk space: 1.0 GiB free"}]})");
  EXPECT_EQ(
      render_services(list_of(services, "services"), now),
      "SERVICE  IMAGE            RUNNING              NEWEST               STATE             LAST CHECK  LAST SWAP  "
      "IMAGES\n"
      "web      acme/web:latest  sha256:aaaaaaaaaaaa  sha256:bbbbbbbbbbbb  update available  3m ago      -          "
      "3.0 MB\n"
      "db       postgres:16      -                    -                    missing           -           -          "
      "-\n"
      "api      acme/api:1       -                    -                    disk low          -           -          "
      "-\n"
      "api: not enough disk space: 1.0 GiB free\n");
}

TEST(RenderTest, ChecksAndHistory) {
  const json checks = json::array({{{"name", "web"}, {"running_digest", kA}, {"newest_digest", kB}},
                                   {{"name", "db"}, {"running_digest", kA}, {"newest_digest", kA}},
                                   {{"name", "api"}, {"error", "registry unreachable"}}});
  EXPECT_EQ(render_checks(checks),
            "SERVICE  RUNNING              NEWEST               UPDATE\n"
            "web      sha256:aaaaaaaaaaaa  sha256:bbbbbbbbbbbb  yes\n"
            "db       sha256:aaaaaaaaaaaa  sha256:aaaaaaaaaaaa  no\n"
            "api      -                    -                    error: registry unreachable\n");
  const auto now = *parse_rfc3339("2024-05-03T12:00:00Z");
  const json history = json::array({{{"id", "s1"},
                                     {"service", "web"},
                                     {"started", "2024-05-01T12:00:00Z"},
                                     {"result", "rolled_back"},
                                     {"from_digest", kA},
                                     {"to_digest", kB},
                                     {"reason", "probe failed"}}});
  EXPECT_EQ(render_history(history, now),
            "SWAP  SERVICE  STARTED  RESULT       FROM                 TO                   REASON\n"
            "s1    web      2d ago   rolled_back  sha256:aaaaaaaaaaaa  sha256:bbbbbbbbbbbb  probe failed\n");
}

TEST(RenderTest, TimesAndBytes) {
  const auto now = *parse_rfc3339("2024-05-01T12:00:00Z");
  EXPECT_EQ(relative_time("2024-05-01T11:59:58Z", now), "just now");
  EXPECT_EQ(relative_time("2024-05-01T11:59:30Z", now), "30s ago");
  EXPECT_EQ(relative_time("2024-05-01T09:00:00.123Z", now), "3h ago");
  EXPECT_EQ(relative_time("2024-05-01T09:00:00+02:00", now), "-");
  EXPECT_EQ(relative_time(nullptr, now), "-");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KB");
  EXPECT_EQ(human_bytes(27.0 * 1024 * 1024), "27.0 MB");
}

TEST(RenderTest, ProgressLinesAndBar) {
  const json pull{
      {"type", "swap"}, {"step", "pull"}, {"bytes_done", 13.5 * 1024 * 1024}, {"bytes_total", 27.0 * 1024 * 1024}};
  EXPECT_EQ(event_line(pull), "pull: 13.5 MB of 27.0 MB (50%)");
  EXPECT_EQ(progress_bar(pull, 100), "[##########----------]  50% pull 13.5 MB of 27.0 MB");
  EXPECT_EQ(progress_bar(pull, 10).size(), 10u);
  EXPECT_EQ(event_line({{"step", "gate"}, {"detail", "probe passed"}}), "gate: probe passed");
  EXPECT_EQ(event_line({{"step", "finish"}, {"result", "swapped"}, {"detail", ""}}), "finish [swapped]");
}

TEST(RenderTest, ExitCodes) {
  EXPECT_EQ(exit_code_for_result("swapped"), kExitOk);
  EXPECT_EQ(exit_code_for_result("up_to_date"), kExitOk);
  EXPECT_EQ(exit_code_for_result("rolled_back"), kExitRolledBack);
  EXPECT_EQ(exit_code_for_result("failed"), kExitError);
  EXPECT_EQ(exit_code_for_result("interrupted"), kExitError);
  EXPECT_EQ(exit_code_for_result("waiting_for_window"), kExitOk);
  EXPECT_EQ(swap_summary(json{{"service", "web"}, {"result", "waiting_for_window"}, {"next", "Tue 02:00 UTC"}}),
            "web: outside its update window; the update starts Tue 02:00 UTC");
  EXPECT_EQ(exit_code_for_status(401), kExitUnauthorized);
  EXPECT_EQ(exit_code_for_status(403), kExitUnauthorized);
  EXPECT_EQ(exit_code_for_status(404), kExitError);
  EXPECT_EQ(api_error_text(403, R"({"error":{"code":"forbidden","message":"needs deploy"}})"),
            "forbidden: needs deploy");
  EXPECT_EQ(api_error_text(502, "<html>"), "the agent answered HTTP 502");
}

TEST(RenderTest, SwapSummary) {
  EXPECT_EQ(swap_summary({{"service", "web"}, {"result", "swapped"}, {"from_digest", kA}, {"to_digest", kB}}),
            "web: swapped sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb");
  EXPECT_EQ(swap_summary({{"service", "web"},
                          {"result", "rolled_back"},
                          {"from_digest", kA},
                          {"to_digest", kB},
                          {"reason", "probe failed"}}),
            "web: rolled back: sha256:bbbbbbbbbbbb failed its health gate; sha256:aaaaaaaaaaaa is serving "
            "(probe failed)");
  EXPECT_EQ(swap_summary({{"service", "web"}, {"result", "up_to_date"}, {"digest", kA}}),
            "web: already up to date (sha256:aaaaaaaaaaaa)");
}

TEST(SwapFollowerTest, IdsFromAnswers) {
  EXPECT_EQ(swap_ids_of({{"swap", "s1"}, {"service", "web"}}), std::vector<std::string>{"s1"});
  EXPECT_EQ(swap_ids_of(json::parse(R"({"swaps": [{"swap": "a", "service": "x"}, "b", {"id": "c"}, "b"]})")),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(swap_ids_of({{"result", "up_to_date"}}).empty());
  EXPECT_TRUE(swap_has_ended({{"result", "swapped"}}));
  EXPECT_FALSE(swap_has_ended({{"result", "pending"}}));
  EXPECT_FALSE(swap_has_ended({{"step", "pull"}}));
}

TEST(SwapFollowerTest, EventsBeforeTheIdAreKept) {
  SwapFollower f;
  f.on_event({{"type", "swap"}, {"swap", "s1"}, {"step", "pull"}});
  f.on_event({{"type", "swap"}, {"swap", "other"}, {"step", "pull"}});
  f.on_event({{"type", "check"}, {"service", "web"}});
  f.on_event({{"type", "swap"}, {"swap", "s1"}, {"step", "finish"}, {"detail", ""}});  // progress, no result yet
  EXPECT_TRUE(f.take_progress().empty());
  f.watch({"s1"});
  EXPECT_FALSE(f.all_finished());
  auto progress = f.take_progress();
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0]["step"], "pull");
  f.on_event({{"type", "swap"}, {"swap", "s1"}, {"step", "finish"}, {"result", "swapped"}});
  EXPECT_TRUE(f.all_finished());
  EXPECT_EQ(f.take_progress().size(), 1u);
  EXPECT_TRUE(f.take_progress().empty());
}

TEST(RenderTest, AFollowedServiceShowsTheTagThatRunsAndItsPattern) {
  const auto now = *parse_rfc3339("2024-05-01T12:00:00Z");
  const json services = json::array({{{"name", "web"},
                                      {"image", "registry.example.com:5000/acme/web:1.4.0"},
                                      {"running_tag", "1.4.7"},
                                      {"follow", "semver:^1.4"},
                                      {"state", "running"}}});
  const std::string table = render_services(services, now);
  EXPECT_NE(table.find("registry.example.com:5000/acme/web:1.4.7 (semver:^1.4)"), std::string::npos) << table;
}

}  // namespace
}  // namespace berth::cli
