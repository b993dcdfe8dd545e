#!/bin/sh
# berth .rpm %preun ($1: 0 on removal, 1 on upgrade). On removal, stops and disables berth; the
# containers it manages keep running.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl disable --now berth.service >/dev/null 2>&1 || :
fi
