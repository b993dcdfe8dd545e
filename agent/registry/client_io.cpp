// RegistryClient: the tag's digest by HEAD, the platform's manifest from the index, check_all's bounded
// concurrency, and X-Registry-Auth for pulls.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "registry/client.hpp"
#include "registry/digest.hpp"
#include "registry/registry_error.hpp"
#include "registry/registry_session.hpp"
#include "registry/tag_list.hpp"

namespace berth::registry {

namespace net = boost::asio;
using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// A HEAD answer has no body; an error body on HEAD is empty too. This only bounds a misbehaving server.
constexpr std::size_t kHeadBodyLimit = std::size_t{64} * 1024;
constexpr std::size_t kMaxPlatformCache = 4096;
constexpr int kMaxIndexDepth = 2;

std::string describe(const ImageReference& ref, const std::string& reference) {
  return ref.repository_with_registry() + (is_valid_digest(reference) ? "@" : ":") + reference;
}

http::Request manifest_request(const char* method, const ImageReference& ref, const std::string& reference) {
  http::Request req;
  req.method = method;
  req.target = "/v2/" + ref.repository + "/manifests/" + reference;
  req.headers.emplace_back("Accept", std::string(kManifestAccept));
  return req;
}

struct FetchedManifest {
  std::string body;
  std::string content_type;
  std::string digest;  // of the body as received
};

// GET of a manifest by tag or digest. The digest is the registry's when it sends one (checked against the
// body when it is sha256), else the body's; a body that does not match a requested digest is refused.
net::awaitable<Result<FetchedManifest>> get_manifest(RegistrySession& session, const ImageReference& ref,
                                                     const std::string& reference, RequestTally& tally) {
  const std::string what = "GET " + describe(ref, reference);
  auto resp = co_await session.send(ref, manifest_request("GET", ref, reference), kMaxManifestBytes, what, tally);
  if (!resp) {
    co_return resp.error();
  }
  if (resp->status != 200) {
    co_return registry_error(resp->status, resp->body, what);
  }
  FetchedManifest out{std::move(resp->body), std::string(resp->header("Content-Type")), {}};
  const std::string computed = sha256_digest(out.body);
  const std::string sent(resp->header("Docker-Content-Digest"));
  const std::string& expected = is_valid_digest(reference) ? reference : sent;
  if (is_sha256_digest(expected) && expected != computed) {
    co_return make_error(ErrorKind::kProtocol, what + ": the manifest's content is " + computed + ", not " + expected);
  }
  out.digest = is_valid_digest(expected) ? expected : computed;
  co_return out;
}

}  // namespace

RegistryClientSettings RegistryClientSettings::from_config(const config::AgentConfig& config) {
  RegistryClientSettings settings;
  settings.registries = config.registries;
  settings.docker_config = config.docker_config;
  return settings;
}

RegistryClient::RegistryClient(net::any_io_executor executor, RegistryClientSettings settings)
    : executor_(std::move(executor)),
      platform_(normalize_platform(settings.platform)),
      session_(std::make_unique<RegistrySession>(executor_, std::move(settings))) {}

RegistryClient::~RegistryClient() = default;

std::optional<RateLimitBudget> RegistryClient::rate_limit(std::string_view registry) const {
  return session_->rate_limit(registry);
}

std::optional<std::chrono::steady_clock::time_point> RegistryClient::backoff_until(std::string_view registry) const {
  return session_->backoff_until(registry);
}

net::awaitable<Result<TagDigest>> RegistryClient::check(const ImageReference& ref) {
  RequestTally tally;
  auto result = co_await check_counted(ref, tally);
  if (!result) {
    co_return result.error();
  }
  result->requests_made = tally.registry;
  result->token_requests = tally.token;
  result->rate_limit = session_->rate_limit(ref.registry);
  co_return result;
}

net::awaitable<Result<TagDigest>> RegistryClient::check_counted(const ImageReference& ref, RequestTally& tally) {
  const std::string& reference = ref.manifest_reference();
  const std::string what = "HEAD " + describe(ref, reference);
  auto head = co_await session_->send(ref, manifest_request("HEAD", ref, reference), kHeadBodyLimit, what, tally);
  if (!head) {
    co_return head.error();
  }
  if (head->status != 200) {
    co_return registry_error(head->status, head->body, what);
  }
  TagDigest out;
  out.tag_digest = std::string(head->header("Docker-Content-Digest"));
  out.media_type = media_type_essence(head->header("Content-Type"));
  const auto kind = manifest_kind(out.media_type);
  if (!is_valid_digest(out.tag_digest) || !kind) {
    co_return co_await check_by_get(ref, tally);  // the registry did not say: read the manifest itself
  }
  if (*kind == ManifestKind::kImage) {
    out.platform_digest = out.tag_digest;
    co_return out;
  }
  auto platform = co_await resolve_platform(ref, out.tag_digest, tally);
  if (!platform) {
    co_return platform.error();
  }
  out.platform_digest = std::move(*platform);
  co_return out;
}

net::awaitable<Result<TagDigest>> RegistryClient::check_by_get(const ImageReference& ref, RequestTally& tally) {
  auto got = co_await get_manifest(*session_, ref, ref.manifest_reference(), tally);
  if (!got) {
    co_return got.error();
  }
  auto manifest = parse_manifest(got->body, got->content_type);
  if (!manifest) {
    co_return manifest.error().context(describe(ref, ref.manifest_reference()));
  }
  TagDigest out;
  out.tag_digest = got->digest;
  out.media_type = manifest->media_type;
  auto platform = co_await select_from(ref, got->digest, *manifest, 0, tally);
  if (!platform) {
    co_return platform.error();
  }
  out.platform_digest = std::move(*platform);
  co_return out;
}

net::awaitable<Result<std::string>> RegistryClient::platform_digest(const ImageReference& ref,
                                                                    const std::string& digest) {
  if (!is_valid_digest(digest)) {
    co_return make_error(ErrorKind::kInvalidArgument, "\"" + digest.substr(0, 200) + "\" is not a digest");
  }
  RequestTally tally;
  co_return co_await resolve_platform(ref, digest, tally);
}

net::awaitable<Result<std::int64_t>> RegistryClient::image_size(const ImageReference& ref, const std::string& digest) {
  auto platform = co_await platform_digest(ref, digest);
  if (!platform) {
    co_return platform.error();
  }
  RequestTally tally;
  auto got = co_await get_manifest(*session_, ref, *platform, tally);
  if (!got) {
    co_return got.error();
  }
  auto manifest = parse_manifest(got->body, got->content_type);
  if (!manifest) {
    co_return manifest.error().context(describe(ref, *platform));
  }
  co_return manifest->image_bytes;
}

net::awaitable<Result<RegistryClient::TagList>> RegistryClient::list_tags(const ImageReference& ref, int page_size) {
  RequestTally tally;
  TagList out;
  std::string target = "/v2/" + ref.repository + "/tags/list?n=" + std::to_string(page_size);
  for (int page = 0; page < kMaxTagPages && !target.empty(); ++page) {
    http::Request req;
    req.target = target;
    req.headers.emplace_back("Accept", "application/json");
    const std::string what = "GET " + ref.repository_with_registry() + " tags";
    auto resp = co_await session_->send(ref, std::move(req), kMaxTagListBytes, what, tally);
    if (!resp) {
      co_return resp.error();
    }
    if (resp->status != 200) {
      co_return registry_error(resp->status, resp->body, what);
    }
    auto page_tags = parse_tag_list(resp->body);
    if (!page_tags) {
      co_return page_tags.error().context(what);
    }
    out.tags.insert(out.tags.end(), page_tags->begin(), page_tags->end());
    target = next_page_target(resp->header("Link"));
  }
  out.requests_made = tally.registry;
  co_return out;
}

net::awaitable<Result<std::string>> RegistryClient::resolve_platform(const ImageReference& ref,
                                                                     const std::string& digest, RequestTally& tally) {
  if (auto it = platform_cache_.find(digest); it != platform_cache_.end()) {
    co_return it->second;
  }
  auto got = co_await get_manifest(*session_, ref, digest, tally);
  if (!got) {
    co_return got.error();  // transient or access trouble: not cached
  }
  auto manifest = parse_manifest(got->body, got->content_type);
  if (!manifest) {
    Error e = manifest.error().context(describe(ref, digest));
    remember_platform(digest, e);
    co_return e;
  }
  co_return co_await select_from(ref, digest, *manifest, 0, tally);
}

// This host's manifest within `manifest` (stored at `digest`), following nested indexes.
net::awaitable<Result<std::string>> RegistryClient::select_from(const ImageReference& ref, const std::string& digest,
                                                                const Manifest& manifest, int depth,
                                                                RequestTally& tally) {
  if (manifest.kind == ManifestKind::kImage) {
    remember_platform(digest, digest);
    co_return digest;
  }
  auto entry = select_platform(manifest.index, platform_);
  if (!entry) {
    Error e = entry.error().context(describe(ref, ref.tag.empty() ? digest : ref.tag));
    remember_platform(digest, e);
    co_return e;
  }
  if (manifest_kind(entry->media_type) != ManifestKind::kIndex) {
    remember_platform(digest, entry->digest);
    co_return entry->digest;
  }
  if (depth >= kMaxIndexDepth) {
    co_return make_error(ErrorKind::kProtocol, describe(ref, digest) + ": indexes nested more than " +
                                                   std::to_string(kMaxIndexDepth) + " deep");
  }
  auto inner = co_await resolve_platform(ref, entry->digest, tally);
  if (inner || inner.error().kind == ErrorKind::kNotFound) {
    remember_platform(digest, inner);
  }
  co_return inner;
}

void RegistryClient::remember_platform(const std::string& digest, const Result<std::string>& result) {
  if (platform_cache_.size() >= kMaxPlatformCache) {
    platform_cache_.clear();
  }
  platform_cache_.insert_or_assign(digest, result);
}

net::awaitable<std::map<std::string, Result<TagDigest>>> RegistryClient::check_all(
    const std::vector<ImageReference>& refs, std::size_t concurrency) {
  struct Shared {
    explicit Shared(const net::any_io_executor& executor) : finished(executor) {}
    std::vector<ImageReference> queue;
    std::size_t next = 0;
    std::size_t running = 0;
    std::map<std::string, Result<TagDigest>> results;
    std::exception_ptr failure;
    Signal finished;
  };
  auto shared = std::make_shared<Shared>(executor_);
  std::set<std::string> seen;
  for (const auto& ref : refs) {
    if (seen.insert(ref.full()).second) {
      shared->queue.push_back(ref);
    }
  }
  const std::size_t workers = std::min(std::max<std::size_t>(concurrency, 1), shared->queue.size());
  for (std::size_t i = 0; i < workers; ++i) {
    ++shared->running;
    auto worker = [this, shared]() -> net::awaitable<void> {
      while (shared->next < shared->queue.size()) {
        const ImageReference& ref = shared->queue[shared->next++];
        auto result = co_await check(ref);
        shared->results.insert_or_assign(ref.full(), std::move(result));
      }
    };
    auto finished = [shared](std::exception_ptr e) {
      if (e && !shared->failure) {
        shared->failure = e;
      }
      if (--shared->running == 0) {
        shared->finished.notify_all();
      }
    };
    net::co_spawn(executor_, std::move(worker), std::move(finished));
  }
  while (shared->running > 0) {
    co_await shared->finished.wait();
  }
  if (shared->failure) {
    std::rethrow_exception(shared->failure);  // a bug (or out of memory), not bad news from a registry
  }
  co_return std::move(shared->results);
}

net::awaitable<Result<std::string>> RegistryClient::registry_auth(const ImageReference& ref) {
  auto credential = co_await session_->credential(ref);
  if (!credential) {
    co_return credential.error();
  }
  if (!*credential || (*credential)->empty()) {
    co_return std::string();
  }
  co_return registry_auth_header(**credential, docker_config_key(ref.registry));
}

}  // namespace berth::registry
