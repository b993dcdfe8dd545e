// RegistryClient::check against the real registries of scripts/test-env, in all three configurations
// (plain HTTP, Basic over TLS, Bearer tokens over TLS): requests counted at the registry, multi-platform tags.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

#include "common/text.hpp"
#include "registry/client.hpp"
#include "registry_fixture.hpp"
#include "support/async.hpp"
#include "support/test_env.hpp"

namespace berth::registry::testing {
namespace {

using common::ErrorKind;

class RegistryCheck : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    std::string missing;
    auto found = find_target(GetParam(), missing);
    if (!found) {
      if (berth::test::docker_required()) {
        FAIL() << "test environment key " << missing << " missing (CI): run scripts/test-env";
      }
      GTEST_SKIP() << "test environment key " << missing << " missing; run scripts/test-env";
    }
    target_ = *found;
    admin_ = std::make_unique<RegistryAdmin>(runner_, target_);
    repo_ =
        target_.kind == Kind::kToken ? "public/rt-" + berth::test::run_label() : "berth-rt/" + berth::test::run_label();
  }

  void TearDown() override {
    if (admin_) {
      for (const auto& digest : pushed_) {
        admin_->remove(repo_, digest);
      }
    }
  }

  // The test image `tag` of the environment, copied into this test's repository as `as`.
  StoredManifest copy(const std::string& tag, const std::string& as) {
    auto m = admin_->copy_image(target_.source_repo, tag, repo_, as);
    EXPECT_TRUE(m) << m.error().message;
    if (!m) {
      return {};
    }
    pushed_.push_back(m->digest);
    return *m;
  }

  StoredManifest push(const std::string& tag, const std::string& media_type, const std::string& body) {
    auto digest = admin_->put(repo_, tag, media_type, body);
    EXPECT_TRUE(digest) << digest.error().message;
    if (!digest) {
      return {};
    }
    pushed_.push_back(*digest);
    return StoredManifest{body, media_type, *digest};
  }

  ImageReference ref(const std::string& tag) const {
    auto r = parse_reference(target_.host + "/" + repo_ + ":" + tag);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ImageReference{};
  }

  RegistryClientSettings settings() const {
    auto s = test_settings();
    if (target_.kind != Kind::kPlain) {
      config::RegistrySettings creds;
      creds.username = target_.user;
      creds.password = target_.password;
      s.registries[target_.host] = creds;
    }
    return s;
  }

  int logged(const std::string& reference) const {
    return logged_requests(target_.log, "/v2/" + repo_ + "/manifests/" + reference);
  }

  // Requests a first check makes: the HEAD, plus the anonymous one the registry answered 401.
  int cold_requests() const { return target_.kind == Kind::kPlain ? 1 : 2; }

  berth::test::AsyncRunner runner_;
  Target target_;
  std::unique_ptr<RegistryAdmin> admin_;
  std::string repo_;
  std::vector<std::string> pushed_;
};

TEST_P(RegistryCheck, WarmCheckIsExactlyOneRequest) {
  const auto v1 = copy("v1", "warm");
  const int pushed = settled([&] { return logged("warm"); }, 1);  // the PUT of the test data
  RegistryClient client(runner_.executor(), settings());
  auto cold = runner_.run(client.check(ref("warm")));
  ASSERT_TRUE(cold) << cold.error().message;
  EXPECT_EQ(cold->tag_digest, v1.digest);
  EXPECT_EQ(cold->platform_digest, v1.digest);
  EXPECT_EQ(cold->media_type, kDockerManifestV2);
  EXPECT_EQ(cold->requests_made, cold_requests());
  EXPECT_EQ(cold->token_requests, target_.kind == Kind::kToken ? 1 : 0);
  const int before = settled([&] { return logged("warm"); }, pushed + cold_requests());
  EXPECT_EQ(before - pushed, cold_requests()) << "the registry saw a different number of requests than the client made";
  const std::string scope = "repository:" + repo_ + ":pull";
  const int tokens_before = logged_token_requests(scope);

  auto warm = runner_.run(client.check(ref("warm")));
  ASSERT_TRUE(warm) << warm.error().message;
  EXPECT_EQ(warm->tag_digest, v1.digest);
  EXPECT_EQ(warm->requests_made, 1);
  EXPECT_EQ(warm->token_requests, 0);
  EXPECT_EQ(settled([&] { return logged("warm"); }, before + 1), before + 1);
  EXPECT_EQ(logged_token_requests(scope), tokens_before);
  std::cout << "[ figures ] requests per warm check (" << to_string(target_.kind) << " registry): counted by the "
            << "client " << warm->requests_made << ", logged by the registry " << logged("warm") - before
            << "; token requests " << logged_token_requests(scope) - tokens_before << "\n";
}

TEST_P(RegistryCheck, OtherPlatformRebuildIsNotAnUpdate) {
  const auto v1 = copy("v1", "rebuild-amd64");
  const auto arm = copy("arm64", "rebuild-arm64");
  push("rebuild", std::string(kDockerManifestList),
       index_body(std::string(kDockerManifestList), {{v1, "linux", "amd64", ""}, {arm, "linux", "arm64", "v8"}}));
  RegistryClient client(runner_.executor(), settings());
  auto before = runner_.run(client.check(ref("rebuild")));
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->media_type, kDockerManifestList);
  EXPECT_EQ(before->platform_digest, v1.digest);
  EXPECT_NE(before->tag_digest, v1.digest);

  // arm64 is rebuilt; the index is pushed again with amd64's entry unchanged.
  const auto arm2 = push("rebuild-arm64-2", arm.media_type, rebuilt(arm.body, berth::test::run_label()));
  ASSERT_NE(arm2.digest, arm.digest);
  const auto index2 =
      push("rebuild", std::string(kDockerManifestList),
           index_body(std::string(kDockerManifestList), {{v1, "linux", "amd64", ""}, {arm2, "linux", "arm64", "v8"}}));
  auto after = runner_.run(client.check(ref("rebuild")));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->tag_digest, index2.digest);
  EXPECT_NE(after->tag_digest, before->tag_digest) << "the tag moved: something to pull";
  EXPECT_EQ(after->platform_digest, before->platform_digest) << "this host's image did not change: no update";
  EXPECT_EQ(after->requests_made, 2) << "HEAD, then GET of the new index";

  auto warm = runner_.run(client.check(ref("rebuild")));
  ASSERT_TRUE(warm) << warm.error().message;
  EXPECT_EQ(warm->requests_made, 1) << "the index was resolved before: its digest is immutable";
  EXPECT_EQ(warm->platform_digest, v1.digest);
}

TEST_P(RegistryCheck, OciIndexSelectsThisPlatform) {
  const auto v1 = copy("v1", "oci-amd64");
  const auto arm = copy("arm64", "oci-arm64");
  const auto index =
      push("oci", std::string(kOciIndex),
           index_body(std::string(kOciIndex), {{arm, "linux", "arm64", "v8"}, {v1, "linux", "amd64", ""}}));
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref("oci")));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->media_type, kOciIndex);
  EXPECT_EQ(got->tag_digest, index.digest);
  EXPECT_EQ(got->platform_digest, v1.digest);

  auto settings_arm = settings();
  settings_arm.platform = Platform{"linux", "aarch64", ""};
  RegistryClient arm_client(runner_.executor(), settings_arm);
  auto on_arm = runner_.run(arm_client.check(ref("oci")));
  ASSERT_TRUE(on_arm) << on_arm.error().message;
  EXPECT_EQ(on_arm->platform_digest, arm.digest);
}

TEST_P(RegistryCheck, TagWithoutThisPlatformIsAClearError) {
  const auto arm = copy("arm64", "only-arm64-image");
  push("only-arm64", std::string(kDockerManifestList),
       index_body(std::string(kDockerManifestList), {{arm, "linux", "arm64", "v8"}}));
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref("only-arm64")));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(got.error().message.find("no matching manifest for linux/amd64"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("linux/arm64"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find(repo_ + ":only-arm64"), std::string::npos) << got.error().message;

  // The verdict on an immutable index is kept: the next check is one HEAD and the same error.
  const int before = settled([&] { return logged("only-arm64"); }, 1);
  auto again = runner_.run(client.check(ref("only-arm64")));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, got.error().message);
  EXPECT_EQ(settled([&] { return logged("only-arm64"); }, before + 1), before + 1);
}

TEST_P(RegistryCheck, PlatformDigestOfARunningDigest) {
  const auto v1 = copy("v1", "known-amd64");
  const auto arm = copy("arm64", "known-arm64");
  const auto index =
      push("known", std::string(kDockerManifestList),
           index_body(std::string(kDockerManifestList), {{v1, "linux", "amd64", ""}, {arm, "linux", "arm64", "v8"}}));
  RegistryClient client(runner_.executor(), settings());
  auto platform = runner_.run(client.platform_digest(ref("known"), index.digest));
  ASSERT_TRUE(platform) << platform.error().message;
  EXPECT_EQ(*platform, v1.digest);
  const int before = settled([&] { return logged(index.digest); }, cold_requests());
  EXPECT_EQ(before, cold_requests()) << "one GET of the index (after the anonymous attempt the registry refused)";
  auto again = runner_.run(client.platform_digest(ref("known"), index.digest));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, v1.digest);
  EXPECT_EQ(settled([&] { return logged(index.digest); }, before), before) << "cached: no request";

  auto single = runner_.run(client.platform_digest(ref("known"), v1.digest));
  ASSERT_TRUE(single) << single.error().message;
  EXPECT_EQ(*single, v1.digest);
  EXPECT_EQ(runner_.run(client.platform_digest(ref("known"), "latest")).error().kind, ErrorKind::kInvalidArgument);
}

TEST_P(RegistryCheck, MissingTagIsNotFound) {
  copy("v1", "present");
  RegistryClient client(runner_.executor(), settings());
  auto got = runner_.run(client.check(ref("no-such-tag")));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kNotFound) << got.error().message;
  EXPECT_NE(got.error().message.find(repo_ + ":no-such-tag"), std::string::npos) << got.error().message;
  EXPECT_FALSE(client.backoff_until(target_.host)) << "a 404 is an answer, not a failing registry";
}

TEST_P(RegistryCheck, RegistryAuthForDockerPulls) {
  copy("v1", "auth");
  RegistryClient client(runner_.executor(), settings());
  auto header = runner_.run(client.registry_auth(ref("auth")));
  ASSERT_TRUE(header) << header.error().message;
  if (target_.kind == Kind::kPlain) {
    EXPECT_EQ(*header, "");
    return;
  }
  std::string standard = *header;
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  auto decoded = common::base64_decode(standard);
  ASSERT_TRUE(decoded);
  const auto body = nlohmann::json::parse(*decoded);
  EXPECT_EQ(body.at("username").get<std::string>(), target_.user);
  EXPECT_EQ(body.at("password").get<std::string>(), target_.password);
  EXPECT_EQ(body.at("serveraddress").get<std::string>(), target_.host);
}

TEST_P(RegistryCheck, CheckAllChecksEachReferenceOnce) {
  const auto v1 = copy("v1", "all-a");
  copy("v1", "all-b");
  RegistryClient client(runner_.executor(), settings());
  ASSERT_TRUE(runner_.run(client.check(ref("all-a"))));  // warm: scheme and authentication known
  const int a_before = settled([&] { return logged("all-a"); }, 1);
  auto results =
      runner_.run(client.check_all({ref("all-a"), ref("all-b"), ref("all-a"), ref("missing"), ref("all-b")}, 2));
  ASSERT_EQ(results.size(), 3U);
  ASSERT_TRUE(results.at(ref("all-a").full())) << results.at(ref("all-a").full()).error().message;
  EXPECT_EQ(results.at(ref("all-a").full())->tag_digest, v1.digest);
  ASSERT_TRUE(results.at(ref("all-b").full()));
  EXPECT_EQ(results.at(ref("all-b").full())->platform_digest, v1.digest);
  EXPECT_EQ(results.at(ref("missing").full()).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(settled([&] { return logged("all-a"); }, a_before + 1), a_before + 1);
}

// Against the test registry, whether it honours `n` or not (Debian's docker-registry 2.8 ignores it and
// answers every tag in one page without a Link header): every tag comes back. The pagination itself is
// tested against FaultServer (registry_faults_test.cpp).
TEST_P(RegistryCheck, EveryTagIsListed) {
  const std::vector<std::string> tags{"1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "latest"};
  for (const auto& tag : tags) {
    copy("v1", tag);
  }
  auto expected = tags;
  std::sort(expected.begin(), expected.end());
  RegistryClient client(runner_.executor(), settings());
  for (const int page_size : {2, 1000}) {
    auto listed = runner_.run(client.list_tags(ref("latest"), page_size));
    ASSERT_TRUE(listed) << listed.error().message;
    // The repository is the run's: other tests of the same process may have pushed tags to it too.
    auto got = listed->tags;
    std::sort(got.begin(), got.end());
    EXPECT_TRUE(std::includes(got.begin(), got.end(), expected.begin(), expected.end()))
        << page_size << " a page: " << ::testing::PrintToString(got);
    EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end()) << "no tag twice";
    EXPECT_GE(listed->requests_made, 1);
  }
  auto again = runner_.run(client.list_tags(ref("latest")));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->requests_made, 1) << "one page, with the token already held";
}

TEST_P(RegistryCheck, ImageSizeComesFromTheManifest) {
  const auto v1 = copy("v1", "sized");
  RegistryClient client(runner_.executor(), settings());
  auto size = runner_.run(client.image_size(ref("sized"), v1.digest));
  ASSERT_TRUE(size) << size.error().message;
  auto manifest = parse_manifest(v1.body, v1.media_type);
  ASSERT_TRUE(manifest);
  EXPECT_EQ(*size, manifest->image_bytes);
  EXPECT_GT(*size, 0);
}

INSTANTIATE_TEST_SUITE_P(Registries, RegistryCheck, ::testing::Values(Kind::kPlain, Kind::kBasic, Kind::kToken),
                         [](const ::testing::TestParamInfo<Kind>& p) { return to_string(p.param); });

}  // namespace
}  // namespace berth::registry::testing
