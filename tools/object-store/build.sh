#!/usr/bin/env bash
# Builds versitygw (a real S3 gateway over a directory) from its Go module into a cache folder
# outside the repository, once per pinned version. Prints the bin folder on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
bin_dir="$cache_root/object-store/versitygw-$VERSITYGW_VERSION/bin"
log() { echo "[object-store] $*" >&2; }

mkdir -p "$bin_dir"
# A second run on a fresh machine waits here instead of building the same binary twice.
exec 9>"$bin_dir/.build.lock"
flock 9
if [[ ! -x "$bin_dir/versitygw" ]]; then
  log "building versitygw $VERSITYGW_VERSION (slow the first time)"
  start=$SECONDS
  # versitygw's go.mod has no replace lines, so plain `go install` works. Its Makefile sets
  # main.Version; without it `versitygw --version` says "git".
  GOBIN="$bin_dir" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X main.Version=$VERSITYGW_VERSION" \
    "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
  log "versitygw built in $((SECONDS - start))s"
fi
echo "$bin_dir"
