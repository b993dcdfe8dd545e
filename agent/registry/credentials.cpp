#include "registry/credentials.hpp"

#include "common/json_member.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/text.hpp"

namespace berth::registry {
namespace {

using common::ErrorKind;
using common::make_error;
using nlohmann::json;

constexpr std::string_view kTokenUsername = "<token>";
constexpr std::string_view kNotFoundMessage = "credentials not found";
constexpr std::size_t kMaxQuotedHelperMessage = 200;

bool is_docker_hub_host(std::string_view host) {
  return common::iequals(host, "docker.io") || common::iequals(host, "index.docker.io") ||
         common::iequals(host, "registry-1.docker.io");
}

// The host part of a config key: "https://index.docker.io/v1/" -> "index.docker.io", "reg:5000" -> itself.
std::string_view key_host(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.size() >= scheme.size() && common::iequals(key.substr(0, scheme.size()), scheme)) {
      key.remove_prefix(scheme.size());
      break;
    }
  }
  return key.substr(0, key.find('/'));
}

bool key_matches(std::string_view key, std::string_view registry) {
  const std::string_view host = key_host(key);
  if (is_docker_hub_host(registry)) {
    return is_docker_hub_host(host);
  }
  return common::iequals(host, registry);
}

// The member of `object` for the registry and its key: the exact key first, then any key naming the same
// host (in key order, so the choice is stable).
struct Member {
  std::string key;
  const json* value = nullptr;
};

std::optional<Member> find_for_registry(const json& object, std::string_view registry) {
  if (!object.is_object()) {
    return std::nullopt;
  }
  if (const auto it = object.find(docker_config_key(registry)); it != object.end()) {
    return Member{it.key(), &*it};
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (key_matches(it.key(), registry)) {
      return Member{it.key(), &*it};
    }
  }
  return std::nullopt;
}

std::string trim_nul(std::string_view s) {
  while (!s.empty() && s.front() == '\0') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == '\0') {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// A helper name becomes part of an executable name looked up on PATH: no '/', nothing odd.
bool is_helper_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

Result<CredentialLookup> helper_lookup(const json& value, std::string_view where, std::string_view registry) {
  const std::string name = value.is_string() ? value.get<std::string>() : std::string();
  if (!is_helper_name(name)) {
    return make_error(ErrorKind::kInvalidArgument,
                      "docker config: " + std::string(where) + " is not a credential helper name");
  }
  CredentialLookup lookup;
  lookup.source = CredentialSource::kHelper;
  lookup.helper = name;
  lookup.server_url = docker_config_key(registry);
  return lookup;
}

Result<Credential> decode_auth_entry(const json& entry, std::string_view key) {
  Credential credential;
  if (!entry.is_object()) {
    return credential;
  }
  credential.username = common::string_member(entry, "username");
  credential.password = common::string_member(entry, "password");
  credential.identity_token = common::string_member(entry, "identitytoken");
  credential.registry_token = common::string_member(entry, "registrytoken");
  if (const std::string auth = common::string_member(entry, "auth"); !auth.empty()) {
    const auto decoded = common::base64_decode(auth);
    const std::string where = "docker config: auths[\"" + std::string(key.substr(0, 200)) + "\"].auth";
    if (!decoded) {
      return make_error(ErrorKind::kInvalidArgument, where + " is not valid base64");
    }
    const std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
      return make_error(ErrorKind::kInvalidArgument, where + " does not decode to user:password");
    }
    credential.username = trim_nul(std::string_view(*decoded).substr(0, colon));
    credential.password = trim_nul(std::string_view(*decoded).substr(colon + 1));
  }
  return credential;
}

std::string helper_message_line(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string out;
  for (char c : text.substr(0, kMaxQuotedHelperMessage)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (text.size() > kMaxQuotedHelperMessage) {
    out += "...";
  }
  return out;
}

std::string lower_ascii(std::string_view s) { return common::to_lower(s); }

}  // namespace

std::string docker_config_key(std::string_view registry) {
  return is_docker_hub_host(registry) ? std::string(kDockerHubConfigKey) : std::string(registry);
}

Result<CredentialLookup> lookup_docker_config(std::string_view config_json, std::string_view registry) {
  if (std::all_of(config_json.begin(), config_json.end(),
                  [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
    return CredentialLookup{};
  }
  const json config = json::parse(config_json.begin(), config_json.end(), nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return make_error(ErrorKind::kInvalidArgument, "docker config: not a JSON object");
  }

  if (const auto helpers = config.find("credHelpers"); helpers != config.end()) {
    if (const auto helper = find_for_registry(*helpers, registry)) {
      return helper_lookup(*helper->value, "credHelpers[\"" + helper->key.substr(0, 200) + "\"]", registry);
    }
  }
  if (const auto auths = config.find("auths"); auths != config.end()) {
    if (const auto entry = find_for_registry(*auths, registry)) {
      auto credential = decode_auth_entry(*entry->value, entry->key);
      if (!credential) {
        return credential.error();
      }
      if (!credential->empty()) {
        CredentialLookup lookup;
        lookup.source = CredentialSource::kConfig;
        lookup.credential = std::move(*credential);
        lookup.config_key = entry->key;
        return lookup;
      }
    }
  }
  if (const auto store = config.find("credsStore"); store != config.end() && !store->is_null()) {
    if (!(store->is_string() && store->get_ref<const std::string&>().empty())) {
      return helper_lookup(*store, "credsStore", registry);
    }
  }
  return CredentialLookup{};
}

Result<std::optional<Credential>> parse_helper_output(std::string_view stdout_text, int exit_status,
                                                      std::string_view helper) {
  const std::string who = "docker-credential-" + std::string(helper) + " get";
  if (exit_status != 0) {
    if (lower_ascii(stdout_text).find(kNotFoundMessage) != std::string::npos) {
      return std::optional<Credential>();
    }
    const std::string message = helper_message_line(stdout_text);
    return make_error(ErrorKind::kUnavailable, who + " failed (exit status " + std::to_string(exit_status) + ")" +
                                                   (message.empty() ? std::string() : ": " + message));
  }
  const json answer = json::parse(stdout_text.begin(), stdout_text.end(), nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object()) {
    return make_error(ErrorKind::kProtocol, who + ": the output is not a JSON object");
  }
  const std::string username = common::string_member(answer, "Username");
  const std::string secret = common::string_member(answer, "Secret");
  if (secret.empty()) {
    return std::optional<Credential>();
  }
  Credential credential;
  if (username == kTokenUsername) {
    credential.identity_token = secret;
  } else {
    credential.username = username;
    credential.password = secret;
  }
  return std::optional<Credential>(std::move(credential));
}

std::string registry_auth_header(const Credential& credential, std::string_view server_address) {
  json body = json::object();
  if (!credential.identity_token.empty()) {
    body["identitytoken"] = credential.identity_token;
    if (!server_address.empty()) {
      body["serveraddress"] = server_address;
    }
  } else if (!credential.registry_token.empty()) {
    body["registrytoken"] = credential.registry_token;
  } else if (!credential.empty()) {
    body["username"] = credential.username;
    body["password"] = credential.password;
    body["serveraddress"] = server_address;
  }
  // Invalid UTF-8 in a secret is replaced rather than thrown on: the engine would refuse it anyway.
  return common::base64url_encode(body.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string basic_authorization(const Credential& credential) {
  return "Basic " + common::base64_encode(credential.username + ":" + credential.password);
}

}  // namespace berth::registry
