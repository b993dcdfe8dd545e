#!/bin/sh
# berth installer: from a bare host to a hardened, running berth agent, in one command.
#
#   install.sh --binary ./berth [options]                     a binary already on this host
#   install.sh --url URL --sha256 HEX [options]               download, verify, then install
#   install.sh --uninstall [--purge]                          remove berth (never containers)
#
# Run as root. Safe to run again with the same options: it compares checksums before copying, never
# overwrites an operator's agent.json, TLS files or tokens, and restarts berth only when its binary,
# unit, certificate or agent.json changed (a changed service file only reloads it).
#
# The whole script is made of functions and the last line calls main, so a copy cut short by a
# failed download runs nothing. Secrets never pass through `set -x` or the command line.
#
# Exit status: 0 done; 1 failed (the message says where; rerunning is safe); 2 usage error.

usage() {
  cat <<'EOF'
Usage: install.sh [options]
       install.sh --uninstall [--purge]

Where the binary comes from (one of them; without either, the installed binary is kept):
  --binary PATH          install this berth binary (checked with --sha256 when given)
  --url URL              download berth from URL: a bare binary, or a release archive (.tar.gz)
                         holding berth, install.sh and systemd/; requires --sha256
  --sha256 HEX           the expected SHA-256 of the file at --url (or --binary); a mismatch stops
                         everything before anything is installed

What the host runs:
  --listen ADDR:PORT     TCP control endpoint with TLS, for example 0.0.0.0:8443 (default: none,
                         only the local socket /run/berth/api.sock)
  --poll-interval DUR    how often registries are asked for new digests (default 5m)
  --no-watch-labeled     manage only /etc/berth/services.d, not containers labelled berth.enable=true
  --service FILE         copy an ECS task definition into /etc/berth/services.d (repeatable)
  --cert PATH --key PATH use this TLS certificate and key instead of a self-signed one
  --san NAME|IP          add a name or address to the self-signed certificate (repeatable)
  --token-file PATH      write the first admin token to PATH (mode 0600) instead of printing it
  --print-token          print the token even when the output is not a terminal (it goes to
                         whatever log captures the output)
  --token-sha256 HEX     add the fleet token known only by this SHA-256 (name fleet, scope deploy)
                         instead of making an admin token: one token, kept in the admin's secret
                         store, reaches every host, and user data holds only its hash
                         (printf %s "$TOKEN" | sha256sum)
  --no-docker-install    do not install or enable Docker (it is managed elsewhere)
  --no-start             install and enable berth, but do not start it now (for image baking)

Removal:
  --uninstall            stop and disable berth, remove its unit and binary; containers, images
                         and volumes are never touched
  --purge                with --uninstall: also delete /etc/berth, /var/lib/berth and the berth user

  -h, --help             this text

--listen, --poll-interval and --no-watch-labeled shape the default /etc/berth/agent.json, which is
written only when there is none: an existing agent.json is never changed.
EOF
}

# ---------------------------------------------------------------------------------------------------
# Output

say() { printf 'berth-install: %s\n' "$*"; }
warn() { printf 'berth-install: warning: %s\n' "$*" >&2; }
die() {
  printf 'berth-install: error: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  printf 'berth-install: %s\n' "$*" >&2
  printf 'berth-install: see install.sh --help\n' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------------
# Fixed paths (CONTRACT section 1)

BIN_DEST=/usr/local/bin/berth
ETC_DIR=/etc/berth
CONFIG_FILE=/etc/berth/agent.json
SERVICES_DIR=/etc/berth/services.d
TLS_DIR=/etc/berth/tls
TOKENS_FILE=/etc/berth/tokens.json
DOCKER_CONFIG_FILE=/etc/berth/docker-config.json
STATE_DIR=/var/lib/berth
UNIT_DEST=/etc/systemd/system/berth.service
DROPIN_DIR=/etc/systemd/system/berth.service.d
SYSUSERS_DEST=/etc/sysusers.d/berth.conf
TMPFILES_DEST=/etc/tmpfiles.d/berth.conf
DEFAULT_TOKEN_FILE=/root/berth-admin-token
DOCKER_GROUP_NOTE="the berth user is in the docker group: access to the Docker socket is root-equivalent, so whoever controls berth (its API tokens, its configuration, the berth user) controls this host"

# ---------------------------------------------------------------------------------------------------
# Options

parse_args() {
  OPT_BINARY=
  OPT_URL=
  OPT_SHA256=
  OPT_LISTEN=
  OPT_POLL=
  OPT_WATCH_LABELED=true
  OPT_TOKEN_FILE=
  OPT_PRINT_TOKEN=0
  OPT_TOKEN_SHA256=
  OPT_CERT=
  OPT_KEY=
  OPT_NO_DOCKER_INSTALL=0
  OPT_NO_START=0
  OPT_UNINSTALL=0
  OPT_PURGE=0
  # Newline-separated lists (names with a newline are refused below).
  OPT_SERVICES=
  OPT_SANS=
  while [ $# -gt 0 ]; do
    case $1 in
      --binary | --url | --sha256 | --listen | --poll-interval | --service | --token-file | --token-sha256 | --cert | --key | --san)
        [ $# -ge 2 ] || usage_error "$1 needs a value"
        case $2 in *'
'*) usage_error "$1: a value with a newline is not accepted" ;; esac
        case $1 in
          --binary) OPT_BINARY=$2 ;;
          --url) OPT_URL=$2 ;;
          --sha256) OPT_SHA256=$2 ;;
          --listen) OPT_LISTEN=$2 ;;
          --poll-interval) OPT_POLL=$2 ;;
          --token-file) OPT_TOKEN_FILE=$2 ;;
          --token-sha256) OPT_TOKEN_SHA256=$2 ;;
          --cert) OPT_CERT=$2 ;;
          --key) OPT_KEY=$2 ;;
          --service) OPT_SERVICES="$OPT_SERVICES$2
" ;;
          --san) OPT_SANS="$OPT_SANS$2
" ;;
        esac
        shift 2
        ;;
      --binary=* | --url=* | --sha256=* | --listen=* | --poll-interval=* | --service=* | --token-file=* | --token-sha256=* | --cert=* | --key=* | --san=*)
        opt_name=${1%%=*}
        opt_value=${1#*=}
        shift
        set -- "$opt_name" "$opt_value" "$@"
        ;;
      --no-watch-labeled) OPT_WATCH_LABELED=false && shift ;;
      --print-token) OPT_PRINT_TOKEN=1 && shift ;;
      --no-docker-install) OPT_NO_DOCKER_INSTALL=1 && shift ;;
      --no-start) OPT_NO_START=1 && shift ;;
      --uninstall) OPT_UNINSTALL=1 && shift ;;
      --purge) OPT_PURGE=1 && shift ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) usage_error "unknown option: $1" ;;
    esac
  done

  if [ "$OPT_UNINSTALL" = 1 ]; then
    return 0
  fi
  [ "$OPT_PURGE" = 0 ] || usage_error "--purge goes with --uninstall"
  [ -z "$OPT_BINARY" ] || [ -z "$OPT_URL" ] || usage_error "give --binary or --url, not both"
  if [ -n "$OPT_URL" ] && [ -z "$OPT_SHA256" ]; then
    usage_error "--url needs --sha256: berth is never installed from an unverified download"
  fi
  if [ -n "$OPT_SHA256" ]; then
    OPT_SHA256=$(printf '%s' "$OPT_SHA256" | tr 'A-F' 'a-f')
    case $OPT_SHA256 in
      *[!0-9a-f]*) usage_error "--sha256: \"$OPT_SHA256\" is not a hex SHA-256" ;;
    esac
    [ "${#OPT_SHA256}" -eq 64 ] || usage_error "--sha256: a SHA-256 has 64 hex digits, not ${#OPT_SHA256}"
  fi
  if [ -n "$OPT_TOKEN_SHA256" ]; then
    OPT_TOKEN_SHA256=$(printf '%s' "$OPT_TOKEN_SHA256" | tr 'A-F' 'a-f')
    case $OPT_TOKEN_SHA256 in
      *[!0-9a-f]*) usage_error "--token-sha256: \"$OPT_TOKEN_SHA256\" is not a hex SHA-256" ;;
    esac
    [ "${#OPT_TOKEN_SHA256}" -eq 64 ] || usage_error "--token-sha256: a SHA-256 has 64 hex digits, not ${#OPT_TOKEN_SHA256}"
    if [ -n "$OPT_TOKEN_FILE" ] || [ "$OPT_PRINT_TOKEN" = 1 ]; then
      usage_error "--token-sha256 makes no admin token: --token-file and --print-token do not go with it"
    fi
  fi
  if [ -n "$OPT_LISTEN" ]; then
    # The agent checks the address itself; this only keeps what goes into agent.json plain.
    printf '%s\n' "$OPT_LISTEN" | grep -Eq '^[][0-9A-Za-z.:%-]+:[0-9]+$' ||
      usage_error "--listen: \"$OPT_LISTEN\" is not ADDR:PORT (for example 0.0.0.0:8443)"
  fi
  if [ -n "$OPT_POLL" ]; then
    case $OPT_POLL in
      '' | *[!0-9a-z.]* | [!0-9]*) usage_error "--poll-interval: \"$OPT_POLL\" is not a duration such as 30s, 5m or 1h" ;;
    esac
  fi
  if [ -n "$OPT_CERT" ] || [ -n "$OPT_KEY" ]; then
    if [ -z "$OPT_CERT" ] || [ -z "$OPT_KEY" ]; then
      usage_error "--cert and --key go together"
    fi
  fi
  if [ -n "$OPT_TOKEN_FILE" ]; then
    case $OPT_TOKEN_FILE in
      /*) ;;
      *) usage_error "--token-file: give an absolute path" ;;
    esac
  fi
}

# ---------------------------------------------------------------------------------------------------
# Helpers

need_root() {
  [ "$(id -u)" = 0 ] || die "run as root (berth installs a system service)"
}

need_systemd() {
  [ -d /run/systemd/system ] || die "this host does not run systemd as init; berth needs it"
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found"
}

# Prints the SHA-256 of a file. Fails closed: no hashing tool means no install.
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  else
    die "neither sha256sum nor openssl is available to check $1"
  fi
}

# Whether two files have the same content.
same_file() {
  [ -f "$1" ] && [ -f "$2" ] && [ "$(sha256_of "$1")" = "$(sha256_of "$2")" ]
}

# install_file SRC DEST MODE OWNER GROUP: copies when the content differs (atomically, through a
# temporary file in DEST's directory) and fixes mode and owner otherwise. Sets FILE_STATE to
# "installed", "updated", "fixed" or "unchanged".
install_file() {
  if [ -f "$2" ] && same_file "$1" "$2"; then
    FILE_STATE=unchanged
    if [ "$(stat -c '%a %U %G' "$2")" != "$(printf '%o' "0$3") $4 $5" ]; then
      chown "$4:$5" "$2"
      chmod "$3" "$2"
      FILE_STATE=fixed
    fi
    return 0
  fi
  FILE_STATE=updated
  [ -e "$2" ] || FILE_STATE=installed
  [ -d "$(dirname "$2")" ] || install -d -m 0755 "$(dirname "$2")"
  install_tmp="$2.berth-install.$$"
  install -m "$3" -o "$4" -g "$5" "$1" "$install_tmp"
  mv -f "$install_tmp" "$2"
}

# ensure_dir PATH MODE OWNER GROUP
ensure_dir() {
  if [ ! -d "$1" ]; then
    install -d -m "$2" -o "$3" -g "$4" "$1"
    say "created $1 ($2 $3:$4)"
  elif [ "$(stat -c '%a %U %G' "$1")" != "$(printf '%o' "0$2") $3 $4" ]; then
    chown "$3:$4" "$1"
    chmod "$2" "$1"
    say "fixed mode and owner of $1 ($2 $3:$4)"
  fi
}

unit_property() {
  systemctl show -p "$1" --value berth.service 2>/dev/null || true
}

os_field() {
  # shellcheck disable=SC1091 # the host's file
  (. /etc/os-release 2>/dev/null && eval "printf '%s' \"\${$1:-}\"")
}

host_name() {
  hostname 2>/dev/null || cat /proc/sys/kernel/hostname 2>/dev/null || echo berth
}

nologin_shell() {
  for nologin_candidate in /usr/sbin/nologin /sbin/nologin /usr/bin/false /bin/false; do
    if [ -x "$nologin_candidate" ]; then
      printf '%s' "$nologin_candidate"
      return 0
    fi
  done
  printf '/bin/false'
}

# Which package, if any, owns a path (so uninstall leaves it to the package manager).
package_owning() {
  if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -S "$1" >/dev/null 2>&1; then
    dpkg-query -S "$1" 2>/dev/null | head -n1 | cut -d: -f1
  elif command -v rpm >/dev/null 2>&1 && rpm -qf "$1" >/dev/null 2>&1; then
    rpm -qf --qf '%{NAME}\n' "$1" 2>/dev/null | head -n1
  fi
}

# The unit installed by a .deb or .rpm, if any: then the package manager owns the unit files.
packaged_unit() {
  for packaged_candidate in /usr/lib/systemd/system/berth.service /lib/systemd/system/berth.service; do
    if [ -f "$packaged_candidate" ]; then
      printf '%s' "$packaged_candidate"
      return 0
    fi
  done
}

# ---------------------------------------------------------------------------------------------------
# Docker

install_docker_package() {
  distro=$(os_field ID)
  distro_version=$(os_field VERSION_ID)
  distro_like=$(os_field ID_LIKE)
  case "$distro:$distro_version" in
    amzn:2023*)
      say "docker: installing with dnf (Amazon Linux $distro_version)"
      dnf install -y -q docker
      ;;
    amzn:2)
      say "docker: installing with yum (Amazon Linux 2)"
      if command -v amazon-linux-extras >/dev/null 2>&1; then
        amazon-linux-extras install -y docker
      else
        yum install -y -q docker
      fi
      ;;
    debian:* | ubuntu:*)
      say "docker: installing docker.io with apt ($distro $distro_version)"
      DEBIAN_FRONTEND=noninteractive apt-get update -q
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io
      ;;
    *)
      case " $distro_like " in
        *" debian "*)
          say "docker: installing docker.io with apt ($distro, like debian)"
          DEBIAN_FRONTEND=noninteractive apt-get update -q
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io
          ;;
        *)
          die "docker: no Docker Engine here and no known way to install it on \"${distro:-unknown}\"; install Docker, then rerun with --no-docker-install"
          ;;
      esac
      ;;
  esac
}

ensure_docker() {
  if [ "$OPT_NO_DOCKER_INSTALL" = 1 ]; then
    say "docker: left alone (--no-docker-install)"
  else
    if command -v dockerd >/dev/null 2>&1; then
      say "docker: installed ($(dockerd --version 2>/dev/null || echo 'version unknown'))"
    else
      install_docker_package
      command -v dockerd >/dev/null 2>&1 || die "docker: the package installed, but dockerd is not on PATH"
    fi
    if systemctl cat docker.service >/dev/null 2>&1; then
      if ! systemctl is-enabled --quiet docker.service; then
        systemctl enable docker.service
        say "docker: enabled at boot"
      fi
      if ! systemctl is-active --quiet docker.service; then
        systemctl start docker.service
        say "docker: started"
      fi
    else
      warn "docker: no docker.service unit; make sure the Docker Engine starts at boot"
    fi
  fi
  if ! command -v nft >/dev/null 2>&1 && [ ! -x /usr/sbin/nft ]; then
    warn "nft: not installed; start-first on a fixed host port needs it (install the nftables package)"
  fi
  if ! getent group docker >/dev/null 2>&1; then
    groupadd --system docker
    say "created group docker (the Docker socket must belong to it for berth to reach it)"
  fi
}

# ---------------------------------------------------------------------------------------------------
# The berth user and its directories

ensure_user() {
  if ! getent group berth >/dev/null 2>&1; then
    groupadd --system berth
    say "created group berth"
  fi
  if ! id -u berth >/dev/null 2>&1; then
    useradd --system --gid berth --home-dir "$STATE_DIR" --no-create-home --shell "$(nologin_shell)" \
      --comment "berth container update agent" berth
    say "created system user berth"
  fi
  case " $(id -nG berth) " in
    *" docker "*) ;;
    *)
      usermod -a -G docker berth
      say "added user berth to group docker"
      ;;
  esac
}

ensure_directories() {
  ensure_dir "$ETC_DIR" 0750 root berth
  ensure_dir "$SERVICES_DIR" 0750 root berth
  ensure_dir "$TLS_DIR" 0750 root berth
  ensure_dir "$STATE_DIR" 0700 berth berth
}

# ---------------------------------------------------------------------------------------------------
# The binary and the unit files it comes with

# Sets SOURCE_BINARY (a verified file to install, or empty to keep the installed one) and, when the
# binary came in a release archive, ARCHIVE_DIR (holding systemd/ next to the binary).
fetch_binary() {
  SOURCE_BINARY=
  ARCHIVE_DIR=
  if [ -n "$OPT_URL" ]; then
    download="$WORK_DIR/download"
    say "binary: downloading $OPT_URL"
    if command -v curl >/dev/null 2>&1; then
      curl -fsSL --retry 3 --connect-timeout 15 --max-time 600 -o "$download" "$OPT_URL" ||
        die "binary: download failed: $OPT_URL"
    elif command -v wget >/dev/null 2>&1; then
      wget -q -T 60 -O "$download" "$OPT_URL" || die "binary: download failed: $OPT_URL"
    else
      die "binary: neither curl nor wget is available to download $OPT_URL"
    fi
    got=$(sha256_of "$download")
    [ "$got" = "$OPT_SHA256" ] ||
      die "binary: SHA-256 mismatch for $OPT_URL: expected $OPT_SHA256, got $got; nothing was installed"
    say "binary: SHA-256 verified ($got)"
    if [ "$(head -c 2 "$download" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
      mkdir "$WORK_DIR/archive"
      tar -xzf "$download" -C "$WORK_DIR/archive" || die "binary: cannot unpack the archive from $OPT_URL"
      found=$(find "$WORK_DIR/archive" -maxdepth 2 -type f -name berth)
      if [ -z "$found" ] || [ "$(printf '%s\n' "$found" | wc -l)" -ne 1 ]; then
        die "binary: the archive from $OPT_URL does not hold exactly one berth binary"
      fi
      SOURCE_BINARY=$found
      ARCHIVE_DIR=$(dirname "$found")
    else
      chmod 0755 "$download"
      SOURCE_BINARY=$download
    fi
  elif [ -n "$OPT_BINARY" ]; then
    [ -f "$OPT_BINARY" ] || die "binary: $OPT_BINARY is not a file"
    if [ -n "$OPT_SHA256" ]; then
      got=$(sha256_of "$OPT_BINARY")
      [ "$got" = "$OPT_SHA256" ] ||
        die "binary: SHA-256 mismatch for $OPT_BINARY: expected $OPT_SHA256, got $got; nothing was installed"
    fi
    SOURCE_BINARY=$OPT_BINARY
  elif [ ! -x "$BIN_DEST" ]; then
    usage_error "berth is not installed yet: give --binary PATH or --url URL --sha256 HEX"
  fi
  if [ -n "$SOURCE_BINARY" ]; then
    # A binary for another architecture or a newer C library fails here, not after installing.
    if ! version_output=$("$SOURCE_BINARY" version 2>&1); then
      die "binary: $SOURCE_BINARY does not run on this host ($version_output); if its directory is on a noexec file system, set TMPDIR to another one"
    fi
  fi
}

install_binary() {
  BINARY_CHANGED=0
  if [ -z "$SOURCE_BINARY" ]; then
    say "binary: keeping $BIN_DEST ($("$BIN_DEST" version 2>/dev/null || echo 'version unknown'))"
    return 0
  fi
  if [ -e "$BIN_DEST" ] && ! same_file "$SOURCE_BINARY" "$BIN_DEST"; then
    binary_package=$(package_owning "$BIN_DEST")
    if [ -n "$binary_package" ]; then
      die "binary: $BIN_DEST belongs to the package $binary_package; upgrade berth with the package manager, or remove the package first"
    fi
  fi
  install_file "$SOURCE_BINARY" "$BIN_DEST" 0755 root root
  case $FILE_STATE in
    installed | updated)
      BINARY_CHANGED=1
      say "binary: $FILE_STATE $BIN_DEST ($("$BIN_DEST" version 2>&1))"
      ;;
    *) say "binary: $BIN_DEST unchanged ($("$BIN_DEST" version 2>&1))" ;;
  esac
}

# Finds berth.service, berth.sysusers and berth.tmpfiles: in the release archive, next to this
# script (release bundle), or in ../systemd (a checkout). Sets SYSTEMD_SOURCE.
find_unit_sources() {
  SYSTEMD_SOURCE=
  for systemd_candidate in ${ARCHIVE_DIR:+"$ARCHIVE_DIR/systemd"} ${SCRIPT_DIR:+"$SCRIPT_DIR/systemd"} \
    ${SCRIPT_DIR:+"$SCRIPT_DIR/../systemd"}; do
    if [ -f "$systemd_candidate/berth.service" ]; then
      SYSTEMD_SOURCE=$(cd "$systemd_candidate" && pwd)
      return 0
    fi
  done
}

install_unit() {
  UNIT_CHANGED=0
  UNIT_PATH=$(packaged_unit)
  if [ -n "$UNIT_PATH" ]; then
    say "unit: $UNIT_PATH comes from the berth package; the package manager keeps it up to date"
    if [ -f "$UNIT_DEST" ]; then
      warn "unit: $UNIT_DEST (from an earlier install.sh) overrides the packaged unit; remove it to use the package's"
      UNIT_PATH=$UNIT_DEST
    fi
    return 0
  fi
  install_file "$SYSTEMD_SOURCE/berth.service" "$UNIT_DEST" 0644 root root
  case $FILE_STATE in installed | updated) UNIT_CHANGED=1 ;; esac
  say "unit: $UNIT_DEST $FILE_STATE"
  UNIT_PATH=$UNIT_DEST
  if [ -f "$SYSTEMD_SOURCE/berth.sysusers" ]; then
    install_file "$SYSTEMD_SOURCE/berth.sysusers" "$SYSUSERS_DEST" 0644 root root
    [ "$FILE_STATE" = unchanged ] || say "unit: $SYSUSERS_DEST $FILE_STATE"
  fi
  if [ -f "$SYSTEMD_SOURCE/berth.tmpfiles" ]; then
    install_file "$SYSTEMD_SOURCE/berth.tmpfiles" "$TMPFILES_DEST" 0644 root root
    [ "$FILE_STATE" = unchanged ] || say "unit: $TMPFILES_DEST $FILE_STATE"
  fi
  if [ "$UNIT_CHANGED" = 1 ]; then
    systemctl daemon-reload
    say "unit: systemd reloaded"
  fi
}

# ---------------------------------------------------------------------------------------------------
# Configuration, services, TLS, token

write_default_config() {
  CONFIG_CHANGED=0
  if [ -e "$CONFIG_FILE" ]; then
    say "config: keeping $CONFIG_FILE (an existing agent.json is never changed)"
    if [ -n "$OPT_LISTEN" ] && ! grep -q "\"listen\" *: *\"$OPT_LISTEN\"" "$CONFIG_FILE"; then
      warn "config: --listen $OPT_LISTEN not applied: edit api.listen in $CONFIG_FILE"
    fi
    if [ -n "$OPT_POLL" ] && ! grep -q "\"interval\" *: *\"$OPT_POLL\"" "$CONFIG_FILE"; then
      warn "config: --poll-interval $OPT_POLL not applied: edit poll.interval in $CONFIG_FILE"
    fi
    return 0
  fi
  config_tmp="$CONFIG_FILE.berth-install.$$"
  {
    printf '{\n'
    printf '  "poll": { "interval": "%s" },\n' "${OPT_POLL:-5m}"
    printf '  "watch_labeled": %s,\n' "$OPT_WATCH_LABELED"
    printf '  "docker_config": "%s"' "$DOCKER_CONFIG_FILE"
    if [ -n "$OPT_LISTEN" ]; then
      printf ',\n  "api": { "listen": "%s" }' "$OPT_LISTEN"
    fi
    printf '\n}\n'
  } >"$config_tmp"
  chown root:berth "$config_tmp"
  chmod 0640 "$config_tmp"
  mv -f "$config_tmp" "$CONFIG_FILE"
  CONFIG_CHANGED=1
  say "config: wrote $CONFIG_FILE (poll ${OPT_POLL:-5m}, watch_labeled $OPT_WATCH_LABELED, listen ${OPT_LISTEN:-none})"
}

install_services() {
  SERVICES_CHANGED=0
  copy_services
  # berth reads every task definition through its group, whoever put the file there (cloud-init's
  # write_files makes them root:root).
  for service_file in "$SERVICES_DIR"/*.json; do
    if [ ! -f "$service_file" ] || [ -L "$service_file" ]; then
      continue
    fi
    if [ "$(stat -c '%a %U %G' "$service_file")" != "640 root berth" ]; then
      chown root:berth "$service_file"
      chmod 0640 "$service_file"
      say "service: $service_file is now 0640 root:berth"
    fi
  done
}

copy_services() {
  [ -n "$OPT_SERVICES" ] || return 0
  # The list is newline-separated; file names were checked for newlines.
  old_ifs=$IFS
  IFS='
'
  for service_file in $OPT_SERVICES; do
    IFS=$old_ifs
    [ -f "$service_file" ] || die "service: $service_file is not a file"
    case $service_file in
      *.json) ;;
      *) die "service: $service_file: task definitions are .json files" ;;
    esac
    service_dest="$SERVICES_DIR/$(basename "$service_file")"
    install_file "$service_file" "$service_dest" 0640 root berth
    case $FILE_STATE in installed | updated) SERVICES_CHANGED=1 ;; esac
    say "service: $service_dest $FILE_STATE"
  done
  IFS=$old_ifs
}

# The names the self-signed certificate is valid for: this host's names and addresses, loopback,
# and every --san.
certificate_names() {
  {
    host_name
    hostname -f 2>/dev/null || true
    echo localhost
    echo 127.0.0.1
    echo ::1
    if host_addresses=$(hostname -I 2>/dev/null) && [ -n "$host_addresses" ]; then
      # shellcheck disable=SC2086 # one address per word
      printf '%s\n' $host_addresses
    elif command -v ip >/dev/null 2>&1; then
      ip -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4 }'
    fi
    printf '%s' "$OPT_SANS"
  } | awk 'NF && !seen[$0]++'
}

generate_certificate() {
  command -v openssl >/dev/null 2>&1 || die "tls: openssl is needed to make a self-signed certificate (or give --cert and --key)"
  cn=$(host_name)
  cnf="$WORK_DIR/cert.cnf"
  {
    printf '[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3\n'
    printf '[dn]\nCN = %s\n' "$cn"
    printf '[v3]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n'
    printf 'extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nsubjectAltName = @names\n[names]\n'
    certificate_names | awk '
      /^[0-9.]+$/ || /:/ { printf "IP.%d = %s\n", ++ip, $0; next }
      /^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$/ { printf "DNS.%d = %s\n", ++dns, $0 }'
  } >"$cnf"
  (
    umask 077
    openssl ecparam -name prime256v1 -genkey -noout -out "$WORK_DIR/key.sec1" 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in "$WORK_DIR/key.sec1" -out "$WORK_DIR/key.pem"
    openssl req -new -x509 -sha256 -days 3650 -config "$cnf" -key "$WORK_DIR/key.pem" -out "$WORK_DIR/cert.pem"
  ) || die "tls: openssl could not make the certificate"
  install_file "$WORK_DIR/key.pem" "$TLS_DIR/key.pem" 0640 root berth
  install_file "$WORK_DIR/cert.pem" "$TLS_DIR/cert.pem" 0644 root berth
  TLS_CHANGED=1
  say "tls: made a self-signed certificate (EC P-256, 10 years) for: $(certificate_names | tr '\n' ' ')"
}

ensure_tls() {
  TLS_CHANGED=0
  if [ -n "$OPT_CERT" ]; then
    [ -f "$OPT_CERT" ] || die "tls: $OPT_CERT is not a file"
    [ -f "$OPT_KEY" ] || die "tls: $OPT_KEY is not a file"
    if command -v openssl >/dev/null 2>&1; then
      cert_public=$(openssl x509 -noout -pubkey -in "$OPT_CERT" 2>/dev/null) || die "tls: $OPT_CERT is not a PEM certificate"
      key_public=$(openssl pkey -pubout -in "$OPT_KEY" 2>/dev/null) || die "tls: $OPT_KEY is not a PEM private key (without a passphrase)"
      [ "$cert_public" = "$key_public" ] || die "tls: $OPT_KEY is not the key of $OPT_CERT"
    fi
    install_file "$OPT_KEY" "$TLS_DIR/key.pem" 0640 root berth
    case $FILE_STATE in installed | updated) TLS_CHANGED=1 ;; esac
    install_file "$OPT_CERT" "$TLS_DIR/cert.pem" 0644 root berth
    case $FILE_STATE in installed | updated) TLS_CHANGED=1 ;; esac
    if [ "$TLS_CHANGED" = 1 ]; then say "tls: installed the given certificate and key"; else say "tls: certificate unchanged"; fi
  elif [ -f "$TLS_DIR/cert.pem" ] && [ -f "$TLS_DIR/key.pem" ]; then
    ensure_dir "$TLS_DIR" 0750 root berth
    say "tls: keeping $TLS_DIR/cert.pem"
  else
    generate_certificate
  fi
  if command -v openssl >/dev/null 2>&1; then
    TLS_FINGERPRINT=$(openssl x509 -noout -fingerprint -sha256 -in "$TLS_DIR/cert.pem" 2>/dev/null | sed 's/.*=//')
  fi
}

# Creates the first admin token when there is no tokens file yet. The token is written to
# --token-file (0600), or printed once to the terminal; when the output is not a terminal (for
# example cloud-init's log) and --print-token is not given, it goes to /root/berth-admin-token.
ensure_admin_token() {
  TOKEN_OUTCOME=
  if [ -s "$TOKENS_FILE" ]; then
    TOKEN_OUTCOME="kept the existing tokens in $TOKENS_FILE (add one: berth token create --name NAME --scope admin)"
    say "token: $TOKEN_OUTCOME"
    fix_tokens_file
    return 0
  fi
  token_dest=$OPT_TOKEN_FILE
  if [ -z "$token_dest" ] && [ "$OPT_PRINT_TOKEN" = 0 ] && [ ! -t 1 ]; then
    token_dest=$DEFAULT_TOKEN_FILE
    say "token: the output is not a terminal, so the token goes to $token_dest, not to this log"
  fi
  token_out="$WORK_DIR/token"
  token_err="$WORK_DIR/token.err"
  token_status=0
  (umask 077 && "$BIN_DEST" token create --name admin --scope admin >"$token_out" 2>"$token_err") || token_status=$?
  if [ "$token_status" != 0 ]; then
    TOKEN_OUTCOME="NOT created: 'berth token create --name admin --scope admin' failed (exit $token_status): $(head -c 600 "$token_err")"
    if [ -n "$OPT_LISTEN" ]; then
      die "token: $TOKEN_OUTCOME; the TCP endpoint $OPT_LISTEN needs a token; fix that and rerun install.sh"
    fi
    warn "token: $TOKEN_OUTCOME (the local socket works without a token; rerun install.sh to try again)"
    return 0
  fi
  [ -s "$token_out" ] || die "token: 'berth token create' succeeded but printed no token"
  [ ! -s "$token_err" ] || cat "$token_err" >&2
  fix_tokens_file
  if [ -n "$token_dest" ]; then
    [ -d "$(dirname "$token_dest")" ] || install -d -m 0700 "$(dirname "$token_dest")"
    # A name nobody can guess or plant beforehand, in the same directory so that mv is atomic.
    token_tmp=$(umask 077 && mktemp "$token_dest.XXXXXXXXXX") || die "token: cannot create a file beside $token_dest"
    cat "$token_out" >"$token_tmp"
    chown root:root "$token_tmp"
    chmod 0600 "$token_tmp"
    mv -f "$token_tmp" "$token_dest"
    TOKEN_OUTCOME="written to $token_dest (mode 0600; read it once, then move it somewhere safe)"
    say "token: admin token $TOKEN_OUTCOME"
  else
    printf '\nberth admin token (shown once; store it now, it cannot be shown again):\n\n'
    cat "$token_out"
    printf '\n'
    TOKEN_OUTCOME="printed above, once"
  fi
  rm -f "$token_out"
}

# With --token-sha256: the fleet token, known here only by its hash; the token itself stays in the
# admin's secret store. A fleet token of another hash is replaced (rotation); no admin token is made.
ensure_fleet_token() {
  if [ -s "$TOKENS_FILE" ] && grep -q "\"$OPT_TOKEN_SHA256\"" "$TOKENS_FILE"; then
    TOKEN_OUTCOME="kept the fleet token (sha256 $OPT_TOKEN_SHA256) in $TOKENS_FILE"
    say "token: $TOKEN_OUTCOME"
    fix_tokens_file
    return 0
  fi
  token_err="$WORK_DIR/token.err"
  "$BIN_DEST" token revoke fleet >/dev/null 2>&1 || true
  "$BIN_DEST" token add --name fleet --scope deploy --sha256 "$OPT_TOKEN_SHA256" 2>"$token_err" ||
    die "token: 'berth token add --name fleet --scope deploy --sha256 $OPT_TOKEN_SHA256' failed: $(head -c 600 "$token_err")"
  fix_tokens_file
  TOKEN_OUTCOME="fleet token (scope deploy) added by its SHA-256 $OPT_TOKEN_SHA256; no admin token made"
  say "token: $TOKEN_OUTCOME"
}

# The agent runs as berth and reads the tokens file, which must stay private (0600).
fix_tokens_file() {
  [ -f "$TOKENS_FILE" ] || return 0
  if [ "$(stat -c '%a %U' "$TOKENS_FILE")" != "600 berth" ]; then
    chown berth:berth "$TOKENS_FILE"
    chmod 0600 "$TOKENS_FILE"
    say "token: $TOKENS_FILE is now 0600, owned by berth (the agent reads it)"
  fi
}

validate_config() {
  validate_status=0
  validate_output=$("$BIN_DEST" validate --config "$CONFIG_FILE" 2>&1) || validate_status=$?
  if [ "$validate_status" = 0 ]; then
    say "config: berth validate found no problem"
    return 0
  fi
  if [ "$validate_status" = 78 ]; then
    printf '%s\n' "$validate_output" >&2
    die "config: the configuration has the problems above; fix them and rerun install.sh"
  fi
  warn "config: could not validate (berth validate exited $validate_status): $(printf '%s' "$validate_output" | head -n 3)"
}

# ---------------------------------------------------------------------------------------------------
# Start

show_failure() {
  systemctl status berth.service --no-pager --lines=0 >&2 2>&1 || true
  if command -v journalctl >/dev/null 2>&1; then
    journalctl -u berth.service -n 30 --no-pager >&2 2>&1 || true
  fi
}

start_service() {
  SERVICE_OUTCOME=
  if ! systemctl is-enabled --quiet berth.service 2>/dev/null; then
    systemctl enable berth.service
    say "service: enabled at boot"
  fi
  if [ "$OPT_NO_START" = 1 ]; then
    SERVICE_OUTCOME="enabled, not started (--no-start)"
    say "service: $SERVICE_OUTCOME"
    return 0
  fi
  if systemctl is-active --quiet berth.service; then
    restart_reasons=
    [ "$BINARY_CHANGED" = 0 ] || restart_reasons="$restart_reasons binary"
    [ "$UNIT_CHANGED" = 0 ] || restart_reasons="$restart_reasons unit"
    [ "$CONFIG_CHANGED" = 0 ] || restart_reasons="$restart_reasons agent.json"
    [ "$TLS_CHANGED" = 0 ] || restart_reasons="$restart_reasons certificate"
    if [ -n "$restart_reasons" ]; then
      say "service: restarting berth (changed:$restart_reasons)"
      systemctl restart berth.service || {
        show_failure
        die "service: berth did not come back after the restart (see above; journalctl -u berth)"
      }
      SERVICE_OUTCOME="restarted"
    elif [ "$SERVICES_CHANGED" = 1 ]; then
      # SIGHUP, as `systemctl reload` sends it, without needing a kill binary on the host.
      systemctl kill --signal=SIGHUP --kill-who=main berth.service
      SERVICE_OUTCOME="running; told to reread its service files (SIGHUP), not restarted"
      say "service: $SERVICE_OUTCOME"
    else
      SERVICE_OUTCOME="running; nothing changed, not restarted"
      say "service: $SERVICE_OUTCOME"
    fi
  else
    if [ "$(unit_property ActiveState)" = failed ]; then
      systemctl reset-failed berth.service || true
    fi
    say "service: starting berth (waits until it reports READY, at most TimeoutStartSec=5min)"
    if ! systemctl start berth.service; then
      show_failure
      die "service: berth did not start (exit status $(unit_property ExecMainStatus); see above, or journalctl -u berth)"
    fi
    SERVICE_OUTCOME="started"
  fi
  say "service: $(unit_property ActiveState) ($(unit_property SubState)), main PID $(unit_property MainPID): $(unit_property StatusText)"
}

# ---------------------------------------------------------------------------------------------------
# Install and uninstall

install_berth() {
  need_root
  need_systemd
  # The binary is downloaded, verified and tried, and the unit files found, before anything on
  # the host changes.
  fetch_binary
  if [ -z "$(packaged_unit)" ]; then
    find_unit_sources
    [ -n "$SYSTEMD_SOURCE" ] ||
      die "unit: cannot find systemd/berth.service next to this script; run install.sh from a release archive or a checkout, or pass --url with the release archive"
  fi
  ensure_docker
  ensure_user
  install_binary
  ensure_directories
  install_unit
  install_services
  write_default_config
  ensure_tls
  if [ -n "$OPT_TOKEN_SHA256" ]; then
    ensure_fleet_token
  else
    ensure_admin_token
  fi
  validate_config
  start_service

  say "done."
  say "  binary   $BIN_DEST"
  say "  unit     $UNIT_PATH"
  say "  config   $CONFIG_FILE, services in $SERVICES_DIR"
  say "  control  local socket /run/berth/api.sock (root and group berth)"
  if [ -n "$OPT_LISTEN" ]; then
    say "           TCP $OPT_LISTEN with TLS, certificate $TLS_DIR/cert.pem"
    say "           (SHA-256 ${TLS_FINGERPRINT:-unknown}); allow it only from your admin network"
  fi
  say "  token    $TOKEN_OUTCOME"
  say "  service  $SERVICE_OUTCOME; logs: journalctl -u berth"
  say "note: $DOCKER_GROUP_NOTE."
}

uninstall_berth() {
  need_root
  need_systemd
  if systemctl cat berth.service >/dev/null 2>&1; then
    if systemctl is-active --quiet berth.service || systemctl is-enabled --quiet berth.service 2>/dev/null; then
      say "uninstall: stopping and disabling berth (containers keep running)"
      systemctl disable --now berth.service || warn "uninstall: systemctl disable --now berth failed"
    fi
  fi
  removed_files=0
  for owned_file in "$UNIT_DEST" "$SYSUSERS_DEST" "$TMPFILES_DEST"; do
    if [ -e "$owned_file" ]; then
      rm -f "$owned_file"
      say "uninstall: removed $owned_file"
      removed_files=1
    fi
  done
  if [ "$OPT_PURGE" = 1 ] && [ -d "$DROPIN_DIR" ]; then
    rm -rf "$DROPIN_DIR"
    say "uninstall: removed $DROPIN_DIR"
    removed_files=1
  fi
  if [ -e "$BIN_DEST" ]; then
    binary_package=$(package_owning "$BIN_DEST")
    if [ -n "$binary_package" ]; then
      say "uninstall: $BIN_DEST and the unit belong to the package $binary_package; remove it with your package manager"
    else
      rm -f "$BIN_DEST"
      say "uninstall: removed $BIN_DEST"
    fi
  fi
  if [ "$removed_files" = 1 ]; then
    systemctl daemon-reload
  fi
  systemctl reset-failed berth.service >/dev/null 2>&1 || true
  if [ "$OPT_PURGE" = 1 ]; then
    for purged_dir in "$ETC_DIR" "$STATE_DIR" /run/berth; do
      if [ -e "$purged_dir" ]; then
        rm -rf "$purged_dir"
        say "uninstall: deleted $purged_dir"
      fi
    done
    if id -u berth >/dev/null 2>&1; then
      userdel berth && say "uninstall: deleted user berth"
    fi
    if getent group berth >/dev/null 2>&1; then
      groupdel berth && say "uninstall: deleted group berth"
    fi
    if [ -f "$DEFAULT_TOKEN_FILE" ]; then
      say "uninstall: $DEFAULT_TOKEN_FILE is left in place; its token no longer works"
    fi
  else
    say "uninstall: kept $ETC_DIR and $STATE_DIR (add --purge to delete them)"
  fi
  say "uninstall: done; containers, images and volumes were not touched"
}

main() {
  set -eu
  umask 022
  SCRIPT_DIR=
  case $0 in
    *install.sh) SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd) ;;
  esac
  parse_args "$@"
  # Downloads land here and are run once (`berth version`) before being installed.
  WORK_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-install.XXXXXX")
  trap 'rm -rf "$WORK_DIR"' EXIT
  trap 'exit 1' INT TERM
  if [ "$OPT_UNINSTALL" = 1 ]; then
    uninstall_berth
  else
    install_berth
  fi
}

main "$@"
