#!/usr/bin/env bash
# `npm run soak`: the long runs that `npm test` leaves out. Builds, then runs the soak-capable
# integration tests with PBX_SOAK=1 (each reads its own PBX_SOAK_* knobs and prints its figures).
#   crash-restart.itest.ts: PBX_SOAK_CRASH_ROUNDS (default 10) kill -9 rounds,
#                           PBX_SOAK_CRASH_LOAD_MS (default 5000) of load before each kill.
#   flood.itest.ts:         PBX_SOAK_FLOOD_MS (default 600000: 10 minutes) of flood from one
#                           source at PBX_SOAK_FLOOD_RATE (default 400) messages/s while phones
#                           register and call; prints the memory curve every 10 s.
# Extra arguments go to jest (e.g. a test path to run only that one).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
export PBX_SOAK=1
if [ $# -gt 0 ]; then
  exec npx jest --selectProjects integration --runInBand "$@"
fi
exec npx jest --selectProjects integration --runInBand \
  apps/pbx/test/integration/crash-restart.itest.ts apps/pbx/test/integration/flood.itest.ts
