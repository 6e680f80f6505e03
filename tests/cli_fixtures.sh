#!/usr/bin/env bash
# cli_fixtures.sh MMFUZZ DIR - the files the cli_* cases (cli_cases.cmake)
# run against: a good trace of a toy and of the mm model, and damaged copies
# of them, one damage each.  Fails if a good file cannot be made.
set -eu
M=$1 D=$2
rm -rf "$D"
mkdir -p "$D"
cd "$D"
"$M" run toy-lost-update --trace good.trace >/dev/null && exit 1
[ -s good.trace ] || { echo "no good.trace"; exit 1; }
"$M" run mm --params bugs=anon-fault-double-alloc --want leak,data-corruption --runs 3000 \
	--trace mm.trace >/dev/null && exit 1
[ -s mm.trace ] || { echo "no mm.trace"; exit 1; }

# Damaged headers: none of these may pass for a raw input.
sed '1s/.*/mmfuzz-tra/' good.trace >hdr-truncated.trace
sed '1s/.*/mmfuzz-tracf 2/' good.trace >hdr-flipped.trace
sed '1s/.*/mmfuzz-trace2/' good.trace >hdr-nospace.trace
sed '1s/.*/mmfuz-trace 2/' good.trace >hdr-misspelled.trace
sed '1s/.*/Mmfuzz-trace 2/' good.trace >hdr-case.trace
sed '1s/.*/mmfuzz-trace 99999999999/' good.trace >hdr-huge-version.trace
sed '1s/.*/mmfuzz-trace 3/' good.trace >hdr-version3.trace
: >empty.trace
head -c 9 good.trace >cut-in-header.trace
# Cross-checked header fields and decision lines.
sed 's/^variants .*/variants zswap-writeback-stale-data/' mm.trace >variants-mismatch.trace
sed 's/^params .*/params fixed=0 frame=8/' good.trace >params-unknown-key.trace
sed 's/^params .*/params fixed=0 fixed=1/' good.trace >params-duplicate.trace
sed 's/^params .*/params fixed/' good.trace >params-no-value.trace
# The task of the second decision edited: replay must notice.
awk '/^p /{n++} n==2&&!d{$2=($2=="0"?"1":"0"); d=1} 1' good.trace >task-edited.trace
# The site of the second decision moved by 1000 lines: a changed model.
awk '/^p /{n++} n==2&&!d{split($5,f,":"); $5=f[1]":"(f[2]+1000)":"f[3]":"f[4]; d=1} 1' \
	good.trace >site-moved.trace
awk '/^[pvf] /{n++} n==20&&!d{split($5,f,":"); $5=f[1]":"(f[2]+1000)":"f[3]":"f[4]; d=1} 1' \
	mm.trace >mm-site-moved.trace
# A line too long.
{ head -2 good.trace; printf 'params fixed=0 %05000d\n' 0; tail -n +4 good.trace; } >long-line.trace
# A reproducer whose variants line contradicts its params.
printf 'mmfuzz-repro 1\nprogram mm\nparams bugs=none\nvariants zswap-writeback-stale-data\nbuild t\nresult clean\nsignature -\ninput 1\n41\nend\n' >variants-mismatch.repro
printf 'mmfuzz-repro 99999999999\n' >huge-version.repro
printf 'AAAA' >raw.bin
printf 'not a trace\n' >junk.txt
mkdir -p adir
touch readonly-file
echo "fixtures in $D"
