#!/usr/bin/env bash
# Build the wheel, install it into a fresh venv in a temporary folder (no ../shared beside it, no
# SEAWATCH_SHARED_DATA, no PYTHONPATH, a fresh cache), and smoke-test `seawatch detect` and `seawatch
# demo` there (scripts/package_smoke.py). Needs the web picture built first (`make web`).
set -euo pipefail
PYTHON=${PYTHON:-python3}
unset PYTHONPATH SEAWATCH_SHARED_DATA  # the installed wheel alone, not a checkout or the test data
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/seawatch-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/work/run"
rm -rf "$repo/build"  # setuptools reuses a stale build/lib (files the package data no longer lists)
"$PYTHON" -m pip wheel -q --no-deps -w "$tmp/dist" "$repo"
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q "$tmp"/dist/seawatch-*.whl
cd "$tmp/work/run"
env HOME="$tmp/home" XDG_CACHE_HOME="$tmp/cache" \
  "$tmp/venv/bin/python" "$repo/scripts/package_smoke.py"
