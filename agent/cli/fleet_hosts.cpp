#include "cli/fleet_hosts.hpp"

#include "common/text.hpp"
#include "config/address.hpp"
#include "registry/digest.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <set>
#include <sstream>

namespace berth::cli {

using common::ErrorKind;

namespace {

constexpr std::size_t kMaxHosts = 10000;
constexpr int kHundred = 100;

std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) {
    out.push_back(std::move(w));
  }
  return out;
}

std::optional<int> parse_int(std::string_view text) {
  const auto v = common::parse_unsigned(text, INT_MAX);
  return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
}

}  // namespace

std::optional<Fingerprint> parse_fingerprint(std::string_view text) {
  constexpr std::string_view kPrefix = "sha256:";
  if (text.size() < kPrefix.size()) {
    return std::nullopt;
  }
  std::string prefix(text.substr(0, kPrefix.size()));
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](unsigned char c) { return std::tolower(c); });
  if (prefix != kPrefix) {
    return std::nullopt;
  }
  std::string_view hex = text.substr(kPrefix.size());
  const bool pairs = hex.size() == 3 * 32 - 1;
  if (hex.size() != 64 && !pairs) {
    return std::nullopt;
  }
  Fingerprint fp{};
  for (std::size_t i = 0; i < fp.size(); ++i) {
    const std::size_t at = pairs ? 3 * i : 2 * i;
    if (pairs && i > 0 && hex[at - 1] != ':') {
      return std::nullopt;
    }
    const int hi = common::hex_digit(hex[at]);
    const int lo = common::hex_digit(hex[at + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    fp[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return fp;
}

std::string fingerprint_text(const Fingerprint& fp) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char b : fp) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

common::Result<std::vector<FleetHost>> parse_hosts_file(std::string_view text) {
  std::vector<FleetHost> hosts;
  std::set<std::string> names;
  int number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto words = words_of(line);
    if (words.empty()) {
      continue;
    }
    const std::string where = "hosts file line " + std::to_string(number) + ": ";
    FleetHost host;
    host.line = number;
    host.url = words[0];
    auto url = parse_agent_url(host.url);
    if (!url || url->kind == AgentUrl::Kind::kUnixSocket) {
      return usage_error(where + "'" + host.url + "' is not an agent URL (https://host:8443)");
    }
    if (url->kind == AgentUrl::Kind::kHttp && !config::is_loopback(url->host)) {
      return usage_error(where + "plain http:// only on a loopback address; use https://");
    }
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.size() >= 7 && (w.starts_with("sha256:") || w.starts_with("SHA256:"))) {
        if (host.pin) {
          return usage_error(where + "two certificate fingerprints");
        }
        host.pin = parse_fingerprint(w);
        if (!host.pin) {
          return usage_error(where + "'" + w + "' is not a certificate fingerprint (sha256:<64 hex digits>)");
        }
      } else if (host.name.empty()) {
        host.name = w;
      } else {
        return usage_error(where + "unexpected '" + w + "' (the line is: URL [name] [sha256:fingerprint])");
      }
    }
    if (host.name.empty()) {
      host.name = url->host + ":" + std::to_string(url->port);
    }
    if (!names.insert(host.name).second) {
      return usage_error(where + "the name " + host.name + " is already used by another line");
    }
    hosts.push_back(std::move(host));
    if (hosts.size() > kMaxHosts) {
      return usage_error("the hosts file lists more than " + std::to_string(kMaxHosts) + " hosts");
    }
  }
  if (hosts.empty()) {
    return usage_error("the hosts file lists no host");
  }
  return hosts;
}

std::optional<Amount> parse_amount(std::string_view text) {
  Amount a;
  if (text.ends_with('%')) {
    a.percent = true;
    text.remove_suffix(1);
  }
  auto v = parse_int(text);
  if (!v || (a.percent && *v > kHundred)) {
    return std::nullopt;
  }
  a.value = *v;
  return a;
}

int concurrency_for(Amount a, int hosts) {
  const int n = a.percent ? (a.value * hosts + kHundred - 1) / kHundred : a.value;
  return std::max(1, n);
}

int errors_for(Amount a, int hosts) { return a.percent ? a.value * hosts / kHundred : a.value; }

namespace {

// Flags of `berth fleet`; those that take a value are listed in kValueFlags.
constexpr std::array<std::string_view, 10> kValueFlags{
    "--hosts",      "--digest", "--canary", "--max-errors", "--max-concurrency",
    "--token-file", "--cacert", "--cert",   "--key",        "--url"};

bool pacing_action(std::string_view action) { return action == "update" || action == "rollback"; }

common::Status apply(FleetCommandLine& cl, std::string_view name, const std::string& value) {
  const bool pacing = pacing_action(cl.action);
  if (name == "--hosts") {
    cl.hosts_file = value;
  } else if (name == "--token-file") {
    cl.client.token_file = value;
  } else if (name == "--cacert") {
    cl.client.cacert = value;
  } else if (name == "--cert") {
    cl.client.cert = value;
  } else if (name == "--key") {
    cl.client.key = value;
  } else if (name == "--json") {
    cl.client.json = true;
  } else if (name == "--all" && cl.action == "update") {
    cl.all = true;
  } else if (name == "--digest" && cl.action == "update") {
    if (!registry::is_valid_digest(value)) {
      return usage_error("fleet update: --digest must look like sha256:<64 hex digits>");
    }
    cl.digest = value;
  } else if (name == "--canary" && pacing) {
    auto n = parse_int(value);
    if (!n) {
      return usage_error("fleet " + cl.action + ": --canary takes a number of hosts");
    }
    cl.canary = *n;
  } else if ((name == "--max-concurrency" || name == "--max-errors") && pacing) {
    auto a = parse_amount(value);
    if (!a || (name == "--max-concurrency" && a->value == 0)) {
      return usage_error("fleet " + cl.action + ": " + std::string(name) + " takes N or P% (for example 3 or 25%)");
    }
    (name == "--max-concurrency" ? cl.max_concurrency : cl.max_errors) = *a;
  } else if (name == "--yes" && pacing) {
    cl.yes = true;
  } else if (name == "--url") {
    return usage_error("fleet: the agents' URLs come from --hosts FILE, not --url");
  } else {
    return usage_error("fleet " + cl.action + ": unknown option " + std::string(name));
  }
  return {};
}

}  // namespace

std::string fleet_usage() {
  return "usage: berth fleet status   --hosts FILE [SERVICE] [--json]\n"
         "       berth fleet check    --hosts FILE [SERVICE] [--json]\n"
         "       berth fleet update   --hosts FILE SERVICE|--all [--digest sha256:...] [--canary N]\n"
         "                            [--max-concurrency N|P%] [--max-errors N|P%] [--yes] [--json]\n"
         "       berth fleet rollback --hosts FILE SERVICE [--canary N] [--max-concurrency N|P%]\n"
         "                            [--max-errors N|P%] [--yes] [--json]\n"
         "hosts file: one agent a line, `https://host:8443 [name] [sha256:<certificate fingerprint>]`;\n"
         "            # comments; `-` reads standard input\n"
         "client options: --token-file PATH (or BERTH_TOKEN)  --cacert PATH  --cert PATH --key PATH\n";
}

common::Result<FleetCommandLine> parse_fleet_command_line(int argc, const char* const* argv) {
  FleetCommandLine cl;
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      return usage_error("");
    }
    if (!arg.starts_with("--") || arg == "-") {
      if (cl.action.empty()) {
        cl.action = arg;
        if (arg != "status" && arg != "check" && arg != "update" && arg != "rollback") {
          return usage_error("fleet: unknown action '" + arg + "' (status, check, update, rollback)");
        }
      } else {
        positional.push_back(std::move(arg));
      }
      continue;
    }
    if (cl.action.empty()) {
      return usage_error("fleet: say status, check, update or rollback first");
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const bool takes_value = std::find(kValueFlags.begin(), kValueFlags.end(), name) != kValueFlags.end();
    if (takes_value && !value) {
      if (i + 1 >= argc) {
        return usage_error("fleet " + cl.action + ": " + name + " needs a value");
      }
      value = argv[++i];
    }
    if (!takes_value && value) {
      return usage_error("fleet " + cl.action + ": " + name + " takes no value");
    }
    if (auto st = apply(cl, name, value.value_or("")); !st) {
      return st.error();
    }
  }
  if (cl.action.empty()) {
    return usage_error("fleet: say status, check, update or rollback");
  }
  if (cl.hosts_file.empty()) {
    return usage_error("fleet " + cl.action + ": --hosts FILE is required (`-` for standard input)");
  }
  if (positional.size() > 1) {
    return usage_error("fleet " + cl.action + ": one SERVICE at most");
  }
  if (!positional.empty()) {
    cl.service = positional.front();
  }
  if (cl.action == "update" && cl.all == cl.service.has_value()) {
    return usage_error("fleet update: name a SERVICE or give --all");
  }
  if (cl.action == "update" && cl.all && cl.digest) {
    return usage_error("fleet update: --digest goes with one SERVICE, not --all");
  }
  if (cl.action == "rollback" && !cl.service) {
    return usage_error("fleet rollback: name the SERVICE");
  }
  return cl;
}

}  // namespace berth::cli
