#include "registry/tag_list.hpp"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(TagList, ReadsTheTagsOfAPage) {
  auto tags = parse_tag_list(R"({"name": "acme/web", "tags": ["1.0.0", "latest"]})");
  ASSERT_TRUE(tags);
  EXPECT_EQ(*tags, (std::vector<std::string>{"1.0.0", "latest"}));
  auto none = parse_tag_list(R"({"name": "acme/web", "tags": null})");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  for (const char* bad : {"", "[]", R"({"tags": "latest"})", R"({"tags": [1]})", "{"}) {
    EXPECT_FALSE(parse_tag_list(bad)) << bad;
  }
}

TEST(TagList, FollowsOnlyARelativeNextLink) {
  EXPECT_EQ(next_page_target(R"(</v2/acme/web/tags/list?last=b&n=2>; rel="next")"),
            "/v2/acme/web/tags/list?last=b&n=2");
  EXPECT_EQ(next_page_target(R"(</v2/a/tags/list?n=1>; rel="prev", </v2/a/tags/list?last=c&n=1>; rel="next")"),
            "/v2/a/tags/list?last=c&n=1");
  EXPECT_EQ(next_page_target(""), "");
  EXPECT_EQ(next_page_target(R"(</v2/a/tags/list?n=1>; rel="prev")"), "");
  EXPECT_EQ(next_page_target(R"(<https://elsewhere.example/v2/a/tags/list?last=c>; rel="next")"), "");
  EXPECT_EQ(next_page_target("<broken"), "");
}

}  // namespace
}  // namespace berth::registry
