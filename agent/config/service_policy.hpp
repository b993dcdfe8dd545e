#pragma once

// berth's own settings for one service, carried in labels: `dockerLabels` of a service file, or the
// labels of a container started by hand with `berth.enable=true` (CONTRACT section 4, label table).

#include "config/problems.hpp"
#include "config/update_window.hpp"
#include "config/version_follow.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth::config {

inline constexpr std::string_view kLabelEnable = "berth.enable";
inline constexpr std::string_view kLabelProbe = "berth.probe";
inline constexpr std::string_view kLabelProbeExpect = "berth.probe.expect";
inline constexpr std::string_view kLabelStrategy = "berth.strategy";
inline constexpr std::string_view kLabelMonitor = "berth.monitor";
inline constexpr std::string_view kLabelPoll = "berth.poll";
inline constexpr std::string_view kLabelPolicy = "berth.policy";
inline constexpr std::string_view kLabelRemoveOnDelete = "berth.remove-on-delete";
inline constexpr std::string_view kLabelKeepImages = "berth.keep-images";
inline constexpr std::string_view kLabelWindow = "berth.window";
inline constexpr std::string_view kLabelFollow = "berth.follow";
// Set by berth on every container it creates; a service file may not set them.
inline constexpr std::string_view kLabelService = "berth.service";
inline constexpr std::string_view kLabelTask = "berth.task";
// What a container berth created for itself is for; only the holder of an awsvpc task has one today.
inline constexpr std::string_view kLabelRole = "berth.role";
inline constexpr std::string_view kRoleHolder = "holder";
inline constexpr std::string_view kLabelSpecHash = "berth.spec-hash";

enum class ProbeKind {
  kAuto,   // no berth.probe: the container's Docker health check if it has one, else "running"
  kNone,   // "none": no probe; the container only has to keep running through the monitor time
  kHttp,   // http://[host]:PORT/PATH
  kHttps,  // https://[host]:PORT/PATH (the certificate is not verified: it is the service's own)
  kTcp,    // tcp://[host]:PORT, a connect succeeds
};

// A host-side probe, like a load balancer's health check.
struct Probe {
  ProbeKind kind = ProbeKind::kAuto;
  std::string host = "127.0.0.1";  // when the label names none ("http://:8080/health")
  int port = 0;
  std::string path = "/";  // http and https only; query included

  // The label text: "http://127.0.0.1:8080/health", "tcp://127.0.0.1:5432", "none", "" for kAuto.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Probe&, const Probe&) = default;
};

// Accepted HTTP status codes, both ends included.
struct StatusRange {
  int low = 200;
  int high = 399;
  [[nodiscard]] bool contains(int status) const { return status >= low && status <= high; }
  friend bool operator==(const StatusRange&, const StatusRange&) = default;
};

enum class Strategy { kStopFirst, kStartFirst };
std::string_view to_string(Strategy strategy);

enum class UpdatePolicy {
  kAuto,    // swap when a new digest appears
  kNotify,  // report a new digest, do not swap
  kManual,  // look only when asked
};
std::string_view to_string(UpdatePolicy policy);

struct ServicePolicy {
  bool enable = false;  // berth.enable, for hand-started containers
  Probe probe;
  StatusRange expect;
  Strategy strategy = Strategy::kStopFirst;
  std::chrono::milliseconds monitor = std::chrono::seconds(10);
  std::optional<std::chrono::milliseconds> poll;  // empty: the agent's poll.interval
  UpdatePolicy policy = UpdatePolicy::kAuto;
  bool remove_on_delete = false;  // remove the container when its service file is deleted
  // Images kept per service after a proven swap: the running one and those `berth rollback` may need.
  int keep_images = 2;
  // When automatic swaps may start; none: the agent's update.window, else at any time.
  std::optional<UpdateWindow> window;
  // Follow a version pattern instead of one tag's digest.
  std::optional<VersionFollow> follow;

  friend bool operator==(const ServicePolicy&, const ServicePolicy&) = default;
};

// Where the labels come from: a service file's dockerLabels may not use berth.enable or the labels berth
// sets itself; a running container's labels may.
enum class LabelSource { kServiceFile, kContainer };

// Reads every berth.* label, reporting each bad one at `labels_path["berth.x"]` in `file`. Labels outside
// the berth. prefix are the user's and are left alone. Unknown berth.* labels are reported (a typo).
ServicePolicy read_service_policy(const std::map<std::string, std::string>& labels, LabelSource source,
                                  Problems& problems, std::string_view file, std::string_view labels_path);

// For a hand-started container: problems read `container web: Labels["berth.probe"]: ...` with
// `container_label` "container web".
LoadResult<ServicePolicy> service_policy_from_labels(const std::map<std::string, std::string>& labels,
                                                     const std::string& container_label);

// The text forms, shared with the CLI: parse_probe("http://:8080/health"), parse_status_range("200-399").
struct ProbeParse {
  std::optional<Probe> value;
  std::string error;
};
ProbeParse parse_probe(std::string_view text);
struct StatusRangeParse {
  std::optional<StatusRange> value;
  std::string error;
};
StatusRangeParse parse_status_range(std::string_view text);

}  // namespace berth::config
