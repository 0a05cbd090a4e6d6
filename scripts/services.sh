#!/usr/bin/env bash
# All test services at once: Kafka (scripts/kafka.sh), Postgres (scripts/postgres.sh) and the
# project's own schema registry (scripts/registry.sh, `volumer registry`; Apicurio cannot be
# assembled here, see docs/services.md). Each listens where the CLI's defaults look, so after
# `scripts/services.sh start` no volumer command needs a connection flag.
#
#   scripts/services.sh start    start all, then wait until each is ready; prints the env lines
#   scripts/services.sh stop     stop all (reverse order)
#   scripts/services.sh status   status of each; exit 3 when any is not running
#   scripts/services.sh env      VOLUMER_* lines for: eval "$(scripts/services.sh env)"
#   scripts/services.sh reset    stop all and delete their data
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh (say, die)
SERVICE=services
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
S=$VOLUMER_ROOT/scripts

services=(kafka postgres)
[ -x "$S/registry.sh" ] && services+=(registry)

each() {
  local verb=$1 rc=0 s
  shift
  for s in "$@"; do
    "$S/$s.sh" "$verb" || rc=$?
  done
  return $rc
}

env_lines() {
  local s
  for s in "${services[@]}"; do
    "$S/$s.sh" env
  done
}

reversed() {
  local i
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do echo "${services[i]}"; done
}

case "${1:-}" in
  start)
    # Start everything before waiting on anything: the broker's ~8 s warm-up overlaps the rest.
    each start "${services[@]}"
    each wait "${services[@]}"
    env_lines
    ;;
  stop) mapfile -t rev < <(reversed); each stop "${rev[@]}" ;;
  status) each status "${services[@]}" ;;
  env) env_lines ;;
  reset) mapfile -t rev < <(reversed); each reset "${rev[@]}" ;;
  *) echo "usage: $0 {start|stop|status|env|reset}" >&2; exit 2 ;;
esac
