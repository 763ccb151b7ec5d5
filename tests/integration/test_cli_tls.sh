#!/usr/bin/env bash
# TLS for the native protocol, on loopback, with a throwaway CA made here with the openssl CLI:
# offload --tls-ca reaches serve --tls-cert/--tls-key and gets results equal to local runs; a
# certificate from another CA and a client without TLS are refused (the runs finish locally and
# say why) and the server keeps serving; a non-loopback address without a token and without TLS
# is refused unless --insecure. Skips (77) without openssl or without TLS in this build.
source "$(dirname "$0")/test_cli_helpers.bash"

T="timeout 60"
command -v openssl >/dev/null || { echo "skip: no openssl CLI"; exit 77; }
ca() { # ca NAME: a self-signed CA
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=edgeprof test $1" -keyout "$TMP/$1.key" -out "$TMP/$1.pem" 2>/dev/null
}
ca ca && ca other-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$TMP/server.key" -out "$TMP/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
  -days 1 -extfile "$TMP/san.ext" -out "$TMP/server.pem" 2>/dev/null
check "a throwaway CA and a server certificate" test -s "$TMP/server.pem"
printf 'tls-token\n' >"$TMP/token"

$T "$CLI" serve --listen 127.0.0.1:0 --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" \
  --token-file "$TMP/token" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$TMP/serve.out" 2>/dev/null | sed 's/.*://')
  [[ -n "$port" ]] && break
  if ! kill -0 "$SERVER" 2>/dev/null; then break; fi
  sleep 0.1
done
if grep -q "not in this build" "$TMP/serve.err"; then
  echo "skip: TLS is not in this build"
  exit 77
fi
check "serve with TLS reports its port" test -n "$port"
check "serve says TLS" grep -q ", TLS" "$TMP/serve.out"

out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --tls-ca "$TMP/ca.pem" \
  --token-file "$TMP/token" --split 2 --runs 3 --verify 2>&1)
check "TLS: offload succeeds" test $? -eq 0
check "TLS: every run split with the server and equal to local" \
  grep -q "3 split with the server, 0 finished here.*3 of 3 equal" <<<"$out"

# A server the CA does not vouch for may not be the server meant: an error, as a refused token.
$T "$CLI" offload mlp --server "127.0.0.1:$port" --tls-ca "$TMP/other-ca.pem" \
  --token-file "$TMP/token" --split 2 --runs 2 --verify --backoff 0 >"$TMP/untrusted.out" 2>"$TMP/untrusted.err"
check "another CA: exit 1" test $? -eq 1
check "another CA: one line says the certificate is not trusted" \
  test "$(grep -c "not trusted" "$TMP/untrusted.err")" = 1
out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --tls-ca "$TMP/other-ca.pem" \
  --token-file "$TMP/token" --split 2 --runs 2 --verify --backoff 0 --fallback local 2>&1)
check "another CA, --fallback local: the result (exit 0)" test $? -eq 0
check "another CA, --fallback local: finished here, not trusted" grep -q "finished here: .*not trusted" <<<"$out"
check "another CA, --fallback local: nothing split" grep -q "0 split with the server, 2 finished here" <<<"$out"

out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --token-file "$TMP/token" --split 2 \
  --runs 2 --verify --backoff 0 --timeout 3s 2>&1)
check "no TLS against a TLS server: still the result (exit 0)" test $? -eq 0
check "no TLS against a TLS server: nothing split" \
  grep -q "0 split with the server, 2 finished here" <<<"$out"

out=$($T "$CLI" offload mlp --server "127.0.0.1:$port" --tls-ca "$TMP/ca.pem" \
  --token-file "$TMP/token" --split 1 --runs 1 --verify 2>&1)
check "the server still serves TLS clients after those" grep -q "1 split with the server" <<<"$out"

kill -TERM "$SERVER"
wait "$SERVER"
check "SIGTERM stops the TLS server cleanly (exit 0)" test $? -eq 0

# Refused before anything is bound: an address other machines reach, without token or TLS.
out=$($T "$CLI" serve --listen 0.0.0.0:0 2>&1)
check "0.0.0.0 without a token or TLS is refused (exit 2)" test $? -eq 2
check "the refusal says what to add" grep -q -- "--insecure" <<<"$out"
$T "$CLI" serve --listen 127.0.0.1:0 --tls-cert "$TMP/server.pem" >/dev/null 2>&1
check "--tls-cert without --tls-key is refused" test $? -eq 2
$T "$CLI" serve --listen 127.0.0.1:0 --tls-cert "$TMP/ca.key" --tls-key "$TMP/server.key" \
  >/dev/null 2>"$TMP/bad.err"
check "a key file as certificate is refused with one line" test "$(wc -l <"$TMP/bad.err")" -eq 1
$T "$CLI" offload mlp --server 127.0.0.1:1 --tls-ca "$TMP/nonexistent.pem" --runs 1 \
  >/dev/null 2>&1
check "offload: an unreadable --tls-ca is refused (exit 2)" test $? -eq 2
finish
