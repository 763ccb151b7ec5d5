#!/usr/bin/env bash
# Files are handled safely (issue 18, item 7): results go only to regular files, inputs must be
# regular files (a FIFO is refused, never waited on), temporary files are removed on SIGPIPE and
# left-overs of killed runs cleaned up, names from model files are printed with control
# characters escaped, report.md escapes what it quotes, plan refuses unknown schema versions and
# absurd times, .npy files with trailing bytes are refused.
source "$(dirname "$0")/test_cli_helpers.bash"
have_python || { echo "python3 missing" >&2; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
CLI=$(cd "$(dirname "$CLI")" && pwd)/$(basename "$CLI") # absolute: the test works in $TMP
cd "$TMP" || exit 1
FAST=(--runs 3 --min-time 0)
quiet() { "$@" >/dev/null 2>&1; }

# expect_refused DESCRIPTION PATTERN ARGS...: exit 2 within 20 s (no hang), one error line
# matching PATTERN, nothing on stdout.
expect_refused() {
  local what=$1 pattern=$2; shift 2
  local rc=0
  timeout 20 "$CLI" "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  if [[ $rc -ne 2 ]]; then
    fail "$what: exit $rc, expected 2 ($(head -c 200 "$TMP/stderr"))"
  elif [[ $(wc -l <"$TMP/stderr") -ne 1 ]] || ! grep -q -- "$pattern" "$TMP/stderr"; then
    fail "$what: stderr: $(head -c 300 "$TMP/stderr")"
  elif [[ -s "$TMP/stdout" ]]; then
    fail "$what: wrote to stdout"
  else
    pass
  fi
}

# Output targets that are not regular files.
echo keep >real.json
ln -s real.json link.json
mkfifo fifo.json
expect_refused "--json to a symbolic link" "symbolic link" bench mlp "${FAST[@]}" --json link.json
check "the link's target is untouched" test "$(cat real.json)" = keep
check "the link is still a link" test -L link.json
expect_refused "--json to a FIFO" "FIFO" bench mlp "${FAST[@]}" --json fifo.json
expect_refused "--json to a device" "device" profile mlp "${FAST[@]}" --json /dev/null
expect_refused "--csv to a FIFO" "FIFO" profile mlp "${FAST[@]}" --csv fifo.json
expect_refused "export -o to a symbolic link" "symbolic link" export mlp -o link.json
check "no temporary files left" test -z "$(ls | grep '\.tmp\.')"

# Inputs that are not regular files: refused at once (a FIFO without a writer would block).
mkfifo model.onnx in.npy profile.json token
mkdir -p fifo-results && mkfifo fifo-results/results.json
expect_refused "MODEL that is a FIFO" "FIFO" info model.onnx
expect_refused "run --input FIFO" "FIFO" run mlp --input in.npy
expect_refused "plan --edge FIFO" "FIFO" plan mlp --edge profile.json --server profile.json
expect_refused "report of a FIFO results.json" "FIFO" report fifo-results --out rep
expect_refused "serve --token-file FIFO" "FIFO" serve --token-file token --listen 127.0.0.1:0
expect_refused "run --input a folder" "folder" run mlp --input fifo-results

# SIGPIPE: stdout's reader is gone while the JSON is still a temporary file (the node table is
# longer than stdout's buffer, so the process dies writing it, before the commit).
"$CLI" profile mobilenet_v1 --runs 1 --min-time 0 --top 100 --json pipe.json | true
check "SIGPIPE: no temporary file left" test -z "$(ls | grep 'pipe.json.tmp')"

# A run killed with SIGKILL leaves its temporary file; the next run to that path removes it.
"$CLI" bench mlp --runs 1000000 --min-time 0 --json killed.json >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -e killed.json.tmp.$pid ]] && break; sleep 0.1; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
check "SIGKILL left killed.json.tmp.$pid (the case to clean)" test -e "killed.json.tmp.$pid"
check "the next run succeeds" quiet "$CLI" bench mlp "${FAST[@]}" --json killed.json
check "and removed the stale temporary file" test ! -e "killed.json.tmp.$pid"
touch killed.json.tmp.1   # pid 1 is alive: not ours to remove
"$CLI" bench mlp "${FAST[@]}" --json killed.json >/dev/null 2>&1
check "a live process's temporary file is kept" test -e killed.json.tmp.1

# Control characters in names from a model file: escaped wherever they are printed.
if "$CLI" export mlp -o esc.onnx >/dev/null 2>&1; then
  python3 - <<'PY'
d = open("esc.onnx", "rb").read()
# Same length, so the protobuf stays valid: ESC [2J (clear screen) in the node's name.
open("esc.onnx", "wb").write(d.replace(b"fc1/MatMul", b"\x1b[2Jfc1/MM"))
PY
  if "$CLI" info esc.onnx --json esc.json >esc.txt 2>&1; then
    pass
    check "info prints no raw ESC" test "$(grep -c $'\x1b' esc.txt)" -eq 0
    check "info shows it escaped" grep -qF '\x1b[2Jfc1/MM' esc.txt
    check "the JSON holds the escaped name" json_check esc.json "
assert any(n['name'] == '\\\\x1b[2Jfc1/MM' for n in d['nodes']), [n['name'] for n in d['nodes']]"
  else
    fail "info of a model with a control character in a name: $(head -c 200 esc.txt)"
  fi
fi

# report.md escapes what it quotes.
python3 "$HERE/synthetic_results.py" syn >/dev/null
python3 - <<'PY'
import json
p = "syn/phone/results.json"
d = json.load(open(p))
d["platform"]["cpu_model"] = "Snap*dragon* <b>835</b> [x](http://e) `c` | _u_"
json.dump(d, open(p, "w"))
PY
if "$CLI" report syn/phone --out rep >/dev/null 2>"$TMP/stderr"; then
  check "report.md: no raw HTML, emphasis, link or code from a quoted string" python3 - rep/report.md <<'PY'
import sys
md = open(sys.argv[1]).read()
assert "<b>" not in md and "[x](http" not in md and "*dragon*" not in md and "`c`" not in md, md[:2000]
assert r"Snap\*dragon\* \<b\>835\</b\> \[x\](http://e) \`c\` \| \_u\_" in md, [l for l in md.splitlines() if "Snap" in l]
PY
else
  fail "report of a machine with a strange CPU name: $(cat "$TMP/stderr")"
fi

# plan: unknown schema versions, other documents, non-finite and absurd times.
if "$CLI" profile mlp "${FAST[@]}" --json edge.json >/dev/null 2>&1; then
  python3 - <<'PY'
import json
d = json.load(open("edge.json"))
def save(name, **change):
    e = json.loads(json.dumps(d)); e.update(change); json.dump(e, open(name, "w"))
save("v99.json", schema_version=99)
save("bench.json", kind="bench")
n = json.loads(json.dumps(d["nodes"])); n[0]["avg_ms"] = 1e12; save("absurd.json", nodes=n)
open("nan.json", "w").write(json.dumps(d).replace('"avg_ms": %s' % json.dumps(d["nodes"][0]["avg_ms"]), '"avg_ms": NaN', 1))
PY
  expect_refused "plan: schema_version 99" "schema_version 99" plan mlp --edge v99.json --server edge.json
  expect_refused "plan: a bench document" "not a profile" plan mlp --edge bench.json --server edge.json
  expect_refused "plan: a node of 10^12 ms" "more than an hour" plan mlp --edge edge.json --server absurd.json
  expect_refused "plan: NaN time" "nan.json" plan mlp --edge nan.json --server edge.json
  check "plan: the unchanged profiles still plan" quiet "$CLI" plan mlp --edge edge.json --server edge.json
fi

# .npy with trailing bytes.
python3 - <<'PY'
import struct
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 784), }"
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
body = struct.pack("<784f", *([0.5] * 784))
prefix = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
open("good.npy", "wb").write(prefix + body)
open("trailing.npy", "wb").write(prefix + body + b"\x00\x00\x00\x00")
PY
check "a well-formed .npy is read" quiet "$CLI" run mlp --input good.npy
expect_refused ".npy with trailing bytes" "trailing bytes" run mlp --input trailing.npy

finish
