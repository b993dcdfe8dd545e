# shellcheck shell=bash
# Helpers shared by scripts/test-env and scripts/run. Source it; do not run it.

BERTH_TEST_DIR=${BERTH_TEST_DIR:-/var/tmp/berth-test}

say() { printf '%s: %s\n' "${0##*/}" "$*"; }
warn() { printf '%s: warning: %s\n' "${0##*/}" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

# pid_alive FILE: the pid written in FILE names a live process that is still the program
# recorded there: its command line holds FILE's base name without ".pid" (dockerd.pid ->
# "dockerd", registry.pid -> "registry", token-server.pid -> "token-server"). A pid file left
# by an earlier boot whose pid now belongs to another program counts as dead and is never
# signalled.
pid_alive() {
  local pid want cmdline
  [[ -s "$1" ]] || return 1
  pid=$(<"$1")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  want=$(basename "$1" .pid)
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$want"* ]]
}

# stop_pidfile FILE: stops the process this project started and recorded in FILE.
stop_pidfile() {
  local pid i
  pid_alive "$1" || { rm -f "$1"; return 0; }
  pid=$(<"$1")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  rm -f "$1"
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# ensure_dockerd: starts dockerd in the background when no Docker Engine answers
# on the default socket, and waits (at most 60 s) until it does.
ensure_dockerd() {
  local log="$BERTH_TEST_DIR/dockerd.log" pidfile="$BERTH_TEST_DIR/dockerd.pid" i
  if docker_answers; then
    return 0
  fi
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found; run scripts/install-deps"
  mkdir -p "$BERTH_TEST_DIR"
  if ! pid_alive "$pidfile"; then
    say "starting dockerd (log: $log)"
    setsid nohup dockerd >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
  else
    say "dockerd (pid $(<"$pidfile")) is starting; waiting for it"
  fi
  for ((i = 0; i < 60; i++)); do
    if docker_answers; then
      say "dockerd answers after ${i}s"
      return 0
    fi
    pid_alive "$pidfile" || break
    sleep 1
  done
  tail -n 20 "$log" >&2 || true
  die "dockerd did not answer 'docker info' within 60 s (log: $log)"
}
