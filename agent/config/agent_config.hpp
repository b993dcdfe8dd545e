#pragma once

// agent.json: the agent's own settings (CONTRACT section 3). Every key is optional; the member
// initialisers below are the documented defaults.

#include "config/address.hpp"
#include "config/disk_space.hpp"
#include "config/problems.hpp"
#include "config/update_window.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::config {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };
std::string_view to_string(LogLevel level);

// What a notification can be sent for.
enum class NotifyEvent {
  kUpdateAvailable,  // a newer digest was found for a service whose policy is notify or manual
  kSwapped,          // a swap passed its gate
  kRolledBack,       // a swap failed its gate; the old version is serving again
  kFailed,           // a swap or a rollback could not complete (pull, create or Docker error)
};
std::string_view to_string(NotifyEvent event);
std::optional<NotifyEvent> parse_notify_event(std::string_view text);

struct TlsSettings {
  std::string cert = "/etc/berth/tls/cert.pem";
  std::string key = "/etc/berth/tls/key.pem";
  std::optional<std::string> client_ca;  // when set, clients must present a certificate it signed
};

struct ApiSettings {
  std::string socket = "/run/berth/api.sock";
  std::optional<HostPort> listen;                  // no TCP listener when empty
  std::optional<TlsSettings> tls = TlsSettings{};  // empty means "tls": false (loopback listen only)
  std::string tokens_file = "/etc/berth/tokens.json";
};

struct RegistrySettings {
  std::optional<std::string> username;
  std::optional<std::string> password_file;  // read by the agent when it needs the password
  std::optional<std::string> password;       // inline; password_file is preferred
  std::optional<std::string> ca_file;        // extra CA bundle for this registry's TLS
  // "auth": "ecr": log in with ECR's GetAuthorizationToken (for ECR behind a name that is not ECR's own).
  bool ecr = false;
};

struct NotifyTarget {
  std::string url;
  std::vector<NotifyEvent> on;  // every event when the file names none
};

struct DockerSettings {
  std::string host = "unix:///var/run/docker.sock";
  std::string socket = "/var/run/docker.sock";  // the path inside host
};

struct PollSettings {
  std::chrono::milliseconds interval = std::chrono::minutes(5);
  int jitter_percent = 10;  // each wait is interval +/- this share of it, so a fleet spreads out
};

// AWS settings. The region names the endpoints berth derives (EFS file systems' addresses).
struct AwsSettings {
  std::optional<std::string> region;  // else IMDS's, else AWS_REGION
  bool imds = true;                   // the instance role's credentials and region from IMDSv2
  // Where each service answers instead of its public address: "imds", "ecr", "ssm", "secretsmanager",
  // "s3" -> an http(s) URL (VPC endpoints; plain HTTP only to loopback, and to IMDS's own addresses).
  std::map<std::string, std::string> endpoints;
};

// disk: a pull that would leave less than min_free on Docker's data root is refused.
struct DiskSettings {
  MinFree min_free;
};

// update: when automatic swaps may start, for services without a berth.window label.
struct UpdateSettings {
  std::optional<UpdateWindow> window;  // none: at any time
};

struct AgentConfig {
  DockerSettings docker;
  std::string state_dir = "/var/lib/berth";
  std::string services_dir = "/etc/berth/services.d";
  bool watch_labeled = true;
  PollSettings poll;
  ApiSettings api;
  std::map<std::string, RegistrySettings> registries;  // by registry host ("registry.example.com:5000")
  std::optional<std::string> docker_config = "/root/.docker/config.json";  // null in the file turns it off
  std::vector<NotifyTarget> notify;
  LogLevel log_level = LogLevel::kInfo;  // log.level
  AwsSettings aws;
  DiskSettings disk;
  UpdateSettings update;
};

// Reads agent.json text. `file_label` names the file in problems (see display_path). Empty text or
// whitespace only is an empty object: every default.
LoadResult<AgentConfig> load_agent_config(std::string_view json_text, std::string file_label);

}  // namespace berth::config
