#include "control/registry_hook.hpp"

#include "common/json_member.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace berth::control {

using common::ErrorKind;
using nlohmann::json;

namespace {

// A placeholder host so that a bare repository parses without Docker Hub's "library/" rule.
constexpr std::string_view kPlaceholderHost = "registry.invalid/";

bool valid_tag(const std::string& tag) {
  if (tag.empty()) {
    return true;
  }
  auto ref = registry::parse_reference(std::string(kPlaceholderHost) + "x:" + tag);
  return ref && ref->tag == tag;
}

void add_hint(std::vector<RegistryHint>& out, RegistryHint hint) {
  if (out.size() < kMaxRegistryHints && std::find(out.begin(), out.end(), hint) == out.end()) {
    out.push_back(std::move(hint));
  }
}

common::Result<std::vector<RegistryHint>> from_docker_hub(const json& doc) {
  const std::string repo = common::string_member(doc.at("repository"), "repo_name");
  const std::string tag = doc.contains("push_data") ? common::string_member(doc.at("push_data"), "tag") : std::string{};
  auto ref = registry::parse_reference(repo);
  if (repo.empty() || !ref || !ref->is_docker_hub() || !ref->digest.empty() || repo.find(':') != std::string::npos ||
      !valid_tag(tag)) {
    return common::make_error(ErrorKind::kInvalidArgument, "webhook payload: invalid repository or tag");
  }
  return std::vector<RegistryHint>{RegistryHint{ref->registry, ref->repository, tag}};
}

bool is_manifest_push(const json& event) {
  if (common::string_member(event, "action") != "push" || !event.contains("target")) {
    return false;
  }
  const json& target = event.at("target");
  if (!common::string_member(target, "tag").empty()) {
    return true;
  }
  const std::string media = common::string_member(target, "mediaType");
  return media.find("manifest") != std::string::npos || media.find("image.index") != std::string::npos;
}

common::Result<std::vector<RegistryHint>> from_distribution(const json& events) {
  std::vector<RegistryHint> out;
  for (const auto& event : events) {
    if (!is_manifest_push(event)) {
      continue;
    }
    const std::string repo = common::string_member(event.at("target"), "repository");
    const std::string tag = common::string_member(event.at("target"), "tag");
    auto ref = registry::parse_reference(std::string(kPlaceholderHost) + repo);
    if (repo.empty() || !ref || ref->repository != repo || !valid_tag(tag)) {
      continue;
    }
    std::string host = event.contains("request") ? common::string_member(event.at("request"), "host") : std::string{};
    if (host.size() > registry::kMaxNameLength || host.find_first_of("/ ") != std::string::npos) {
      host.clear();
    }
    add_hint(out, RegistryHint{std::move(host), repo, tag});
  }
  return out;
}

}  // namespace

common::Result<std::vector<RegistryHint>> parse_registry_hook(std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return common::make_error(ErrorKind::kInvalidArgument, "webhook payload is not a JSON object");
  }
  if (doc.contains("events") && doc.at("events").is_array()) {
    return from_distribution(doc.at("events"));
  }
  if (doc.contains("repository") && doc.at("repository").is_object()) {
    return from_docker_hub(doc);
  }
  return common::make_error(ErrorKind::kInvalidArgument,
                            "webhook payload is neither a Docker Hub push nor a registry notification");
}

bool hint_matches(const RegistryHint& hint, const registry::ImageReference& image) {
  if (hint.registry == registry::kDockerHubDomain && !image.is_docker_hub()) {
    return false;
  }
  if (hint.repository != image.repository) {
    return false;
  }
  return hint.tag.empty() || hint.tag == image.tag;
}

}  // namespace berth::control
