#!/usr/bin/env bash
# Install what the tests need on a fresh Debian/Ubuntu machine, then run the whole suite:
# unit and web tests, PostgreSQL tests (CUNWU_TEST_PG_URL, default 127.0.0.1:5432/test) and headless-Chromium
# browser tests; then, with no arguments, plugin packages installed from outside the checkout (tests/plugin_packages.sh)
# and a sampled mutation-testing run. Extra arguments go to pytest, e.g. `bash tests/run.sh tests/core -x`.
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

# Redis for the session-store test (under CI=true a missing server fails it): start one unless one answers.
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing redis-server (Debian package) for the session-store test…"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
  fi
  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done
fi

.venv/bin/ruff check core plugins tests
.venv/bin/ruff check docs/examples/wangge
.venv/bin/python -m pytest -n 2 "$@"

# The whole suite (no arguments) also tests plugin packages installed from outside the checkout, and a fixed sample
# of mutants of the legal arithmetic, failing under 95 % killed (docs/testing.md). The full mutation run is
# `.venv/bin/python -m tests.mutation --jobs 2`.
if [ $# -eq 0 ]; then
  bash tests/plugin_packages.sh
  .venv/bin/python -m tests.mutation --sample 30 --jobs 2
fi
