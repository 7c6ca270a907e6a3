#!/usr/bin/env bash
# The real Kubernetes control plane the tests (and `drpilot drill --real-k8s`) run against:
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler of k8s.io/kubernetes v1.37.2, and
# kwok v0.8.0 (fake kubelets). Prints one `name=path` line per binary on stdout; progress on stderr.
#
# Where the binaries come from, first match wins:
#   1. $KUBEBUILDER_ASSETS (envtest's convention: a directory with etcd and kube-apiserver); what it
#      lacks (envtest ships no controller-manager, scheduler or kwok) comes from 2-4, and is named;
#   2. the cache outside the clone: ${DRPILOT_CACHE_DIR:-~/.cache/drpilot}/k8s-world-v1.37.2/bin;
#   3. the prebuilt tarball in ../shared/k8s-world/ (linux/amd64), checked against its SHA256SUMS;
#   4. a build from the Go module proxy (scripts/build-k8s-world.sh): ~35-40 min once on 2 cores.
# --no-build: exit 3 instead of building (the drill uses it; a build is for `npm run setup:k8s`).
set -euo pipefail

K8S_VERSION=v1.37.2
KWOK_VERSION=v0.8.0
BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
allow_build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) allow_build=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done

log() { echo "setup-k8s-world: $*" >&2; }
cache_root="${DRPILOT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/drpilot}"
cache="$cache_root/k8s-world-$K8S_VERSION"
tarball="$repo_root/../shared/k8s-world/k8s-world-$K8S_VERSION-linux-amd64.tar.xz"

from_assets() { [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/$1" ]]; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  for required in etcd kube-apiserver; do
    from_assets "$required" || {
      log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable $required"
      exit 1
    }
  done
fi

missing=()
for name in "${BINARIES[@]}"; do from_assets "$name" || missing+=("$name"); done

print_paths() {
  for name in "${BINARIES[@]}"; do
    if from_assets "$name"; then echo "$name=$KUBEBUILDER_ASSETS/$name"; else echo "$name=$cache/bin/$name"; fi
  done
}

cache_complete() {
  [[ -f "$cache/.complete" ]] || return 1
  for name in "${missing[@]}"; do [[ -x "$cache/bin/$name" ]] || return 1; done
}

if [[ -n "${KUBEBUILDER_ASSETS:-}" && ${#missing[@]} -gt 0 ]]; then
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no ${missing[*]}: taking them from $cache"
fi
if [[ ${#missing[@]} -eq 0 ]] || cache_complete; then
  print_paths
  exit 0
fi

# Parallel test workers may all find the cache empty; only one may fill it. flock releases the
# lock when this script dies, and the lock file lives beside the cache, outside the clone.
mkdir -p "$cache_root"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache.lock"
  if ! flock -n 9; then
    log "another setup is filling $cache; waiting for it"
    flock 9
  fi
  if cache_complete; then
    print_paths
    exit 0
  fi
fi

staging="$(mktemp -d "$cache_root/.k8s-world-$K8S_VERSION.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging"
mkdir -p "$staging/bin"
started=$SECONDS

if [[ -f "$tarball" && "$(uname -s)/$(uname -m)" == Linux/x86_64 ]]; then
  log "installing from $tarball"
  tar -xJf "$tarball" -C "$staging"
  unpacked="$staging/k8s-world-$K8S_VERSION"
  for name in "${BINARIES[@]}"; do
    grep -qE "^[0-9a-f]{64}  $name\$" "$unpacked/SHA256SUMS" || {
      log "$tarball: SHA256SUMS lists no $name"
      exit 1
    }
  done
  (cd "$unpacked" && sha256sum --check --quiet SHA256SUMS) >&2 || {
    log "$tarball: checksum mismatch"
    exit 1
  }
  for name in "${BINARIES[@]}"; do mv "$unpacked/$name" "$staging/bin/$name"; done
  rm -rf "$unpacked"
  source_note="tarball $(sha256sum "$tarball" | cut -d' ' -f1)"
elif [[ $allow_build == 1 ]]; then
  command -v go >/dev/null 2>&1 || {
    log "no Go toolchain: install Go (https://go.dev/dl/), or set KUBEBUILDER_ASSETS (see README, Testing)"
    exit 1
  }
  log "building from the Go module proxy: ~35-40 min the first time on 2 cores (about 2 GB of modules, 6 GB of build cache)"
  K8S_VERSION=$K8S_VERSION KWOK_VERSION=$KWOK_VERSION \
    bash "$repo_root/scripts/build-k8s-world.sh" "$staging/bin" "$cache_root/k8s-world-$K8S_VERSION-module"
  source_note="built from the Go module proxy with $(go version)"
else
  log "not set up: no KUBEBUILDER_ASSETS, no $cache and no $tarball; run npm run setup:k8s (builds it once)"
  exit 3
fi

# Read whole before matching: under pipefail a `grep -q` that stops early could SIGPIPE the writer.
apiserver_version="$("$staging/bin/kube-apiserver" --version 2>&1 || true)"
grep -qx "Kubernetes $K8S_VERSION" <<<"$apiserver_version" || {
  log "the kube-apiserver obtained reports $apiserver_version, not $K8S_VERSION"
  exit 1
}
echo "$source_note" >"$staging/.complete"
rm -rf "$cache"
mv "$staging" "$cache"
trap - EXIT
log "$cache ready in $((SECONDS - started)) s ($source_note)"
print_paths
