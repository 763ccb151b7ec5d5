#!/usr/bin/env bash
# Every command's --help against its parser: each option the help lists is accepted, each option
# the command's source names is listed, none is listed twice, the usage line names only listed
# options, and `edgeprof help CMD` is `edgeprof CMD --help`. The help is generated from the
# option table the parser uses (tools/edgeprof/cli_options.h); this test catches a flag parsed
# outside the table, or a table entry the help leaves out.
source "$(dirname "$0")/test_cli_helpers.bash"
SRC=$(cd "$(dirname "$0")/../../tools/edgeprof" && pwd)

"$CLI" --help >"$TMP/overview" || { fail "edgeprof --help"; finish; }
mapfile -t COMMANDS < <(sed -n '/^Commands:/,/^$/p' "$TMP/overview" | awk 'NF > 1 && $1 != "help" {print $1}' | grep -v '^Commands:')
[[ ${#COMMANDS[@]} -ge 10 ]] && pass || fail "edgeprof --help lists only ${#COMMANDS[@]} commands"

for c in "${COMMANDS[@]}"; do
  rc=0
  "$CLI" "$c" --help >"$TMP/help" 2>"$TMP/stderr" || rc=$?
  if [[ $rc -ne 0 || -s "$TMP/stderr" ]]; then
    fail "$c --help: exit $rc, stderr: $(head -c 200 "$TMP/stderr")"
    continue
  fi
  "$CLI" help "$c" >"$TMP/help2" 2>&1 || true
  check "help $c is $c --help" cmp -s "$TMP/help" "$TMP/help2"
  # Listed options: the lines of the Options block that start with a flag ("  -o, --output FILE").
  mapfile -t LISTED < <(sed -n '/^Options:/,/^$/p' "$TMP/help" |
    grep -E '^  -' | sed -E 's/^  //; s/ .*//; s/,$//')
  mapfile -t ALIASES < <(sed -n '/^Options:/,/^$/p' "$TMP/help" |
    grep -E '^  -[a-zA-Z], --' | sed -E 's/^  -([a-zA-Z]), (--[a-z0-9-]+).*/-\1/')
  mapfile -t LONG < <(sed -n '/^Options:/,/^$/p' "$TMP/help" | grep -E '^  -' |
    grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+$')
  [[ ${#LONG[@]} -ge 1 ]] && pass || fail "$c --help lists no options"
  dups=$(printf '%s\n' "${LONG[@]}" | sort | uniq -d)
  [[ -z "$dups" ]] && pass || fail "$c --help lists twice: $dups"
  for o in "${LONG[@]}" "${ALIASES[@]}"; do
    [[ "$o" == "--help" || "$o" == "-h" ]] && continue
    rc=0
    # "--opt=" is refused by the parser (empty value, or a value given to a switch) before the
    # command does anything: exit 2, never "unknown option".
    "$CLI" "$c" "$o=" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
    if [[ $rc -ne 2 ]] || grep -q "unknown option" "$TMP/stderr" || [[ -s "$TMP/stdout" ]]; then
      fail "$c $o is listed but the parser does not take it: rc $rc, $(head -c 200 "$TMP/stderr")"
    else
      pass
    fi
  done
  # The usage line names only listed options.
  for o in $(head -n 3 "$TMP/help" | sed -n '1,/^$/p' | grep -oE -- '--[a-z0-9-]+' | sort -u); do
    printf '%s\n' "${LONG[@]}" | grep -qx -- "$o" && pass || fail "$c: usage names $o, the options do not"
  done
  # Every flag name the command's source spells as a whole string literal is listed.
  src="$SRC/cmd-$c.c"
  if [[ -f "$src" ]]; then
    for o in $(grep -oE '"--[a-z0-9-]+"' "$src" | tr -d '"' | sort -u); do
      printf '%s\n' "${LONG[@]}" | grep -qx -- "$o" && pass ||
        fail "$c: $src names $o, its --help does not list it"
    done
  fi
  rc=0
  "$CLI" "$c" --no-such-option >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  [[ $rc -eq 2 ]] && grep -q "unknown option" "$TMP/stderr" && pass ||
    fail "$c --no-such-option: rc $rc, $(head -c 200 "$TMP/stderr")"
done

finish
