#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler ($K8S_VERSION) and kwok
# ($KWOK_VERSION) from the Go module proxy into <bin dir>; no GitHub, GCS or Docker needed.
# Called by scripts/setup-k8s-world.sh, which holds the lock and owns the cache.
# Usage: build-k8s-world.sh <bin dir> <module dir>   (the module dir is a throwaway Go module)
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@v1.37.2` fails: k8s.io/kubernetes' go.mod
# replaces its staging modules (k8s.io/api, k8s.io/client-go, ...) with ./staging/... paths. So a
# throwaway module requires k8s.io/kubernetes and replaces every staging module it requires at
# v0.0.0 with the published k8s.io/<x> v0.Y.Z. The -X stamps make /version report $K8S_VERSION,
# as hack/lib/version.sh does in a release build.
set -euo pipefail

out="$(realpath "$1")"
module="$2"
: "${K8S_VERSION:?}" "${KWOK_VERSION:?}"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# k8s.io/kubernetes names the Go it needs in its go.mod; an older local Go fetches that toolchain.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

log() { echo "build-k8s-world: $*" >&2; }
started=$SECONDS
elapsed() { printf '%dm%02ds' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }
# go prints a line per module downloaded / package compiled (-v): count them every 30 s instead of
# echoing thousands; on failure show the log's tail.
child=""
trap '[[ -z "$child" ]] || kill "$child" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
counted() { # what log command...
  local what="$1" logfile="$2"
  shift 2
  "$@" >"$logfile" 2>&1 &
  child=$!
  while kill -0 "$child" 2>/dev/null; do
    for _ in $(seq 30); do
      kill -0 "$child" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$child" 2>/dev/null; then log "$what: $(wc -l <"$logfile") so far ($(elapsed))"; fi
  done
  if ! wait "$child"; then
    child=""
    tail -n 30 "$logfile" >&2
    log "failed: $* (full log: $logfile)"
    exit 1
  fi
  child=""
  log "$what: $(wc -l <"$logfile") ($(elapsed))"
}

staging_version="v0.${K8S_VERSION#v1.}" # v1.37.2 -> v0.37.2
log "reading k8s.io/kubernetes@$K8S_VERSION's go.mod"
kubernetes_mod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2 }' "$kubernetes_mod")"

rm -rf "$module"
mkdir -p "$module"
cd "$module"
go mod init drpilot-k8s-world >/dev/null 2>&1
replaced=0
for staged in $(awk '/=> \.\/staging\// { print $1 }' "$kubernetes_mod"); do
  # Only what k8s.io/kubernetes requires (sample-cli-plugin, sample-controller are not published for every tag).
  if grep -qE "^[[:space:]]*$staged v0\.0\.0\$" "$kubernetes_mod"; then
    go mod edit -replace "$staged=$staged@$staging_version"
    replaced=$((replaced + 1))
  fi
done
log "$replaced staging modules replaced by their $staging_version releases; etcd $etcd_version"
go mod edit -require "k8s.io/kubernetes@$K8S_VERSION"
log "downloading modules ($(elapsed))"
counted "go get: lines of output" "$module/go-get.log" go get \
  "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
  "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" \
  "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION" \
  "go.etcd.io/etcd/server/v3@$etcd_version"

minor="${K8S_VERSION#v1.}"
minor="${minor%%.*}"
stamps=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamps+=" -X '$pkg.gitVersion=$K8S_VERSION' -X '$pkg.gitMajor=1' -X '$pkg.gitMinor=$minor'"
  stamps+=" -X '$pkg.gitTreeState=clean' -X '$pkg.buildDate=1970-01-01T00:00:00Z'"
  stamps+=" -X '$pkg.gitCommit=module-proxy-$K8S_VERSION'"
done
log "compiling kube-apiserver, kube-controller-manager, kube-scheduler: the long part ($(elapsed))"
counted "packages compiled" "$module/build-kubernetes.log" \
  go build -v -trimpath -ldflags "-s -w $stamps" -o "$out/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler
log "compiling etcd $etcd_version ($(elapsed))"
counted "packages compiled" "$module/build-etcd.log" \
  go build -v -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3

# kwok has no replace directives: go install works outside any module.
log "compiling kwok $KWOK_VERSION ($(elapsed))"
cd /
counted "packages compiled" "$module/build-kwok.log" \
  env GOBIN="$out" go install -v -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"

for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  [[ -x "$out/$name" ]] || { log "no $name after the build"; exit 1; }
done
log "done in $(elapsed)"
