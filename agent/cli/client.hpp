#pragma once

namespace berth::cli {

// `berth status|check|update|rollback|history|token ...` (argv[1] is the command): talks to the agent
// at --url (token commands edit the tokens file instead) and returns the exit code of CONTRACT
// section 2: 0 done, 1 error (the message names what failed), 2 usage, 3 rolled back, 4 unauthorized
// or forbidden, 78 configuration.
int run_client_command(int argc, char** argv);

}  // namespace berth::cli
