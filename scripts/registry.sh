#!/usr/bin/env bash
# The project's own schema registry (`volumer registry`, src/registry) for tests and local runs:
# Confluent-compatible, on 127.0.0.1, its schemas kept on the broker's `_schemas` topic, so it
# needs the broker of scripts/kafka.sh (it retries until the broker answers, so the two may start
# together). scripts/services.sh starts it with the others, so after `make services-up` every
# volumer command finds broker, registry and Postgres at its defaults (docs/services.md).
#
#   scripts/registry.sh start    start in the background (no-op when already running)
#   scripts/registry.sh wait     block until GET /subjects answers (VOLUMER_REGISTRY_WAIT_S)
#   scripts/registry.sh status   exit 0 when running, 3 when not
#   scripts/registry.sh stop     SIGTERM, then SIGKILL after 15 s
#   scripts/registry.sh reset    stop (its schemas live on the broker: scripts/kafka.sh reset)
#   scripts/registry.sh env      print VOLUMER_REGISTRY_URL=... for `eval`
#
# Environment: VOLUMER_REGISTRY_PORT (18081), VOLUMER_REGISTRY_WAIT_S (60), VOLUMER_RUN_DIR (.run),
# VOLUMER_BROKERS (default 127.0.0.1:VOLUMER_KAFKA_PORT, the broker of scripts/kafka.sh).
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh (say, die)
SERVICE=registry
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PORT=${VOLUMER_REGISTRY_PORT:-18081}
WAIT_S=${VOLUMER_REGISTRY_WAIT_S:-60}
URL="http://127.0.0.1:$PORT"
RUN=$VOLUMER_RUN_DIR/registry
LOG=$RUN/registry.log
PIDFILE=$RUN/registry.pid
CLI=$VOLUMER_ROOT/bin/volumer.js

# matched by name, not by path: a second clone sharing VOLUMER_RUN_DIR runs the same registry
running() { pid_alive "$PIDFILE" "volumer.js registry"; }

cmd_start() {
  if running; then
    say "already running (pid $(cat "$PIDFILE"), $URL)"
    return 0
  fi
  if port_open "$PORT"; then
    local owner
    owner=$(port_owner "$PORT")
    die "port $PORT is already in use${owner:+ by pid $owner}; stop that or set VOLUMER_REGISTRY_PORT"
  fi
  mkdir -p "$RUN"
  # setsid: the registry must outlive the shell that started it, like the broker.
  VOLUMER_BROKERS=${VOLUMER_BROKERS:-127.0.0.1:${VOLUMER_KAFKA_PORT:-19092}} \
    VOLUMER_REGISTRY_PORT=$PORT VOLUMER_REGISTRY_HOST=127.0.0.1 VOLUMER_LOG_LEVEL=${VOLUMER_LOG_LEVEL:-info} \
    setsid node "$CLI" registry >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  sleep 1
  if ! running; then
    log_tail "$LOG"
    rm -f "$PIDFILE"
    die "registry exited during start (log: $LOG)"
  fi
  say "started (pid $(cat "$PIDFILE")), listening on $URL; log $LOG"
}

cmd_wait() {
  running || die "not running (scripts/registry.sh start)"
  local deadline=$((SECONDS + WAIT_S))
  # it connects to the broker before it listens: the port opening means it is ready
  until port_open "$PORT"; do
    running || { log_tail "$LOG"; die "registry died while waiting"; }
    [ $SECONDS -lt $deadline ] || { log_tail "$LOG"; die "not ready after ${WAIT_S}s"; }
    sleep 0.2
  done
  say "ready: $URL"
}

cmd_status() {
  if running; then
    say "running (pid $(cat "$PIDFILE")), $URL"
  else
    say "not running"
    return 3
  fi
}

cmd_stop() {
  if ! running; then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  stop_pid "$PIDFILE" 15
}

case "${1:-}" in
  start) cmd_start ;;
  wait) cmd_wait ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  reset) cmd_stop ;;
  env) echo "VOLUMER_REGISTRY_URL=$URL" ;;
  *) echo "usage: $0 {start|wait|status|stop|reset|env}" >&2; exit 2 ;;
esac
