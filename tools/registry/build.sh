#!/usr/bin/env bash
# Builds what the OCI channel tests need from Go modules, into a cache folder outside the
# repository, once per pinned version, and prints the bin folder on its last line:
# - registry: the reference OCI registry (distribution), filesystem storage, htpasswd and token auth only
#   (cmd/registry here; upstream's main also links the cloud storage drivers);
# - scb-htpasswd: a bcrypt htpasswd line (the registry accepts only bcrypt; Node has none);
# - oras: the standard OCI artifact client, to show others can pull what the operator pushes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
# Our two mains are part of the key: changing one rebuilds.
mains_hash="$(cat "$here"/cmd/*/main.go | sha256sum | cut -c1-12)"
bin_dir="$cache_root/registry/distribution-$DISTRIBUTION_VERSION-oras-$ORAS_VERSION-xcrypto-$X_CRYPTO_VERSION-$mains_hash/bin"
log() { echo "[registry] $*" >&2; }

mkdir -p "$bin_dir"
# A second run on a fresh machine waits here instead of building the same binaries twice.
exec 9>"$bin_dir/.build.lock"
flock 9
if [[ ! -x "$bin_dir/registry" || ! -x "$bin_dir/scb-htpasswd" ]]; then
  log "building registry $DISTRIBUTION_VERSION and scb-htpasswd (slow the first time)"
  start=$SECONDS
  work="$cache_root/registry/src/distribution-$DISTRIBUTION_VERSION-xcrypto-$X_CRYPTO_VERSION-$mains_hash"
  rm -rf "$work"
  mkdir -p "$work"
  cp -r "$here/cmd/registry" "$here/cmd/scb-htpasswd" "$work/"
  {
    echo "module scb-operator.io/test-registry"
    echo
    echo "go 1.26"
    echo
    echo "require ("
    echo "	github.com/distribution/distribution/v3 $DISTRIBUTION_VERSION"
    echo "	golang.org/x/crypto $X_CRYPTO_VERSION"
    echo ")"
  } > "$work/go.mod"
  (
    cd "$work"
    go mod tidy >&2
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$DISTRIBUTION_VERSION" \
      -o "$bin_dir/" ./registry ./scb-htpasswd >&2
  )
  log "registry built in $((SECONDS - start))s"
fi
if [[ ! -x "$bin_dir/oras" ]]; then
  log "building oras $ORAS_VERSION"
  start=$SECONDS
  # Its go.mod has no replace lines, so plain `go install` works.
  GOBIN="$bin_dir" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "oras.land/oras/cmd/oras@$ORAS_VERSION" >&2
  log "oras built in $((SECONDS - start))s"
fi
echo "$bin_dir"
