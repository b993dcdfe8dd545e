#pragma once

namespace berth::cli {

// `berth fleet status|check|update|rollback --hosts FILE ...` (argv[1] is "fleet"): the same request on
// every agent of a hosts file, and for update and rollback a paced rollout (canary, max concurrency,
// max errors) to one digest. Returns the exit code: 0 every host done, 1 could not run, 2 usage, 3
// stopped because of failures (or a host failed), 4 unauthorized somewhere, 130 interrupted.
int run_fleet_command(int argc, char** argv);

}  // namespace berth::cli
