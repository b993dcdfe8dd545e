#!/bin/sh
# berth .rpm %post ($1: 1 on install, 2 on upgrade). Creates the berth user (member of docker, which
# is root-equivalent) and its directories, and reloads systemd. A first install neither enables nor
# starts berth: /usr/share/berth/install.sh does. An upgrade restarts a running berth.
systemd-sysusers /usr/lib/sysusers.d/berth.conf || :
systemd-tmpfiles --create /usr/lib/tmpfiles.d/berth.conf || :
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || :
  if [ "$1" -ge 2 ]; then
    systemctl try-restart berth.service || :
  fi
fi
if [ "$1" -eq 1 ]; then
  echo "berth: installed; configure and start it with /usr/share/berth/install.sh (see --help)"
fi
