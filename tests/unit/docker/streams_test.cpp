#include "docker/streams.hpp"
#include "docker/model.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::docker {
namespace {

std::vector<std::string> split_all(LineSplitter& s, const std::vector<std::string>& chunks) {
  std::vector<std::string> lines;
  for (const auto& c : chunks) {
    auto st = s.feed(c, [&](std::string_view l) {
      lines.emplace_back(l);
      return common::Status{};
    });
    EXPECT_TRUE(st);
  }
  return lines;
}

TEST(LineSplitter, JoinsLinesAcrossChunksAndDropsCarriageReturns) {
  LineSplitter s;
  auto lines = split_all(s, {"{\"a\":1}\r\n{\"b\"", ":2}\r\n\r\n{\"c\":", "3}"});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"a\":1}");
  EXPECT_EQ(lines[1], "{\"b\":2}");
  EXPECT_EQ(s.rest(), "{\"c\":3}");
}

TEST(LineSplitter, RefusesAnEndlessLine) {
  LineSplitter s(16);
  auto st = s.feed(std::string(10, 'x'), [](std::string_view) { return common::Status{}; });
  EXPECT_TRUE(st);
  st = s.feed(std::string(10, 'x'), [](std::string_view) { return common::Status{}; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, common::ErrorKind::kTooLarge);
}

TEST(PullEvent, ReadsProgressAndDigest) {
  auto e = parse_pull_event(
      R"({"status":"Downloading","progressDetail":{"current":1024,"total":4096},"progress":"[=>  ]","id":"a1b2"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, "a1b2");
  EXPECT_EQ(e->status, "Downloading");
  EXPECT_EQ(e->current, 1024);
  EXPECT_EQ(e->total, 4096);
  EXPECT_TRUE(e->error.empty());
}

TEST(PullEvent, AnErrorInsideA200StreamIsAnError) {
  auto e = parse_pull_event(
      R"({"errorDetail":{"message":"manifest for x:nope not found: manifest unknown"},"error":"manifest for x:nope not found"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, "manifest for x:nope not found: manifest unknown");
  auto legacy = parse_pull_event(R"({"error":"toomanyrequests: slow down"})");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->error, "toomanyrequests: slow down");
}

TEST(PullEvent, NotJsonIsAProtocolError) {
  auto e = parse_pull_event("<html>proxy error</html>");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, common::ErrorKind::kProtocol);
}

TEST(PullProgress, SumsLayersAndRemembersTheDigest) {
  PullProgress p;
  p.apply(*parse_pull_event(R"({"status":"Pulling fs layer","id":"l1"})"));
  p.apply(*parse_pull_event(R"({"status":"Pulling fs layer","id":"l2"})"));
  p.apply(*parse_pull_event(R"({"status":"Downloading","progressDetail":{"current":50,"total":100},"id":"l1"})"));
  p.apply(*parse_pull_event(R"({"status":"Downloading","progressDetail":{"current":10,"total":300},"id":"l2"})"));
  EXPECT_EQ(p.bytes_done(), 60);
  EXPECT_EQ(p.bytes_total(), 400);
  p.apply(*parse_pull_event(R"({"status":"Pull complete","id":"l1"})"));
  EXPECT_EQ(p.bytes_done(), 110);
  p.apply(*parse_pull_event(R"({"status":"Digest: sha256:abc"})"));
  p.apply(*parse_pull_event(R"({"status":"Status: Downloaded newer image for x:latest"})"));
  EXPECT_EQ(p.digest(), "sha256:abc");
  EXPECT_FALSE(p.up_to_date());
  EXPECT_EQ(p.layers(), 2u);
  EXPECT_EQ(p.summary(), "1/2 layers, 0.0/0.0 MB");
  EXPECT_TRUE(p.error().empty());
}

TEST(PullProgress, UpToDateAndFirstErrorWins) {
  PullProgress p;
  p.apply(*parse_pull_event(R"({"status":"Status: Image is up to date for x:latest"})"));
  EXPECT_TRUE(p.up_to_date());
  p.apply(*parse_pull_event(R"({"error":"first"})"));
  p.apply(*parse_pull_event(R"({"error":"second"})"));
  EXPECT_EQ(p.error(), "first");
}

std::string frame(unsigned char stream, const std::string& payload) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(stream);
  h[4] = static_cast<char>((payload.size() >> 24) & 0xFF);
  h[5] = static_cast<char>((payload.size() >> 16) & 0xFF);
  h[6] = static_cast<char>((payload.size() >> 8) & 0xFF);
  h[7] = static_cast<char>(payload.size() & 0xFF);
  return h + payload;
}

TEST(RawStreamDemux, SeparatesStreamsAcrossArbitraryChunks) {
  const std::string bytes = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "world\n");
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    RawStreamDemux d;
    d.feed(bytes.substr(0, cut));
    d.feed(bytes.substr(cut));
    EXPECT_EQ(d.stdout_text(), "hello world\n") << cut;
    EXPECT_EQ(d.stderr_text(), "oops\n") << cut;
  }
}

TEST(RawStreamDemux, KeepsOnlyTheTail) {
  RawStreamDemux d;
  d.set_limit(4);
  d.feed(frame(1, "abcdefgh"));
  EXPECT_EQ(d.stdout_text(), "efgh");
}

TEST(DockerError, MapsStatusAndKeepsDockersMessage) {
  auto e = docker_error(409, R"({"message":"Conflict. The container name \"/web\" is already in use"})",
                        "create container web");
  EXPECT_EQ(e.kind, common::ErrorKind::kConflict);
  EXPECT_EQ(e.http_status, 409);
  EXPECT_EQ(e.message, "create container web: Conflict. The container name \"/web\" is already in use");
  EXPECT_EQ(docker_error(404, R"({"message":"No such image: x:y"})", "inspect").kind, common::ErrorKind::kNotFound);
  EXPECT_EQ(docker_error(500, "plain text\n", "x").message, "x: plain text");
  EXPECT_EQ(docker_error(503, "", "x").message, "x: HTTP 503");
  // A plain-text answer is quoted as printable text, cut between characters.
  EXPECT_EQ(docker_error(500, "caf\351 \x1b[2J\r\n", "x").message, "x: caf\xEF\xBF\xBD \\x1b[2J");
  EXPECT_EQ(docker_error(500, std::string(499, 'a') + "\xC3\xA9", "x").message, "x: " + std::string(499, 'a'));
}

TEST(ContainerList, ParsesNamesLabelsAndRejectsGarbage) {
  auto j = nlohmann::json::parse(
      R"([{"Id":"abc","Names":["/web"],"Image":"reg/web:v1","ImageID":"sha256:1","State":"running",
           "Labels":{"berth.enable":"true"}}])");
  auto list = parse_container_list(j);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "web");
  EXPECT_EQ((*list)[0].labels.at("berth.enable"), "true");
  EXPECT_FALSE(parse_container_list(nlohmann::json::object()));
  EXPECT_FALSE(parse_container_list(nlohmann::json::parse(R"([{"Names":["/x"]}])")));
}

TEST(ContainerState, ReadsHealthAndExitCode) {
  auto j = nlohmann::json::parse(R"({"Id":"abc","Name":"/web","Image":"sha256:img","RestartCount":2,
      "Config":{"Image":"reg/web:v1","Labels":{"a":"b"}},
      "State":{"Status":"running","Running":true,"ExitCode":0,"StartedAt":"2026-01-01T00:00:00Z",
               "Health":{"Status":"unhealthy","Log":[{"ExitCode":1,"Output":"first"},{"ExitCode":1,"Output":"last"}]}}})");
  auto s = parse_container_state(j);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "web");
  EXPECT_EQ(s->image, "reg/web:v1");
  EXPECT_EQ(s->image_id, "sha256:img");
  EXPECT_TRUE(s->running);
  EXPECT_EQ(s->restart_count, 2);
  EXPECT_EQ(s->health, "unhealthy");
  EXPECT_EQ(s->health_output, "last");
  EXPECT_FALSE(parse_container_state(nlohmann::json::array()));
}

TEST(LabelFilters, AllLabelsMustMatch) {
  EXPECT_EQ(label_filters({"berth.enable=true", "berth.service"}).dump(),
            R"({"label":{"berth.enable=true":true,"berth.service":true}})");
}

}  // namespace
}  // namespace berth::docker
