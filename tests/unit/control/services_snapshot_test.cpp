#include "control/services_snapshot.hpp"
#include "control/response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace berth::control {
namespace {

struct Svc {
  Svc(std::string n, std::string st = "running", std::string nw = {}, std::int64_t check = 0)  // NOLINT
      : name(std::move(n)), state(std::move(st)), newest(std::move(nw)), last_check_ms(check) {}
  std::string name;
  std::string state;
  std::string newest;
  std::int64_t last_check_ms = 0;
  std::string error;
};

std::vector<ServiceShown> shown(const std::vector<Svc>& all) {
  std::vector<ServiceShown> out;
  for (const auto& s : all) {
    ServiceShown v;
    v.name = s.name;
    v.image = "registry.example/acme/web:latest";
    v.running_digest = "sha256:aaaa";
    v.newest_digest = s.newest;
    v.state = s.state;
    v.last_check_ms = s.last_check_ms;
    v.policy = "auto";
    v.strategy = "stop-first";
    v.source = "file";
    v.error = s.error;
    out.push_back(v);
  }
  return out;
}

// The list as a fresh render would send it: the JSON body on one line and a newline.
std::string rendered(const std::vector<Svc>& all) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : shown(all)) {
    list.push_back(service_json(v));
  }
  ApiResponse r;
  r.body = {{"services", list}};
  const std::string wire = serialize_response(r, KeepAlive::kNo);
  return wire.substr(wire.find("\r\n\r\n") + 4);
}

TEST(ServicesSnapshot, SendsWhatAFreshRenderWould) {
  ServicesSnapshot snap;
  EXPECT_EQ(*snap.list_body(), rendered({}));
  std::vector<Svc> all{{"api"}, {"web", "update available", "sha256:bbbb", 1700000000123}};
  snap.refresh(shown(all));
  EXPECT_EQ(*snap.list_body(), rendered(all));
  EXPECT_EQ(*snap.service_body("web"), service_json(shown(all)[1]).dump() + "\n");
  EXPECT_NE(snap.list_body()->find("\"last_check\":\"2023-11-14T22:13:20Z\""), std::string::npos);
  EXPECT_NE(snap.list_body()->find("\"newest_digest\":null"), std::string::npos);
  EXPECT_EQ(snap.service_body("nope"), nullptr);
}

TEST(ServicesSnapshot, RendersOnlyWhatChanged) {
  ServicesSnapshot snap;
  std::vector<Svc> all;
  for (int i = 0; i < 500; ++i) {
    all.push_back({"svc-" + std::to_string(1000 + i)});
  }
  snap.refresh(shown(all));
  EXPECT_EQ(snap.renders(), 500U);
  const auto first = snap.list_body();
  const std::string first_text = *first;
  snap.refresh(shown(all));
  EXPECT_EQ(snap.renders(), 500U) << "nothing changed: nothing rendered";
  EXPECT_EQ(snap.list_body(), first) << "the same body is sent again, not rebuilt";

  all[7].state = "updating";
  all[300].last_check_ms = 1700000000000;
  snap.refresh(shown(all));
  EXPECT_EQ(snap.renders(), 502U);
  EXPECT_EQ(*snap.list_body(), rendered(all));
  EXPECT_EQ(*first, first_text) << "a body already handed out (being written) stays as it was";
}

TEST(ServicesSnapshot, ServicesComingAndGoingKeepTheOthersRendered) {
  ServicesSnapshot snap;
  std::vector<Svc> all{{"a"}, {"c"}, {"e"}};
  snap.refresh(shown(all));
  EXPECT_EQ(snap.renders(), 3U);
  all = {{"a"}, {"b"}, {"c"}, {"d"}, {"e"}};
  snap.refresh(shown(all));
  EXPECT_EQ(snap.renders(), 5U) << "only b and d are new";
  EXPECT_EQ(*snap.list_body(), rendered(all));
  all = {{"b"}, {"e"}};
  snap.refresh(shown(all));
  EXPECT_EQ(snap.renders(), 5U);
  EXPECT_EQ(*snap.list_body(), rendered(all));
  EXPECT_EQ(snap.service_body("a"), nullptr);
  ASSERT_NE(snap.service_body("e"), nullptr);
  all = {{"b"}, {"f"}};  // same count, another service
  snap.refresh(shown(all));
  EXPECT_EQ(*snap.list_body(), rendered(all));
  EXPECT_EQ(snap.service_body("e"), nullptr);
}

TEST(ResponseTest, HeadForABodySentSeparately) {
  ApiResponse r;
  r.json_text = std::make_shared<const std::string>("{\"services\":[]}\n");
  const std::string whole = serialize_response(r, KeepAlive::kYes);
  const std::string head = serialize_head(r, KeepAlive::kYes, r.json_text->size());
  EXPECT_EQ(whole, head + *r.json_text);
  EXPECT_NE(head.find("Content-Length: 16\r\n"), std::string::npos);
  EXPECT_NE(head.find("Content-Type: application/json\r\n"), std::string::npos);
}

}  // namespace
}  // namespace berth::control
