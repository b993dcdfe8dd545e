#include "control/notify.hpp"
#include "control/response.hpp"
#include "control/sse.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

TEST(ResponseTest, SerialisesJsonWithLengthAndHeaders) {
  auto r = error_response(401, "unauthorized", "a valid token is required");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"berth\"");
  r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x");
  const std::string out = serialize_response(r, KeepAlive::kYes);
  const std::string body = "{\"error\":{\"code\":\"unauthorized\",\"message\":\"a valid token is required\"}}\n";
  EXPECT_TRUE(out.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
  EXPECT_NE(out.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_NE(out.find("WWW-Authenticate: Bearer realm=\"berth\"\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Set-Cookie"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n" + body));
}

TEST(ResponseTest, TextBodiesAndBadUtf8) {
  ApiResponse m;
  m.content_type = "text/plain; version=0.0.4";
  m.text = "x 1\n";
  const std::string out = serialize_response(m, KeepAlive::kNo);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\nx 1\n"));
  ApiResponse bad;
  bad.body = {{"name", std::string("\xff\xfe")}};
  EXPECT_NO_THROW(serialize_response(bad, KeepAlive::kNo));
}

TEST(SseTest, FramingAndDecoding) {
  const nlohmann::json event{{"type", "swap"}, {"detail", "line\nbreak"}};
  const std::string framed = sse_event(event);
  EXPECT_TRUE(framed.starts_with("data: {"));
  EXPECT_TRUE(framed.ends_with("}\n\n"));
  EXPECT_EQ(framed.find('\n'), framed.size() - 2);
  SseDecoder decoder;
  const std::string stream = sse_comment("subscribed") + framed + "event: x\r\ndata: a\r\ndata: b\r\n\r\n";
  std::vector<std::string> got;
  for (char c : stream) {
    auto part = decoder.feed(std::string_view(&c, 1));
    ASSERT_TRUE(part);
    got.insert(got.end(), part->begin(), part->end());
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(got[0]), event);
  EXPECT_EQ(got[1], "a\nb");
  SseDecoder small(8);
  EXPECT_FALSE(small.feed("data: 0123456789\n"));
}

TEST(NotifyTest, SwapResultsBecomeNotifications) {
  const std::string from = "sha256:" + std::string(64, 'a');
  const std::string to = "sha256:" + std::string(64, 'b');
  auto n = build_notification({{"type", "swap"},
                               {"step", "finish"},
                               {"result", "rolled_back"},
                               {"service", "web"},
                               {"from_digest", from},
                               {"to_digest", to},
                               {"detail", "probe failed"},
                               {"swap", "s1"}},
                              "host-1");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->event, config::NotifyEvent::kRolledBack);
  EXPECT_EQ(n->body["event"], "rolled_back");
  EXPECT_EQ(n->body["host"], "host-1");
  EXPECT_EQ(n->body["reason"], "probe failed");
  EXPECT_EQ(n->body["from_digest"], from);
  EXPECT_EQ(n->body["text"],
            "berth on host-1: web rolled back to sha256:aaaaaaaaaaaa (sha256:bbbbbbbbbbbb failed its health gate): "
            "probe failed");
  EXPECT_FALSE(build_notification({{"type", "swap"}, {"step", "pull"}}, "h"));
  EXPECT_FALSE(build_notification({{"type", "swap"}, {"step", "finish"}, {"result", "up_to_date"}}, "h"));
  auto named = build_notification({{"event", "update_available"}, {"service", "db"}, {"newest_digest", to}}, "h");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->event, config::NotifyEvent::kUpdateAvailable);
  EXPECT_EQ(named->body["to_digest"], to);
  EXPECT_FALSE(build_notification({{"event", "exploded"}}, "h"));
  config::NotifyTarget target{"https://x", {config::NotifyEvent::kSwapped}};
  EXPECT_TRUE(target_wants(target, config::NotifyEvent::kSwapped));
  EXPECT_FALSE(target_wants(target, config::NotifyEvent::kFailed));
}

}  // namespace
}  // namespace berth::control
