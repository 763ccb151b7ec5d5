#!/usr/bin/env bash
# Bad input to the CLI: exit status 2, exactly one line on stderr ("edgeprof: ..."), nothing on
# stdout, no crash, and no output file (nor temporary file) left behind.
source "$(dirname "$0")/test_cli_helpers.bash"

OUT=$TMP/out   # every output path below points in here; it must stay empty
mkdir -p "$OUT"
touch "$TMP/a_file"

# expect_usage_error DESCRIPTION ARGS...
expect_usage_error() {
  local what=$1; shift
  local rc=0
  "$CLI" "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  local lines
  lines=$(wc -l <"$TMP/stderr")
  if [[ $rc -ne 2 ]]; then
    fail "$what: exit status $rc, expected 2 ($(head -c 200 "$TMP/stderr"))"
  elif [[ $lines -ne 1 ]]; then
    fail "$what: $lines lines on stderr, expected 1: $(head -c 300 "$TMP/stderr")"
  elif ! grep -q '^edgeprof: ' "$TMP/stderr"; then
    fail "$what: stderr does not start with 'edgeprof: ': $(cat "$TMP/stderr")"
  elif [[ -s "$TMP/stdout" ]]; then
    fail "$what: wrote to stdout: $(head -c 200 "$TMP/stdout")"
  elif [[ -n "$(ls -A "$OUT")" ]]; then
    fail "$what: left files behind: $(ls -A "$OUT")"
    rm -rf "${OUT:?}"/*
  else
    pass
  fi
}

J=(--json "$OUT/result.json")
FAST=(--runs 3 --min-time 0)

# Commands and flags.
expect_usage_error "no command"
expect_usage_error "unknown command" frobnicate
expect_usage_error "unknown global flag" --frobnicate
expect_usage_error "help for an unknown command" help frobnicate
expect_usage_error "unknown flag" bench mlp --frobnicate "${J[@]}"
expect_usage_error "flag of another command" info mlp --runs 3 "${J[@]}"
expect_usage_error "flag value given to a switch" characterize --quick=yes --out "$OUT/c"
expect_usage_error "missing flag value" bench mlp "${FAST[@]}" --threads
expect_usage_error "missing --json value" bench mlp "${FAST[@]}" --json
expect_usage_error "empty --json value" bench mlp "${FAST[@]}" --json=
expect_usage_error "missing MODEL" bench "${FAST[@]}" "${J[@]}"
expect_usage_error "two MODELs" bench mlp lstm "${FAST[@]}" "${J[@]}"
expect_usage_error "models takes no argument" models mlp
expect_usage_error "info without MODEL" info "${J[@]}"
expect_usage_error "info --table1 with a MODEL" info --table1 mlp "${J[@]}"
expect_usage_error "characterize takes no argument" characterize mlp --out "$OUT/c"

# Models.
expect_usage_error "unknown model (bench)" bench nosuchnet "${FAST[@]}" "${J[@]}"
expect_usage_error "unknown model (profile)" profile nosuchnet "${FAST[@]}" "${J[@]}"
expect_usage_error "unknown model (info)" info nosuchnet "${J[@]}"
expect_usage_error "unknown model (characterize)" characterize --quick --models mlp,nosuchnet --out "$OUT/c"
expect_usage_error "empty model name (characterize)" characterize --quick --models mlp,,lstm --out "$OUT/c"

# Numbers.
for bad in 0 -1 abc 2x "" 1.5 99999999999999999999; do
  expect_usage_error "--threads '$bad'" bench mlp "${FAST[@]}" --threads "$bad" "${J[@]}"
done
for bad in 0 -3 ten; do
  expect_usage_error "--runs '$bad'" bench mlp --min-time 0 --runs "$bad" "${J[@]}"
done
for bad in -1 nan inf abc 1e9; do
  expect_usage_error "--min-time '$bad'" profile mlp --runs 3 --min-time "$bad" "${J[@]}"
done
expect_usage_error "--warmup -1" bench mlp "${FAST[@]}" --warmup -1 "${J[@]}"
expect_usage_error "--seed -1" info mlp --seed -1 "${J[@]}"
expect_usage_error "--seed abc" bench mlp "${FAST[@]}" --seed abc "${J[@]}"
expect_usage_error "--threads 0 (profile)" profile mlp "${FAST[@]}" --threads 0 "${J[@]}"

# Typed values (one grammar: durations with units, rates need a unit).
for bad in 5x 2d 1M ms; do
  expect_usage_error "--min-time '$bad'" bench mlp --runs 3 --min-time "$bad" "${J[@]}"
done
expect_usage_error "--budget 1x (sweep)" sweep mlp --budget 1x "${J[@]}"
expect_usage_error "bare --bandwidth 5 (plan: would be 5 bit/s)" plan mlp --edge "$TMP/a_file" \
  --server "$TMP/a_file" --bandwidth 5 "${J[@]}"
expect_usage_error "bare --rtt 40 (plan)" plan mlp --edge "$TMP/a_file" --server "$TMP/a_file" \
  --rtt 40 "${J[@]}"
expect_usage_error "bare --bandwidth 5 (offload)" offload mlp --server 127.0.0.1:9 --bandwidth 5
expect_usage_error "--idle-timeout 0 (serve)" serve --idle-timeout 0
expect_usage_error "offload --split 99: nothing on stdout before the error" offload mlp \
  --server 127.0.0.1:9 --split 99 "${J[@]}"

# CPU lists.
for bad in 4096 1000 0- 3-1 x "0,,1" "-1"; do
  expect_usage_error "--cpus '$bad'" bench mlp "${FAST[@]}" --cpus "$bad" "${J[@]}"
done
expect_usage_error "--cpus naming a CPU beyond this machine (profile)" profile mlp "${FAST[@]}" \
  --cpus "$(nproc --all 2>/dev/null || echo 1024)" "${J[@]}"
expect_usage_error "--cpus beyond this machine (characterize)" characterize --quick \
  --models mlp --cpus 1023 --out "$OUT/c"
if command -v taskset >/dev/null 2>&1 && [[ $(nproc) -ge 2 ]]; then
  # The process may use CPU 0 only: CPU 1 exists but is not allowed.
  rc=0
  taskset -c 0 "$CLI" bench mlp "${FAST[@]}" --cpus 1 "${J[@]}" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  if [[ $rc -eq 2 && $(wc -l <"$TMP/stderr") -eq 1 && -z "$(ls -A "$OUT")" ]] &&
     grep -q "not available" "$TMP/stderr"; then
    pass
  else
    fail "--cpus naming a CPU outside the affinity mask: rc $rc, $(cat "$TMP/stderr")"
  fi
else
  echo "note: taskset or a second CPU missing; the affinity case is not checked" >&2
fi

# Output paths.
expect_usage_error "unwritable --json folder (bench)" bench mlp "${FAST[@]}" --json /nonexistent/x.json
expect_usage_error "unwritable --json folder (profile)" profile mlp "${FAST[@]}" --json /nonexistent/x.json
expect_usage_error "unwritable --json folder (info)" info mlp --json /nonexistent/x.json
expect_usage_error "unwritable --json folder (table1)" info --table1 --json /nonexistent/x.json
expect_usage_error "--json naming a folder" bench mlp "${FAST[@]}" --json "$OUT"
expect_usage_error "--json under a file" bench mlp "${FAST[@]}" --json "$TMP/a_file/x.json"
expect_usage_error "--out under a file (characterize)" characterize --quick --models mlp \
  --out "$TMP/a_file/results"
if [[ $(id -u) -ne 0 ]]; then
  mkdir -p "$TMP/readonly" && chmod 555 "$TMP/readonly"
  expect_usage_error "--json in a read-only folder" bench mlp "${FAST[@]}" --json "$TMP/readonly/x.json"
  chmod 755 "$TMP/readonly"
fi

finish
