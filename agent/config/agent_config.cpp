#include "config/agent_config.hpp"

#include "aws/services.hpp"
#include "common/loopback.hpp"
#include "common/text.hpp"
#include "config/duration.hpp"
#include "config/json_reader.hpp"
#include "registry/url.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace berth::config {

namespace {

using detail::Json;
using detail::ObjectReader;
using detail::ProblemSink;

constexpr std::array<std::pair<LogLevel, std::string_view>, 7> kLogLevels{{{LogLevel::kTrace, "trace"},
                                                                           {LogLevel::kDebug, "debug"},
                                                                           {LogLevel::kInfo, "info"},
                                                                           {LogLevel::kWarn, "warn"},
                                                                           {LogLevel::kError, "error"},
                                                                           {LogLevel::kCritical, "critical"},
                                                                           {LogLevel::kOff, "off"}}};

constexpr std::array<std::pair<NotifyEvent, std::string_view>, 4> kNotifyEvents{
    {{NotifyEvent::kUpdateAvailable, "update_available"},
     {NotifyEvent::kSwapped, "swapped"},
     {NotifyEvent::kRolledBack, "rolled_back"},
     {NotifyEvent::kFailed, "failed"}}};

template <class Table>
std::vector<std::string> names_of(const Table& table) {
  std::vector<std::string> out;
  out.reserve(table.size());
  for (const auto& [value, name] : table) out.emplace_back(name);
  return out;
}

template <class Table>
std::string listing(const Table& table) {
  std::string out;
  for (const auto& [value, name] : table) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// An absolute path member; reports and returns nothing otherwise.
std::optional<std::string> absolute_path(ObjectReader& reader, std::string_view key) {
  auto value = reader.string(key);
  if (!value) return std::nullopt;
  if (auto problem = absolute_path_problem(*value); !problem.empty()) {
    reader.report(key, std::move(problem));
    return std::nullopt;
  }
  return value;
}

void read_docker(const Json& value, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader docker(value, "docker", sink);
  if (auto host = docker.string("host")) {
    constexpr std::string_view kUnix = "unix://";
    if (!common::starts_with(*host, kUnix)) {
      docker.report("host", "\"" + *host +
                                "\": berth talks to the Docker Engine over its unix socket; write "
                                "\"unix:///var/run/docker.sock\" or another unix:// path");
    } else if (auto problem = absolute_path_problem(std::string_view(*host).substr(kUnix.size())); !problem.empty()) {
      docker.report("host", "\"" + *host + "\": the socket path after unix:// " +
                                (problem.find("not empty") != std::string::npos ? "is empty" : "must be absolute"));
    } else {
      config.docker.socket = host->substr(kUnix.size());
      config.docker.host = *host;
    }
  }
  docker.finish();
}

void read_aws(const Json& value, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader aws(value, "aws", sink);
  if (auto region = aws.string("region")) {
    if (!aws::is_region(*region)) {
      aws.report("region", "\"" + *region + "\" is not an AWS region; write for example \"eu-west-1\"");
    } else {
      config.aws.region = *region;
    }
  }
  if (auto imds = aws.boolean("imds")) {
    config.aws.imds = *imds;
  }
  if (const auto* endpoints = aws.object("endpoints")) {
    ObjectReader reader(*endpoints, aws.path_of("endpoints"), sink);
    for (const char* service : {"imds", "ecr", "ssm", "secretsmanager", "s3"}) {
      auto text = reader.string(service);
      if (!text) {
        continue;
      }
      auto url = registry::parse_url(*text);
      if (!url || url->target != "/") {
        reader.report(service, "\"" + *text + "\" is not an http(s) URL without a path, like \"https://" +
                                   std::string(service) + ".eu-west-1.amazonaws.com\"");
      } else if (!url->origin.tls && !common::is_loopback_host(url->origin.host) &&
                 !(std::string_view(service) == "imds" &&
                   (url->origin.host == "169.254.169.254" || url->origin.host == "fd00:ec2::254"))) {
        reader.report(service, "\"" + *text + "\": plain HTTP only to a loopback address (or to IMDS); use https");
      } else {
        config.aws.endpoints[service] = *text;
      }
    }
    reader.finish();
  }
  aws.finish();
}

void read_poll(const Json& value, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader poll(value, "poll", sink);
  if (auto text = poll.string("interval")) {
    const auto parsed = parse_duration(*text);
    if (!parsed.value) {
      poll.report("interval", parsed.error);
    } else if (*parsed.value < kMinPollInterval) {
      poll.report("interval",
                  "\"" + *text + "\" is too short; poll at most every " + format_duration(kMinPollInterval));
    } else {
      config.poll.interval = *parsed.value;
    }
  }
  if (auto text = poll.string("jitter")) {
    const auto parsed = parse_percent(*text);
    if (parsed.value) {
      config.poll.jitter_percent = *parsed.value;
    } else {
      poll.report("jitter", parsed.error);
    }
  }
  poll.finish();
}

std::optional<TlsSettings> read_tls(const Json& value, const ProblemSink& sink, bool& tls_off) {
  if (value.is_boolean()) {
    if (!value.get<bool>()) {
      tls_off = true;
      return std::nullopt;
    }
    sink.add("api.tls",
             "true is not a TLS setting; give an object with cert and key, or false for plain HTTP on loopback");
    return TlsSettings{};
  }
  TlsSettings tls;
  ObjectReader reader(value, "api.tls", sink);
  if (auto cert = absolute_path(reader, "cert")) tls.cert = std::move(*cert);
  if (auto key = absolute_path(reader, "key")) tls.key = std::move(*key);
  if (auto ca = absolute_path(reader, "client_ca")) tls.client_ca = std::move(*ca);
  reader.finish();
  return tls;
}

void read_api(const Json& value, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader api(value, "api", sink);
  if (auto socket = absolute_path(api, "socket")) config.api.socket = std::move(*socket);
  if (auto path = absolute_path(api, "tokens_file")) config.api.tokens_file = std::move(*path);
  bool tls_off = false;
  if (const auto* tls = api.find("tls")) config.api.tls = read_tls(*tls, sink, tls_off);
  if (auto listen = api.string("listen")) {
    std::string error;
    auto parsed = parse_host_port(*listen, HostRequired::kYes, error);
    if (!parsed) {
      api.report("listen", error);
    } else if (!is_ipv4(parsed->host) && !is_ipv6(parsed->host) && !common::iequals(parsed->host, "localhost")) {
      api.report("listen",
                 "\"" + *listen + "\": listen on an IP address, such as \"0.0.0.0:8443\" or \"127.0.0.1:8080\"");
    } else if (tls_off && !common::is_loopback_host(parsed->host)) {
      api.report("listen", "\"" + *listen +
                               "\" is reachable from other hosts, so it needs TLS; \"tls\": false is allowed only on a "
                               "loopback address such as 127.0.0.1");
    } else {
      config.api.listen = std::move(parsed);
    }
  }
  api.finish();
}

void read_registry(const std::string& host, const Json& value, const ProblemSink& sink, AgentConfig& config) {
  const std::string path = json_path_key("registries", host);
  if (host.find("://") != std::string::npos) {
    const auto rest = host.substr(host.find("://") + 3);
    sink.add(path, "name the registry by host, without a scheme or path: \"" + rest.substr(0, rest.find('/')) + "\"");
  } else if (std::string error; host.find(':') != std::string::npos ? !parse_host_port(host, HostRequired::kYes, error)
                                                                    : !is_hostname(host)) {
    sink.add(path, "\"" + host + "\" is not a registry host (\"registry.example.com\" or \"host:5000\")");
  }
  ObjectReader reader(value, path, sink);
  RegistrySettings settings;
  settings.username = reader.string("username");
  settings.password = reader.string("password");
  settings.password_file = absolute_path(reader, "password_file");
  settings.ca_file = absolute_path(reader, "ca_file");
  if (auto auth = reader.string("auth")) {
    if (*auth != "ecr") {
      reader.report("auth", "\"" + *auth +
                                "\" is not a way to log in: \"ecr\" (GetAuthorizationToken with the "
                                "instance role), or leave auth out");
    }
    settings.ecr = *auth == "ecr";
  }
  const bool has_username = reader.find("username") != nullptr;
  const bool has_password = reader.find("password") != nullptr;
  const bool has_password_file = reader.find("password_file") != nullptr;
  if (has_password && has_password_file) {
    reader.report("password", "give either password or password_file, not both");
  } else if (has_username && !has_password && !has_password_file) {
    reader.report_here("username needs a password_file (or password)");
  } else if (!has_username && (has_password || has_password_file)) {
    reader.report_here("a password needs a username");
  }
  if (settings.ecr && has_username) {
    reader.report("auth", "\"ecr\" logs in with the instance role: give either auth or username, not both");
  }
  reader.finish();
  config.registries[host] = std::move(settings);
}

void read_notify_target(const Json& value, const std::string& path, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader reader(value, path, sink);
  NotifyTarget target;
  if (auto url = reader.string("url")) {
    std::string error;
    auto parsed = parse_url(*url, HostRequired::kYes, error);
    if (!parsed) {
      reader.report("url", error);
    } else if (parsed->scheme != "http" && parsed->scheme != "https") {
      reader.report("url", "\"" + *url + "\": notifications go to http:// or https:// URLs");
    } else {
      target.url = *url;
    }
  } else if (reader.valid() && reader.find("url") == nullptr) {
    reader.report_here("needs a url");
  }
  if (const auto* on = reader.array("on")) {
    if (on->empty()) reader.report("on", "is empty, so nothing would be sent; name events or remove the entry");
    for (std::size_t i = 0; i < on->size(); ++i) {
      const std::string event_path = json_path_index(reader.path_of("on"), i);
      const auto name = detail::as_string((*on)[i], event_path, sink);
      if (!name) continue;
      if (auto event = parse_notify_event(*name)) {
        target.on.push_back(*event);
        continue;
      }
      std::string message = "\"" + *name + "\" is not an event (" + listing(kNotifyEvents) + ")";
      if (auto hint = detail::closest_name(*name, names_of(kNotifyEvents)); !hint.empty()) {
        message += "; did you mean \"" + hint + "\"?";
      }
      sink.add(event_path, std::move(message));
    }
  }
  if (target.on.empty()) {
    for (const auto& [event, name] : kNotifyEvents) target.on.push_back(event);
  }
  reader.finish();
  config.notify.push_back(std::move(target));
}

void read_disk(const Json& value, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader disk(value, "disk", sink);
  if (auto text = disk.string("min_free")) {
    auto parsed = parse_min_free(*text);
    if (parsed.value) {
      config.disk.min_free = *parsed.value;
    } else {
      disk.report("min_free", parsed.error);
    }
  }
  disk.finish();
}

void read_update(const Json& value, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader update(value, "update", sink);
  if (auto text = update.string("window")) {
    auto parsed = parse_update_window(*text);
    if (parsed.value) {
      config.update.window = std::move(parsed.value);
    } else {
      update.report("window", parsed.error);
    }
  }
  update.finish();
}

void read_log(const Json& value, const ProblemSink& sink, AgentConfig& config) {
  ObjectReader log(value, "log", sink);
  if (auto level = log.string("level")) {
    bool found = false;
    for (const auto& [candidate, name] : kLogLevels) {
      if (common::iequals(name, *level)) {
        config.log_level = candidate;
        found = true;
      }
    }
    if (!found) {
      std::string message = "\"" + *level + "\" is not a log level (" + listing(kLogLevels) + ")";
      if (auto hint = detail::closest_name(*level, names_of(kLogLevels)); !hint.empty()) {
        message += "; did you mean \"" + hint + "\"?";
      }
      log.report("level", std::move(message));
    }
  }
  log.finish();
}

}  // namespace

std::string_view to_string(LogLevel level) {
  for (const auto& [value, name] : kLogLevels) {
    if (value == level) return name;
  }
  return "info";
}

std::string_view to_string(NotifyEvent event) {
  for (const auto& [value, name] : kNotifyEvents) {
    if (value == event) return name;
  }
  return "failed";
}

std::optional<NotifyEvent> parse_notify_event(std::string_view text) {
  for (const auto& [value, name] : kNotifyEvents) {
    if (name == text) return value;
  }
  return std::nullopt;
}

LoadResult<AgentConfig> load_agent_config(std::string_view json_text, std::string file_label) {
  LoadResult<AgentConfig> result;
  const ProblemSink sink(result.problems, std::move(file_label));
  AgentConfig config;
  if (json_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    result.value = std::move(config);
    return result;
  }
  const auto root = detail::parse_json(json_text, sink);
  if (!root) return result;
  ObjectReader top(*root, "", sink);
  if (!top.valid()) return result;

  if (const auto* docker = top.find("docker")) read_docker(*docker, sink, config);
  if (auto dir = absolute_path(top, "state_dir")) config.state_dir = std::move(*dir);
  if (auto dir = absolute_path(top, "services_dir")) config.services_dir = std::move(*dir);
  if (auto watch = top.boolean("watch_labeled")) config.watch_labeled = *watch;
  if (const auto* poll = top.find("poll")) read_poll(*poll, sink, config);
  if (const auto* api = top.find("api")) read_api(*api, sink, config);
  if (const auto* registries = top.object("registries")) {
    for (const auto& [host, value] : registries->items()) read_registry(host, value, sink, config);
  }
  if (top.present("docker_config") && top.find("docker_config") == nullptr) {
    config.docker_config.reset();
  } else if (auto path = absolute_path(top, "docker_config")) {
    config.docker_config = std::move(*path);
  }
  if (const auto* notify = top.array("notify")) {
    for (std::size_t i = 0; i < notify->size(); ++i) {
      read_notify_target((*notify)[i], json_path_index("notify", i), sink, config);
    }
  }
  if (const auto* log = top.find("log")) read_log(*log, sink, config);
  if (const auto* aws = top.find("aws")) read_aws(*aws, sink, config);
  if (const auto* disk = top.find("disk")) read_disk(*disk, sink, config);
  if (const auto* update = top.find("update")) read_update(*update, sink, config);
  top.finish();

  if (result.problems.empty()) result.value = std::move(config);
  return result;
}

}  // namespace berth::config
