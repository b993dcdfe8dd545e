#pragma once

// Registry credentials the way the Docker CLI finds them: ~/.docker/config.json (`auths`, `credHelpers`,
// `credsStore`) and the docker-credential-<helper> protocol, plus the encodings that carry a credential
// onwards (the X-Registry-Auth header for the Docker Engine, Basic authorization for a registry).
// Everything here is pure: reading the file and running the helper belong to the caller.

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::registry {

using common::Result;

// Key Docker uses for Docker Hub in config.json and with credential helpers.
inline constexpr std::string_view kDockerHubConfigKey = "https://index.docker.io/v1/";

// The config.json key and credential-helper server URL for a registry host: kDockerHubConfigKey for
// "docker.io", "index.docker.io" and "registry-1.docker.io"; the host itself otherwise ("ghcr.io",
// "127.0.0.1:5000").
std::string docker_config_key(std::string_view registry);

struct Credential {
  std::string username;
  std::string password;
  // An OAuth2 refresh token ("identitytoken" in config.json, or a helper answering Username "<token>"):
  // exchanged at the token realm with grant_type=refresh_token, never sent as a password.
  std::string identity_token;
  // A bearer token for the registry itself ("registrytoken" in config.json), sent as is.
  std::string registry_token;

  bool operator==(const Credential&) const = default;

  // True when there is nothing to authenticate with (anonymous).
  [[nodiscard]] bool empty() const { return password.empty() && identity_token.empty() && registry_token.empty(); }
};

enum class CredentialSource {
  kAnonymous,  // nothing configured for this registry
  kConfig,     // a secret stored in config.json `auths`
  kHelper,     // ask a credential helper
};

struct CredentialLookup {
  CredentialSource source = CredentialSource::kAnonymous;
  Credential credential;   // kConfig
  std::string config_key;  // kConfig: the `auths` key the secret came from (safe to log)
  std::string helper;      // kHelper: the suffix; run `docker-credential-<helper> get`
  std::string server_url;  // kHelper: what to write to the helper's stdin (docker_config_key(registry))

  bool operator==(const CredentialLookup&) const = default;
};

// Decides from config.json's text what to use for `registry` (a host as in ImageReference::registry):
//  1. credHelpers[<key>]: the per-registry helper;
//  2. auths[<key>] when it holds a secret: `auth` (standard base64 of user:password, which wins over the
//     username/password fields), `identitytoken` or `registrytoken`;
//  3. credsStore: the default helper;
//  4. anonymous.
// <key> is docker_config_key(registry); keys written as URLs ("https://reg.example.com",
// "http://reg:5000/v1/") match by host name. An `auths` entry with a secret wins over credsStore because
// the Docker CLI never writes one under a store: such an entry was put there on purpose (for example a
// config copied from a workstation whose store does not exist here).
// Empty text is an empty config. For DOCKER_AUTH_CONFIG, call this on its text first and fall back to the
// file when it answers kAnonymous. Errors (kInvalidArgument) never contain a secret.
Result<CredentialLookup> lookup_docker_config(std::string_view config_json, std::string_view registry);

// Interprets what `docker-credential-<helper> get` printed on stdout and its exit status. A value is the
// credential; nullopt means anonymous ("credentials not found", or an empty answer). Errors name the helper
// and, for a non-zero exit, its message (stdout carries the error then, not a secret); the output of a
// successful run is never quoted in an error.
Result<std::optional<Credential>> parse_helper_output(std::string_view stdout_text, int exit_status,
                                                      std::string_view helper);

// The X-Registry-Auth header value for a pull through the Docker Engine: base64url of
// {"username","password","serveraddress"}, of {"identitytoken","serveraddress"}, of {"registrytoken"}, or of
// {} when anonymous.
std::string registry_auth_header(const Credential& credential, std::string_view server_address);

// "Basic <base64(username:password)>" for a token request or a Basic-only registry.
std::string basic_authorization(const Credential& credential);

}  // namespace berth::registry
