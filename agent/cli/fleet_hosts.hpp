#pragma once

// `berth fleet`: the hosts file, the pacing amounts (N or P%) and the fleet command line. Pure.
//
// A hosts file lists one agent per line: `https://host:8443 [name] [sha256:<certificate fingerprint>]`;
// `#` starts a comment, blank lines are skipped. The fingerprint is the SHA-256 of the agent's
// certificate (DER), as 64 hex digits or as the 32 colon-separated pairs `openssl x509 -fingerprint
// -sha256` prints; a pinned host is trusted by that fingerprint alone (no CA, no host name check).

#include "cli/command_line.hpp"
#include "common/error.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

using Fingerprint = std::array<unsigned char, 32>;

struct FleetHost {
  std::string url;   // https://host:port (or http:// on a loopback address)
  std::string name;  // the name the file gives, else host:port
  std::optional<Fingerprint> pin;
  int line = 0;  // in the hosts file, for messages
};

// Every problem is kInvalidArgument naming the line. An empty list is an error too.
common::Result<std::vector<FleetHost>> parse_hosts_file(std::string_view text);

// "sha256:<64 hex>" or "sha256:AB:CD:..." (either case); nullopt otherwise.
std::optional<Fingerprint> parse_fingerprint(std::string_view text);
// "sha256:<64 lower-case hex>"
std::string fingerprint_text(const Fingerprint& fp);

// `--max-concurrency` and `--max-errors`: a count, or a percentage of the hosts.
struct Amount {
  int value = 0;
  bool percent = false;
};
std::optional<Amount> parse_amount(std::string_view text);
// Hosts at once: P% of the hosts rounded up, at least 1.
int concurrency_for(Amount a, int hosts);
// Failures tolerated: P% of the hosts rounded down.
int errors_for(Amount a, int hosts);

struct FleetCommandLine {
  std::string action;      // status, check, update, rollback
  std::string hosts_file;  // a path, or "-" for standard input
  std::optional<std::string> service;
  bool all = false;
  std::optional<std::string> digest;
  int canary = 0;
  Amount max_concurrency{1, false};
  Amount max_errors{0, false};
  bool yes = false;
  ClientOptions client;  // token file, CA file, client certificate, --json; the URLs come from the hosts file
};

// argv[0] is the program, argv[1] "fleet". kInvalidArgument with a message for a usage error; with an
// empty message for --help.
common::Result<FleetCommandLine> parse_fleet_command_line(int argc, const char* const* argv);
std::string fleet_usage();

}  // namespace berth::cli
