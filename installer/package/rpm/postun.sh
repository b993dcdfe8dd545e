#!/bin/sh
# berth .rpm %postun. /etc/berth and /var/lib/berth stay (they hold the operator's configuration and
# berth's state); install.sh --uninstall --purge deletes them.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || :
fi
