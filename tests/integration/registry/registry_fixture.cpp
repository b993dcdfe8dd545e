#include "registry_fixture.hpp"

#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "common/text.hpp"
#include "registry/manifest.hpp"
#include "registry/registry_session.hpp"
#include "support/test_env.hpp"

namespace berth::registry::testing {

namespace ssl = boost::asio::ssl;
using common::ErrorKind;
using common::make_error;
using common::Result;
using nlohmann::json;

std::string to_string(Kind kind) {
  switch (kind) {
    case Kind::kPlain: return "plain";
    case Kind::kBasic: return "basic";
    case Kind::kToken: return "token";
  }
  return "?";
}

std::optional<Target> find_target(Kind kind, std::string& missing) {
  auto need = [&](const std::string& key) -> std::string {
    auto v = berth::test::env_value(key);
    if (!v && missing.empty()) {
      missing = key;
    }
    return v.value_or("");
  };
  Target t;
  t.kind = kind;
  switch (kind) {
    case Kind::kPlain:
      t.host = need("BERTH_TEST_REGISTRY_PLAIN");
      t.log = need("BERTH_TEST_REGISTRY_PLAIN_LOG");
      t.source_repo = need("BERTH_TEST_REPO");
      break;
    case Kind::kBasic:
      t.host = need("BERTH_TEST_REGISTRY_BASIC");
      t.log = need("BERTH_TEST_REGISTRY_BASIC_LOG");
      t.user = need("BERTH_TEST_REGISTRY_BASIC_USER");
      t.password = need("BERTH_TEST_REGISTRY_BASIC_PASSWORD");
      t.source_repo = need("BERTH_TEST_REPO");
      break;
    case Kind::kToken:
      t.host = need("BERTH_TEST_REGISTRY_TOKEN");
      t.log = need("BERTH_TEST_REGISTRY_TOKEN_LOG");
      t.user = need("BERTH_TEST_TOKEN_USER");
      t.password = need("BERTH_TEST_TOKEN_PASSWORD");
      t.source_repo = need("BERTH_TEST_TOKEN_REPO_PUBLIC");
      need("BERTH_TEST_TOKEN_SERVER");
      need("BERTH_TEST_TOKEN_SERVER_LOG");
      need("BERTH_TEST_CA");
      break;
  }
  if (!missing.empty()) {
    return std::nullopt;
  }
  return t;
}

namespace {

std::shared_ptr<ssl::context> test_ca_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->load_verify_file(berth::test::env_or("BERTH_TEST_CA", "/var/tmp/berth-test/tls/ca.pem"));
  return ctx;
}

std::unique_ptr<http::Client> client_to(berth::test::AsyncRunner& runner, const Url& url) {
  auto endpoint = url.origin.tls ? http::Endpoint::tls_to(url.origin.host, url.origin.port, test_ca_context())
                                 : http::Endpoint::tcp(url.origin.host, url.origin.port);
  return std::make_unique<http::Client>(runner.executor(), endpoint);
}

}  // namespace

RegistryAdmin::RegistryAdmin(berth::test::AsyncRunner& runner, Target target)
    : runner_(runner), target_(std::move(target)) {
  auto url = parse_url((target_.kind == Kind::kPlain ? "http://" : "https://") + target_.host + "/");
  registry_ = client_to(runner_, *url);
  if (target_.kind == Kind::kToken) {
    auto realm = parse_url(berth::test::env_or("BERTH_TEST_TOKEN_SERVER", ""));
    token_server_ = client_to(runner_, *realm);
  }
}

RegistryAdmin::~RegistryAdmin() = default;

Result<std::string> RegistryAdmin::authorization(const std::vector<std::string>& scopes) {
  const std::string basic = "Basic " + common::base64_encode(target_.user + ":" + target_.password);
  if (target_.kind == Kind::kPlain) {
    return std::string();
  }
  if (target_.kind == Kind::kBasic) {
    return basic;
  }
  auto realm = parse_url(berth::test::env_or("BERTH_TEST_TOKEN_SERVER", ""));
  std::string target =
      realm->target + "?service=" + common::url_encode(berth::test::env_or("BERTH_TEST_REGISTRY_TOKEN_SERVICE", ""));
  for (const auto& s : scopes) {
    target += "&scope=" + common::url_encode(s);
  }
  http::Request req;
  req.target = target;
  req.headers.emplace_back("Authorization", basic);
  auto resp = runner_.run(token_server_->request(req));
  if (!resp) {
    return resp.error();
  }
  if (resp->status != 200) {
    return make_error(ErrorKind::kUnauthorized, "admin token: HTTP " + std::to_string(resp->status));
  }
  return "Bearer " + json::parse(resp->body).at("token").get<std::string>();
}

Result<http::Response> RegistryAdmin::call(http::Request req, const std::vector<std::string>& scopes) {
  auto auth = authorization(scopes);
  if (!auth) {
    return auth.error();
  }
  if (!auth->empty()) {
    req.headers.emplace_back("Authorization", *auth);
  }
  return runner_.run(registry_->request(req));
}

Result<StoredManifest> RegistryAdmin::get(const std::string& repo, const std::string& reference,
                                          const std::string& accept) {
  http::Request req;
  req.target = "/v2/" + repo + "/manifests/" + reference;
  req.headers.emplace_back("Accept", accept);
  auto resp = call(req, {"repository:" + repo + ":pull"});
  if (!resp) {
    return resp.error();
  }
  if (resp->status != 200) {
    return make_error(ErrorKind::kNotFound, "admin GET " + req.target + ": HTTP " + std::to_string(resp->status));
  }
  return StoredManifest{resp->body, std::string(resp->header("Content-Type")), sha256_digest(resp->body)};
}

Result<std::string> RegistryAdmin::put(const std::string& repo, const std::string& reference,
                                       const std::string& media_type, const std::string& body) {
  http::Request req;
  req.method = "PUT";
  req.target = "/v2/" + repo + "/manifests/" + reference;
  req.body = body;
  req.content_type = media_type;
  auto resp = call(req, {"repository:" + repo + ":pull,push"});
  if (!resp) {
    return resp.error();
  }
  if (resp->status != 201) {
    return make_error(ErrorKind::kProtocol,
                      "admin PUT " + req.target + ": HTTP " + std::to_string(resp->status) + ": " + resp->body);
  }
  return std::string(resp->header("Docker-Content-Digest"));
}

Result<StoredManifest> RegistryAdmin::copy_image(const std::string& from, const std::string& tag, const std::string& to,
                                                 const std::string& new_tag) {
  auto source = get(from, tag, std::string(kDockerManifestV2) + ", " + std::string(kOciManifest));
  if (!source) {
    return source.error();
  }
  const json doc = json::parse(source->body);
  std::vector<std::string> blobs{doc.at("config").at("digest").get<std::string>()};
  for (const auto& layer : doc.at("layers")) {
    blobs.push_back(layer.at("digest").get<std::string>());
  }
  for (const auto& blob : blobs) {
    http::Request req;
    req.method = "POST";
    req.target = "/v2/" + to + "/blobs/uploads/?mount=" + blob + "&from=" + from;
    auto resp = call(req, {"repository:" + to + ":pull,push", "repository:" + from + ":pull"});
    if (!resp) {
      return resp.error();
    }
    if (resp->status != 201) {
      return make_error(ErrorKind::kProtocol,
                        "admin mount " + blob + " into " + to + ": HTTP " + std::to_string(resp->status));
    }
  }
  auto digest = put(to, new_tag, source->media_type, source->body);
  if (!digest) {
    return digest.error();
  }
  return source;
}

void RegistryAdmin::remove(const std::string& repo, const std::string& digest) {
  if (target_.kind == Kind::kToken) {
    return;  // the test token server grants no delete
  }
  http::Request req;
  req.method = "DELETE";
  req.target = "/v2/" + repo + "/manifests/" + digest;
  (void)call(req, {"repository:" + repo + ":*"});
}

std::string index_body(const std::string& media_type, const std::vector<IndexEntrySpec>& entries) {
  json manifests = json::array();
  for (const auto& e : entries) {
    json platform = {{"architecture", e.architecture}, {"os", e.os}};
    if (!e.variant.empty()) {
      platform["variant"] = e.variant;
    }
    manifests.push_back({{"mediaType", media_type_essence(e.manifest.media_type)},
                         {"size", e.manifest.body.size()},
                         {"digest", e.manifest.digest},
                         {"platform", platform}});
  }
  return json{{"schemaVersion", 2}, {"mediaType", media_type}, {"manifests", manifests}}.dump();
}

std::string rebuilt(const std::string& manifest_body, const std::string& marker) {
  json doc = json::parse(manifest_body);
  doc["annotations"] = {{"org.opencontainers.image.revision", marker}};
  return doc.dump();
}

int logged_requests(const std::string& log, const std::string& uri) {
  std::ifstream in(log);
  std::string line;
  int count = 0;
  // The registry quotes values with characters such as ':' (digests).
  const std::string bare = "http.request.uri=" + uri + " ";
  const std::string quoted = "http.request.uri=\"" + uri + "\"";
  while (std::getline(in, line)) {
    if ((line.find("msg=\"response completed") != std::string::npos ||
         line.find("msg=\"error authorizing context") != std::string::npos) &&
        (line.find(bare) != std::string::npos || line.find(quoted) != std::string::npos)) {
      ++count;
    }
  }
  return count;
}

int logged_token_requests(const std::string& scope, const std::string& user) {
  std::ifstream in(berth::test::env_or("BERTH_TEST_TOKEN_SERVER_LOG", ""));
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    if (line.find("path=/token ") != std::string::npos && line.find("scope=\"" + scope + "\"") != std::string::npos &&
        (user.empty() || line.find(" user=" + user + " ") != std::string::npos)) {
      ++count;
    }
  }
  return count;
}

int settled(const std::function<int()>& count, int at_least) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (count() < at_least && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // anything more than expected shows up too
  return count();
}

RegistryClientSettings test_settings() {
  RegistryClientSettings settings;
  settings.docker_config.reset();
  settings.platform = Platform{"linux", "amd64", ""};
  settings.request_timeout = std::chrono::seconds(10);
  return settings;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "berth-registry-XXXXXX").string();
  if (::mkdtemp(pattern.data()) != nullptr) {
    path_ = pattern;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) {
    std::filesystem::remove_all(path_, ec);
  }
}

std::string TempDir::write(const std::string& name, const std::string& content, unsigned mode) const {
  const std::string file = path_ + "/" + name;
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::filesystem::permissions(file, static_cast<std::filesystem::perms>(mode));
  return file;
}

}  // namespace berth::registry::testing
