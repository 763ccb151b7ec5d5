#!/usr/bin/env bash
# KServe v2 over HTTP on loopback (curl as the client): health, metadata and readiness, infer
# with JSON and binary tensors equal to a local run bit for bit, node ranges by name, the errors
# (404, 400, 405, 413), the bearer token on every request, /metrics, offload through HTTP with
# its fallback, the exposure rule (no token, no TLS, not loopback: refused), export --from/--to.
source "$(dirname "$0")/test_cli_helpers.bash"
# A build without libmicrohttpd/libcurl (the arm64 cross build) says so instead of serving.
if "$CLI" serve --listen off --http 127.0.0.1:0 --tls-cert /nonexistent/c --tls-key /nonexistent/k 2>&1 |
  grep -q "not in this build"; then
  echo "skip: no --http in this build" >&2
  exit 77
fi
if ! command -v curl >/dev/null; then
  echo "skip: no curl" >&2
  exit 77
fi
T="timeout 60"
printf 'let-me-in\n' >"$TMP/token"
"$CLI" export mlp -o "$TMP/mlp.onnx" >/dev/null 2>&1
check "export writes an ONNX file to serve" test -s "$TMP/mlp.onnx"

# --- the exposure rule, before anything listens ---------------------------------------------
$T "$CLI" serve --listen off --http 0.0.0.0:0 >"$TMP/exposed.out" 2>&1
check "an open non-loopback HTTP listener is refused (exit 2)" test $? -eq 2
check "the refusal says what to add" grep -q -- "--insecure" "$TMP/exposed.out"
$T "$CLI" serve --listen 0.0.0.0:0 >/dev/null 2>&1
check "an open non-loopback native listener is refused (exit 2)" test $? -eq 2
$T "$CLI" serve --listen off >/dev/null 2>&1
check "--listen off without --http is refused" test $? -eq 2
$T "$CLI" serve --http 127.0.0.1:0 --tls-cert "$TMP/token" >/dev/null 2>&1
check "--tls-cert without --tls-key is refused" test $? -eq 2

# --- a server with a token --------------------------------------------------------------------
$T "$CLI" serve "tiny=$TMP/mlp.onnx" --listen off --http 127.0.0.1:0 --token-file "$TMP/token" \
  >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve.out" 2>/dev/null)
  [[ -n "$url" ]] && break
  sleep 0.1
done
check "serve --http reports its URL" test -n "$url"
AUTH=(-H "Authorization: Bearer let-me-in")
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }

check "no token: 401" test "$(code "$url/v2/health/live")" = 401
check "a wrong token: 401" test "$(code -H 'Authorization: Bearer nope' "$url/v2/health/live")" = 401
check "no token on /metrics either: 401" test "$(code "$url/metrics")" = 401
check "no token on infer: 401 before the body" \
  test "$(code -X POST --data-binary @"$TMP/mlp.onnx" "$url/v2/models/mlp/infer")" = 401
check "live" test "$(code "${AUTH[@]}" "$url/v2/health/live")" = 200
check "ready" test "$(code "${AUTH[@]}" "$url/v2/health/ready")" = 200
check "server metadata names the binary extension" \
  grep -q binary_tensor_data <<<"$(curl -s "${AUTH[@]}" "$url/v2")"
check "model ready (zoo)" test "$(code "${AUTH[@]}" "$url/v2/models/mlp/ready")" = 200
check "model ready (a named file)" test "$(code "${AUTH[@]}" "$url/v2/models/tiny/ready")" = 200
check "unknown model: 404" test "$(code "${AUTH[@]}" "$url/v2/models/nope/ready")" = 404
check "a range past the end: 404" test "$(code "${AUTH[@]}" "$url/v2/models/mlp_from99")" = 404
check "GET infer: 405" test "$(code "${AUTH[@]}" "$url/v2/models/mlp/infer")" = 405
check "an unknown route: 404" test "$(code "${AUTH[@]}" "$url/v3/whatever")" = 404
curl -s "${AUTH[@]}" "$url/v2/models/mlp_from2" >"$TMP/meta.json"
if have_python; then
  check "metadata of a node range: the cut tensors" json_check "$TMP/meta.json" "
assert d['name'] == 'mlp_from2' and d['versions'] == ['1']
assert [i['shape'] for i in d['inputs']] == [[1, 4096]], d
assert [o['name'] for o in d['outputs']] == ['softmax'] and d['outputs'][0]['shape'] == [1, 10]
"
  # One input, JSON and binary: both equal to `edgeprof run` bit for bit.
  python3 - "$TMP" <<'PY'
import json, struct, sys, random
t = sys.argv[1]
random.seed(7)
x = [struct.unpack('<f', struct.pack('<f', random.uniform(-1, 1)))[0] for _ in range(784)]
with open(t + '/x.npy', 'wb') as f:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 784), }"
    header += ' ' * (118 - len(header)) + '\n'
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode())
    f.write(struct.pack('<784f', *x))
json.dump({'id': 'j1', 'inputs': [{'name': 'input', 'shape': [1, 784], 'datatype': 'FP32', 'data': x}]},
          open(t + '/req.json', 'w'))
head = json.dumps({'inputs': [{'name': 'input', 'shape': [1, 784], 'datatype': 'FP32',
                               'parameters': {'binary_data_size': 784 * 4}}],
                   'outputs': [{'name': 'softmax', 'parameters': {'binary_data': True}}]}).encode()
open(t + '/req.bin', 'wb').write(head + struct.pack('<784f', *x))
open(t + '/req.hl', 'w').write(str(len(head)))
open(t + '/bad.json', 'w').write(json.dumps({'inputs': [{'name': 'input', 'shape': [1, 3], 'datatype': 'FP32', 'data': [1, 2, 3]}]}))
PY
  "$CLI" run mlp --input "$TMP/x.npy" --output "$TMP/y.npy" >/dev/null 2>&1
  check "JSON infer: 200" test "$(code "${AUTH[@]}" -X POST --data-binary @"$TMP/req.json" "$url/v2/models/mlp/infer")" = 200
  cp "$TMP/body" "$TMP/answer.json"
  check "binary infer: 200" test "$(curl -s -D "$TMP/headers" -o "$TMP/answer.bin" -w '%{http_code}' "${AUTH[@]}" \
    -H "Inference-Header-Content-Length: $(cat "$TMP/req.hl")" -X POST --data-binary @"$TMP/req.bin" \
    "$url/v2/models/tiny/infer")" = 200
  check "both answers equal the local run bit for bit" python3 - "$TMP" <<'PY'
import json, re, struct, sys
t = sys.argv[1]
raw = open(t + '/y.npy', 'rb').read()
hl = struct.unpack('<H', raw[8:10])[0]
y = list(struct.unpack('<10f', raw[10 + hl:]))
a = json.load(open(t + '/answer.json'))
assert a['id'] == 'j1' and a['model_name'] == 'mlp', a
out = a['outputs'][0]
assert out['name'] == 'softmax' and out['shape'] == [1, 10]
assert [struct.unpack('<f', struct.pack('<f', v))[0] for v in out['data']] == y, (out['data'], y)
headers = open(t + '/headers').read()
n = int(re.search(r'(?i)inference-header-content-length: *(\d+)', headers).group(1))
body = open(t + '/answer.bin', 'rb').read()
b = json.loads(body[:n])
assert b['outputs'][0]['parameters']['binary_data_size'] == 40, b
assert list(struct.unpack('<10f', body[n:])) == y
PY
  check "a wrong shape: 400 naming it" test "$(code "${AUTH[@]}" -X POST --data-binary @"$TMP/bad.json" "$url/v2/models/mlp/infer")" = 400
  check "the 400 says the expected shape" grep -q "1x784" "$TMP/body"
fi
check "a body that is not JSON: 400" test "$(code "${AUTH[@]}" -X POST -d 'garbage' "$url/v2/models/mlp/infer")" = 400
check "a binary header longer than the body: 400" test "$(code "${AUTH[@]}" -H 'Inference-Header-Content-Length: 999' -X POST -d '{}' "$url/v2/models/mlp/infer")" = 400
head -c 70000000 /dev/zero >"$TMP/huge"
check "a body over 64 MiB: 413 before it is read" test "$(code "${AUTH[@]}" -X POST --data-binary @"$TMP/huge" "$url/v2/models/mlp/infer")" = 413
rm -f "$TMP/huge"

# --- offload through HTTP ------------------------------------------------------------------------
out=$($T "$CLI" offload mlp --server "$url" --token-file "$TMP/token" --split 2 --runs 3 --verify 2>&1)
check "offload http:// --split 2 succeeds" test $? -eq 0
check "offload over HTTP: 3 split, 3 equal bit for bit" grep -q "3 split with the server.*3 of 3 equal" <<<"$out"
out=$($T "$CLI" offload mobilenet_v1 --server "$url/v2/models/mobilenet_v1_from12" --token-file "$TMP/token" \
  --runs 2 --verify 2>&1)
check "offload to a named range finds its cut" grep -q "nodes \[12, [0-9]*) there (--split auto" <<<"$out"
check "offload to a named range: equal" grep -q "2 split with the server.*2 of 2 equal" <<<"$out"
out=$($T "$CLI" offload mlp --server "$url" --token-file "$TMP/token" --split 1 --runs 2 --verify --v2-json 2>&1)
check "offload --v2-json: equal" grep -q "2 split with the server.*2 of 2 equal" <<<"$out"
out=$($T "$CLI" offload "$TMP/mlp.onnx" --server "$url" --remote-model tiny_from1 --token-file "$TMP/token" \
  --split 1 --runs 2 --verify 2>&1)
check "offload of a file to its served name: equal" grep -q "2 split with the server.*2 of 2 equal" <<<"$out"
out=$($T "$CLI" offload mlp --server "$url" --split 2 --runs 2 --verify 2>&1)
check "no token: a mistake to fix (exit 1), as for the native protocol" test $? -eq 1
check "no token: the refusal is named" grep -q "refused the token" <<<"$out"
out=$($T "$CLI" offload mlp --server "$url" --split 2 --runs 2 --verify --fallback local 2>&1)
check "no token, --fallback local: the result (exit 0)" test $? -eq 0
check "no token, --fallback local: finished here, saying 401" grep -q "finished here: .*401" <<<"$out"
$T "$CLI" offload mlp --server "$url" --token-file "$TMP/token" >/dev/null 2>&1
check "offload http:// without a model name or cut is refused (exit 2)" test $? -eq 2

metrics=$(curl -s "${AUTH[@]}" "$url/metrics")
check "/metrics: requests per model" grep -q '^edgeprof_inference_requests_total{model="mlp"} [1-9]' <<<"$metrics"
check "/metrics: errors per model" grep -q '^edgeprof_inference_errors_total{model="mlp"} [1-9]' <<<"$metrics"
check "/metrics: queue depth" grep -q '^edgeprof_inference_queue_depth{model="mlp"} 0' <<<"$metrics"
check "/metrics: a latency histogram" grep -q '^edgeprof_inference_latency_seconds_bucket{model="mlp",le="+Inf"} [1-9]' <<<"$metrics"
check "/metrics: 401s counted" grep -q '^edgeprof_http_unauthorized_total [1-9]' <<<"$metrics"

kill -TERM "$SERVER"
wait "$SERVER"
check "SIGTERM stops the HTTP server cleanly (exit 0)" test $? -eq 0
check "the server reports what it served" grep -q "HTTP stopped after" "$TMP/serve.out"
out=$($T "$CLI" offload mlp --server "$url" --split 2 --runs 2 --verify 2>&1)
check "no server: still the result (exit 0)" test $? -eq 0
check "no server: finished here" grep -q "0 split with the server, 2 finished here" <<<"$out"
check "no server: asked once, then backing off" grep -q "finished here: backing off: the server was unreachable" <<<"$out"
out=$($T "$CLI" offload mlp --server "$url" --split 2 --runs 2 --backoff 0 2>&1)
check "--backoff 0: asked every time" test "$(grep -c "backing off" <<<"$out")" = 0

# --- the model cache: --models pins and refuses the rest ----------------------------------------
$T "$CLI" serve --listen off --http 127.0.0.1:0 --models mlp >"$TMP/pinned.out" 2>"$TMP/pinned.err" &
PINNED=$!
purl=""
for _ in $(seq 100); do
  purl=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/pinned.out" 2>/dev/null)
  [[ -n "$purl" ]] && break
  sleep 0.1
done
check "serve --http --models starts" test -n "$purl"
check "a pinned model is ready" test "$(code "$purl/v2/models/mlp/ready")" = 200
check "a range of a pinned model is served" test "$(code "$purl/v2/models/mlp_from2")" = 200
check "a model not pinned is refused (404)" test "$(code "$purl/v2/models/lstm")" = 404
check "the refusal says why" grep -q "not" "$TMP/body"
check "/metrics: one model loaded" grep -q '^edgeprof_models_loaded 1' <<<"$(curl -s "$purl/metrics")"
kill -TERM "$PINNED"
wait "$PINNED"

# --- export of a node range ----------------------------------------------------------------------
out=$("$CLI" export inception_v1 --from 30 --to 60 --repository "$TMP/repo" -o "$TMP/mid.onnx" 2>&1)
check "export --from --to succeeds" test $? -eq 0
check "the range is named after its cuts" test -s "$TMP/repo/inception_v1_from30_to60/1/model.onnx"
check "config.pbtxt names the platform" grep -q 'platform: "onnxruntime_onnx"' "$TMP/repo/inception_v1_from30_to60/config.pbtxt"
check "the ONNX file loads back" "$CLI" info "$TMP/mid.onnx" >/dev/null 2>&1
"$CLI" export mlp --from 9 >/dev/null 2>&1
check "--from past the last node is refused" test $? -eq 2
"$CLI" export mlp --from 2 --to 1 -o "$TMP/x.onnx" >/dev/null 2>&1
check "--to before --from is refused" test $? -eq 2
"$CLI" export mlp --to 2 -o "$TMP/x.onnx" >/dev/null 2>&1
check "--to without --from is refused" test $? -eq 2

# --- silent connections from one address do not lock out a client holding the token ----------
$T "$CLI" serve --listen off --http 127.0.0.1:0 --token-file "$TMP/token" --max-clients 8 \
  --max-per-address 4 >"$TMP/silent.out" 2>"$TMP/silent.err" &
SILENT_SERVER=$!
surl=""
for _ in $(seq 100); do
  surl=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/silent.out" 2>/dev/null)
  [[ -n "$surl" ]] && break
  sleep 0.1
done
check "a server with --max-clients 8 --max-per-address 4 starts" test -n "$surl"
# 12 connections from 127.0.0.1 that never send a byte, held open while a client from 127.0.0.2
# (another address of the loopback network) asks with the token.
python3 - "${surl##*:}" >"$TMP/silent.py.out" 2>&1 <<'PY' &
import socket, sys, time
held = []
for _ in range(12):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    held.append(s)
print("holding", len(held), flush=True)
time.sleep(8)
PY
HOLDER=$!
for _ in $(seq 50); do grep -q holding "$TMP/silent.py.out" 2>/dev/null && break; sleep 0.1; done
check "12 silent connections are open" grep -q "holding 12" "$TMP/silent.py.out"
sleep 0.3
started=$(date +%s%N)
status=$(curl -s -o /dev/null -w '%{http_code}' -m 5 --interface 127.0.0.2 "${AUTH[@]}" \
  "$surl/v2/health/ready")
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
check "the token holder from another address is served at once (200 in ${elapsed_ms} ms)" \
  test "$status" = 200 -a "$elapsed_ms" -lt 3000
# The same request from the silent connections' address finds its 4 slots taken.
status=$(curl -s -o /dev/null -w '%{http_code}' -m 3 "${AUTH[@]}" "$surl/v2/health/ready")
check "a fifth connection from the silent address is closed (not served)" test "$status" != 200
kill "$HOLDER" "$SILENT_SERVER" 2>/dev/null
wait "$HOLDER" "$SILENT_SERVER" 2>/dev/null
finish
