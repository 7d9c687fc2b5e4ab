#!/usr/bin/env bash
# Builds helm and promtool from their Go modules into a cache folder outside the repository, once
# per pinned version, copies the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs from its
# Go module next to them (bin/../prometheus-operator-crds/), and makes sure Lua 5.4 and 5.1
# interpreters are installed. Prints the bin folder on stdout.
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
crd_dir="$(dirname "$bin_dir")/prometheus-operator-crds"
if [[ "$(cat "$crd_dir/.version" 2>/dev/null)" != "$PROMETHEUS_OPERATOR_VERSION" ]]; then
  log "fetching the Prometheus Operator CRDs (module $PROMETHEUS_OPERATOR_VERSION)"
  # Outside any module, so no go.mod is read or written; the go command checks the download
  # against sum.golang.org.
  module_json="$(cd / && GOFLAGS=-mod=mod go mod download -json \
    "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  module_dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$module_json")"
  if [[ -z "$module_dir" ]]; then
    log "go mod download printed no Dir: $module_json"
    exit 1
  fi
  rm -rf "$crd_dir" && mkdir -p "$crd_dir"
  for kind in servicemonitors prometheusrules; do
    file="$module_dir/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml"
    [[ -f "$file" ]] || { log "$file is missing from the module"; exit 1; }
    install -m 0644 "$file" "$crd_dir/"
  done
  echo "$PROMETHEUS_OPERATOR_VERSION" >"$crd_dir/.version"
fi
if ! command -v lua5.4 >/dev/null || ! command -v lua5.1 >/dev/null; then
  log "installing lua5.4 and lua5.1 (the dialect Argo CD's gopher-lua speaks) from Debian's packages"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lua5.4 lua5.1 >&2
fi
echo "$bin_dir"
