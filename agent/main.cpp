// berth: the daemon and the command line are one executable.
#include "app/entry.hpp"

int main(int argc, char** argv) { return berth::app::run_main(argc, argv); }
