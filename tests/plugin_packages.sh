#!/usr/bin/env bash
# Plugin packages outside the core, installed with pip next to cunwu, each running its own tests with the shipped
# test kit: a package fresh from `cunwu plugins new` and the worked example docs/examples/wangge. They are installed
# into a throw-away folder put on PYTHONPATH, never into .venv, so the project's own tests never see them.
# (The suite's tests/core/test_scaffold.py already runs a generated package's tests without installing it.)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run_installed() {  # run_installed NAME SOURCE_FOLDER: install SOURCE into $work/NAME-site, run a copy of its tests
  local name="$1" source="$2"
  echo "== $name: pip install $source, then its tests"
  cp -r "$source" "$work/$name-src"  # build from a copy: no build/ or egg-info left in the checkout
  "$PY" -m pip install -q --no-deps --target "$work/$name-site" "$work/$name-src"
  cp -r "$source/tests" "$work/$name-tests"
  (cd "$work/$name-tests" && PYTHONPATH="$work/$name-site" "$PY" -m pytest -q -p no:cacheprovider --rootdir .)
}

"$PY" -m cunwu plugins new ci_probe --dir "$work/cunwu-ci_probe" >/dev/null 2>&1
run_installed ci_probe "$work/cunwu-ci_probe"
run_installed wangge docs/examples/wangge
