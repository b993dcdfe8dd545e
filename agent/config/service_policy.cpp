#include "config/service_policy.hpp"

#include "common/text.hpp"
#include "config/address.hpp"
#include "config/duration.hpp"
#include "config/json_reader.hpp"

#include <array>
#include <vector>

namespace berth::config {

namespace {

constexpr std::array<std::string_view, 11> kPolicyLabels{
    kLabelEnable, kLabelProbe,          kLabelProbeExpect, kLabelStrategy, kLabelMonitor, kLabelPoll,
    kLabelPolicy, kLabelRemoveOnDelete, kLabelKeepImages,  kLabelWindow,   kLabelFollow};
constexpr std::array<std::string_view, 3> kBerthSetLabels{kLabelService, kLabelTask, kLabelSpecHash};

std::optional<bool> parse_bool(std::string_view text) {
  if (common::iequals(text, "true")) return true;
  if (common::iequals(text, "false")) return false;
  return std::nullopt;
}

std::optional<int> parse_status(std::string_view text) {
  if (text.size() != 3) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 100 || value > 599) return std::nullopt;
  return value;
}

}  // namespace

std::string Probe::to_string() const {
  switch (kind) {
    case ProbeKind::kAuto: return "";
    case ProbeKind::kNone: return "none";
    case ProbeKind::kHttp:
    case ProbeKind::kHttps:
    case ProbeKind::kTcp: break;
  }
  std::string out = kind == ProbeKind::kHttp ? "http://" : kind == ProbeKind::kHttps ? "https://" : "tcp://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ':';
  out += std::to_string(port);
  if (kind != ProbeKind::kTcp) out += path;
  return out;
}

std::string_view to_string(Strategy strategy) {
  return strategy == Strategy::kStartFirst ? "start-first" : "stop-first";
}

std::string_view to_string(UpdatePolicy policy) {
  switch (policy) {
    case UpdatePolicy::kAuto: return "auto";
    case UpdatePolicy::kNotify: return "notify";
    case UpdatePolicy::kManual: return "manual";
  }
  return "auto";
}

ProbeParse parse_probe(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::string forms = "write http://[host]:PORT/PATH, https://[host]:PORT/PATH, tcp://[host]:PORT or none";
  if (text == "none") return ProbeParse{Probe{ProbeKind::kNone, "127.0.0.1", 0, "/"}, {}};
  std::string error;
  const auto url = parse_url(text, HostRequired::kNo, error);
  if (!url) {
    if (text.find("://") == std::string_view::npos)
      return ProbeParse{std::nullopt, quoted + " is not a probe; " + forms};
    return ProbeParse{std::nullopt, error};
  }
  Probe probe;
  if (url->scheme == "http") {
    probe.kind = ProbeKind::kHttp;
  } else if (url->scheme == "https") {
    probe.kind = ProbeKind::kHttps;
  } else if (url->scheme == "tcp") {
    probe.kind = ProbeKind::kTcp;
  } else {
    return ProbeParse{std::nullopt, quoted + ": unknown probe scheme \"" + url->scheme + "\"; " + forms};
  }
  if (!url->port) {
    return ProbeParse{std::nullopt, quoted +
                                        " has no port; the probe runs on the host, so name the published port "
                                        "(for example \"http://:8080/health\")"};
  }
  probe.port = *url->port;
  if (!url->host.empty()) probe.host = url->host;
  if (probe.kind == ProbeKind::kTcp) {
    if (!url->path.empty() && url->path != "/") return ProbeParse{std::nullopt, quoted + ": a tcp probe has no path"};
  } else if (!url->path.empty()) {
    if (url->path.front() != '/')
      probe.path = "/" + url->path;
    else
      probe.path = url->path;
  }
  return ProbeParse{probe, {}};
}

StatusRangeParse parse_status_range(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto dash = text.find('-');
  const auto low = parse_status(text.substr(0, dash));
  const auto high = dash == std::string_view::npos ? low : parse_status(text.substr(dash + 1));
  if (!low || !high) {
    return StatusRangeParse{std::nullopt, quoted +
                                              " is not a status range; write for example \"200-399\" or \"204\" "
                                              "(codes 100-599)"};
  }
  if (*low > *high) return StatusRangeParse{std::nullopt, quoted + ": the range starts after it ends"};
  return StatusRangeParse{StatusRange{*low, *high}, {}};
}

ServicePolicy read_service_policy(const std::map<std::string, std::string>& labels, LabelSource source,
                                  Problems& problems, std::string_view file, std::string_view labels_path) {
  ServicePolicy policy;
  const auto report = [&](std::string_view label, std::string message) {
    problems.add(std::string(file), json_path_key(labels_path, label), std::move(message));
  };
  const auto quoted = [](const std::string& v) { return "\"" + v + "\""; };
  bool expect_given = false;
  for (const auto& [label, value] : labels) {
    if (!common::starts_with(label, "berth.")) continue;
    if (label == kLabelEnable) {
      if (source == LabelSource::kServiceFile) {
        report(label,
               "a service file is always managed; remove berth.enable (to stop automatic updates, set "
               "berth.policy to manual)");
      } else if (auto b = parse_bool(value)) {
        policy.enable = *b;
      } else {
        report(label, quoted(value) + " is not true or false");
      }
    } else if (label == kLabelProbe) {
      auto parsed = parse_probe(value);
      if (parsed.value)
        policy.probe = *parsed.value;
      else
        report(label, parsed.error);
    } else if (label == kLabelProbeExpect) {
      expect_given = true;
      auto parsed = parse_status_range(value);
      if (parsed.value)
        policy.expect = *parsed.value;
      else
        report(label, parsed.error);
    } else if (label == kLabelStrategy) {
      if (value == "stop-first")
        policy.strategy = Strategy::kStopFirst;
      else if (value == "start-first")
        policy.strategy = Strategy::kStartFirst;
      else
        report(label, quoted(value) + " is not a strategy; use stop-first or start-first");
    } else if (label == kLabelMonitor || label == kLabelPoll) {
      const auto parsed = parse_duration(value);
      if (!parsed.value) {
        report(label, parsed.error);
      } else if (label == kLabelMonitor) {
        policy.monitor = *parsed.value;
      } else if (*parsed.value < kMinPollInterval) {
        report(label, quoted(value) + " is too short; poll at most every " + format_duration(kMinPollInterval));
      } else {
        policy.poll = *parsed.value;
      }
    } else if (label == kLabelPolicy) {
      if (value == "auto")
        policy.policy = UpdatePolicy::kAuto;
      else if (value == "notify")
        policy.policy = UpdatePolicy::kNotify;
      else if (value == "manual")
        policy.policy = UpdatePolicy::kManual;
      else
        report(label, quoted(value) + " is not a policy; use auto, notify or manual");
    } else if (label == kLabelRemoveOnDelete) {
      if (auto b = parse_bool(value))
        policy.remove_on_delete = *b;
      else
        report(label, quoted(value) + " is not true or false");
    } else if (label == kLabelKeepImages) {
      const bool digits =
          !value.empty() && value.size() <= 3 && value.find_first_not_of("0123456789") == std::string::npos;
      const int n = digits ? std::stoi(value) : 0;
      if (n >= 1 && n <= 100)
        policy.keep_images = n;
      else
        report(label, quoted(value) + " is not a number of images from 1 to 100 (the running one counts)");
    } else if (label == kLabelWindow) {
      auto parsed = parse_update_window(value);
      if (parsed.value)
        policy.window = std::move(parsed.value);
      else
        report(label, parsed.error);
    } else if (label == kLabelFollow) {
      std::string error;
      if (auto follow = VersionFollow::parse(value, &error))
        policy.follow = std::move(follow);
      else
        report(label, quoted(value) + ": " + error);
    } else if (label == kLabelService || label == kLabelTask || label == kLabelSpecHash) {
      if (source == LabelSource::kServiceFile) report(label, "is set by berth itself; remove it");
    } else {
      std::vector<std::string> known(kPolicyLabels.begin(), kPolicyLabels.end());
      if (source == LabelSource::kContainer) known.insert(known.end(), kBerthSetLabels.begin(), kBerthSetLabels.end());
      std::string message = "unknown berth label";
      if (auto hint = detail::closest_name(label, known); !hint.empty()) message += "; did you mean \"" + hint + "\"?";
      report(label, std::move(message));
    }
  }
  if (expect_given && policy.probe.kind != ProbeKind::kHttp && policy.probe.kind != ProbeKind::kHttps) {
    report(kLabelProbeExpect, "applies only to an http:// or https:// berth.probe");
  }
  return policy;
}

LoadResult<ServicePolicy> service_policy_from_labels(const std::map<std::string, std::string>& labels,
                                                     const std::string& container_label) {
  LoadResult<ServicePolicy> result;
  auto policy = read_service_policy(labels, LabelSource::kContainer, result.problems, container_label, "Labels");
  if (result.problems.empty()) result.value = policy;
  return result;
}

}  // namespace berth::config
