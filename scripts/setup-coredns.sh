#!/usr/bin/env bash
# Builds the pinned CoreDNS release with `go install` into a cache outside the clone and prints the
# binary's path on stdout. Quick no-op when that binary is already there. With --no-build it only
# looks: exit 3 when the binary is not there (the embedded drill then says CoreDNS was not run).
set -euo pipefail

no_build=false
[[ "${1:-}" == "--no-build" ]] && no_build=true

version="v1.15.0"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/drpilot"
gobin="$cache_root/coredns-$version"
binary="$gobin/coredns"

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

if $no_build; then
  echo "setup-coredns: CoreDNS $version is not built ($binary); run scripts/setup-coredns.sh (npm test does)" >&2
  exit 3
fi

if ! command -v go >/dev/null 2>&1; then
  echo "setup-coredns: Go is needed to build CoreDNS $version (go install); install Go and retry" >&2
  exit 1
fi

mkdir -p "$cache_root"
# Test workers may all find the binary missing at once; only one may build it. flock releases the
# lock if this script dies.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_root/coredns-$version.lock"
  flock 9
  if [[ -x "$binary" ]]; then
    echo "$binary"
    exit 0
  fi
fi

started=$SECONDS
# Built into a scratch directory and moved in place, so a half-built binary is never found.
scratch="$(mktemp -d "$cache_root/coredns-build.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
GOBIN="$scratch" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/coredns/coredns@$version" >&2
mkdir -p "$gobin"
mv "$scratch/coredns" "$binary"
echo "setup-coredns: built CoreDNS $version into $gobin in $((SECONDS - started))s" >&2
echo "$binary"
