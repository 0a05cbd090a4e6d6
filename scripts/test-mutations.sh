#!/usr/bin/env bash
# Mutation check: every test/mutations/*.patch plants one bug that a test is named after, in a
# temporary copy of the project (this working tree, uncommitted edits included), and runs that
# test there; the test must fail. A test that passes with its bug is reported as SURVIVED and the
# script exits 1. Issue 23 found five tests that passed with the bug they were named after; this
# keeps them honest (docs/testing.md).
#
#   scripts/test-mutations.sh            every mutation
#   scripts/test-mutations.sh NAME...    only these (file names without .patch)
#   npm run test:mutations [-- NAME...]
#
# A patch file starts with header lines, then a `git diff` of the mutation:
#   Mutation: what the bug is
#   Test:     the test file to run
#   Grep:     mocha --grep for the test(s) that must fail
#   Env:      optional VAR=value ... for the run (e.g. a smaller e2e stream)
#   Needs:    optional "services": the Kafka + Postgres of scripts/services.sh (skipped without)
# Environment: MUTATIONS_BASELINE=1 first runs each test unmutated (it must pass), to tell a
# test that fails on the mutation from one that fails anyway.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DIR=$ROOT/test/mutations
set -a; eval "$(scripts/services.sh env 2>/dev/null)" || true; set +a

header() { sed -n "s/^$1: *//p" "$2" | head -n 1; }

broker_up() {
  local hostport=${VOLUMER_BROKERS:-127.0.0.1:19092}
  hostport=${hostport%%,*}
  (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null
}

# runs mocha in DIR on one test file with a grep and the patch's env; prints the log path
run_test() {
  local dir=$1 test=$2 grep=$3 envs=$4 log=$5
  # shellcheck disable=SC2086 # envs is a list of VAR=value words
  (cd "$dir" && env $envs timeout --kill-after=30 1500 npx mocha --timeout 600000 "$test" --grep "$grep") >"$log" 2>&1
}

if [ $# -gt 0 ]; then
  patches=()
  for n in "$@"; do patches+=("$DIR/${n%.patch}.patch"); done
else
  patches=("$DIR"/*.patch)
fi

killed=0; survived=0; skipped=0; broken=0
mkdir -p "$ROOT/.run"
for patch in "${patches[@]}"; do
  name=$(basename "$patch" .patch)
  [ -f "$patch" ] || { echo "== $name: no such mutation ($patch)"; broken=$((broken + 1)); continue; }
  what=$(header Mutation "$patch"); test=$(header Test "$patch"); grep=$(header Grep "$patch")
  envs=$(header Env "$patch"); needs=$(header Needs "$patch")
  echo "== $name: $what"
  echo "   $test --grep \"$grep\"${envs:+ ($envs)}"
  if [ "$needs" = services ] && ! broker_up; then
    echo "   skipped: needs scripts/services.sh start"; skipped=$((skipped + 1)); continue
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/volumer-mutation-XXXXXX")
  # no dist/: bin/volumer.js then runs the (mutated) sources through tsx
  tar -C "$ROOT" --exclude=./node_modules --exclude=./.git --exclude=./.run --exclude=./dist -cf - . | tar -C "$tmp" -xf -
  ln -s "$ROOT/node_modules" "$tmp/node_modules"
  log=$ROOT/.run/mutation-$name.log
  if [ "${MUTATIONS_BASELINE:-0}" = 1 ]; then
    if ! run_test "$tmp" "$test" "$grep" "$envs" "$log"; then
      echo "   BROKEN: the test fails without the mutation (log $log)"; tail -n 20 "$log" | sed 's/^/   | /'
      broken=$((broken + 1)); rm -rf "$tmp"; continue
    fi
    echo "   unmutated: $(grep -Eo '[0-9]+ passing' "$log" | tail -1)"
  fi
  if ! (cd "$tmp" && git apply "$patch"); then
    echo "   BROKEN: the patch does not apply to this tree; update it"
    broken=$((broken + 1)); rm -rf "$tmp"; continue
  fi
  t0=$SECONDS
  run_test "$tmp" "$test" "$grep" "$envs" "$log"
  status=$?
  failing=$(grep -Eo '[0-9]+ failing' "$log" | tail -1)
  if [ "$status" -ne 0 ] && [ -n "$failing" ]; then
    echo "   killed: $failing ($((SECONDS - t0)) s):"
    # each failure as mocha reports it, up to its diff: which test, and what it saw
    sed -n '/ failing$/,$p' "$log" | grep -vE '^\s*$|^\s+at |[-+] expected - actual|^\s+[-+]' | sed -n '2,9p' | sed 's/^ */     /'
    killed=$((killed + 1))
  elif [ "$status" -eq 0 ]; then
    echo "   SURVIVED: $(grep -Eo '[0-9]+ passing' "$log" | tail -1) with the mutation (log $log)"
    survived=$((survived + 1))
  else
    echo "   BROKEN: mocha exited $status without a failing test (log $log)"; tail -n 20 "$log" | sed 's/^/   | /'
    broken=$((broken + 1))
  fi
  rm -rf "$tmp"
done
echo
echo "$killed killed, $survived survived, $broken broken, $skipped skipped"
[ $((survived + broken)) -eq 0 ]
