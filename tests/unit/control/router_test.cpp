#include "control/router.hpp"
#include "control/target.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

RouteResult route(const std::string& method, const std::string& target) {
  auto t = normalise_target(target);
  EXPECT_TRUE(t) << target;
  return route_request(method, t ? t->segments : std::vector<std::string>{});
}

TEST(RouterTest, EveryContractRouteWithItsScope) {
  struct Case {
    const char* method;
    const char* target;
    RouteId route;
    Scope scope;
  };
  const Case cases[] = {
      {"GET", "/v1/health", RouteId::kHealth, Scope::kNone},
      {"GET", "/v1/services", RouteId::kListServices, Scope::kRead},
      {"GET", "/v1/services/web", RouteId::kGetService, Scope::kRead},
      {"POST", "/v1/services/web/check", RouteId::kCheckService, Scope::kRead},
      {"POST", "/v1/services/web/update", RouteId::kUpdateService, Scope::kDeploy},
      {"POST", "/v1/services/web/rollback", RouteId::kRollbackService, Scope::kDeploy},
      {"POST", "/v1/update", RouteId::kUpdateAll, Scope::kDeploy},
      {"GET", "/v1/swaps/abc123", RouteId::kGetSwap, Scope::kRead},
      {"GET", "/v1/history", RouteId::kHistory, Scope::kRead},
      {"GET", "/v1/events", RouteId::kEvents, Scope::kRead},
      {"POST", "/v1/hooks/registry/s3cret", RouteId::kRegistryHook, Scope::kWebhook},
      {"GET", "/metrics", RouteId::kMetrics, Scope::kRead},
  };
  for (const auto& c : cases) {
    auto r = route(c.method, c.target);
    ASSERT_TRUE(r.ok()) << c.target << ": " << r.message;
    EXPECT_EQ(r.match.route, c.route) << c.target;
    EXPECT_EQ(r.match.scope, c.scope) << c.target;
    EXPECT_EQ(required_scope(c.route), c.scope);
  }
}

TEST(RouterTest, Parameters) {
  EXPECT_EQ(route("GET", "/v1/services/my-app.1_x").match.params.at("name"), "my-app.1_x");
  EXPECT_EQ(route("GET", "/v1/swaps/0123abcd").match.params.at("id"), "0123abcd");
  EXPECT_EQ(route("POST", "/v1/hooks/registry/berth_ff").match.params.at("secret"), "berth_ff");
}

TEST(RouterTest, UnknownPathIs404WrongMethodIs405) {
  auto unknown = route("GET", "/v1/nothing");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(route("GET", "/V1/health").status, 404);  // no case folding: one spelling per route
  EXPECT_EQ(route("GET", "/v1/services/web/extra").status, 404);
  auto wrong = route("DELETE", "/v1/services/web");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.allow, "GET");
  auto post_only = route("GET", "/v1/services/web/update");
  EXPECT_EQ(post_only.status, 405);
  EXPECT_EQ(post_only.allow, "POST");
  EXPECT_EQ(route("HEAD", "/v1/health").status, 405);
  EXPECT_EQ(route("get", "/v1/health").status, 405);
}

TEST(RouterTest, InvalidNamesAre400) {
  EXPECT_EQ(route("GET", "/v1/services/-web").status, 400);
  EXPECT_EQ(route("GET", "/v1/services/a:b").status, 400);
  EXPECT_EQ(route("GET", "/v1/swaps/" + std::string(300, 'a')).status, 400);
}

TEST(RouterTest, MutatingRoutesAreThePosts) {
  EXPECT_TRUE(is_mutating(RouteId::kUpdateService));
  EXPECT_TRUE(is_mutating(RouteId::kRollbackService));
  EXPECT_TRUE(is_mutating(RouteId::kUpdateAll));
  EXPECT_TRUE(is_mutating(RouteId::kCheckService));
  EXPECT_TRUE(is_mutating(RouteId::kRegistryHook));
  EXPECT_FALSE(is_mutating(RouteId::kListServices));
  EXPECT_FALSE(is_mutating(RouteId::kEvents));
}

TEST(RouterTest, ScopeOrder) {
  EXPECT_TRUE(scope_allows(Scope::kAdmin, Scope::kDeploy));
  EXPECT_TRUE(scope_allows(Scope::kDeploy, Scope::kRead));
  EXPECT_FALSE(scope_allows(Scope::kRead, Scope::kDeploy));
  EXPECT_TRUE(scope_allows(Scope::kRead, Scope::kNone));
  EXPECT_FALSE(scope_allows(Scope::kWebhook, Scope::kRead));
  EXPECT_FALSE(scope_allows(Scope::kAdmin, Scope::kWebhook));
  EXPECT_TRUE(scope_allows(Scope::kWebhook, Scope::kWebhook));
  EXPECT_EQ(parse_scope("deploy"), Scope::kDeploy);
  EXPECT_EQ(parse_scope("webhook"), Scope::kWebhook);
  EXPECT_FALSE(parse_scope("none"));
  EXPECT_FALSE(parse_scope("Admin"));
}

}  // namespace
}  // namespace berth::control
