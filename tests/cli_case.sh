#!/usr/bin/env bash
# cli_case.sh MMFUZZ WANT_EXIT REGEX CMD ARGS... - one command-line contract
# case: run "MMFUZZ CMD ARGS..." (in the fixtures directory) and check its
# exit code; for exit 2 (usage or input error) stderr must be exactly one
# line and match REGEX (it names the problem); otherwise stdout or stderr
# must match REGEX ('' skips that check).
set -u
M=$1 want=$2 re=$3
shift 3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$M" "$@" >"$out" 2>"$err" </dev/null
got=$?
ok=1
if [ "$got" != "$want" ]; then
	echo "FAIL: exit $got, want $want"
	ok=0
fi
if [ "$want" = 2 ]; then
	n=$(wc -l <"$err")
	[ "$n" = 1 ] || { echo "FAIL: stderr has $n lines, want exactly 1"; ok=0; }
	if [ -n "$re" ] && ! grep -Eq -- "$re" "$err"; then
		echo "FAIL: the error line does not match /$re/"
		ok=0
	fi
elif [ -n "$re" ] && ! grep -Eq -- "$re" "$out" "$err"; then
	echo "FAIL: the output does not match /$re/"
	ok=0
fi
if [ $ok = 0 ]; then
	echo "command: mmfuzz $*"
	echo "--- stderr"; head -20 "$err"
	echo "--- stdout"; head -20 "$out"
	exit 1
fi
echo "ok: mmfuzz $* -> exit $got"
