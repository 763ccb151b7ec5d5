#!/usr/bin/env bash
# The layering the build promises (CMakeLists.txt, EP_LAYERS; docs/architecture.md "Layers"):
# every ep_ symbol a layer's library uses is defined in that layer or one below it, and every
# global symbol the libraries define carries the ep_ prefix. Reads the static libraries with nm.
# Usage: test_layering.sh PATH_TO_EDGEPROF (the libraries are beside it)
set -uo pipefail
CLI=${1:-}
if [[ -z "$CLI" || ! -x "$CLI" ]]; then
  echo "usage: $0 PATH_TO_EDGEPROF" >&2
  exit 2
fi
BUILD=$(cd "$(dirname "$CLI")" && pwd)
if ! command -v nm >/dev/null 2>&1; then
  echo "SKIP: nm is not installed (binutils)"
  exit 77
fi
if [[ ! -f $BUILD/layers.txt ]]; then
  echo "FAIL: $BUILD/layers.txt is missing (CMakeLists.txt writes it)"
  exit 1
fi
read -r -a LAYERS <"$BUILD/layers.txt"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/edgeprof-layers.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failed=0
checked=0
for i in "${!LAYERS[@]}"; do
  lib=$BUILD/libep_${LAYERS[$i]}.a
  if [[ ! -f $lib ]]; then
    echo "FAIL: $lib is missing"
    failed=$((failed + 1))
    continue
  fi
  nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$TMP/def.$i"
  nm -u "$lib" 2>/dev/null | awk '$1 == "U" && $2 ~ /^ep_/ { print $2 }' | sort -u >"$TMP/use.$i"
done
# Defined at or below layer i.
: >"$TMP/below"
for i in "${!LAYERS[@]}"; do
  sort -u "$TMP/below" "$TMP/def.$i" -o "$TMP/below"
  while read -r sym; do
    checked=$((checked + 1))
    if ! grep -qxF "$sym" "$TMP/below"; then
      owner=unknown
      for j in "${!LAYERS[@]}"; do
        if grep -qxF "$sym" "$TMP/def.$j"; then owner=${LAYERS[$j]}; fi
      done
      echo "FAIL: layer ${LAYERS[$i]} uses $sym of layer $owner above it"
      failed=$((failed + 1))
    fi
  done <"$TMP/use.$i"
  while read -r sym; do
    case $sym in
      ep_* | __*) ;; # __*: the compiler's and sanitizers' own (__odr_asan.*), reserved names
      *) echo "FAIL: layer ${LAYERS[$i]} defines the global symbol $sym without the ep_ prefix"
         failed=$((failed + 1)) ;;
    esac
  done <"$TMP/def.$i"
done
defined=$(cat "$TMP"/def.* | wc -l)
echo "${#LAYERS[@]} layers (${LAYERS[*]}), $defined global symbols, $checked uses of ep_ symbols checked"
if [[ $failed -eq 0 ]]; then
  echo "1 passed, 0 failed"
  exit 0
fi
echo "0 passed, $failed failed"
exit 1
