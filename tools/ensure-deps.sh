#!/usr/bin/env bash
# Makes a fresh clone runnable: installs the locked npm dependencies when they are missing or older
# than package-lock.json. Sourced by tools/demo.sh and tools/test-all.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "==> npm ci (dependencies missing or out of date)"
  npm ci --no-audit --no-fund
fi
