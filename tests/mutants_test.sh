#!/usr/bin/env bash
# mutants_test.sh SRCDIR - the mutation self-test stays applicable as core/
# changes: every bench/mutants/*.mut parses, each of its find blocks occurs
# exactly once in today's tree, applying it twice is refused, and apply +
# revert gives the file back byte for byte; a find block that matches no line, or more than one place, is
# refused with exit 2.  Runs in about a second (no builds, no hunts: those
# are bench/mutants/run.sh).  Skipped (77) without python3.
set -u
SRC=$1
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }
M=$SRC/bench/mutants/mutants.py
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }

if python3 "$M" check --root "$SRC"; then ok "every mutant applies to the tree and reverts"; else ko "mutants check"; fi

# apply and revert through the command line, on a copy of the tree's files
mkdir -p "$T/tree"
cp -r "$SRC/core" "$T/tree/"
f=$(ls "$SRC"/bench/mutants/*.mut | head -1)
file=$(sed -n 's/^file: *//p' "$f")
python3 "$M" apply "$f" --root "$T/tree" && ! cmp -s "$T/tree/$file" "$SRC/$file" &&
	python3 "$M" revert "$f" --root "$T/tree" && cmp -s "$T/tree/$file" "$SRC/$file" &&
	ok "apply and revert from the command line" || ko "apply and revert from the command line"

# a find block that is not in the file, or is there twice: exit 2
cat >"$T/90-missing.mut" <<'MUT'
file: core/swapfile.c
function: swapcache_prepare
kind: dropped-lock
description: a find block that matches nothing
--- find
	this line is not in the model;
--- replace
	;
MUT
cat >"$T/91-twice.mut" <<'MUT'
file: core/swapfile.c
function: swapcache_prepare
kind: dropped-lock
description: a find block that matches more than once
--- find
	unlock_cluster(ci);
--- replace
	;
MUT
cat >"$T/92-bad-kind.mut" <<'MUT'
file: core/swapfile.c
function: swapcache_prepare
kind: typo
description: an unknown kind
--- find
	int err = 0;
--- replace
	int err = 1;
MUT
for f in 90-missing 91-twice 92-bad-kind; do
	rc=0; out=$(python3 "$M" check --root "$SRC" "$T/$f.mut" 2>&1) || rc=$?
	if [ $rc = 2 ]; then ok "$f refused (exit 2)"; else ko "$f: exit $rc"; echo "$out"; fi
	rc=0; python3 "$M" apply "$T/$f.mut" --root "$T/tree" 2>/dev/null || rc=$?
	[ $rc = 2 ] && [ ! -e "$T/tree/core/swapfile.c.mutant-orig" ] || ko "$f: apply exit $rc or left a backup"
done
cmp -s "$T/tree/core/swapfile.c" "$SRC/core/swapfile.c" && ok "a refused mutant leaves the file alone" ||
	ko "a refused mutant changed the file"

rc=0; "$SRC/bench/mutants/run.sh" --builds bogus >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] && ok "run.sh refuses an unknown build (exit 2)" || ko "run.sh --builds bogus: exit $rc"
"$SRC/bench/mutants/run.sh" --help >/dev/null && ok "run.sh --help" || ko "run.sh --help"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
