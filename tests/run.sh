#!/usr/bin/env bash
# Install what the tests need on a fresh Debian/Ubuntu machine, then run the whole suite:
# unit and web tests, PostgreSQL tests (CUNWU_TEST_PG_URL, default 127.0.0.1:5432/test) and headless-Chromium
# browser tests; then, with no arguments, plugin packages installed from outside the checkout (tests/plugin_packages.sh).
# Extra arguments go to pytest, e.g. `bash tests/run.sh tests/core -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Chromium (Debian package) for the browser tests…"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check core plugins tests
.venv/bin/ruff check docs/examples/wangge
.venv/bin/python -m pytest -n 2 "$@"
# The whole run (no arguments) also tests plugin packages installed from outside the checkout.
if [ $# -eq 0 ]; then
  bash tests/plugin_packages.sh
fi
