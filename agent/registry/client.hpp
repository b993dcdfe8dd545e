#pragma once

// The registry watcher's client: which digest does a tag point at now, and which manifest of it runs on this
// host. One HEAD per warm check; a GET only when the registry sends no digest or a changed index must be
// resolved for this host's platform. Credentials, tokens, TLS, plain-HTTP loopback registries, redirects,
// rate limits and per-registry backoff are handled here, so callers see one Result per image reference.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/agent_config.hpp"
#include "registry/manifest.hpp"
#include "registry/ratelimit.hpp"
#include "registry/reference.hpp"

namespace berth::aws {
class AwsClient;
}

namespace berth::registry {

class RegistrySession;
struct RequestTally;

struct RegistryClientSettings {
  // agent.json `registries`, by registry host ("registry.example.com:5000", "docker.io"): credentials and an
  // extra CA bundle. They win over the docker config.
  std::map<std::string, config::RegistrySettings> registries;
  // A docker config.json (`auths`, `credHelpers`, `credsStore`); none when empty. A missing file is anonymous.
  std::optional<std::string> docker_config;
  // Docker's per-registry CA directory: <certs_dir>/<host[:port]>/*.crt are trusted for that host (in addition
  // to the system store) unless agent.json names a ca_file for it. Empty turns the lookup off.
  std::string certs_dir = "/etc/docker/certs.d";
  // Registries that may be reached over plain HTTP when HTTPS fails, besides the ones Docker treats as
  // insecure by default (localhost, 127.0.0.0/8, ::1). Host or host:port, as in Docker's insecure-registries.
  std::vector<std::string> insecure_registries;
  // The platform whose manifest check() compares (the Docker Engine's, from GET /info, when known).
  Platform platform = host_platform();
  // Deadline of one HTTP exchange (connect, TLS, request, whole response).
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // Deadline of one docker-credential-<helper> run.
  std::chrono::milliseconds helper_timeout{std::chrono::seconds(10)};
  // How long resolved credentials are reused before the password file, config or helper is read again (a
  // rejection drops them at once).
  std::chrono::milliseconds credential_ttl{std::chrono::minutes(5)};
  BackoffSettings backoff;
  // ECR registries ("<account>.dkr.ecr.<region>.amazonaws.com") for which agent.json and the docker config
  // name no credentials log in with ECR's GetAuthorizationToken through this client (the instance role);
  // none when null. The login is renewed at half its lifetime, or at once when the registry refuses it.
  aws::AwsClient* aws = nullptr;
  // Redirects followed per request; Authorization never crosses to another host.
  int max_redirects = 3;
  // Connections kept open per origin (a registry, its token server, its blob store): requests beyond it wait
  // for one of them, so a cycle of checks reuses a few warm connections instead of opening one per check.
  std::size_t connections_per_origin = 8;
  // Requests under way at once, all registries together.
  std::size_t requests_in_flight = 32;

  // The settings agent.json implies: its registries and docker_config, defaults for the rest.
  static RegistryClientSettings from_config(const config::AgentConfig& config);
};

// What a tag points at, as far as this host is concerned.
struct TagDigest {
  // The digest the tag points at (an index for multi-platform tags): what to pull.
  std::string tag_digest;
  // This host's manifest: tag_digest for a single-platform tag, the selected entry of an index otherwise.
  // Compare this one: a rebuild of another platform changes tag_digest but not platform_digest.
  std::string platform_digest;
  // Media type of the tag's manifest (one of the four kManifest... types).
  std::string media_type;
  // HTTP exchanges with the registry for this check (a warm check makes exactly one), and with its token
  // server.
  int requests_made = 0;
  int token_requests = 0;
  // The registry's pull budget after this check, when it sends one.
  std::optional<RateLimitBudget> rate_limit;
};

// Used from the one io_context thread, like every berth client; calls may overlap (check_all does that).
class RegistryClient {
 public:
  RegistryClient(boost::asio::any_io_executor executor, RegistryClientSettings settings);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // The newest digest of the reference's tag (or of its pinned digest) and this host's manifest of it.
  // Errors: kNotFound for a missing tag or a tag without this host's platform (naming the platforms it has);
  // kUnauthorized naming the registry and the user; kRateLimited or kUnavailable while the registry is backed
  // off (no request is made then); kTimeout, kUnavailable, kProtocol for a failing registry. A failing
  // registry never yields a digest.
  boost::asio::awaitable<common::Result<TagDigest>> check(const ImageReference& ref);

  // This host's manifest digest for a known digest of the reference's repository (a running container's
  // RepoDigest): the digest itself for an image manifest, the selected entry for an index. Cached: digests
  // are immutable.
  boost::asio::awaitable<common::Result<std::string>> platform_digest(const ImageReference& ref,
                                                                      const std::string& digest);

  // The size of the image `digest` (this host's manifest of it when it is an index), from its manifest: what
  // a pull downloads. Used by the disk guard before a pull.
  boost::asio::awaitable<common::Result<std::int64_t>> image_size(const ImageReference& ref, const std::string& digest);

  // Every tag of the reference's repository (GET /v2/<name>/tags/list, following the registry's Link
  // pagination, `page_size` tags a page, at most kMaxTagPages pages), in the registry's order. Within the
  // registry's rate limits and backoff like every request.
  struct TagList {
    std::vector<std::string> tags;
    int requests_made = 0;  // pages fetched, plus any request an authentication challenge cost
  };
  static constexpr int kMaxTagPages = 50;
  boost::asio::awaitable<common::Result<TagList>> list_tags(const ImageReference& ref, int page_size = 1000);

  // check() for every distinct reference (by full()), at most `concurrency` at a time. Keyed by full().
  boost::asio::awaitable<std::map<std::string, common::Result<TagDigest>>> check_all(
      const std::vector<ImageReference>& refs, std::size_t concurrency);

  // The X-Registry-Auth header value for a Docker pull of `ref`; empty when anonymous.
  boost::asio::awaitable<common::Result<std::string>> registry_auth(const ImageReference& ref);

  // The latest pull budget a registry (ImageReference::registry, e.g. "docker.io") reported.
  [[nodiscard]] std::optional<RateLimitBudget> rate_limit(std::string_view registry) const;

  // When requests to a registry may go out again; nullopt when it is not backed off.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> backoff_until(std::string_view registry) const;

 private:
  boost::asio::awaitable<common::Result<TagDigest>> check_counted(const ImageReference& ref, RequestTally& counts);
  boost::asio::awaitable<common::Result<TagDigest>> check_by_get(const ImageReference& ref, RequestTally& counts);
  boost::asio::awaitable<common::Result<std::string>> resolve_platform(const ImageReference& ref,
                                                                       const std::string& digest, RequestTally& counts);
  boost::asio::awaitable<common::Result<std::string>> select_from(const ImageReference& ref, const std::string& digest,
                                                                  const Manifest& manifest, int depth,
                                                                  RequestTally& counts);
  void remember_platform(const std::string& digest, const common::Result<std::string>& result);

  boost::asio::any_io_executor executor_;
  Platform platform_;
  std::unique_ptr<RegistrySession> session_;
  // Index (or image) digest -> this host's manifest digest, or the deterministic failure to select one.
  std::map<std::string, common::Result<std::string>> platform_cache_;
};

}  // namespace berth::registry
