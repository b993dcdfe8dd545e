#!/bin/sh
# Removes berth from this host: the same as `install.sh --uninstall`. Stops and disables the agent
# and removes its unit and binary; `--purge` also deletes /etc/berth, /var/lib/berth and the berth
# user. Containers, images and volumes are never touched.

main() {
  set -eu
  here=$(cd "$(dirname "$0")" && pwd)
  [ -f "$here/install.sh" ] || {
    printf 'berth-uninstall: install.sh is not next to this script (in %s)\n' "$here" >&2
    exit 1
  }
  exec sh "$here/install.sh" --uninstall "$@"
}

main "$@"
