#pragma once

// Test data in the real registries of scripts/test-env, written with the registry API, and the counts the
// registries and the token server log.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "http/client.hpp"
#include "registry/client.hpp"
#include "support/async.hpp"

namespace berth::registry::testing {

enum class Kind { kPlain, kBasic, kToken };
std::string to_string(Kind kind);

// One registry of the test environment.
struct Target {
  Kind kind = Kind::kPlain;
  std::string host;  // "127.0.0.1:15000"
  std::string log;   // its log file
  std::string user;  // basic and token: the user that may push
  std::string password;
  std::string source_repo;  // where scripts/test-env pushed the images: berth-test/web or public/web
};

// The target of this kind from the environment; nullopt (with `missing` set to the key) when test-env did
// not run.
std::optional<Target> find_target(Kind kind, std::string& missing);

struct StoredManifest {
  std::string body;
  std::string media_type;
  std::string digest;
};

// Pushes and removes test data with the registry API, authenticated as the test environment's user.
class RegistryAdmin {
 public:
  RegistryAdmin(berth::test::AsyncRunner& runner, Target target);
  ~RegistryAdmin();

  common::Result<StoredManifest> get(const std::string& repo, const std::string& reference, const std::string& accept);
  // PUTs a manifest; returns its digest.
  common::Result<std::string> put(const std::string& repo, const std::string& reference, const std::string& media_type,
                                  const std::string& body);
  // Copies the image manifest `tag` of `from` into `to` as `new_tag` (blobs mounted, the manifest byte for
  // byte, so the digest stays).
  common::Result<StoredManifest> copy_image(const std::string& from, const std::string& tag, const std::string& to,
                                            const std::string& new_tag);
  // Deletes manifests by digest (only in repositories the test created).
  void remove(const std::string& repo, const std::string& digest);

  [[nodiscard]] const Target& target() const { return target_; }

 private:
  common::Result<std::string> authorization(const std::vector<std::string>& scopes);
  common::Result<http::Response> call(http::Request req, const std::vector<std::string>& scopes);

  berth::test::AsyncRunner& runner_;
  Target target_;
  std::unique_ptr<http::Client> registry_;
  std::unique_ptr<http::Client> token_server_;
};

// {"schemaVersion":2,"mediaType":...,"manifests":[...]} with one entry per (manifest, platform).
struct IndexEntrySpec {
  StoredManifest manifest;
  std::string os = "linux";
  std::string architecture;
  std::string variant;
};
std::string index_body(const std::string& media_type, const std::vector<IndexEntrySpec>& entries);

// A "rebuild" of an image manifest: the same layers with a new annotation, so a new digest.
std::string rebuilt(const std::string& manifest_body, const std::string& marker);

// Requests a registry logged for this request URI: answered ones and those refused for authentication.
int logged_requests(const std::string& log, const std::string& uri);
// Token requests the token server logged for this scope (and user, "-" for anonymous, empty for any).
int logged_token_requests(const std::string& scope, const std::string& user = {});
// Waits until a count reaches at least `at_least`, then a little longer for stragglers; returns it.
int settled(const std::function<int()>& count, int at_least);

// Settings for a client of the test registries: the test CA from /etc/docker/certs.d, no docker config.
RegistryClientSettings test_settings();

// A private temporary directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content, unsigned mode = 0600) const;

 private:
  std::string path_;
};

}  // namespace berth::registry::testing
