#!/usr/bin/env bash
# `npm run check`: type-check (sources with tsc -b, tests through tsconfig.check.json), lint and
# formatting, each through its npm script. Every step runs even when an earlier one fails, so one
# run shows every problem; the exit status is non-zero when any step failed. `npm test` runs this
# before jest.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
step() {
  local name=$1
  shift
  echo "check: $name ($*)"
  "$@" || failed+=("$name")
}

step typecheck npm run --silent typecheck
step lint npm run --silent lint
step format npm run --silent format:check -- --log-level warn

if [ ${#failed[@]} -gt 0 ]; then
  echo "check failed: ${failed[*]}" >&2
  exit 1
fi
echo "check passed: typecheck, lint, format"
