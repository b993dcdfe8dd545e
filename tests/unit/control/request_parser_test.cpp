#include "control/request_parser.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

// Feeds everything at once; returns the parser.
RequestParser parse(std::string_view bytes, ParserLimits limits = {}) {
  RequestParser p(limits);
  p.feed(bytes);
  return p;
}

TEST(RequestParserTest, SimpleGet) {
  auto p = parse("GET /v1/health HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n");
  ASSERT_TRUE(p.done()) << p.error_message();
  EXPECT_EQ(p.request().method, "GET");
  EXPECT_EQ(p.request().target, "/v1/health");
  EXPECT_TRUE(p.request().keep_alive);
  EXPECT_EQ(p.request().header("USER-AGENT"), "t");
}

TEST(RequestParserTest, ByteByByteGivesTheSameRequest) {
  const std::string raw =
      "POST /v1/services/web/update HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nAuthorization: Bearer t\r\n\r\n"
      "{\"a\": true}";
  RequestParser p;
  for (char c : raw) {
    ASSERT_FALSE(p.failed()) << p.error_message();
    EXPECT_EQ(p.feed(std::string_view(&c, 1)), 1u);
  }
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.request().body, "{\"a\": true}");
}

TEST(RequestParserTest, StopsAtTheEndOfTheRequest) {
  const std::string one = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string two = "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  RequestParser p;
  const auto used = p.feed(one + two);
  ASSERT_TRUE(p.done());
  EXPECT_EQ(used, one.size());
  EXPECT_EQ(p.feed("more"), 0u);
  p.reset();
  EXPECT_FALSE(p.started());
  EXPECT_EQ(p.feed(two), two.size());
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.request().target, "/b");
  EXPECT_FALSE(p.request().keep_alive);
}

TEST(RequestParserTest, ChunkedBody) {
  auto p = parse(
      "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  ASSERT_TRUE(p.done()) << p.error_message();
  EXPECT_EQ(p.request().body, "hello world");
  EXPECT_TRUE(p.request().chunked);
}

TEST(RequestParserTest, BodyCapFromContentLengthAtTheHead) {
  auto p = parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n");
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 413);
  EXPECT_TRUE(parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n").head_done());
}

TEST(RequestParserTest, BodyCapOnTheChunkedStream) {
  std::string raw = "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) {
    raw += "1000\r\n" + std::string(0x1000, 'a') + "\r\n";
  }
  auto p = parse(raw);
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 413);
  EXPECT_EQ(parse("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n").error_status(), 413);
}

TEST(RequestParserTest, HeadCap) {
  ParserLimits limits;
  limits.header_bytes = 256;
  auto p = parse("GET /x HTTP/1.1\r\nHost: x\r\nX: " + std::string(300, 'a'), limits);
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 431);
  std::string many = "GET /x HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 70; ++i) {
    many += "X" + std::to_string(i) + ": y\r\n";
  }
  EXPECT_EQ(parse(many + "\r\n").error_status(), 431);
}

TEST(RequestParserTest, RefusesAmbiguousFraming) {
  struct Case {
    const char* raw;
    int status;
  };
  const Case cases[] = {
      {"GET /x HTTP/1.1\nHost: x\n\n", 400},
      {"GET /x HTTP/1.1\r\nHost: x\n\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"GET /x HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400},
      {"GET  /x HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"GET /x\r\nHost: x\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", 417},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400},
      {"\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    auto p = parse(c.raw);
    EXPECT_TRUE(p.failed()) << c.raw;
    EXPECT_EQ(p.error_status(), c.status) << c.raw;
  }
}

TEST(RequestParserTest, GarbageFailsAtOnce) {
  EXPECT_TRUE(parse(std::string("\x16\x03\x01\x02\x00", 5)).failed());  // a TLS ClientHello on a plain port
  EXPECT_TRUE(parse("ABCDEFGHIJKLMNOPQRSTUVWXYZ").failed());            // no method is this long
  EXPECT_TRUE(parse(std::string_view("GET\0", 4)).failed());
  EXPECT_FALSE(parse("GET /x HTTP/1.1\r\nHo").failed());  // merely incomplete
}

TEST(RequestParserTest, ConnectionAndExpect) {
  EXPECT_FALSE(parse("GET /x HTTP/1.0\r\n\r\n").request().keep_alive);
  EXPECT_TRUE(parse("GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request().keep_alive);
  EXPECT_FALSE(parse("GET /x HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\n\r\n").request().keep_alive);
  auto p = parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_TRUE(p.head_done());
  EXPECT_FALSE(p.done());
  EXPECT_TRUE(p.request().expect_continue);
  auto same = parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab");
  ASSERT_TRUE(same.done());
  EXPECT_EQ(same.request().body, "ab");
}

}  // namespace
}  // namespace berth::control
