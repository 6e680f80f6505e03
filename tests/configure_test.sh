#!/bin/sh
# configure_test.sh SRC - incompatible build combinations fail at configure
# time with a clear message (and a good one configures).
set -u
SRC=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
try() { # want(ok|fail) message-regex cmake-args...
	want=$1 re=$2; shift 2
	rm -rf "$TMP/b"
	if cmake -S "$SRC" -B "$TMP/b" "$@" >"$TMP/out" 2>&1; then got=ok; else got=fail; fi
	if [ "$got" = "$want" ] && grep -Eq "$re" "$TMP/out"; then
		pass=$((pass + 1)); echo "PASS $*"
	else
		fail=$((fail + 1)); echo "FAIL $* (configure: $got, want $want)"; tail -5 "$TMP/out"
	fi
}
try fail "cannot be combined with MMF_SANITIZER=tsan" -DCMAKE_C_COMPILER=clang -DMMF_SANITIZER=tsan -DMMF_ENGINE=libfuzzer
try fail "MMF_ENGINE=libfuzzer needs clang" -DCMAKE_C_COMPILER=gcc -DMMF_SANITIZER=asan -DMMF_ENGINE=libfuzzer
try ok "Generating done" -DCMAKE_C_COMPILER=clang -DMMF_SANITIZER=none -DMMF_ENGINE=libfuzzer
try fail "needs CMAKE_C_COMPILER=afl-clang-fast" -DCMAKE_C_COMPILER=gcc -DMMF_ENGINE=afl
try fail "MMF_SANITIZER=tsan needs clang" -DCMAKE_C_COMPILER=gcc -DMMF_SANITIZER=tsan
try fail "MMF_SANITIZER must be none, asan or tsan" -DMMF_SANITIZER=msan
try fail "MMF_ENGINE must be none, libfuzzer or afl" -DMMF_ENGINE=honggfuzz
try ok "Generating done" -DCMAKE_C_COMPILER=gcc
echo "configure: $pass passed, $fail failed"
[ $fail = 0 ]
