#!/usr/bin/env bash
# A county office's first day, from the built wheel (issue #12): build the wheel, install it (not editable) into a
# fresh virtual environment in a temporary folder outside the checkout, and use it there — the demo, a new site, its
# database, a register import, an account linked to a register person, and a served /-/health.
# Any failing step stops the script with its output (set -e). pip's cache keeps the install fast.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_PY="${ROOT}/.venv/bin/python"
[ -x "$BUILD_PY" ] || BUILD_PY="python3"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cunwu-wheel-XXXXXX")"
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "== wheel journey: $*" >&2; }
# pip, without the machine-level notes about index folders that do not exist (its errors still show, and fail).
quiet_pip() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
fail() { echo "!! wheel journey FAILED: $*" >&2; exit 1; }

step "build the wheel"
quiet_pip "$BUILD_PY" -m pip wheel -q --no-deps --wheel-dir "$WORK/dist" "$ROOT"
WHEEL="$(ls "$WORK"/dist/cunwu-*.whl)"

step "install $(basename "$WHEEL") into a fresh venv in $WORK"
python3 -m venv "$WORK/venv"
quiet_pip "$WORK/venv/bin/python" -m pip install -q "$WHEEL"
CUNWU="$WORK/venv/bin/cunwu"

mkdir -p "$WORK/county"
cd "$WORK/county"  # a county's own folder: nothing of the checkout is reachable from here
unset CUNWU_SITES_DIR CUNWU_DATABASE_URL CUNWU_SITES PYTHONPATH
export CUNWU_DATA_DIR="$WORK/county/var" CUNWU_REDIS_URL=""
"$WORK/venv/bin/python" - <<'EOF'
import cunwu, pathlib
where = pathlib.Path(cunwu.__file__).resolve()
assert "site-packages" in where.parts, f"cunwu imported from {where}, not from the installed wheel"
EOF

step "cunwu demo --no-serve (the bundled demo site)"
"$CUNWU" demo --no-serve
[ -s var/demo.sqlite3 ] || fail "cunwu demo wrote no var/demo.sqlite3"

step "cunwu site new hejian"
"$CUNWU" site new hejian --name 河间市 --name-en "Hejian" --division-code 130984 \
  --village 130984100201:城关村:瀛州镇 --village 130984101201:米各庄村:米各庄镇 --enable yishi --enable dibao
[ -f sites/hejian/site.toml ] || fail "cunwu site new wrote no sites/hejian/site.toml"

step "cunwu db upgrade"
"$CUNWU" db upgrade

step "cunwu registry import (before the first start)"
cat > register.csv <<'EOF'
户号,与户主关系,姓名,性别,出生日期,身份证号,联系电话,住址,状态
0001,户主,王建国,男,1968-03-12,130984196803120114,13812345678,城关村一组 3 号,在村
0001,配偶,李秀英,女,1970-07-02,130984197007020221,,城关村一组 3 号,在村
0001,子女,王小明,男,1995-01-30,130984199501300332,,城关村一组 3 号,外出务工
0002,户主,张志强,男,1972-11-05,130984197211050452,13912345678,城关村二组 8 号,在村
EOF
"$CUNWU" registry import register.csv --village 130984100201
"$CUNWU" registry import register.csv --village 130984100201 --commit 2>&1 | tee "$WORK/import.log"
grep -q "已导入 4 行" "$WORK/import.log" || fail "the register import did not report 4 rows"

step "cunwu users create --person (an account linked to a register person)"
"$CUNWU" users create --username wang --name 王建国 --password long-enough-1 --role villager:130984100201 \
  --person 130984196803120114

step "cunwu serve, then GET /-/health"
PORT="$("$WORK/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$CUNWU" serve --port "$PORT" > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$PORT/-/health" -o "$WORK/health.json" 2>/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; fail "cunwu serve exited"; }
  sleep 0.5
done
grep -q '"status":"ok"' "$WORK/health.json" 2>/dev/null || { cat "$WORK/serve.log" >&2; fail "/-/health did not answer ok"; }
grep -q '"site":"hejian"' "$WORK/health.json" || fail "/-/health answered for another site: $(cat "$WORK/health.json")"
curl -fsS "http://127.0.0.1:$PORT/" | grep -q "河间市" || fail "the home page does not show the site's name"
curl -fsS "http://127.0.0.1:$PORT/static/cunwu.css" -o /dev/null || fail "the default theme's stylesheet is not served"

step "passed"
