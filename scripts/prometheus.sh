#!/usr/bin/env bash
# Prometheus for tests and local runs: Debian's `prometheus` binary (apt package `prometheus`,
# installed by scripts/setup.sh), listening on 127.0.0.1 only, scraping Volumer processes listed in
# file-based target files and evaluating the alert rules of redpanda/alerts.yml.
#
#   scripts/prometheus.sh start    write the config (unless VOLUMER_PROM_CONFIG names one), start
#   scripts/prometheus.sh wait     block until /-/ready answers (VOLUMER_PROM_WAIT_S)
#   scripts/prometheus.sh status   exit 0 when running, 3 when not
#   scripts/prometheus.sh stop     SIGTERM, wait for it to exit
#   scripts/prometheus.sh reset    stop and delete its directory (data, config, targets, log)
#   scripts/prometheus.sh env      print VOLUMER_PROM_URL=... for `eval`
#   scripts/prometheus.sh targets JOB [INSTANCE=HOST:PORT ...]
#                                  replace JOB's targets (JOB: volumer-processor, volumer-edge,
#                                  volumer-run); Prometheus picks the file up within a second
#
# The targets set `instance` to the name given (e.g. the processor's --instance-id) rather than
# HOST:PORT, so a process restarted on another port keeps its series: the restart alerts of
# alerts.yml need that, as the compose stack's service names give it.
#
# Environment: VOLUMER_PROM_PORT (19090), VOLUMER_PROM_DIR (.run/prometheus), VOLUMER_PROM_INTERVAL
# (scrape and rule evaluation interval, 5s), VOLUMER_PROM_RULES (rule file, redpanda/alerts.yml),
# VOLUMER_PROM_CONFIG (use this config file instead of writing one), VOLUMER_PROM_BIN (prometheus),
# VOLUMER_PROM_WAIT_S (30), VOLUMER_RUN_DIR (.run).
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh (say, die)
SERVICE=prometheus
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PORT=${VOLUMER_PROM_PORT:-19090}
WAIT_S=${VOLUMER_PROM_WAIT_S:-30}
INTERVAL=${VOLUMER_PROM_INTERVAL:-5s}
BIN=${VOLUMER_PROM_BIN:-prometheus}
RULES=${VOLUMER_PROM_RULES:-$VOLUMER_ROOT/redpanda/alerts.yml}
DIR=${VOLUMER_PROM_DIR:-$VOLUMER_RUN_DIR/prometheus}
case $DIR in /*) ;; *) DIR=$VOLUMER_ROOT/$DIR ;; esac
CONFIG=${VOLUMER_PROM_CONFIG:-$DIR/prometheus.yml}
PIDFILE=$DIR/prometheus.pid
LOG=$DIR/prometheus.log
URL="http://127.0.0.1:$PORT"
JOBS=(volumer-processor volumer-edge volumer-run)

running() { pid_alive "$PIDFILE" "--web.listen-address=127.0.0.1:$PORT"; }

# One file_sd target file per job: JSON written to a temporary name and renamed, so Prometheus
# never reads half a file.
write_targets() {
  local job=$1 tmp out sep='' name addr
  shift
  mkdir -p "$DIR/targets"
  out=$DIR/targets/$job.json
  tmp=$out.tmp
  {
    printf '['
    for t in "$@"; do
      name=${t%%=*}
      addr=${t#*=}
      [ "$name" != "$t" ] && [ -n "$addr" ] || die "target '$t' is not INSTANCE=HOST:PORT"
      printf '%s{"targets":["%s"],"labels":{"instance":"%s"}}' "$sep" "$addr" "$name"
      sep=','
    done
    printf ']\n'
  } >"$tmp"
  mv -f "$tmp" "$out"
}

write_config() {
  [ -n "${VOLUMER_PROM_CONFIG:-}" ] && return 0
  [ -f "$RULES" ] || die "no rule file $RULES"
  mkdir -p "$DIR/targets"
  local job
  for job in "${JOBS[@]}"; do [ -f "$DIR/targets/$job.json" ] || write_targets "$job"; done
  {
    cat <<EOF
# written by scripts/prometheus.sh start; edit the script's environment, not this file
global:
  scrape_interval: $INTERVAL
  scrape_timeout: $INTERVAL
  evaluation_interval: $INTERVAL

rule_files:
  - $RULES

scrape_configs:
EOF
    for job in "${JOBS[@]}"; do
      cat <<EOF
  - job_name: $job
    metrics_path: /metrics
    file_sd_configs:
      - files: ['$DIR/targets/$job.json']
        refresh_interval: 1s
EOF
    done
  } >"$CONFIG"
}

cmd_start() {
  command -v "$BIN" >/dev/null || die "$BIN not found (run scripts/setup.sh or apt-get install prometheus)"
  if running; then
    say "already running on $URL (dir $DIR)"
    echo "VOLUMER_PROM_URL=$URL"
    return 0
  fi
  if port_open "$PORT"; then
    local owner
    owner=$(port_owner "$PORT")
    die "port $PORT is already in use${owner:+ by pid $owner}; stop that or set VOLUMER_PROM_PORT"
  fi
  mkdir -p "$DIR/data"
  write_config
  # --web.enable-lifecycle: POST /-/reload re-reads the config and rules without a restart
  nohup "$BIN" \
    --config.file="$CONFIG" \
    --storage.tsdb.path="$DIR/data" \
    --storage.tsdb.retention.time=1d \
    --web.listen-address="127.0.0.1:$PORT" \
    --web.enable-lifecycle \
    >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  disown || true
  cmd_wait >/dev/null
  say "started on $URL (dir $DIR, log $LOG)"
  echo "VOLUMER_PROM_URL=$URL"
}

# true when GET /-/ready answers 200 (bash's /dev/tcp: no curl on a minimal machine)
ready() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
    printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    head -n 1 <&3 | grep -q ' 200 '
  ) 2>/dev/null
}

cmd_wait() {
  local deadline=$((SECONDS + WAIT_S))
  until ready; do
    running || { log_tail "$LOG"; die "not running (log: $LOG)"; }
    [ $SECONDS -lt $deadline ] || { log_tail "$LOG"; die "not ready after ${WAIT_S}s"; }
    sleep 0.2
  done
  say "ready: $URL"
}

cmd_status() {
  if running; then
    say "running on $URL (dir $DIR)"
    echo "VOLUMER_PROM_URL=$URL"
  else
    say "not running (dir $DIR)"
    return 3
  fi
}

cmd_stop() {
  if ! running; then
    say "not running"
    return 0
  fi
  stop_pid "$PIDFILE" 30
}

cmd_reset() {
  cmd_stop
  rm -rf "$DIR"
  say "deleted $DIR"
}

case "${1:-}" in
  start) cmd_start ;;
  wait) cmd_wait ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  reset) cmd_reset ;;
  env) echo "VOLUMER_PROM_URL=$URL" ;;
  targets)
    shift
    [ $# -ge 1 ] || die "usage: $0 targets JOB [INSTANCE=HOST:PORT ...]"
    job=$1
    shift
    printf '%s\n' "${JOBS[@]}" | grep -qx -- "$job" || die "unknown job '$job' (one of: ${JOBS[*]})"
    write_targets "$job" "$@"
    ;;
  *) echo "usage: $0 {start|wait|status|stop|reset|env|targets JOB [INSTANCE=HOST:PORT ...]}" >&2; exit 2 ;;
esac
