#!/usr/bin/env bash
# The README's main-job command. From a fresh clone: installs npm dependencies, builds the control
# plane binaries (cached), builds scbctl and the operator, then runs tools/demo.ts. Arguments pass
# through (--out DIR, --keep, --node: the chart and the built image on a real node).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/ensure-deps.sh
SCB_CONTROL_PLANE_BIN="$(bash tools/control-plane/build.sh)"
export SCB_CONTROL_PLANE_BIN
if [[ " $* " == *" --node "* ]]; then
  SCB_NODE_TOOLS="$(bash tools/node/build.sh)"
  SCB_IMAGE_DIR="$(bash tools/image/build.sh)"
  SCB_PACKAGING_BIN="$(bash tools/packaging/build.sh)"
  export SCB_NODE_TOOLS SCB_IMAGE_DIR SCB_PACKAGING_BIN
fi
npm run --silent build
exec node --import tsx tools/demo.ts "$@"
