#!/usr/bin/env bash
# Runs `npm run check` (types, lint, formatting), then every test (unit and integration) and
# prints one `N passed, N failed` line; fails when either fails. Integration tests need the real
# peers `sipp` (Debian package sip-tester), `baresip` (audio through the media server), `kamailio`
# (a provider's registrar and record-routing proxy for the trunk tests), and
# Debian's `docker-compose` to validate docker-compose.yml offline; as root this script installs
# them, otherwise it says what to install. Extra arguments go to jest (e.g. --selectProjects unit).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v sipp >/dev/null 2>&1 || need_pkgs+=(sip-tester)
command -v baresip >/dev/null 2>&1 || need_pkgs+=(baresip)
command -v kamailio >/dev/null 2>&1 || need_pkgs+=(kamailio)
command -v docker-compose >/dev/null 2>&1 || need_pkgs+=(docker-compose)
# What phones hear is taken off the wire (tcpdump on lo, as root) and test tones are made by sox.
command -v tcpdump >/dev/null 2>&1 || need_pkgs+=(tcpdump)
command -v sox >/dev/null 2>&1 || need_pkgs+=(sox)
# TLS tests make their certificates with the openssl CLI.
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
# The web console's browser tests drive Debian's Chromium (playwright-core, executable path only).
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || need_pkgs+=(fonts-dejavu-core)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing test peers: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "Integration tests need: ${need_pkgs[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ]; then
  [ -f /usr/include/node/node.h ] && export npm_config_nodedir=/usr
  npm ci
fi

# Build first: integration tests also start the built binaries.
npx tsc -b

# Type-check, lint and formatting (scripts/check.sh). A failure fails the run, but jest still runs
# so one CI run reports both.
check_status=0
npm run --silent check || check_status=$?

results=${JEST_JSON_OUT:-.jest-results.json}
rm -f "$results"
status=0
npx jest --json --outputFile="$results" "$@" || status=$?
if [ -f "$results" ]; then
  node -e '
    const fs = require("fs");
    const path = require("path");
    let passed = 0, failed = 0, skipped = 0;
    for (const f of process.argv.slice(1)) {
      if (!fs.existsSync(f)) continue;
      const r = require(path.resolve(f));
      passed += r.numPassedTests;
      failed += r.numFailedTests;
      skipped += (r.numPendingTests || 0) + (r.numTodoTests || 0);
    }
    console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results"
fi
if [ "$check_status" -ne 0 ]; then
  echo "npm run check failed (see its output above)" >&2
  [ "$status" -ne 0 ] || status=$check_status
fi
exit $status
