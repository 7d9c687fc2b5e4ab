#!/usr/bin/env bash
# Builds the OCI registry the package-repository tests push to (distribution's `registry`), the
# standard OCI client they pull with (`oras`), and a bcrypt htpasswd helper, from their Go modules
# into a cache folder outside the repository, once per pinned version. Prints the bin folder on
# its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
bin_dir="$cache_root/registry/distribution-$DISTRIBUTION_VERSION-oras-$ORAS_VERSION-xcrypto-$X_CRYPTO_VERSION/bin"
log() { echo "[registry] $*" >&2; }

mkdir -p "$bin_dir"
# A second run on a fresh machine waits here instead of building the same binaries twice.
exec 9>"$bin_dir/.build.lock"
flock 9
if [[ ! -x "$bin_dir/registry" ]]; then
  log "building registry $DISTRIBUTION_VERSION (slow the first time)"
  start=$SECONDS
  # Neither go.mod has replace lines, so plain `go install` works.
  GOBIN="$bin_dir" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$DISTRIBUTION_VERSION" \
    "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION" >&2
  log "registry built in $((SECONDS - start))s"
fi
if [[ ! -x "$bin_dir/oras" ]]; then
  log "building oras $ORAS_VERSION"
  start=$SECONDS
  GOBIN="$bin_dir" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "oras.land/oras/cmd/oras@$ORAS_VERSION" >&2
  log "oras built in $((SECONDS - start))s"
fi
if [[ ! -x "$bin_dir/scb-htpasswd" ]]; then
  # A wrapper module of our own (main.go in this folder) pinned to the x/crypto the registry uses.
  work="$cache_root/registry/src/htpasswd-$X_CRYPTO_VERSION"
  mkdir -p "$work"
  cp "$here/htpasswd/main.go" "$work/main.go"
  {
    echo "module scb-operator.io/registry-htpasswd"
    echo
    echo "go 1.24"
    echo
    echo "require golang.org/x/crypto $X_CRYPTO_VERSION"
  } > "$work/go.mod"
  (
    cd "$work"
    go mod tidy >&2
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin_dir/scb-htpasswd" . >&2
  )
fi
echo "$bin_dir"
