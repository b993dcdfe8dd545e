# shellcheck shell=bash
# Pristine Debian rootfs for the fresh-machine checks (scripts/check-fresh-machine, scripts/release)
# and the installer test: made once with `debootstrap --variant=minbase` from the mirror apt uses on
# this machine, cached as a tar under $BERTH_TEST_DIR, and unpacked anew for every use, so that
# nothing a check installs survives it. Source after lib.sh; do not run it.

# debian_mirror SUITE: the mirror apt uses here for SUITE (deb822 sources or the one-line format);
# BERTH_DEBIAN_MIRROR overrides it.
debian_mirror() {
  local suite=$1 file uri
  if [[ -n ${BERTH_DEBIAN_MIRROR:-} ]]; then
    printf '%s' "$BERTH_DEBIAN_MIRROR"
    return
  fi
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] || continue
    uri=$(awk -v suite="$suite" '
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      /^$/ { if (ok && uri != "") { print uri; exit } ok = 0; uri = "" }
      END { if (ok && uri != "") print uri }' "$file" | head -n1)
    if [[ -n $uri ]]; then
      printf '%s' "$uri"
      return
    fi
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $file ]] || continue
    uri=$(awk -v suite="$suite" '$1 == "deb" && $3 == suite { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$file")
    if [[ -n $uri ]]; then
      printf '%s' "$uri"
      return
    fi
  done
  printf 'http://deb.debian.org/debian'
}

# pristine_rootfs SUITE ARCH: prints the path of the cached rootfs tar, building it first when
# missing. For this machine's architecture it is a complete minbase system; for another one
# (arm64) only debootstrap's first stage (--foreign): its packages unpacked, not configured, which
# is what `qemu-aarch64-static -L ROOT` needs to run a program against that system's libraries.
pristine_rootfs() {
  local suite=$1 arch=$2 mirror key tar build started foreign=()
  mirror=$(debian_mirror "$suite")
  key=$(printf '%s %s %s v1' "$suite" "$arch" "$mirror" | sha256sum | cut -c1-12)
  tar=$BERTH_TEST_DIR/pristine-$suite-$arch-$key.tar
  mkdir -p "$BERTH_TEST_DIR"
  (
    exec 9>"$BERTH_TEST_DIR/pristine-$suite-$arch.lock"
    timeout 1200 flock 9 || die "another run holds $BERTH_TEST_DIR/pristine-$suite-$arch.lock"
    [[ -s $tar ]] && exit 0
    [[ $arch == "$(dpkg --print-architecture)" ]] || foreign=(--foreign)
    build=$BERTH_TEST_DIR/pristine-$suite-$arch.build
    rm -rf --one-file-system "$build"
    started=$SECONDS
    say "building a pristine Debian $suite $arch rootfs (debootstrap --variant=minbase ${foreign[*]}, $mirror)" >&2
    if ! timeout 900 debootstrap --variant=minbase --arch="$arch" "${foreign[@]}" "$suite" "$build" "$mirror" \
      >"$BERTH_TEST_DIR/pristine-$suite-$arch.log" 2>&1; then
      tail -n 30 "$BERTH_TEST_DIR/pristine-$suite-$arch.log" >&2
      rm -rf --one-file-system "$build"
      die "debootstrap failed (log: $BERTH_TEST_DIR/pristine-$suite-$arch.log)"
    fi
    rm -rf "$build"/var/lib/apt/lists/* "$build"/var/cache/apt/archives/*.deb
    tar -C "$build" -cf "$tar.tmp" .
    mv -f "$tar.tmp" "$tar"
    rm -rf --one-file-system "$build"
    # Rootfs of an earlier mirror or version of this script are not needed any more.
    find "$BERTH_TEST_DIR" -maxdepth 1 -name "pristine-$suite-$arch-*.tar" ! -name "${tar##*/}" -delete
    say "pristine rootfs built in $((SECONDS - started)) s: $tar" >&2
  ) || exit 1
  printf '%s' "$tar"
}

# rootfs_unpack TAR DIR: a fresh copy of the rootfs in DIR (which must not exist), set up to install
# packages from this machine's mirror: its DNS, the Acquire settings of apt.conf.d (proxies,
# validity of snapshot mirrors), the security and updates suites, and a policy-rc.d that keeps
# packages from starting daemons inside it.
rootfs_unpack() {
  local tar=$1 dir=$2 suite file mirror extra
  mkdir "$dir"
  tar -C "$dir" -xf "$tar"
  rm -f "$dir/etc/resolv.conf"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
  for file in /etc/apt/apt.conf.d/*; do
    [[ -f $file ]] && grep -q '^[[:space:]]*Acquire' "$file" && cp "$file" "$dir/etc/apt/apt.conf.d/"
  done
  suite=$(awk '$1 == "deb" { print $3; exit }' "$dir/etc/apt/sources.list" 2>/dev/null || true)
  if [[ -n $suite ]]; then
    for extra in "$suite-updates" "$suite-security"; do
      mirror=$(debian_mirror "$extra")
      [[ $mirror == http://deb.debian.org/debian && $extra == *-security ]] && mirror=http://deb.debian.org/debian-security
      printf 'deb %s %s main\n' "$mirror" "$extra" >>"$dir/etc/apt/sources.list"
    done
  fi
  printf '#!/bin/sh\n# no daemon starts inside a check rootfs\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 0755 "$dir/usr/sbin/policy-rc.d"
}

# rootfs_run DIR [--bind HOST_DIR ROOTFS_DIR]... COMMAND...: runs COMMAND chrooted into DIR, in a
# mount namespace of its own holding /proc, /sys, /dev and the binds; they all end with it.
rootfs_run() {
  local dir=$1 binds=()
  shift
  while [[ ${1:-} == --bind ]]; do
    binds+=("$2" "$3")
    shift 3
  done
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private -- bash -euc '
    dir=$1; n=$2; shift 2
    while ((n > 0)); do mkdir -p "$dir/$2"; mount --bind "$1" "$dir/$2"; shift 2; n=$((n - 2)); done
    mount -t proc proc "$dir/proc"
    mount -t sysfs sys "$dir/sys"
    mount --rbind /dev "$dir/dev"
    exec chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' _ "$dir" "${#binds[@]}" "${binds[@]}" "$@"
}

# rootfs_remove DIR: removes a copy made by rootfs_unpack (never crossing into a mount).
rootfs_remove() {
  [[ -n $1 && -d $1 ]] || return 0
  if findmnt -rn -o TARGET | grep -q "^$1/"; then
    warn "not removing $1: something is still mounted below it"
    return 1
  fi
  rm -rf --one-file-system "$1"
}
