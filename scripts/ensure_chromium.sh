#!/usr/bin/env bash
# Make sure Debian's Chromium is available at /usr/bin/chromium for the browser tests
# (tests/browser). Playwright's own browser download is not used: the course drives the
# distribution's Chromium through playwright-python's `executable_path`.
#
# Idempotent: does nothing when the binary is already there. Installs with apt-get only
# when running as root on a system that has apt-get; otherwise prints what to do and
# exits non-zero. Prints what it did and how long it took.
#
# Usage: scripts/ensure_chromium.sh            (env CHROMIUM_BIN overrides the path)
set -euo pipefail

CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
start=$(date +%s)

elapsed() { echo $(( $(date +%s) - start )); }

if [[ -x "$CHROMIUM_BIN" ]]; then
    echo "ensure_chromium: already present: $CHROMIUM_BIN ($("$CHROMIUM_BIN" --version 2>/dev/null || echo 'version unknown')); nothing to do ($(elapsed)s)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: $CHROMIUM_BIN is missing and apt-get is not available." >&2
    echo "  Install Chromium with your system's package manager so that $CHROMIUM_BIN exists," >&2
    echo "  or set CHROMIUM_BIN to an existing Chromium binary (the tests read MMREC_CHROMIUM)." >&2
    exit 1
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "ensure_chromium: $CHROMIUM_BIN is missing and this script is not running as root." >&2
    echo "  Run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2
    exit 1
fi

echo "ensure_chromium: $CHROMIUM_BIN missing; installing Debian package 'chromium' with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core

if [[ ! -x "$CHROMIUM_BIN" ]]; then
    echo "ensure_chromium: apt-get finished but $CHROMIUM_BIN is still missing" >&2
    exit 1
fi
echo "ensure_chromium: installed $("$CHROMIUM_BIN" --version 2>/dev/null || echo chromium) in $(elapsed)s"
