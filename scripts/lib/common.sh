# Shared helpers for scripts/*.sh. Sourced, never executed.
# shellcheck shell=bash
# Every service script keeps its state under $VOLUMER_RUN_DIR (default <repo>/.run, gitignored)
# and its downloads under $VOLUMER_CACHE_DIR (default ~/.cache/volumer), so a fresh clone only
# pays the download once per machine.

VOLUMER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VOLUMER_RUN_DIR=${VOLUMER_RUN_DIR:-$VOLUMER_ROOT/.run}
VOLUMER_CACHE_DIR=${VOLUMER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/volumer}

say() { printf '%s: %s\n' "${SERVICE:-volumer}" "$*"; }
die() { printf '%s: error: %s\n' "${SERVICE:-volumer}" "$*" >&2; exit 1; }

# port_open PORT — true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_owner PORT — "pid/command" of the listener on PORT, or empty (needs ss from iproute2).
port_owner() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\),pid=\([0-9]*\).*/\2 \1/p' | head -n 1
}

# pid_alive PIDFILE PATTERN — true when PIDFILE names a live process whose command line contains
# PATTERN (guards against a stale pid file whose pid was reused by something else).
pid_alive() {
  local pidfile=$1 pattern=$2 pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"
}

# log_tail FILE [N] — print the last lines of a log so a failed start explains itself.
log_tail() {
  local file=$1 n=${2:-40}
  [ -f "$file" ] || return 0
  printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
  tail -n "$n" "$file" >&2
  printf -- '-----\n' >&2
}

# stop_pid PIDFILE SECONDS [NAME] — SIGTERM the process PIDFILE names, SIGKILL it if it is still
# alive after SECONDS, remove PIDFILE. The caller checks first that the process is running.
stop_pid() {
  local pidfile=$1 secs=$2 name=${3:-} pid deadline
  pid=$(cat "$pidfile" 2>/dev/null) || { rm -f "$pidfile"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + secs))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge "$deadline" ]; then
      say "${name:+$name: }no clean shutdown after ${secs} s; killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
  say "${name:+$name }stopped"
}
