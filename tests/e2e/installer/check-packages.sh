#!/usr/bin/env bash
# Builds the .deb (and the .rpm when rpmbuild exists) from a built tree into a temporary directory
# and checks what a host would get: the binary at /usr/local/bin/berth that runs, the unit (in
# /lib/systemd/system for the .deb, /usr/lib/systemd/system for the .rpm) identical to
# systemd/berth.service, sysusers.d and tmpfiles.d, the installer under /usr/share/berth, no
# configuration file, the maintainer scripts, and dependencies on systemd and the C library.
# Usage: check-packages.sh BUILD_DIR BINARY. Exit 77 (skip) without cpack or dpkg-deb, except in CI.
set -euo pipefail

build=${1:?usage: check-packages.sh BUILD_DIR BINARY}
binary=${2:?usage: check-packages.sh BUILD_DIR BINARY}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

for tool in cpack dpkg-deb dpkg-shlibdeps; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    if [[ ${CI:-} == true ]]; then
      echo "check-packages: $tool is missing (required in CI; scripts/install-deps installs it)" >&2
      exit 1
    fi
    echo "check-packages: SKIPPED: $tool is missing"
    exit 77
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
pass() { echo "check-packages: ok   $*"; }
fail() {
  echo "check-packages: FAIL $*" >&2
  failed=1
}
# has LISTING PATTERN DESCRIPTION
has() {
  if grep -Eq "$2" "$1"; then pass "$3"; else fail "$3 (no line matching $2)"; fi
}

make_package() {
  local generator=$1
  if ! cpack --config "$build/CPackConfig.cmake" -G "$generator" -B "$work/$generator" >"$work/$generator.log" 2>&1; then
    cat "$work/$generator.log" >&2
    fail "cpack -G $generator failed"
    return 1
  fi
}

# .deb
if make_package DEB; then
  deb=$(find "$work/DEB" -maxdepth 1 -name '*.deb' | head -n1)
  echo "check-packages: $(basename "$deb") ($(stat -c %s "$deb") bytes)"
  dpkg-deb -c "$deb" >"$work/deb.list"
  sed 's/^/    | /' "$work/deb.list"
  has "$work/deb.list" '^-rwxr-xr-x root/root .* \./usr/local/bin/berth$' "deb: /usr/local/bin/berth 0755 root"
  has "$work/deb.list" '^-rw-r--r-- root/root .* \./lib/systemd/system/berth\.service$' "deb: the unit in /lib/systemd/system"
  has "$work/deb.list" '^-rw-r--r-- .* \./usr/lib/sysusers\.d/berth\.conf$' "deb: sysusers.d"
  has "$work/deb.list" '^-rw-r--r-- .* \./usr/lib/tmpfiles\.d/berth\.conf$' "deb: tmpfiles.d"
  has "$work/deb.list" '^-rwxr-xr-x .* \./usr/share/berth/install\.sh$' "deb: install.sh"
  has "$work/deb.list" '^-rwxr-xr-x .* \./usr/share/berth/uninstall\.sh$' "deb: uninstall.sh"
  has "$work/deb.list" '^-rw-r--r-- .* \./usr/share/berth/cloud-init\.yaml$' "deb: cloud-init.yaml"
  if grep -q '\./etc/' "$work/deb.list"; then fail "deb: ships files in /etc (configuration is install.sh's)"; else pass "deb: nothing in /etc"; fi

  mkdir "$work/deb-root" "$work/deb-control"
  dpkg-deb -x "$deb" "$work/deb-root"
  dpkg-deb -e "$deb" "$work/deb-control"
  if cmp -s "$work/deb-root/lib/systemd/system/berth.service" "$source_dir/systemd/berth.service"; then
    pass "deb: the unit is systemd/berth.service"
  else
    fail "deb: the unit differs from systemd/berth.service"
  fi
  if version=$("$work/deb-root/usr/local/bin/berth" version 2>&1); then
    pass "deb: the packaged binary runs ($version)"
  else
    fail "deb: the packaged binary does not run: $version"
  fi
  for script in postinst prerm postrm; do
    if [[ -x $work/deb-control/$script ]] && cmp -s "$work/deb-control/$script" "$source_dir/installer/package/deb/$script"; then
      pass "deb: $script"
    else
      fail "deb: $script missing, not executable or not installer/package/deb/$script"
    fi
  done
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "check-packages: deb Depends: $depends"
  if [[ $depends == *libc6* ]]; then pass "deb: depends on libc6 (from dpkg-shlibdeps)"; else fail "deb: no libc6 in Depends"; fi
  if [[ $depends == *systemd* ]]; then pass "deb: depends on systemd"; else fail "deb: no systemd in Depends"; fi
  # Every shared library the binary itself names (NEEDED; what those pull in is their packages' business)
  # must be covered by a dependency.
  needed=$(objdump -p "$binary" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }')
  while read -r lib; do
    owner=$(dpkg-query -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1 || true)
    [[ -n $owner ]] || owner=$(dpkg-query -S "/usr$lib" 2>/dev/null | head -n1 | cut -d: -f1 || true)
    [[ -n $owner ]] || continue
    if [[ $depends == *"$owner"* ]]; then pass "deb: depends on $owner ($lib)"; else fail "deb: $lib is linked but $owner is not in Depends"; fi
  done < <({ ldd "$binary" 2>/dev/null || true; } | awk -v needed="$needed" '
    BEGIN { n = split(needed, list, "\n"); for (i = 1; i <= n; i++) want[list[i]] = 1 }
    $2 == "=>" && $3 ~ /^\// && ($1 in want) { print $3 }')
fi

# .rpm, when rpmbuild is there
if command -v rpmbuild >/dev/null 2>&1; then
  if make_package RPM; then
    rpm_file=$(find "$work/RPM" -maxdepth 1 -name '*.rpm' | head -n1)
    echo "check-packages: $(basename "$rpm_file") ($(stat -c %s "$rpm_file") bytes)"
    rpm -qlvp "$rpm_file" 2>/dev/null >"$work/rpm.list"
    sed 's/^/    | /' "$work/rpm.list"
    has "$work/rpm.list" '^-rwxr-xr-x .* /usr/local/bin/berth$' "rpm: /usr/local/bin/berth 0755"
    has "$work/rpm.list" '^-rw-r--r-- .* /usr/lib/systemd/system/berth\.service$' "rpm: the unit in /usr/lib/systemd/system"
    has "$work/rpm.list" ' /usr/lib/sysusers\.d/berth\.conf$' "rpm: sysusers.d"
    has "$work/rpm.list" ' /usr/lib/tmpfiles\.d/berth\.conf$' "rpm: tmpfiles.d"
    has "$work/rpm.list" '^-rwxr-xr-x .* /usr/share/berth/install\.sh$' "rpm: install.sh"
    if grep -Eq ' (/usr/local|/usr/local/bin|/usr/lib/systemd|/usr/lib/systemd/system)$' "$work/rpm.list"; then
      fail "rpm: owns a directory of the distribution"
    else
      pass "rpm: owns no directory of the distribution"
    fi
    rpm -qp --scripts "$rpm_file" 2>/dev/null >"$work/rpm.scripts"
    has "$work/rpm.scripts" 'systemd-sysusers /usr/lib/sysusers.d/berth.conf' "rpm: %post creates the user"
    has "$work/rpm.scripts" 'disable --now berth.service' "rpm: %preun stops berth"
    rpm -qp --requires "$rpm_file" 2>/dev/null >"$work/rpm.requires"
    echo "check-packages: rpm Requires: $(tr '\n' ' ' <"$work/rpm.requires")"
    has "$work/rpm.requires" '^systemd' "rpm: requires systemd"
    has "$work/rpm.requires" '^libc\.so\.6' "rpm: requires libc (automatic)"
  fi
else
  echo "check-packages: rpmbuild is not installed: .rpm not checked (apt-get install rpm)"
fi
exit "$failed"
