#!/usr/bin/env bash
# triage.sh - group a campaign's crash files by what they are: replay each
# with the mmfuzz CLI (mmfuzz replay FILE --bugs LIST --quiet), take the
# failure class ("mmfuzz: FAILURE [class] ...") and the reporting site
# ("reported at FILE:LINE FUNC()"), and group by class + site.  Different
# interleavings of one bug share a group however different their bytes.
# Prints a table (signature, count, smallest example) and, per group, the
# command that replays its example with the interleaving table.
#
# usage: fuzz/campaign/triage.sh [options] DIR|FILE...
#   DIR is searched (recursively) for libFuzzer artifacts (crash-*, leak-*,
#   timeout-*, oom-*), AFL++ findings (crashes/id:*, hangs/id:*) and
#   reproducers (*.repro); a FILE is taken as it is.
#   -b, --bugs LIST     variant set for raw inputs (default: $MMFUZZ_BUGS,
#                       else the MMFUZZ_BUGS in the campaign.env of the
#                       campaign the file belongs to, else none); a raw
#                       input also gets the MMFUZZ_PARAMS of that
#                       campaign.env, and its MMFUZZ_PROGRAM unless
#                       $MMFUZZ_PROGRAM is set
#       --recheck LIST  replay every file, reproducers too, under LIST
#                       instead of its recorded set ('none': does the fix
#                       hold?)
#       --all-files     take every regular file under DIR
#       --mmfuzz PATH   the CLI (default: $MMFUZZ_CLI, else
#                       build/default/fuzz/mmfuzz, the gcc build)
#       --timeout S     per replay (default 60)
#       --json OUT      also write the groups as JSON to OUT
#       --list          also print each file's outcome
#   -q, --quiet         no progress on stderr
#   -h, --help
#
# Outcomes that are not failures get their own rows: "clean" (the input
# does not fail under this variant set: another set, a sanitizer-only
# report, or nondeterminism), "replay error" (exit 2: a bad file), "timeout",
# and "replay crashed" (the CLI itself died; for an ASan-built CLI the
# sanitizer's report kind and first model frame are the signature).
# Exit: 0 nothing fails on replay, 1 at least one failure group, 2 usage
# error or no such file.
set -u
PROG=triage.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

help() { sed -n '2,/^# Exit:/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

bugs=${MMFUZZ_BUGS:-}
recheck=
all_files=0
cli=$(default_cli)
per_timeout=60
json=
list=0
quiet=0
args=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) help; exit 0 ;;
	-b | --bugs) need_value "$1" $#; [ -n "$2" ] || usage_error "option $1: empty variant list"; bugs=$2; shift 2 ;;
	--recheck) need_value "$1" $#; [ -n "$2" ] || usage_error "option $1: empty variant list"; recheck=$2; shift 2 ;;
	--all-files) all_files=1; shift ;;
	--mmfuzz) need_value "$1" $#; cli=$2; shift 2 ;;
	--timeout) need_value "$1" $#; check_uint "$1" "$2" 1; per_timeout=$2; shift 2 ;;
	--json) need_value "$1" $#; json=$2; shift 2 ;;
	--list) list=1; shift ;;
	-q | --quiet) quiet=1; shift ;;
	--) shift; args+=("$@"); break ;;
	-*) usage_error "unknown option '$1' (see --help)" ;;
	*) args+=("$1"); shift ;;
	esac
done
[ ${#args[@]} -gt 0 ] || usage_error "expected a directory or file of crash inputs (see --help)"
[ -x "$cli" ] || usage_error "no mmfuzz CLI at $cli (build it: cmake --preset default && cmake --build --preset default)"
[ -n "$bugs" ] && check_bugs "$bugs"
[ -n "$recheck" ] && check_bugs "$recheck"
if [ -n "$json" ]; then
	: >"$json" 2>/dev/null || usage_error "cannot write $json"
fi
timeout_cmd=()
command -v timeout >/dev/null && timeout_cmd=(timeout -k 5 "$per_timeout")

# ---- the files ---------------------------------------------------------
files=()
for a in "${args[@]}"; do
	if [ -d "$a" ]; then
		if [ $all_files = 1 ]; then
			pattern=(-type f ! -name README.txt ! -name campaign.env)
		else
			pattern=(-type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*'
				-o -path '*crashes/id:*' -o -path '*hangs/id:*' -o -name '*.repro' \))
		fi
		while IFS= read -r f; do files+=("$f"); done < <(find "$a" "${pattern[@]}" | LC_ALL=C sort)
	elif [ -f "$a" ]; then
		files+=("$a")
	else
		usage_error "no such file or directory: $a"
	fi
done
if [ ${#files[@]} = 0 ]; then
	echo "triage.sh: no crash files under ${args[*]} (crash-*, leak-*, timeout-*, oom-*, crashes/id:*, hangs/id:*, *.repro; --all-files takes every file)"
	[ -n "$json" ] && printf '{"inputs": 0, "groups": []}\n' >"$json"
	exit 0
fi

# campaign_env FILE: the campaign.env of the campaign FILE comes from (its
# directory or up to four levels above), or nothing.
campaign_env() {
	local d
	d=$(dirname "$1")
	for _ in 1 2 3 4 5; do
		[ -f "$d/campaign.env" ] && { echo "$d/campaign.env"; return; }
		[ "$d" = / ] || [ "$d" = . ] && break
		d=$(dirname "$d")
	done
}

# ---- replay and classify -----------------------------------------------
out=$(mktemp "${TMPDIR:-/tmp}/mmfuzz-triage.XXXXXX") || fail "mktemp failed"
trap 'rm -f "$out"' EXIT
declare -A g_count g_example g_size g_files g_outcome g_report g_bugs g_bugarg g_params g_program
order=()
n_raw=0 n_repro=0 done_n=0
env_note=
for f in "${files[@]}"; do
	is_repro=0
	head -c 13 "$f" 2>/dev/null | grep -q '^mmfuzz-repro ' && is_repro=1
	head -c 13 "$f" 2>/dev/null | grep -q '^mmfuzz-trace' && is_repro=1
	fb=$recheck params= program= keyb=
	if [ $is_repro = 1 ]; then
		n_repro=$((n_repro + 1))
		# Grouped under the variant set it records (header line "variants").
		keyb=$(head -n 20 "$f" | sed -n 's/^variants *//p' | head -n 1)
		keyb=${keyb:-none}
	else
		n_raw=$((n_raw + 1))
		# The program and workload parameters of its campaign (a raw input
		# records neither; --recheck changes only the variant set).  The
		# program: $MMFUZZ_PROGRAM, else campaign.env's, else mm.
		env=$(campaign_env "$f")
		program=${MMFUZZ_PROGRAM:-}
		if [ -n "$env" ]; then
			params=$(env_value "$env" MMFUZZ_PARAMS)
			[ -n "$program" ] || program=$(env_value "$env" MMFUZZ_PROGRAM)
		fi
		if [ -z "$fb" ]; then
			fb=$bugs
			if [ -z "$fb" ] && [ -n "$env" ]; then
				fb=$(env_value "$env" MMFUZZ_BUGS)
				env_note="$env_note$(rel "$env") "
			fi
			fb=${fb:-none}
		fi
	fi
	cmd=("$cli" replay "$f")
	[ $is_repro = 0 ] && cmd+=(--raw)
	[ -n "$fb" ] && cmd+=(--bugs "$fb")
	MMFUZZ_PROGRAM=$program MMFUZZ_PARAMS=$params "${timeout_cmd[@]}" "${cmd[@]}" --quiet >"$out" 2>&1 </dev/null
	rc=$?
	report=
	# An ASan-built CLI exits 1 (or aborts) with the sanitizer's report and
	# no FAILURE line.
	if [ $rc = 1 ] && ! grep -aq '^mmfuzz: FAILURE \[' "$out"; then
		rc=99
	fi
	case $rc in
	0) outcome=clean sig="clean (no failure on replay)" ;;
	1)
		outcome=failure
		line=$(grep -a -m 1 '^mmfuzz: FAILURE \[' "$out")
		cls=$(printf '%s\n' "$line" | sed 's/^mmfuzz: FAILURE \[\([^]]*\)\].*/\1/')
		report=$(printf '%s\n' "$line" | sed 's/^mmfuzz: FAILURE \[[^]]*\] //')
		# The site: a "reported at" line (multi-line reports), or the end of
		# the one-line report: "... at FILE:LINE FUNC(), step N".
		site=$(grep -a -m 1 '^  reported at ' "$out" | sed 's/^  reported at \(.*\), step [0-9]*$/\1/')
		# a crash or timeout: where the task last stood
		[ -z "$site" ] && site=$(grep -a -m 1 '^  its last scheduling point: ' "$out" |
			sed 's/^  its last scheduling point: \(.*\), step [0-9]*$/\1/')
		if [ -z "$site" ]; then
			site=$(printf '%s\n' "$line" | sed -n 's/.* at \([^ ]*:[0-9]* [^ ]*()\), step [0-9]*$/\1/p')
			report=$(printf '%s\n' "$report" | sed 's/ at [^ ]*:[0-9]* [^ ]*(), step [0-9]*$//')
		fi
		sig="$cls @ ${site:-?}"
		;;
	2)
		outcome=error
		report=$(grep -a -m 1 . "$out")
		sig="replay error (exit 2)"
		;;
	124 | 137) outcome=timeout sig="timeout (no result in ${per_timeout}s)" ;;
	*)
		# The sanitizer's kind and the first frame in the model's sources.
		outcome=crash
		kind=$(grep -a -m 1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*' "$out" | sed 's/ERROR: \([A-Za-z]*\)Sanitizer: /\1:/')
		frame=$(grep -a -E '^ *#[0-9]+ 0x[0-9a-f]+ in [^ ]+ [^ ]*/(core|sched|fuzz)/[^ /]+:[0-9]+' "$out" | head -n 1 |
			sed -E 's/.* in ([^ ]+) [^ ]*\/([^ /]+:[0-9]+).*/\2 \1()/')
		if [ -n "$kind" ]; then
			sig="$kind @ ${frame:-?}"
			report=$(grep -a -m 1 'ERROR: [A-Za-z]*Sanitizer' "$out" | sed 's/^==[0-9]*==//')
		else
			sig="replay crashed (exit $rc)"
			report=$(tail -n 1 "$out")
		fi
		;;
	esac
	[ -n "$fb" ] && keyb=$fb
	key="$keyb|$sig"
	size=$(wc -c <"$f")
	if [ -z "${g_count[$key]:-}" ]; then
		order+=("$key")
		g_count[$key]=0 g_files[$key]= g_outcome[$key]=$outcome g_report[$key]=$report
		g_bugs[$key]=$keyb g_bugarg[$key]=$fb g_params[$key]=$params g_program[$key]=$program
		g_example[$key]=$f g_size[$key]=$size
	fi
	g_count[$key]=$((g_count[$key] + 1))
	g_files[$key]+="$f"$'\n'
	if [ "$size" -lt "${g_size[$key]}" ]; then
		g_example[$key]=$f g_size[$key]=$size g_report[$key]=$report
		g_bugarg[$key]=$fb g_params[$key]=$params g_program[$key]=$program
	fi
	[ $list = 1 ] && printf '%s\t%s\n' "$sig" "$f"
	done_n=$((done_n + 1))
	if [ $quiet = 0 ] && [ $((done_n % 200)) = 0 ]; then
		note "$done_n of ${#files[@]} replayed"
	fi
done

# ---- report ------------------------------------------------------------
# Failures first, most frequent first; then the other outcomes.
rank() {
	case ${g_outcome[$1]} in failure) echo 0 ;; crash) echo 1 ;; timeout) echo 2 ;; error) echo 3 ;; *) echo 4 ;; esac
}
sorted=()
while IFS=$'\t' read -r _ _ k; do sorted+=("$k"); done < <(
	for k in "${order[@]}"; do printf '%s\t%08d\t%s\n' "$(rank "$k")" $((99999999 - g_count[$k])) "$k"; done |
		LC_ALL=C sort -t $'\t' -k1,1n -k2,2n)
nbugs=$(for k in "${order[@]}"; do echo "${g_bugs[$k]}"; done | sort -u | wc -l)

# shq WORD: WORD as the shell reads it back (AFL's names keep ':' and ',').
shq() {
	case $1 in
	'' | *[!A-Za-z0-9_./:,=+@%-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}
replay_cmd() {
	local k=$1 c
	c=""
	case ${g_program[$k]} in '' | mm) ;; *) c="MMFUZZ_PROGRAM=$(shq "${g_program[$k]}") " ;; esac
	[ -n "${g_params[$k]}" ] && c="${c}MMFUZZ_PARAMS=$(shq "${g_params[$k]}") "
	c="$c$(shq "$(rel "$cli")") replay $(shq "$(rel "${g_example[$k]}")")"
	head -c 13 "${g_example[$k]}" 2>/dev/null | grep -q '^mmfuzz-\(repro\|trace\) ' || c="$c --raw"
	[ -n "${g_bugarg[$k]}" ] && c="$c --bugs ${g_bugarg[$k]}"
	echo "$c"
}

nfail=0
for k in "${order[@]}"; do [ "${g_outcome[$k]}" = failure ] || [ "${g_outcome[$k]}" = crash ] && nfail=$((nfail + 1)); done
what="${#files[@]} input(s): $n_raw raw, $n_repro reproducer(s)/trace(s)"
if [ -n "$recheck" ]; then
	what="$what; everything replayed under --recheck $recheck"
elif [ $n_raw -gt 0 ]; then
	if [ -n "$bugs" ]; then
		what="$what; raw inputs replayed with --bugs $bugs"
	elif [ -n "$env_note" ]; then
		what="$what; raw inputs replayed with the variant set of $(echo "$env_note" | tr ' ' '\n' | sort -u | grep . | tr '\n' ' ' | sed 's/ $//')"
	else
		what="$what; raw inputs replayed on the fixed model (no --bugs, MMFUZZ_BUGS or campaign.env)"
	fi
fi
echo "triage.sh: $what"
echo "triage.sh: ${#order[@]} group(s), $nfail of them failures"
echo
w=9
for k in "${sorted[@]}"; do
	s=${k#*|}
	[ "$nbugs" -gt 1 ] && s="$s [${g_bugs[$k]}]"
	[ ${#s} -gt $w ] && w=${#s}
done
printf '%3s  %-*s  %5s  %s\n' '#' "$w" signature count 'smallest example (bytes)'
i=0
for k in "${sorted[@]}"; do
	i=$((i + 1))
	s=${k#*|}
	[ "$nbugs" -gt 1 ] && s="$s [${g_bugs[$k]}]"
	printf '%3d  %-*s  %5d  %s (%d)\n' $i "$w" "$s" "${g_count[$k]}" "$(rel "${g_example[$k]}")" "${g_size[$k]}"
done
echo
i=0
for k in "${sorted[@]}"; do
	i=$((i + 1))
	echo "[$i] ${k#*|}: ${g_count[$k]} file(s)"
	[ -n "${g_report[$k]}" ] && echo "    report: ${g_report[$k]}"
	echo "    replay: $(replay_cmd "$k")"
done

# ---- JSON --------------------------------------------------------------
jstr() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	s=${s//$'\r'/\\r}
	s=${s//$'\n'/\\n}
	s=$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')
	printf '"%s"' "$s"
}
if [ -n "$json" ]; then
	{
		printf '{\n  "inputs": %d,\n  "raw": %d,\n  "reproducers": %d,\n' ${#files[@]} $n_raw $n_repro
		printf '  "cli": %s,\n  "groups": [' "$(jstr "$cli")"
		sep=
		for k in "${sorted[@]}"; do
			sig=${k#*|}
			printf '%s\n    {\n' "$sep"
			printf '      "signature": %s,\n' "$(jstr "$sig")"
			printf '      "outcome": %s,\n' "$(jstr "${g_outcome[$k]}")"
			if [ "${g_outcome[$k]}" = failure ]; then
				printf '      "class": %s,\n' "$(jstr "${sig%% @ *}")"
				printf '      "site": %s,\n' "$(jstr "${sig#* @ }")"
			fi
			printf '      "bugs": %s,\n' "$(jstr "${g_bugs[$k]}")"
			printf '      "count": %d,\n' "${g_count[$k]}"
			printf '      "example": %s,\n' "$(jstr "${g_example[$k]}")"
			printf '      "example_bytes": %d,\n' "${g_size[$k]}"
			printf '      "report": %s,\n' "$(jstr "${g_report[$k]}")"
			printf '      "replay": %s,\n' "$(jstr "$(replay_cmd "$k")")"
			printf '      "files": ['
			fsep=
			while IFS= read -r f; do
				[ -n "$f" ] || continue
				printf '%s%s' "$fsep" "$(jstr "$f")"
				fsep=', '
			done <<<"${g_files[$k]}"
			printf ']\n    }'
			sep=,
		done
		printf '\n  ]\n}\n'
	} >"$json"
	echo
	echo "triage.sh: JSON written to $json"
fi
[ $nfail -gt 0 ] && exit 1
exit 0
