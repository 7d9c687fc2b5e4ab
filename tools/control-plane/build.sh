#!/usr/bin/env bash
# Builds kube-apiserver, kubectl, the node's kubelet, kube-scheduler and kube-controller-manager,
# and etcd from their Go modules into a cache folder outside the repository, once per pinned
# version. Prints the bin folder on stdout.
#
# Why a wrapper module: k8s.io/kubernetes replaces ~31 staging modules with local
# paths, so `go install` refuses it; we pin each staging module to its published
# v0.N.P twin instead. etcd's server module has replace lines of its own too.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
# "-node": the folder's layout version (it gained the node's binaries); a new name leaves the
# older folder intact for runs that still use it.
bin_dir="$cache_root/control-plane/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-node/bin"
k8s_commands=(kube-apiserver kubectl kubelet kube-scheduler kube-controller-manager)
log() { echo "[control-plane] $*" >&2; }

build_kubernetes() {
  local work="$cache_root/control-plane/src/kubernetes-$KUBERNETES_VERSION-node"
  local staging_version="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$work"
  local k8s_mod
  k8s_mod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  {
    echo "module scb-operator.io/control-plane-kubernetes"
    echo
    echo "go $(sed -n 's/^go //p' "$k8s_mod")"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$staging_version"'#p' "$k8s_mod"
  } > "$work/go.mod"
  cat > "$work/tools.go" <<'GO'
//go:build tools

package tools
GO
  (
    cd "$work"
    local packages=("${k8s_commands[@]/#/k8s.io/kubernetes/cmd/}")
    go get "${packages[@]/%/@$KUBERNETES_VERSION}" >&2
    local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
    local pkg="k8s.io/component-base/version"
    local ldflags="-s -w -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
    # One invocation: the five commands share most packages, so they share the compile.
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin_dir/" \
      "${packages[@]}" >&2
  )
}

build_etcd() {
  local work="$cache_root/control-plane/src/etcd-$ETCD_VERSION"
  mkdir -p "$work"
  local etcd_mod
  etcd_mod="$(go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  {
    echo "module scb-operator.io/control-plane-etcd"
    echo
    echo "go $(sed -n 's/^go //p' "$etcd_mod")"
    echo
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  } > "$work/go.mod"
  (
    cd "$work"
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin_dir/etcd" go.etcd.io/etcd/server/v3 >&2
  )
}

mkdir -p "$bin_dir"
# Two test runs on a fresh machine would otherwise both spend ten minutes building; the second
# waits here, then finds the binaries.
exec 9>"$bin_dir/.build.lock"
flock 9
missing_k8s=0
for command in "${k8s_commands[@]}"; do [[ -x "$bin_dir/$command" ]] || missing_k8s=1; done
if ((missing_k8s)); then
  log "building ${k8s_commands[*]} $KUBERNETES_VERSION (slow the first time)"
  start=$SECONDS; build_kubernetes; log "kubernetes built in $((SECONDS - start))s"
fi
if [[ ! -x "$bin_dir/etcd" ]]; then
  log "building etcd $ETCD_VERSION"
  start=$SECONDS; build_etcd; log "etcd built in $((SECONDS - start))s"
fi
echo "$bin_dir"
