#!/usr/bin/env bash
# The real Velero server the restore-drill tests (and `drpilot drill --embedded --real-k8s`) run out
# of cluster: Velero v1.18.3 (server and CLI in one binary) and velero-plugin-for-aws v1.14.3.
# Prints `velero=<path>` and `plugin-dir=<dir>` on stdout (the plugin directory holds only the
# AWS plugin: Velero runs its built-in plugins from its own binary); progress on stderr.
#
# Where the binaries come from, first match wins:
#   1. the cache outside the clone: ${DRPILOT_CACHE_DIR:-~/.cache/drpilot}/velero-server-v1.18.3/;
#   2. the prebuilt tarball in ../shared/velero-server/ (linux/amd64), checked against its SHA256SUMS;
#   3. a build from the Go module proxy (scripts/build-velero-server.sh): ~20 min once on 2 cores.
# --no-build: exit 3 instead of building (the drill uses it; a build is for `npm run setup:velero`).
set -euo pipefail

VELERO_VERSION=v1.18.3
PLUGIN_VERSION=v1.14.3

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
allow_build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) allow_build=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done

log() { echo "setup-velero-server: $*" >&2; }
cache_root="${DRPILOT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/drpilot}"
cache="$cache_root/velero-server-$VELERO_VERSION"
tarball="$repo_root/../shared/velero-server/velero-server-$VELERO_VERSION-linux-amd64.tar.xz"

print_paths() {
  echo "velero=$cache/bin/velero"
  echo "plugin-dir=$cache/plugins"
}

cache_complete() {
  [[ -f "$cache/.complete" && -x "$cache/bin/velero" && -x "$cache/plugins/velero-plugin-for-aws" ]]
}

if cache_complete; then
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

staging="$(mktemp -d "$cache_root/.velero-server-$VELERO_VERSION.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging"
mkdir -p "$staging/bin" "$staging/plugins"
started=$SECONDS

if [[ -f "$tarball" && "$(uname -s)/$(uname -m)" == Linux/x86_64 ]]; then
  log "installing from $tarball"
  tar -xJf "$tarball" -C "$staging"
  unpacked="$staging/velero-server-$VELERO_VERSION"
  for name in velero velero-plugin-for-aws; do
    grep -qE "^[0-9a-f]{64}  $name\$" "$unpacked/SHA256SUMS" || {
      log "$tarball: SHA256SUMS lists no $name"
      exit 1
    }
  done
  (cd "$unpacked" && sha256sum --check --quiet SHA256SUMS) >&2 || {
    log "$tarball: checksum mismatch"
    exit 1
  }
  mv "$unpacked/velero" "$staging/bin/velero"
  mv "$unpacked/velero-plugin-for-aws" "$staging/plugins/velero-plugin-for-aws"
  rm -rf "$unpacked"
  source_note="tarball $(sha256sum "$tarball" | cut -d' ' -f1)"
elif [[ $allow_build == 1 ]]; then
  command -v go >/dev/null 2>&1 || {
    log "no Go toolchain: install Go (https://go.dev/dl/) to build Velero (see README, Testing)"
    exit 1
  }
  log "building from the Go module proxy: ~20 min the first time on 2 cores, seconds with a warm Go cache"
  VELERO_VERSION=$VELERO_VERSION PLUGIN_VERSION=$PLUGIN_VERSION \
    bash "$repo_root/scripts/build-velero-server.sh" "$staging" "$cache_root/velero-server-$VELERO_VERSION-module"
  source_note="built from the Go module proxy with $(go version)"
else
  log "not set up: no $cache and no $tarball; run npm run setup:velero (builds it once)"
  exit 3
fi

# `velero version --client-only` prints "Version: v1.18.3" (the build stamps pkg/buildinfo). Read
# whole before matching: `grep -q` stops at its match, and under pipefail the SIGPIPE velero then
# gets while still printing its "Git commit" line would fail the check.
client_version="$("$staging/bin/velero" version --client-only 2>&1 || true)"
grep -qE "Version:[[:space:]]+$VELERO_VERSION\$" <<<"$client_version" || {
  log "the velero obtained reports $(tr '\n' ' ' <<<"$client_version"), not $VELERO_VERSION"
  exit 1
}
echo "$source_note" >"$staging/.complete"
rm -rf "$cache"
mv "$staging" "$cache"
trap - EXIT
log "$cache ready in $((SECONDS - started)) s ($source_note)"
print_paths
