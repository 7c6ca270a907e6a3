#!/usr/bin/env bash
# Creates .venv/ with the pinned Python tools (moto server, cfn-lint, awscli v1).
# Quick no-op when .venv already matches requirements-dev.txt.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"
requirements="requirements-dev.txt"
venv=".venv"
stamp="$venv/.requirements-dev.sha256"
python="${PYTHON:-python3}"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

is_current() {
  [[ -x "$venv/bin/moto_server" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]
}

wanted="$(sha256_of "$requirements")"
if is_current; then
  echo "setup-venv: .venv is up to date" >&2
  exit 0
fi

# Test workers may all find the venv missing at once; only one may build it. The lock lives outside
# the repo so it never shows up in git status, and flock releases it if this script dies.
if command -v flock >/dev/null 2>&1; then
  lock_id="$(printf '%s' "$repo_root" | cksum | cut -d' ' -f1)"
  exec 9>"${TMPDIR:-/tmp}/drpilot-setup-venv-$lock_id.lock"
  flock 9
  if is_current; then
    echo "setup-venv: .venv is up to date" >&2
    exit 0
  fi
fi

started=$SECONDS
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --requirement "$requirements"
echo "$wanted" >"$stamp"
echo "setup-venv: installed $requirements into .venv in $((SECONDS - started))s" >&2
