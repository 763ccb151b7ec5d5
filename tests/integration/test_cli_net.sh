#!/usr/bin/env bash
# plan, serve and offload from the command line, on loopback only: the plan table, JSON and
# split.svg; a profile of another model refused; a token-protected server on a free port; split
# runs equal to local runs; a wrong token and a stopped server finish locally; SIGTERM stops the
# server cleanly.
source "$(dirname "$0")/test_cli_helpers.bash"

T="timeout 60"
$T "$CLI" profile mlp --runs 3 --min-time 0 --warmup 0 --json "$TMP/edge.json" >/dev/null 2>&1
$T "$CLI" profile lstm --runs 3 --min-time 0 --warmup 0 --json "$TMP/lstm.json" >/dev/null 2>&1
check "profiles written" test -s "$TMP/edge.json" -a -s "$TMP/lstm.json"

out=$($T "$CLI" plan mlp --edge "$TMP/edge.json" --server "$TMP/edge.json" --network lte \
  --objective energy --sweep-bandwidth --json "$TMP/plan.json" 2>&1)
check "plan succeeds" test $? -eq 0
check "plan marks the best cut" grep -q "Best for energy" <<<"$out"
check "plan names the preset" grep -q "5.85 Mbit/s" <<<"$out"
check "split.svg beside the JSON" grep -q "</svg>" "$TMP/split.svg"
if have_python; then
  check "plan JSON" json_check "$TMP/plan.json" "
assert d['kind'] == 'plan' and d['model'] == 'mlp' and d['objective'] == 'energy'
assert len(d['cuts']) == d['nodes'] + 1 and 0 <= d['best'] <= d['nodes']
assert d['best'] == d['best_energy']
assert abs(d['network']['uplink_bps'] - 5.85e6) < 1
assert len(d['sweep']) == 41
c = d['cuts'][0]
assert abs(c['total_ms'] - (c['edge_ms'] + c['upload_ms'] + c['rtt_ms'] + c['server_ms'] + c['download_ms'])) < 1e-5
"
fi
out=$($T "$CLI" plan mlp --edge "$TMP/edge.json" --server "$TMP/lstm.json" 2>&1)
check "another model's profile is refused (exit 2)" test $? -eq 2
check "the refusal names the other model" grep -q "'lstm'" <<<"$out"
$T "$CLI" plan mlp --edge "$TMP/edge.json" --server "$TMP/edge.json" --bandwidth fast >/dev/null 2>&1
check "a bad --bandwidth is refused" test $? -eq 2
$T "$CLI" plan mlp --edge "$TMP/edge.json" >/dev/null 2>&1
check "plan needs --server" test $? -eq 2

printf 'let-me-in\n' >"$TMP/token"
printf 'wrong\n' >"$TMP/bad-token"
# An ONNX file is served by the SHA-256 of its bytes.
files=()
if "$CLI" export mlp -o "$TMP/mlp.onnx" >/dev/null 2>&1; then files=("$TMP/mlp.onnx"); fi
$T "$CLI" serve "${files[@]}" --listen 127.0.0.1:0 --token-file "$TMP/token" --max-clients 4 \
  >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
port=""
for _ in $(seq $((100 * TIME_SCALE))); do
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$TMP/serve.out" 2>/dev/null | sed 's/.*://')
  [[ -n "$port" ]] && break
  sleep 0.1
done
check "serve reports its port" test -n "$port"

out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --token-file "$TMP/token" --split 2 \
  --runs 3 --verify 2>&1)
check "offload --split 2 succeeds" test $? -eq 0
check "every run split with the server" grep -q "3 split with the server" <<<"$out"
check "every run equal to local" grep -q "3 of 3 equal" <<<"$out"
out=$($T "$CLI" offload lstm --server "127.0.0.1:$port" --token-file "$TMP/token" --runs 3 \
  --verify --json "$TMP/offload.json" 2>&1)
check "offload --split auto succeeds" test $? -eq 0
check "auto plans a split" grep -q "split auto (prefix cuts): k=" <<<"$out"
if have_python; then
  check "offload JSON" json_check "$TMP/offload.json" "
assert d['kind'] == 'offload' and len(d['runs']) == 3
assert all(r['equal_to_local'] for r in d['runs'])
"
fi
"$CLI" run mlp --output "$TMP/run.npy" >/dev/null 2>&1
$T "$CLI" offload mlp --server "127.0.0.1:$port" --token-file "$TMP/token" --split remote \
  --runs 1 --output "$TMP/offload.npy" >/dev/null 2>&1
check "offload --output equals run --output" cmp -s "$TMP/run.npy" "$TMP/offload.npy"
if [[ ${#files[@]} -gt 0 ]]; then
  out=$($T "$CLI" offload "$TMP/mlp.onnx" --server "127.0.0.1:$port" --token-file "$TMP/token" \
    --split 1 --runs 2 --verify 2>&1)
  check "an ONNX file by hash: split and equal" grep -q "2 split with the server.*2 of 2 equal" <<<"$out"
fi
out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --token-file "$TMP/bad-token" --split 1 \
  --runs 2 --verify 2>&1)
check "a wrong token is an error (exit 1)" test $? -eq 1
check "a wrong token says so" grep -q "refused the token" <<<"$out"
out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --token-file "$TMP/bad-token" --split 1 \
  --runs 2 --verify --fallback local 2>&1)
check "--fallback local: a wrong token still gives the result (exit 0)" test $? -eq 0
check "--fallback local: finishes locally and says why" \
  grep -q "finished here: .*unauthorized" <<<"$out"
# A stopped server (SIGSTOP) costs one --timeout, then the client backs off and runs here.
serve_pid=$(pgrep -P "$SERVER" | head -1) # the server itself, not the `timeout` around it
kill -STOP "$serve_pid"
for _ in $(seq 100); do # until it is stopped for sure
  [[ "$(awk '{print $3}' "/proc/$serve_pid/stat" 2>/dev/null)" == T ]] && break
  sleep 0.02
done
start=$(date +%s.%N)
out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --token-file "$TMP/token" --split 2 \
  --runs 4 --verify --timeout 1s --backoff 60s 2>&1)
rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
kill -CONT "$serve_pid"
check "a stopped server: still the result (exit 0)" test $rc -eq 0
check "a stopped server: every run finished here" grep -q "0 split with the server, 4 finished here" <<<"$out"
check "a stopped server: the client backs off and says so" \
  test "$(grep -c 'finished here: backing off' <<<"$out")" -eq 4
check "a stopped server costs one timeout, not one per request ($took s)" \
  test "$(echo "$took < 8" | bc)" -eq 1
$T "$CLI" offload mlp --server "127.0.0.1:$port" --split 99 >/dev/null 2>&1
check "a split past the end is refused" test $? -eq 2
$T "$CLI" offload mlp --server "127.0.0.1:0" >/dev/null 2>&1
check "port 0 is refused for a client" test $? -eq 2

kill -TERM "$SERVER"
wait "$SERVER"
check "SIGTERM stops the server cleanly (exit 0)" test $? -eq 0
check "the server reports what it served" grep -q "stopped after" "$TMP/serve.out"
out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --split 2 --runs 2 --verify 2>&1)
check "no server: still the result (exit 0)" test $? -eq 0
check "no server: finished here" grep -q "0 split with the server, 2 finished here" <<<"$out"
finish
