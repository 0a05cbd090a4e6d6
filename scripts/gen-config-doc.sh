#!/usr/bin/env bash
# Regenerates docs/config.md from every command's --help (test/cli/config-doc.test.ts checks that
# no VOLUMER_* variable the commands read is missing from it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
{
  echo "# Configuration reference"
  echo
  echo "Every command validates its flags once at start-up and exits 2 with a message naming the flag when one is wrong. Each flag can also be given as the \`VOLUMER_*\` environment variable shown beside it; resolution order is flag → environment variable → default. Secrets (database URLs) are never logged."
  echo
  for c in run processor edge produce topology registry stats; do
    echo "## volumer $c"; echo; echo '```'; node bin/volumer.js "$c" --help; echo '```'; echo
  done
} > docs/config.md
echo "docs/config.md regenerated"
