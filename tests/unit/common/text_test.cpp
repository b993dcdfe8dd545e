#include "common/text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::common {
namespace {

TEST(Text, UrlEncodeKeepsUnreserved) {
  EXPECT_EQ(url_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(url_encode(R"({"label":["x=y"]})"), "%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D");
  EXPECT_EQ(url_encode("a b/c"), "a%20b%2Fc");
}

TEST(Text, Base64BothAlphabets) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8=");
}

TEST(Text, CaseInsensitive) {
  EXPECT_TRUE(iequals("Docker-Content-Digest", "docker-content-digest"));
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_EQ(to_lower("WWW-Authenticate"), "www-authenticate");
}

// U+FFFD, the replacement character.
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

TEST(PrintableText, KeepsValidTextNewlinesAndTabs) {
  EXPECT_EQ(printable_text("caf\xC3\xA9 \xE2\x82\xAC 5\n\tok \xF0\x9F\x90\xB3"),
            "caf\xC3\xA9 \xE2\x82\xAC 5\n\tok \xF0\x9F\x90\xB3");
  EXPECT_EQ(printable_text(""), "");
}

TEST(PrintableText, ReplacesALatin1ByteAndACutSequence) {
  // The healthCheck output of issue 12: a Latin-1 e-acute, then the first two bytes of a euro sign.
  EXPECT_EQ(printable_text("caf\351 \342\202"), "caf" + std::string(kReplacement) + " " + std::string(kReplacement));
  // A cut sequence followed by more text is one replacement, and the text after it survives.
  EXPECT_EQ(printable_text("a\xE2\x82z"), "a" + std::string(kReplacement) + "z");
  EXPECT_EQ(printable_text("\xF0\x9F\x90"), kReplacement);
  EXPECT_EQ(printable_text("\x80\xBF"), std::string(kReplacement) + std::string(kReplacement)) << "stray continuations";
}

TEST(PrintableText, RefusesOverlongFormsSurrogatesAndTooLargeCodePoints) {
  const std::string two(kReplacement);
  EXPECT_EQ(printable_text("\xC0\xAF"), two + two) << "overlong '/'";
  EXPECT_EQ(printable_text("\xE0\x80\xAF"), two + two + two) << "overlong '/' in three bytes";
  EXPECT_EQ(printable_text("\xF0\x80\x80\xAF"), two + two + two + two);
  EXPECT_EQ(printable_text("\xED\xA0\x80"), two + two + two) << "a UTF-16 surrogate";
  EXPECT_EQ(printable_text("\xF4\x90\x80\x80"), two + two + two + two) << "past U+10FFFF";
  EXPECT_EQ(printable_text("\xFF\xFE"), two + two);
  EXPECT_EQ(printable_text("\xED\x9F\xBF"), "\xED\x9F\xBF") << "U+D7FF is a character";
  EXPECT_EQ(printable_text("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF") << "U+10FFFF is the last";
}

TEST(PrintableText, EscapesControlCharacters) {
  EXPECT_EQ(printable_text("red \x1b[31mX\x1b[0m\r\n"), "red \\x1b[31mX\\x1b[0m\\x0d\n");
  EXPECT_EQ(printable_text(std::string_view("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable_text("\x7f"), "\\x7f");
  EXPECT_EQ(printable_text(std::string("\xC2\x9B") + "2J"), "\\u009b2J") << "C1 CSI";
  EXPECT_EQ(printable_text("\xC2\xA0"), "\xC2\xA0") << "no-break space is text";
}

TEST(PrintableText, EveryPairOfBytesBecomesTextAStrictJsonDumpTakes) {
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const char pair[] = {static_cast<char>(a), static_cast<char>(b)};
      const std::string text = printable_text(std::string_view(pair, 2));
      ASSERT_NO_THROW((void)nlohmann::json(text).dump()) << a << " " << b;
      ASSERT_EQ(printable_text(text), text) << a << " " << b;
    }
  }
}

TEST(PrintableText, TwiceIsOnce) {
  const std::string once = printable_text("caf\351 \x1b[2J \xC2\x9B \\x41 \xED\xA0\x80");
  EXPECT_EQ(printable_text(once), once);
}

TEST(PrintableText, CutsBetweenCharacters) {
  // "é" is two bytes: a limit of 4 keeps "caf" rather than half of it.
  EXPECT_EQ(printable_text("caf\xC3\xA9", 4), "caf");
  EXPECT_EQ(printable_text("caf\xC3\xA9", 5), "caf\xC3\xA9");
  EXPECT_EQ(printable_text("ab\x1b", 4), "ab") << "an escape is never cut";
  EXPECT_EQ(printable_text("ab\xFF", 4), "ab") << "nor a replacement";
  EXPECT_EQ(printable_text("abc", 0), "");
}

TEST(CutText, NeverSplitsACharacter) {
  const std::string text = "a\xE2\x82\xAC\xF0\x9F\x90\xB3";  // a, euro sign, whale
  EXPECT_EQ(cut_text(text, 100), text);
  EXPECT_EQ(cut_text(text, 8), text);
  EXPECT_EQ(cut_text(text, 7), "a\xE2\x82\xAC");
  EXPECT_EQ(cut_text(text, 4), "a\xE2\x82\xAC");
  EXPECT_EQ(cut_text(text, 3), "a");
  EXPECT_EQ(cut_text(text, 1), "a");
  EXPECT_EQ(cut_text(text, 0), "");
}

}  // namespace
}  // namespace berth::common
