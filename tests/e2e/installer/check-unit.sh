#!/usr/bin/env bash
# Static checks of systemd/: berth.service's exposure as `systemd-analyze security --offline` rates
# it must be 2.5 or lower; `systemd-analyze verify` must know every directive; berth.sysusers
# and berth.tmpfiles must apply cleanly to an empty root.
# Usage: check-unit.sh SYSTEMD_DIR. Exit 77 (skip) without systemd-analyze, except in CI.
set -euo pipefail

dir=$(cd "${1:?usage: check-unit.sh SYSTEMD_DIR}" && pwd)
unit=$dir/berth.service
threshold=25 # tenths: 2.5

if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [[ ${CI:-} == true ]]; then
    echo "check-unit: systemd-analyze is missing (required in CI)" >&2
    exit 1
  fi
  echo "check-unit: SKIPPED: systemd-analyze is missing (apt-get install systemd)"
  exit 77
fi
echo "check-unit: $(systemd-analyze --version | head -n1)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# 1. Exposure. --offline reads the file alone (systemd 250 and later; Debian 12 has 252).
status=0
systemd-analyze security --offline=true --threshold="$threshold" "$unit" >"$work/security" 2>&1 || status=$?
overall=$(grep -a 'Overall exposure level' "$work/security" || true)
echo "check-unit: ${overall:-no overall exposure reported}"
if ((status != 0)) || [[ -z $overall ]]; then
  grep -a '✗' "$work/security" >&2 || cat "$work/security" >&2
  echo "check-unit: FAIL: exposure above $((threshold / 10)).$((threshold % 10)) (or systemd-analyze failed, exit $status)" >&2
  failed=1
fi

# 2. Every directive known. The binary is not installed here, so verify a copy whose ExecStart
#    names a program that exists; nothing else changes.
sed 's|^ExecStart=/usr/local/bin/berth |ExecStart=/bin/sleep |' "$unit" >"$work/berth.service"
systemd-analyze verify "$work/berth.service" >"$work/verify" 2>&1 || true
if grep -aiE 'unknown|ignoring|failed to parse|invalid' "$work/verify" >&2; then
  echo "check-unit: FAIL: systemd-analyze verify complains about berth.service (above)" >&2
  failed=1
else
  echo "check-unit: systemd-analyze verify: every directive is known"
fi

# 3. sysusers.d and tmpfiles.d apply to an empty root (as root only: tmpfiles sets owners).
if ((EUID == 0)); then
  mkdir -p "$work/root/etc"
  if systemd-sysusers --root="$work/root" "$dir/berth.sysusers" >"$work/sysusers" 2>&1 &&
    grep -q '^berth:' "$work/root/etc/passwd" && grep -Eq '^docker:.*berth' "$work/root/etc/group" &&
    systemd-tmpfiles --root="$work/root" --create "$dir/berth.tmpfiles" >"$work/tmpfiles" 2>&1 &&
    [[ "$(stat -c '%a %U' "$work/root/etc/berth")" == "750 root" ]] &&
    [[ "$(stat -c '%a' "$work/root/var/lib/berth")" == 700 ]]; then
    echo "check-unit: sysusers.d and tmpfiles.d: user berth in group docker, /etc/berth 0750, /var/lib/berth 0700"
  else
    cat "$work/sysusers" "$work/tmpfiles" >&2 || true
    echo "check-unit: FAIL: berth.sysusers or berth.tmpfiles does not apply cleanly" >&2
    failed=1
  fi
else
  echo "check-unit: sysusers.d and tmpfiles.d not applied (needs root)"
fi
exit "$failed"
