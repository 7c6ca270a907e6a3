#!/usr/bin/env bash
# Builds Velero ($VELERO_VERSION, server and CLI in one binary) and velero-plugin-for-aws
# ($PLUGIN_VERSION) from the Go module proxy into <out>/bin/velero and
# <out>/plugins/velero-plugin-for-aws; no GitHub or Docker needed.
# Called by scripts/setup-velero-server.sh, which holds the lock and owns the cache.
# Usage: build-velero-server.sh <out dir> <module dir>   (the module dir is a throwaway Go module)
#
# - The plugin's module has no replace directives: `go install <module>/velero-plugin-for-aws@v`
#   works as is (the main package is the velero-plugin-for-aws/ folder, not the module root).
# - Velero's go.mod has one replace (github.com/kopia/kopia => the project-velero fork); replace
#   directives are not inherited, so a throwaway module requires velero and repeats it.
# - The module proxy reachable here refuses the zip of k8s.io/cli-runtime v0.33.12 (403; its .mod
#   is served), which Velero pins: every k8s.io staging module pinned at v0.33.12 moves to v0.33.13.
# - The -X stamps make `velero version` report $VELERO_VERSION, as Velero's Makefile does.
set -euo pipefail

out="$(realpath "$1")"
module="$2"
: "${VELERO_VERSION:?}" "${PLUGIN_VERSION:?}"
KOPIA_REPLACE="${KOPIA_REPLACE:-github.com/project-velero/kopia v0.0.0-20251230033609-d946b1e75197}"
K8S_STAGING_PIN="${K8S_STAGING_PIN:-v0.33.12}"
K8S_STAGING_PATCH="${K8S_STAGING_PATCH:-v0.33.13}"
export GOFLAGS=-buildvcs=false
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

log() { echo "build-velero-server: $*" >&2; }
started=$SECONDS
elapsed() { printf '%dm%02ds' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }
run_logged() { # what logfile command...
  local what="$1" logfile="$2"
  shift 2
  if ! "$@" >"$logfile" 2>&1; then
    tail -n 30 "$logfile" >&2
    log "failed: $what (full log: $logfile)"
    exit 1
  fi
  log "$what done ($(elapsed))"
}

mkdir -p "$out/bin" "$out/plugins"
rm -rf "$module"
mkdir -p "$module"

log "velero-plugin-for-aws $PLUGIN_VERSION: go install"
GOBIN="$out/plugins" run_logged "velero-plugin-for-aws" "$module.plugin.log" \
  go install -trimpath "github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws@$PLUGIN_VERSION"

cd "$module"
cat >go.mod <<GOMOD
module drpilot-velero-server

go 1.26.0

require github.com/vmware-tanzu/velero $VELERO_VERSION

replace github.com/kopia/kopia => $KOPIA_REPLACE
GOMOD
log "velero $VELERO_VERSION: resolving the build list"
run_logged "go get velero" "$module.get.log" \
  go get "github.com/vmware-tanzu/velero/cmd/velero@$VELERO_VERSION" "k8s.io/cli-runtime@$K8S_STAGING_PATCH"
bump=$(awk -v o="$K8S_STAGING_PIN" -v n="$K8S_STAGING_PATCH" '$1 ~ /^k8s\.io\// && $2 == o {print $1 "@" n}' go.mod)
if [[ -n "$bump" ]]; then
  # shellcheck disable=SC2086 # one argument per module
  run_logged "k8s.io staging modules $K8S_STAGING_PIN -> $K8S_STAGING_PATCH" "$module.bump.log" go get $bump
fi
stamp=github.com/vmware-tanzu/velero/pkg/buildinfo
log "velero $VELERO_VERSION: go build (the longest part)"
run_logged "velero" "$module.build.log" \
  go build -trimpath -o "$out/bin/velero" \
  -ldflags "-s -w -X $stamp.Version=$VELERO_VERSION -X $stamp.GitSHA=goproxy -X $stamp.GitTreeState=clean -X $stamp.ImageRegistry=velero" \
  github.com/vmware-tanzu/velero/cmd/velero
