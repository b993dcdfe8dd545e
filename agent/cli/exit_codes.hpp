#pragma once

namespace berth::cli {

// The exit codes of the contract, for scripts and fleet tools.
inline constexpr int kExitOk = 0;             // done: swapped, or already up to date
inline constexpr int kExitError = 1;          // could not reach the agent, a registry or Docker
inline constexpr int kExitUsage = 2;          // usage error
inline constexpr int kExitRolledBack = 3;     // failed its health gate and was rolled back
inline constexpr int kExitUnauthorized = 4;   // unauthorized or forbidden
inline constexpr int kExitConfig = 78;        // configuration error (EX_CONFIG)
inline constexpr int kExitInterrupted = 130;  // berth fleet: Ctrl-C before every host started (128 + SIGINT)

}  // namespace berth::cli
