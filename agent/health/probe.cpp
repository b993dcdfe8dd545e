#include "health/probe.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace berth::health {

using common::ErrorKind;
using nlohmann::json;

namespace {

constexpr std::string_view kProbeForms =
    "write http://[host]:PORT/PATH, https://[host]:PORT/PATH, tcp://[host]:PORT or none";

common::Error invalid(std::string message) {
  return common::make_error(ErrorKind::kInvalidArgument, std::move(message));
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// A whole number from `low` to `high` (both at least 0).
std::optional<int> number_in(std::string_view s, int low, int high) {
  const auto v = common::parse_unsigned(s, static_cast<std::uint64_t>(high));
  if (!v || *v < static_cast<std::uint64_t>(low)) {
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

bool host_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_'; }

bool ipv6_char(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.'; }

struct HostPort {
  std::string host;
  std::string_view port;
};

// "[::1]:8080", "127.0.0.1:8080", ":8080", "localhost:8080" (the port may be missing: checked after).
common::Result<HostPort> split_authority(std::string_view authority, const std::string& whole) {
  HostPort out;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return invalid("berth.probe " + whole + ": the IPv6 address has no closing \"]\"");
    }
    out.host = std::string(authority.substr(1, close - 1));
    if (out.host.empty() || !std::all_of(out.host.begin(), out.host.end(), ipv6_char)) {
      return invalid("berth.probe " + whole + ": " + in_quotes(out.host) + " is not an IPv6 address");
    }
    rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return invalid("berth.probe " + whole + ": expected \":PORT\" after the IPv6 address");
    }
  } else {
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      return invalid("berth.probe " + whole + ": write an IPv6 host in brackets, for example http://[::1]:8080/");
    }
    out.host = std::string(authority.substr(0, colon));
    if (!std::all_of(out.host.begin(), out.host.end(), host_char)) {
      return invalid("berth.probe " + whole + ": " + in_quotes(out.host) + " is not a host name or address");
    }
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (rest.empty()) {
    return invalid("berth.probe " + whole +
                   " has no port; the probe runs on the host, so name the published port (for example "
                   "\"http://:8080/health\")");
  }
  out.port = rest.substr(1);
  return out;
}

common::Status check_path(std::string_view path, const std::string& whole) {
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return invalid("berth.probe " + whole + ": the path contains a space or control character; percent-encode it");
    }
    if (c == '#') {
      return invalid("berth.probe " + whole + ": a fragment (#...) is never sent to the server; remove it");
    }
  }
  return {};
}

std::string join(const std::vector<std::string>& parts, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (i > from) {
      out += ' ';
    }
    out += parts[i];
  }
  return out;
}

common::Result<std::vector<std::string>> ecs_command(const json& hc) {
  const auto it = hc.find("command");
  if (it == hc.end()) {
    return invalid(R"(healthCheck.command is missing; write for example ["CMD-SHELL", "curl -f http://localhost/"])");
  }
  if (!it->is_array() || !std::all_of(it->begin(), it->end(), [](const json& v) { return v.is_string(); })) {
    return invalid("healthCheck.command must be an array of strings");
  }
  std::vector<std::string> command;
  for (const auto& v : *it) {
    command.push_back(v.get<std::string>());
  }
  if (command.empty()) {
    return invalid(R"(healthCheck.command is empty; start it with "CMD" or "CMD-SHELL")");
  }
  if (command[0] != "CMD" && command[0] != "CMD-SHELL") {
    return invalid(R"(healthCheck.command must start with "CMD" or "CMD-SHELL", not )" + in_quotes(command[0]));
  }
  if (command.size() < 2 || common::trim_blanks(join(command, 1)).empty()) {
    return invalid("healthCheck.command " + in_quotes(command[0]) + " has nothing to run");
  }
  return command;
}

// One ECS timing field in whole seconds within [low, high]; `fallback` when absent.
common::Result<int> ecs_seconds(const json& hc, const char* key, int low, int high, int fallback) {
  const auto it = hc.find(key);
  if (it == hc.end() || it->is_null()) {
    return fallback;
  }
  if (!it->is_number_integer()) {
    return invalid(std::string("healthCheck.") + key + " must be a whole number (" + it->dump() + ")");
  }
  const auto v = it->get<std::int64_t>();
  if (v < low || v > high) {
    return invalid(std::string("healthCheck.") + key + " " + std::to_string(v) + " is outside the ECS range " +
                   std::to_string(low) + "-" + std::to_string(high));
  }
  return static_cast<int>(v);
}

// A Docker duration in nanoseconds; zero or absent means Docker's default.
std::chrono::milliseconds docker_duration(const json& hc, const char* key, std::chrono::milliseconds fallback) {
  const auto it = hc.find(key);
  if (it == hc.end() || !it->is_number_integer()) {
    return fallback;
  }
  const auto ns = it->get<std::int64_t>();
  if (ns <= 0) {
    return fallback;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
}

}  // namespace

std::string_view to_string(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kHttp: return "http";
    case ProbeKind::kHttps: return "https";
    case ProbeKind::kTcp: return "tcp";
    case ProbeKind::kDockerHealth: return "docker_health";
    case ProbeKind::kExec: return "exec";
    case ProbeKind::kRunning: return "running";
  }
  return "unknown";
}

std::string StatusRange::to_string() const {
  return low == high ? std::to_string(low) : std::to_string(low) + "-" + std::to_string(high);
}

std::string ProbeSpec::describe() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  switch (kind) {
    case ProbeKind::kHttp: return "http://" + h + ":" + std::to_string(port) + path;
    case ProbeKind::kHttps: return "https://" + h + ":" + std::to_string(port) + path;
    case ProbeKind::kTcp: return "tcp://" + h + ":" + std::to_string(port);
    case ProbeKind::kDockerHealth: return "Docker health check";
    case ProbeKind::kExec: return "exec [" + join(command, 0) + "]";
    case ProbeKind::kRunning: return "running";
  }
  return "unknown probe";
}

std::vector<std::string> exec_argv(const ProbeSpec& spec) {
  if (spec.command.empty()) {
    return {};
  }
  if (spec.command[0] == "CMD-SHELL") {
    return {"sh", "-c", join(spec.command, 1)};
  }
  if (spec.command[0] == "CMD") {
    return {spec.command.begin() + 1, spec.command.end()};
  }
  return spec.command;
}

common::Result<StatusRange> parse_status_expect(std::string_view text) {
  if (text.empty()) {
    return StatusRange{};
  }
  const auto dash = text.find('-');
  const auto low = number_in(text.substr(0, dash), 100, 599);
  const auto high = dash == std::string_view::npos ? low : number_in(text.substr(dash + 1), 100, 599);
  if (!low || !high) {
    return invalid("berth.probe.expect " + in_quotes(text) +
                   R"( is not a status range; write for example "200-399" or "204" (codes 100-599))");
  }
  if (*low > *high) {
    return invalid("berth.probe.expect " + in_quotes(text) + ": the range starts after it ends");
  }
  return StatusRange{*low, *high};
}

common::Result<ProbeSpec> parse_probe_label(std::string_view value, std::string_view expect) {
  const std::string whole = in_quotes(value);
  const std::string_view text = common::trim_blanks(value);
  ProbeSpec spec;
  if (common::iequals(text, "none")) {
    spec.kind = ProbeKind::kRunning;
    return spec;
  }
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    return invalid("berth.probe " + whole + " is not a probe; " + std::string(kProbeForms));
  }
  const std::string scheme = common::to_lower(text.substr(0, sep));
  if (scheme == "http") {
    spec.kind = ProbeKind::kHttp;
  } else if (scheme == "https") {
    spec.kind = ProbeKind::kHttps;
  } else if (scheme == "tcp") {
    spec.kind = ProbeKind::kTcp;
  } else {
    return invalid("berth.probe " + whole + ": unknown scheme " + in_quotes(scheme) + "; " + std::string(kProbeForms));
  }
  const std::string_view rest = text.substr(sep + 3);
  const auto end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, end);
  std::string_view path = rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("berth.probe " + whole + ": user information (user@host) is not supported in a probe");
  }
  auto hp = split_authority(authority, whole);
  if (!hp) {
    return hp.error();
  }
  const auto port = number_in(hp->port, 1, 65535);
  if (!port) {
    return invalid("berth.probe " + whole + ": port " + in_quotes(hp->port) + " is not a number from 1 to 65535");
  }
  spec.port = static_cast<std::uint16_t>(*port);
  if (!hp->host.empty()) {
    spec.host = hp->host;
  }
  if (auto ok = check_path(path, whole); !ok) {
    return ok.error();
  }
  if (spec.kind == ProbeKind::kTcp) {
    if (!path.empty() && path != "/") {
      return invalid("berth.probe " + whole + ": a tcp probe has no path; write tcp://[host]:PORT");
    }
    return spec;
  }
  spec.path = path.empty() ? "/" : (path.front() == '/' ? std::string(path) : "/" + std::string(path));
  auto range = parse_status_expect(expect);
  if (!range) {
    return range.error();
  }
  spec.expect = *range;
  return spec;
}

common::Result<ProbeSpec> probe_from_ecs_healthcheck(const json& health_check) {
  if (!health_check.is_object()) {
    return invalid("healthCheck must be an object with a command");
  }
  auto command = ecs_command(health_check);
  if (!command) {
    return command.error();
  }
  const ProbeTiming defaults;
  const auto secs = [](std::chrono::milliseconds d) { return static_cast<int>(d.count() / 1000); };
  auto interval = ecs_seconds(health_check, "interval", kEcsIntervalMin, kEcsIntervalMax, secs(defaults.interval));
  auto timeout = ecs_seconds(health_check, "timeout", kEcsTimeoutMin, kEcsTimeoutMax, secs(defaults.timeout));
  auto retries = ecs_seconds(health_check, "retries", kEcsRetriesMin, kEcsRetriesMax, defaults.retries);
  auto start =
      ecs_seconds(health_check, "startPeriod", kEcsStartPeriodMin, kEcsStartPeriodMax, secs(defaults.start_period));
  for (const auto* r : {&interval, &timeout, &retries, &start}) {
    if (!*r) {
      return r->error();
    }
  }
  ProbeSpec spec;
  spec.kind = ProbeKind::kExec;
  spec.command = std::move(*command);
  spec.timing.interval = std::chrono::seconds(*interval);
  spec.timing.timeout = std::chrono::seconds(*timeout);
  spec.timing.retries = *retries;
  spec.timing.start_period = std::chrono::seconds(*start);
  return spec;
}

common::Result<std::optional<ProbeSpec>> probe_from_docker_healthcheck(const json& healthcheck) {
  if (healthcheck.is_null()) {
    return std::optional<ProbeSpec>();
  }
  if (!healthcheck.is_object()) {
    return common::make_error(ErrorKind::kProtocol, "Config.Healthcheck is not an object");
  }
  const auto test = healthcheck.find("Test");
  if (test == healthcheck.end() || !test->is_array() || test->empty() || !(*test)[0].is_string()) {
    return std::optional<ProbeSpec>();
  }
  ProbeSpec spec;
  spec.kind = ProbeKind::kDockerHealth;
  for (const auto& v : *test) {
    if (v.is_string()) {
      spec.command.push_back(v.get<std::string>());
    }
  }
  if (spec.command[0] == "NONE") {
    return std::optional<ProbeSpec>();
  }
  spec.timing.interval = docker_duration(healthcheck, "Interval", std::chrono::seconds(30));
  spec.timing.timeout = docker_duration(healthcheck, "Timeout", std::chrono::seconds(30));
  spec.timing.start_period = docker_duration(healthcheck, "StartPeriod", std::chrono::milliseconds(0));
  const auto retries = healthcheck.find("Retries");
  spec.timing.retries =
      retries != healthcheck.end() && retries->is_number_integer() && retries->get<int>() > 0 ? retries->get<int>() : 3;
  return std::optional<ProbeSpec>(std::move(spec));
}

ProbeSources sources_from_inspect(const json& inspect) {
  ProbeSources out;
  const auto config = inspect.find("Config");
  if (config == inspect.end() || !config->is_object()) {
    return out;
  }
  if (const auto labels = config->find("Labels"); labels != config->end() && labels->is_object()) {
    if (const auto p = labels->find(kLabelProbe); p != labels->end() && p->is_string()) {
      out.probe_label = p->get<std::string>();
    }
    if (const auto e = labels->find(kLabelProbeExpect); e != labels->end() && e->is_string()) {
      out.expect_label = e->get<std::string>();
    }
  }
  if (const auto hc = config->find("Healthcheck"); hc != config->end() && hc->is_object()) {
    out.docker_healthcheck = *hc;
  }
  return out;
}

common::Result<ProbeSpec> choose_probe(const ProbeSources& sources) {
  std::optional<ProbeSpec> ecs;
  if (sources.ecs_health_check) {
    auto parsed = probe_from_ecs_healthcheck(*sources.ecs_health_check);
    if (!parsed) {
      return parsed.error();
    }
    ecs = std::move(*parsed);
  }
  std::optional<ProbeSpec> docker;
  if (sources.docker_healthcheck) {
    auto parsed = probe_from_docker_healthcheck(*sources.docker_healthcheck);
    if (!parsed) {
      return parsed.error();
    }
    docker = std::move(*parsed);
  }
  if (sources.probe_label) {
    auto spec = parse_probe_label(*sources.probe_label, sources.expect_label);
    if (!spec) {
      return spec.error();
    }
    if (ecs) {
      spec->timing = ecs->timing;
    } else if (docker) {
      spec->timing = docker->timing;
    }
    return spec;
  }
  if (ecs) {
    return *ecs;
  }
  if (docker) {
    return *docker;
  }
  return ProbeSpec{};
}

std::string format_seconds(std::chrono::milliseconds value) {
  const auto ms = value.count();
  if (ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  if (ms < 1000) {
    return std::to_string(ms) + "ms";
  }
  const auto tenths = (ms + 50) / 100;
  if (tenths % 10 == 0) {
    return std::to_string(tenths / 10) + "s";
  }
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

}  // namespace berth::health
