#!/usr/bin/env bash
# The README's main-job command. From a fresh clone: installs npm dependencies, builds the control
# plane binaries (cached), builds scbctl and the operator, then runs tools/demo.ts. Arguments pass
# through (--out DIR, --keep).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/ensure-deps.sh
SCB_CONTROL_PLANE_BIN="$(bash tools/control-plane/build.sh)"
export SCB_CONTROL_PLANE_BIN
npm run --silent build
exec node --import tsx tools/demo.ts "$@"
