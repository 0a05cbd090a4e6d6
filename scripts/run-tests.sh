#!/usr/bin/env bash
# Runs the mocha suites in order (unit and property tests first, then integration and end-to-end
# against the services `make test` started) and prints one closing line "N passed, N failed,
# N skipped" over all of them. Exit status: non-zero when any suite failed.
#
#   scripts/run-tests.sh           everything
#   scripts/run-tests.sh --unit    only what needs no services
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p .run
set -a; eval "$(scripts/services.sh env 2>/dev/null)" || true; set +a

UNIT='test/*.test.ts test/{swap,token,engine,cli,log,store,codec,registry,processor,generator,edge,redpanda}/**/*.test.ts'
suites=("unit|$UNIT")
if [ "${1:-}" != "--unit" ]; then
  suites+=("integration|test/integration/**/*.test.ts" "e2e|test/e2e/**/*.test.ts")
fi

# expands glob patterns (braces, **) given as literal text; an empty suite is skipped, not an error
expand() {
  (
    shopt -s globstar nullglob
    set -f; local patterns; read -r -a patterns <<<"$1"; set +f
    for g in "${patterns[@]}"; do eval "printf '%s\n' $g"; done
  ) | sort -u
}

# seconds one suite may take; the whole `make test` stays well under CI's limit
SUITE_TIMEOUT=${SUITE_TIMEOUT:-1200}
passed=0; failed=0; skipped=0; rc=0
report=""   # per-suite lines repeated at the end, where CI's tail of the output shows them
for s in "${suites[@]}"; do
  name=${s%%|*}; globs=${s#*|}
  files=$(expand "$globs")
  [ -z "$files" ] && { echo "== $name: no test files"; continue; }
  echo "== $name tests"
  log=.run/test-$name.log
  # A suite that hangs (a test leaving a handle open after a failure) must fail here, not run
  # CI into its own time limit with no summary line.
  # shellcheck disable=SC2086
  timeout --kill-after=30 "$SUITE_TIMEOUT" npx mocha --color $files 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  [ "$status" -eq 124 ] || [ "$status" -eq 137 ] && echo "== $name: killed after ${SUITE_TIMEOUT}s (SUITE_TIMEOUT): did it hang?"
  p=$(grep -Eo '[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  f=$(grep -Eo '[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  k=$(grep -Eo '[0-9]+ pending' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
  report+="== $name: $p passed, $f failed, $k skipped, exit status $status"$'\n'
  if [ "$status" -ne 0 ]; then
    rc=1
    if [ "$f" -eq 0 ]; then
      failed=$((failed + 1))   # crashed before reporting: count the suite as a failure
      report+="   (no failing test reported: the mocha process itself failed; last lines of $log:)"$'\n'
      report+="$(tail -n 15 "$log" | sed 's/\x1b\[[0-9;]*m//g; s/^/   | /')"$'\n'
    else
      # mocha's failure list (titles and first lines of each error) so a CI tail names the test
      report+="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n '/^ *[0-9]* failing/,$p' | head -n 60 | sed 's/^/   | /')"$'\n'
    fi
  fi
done
echo
printf '%s' "$report"
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc
