#!/usr/bin/env bash
# Builds helm and promtool from their Go modules into a cache folder outside the repository, once
# per pinned version, and makes sure Lua 5.4 and 5.1 interpreters are installed. Prints the bin folder on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
bin_dir="$cache_root/packaging/helm-$HELM_VERSION-prometheus-$PROMETHEUS_VERSION/bin"
log() { echo "[packaging] $*" >&2; }

# go install refuses a module with replace lines; helm and prometheus have none, so no wrapper module.
# Arguments: package@version, extra ldflags, build tags.
go_install() {
  GOBIN="$bin_dir" CGO_ENABLED=0 go install -trimpath -tags "$3" -ldflags "-s -w $2" "$1" >&2
}

mkdir -p "$bin_dir"
# A second run on a fresh machine waits here instead of building the same tools twice.
exec 9>"$bin_dir/.build.lock"
flock 9
if [[ ! -x "$bin_dir/helm" ]]; then
  log "building helm $HELM_VERSION"
  start=$SECONDS
  # helm prints this version in `helm version`; without it helm reports v3 with no patch.
  go_install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" ""
  log "helm built in $((SECONDS - start))s"
fi
if [[ ! -x "$bin_dir/promtool" ]]; then
  log "building promtool (prometheus module $PROMETHEUS_VERSION)"
  start=$SECONDS
  # We check and unit-test rules only: without the cloud service-discovery plugins (AWS, Azure,
  # GCE, ...) the build fetches and compiles a fraction of the code.
  go_install "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" "" remove_all_sd
  log "promtool built in $((SECONDS - start))s"
fi
if ! command -v lua5.4 >/dev/null || ! command -v lua5.1 >/dev/null; then
  log "installing lua5.4 and lua5.1 (the dialect Argo CD's gopher-lua speaks) from Debian's packages"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lua5.4 lua5.1 >&2
fi
echo "$bin_dir"
