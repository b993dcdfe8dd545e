#pragma once

namespace berth::app {

// Dispatches the subcommand; returns the process exit code (see the README's exit code table).
int run_main(int argc, char** argv);

}  // namespace berth::app
