#include "swap/recreate.hpp"

#include "swap/recreate_steps.hpp"

#include "registry/reference.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <string_view>

namespace berth::swap {
namespace recreate_detail {

const nlohmann::json& member(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json absent;
  if (!object.is_object()) {
    return absent;
  }
  const auto it = object.find(key);
  return it == object.end() ? absent : *it;
}

std::string text(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

bool is_unset(const nlohmann::json& value) {
  if (value.is_null()) {
    return true;
  }
  if (value.is_array() || value.is_object()) {
    return value.empty();
  }
  if (value.is_string()) {
    return value.get_ref<const std::string&>().empty();
  }
  if (value.is_boolean()) {
    return !value.get<bool>();
  }
  if (value.is_number_integer() || value.is_number_unsigned()) {
    return value.get<std::int64_t>() == 0;
  }
  return false;
}

bool is_hex(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

common::Error Recreation::refuse(const std::string& reason) const {
  return common::make_error(common::ErrorKind::kInvalidArgument, "cannot recreate container " + name + ": " + reason);
}

common::Status Recreation::require_api(docker::ApiVersion needed, const std::string& what) const {
  if (api >= needed) {
    return {};
  }
  return refuse(what + " needs Docker API " + needed.str() + ", and berth speaks " + api.str() + " with this daemon");
}

// "/db:/web/db" (how inspect reports a legacy link) -> "db:db" (how create takes it).
std::string rewrite_link(const std::string& link) {
  const auto colon = link.find(':');
  if (colon == std::string::npos) {
    return link.find('/') == std::string::npos ? link : std::string();
  }
  std::string source = link.substr(0, colon);
  std::string target = link.substr(colon + 1);
  if (!source.empty() && source[0] == '/') {
    source.erase(0, 1);
  }
  const auto slash = target.rfind('/');
  const std::string alias = slash == std::string::npos ? target : target.substr(slash + 1);
  if (source.empty() || alias.empty() || source.find('/') != std::string::npos ||
      alias.find(':') != std::string::npos) {
    return {};
  }
  return source + ":" + alias;
}

}  // namespace recreate_detail

namespace {

using nlohmann::json;
using recreate_detail::is_hex;
using recreate_detail::is_unset;
using recreate_detail::member;
using recreate_detail::Recreation;
using recreate_detail::rewrite_link;
using recreate_detail::text;

constexpr std::string_view kBerthLabelPrefix = "berth.";

std::string host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) {
    return {};
  }
  return buffer.data();
}

// Why `ref`, the Config.Image of a container running image `image_id`, gives berth nothing to follow;
// empty when it can be followed.
std::string unfollowable_image(const std::string& ref, const std::string& image_id) {
  if (ref.empty()) {
    return "it has no image reference (Config.Image is empty)";
  }
  const std::string id_hex = image_id.rfind("sha256:", 0) == 0 ? image_id.substr(7) : image_id;
  if (ref.rfind("sha256:", 0) == 0 || (is_hex(ref) && id_hex.rfind(ref, 0) == 0)) {
    return "it was started from image ID " + ref + ", not from a reference berth could follow";
  }
  auto parsed = registry::parse_reference(ref);
  if (!parsed) {
    return "its image \"" + ref + "\" is not a reference berth could follow (" + parsed.error().message + ")";
  }
  if (!parsed->digest.empty()) {
    return "its image \"" + ref + "\" is pinned by digest, so there is nothing to update";
  }
  return {};
}

common::Status check_new_image(Recreation& r, const std::string& new_ref) {
  if (new_ref.empty()) {
    return r.refuse("no image reference was given for the new container");
  }
  if (new_ref.rfind("sha256:", 0) == 0) {
    return r.refuse("the new image \"" + new_ref + "\" is an image ID; the new container needs a reference");
  }
  auto parsed = registry::parse_reference(new_ref);
  if (!parsed) {
    return r.refuse("the new image \"" + new_ref + "\" is not a reference (" + parsed.error().message + ")");
  }
  if (!parsed->digest.empty()) {
    r.warnings.push_back("the new image \"" + new_ref + "\" is pinned by digest: berth will not update " + r.name +
                         " again until it runs a tag");
  }
  return {};
}

// Env entries equal to one of the image's: the image's defaults, not the user's settings.
void subtract_env(json& config, const json& image) {
  const json& env = member(config, "Env");
  std::set<std::string> from_image;
  for (const auto& entry : member(image, "Env")) {
    from_image.insert(entry.get<std::string>());
  }
  json kept = json::array();
  for (const auto& entry : env) {
    if (from_image.count(entry.get<std::string>()) == 0) {
      kept.push_back(entry);
    }
  }
  if (kept.empty()) {
    config.erase("Env");
  } else {
    config["Env"] = std::move(kept);
  }
}

void subtract_labels(json& config, const json& image) {
  const json& image_labels = member(image, "Labels");
  json kept = json::object();
  for (const auto& [key, value] : member(config, "Labels").items()) {
    const json& image_value = member(image_labels, key);
    const bool berth_own = key.rfind(kBerthLabelPrefix, 0) == 0;
    if (berth_own || image_value.is_null() || image_value != value) {
      kept[key] = value;
    }
  }
  if (kept.empty()) {
    config.erase("Labels");
  } else {
    config["Labels"] = std::move(kept);
  }
}

// The keys of config[key] (a map to {}: ExposedPorts, Volumes) that the image does not declare.
void subtract_set(json& config, const json& image, const char* key) {
  const json& from_image = member(image, key);
  json kept = json::object();
  for (const auto& [k, v] : member(config, key).items()) {
    if (!from_image.contains(k)) {
      kept[k] = v;
    }
  }
  if (kept.empty()) {
    config.erase(key);
  } else {
    config[key] = std::move(kept);
  }
}

// Cmd and Entrypoint as the daemon merged them: the image's Entrypoint is taken only when the user gave
// none, and the image's Cmd only when the user gave neither Entrypoint nor Cmd.
void subtract_command(json& config, const json& image) {
  const json entrypoint = member(config, "Entrypoint");
  const json cmd = member(config, "Cmd");
  const json& image_entrypoint = member(image, "Entrypoint");
  const json& image_cmd = member(image, "Cmd");
  if (is_unset(entrypoint)) {
    if (!is_unset(image_entrypoint) && entrypoint.is_null()) {
      // `--entrypoint ""` (sent as [""], stored as none): send it again, or the new image's would apply.
      // The user's Cmd stays as it is, since the daemon never fills it under a user's entrypoint.
      config["Entrypoint"] = json::array({""});
      return;
    }
    if (entrypoint.is_null()) {
      config.erase("Entrypoint");
    }
  } else if (entrypoint == image_entrypoint && !(is_unset(cmd) && !is_unset(image_cmd))) {
    // The image's entrypoint. (With an empty Cmd while the image has one, the user set this entrypoint
    // explicitly: the daemon would have filled the image's Cmd otherwise.)
    config.erase("Entrypoint");
  } else {
    return;  // the user's entrypoint, with the user's Cmd
  }
  if (is_unset(cmd) || cmd == image_cmd) {
    config.erase("Cmd");
    config.erase("ArgsEscaped");
  }
}

// A string (or list) field the image sets: dropped when unset or equal to the image's.
void subtract_field(json& config, const json& image, const char* key) {
  const json& value = member(config, key);
  if (is_unset(value) || value == member(image, key)) {
    config.erase(key);
  }
}

common::Status subtract_healthcheck(const Recreation& r, json& config, const json& image) {
  json check = member(config, "Healthcheck");
  if (!check.is_object()) {
    config.erase("Healthcheck");
    return {};
  }
  const json& image_check = member(image, "Healthcheck");
  for (const char* key : {"Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"}) {
    if (check.contains(key) && (is_unset(check[key]) || check[key] == member(image_check, key))) {
      check.erase(key);
    }
  }
  if (check.contains("StartInterval")) {
    if (auto status = r.require_api({1, 44}, "its healthcheck's start interval"); !status) {
      return status;
    }
  }
  if (check.empty()) {
    config.erase("Healthcheck");
  } else {
    config["Healthcheck"] = std::move(check);
  }
  return {};
}

common::Status plan_config(const Recreation& r, json& config, const json& image, const json& host) {
  subtract_env(config, image);
  subtract_labels(config, image);
  subtract_command(config, image);
  for (const char* key : {"WorkingDir", "User", "StopSignal", "Shell", "OnBuild", "Domainname"}) {
    subtract_field(config, image, key);
  }
  if (auto status = subtract_healthcheck(r, config, image); !status) {
    return status;
  }
  subtract_set(config, image, "Volumes");
  subtract_set(config, image, "ExposedPorts");
  const std::string network_mode = text(host, "NetworkMode");
  const bool joins_container = network_mode.rfind("container:", 0) == 0;
  if (joins_container) {
    // The daemon refuses exposed ports in this mode; what inspect shows came from the image.
    config.erase("ExposedPorts");
  } else {
    for (const auto& [port, bindings] : member(host, "PortBindings").items()) {
      config["ExposedPorts"][port] = json::object();
    }
  }
  // The hostname the daemon chose: the short id, the host's name on the host network, the target's in
  // container: mode (where a hostname is refused, as it is with --uts host).
  const std::string hostname = text(config, "Hostname");
  if (hostname.empty() || hostname == r.short_id || joins_container || text(host, "UTSMode") == "host" ||
      (network_mode == "host" && hostname == host_name())) {
    config.erase("Hostname");
  }
  config.erase("MacAddress");  // placed again by plan_networks when the user pinned it
  return {};
}

// The paths Docker 20.10, the oldest engine berth speaks to, masks and makes read-only in a container
// created without MaskedPaths and ReadonlyPaths. The engine stores its defaults in the container, and
// newer engines have more (Docker 26 also masks /sys/devices/virtual/powercap).
constexpr std::array<std::string_view, 10> kDefaultMaskedPaths = {
    "/proc/asound",     "/proc/acpi",        "/proc/kcore",       "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"};
constexpr std::array<std::string_view, 5> kDefaultReadonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                                   "/proc/sysrq-trigger"};

// A list holding every default path is an engine's defaults: left out, so that the engine the new
// container is created on applies its own, as it did for the old one (copied, the defaults of the engine
// that created the old container would stay after an upgrade). An empty list (`--security-opt
// systempaths=unconfined`) or another one set through the API is the user's and is kept; a list of the
// defaults plus paths of the user's own loses those.
template <std::size_t N>
void drop_engine_defaults(json& host, const char* key, const std::array<std::string_view, N>& defaults) {
  const json& paths = member(host, key);
  if (!paths.is_array() || paths.empty()) {
    return;
  }
  for (const std::string_view wanted : defaults) {
    if (std::none_of(paths.begin(), paths.end(),
                     [&](const json& p) { return p.is_string() && p.get_ref<const std::string&>() == wanted; })) {
      return;
    }
  }
  host.erase(key);
}

common::Status plan_host_config(Recreation& r, json& host) {
  host.erase("ContainerIDFile");  // the CLI's --cidfile, written by the CLI
  host.erase("ConsoleSize");      // the size of the terminal that ran `docker run -t`
  drop_engine_defaults(host, "MaskedPaths", kDefaultMaskedPaths);
  drop_engine_defaults(host, "ReadonlyPaths", kDefaultReadonlyPaths);
  if (!is_unset(member(host, "Annotations"))) {
    if (auto status = r.require_api({1, 43}, "its annotations"); !status) {
      return status;
    }
  }
  const std::string network_mode = text(host, "NetworkMode");
  if (network_mode.rfind("container:", 0) == 0) {
    for (const char* key :
         {"PortBindings", "PublishAllPorts", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "Links"}) {
      host.erase(key);
    }
  }
  if (host.contains("Links") && host["Links"].is_array()) {
    json links = json::array();
    for (const auto& link : host["Links"]) {
      const std::string rewritten = rewrite_link(link.get<std::string>());
      if (rewritten.empty()) {
        return r.refuse("its link \"" + link.get<std::string>() + "\" is not in the form Docker reports");
      }
      links.push_back(rewritten);
    }
    host["Links"] = std::move(links);
  }
  std::string chosen_by_docker;
  for (const auto& [port, bindings] : member(host, "PortBindings").items()) {
    for (const auto& binding : bindings) {
      const std::string host_port = text(binding, "HostPort");
      if (host_port.empty() || host_port == "0") {
        chosen_by_docker += (chosen_by_docker.empty() ? "" : ", ") + port;
        break;
      }
    }
  }
  if (const json& all = member(host, "PublishAllPorts"); all.is_boolean() && all.get<bool>()) {
    chosen_by_docker += (chosen_by_docker.empty() ? "" : ", ") + std::string("every exposed port (-P)");
  }
  if (!chosen_by_docker.empty()) {
    r.warnings.push_back("port " + chosen_by_docker + " of " + r.name +
                         " is published on a host port Docker chose; the new container gets a new one");
  }
  for (const char* key : {"NetworkMode", "IpcMode", "PidMode"}) {
    const std::string mode = text(host, key);
    if (mode.rfind("container:", 0) == 0) {
      r.warnings.push_back(r.name + " shares a namespace with " + mode + " (" + key +
                           "); recreate it again whenever that container is recreated");
    }
  }
  return {};
}

}  // namespace

common::Result<RecreatePlan> plan_recreate(const nlohmann::json& container_inspect,
                                           const nlohmann::json& old_image_inspect, const std::string& new_image_ref,
                                           docker::ApiVersion api) {
  const std::string id = text(container_inspect, "Id");
  if (id.size() < 12 || !member(container_inspect, "Config").is_object() ||
      !member(container_inspect, "HostConfig").is_object()) {
    return common::make_error(common::ErrorKind::kInvalidArgument,
                              "cannot recreate a container from this inspect: it has no Id, Config or HostConfig");
  }
  Recreation r;
  r.container = &container_inspect;
  r.api = api;
  r.short_id = id.substr(0, 12);
  r.name = text(container_inspect, "Name");
  if (!r.name.empty() && r.name[0] == '/') {
    r.name.erase(0, 1);
  }
  if (r.name.empty()) {
    r.name = r.short_id;
  }
  try {
    const json& config = container_inspect["Config"];
    const json& host = container_inspect["HostConfig"];
    const std::string image_id = text(container_inspect, "Image");
    const std::string old_image_id = text(old_image_inspect, "Id");
    if (old_image_id.empty() || old_image_id != image_id) {
      return r.refuse("the old image given (" + (old_image_id.empty() ? "no Id" : old_image_id) +
                      ") is not the image it runs (" + image_id + "); inspect that image by its id");
    }
    const json& labels = member(config, "Labels");
    if (labels.contains("com.docker.swarm.task.id") || labels.contains("com.docker.swarm.service.id")) {
      return r.refuse("it is a task of a Docker Swarm service; update the service instead");
    }
    if (member(host, "AutoRemove").is_boolean() && member(host, "AutoRemove").get<bool>()) {
      return r.refuse(
          "it was started with --rm (AutoRemove): stopped, it would be deleted, leaving nothing to roll back to");
    }
    if (const std::string why = unfollowable_image(text(config, "Image"), image_id); !why.empty()) {
      return r.refuse(why);
    }
    if (auto status = check_new_image(r, new_image_ref); !status) {
      return status.error();
    }
    if (labels.contains("com.docker.compose.project")) {
      r.warnings.push_back(r.name + " belongs to the docker compose project " +
                           labels["com.docker.compose.project"].get<std::string>() +
                           "; compose may recreate it again, from its own file, on the next `up`");
    }

    const json& image_config = member(old_image_inspect, "Config");
    json new_config = config;
    json new_host = host;
    if (auto status = plan_config(r, new_config, image_config, host); !status) {
      return status.error();
    }
    if (auto status = plan_host_config(r, new_host); !status) {
      return status.error();
    }
    if (auto status = recreate_detail::plan_mounts(r, new_config, new_host, image_config); !status) {
      return status.error();
    }
    RecreatePlan plan;
    json endpoints = json::object();
    if (auto status = recreate_detail::plan_networks(r, new_config, new_host, endpoints, plan.connections); !status) {
      return status.error();
    }
    new_config["Image"] = new_image_ref;
    plan.create_body = std::move(new_config);
    plan.create_body["HostConfig"] = std::move(new_host);
    plan.create_body["NetworkingConfig"] = {{"EndpointsConfig", std::move(endpoints)}};
    plan.warnings = std::move(r.warnings);
    return plan;
  } catch (const json::exception& e) {
    return r.refuse(std::string("its inspect is malformed: ") + e.what());
  }
}

}  // namespace berth::swap
