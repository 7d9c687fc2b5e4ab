#!/usr/bin/env bash
# Makes a fresh clone runnable: installs the locked npm dependencies when they are missing or older
# than package-lock.json, and Debian's containerd, runc, buildah and mmdebstrap when missing. Sourced
# by tools/demo.sh and tools/test-all.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "==> npm ci (dependencies missing or out of date)"
  npm ci --no-audit --no-fund
fi
# The test node's container runtime and the image build's tools, from Debian.
need_apt=()
for tool in containerd runc buildah mmdebstrap; do command -v "$tool" >/dev/null || need_apt+=("$tool"); done
if ((${#need_apt[@]})); then
  echo "==> apt-get install ${need_apt[*]} (the test node's runtime and the image build)"
  # Only the node tests and ./tools/demo.sh --node need them: without root, say so and go on.
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"; }; then
    echo "warning: could not install ${need_apt[*]}; the node tests and ./tools/demo.sh --node need them" >&2
  fi
fi
