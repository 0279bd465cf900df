#!/usr/bin/env bash
# System packages Seawatch needs on a fresh Debian machine. Idempotent: installs only what is missing.
# Uses sudo when not root.
#   build  a C compiler and Python's headers (the compiled AIS scanner and JSON Lines encoder, seawatch/sources/_nmea_scan.c and _ais_jsonl.c)
#   all    (default) build + Chromium for the browser tests + Node.js/npm for the web build
#          + gpsd and gpsd-clients (gpsdecode, gpspipe: the real NMEA consumer in tests/outputs, a decode peer)
set -euo pipefail
what="${1:-all}"
PYTHON="${PYTHON:-python3}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
if ! "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
  missing+=("python$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-dev")
fi
if [ "$what" = all ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  command -v gpsd >/dev/null 2>&1 || [ -x /usr/sbin/gpsd ] || missing+=(gpsd)
  command -v gpspipe >/dev/null 2>&1 || missing+=(gpsd-clients)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
