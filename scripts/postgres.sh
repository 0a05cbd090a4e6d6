#!/usr/bin/env bash
# Postgres for tests: a cluster owned by the project (not Debian's system cluster), from Debian's
# binaries in /usr/lib/postgresql/<ver>/bin, listening on 127.0.0.1 only, trust auth, database
# `volumer`.
#
#   scripts/postgres.sh start    initdb when needed, start, create database volumer (idempotent)
#   scripts/postgres.sh wait     block until it accepts connections to volumer (VOLUMER_PG_WAIT_S)
#   scripts/postgres.sh status   exit 0 when running, 3 when not
#   scripts/postgres.sh stop     fast shutdown (rolls back open transactions)
#   scripts/postgres.sh reset    stop and delete the cluster
#   scripts/postgres.sh env      print VOLUMER_PG_URL=... for `eval`
#   scripts/postgres.sh psql [ARGS...]   psql connected to volumer
#
# Environment: VOLUMER_PG_PORT (55432), VOLUMER_PG_DATA (.run/pg), VOLUMER_PG_BIN (newest
# /usr/lib/postgresql/*/bin), VOLUMER_PG_WAIT_S (60), VOLUMER_RUN_DIR (.run).
#
# Postgres refuses to run as root, so as root every server command runs as the `postgres` user
# (created by Debian's postgresql-common) and the data dir is chowned to it. That user must be able
# to traverse every parent of the data dir; when it cannot (a clone under /root, mode 700), the
# cluster lives in /var/tmp/volumer-pg-<hash of the run dir path> instead, and this script says so.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh (say, die)
SERVICE=postgres
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PORT=${VOLUMER_PG_PORT:-55432}
WAIT_S=${VOLUMER_PG_WAIT_S:-60}
DB=volumer
URL="postgres://postgres@127.0.0.1:$PORT/$DB"
# `env` needs no Postgres installed (a unit-test machine evals services.sh env too)
if [ "${1:-}" = env ]; then echo "VOLUMER_PG_URL=$URL"; exit 0; fi

find_bin() {
  if [ -n "${VOLUMER_PG_BIN:-}" ]; then
    echo "$VOLUMER_PG_BIN"
    return
  fi
  local newest
  newest=$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -t/ -k5,5n | tail -n 1)
  [ -n "$newest" ] || die "no /usr/lib/postgresql/*/bin (run scripts/setup.sh or apt-get install postgresql)"
  echo "$newest"
}
BIN=$(find_bin)

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (apt-get install postgresql)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

resolve_data() {
  if [ -n "${VOLUMER_PG_DATA:-}" ]; then
    case $VOLUMER_PG_DATA in
      /*) echo "$VOLUMER_PG_DATA" ;;
      *) echo "$VOLUMER_ROOT/$VOLUMER_PG_DATA" ;;
    esac
    return
  fi
  mkdir -p "$VOLUMER_RUN_DIR"
  if as_pg test -x "$VOLUMER_RUN_DIR" 2>/dev/null; then
    echo "$VOLUMER_RUN_DIR/pg"
  else
    echo "/var/tmp/volumer-pg-$(printf '%s' "$VOLUMER_RUN_DIR" | cksum | cut -d' ' -f1)"
  fi
}
DATA=$(resolve_data)
# Inside the data dir: owned by the server user, so pg_ctl (running as that user) can write it.
LOG=$DATA/postgres.log

pg_ctl() { as_pg "$BIN/pg_ctl" -D "$DATA" "$@"; }
running() { [ -f "$DATA/PG_VERSION" ] && pg_ctl status >/dev/null 2>&1; }
psql_q() { as_pg "$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }

init_cluster() {
  [ -f "$DATA/PG_VERSION" ] && return 0
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
  chmod 700 "$DATA"
  local out
  out=$(as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale 2>&1) \
    || { echo "$out" >&2; die "initdb failed in $DATA"; }
  # Appended after initdb's defaults, so these win. TCP on loopback only and no Unix socket, so
  # nothing collides with Debian's own cluster in /var/run/postgresql.
  # fsync/full_page_writes off: a throwaway test cluster does not need to survive an OS crash,
  # and on this 2-core box they halve commit latency. synchronous_commit stays on, so a commit
  # that returned survives a killed server process, which the checkpoint tests rely on.
  cat >>"$DATA/postgresql.conf" <<EOF

# --- scripts/postgres.sh ---
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
full_page_writes = off
max_connections = 100
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
  say "initialised cluster in $DATA ($("$BIN/postgres" --version))"
}

ensure_db() {
  if [ "$(psql_q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    psql_q -d postgres -c "CREATE DATABASE $DB" >/dev/null
    say "created database $DB"
  fi
}

cmd_start() {
  if running; then
    say "already running on 127.0.0.1:$PORT (data $DATA)"
    ensure_db
    echo "VOLUMER_PG_URL=$URL"
    return 0
  fi
  if port_open "$PORT"; then
    local owner
    owner=$(port_owner "$PORT")
    die "port $PORT is already in use${owner:+ by pid $owner}; stop that or set VOLUMER_PG_PORT"
  fi
  init_cluster
  # The port may have changed since initdb: the last `port =` line wins, so append, don't edit.
  grep -q "^port = $PORT\$" "$DATA/postgresql.conf" || echo "port = $PORT" >>"$DATA/postgresql.conf"
  if ! pg_ctl -l "$LOG" -w -t "$WAIT_S" start >/dev/null 2>&1; then
    log_tail "$LOG"
    die "start failed (log: $LOG)"
  fi
  ensure_db
  say "started on 127.0.0.1:$PORT (data $DATA, log $LOG)"
  echo "VOLUMER_PG_URL=$URL"
}

cmd_wait() {
  local deadline=$((SECONDS + WAIT_S))
  until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d "$DB" -U postgres; do
    running || die "not running (scripts/postgres.sh start)"
    [ $SECONDS -lt $deadline ] || { log_tail "$LOG"; die "not ready after ${WAIT_S}s"; }
    sleep 0.2
  done
  say "ready: $URL"
}

cmd_status() {
  if running; then
    say "running on 127.0.0.1:$PORT (data $DATA)"
    echo "VOLUMER_PG_URL=$URL"
  else
    say "not running (data $DATA)"
    return 3
  fi
}

cmd_stop() {
  if ! running; then
    say "not running"
    return 0
  fi
  pg_ctl -m fast -w -t 60 stop >/dev/null
  say "stopped"
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA"
  say "cluster deleted ($DATA)"
}

case "${1:-}" in
  start) cmd_start ;;
  wait) cmd_wait ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  reset) cmd_reset ;;
  env) echo "VOLUMER_PG_URL=$URL" ;;
  psql) shift; exec "$BIN/psql" -X -h 127.0.0.1 -p "$PORT" -U postgres -d "$DB" "$@" ;;
  *) echo "usage: $0 {start|wait|status|stop|reset|env|psql [ARGS...]}" >&2; exit 2 ;;
esac
