#!/usr/bin/env bash
# Install what is missing for building and testing Volumer on a Debian machine (run as root, or
# with sudo available for the apt step). Idempotent: when everything is present it only checks,
# in about a second.
#
#   scripts/setup.sh            apt packages, node_modules (with the Kafka client's native build),
#                               Kafka jars in ~/.cache/volumer
#   VOLUMER_SETUP_APT=0         skip the apt step (a machine whose packages are managed elsewhere)
#
# The Kafka client @confluentinc/kafka-javascript ships no usable binary here (its prebuilt
# download is unreachable), so its install script compiles the bundled librdkafka (~2 min on 2
# cores). npm 11 runs no dependency install scripts unless package.json's "allowScripts" names the
# package; ours names that package alone. CKJS_LINKING=dynamic makes librdkafka's configure use the
# system's -dev libraries below instead of downloading zlib/openssl/zstd/curl sources.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib/common.sh (say, die)
SERVICE=setup
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$VOLUMER_ROOT"

APT_PACKAGES=(
  # Postgres server binaries for scripts/postgres.sh (/usr/lib/postgresql/<ver>/bin)
  postgresql
  # Kafka broker from Maven Central jars (scripts/kafka.sh): Java 17 with javac, Maven
  openjdk-17-jdk-headless maven
  # native build of @confluentinc/kafka-javascript (node-gyp + librdkafka's configure)
  build-essential python3 pkg-config
  libcurl4-openssl-dev libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev
  # Kafka-protocol CLI for manual produce/consume (rpk is not obtainable here; docs/services.md)
  kcat
  # ss, for naming the process that holds a port in error messages
  iproute2
  # headless browser for the dashboard test (driven by playwright-core)
  chromium
  # prometheus + promtool: scripts/prometheus.sh, the alert rules' tests (redpanda/alerts.yml)
  prometheus
)

apt_missing() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

step_apt() {
  [ "${VOLUMER_SETUP_APT:-1}" = 0 ] && return 0
  local missing
  missing=$(apt_missing)
  [ -z "$missing" ] && return 0
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  say "installing apt packages: $(tr '\n' ' ' <<<"$missing")"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# npm calls take the shared lock: parallel installs in one work tree corrupt node_modules.
npm_locked() {
  if command -v flock >/dev/null; then
    flock /tmp/volumer-npm.lock env CKJS_LINKING=dynamic npm "$@"
  else
    CKJS_LINKING=dynamic npm "$@"
  fi
}

kafka_client_loads() {
  node -e "require('@confluentinc/kafka-javascript')" >/dev/null 2>&1
}

step_npm() {
  command -v node >/dev/null || die "node not found (Node 20+ is required)"
  local hidden=node_modules/.package-lock.json
  if [ ! -d node_modules ]; then
    say "npm ci (includes the Kafka client's native build, about two minutes)"
    npm_locked ci --no-audit --no-fund --foreground-scripts >/dev/null
  elif [ ! -f "$hidden" ] || [ package-lock.json -nt "$hidden" ] || [ package.json -nt "$hidden" ]; then
    say "npm install (package.json or package-lock.json changed)"
    npm_locked install --no-audit --no-fund >/dev/null
  fi
  # npm leaves the hidden lockfile alone when nothing changed; touch it so the next run is a no-op.
  [ -f "$hidden" ] && touch "$hidden"
  if ! kafka_client_loads; then
    # An install made without CKJS_LINKING, or a node_modules copied from another Node ABI.
    say "building @confluentinc/kafka-javascript (librdkafka, about two minutes)"
    npm_locked rebuild @confluentinc/kafka-javascript --foreground-scripts >/dev/null
    kafka_client_loads || die "@confluentinc/kafka-javascript still does not load: node -e \"require('@confluentinc/kafka-javascript')\""
  fi
}

step_kafka_jars() {
  "$VOLUMER_ROOT/scripts/kafka.sh" fetch >/dev/null
}

start=$SECONDS
step_apt
step_npm
step_kafka_jars
say "ok ($((SECONDS - start)) s)"
