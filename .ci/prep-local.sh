#!/usr/bin/env bash
# CI entry point: installs and builds everything from a fresh machine, then runs the
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS

echo "==> system tools (openssl, keytool, unzip, maven, python venv)"
need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v keytool >/dev/null || need_apt+=(openjdk-17-jdk-headless)
command -v unzip >/dev/null || need_apt+=(unzip)
command -v mvn >/dev/null || need_apt+=(maven)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

echo "==> npm ci"
npm ci --no-audit --no-fund

echo "==> build"
npm run build

echo "==> control plane (kube-apiserver, kubectl, etcd from Go modules; cached)"
bash tools/control-plane/build.sh

echo "==> Cassandra 5 jars from Maven Central (cached)"
bash tools/cassandra/build.sh

echo "==> helm and promtool from Go modules, Lua from Debian (cached)"
bash tools/packaging/build.sh

echo "==> versitygw (S3 server for the object-store tests) from its Go module (cached)"
bash tools/object-store/build.sh

echo "==> the image's Node.js, for the image-layout test (npm registry; cached)"
bash tools/node-runtime/build.sh

