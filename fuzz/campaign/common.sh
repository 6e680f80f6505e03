# common.sh - sourced by the campaign scripts in this directory (bash).
# Not a command.  Defines the repository root, one-line errors, argument
# checks, variant-name checks and the campaign.env record that triage.sh
# reads back.
#
# Exit codes of every campaign script: 0 clean (nothing found), 1 findings,
# 2 usage or input error, 3 the engine failed (an instance died, a tool is
# missing at run time).

MMF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROG=${PROG:-$(basename "$0")}

# usage_error MSG: one line on stderr, exit 2.
usage_error() {
	echo "$PROG: $*" >&2
	exit 2
}
# fail MSG: one line on stderr, exit 3 (the engine or a tool failed).
fail() {
	echo "$PROG: $*" >&2
	exit 3
}
note() {
	echo "$PROG: $*" >&2
}

# need_value OPTION COUNT: an option that takes a value got one.
need_value() {
	[ "$2" -ge 2 ] || usage_error "option $1 needs a value (see --help)"
}
# check_uint OPTION VALUE MIN: a decimal number >= MIN.
check_uint() {
	case $2 in
	'' | *[!0-9]*) usage_error "option $1: '$2' is not a number" ;;
	esac
	[ ${#2} -le 9 ] || usage_error "option $1: '$2' is too large"
	[ "$2" -ge "$3" ] || usage_error "option $1: '$2' is below the minimum $3"
}

# The mmfuzz CLI used to check variant names and to replay inputs: $MMFUZZ_CLI,
# else the gcc build (preset 'default').
default_cli() {
	if [ -n "${MMFUZZ_CLI:-}" ]; then
		echo "$MMFUZZ_CLI"
	else
		echo "$MMF_ROOT/build/default/fuzz/mmfuzz"
	fi
}

# check_bugs LIST: every name is a variant of the model ('none' and the empty
# list are the fixed model).  Names come from 'mmfuzz list'; without a built
# CLI the check is skipped (the target itself refuses unknown names).
check_bugs() {
	local list=$1 cli names v
	case $list in '' | none) return 0 ;; esac
	case $list in
	*[!a-z0-9,-]*) usage_error "bad variant list '$list' (names separated by commas; see 'mmfuzz list')" ;;
	esac
	cli=$(default_cli)
	[ -x "$cli" ] || return 0
	names=$("$cli" list 2>/dev/null | sed -n '/^bug variants/,/^[^ ]/{/^  /s/^  \([^ ]*\).*/\1/p}')
	[ -n "$names" ] || return 0
	local IFS=,
	for v in $list; do
		[ -n "$v" ] || usage_error "bad variant list '$list' (empty name)"
		printf '%s\n' "$names" | grep -qx -- "$v" ||
			usage_error "unknown bug variant '$v' (see '$cli list')"
	done
}

# is_asan BINARY: built with AddressSanitizer.
is_asan() {
	grep -qa '__asan_init' "$1" 2>/dev/null
}

# afl_asan_options: ASAN_OPTIONS as afl-fuzz wants them for an ASan target
# (abort_on_error=1, symbolize=0), keeping whatever else the user set.
afl_asan_options() {
	local a=${ASAN_OPTIONS:-detect_leaks=0}
	case ":$a:" in
	*:abort_on_error=*) a=$(echo "$a" | sed 's/abort_on_error=[^:]*/abort_on_error=1/') ;;
	*) a=$a:abort_on_error=1 ;;
	esac
	case ":$a:" in
	*:symbolize=*) a=$(echo "$a" | sed 's/symbolize=[^:]*/symbolize=0/') ;;
	*) a=$a:symbolize=0 ;;
	esac
	export ASAN_OPTIONS=${a#:}
}

# abspath PATH: PATH made absolute (its directory must exist).
abspath() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")" ;;
	esac
}

# rel PATH: PATH relative to the current directory when it lies below it.
rel() {
	case $1 in
	"$PWD"/*) echo "${1#"$PWD"/}" ;;
	*) echo "$1" ;;
	esac
}

# The per-execution limit: the target saves an input that runs longer than
# MMFUZZ_TIMEOUT_MS as a timeout reproducer and aborts; the engine's own
# limit (afl-fuzz -t, libFuzzer -timeout) is set above it so the target
# speaks first.  engine_timeout_s: that limit in whole seconds.
export MMFUZZ_TIMEOUT_MS=${MMFUZZ_TIMEOUT_MS:-2000}
case $MMFUZZ_TIMEOUT_MS in '' | *[!0-9]*) echo "MMFUZZ_TIMEOUT_MS=$MMFUZZ_TIMEOUT_MS: not a number of milliseconds" >&2; exit 2 ;; esac
engine_timeout_s=$(((MMFUZZ_TIMEOUT_MS + 999) / 1000 + 3))

# write_env DIR ENGINE TARGET: record the campaign's settings in
# DIR/campaign.env (key=value lines, read by triage.sh; not a shell file).
write_env() {
	{
		echo "# mmfuzz campaign settings (read by fuzz/campaign/triage.sh)"
		echo "engine=$2"
		echo "target=$3"
		echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "host=$(hostname 2>/dev/null || echo unknown)"
		echo "MMFUZZ_PROGRAM=${MMFUZZ_PROGRAM:-mm}"
		echo "MMFUZZ_BUGS=${MMFUZZ_BUGS:-none}"
		echo "MMFUZZ_PARAMS=${MMFUZZ_PARAMS:-}"
		echo "MMFUZZ_WANT=${MMFUZZ_WANT:-}"
		echo "MMFUZZ_FEEDBACK=${MMFUZZ_FEEDBACK:-default}"
		echo "MMFUZZ_MUTATOR=${MMFUZZ_MUTATOR:-1}"
		echo "MMFUZZ_TIMEOUT_MS=${MMFUZZ_TIMEOUT_MS:-}"
	} >"$1/campaign.env.tmp" && mv "$1/campaign.env.tmp" "$1/campaign.env"
}

# env_value FILE KEY: a value from a campaign.env file.
env_value() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# check_same_bugs DIR: a campaign directory is continued with the variant
# set it was started with (its crashes only make sense under that set).
check_same_bugs() {
	local f=$1/campaign.env old
	[ -f "$f" ] || return 0
	old=$(env_value "$f" MMFUZZ_BUGS)
	[ "$old" = "${MMFUZZ_BUGS:-none}" ] ||
		usage_error "$1 holds a campaign with MMFUZZ_BUGS=$old; use --bugs $old or another --out"
}
