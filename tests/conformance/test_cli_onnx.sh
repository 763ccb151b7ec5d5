#!/usr/bin/env bash
# The CLI with ONNX files: export, run (random and given inputs, .npy and .pb outputs), --shape,
# bench/info on a file, and bad input (exit 2, one line on stderr).
source "$(dirname "$0")/../integration/test_cli_helpers.bash"
quiet() { "$@" >/dev/null; }

M=$TMP/lstm.onnx
check "export lstm" quiet "$CLI" export lstm -o "$M"
check "exported file exists" test -s "$M"
check "run the exported model" quiet "$CLI" run "$M" --output "$TMP/y.npy"
check "run the zoo model" quiet "$CLI" run lstm --output "$TMP/z.npy"
check "same answer from the file and the zoo" cmp "$TMP/y.npy" "$TMP/z.npy"
check "feed an output back as .pb" quiet "$CLI" run "$M" --output "$TMP/y.pb"
out=$("$CLI" run "$M" --shape input=10x1x200)
grep -q "output probabilities: 10x10000" <<<"$out" && pass || fail "--shape: $out"
check "info on a file" quiet "$CLI" info "$M"
check "bench on a file" quiet "$CLI" bench "$M" --runs 2 --min-time 0 --warmup 0
out=$("$CLI" export mlp -o "$TMP/mlp.onnx") && grep -q "ONNX opset 13" <<<"$out" && pass || fail "export message: $out"

expect2() { # expect2 DESCRIPTION ARGS...: exit 2 and exactly one "edgeprof: " line on stderr
  local what=$1; shift
  local rc=0
  "$CLI" "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  if [[ $rc -ne 2 ]]; then
    fail "$what: exit $rc, expected 2 ($(head -c 300 "$TMP/stderr"))"
  elif [[ $(wc -l <"$TMP/stderr") -ne 1 ]] || ! grep -q '^edgeprof: ' "$TMP/stderr"; then
    fail "$what: stderr is not one 'edgeprof: ' line: $(head -c 300 "$TMP/stderr")"
  else
    pass
  fi
}
head -c 1000 "$M" >"$TMP/truncated.onnx"
expect2 "truncated model" info "$TMP/truncated.onnx"
expect2 "missing model file" run "$TMP/nosuch.onnx"
expect2 "export without -o" export lstm
expect2 "export to a missing folder" export lstm -o "$TMP/no/such/dir/x.onnx"
expect2 "run without MODEL" run
expect2 "--shape on a zoo model" run lstm --shape input=1x1x200
expect2 "--shape with an unknown input" run "$M" --shape nosuch=1x1x200
expect2 "--shape without =" run "$M" --shape 1x2
expect2 "--shape with a zero dim" run "$M" --shape input=0x1x200
expect2 "--input of the wrong shape" run "$M" --input "$TMP/z.npy"
expect2 "--input that is not a tensor" run "$M" --input "$TMP/truncated.onnx"
expect2 "more --output than outputs" run "$M" --output "$TMP/a.npy" --output "$TMP/b.npy"
finish
