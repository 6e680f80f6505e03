#!/bin/sh
# run.sh - the mutation self-test: each mutant of bench/mutants/*.mut is
# applied to a scratch copy of the tree, built with each preset, hunted with
# `mmfuzz hunt --bugs none --jobs 1 --execs N --seed S` (stopped at the first
# finding), and reverted; results go to DIR/raw/, DIR/results.json and
# DIR/table.md.  Resumable: a cell (build, mutant, seed) already measured on
# the same tree (core/ sched/ fuzz/ cmake/ and the CMake files), the same
# mutant file and the same budget is kept; --force measures again.
# usage: bench/mutants/run.sh [--builds default,asan,tsan] [--execs N]
#          [--seeds 1,2] [--jobs J] [--only NAME[,NAME]] [--out DIR]
#          [--scratch DIR] [--timeout-ms MS] [--force] [--no-baseline]
#   --builds    presets to build and hunt with (default: default)
#   --execs     execution budget per hunt (default 1500000)
#   --seeds     hunt seeds (default 1,2)
#   --jobs      hunts (seeds) run at once (default 1)
#   --only      mutants whose name contains NAME (no baseline row then)
#   --out       results (default docs/data/mutants)
#   --scratch   the scratch copy and its builds (default /tmp/mmfuzz-mutants-$UID)
# Other commands: bench/mutants/mutants.py check | apply | revert | callers | report
set -eu
case "${1:-}" in
-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
exec python3 "$(dirname "$0")/mutants.py" run "$@"
