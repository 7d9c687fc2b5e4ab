#!/usr/bin/env bash
# Makes what the test node needs besides the Kubernetes binaries (tools/control-plane/build.sh)
# and Debian's containerd and runc: the pod sandbox ("pause") image, a static Go program of our
# own in an image FROM scratch, as a docker-archive that `ctr images import` reads; and
# scb-pod-forward, the CNI plugin's bridge between a pod and the host's loopback. Cached by a
# hash of their inputs. Prints the folder holding `pause.tar`, `pause-image` and
# `scb-pod-forward` on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[node] $*" >&2; }
for tool in containerd ctr runc buildah; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run tools/ensure-deps.sh (apt-get install containerd runc buildah)"; exit 1; }
done

cache_root="${SCB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scb-operator}"
inputs_hash="$(cd "$here" && cat build.sh pause/main.go pause/go.mod forward/main.go forward/go.mod | sha256sum)"
out_dir="$cache_root/node/pause-${inputs_hash:0:16}"
image="localhost/scb-operator/pause:${inputs_hash:0:16}"

mkdir -p "$cache_root/node"
exec 9>"$cache_root/node/.build.lock"
flock 9
if [[ ! -f "$out_dir/pause.tar" ]]; then
  log "building the pause image and scb-pod-forward"
  work="$(mktemp -d "$cache_root/node/.work.XXXXXX")"
  storage=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
  trap 'buildah "${storage[@]}" rm --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  (cd "$here/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/pause" .)
  container="$(buildah "${storage[@]}" from scratch)"
  buildah "${storage[@]}" add "$container" "$work/pause" /pause >&2
  buildah "${storage[@]}" config --entrypoint '["/pause"]' --user 65535:65535 "$container" >&2
  buildah "${storage[@]}" commit --quiet "$container" "$image" >/dev/null
  buildah "${storage[@]}" push --quiet "$image" "docker-archive:$work/pause.tar:$image" >&2
  mkdir -p "$out_dir"
  (cd "$here/forward" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out_dir/scb-pod-forward" .)
  echo "$image" > "$out_dir/pause-image"
  mv "$work/pause.tar" "$out_dir/pause.tar"
fi
echo "$out_dir"
