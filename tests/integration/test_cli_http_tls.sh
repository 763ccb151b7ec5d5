#!/usr/bin/env bash
# HTTPS for the KServe v2 listener with a throwaway CA made here (openssl CLI): a server
# certificate for 127.0.0.1 signed by it; offload --tls-ca checks it and gets results equal to a
# local run; a client with another CA refuses the server (exit 1; with --fallback local the result is computed here);
# plain HTTP to the HTTPS port gets nothing. Loopback only.
source "$(dirname "$0")/test_cli_helpers.bash"
# A build without libmicrohttpd/libcurl (the arm64 cross build) says so instead of serving.
if "$CLI" serve --listen off --http 127.0.0.1:0 --tls-cert /nonexistent/c --tls-key /nonexistent/k 2>&1 |
  grep -q "not in this build"; then
  echo "skip: no --http in this build" >&2
  exit 77
fi
for tool in openssl curl; do
  if ! command -v $tool >/dev/null; then
    echo "skip: no $tool" >&2
    exit 77
  fi
done
T="timeout 60"
ossl() { openssl "$@" >/dev/null 2>&1; }
# The CA, a second CA nobody trusts, and the server's key and certificate (SAN 127.0.0.1).
ossl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=edgeprof test CA" \
  -keyout "$TMP/ca.key" -out "$TMP/ca.pem"
ossl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other CA" \
  -keyout "$TMP/other.key" -out "$TMP/other.pem"
ossl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$TMP/server.key" -out "$TMP/server.csr"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TMP/san.ext"
ossl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
  -days 1 -extfile "$TMP/san.ext" -out "$TMP/server.pem"
check "a throwaway CA and a server certificate" test -s "$TMP/server.pem"
printf 'let-me-in\n' >"$TMP/token"

$T "$CLI" serve --listen off --http 127.0.0.1:0 --tls-cert "$TMP/server.pem" --tls-key "$TMP/token" \
  >"$TMP/bad.out" 2>&1
check "a key that is not PEM is refused" test $? -ne 0
$T "$CLI" serve --listen off --http 127.0.0.1:0 --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" \
  --token-file "$TMP/token" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'https://127.0.0.1:[0-9]*' "$TMP/serve.out" 2>/dev/null)
  [[ -n "$url" ]] && break
  sleep 0.1
done
check "serve --http with a certificate reports an https URL" test -n "$url"
port=${url##*:}

check "curl with the CA: live over HTTPS" test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/ca.pem" \
  -H 'Authorization: Bearer let-me-in' "$url/v2/health/live")" = 200
curl -s -o /dev/null --cacert "$TMP/other.pem" "$url/v2/health/live"
check "curl with another CA refuses the server" test $? -ne 0
curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/v2/health/live"
check "plain HTTP to the HTTPS port gets no answer" test $? -ne 0

out=$($T "$CLI" offload mlp --server "$url" --tls-ca "$TMP/ca.pem" --token-file "$TMP/token" \
  --split 2 --runs 3 --verify 2>&1)
check "offload https:// with --tls-ca succeeds" test $? -eq 0
check "offload over HTTPS: 3 split, 3 equal bit for bit" grep -q "3 split with the server.*3 of 3 equal" <<<"$out"
$T "$CLI" offload mlp --server "$url" --tls-ca "$TMP/other.pem" --token-file "$TMP/token" \
  --split 2 --runs 2 --verify >"$TMP/untrusted.out" 2>"$TMP/untrusted.err"
check "another CA: exit 1" test $? -eq 1
check "another CA: the error says the certificate is not trusted" grep -q "not trusted" "$TMP/untrusted.err"
out=$($T "$CLI" offload mlp --server "$url" --tls-ca "$TMP/other.pem" --token-file "$TMP/token" \
  --split 2 --runs 2 --verify --fallback local 2>&1)
check "another CA, --fallback local: the result (exit 0)" test $? -eq 0
check "another CA, --fallback local: the server is refused, finished here" grep -q "0 split with the server, 2 finished here" <<<"$out"
out=$($T "$CLI" offload mlp --server "https://localhost:$port" --tls-ca "$TMP/ca.pem" --token-file "$TMP/token" \
  --split 2 --runs 1 --verify 2>&1)
check "the certificate's DNS name works too" grep -q "1 split with the server" <<<"$out"
kill -TERM "$SERVER"
wait "$SERVER"
check "SIGTERM stops the HTTPS server cleanly" test $? -eq 0

finish
