#!/usr/bin/env bash
# cross_aarch64.sh [BUILD_DIR] - cross-build mmfuzz for AArch64 and run ctest
# under qemu-user (checks the hand-written switch_aarch64.S).  Debian/Ubuntu:
# installs the cross gcc and qemu-user with apt-get if missing.  BUILD_DIR
# defaults to a fresh temp dir (removed on exit).  Exit 0 iff every test passes.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
SYSROOT=/usr/aarch64-linux-gnu
pkgs=()  # what is needed, as "file-or-command:package"
for need in aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu $SYSROOT/include/stdio.h:libc6-dev-arm64-cross \
	    qemu-aarch64:qemu-user cmake:cmake make:make file:file; do
	f=${need%%:*}
	[ -e "$f" ] || command -v "$f" >/dev/null || command -v "$f-static" >/dev/null || pkgs+=("${need#*:}")
done
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
# The mm model links zlib: the arm64 library comes through multiarch.
if [ ! -e /usr/lib/aarch64-linux-gnu/libz.so ]; then
	dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
	pkgs+=(zlib1g-dev:arm64)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static)
B=${1:-$(mktemp -d /tmp/mmfuzz-arm64.XXXXXX)}
[ -n "${1:-}" ] || trap 'rm -rf "$B"' EXIT
cmake -S "$SRC" -B "$B" -DCMAKE_TOOLCHAIN_FILE="$SRC/cmake/aarch64-linux-gnu.cmake" >/dev/null
cmake --build "$B" -j"$(nproc)" >/dev/null
file -b "$B/tests/test_fiber" | grep -q 'ARM aarch64' || { echo "not an AArch64 build" >&2; exit 1; }
# The assembly switch (not the ucontext fallback) is linked in.
aarch64-linux-gnu-nm "$B/tests/test_fiber" | grep -q ' mmf_ctx_trampoline$' ||
	{ echo "the assembly switch is not in use" >&2; exit 1; }
rc=0
if grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
	ctest --test-dir "$B" --output-on-failure -j"$(nproc)" -LE 'long|bench-smoke' || rc=1
else
	# No binfmt_misc: cli_test.sh execs mmfuzz directly, so run it on a qemu wrapper.
	ctest --test-dir "$B" --output-on-failure -j"$(nproc)" -LE 'long|bench-smoke' -E '^cli_contract$' || rc=1
	printf '#!/bin/sh\nexec "%s" -L "%s" "%s" "$@"\n' "$QEMU" "$SYSROOT" "$B/fuzz/mmfuzz" >"$B/mmfuzz-qemu"
	chmod +x "$B/mmfuzz-qemu"
	"$SRC/tests/cli_test.sh" "$B/mmfuzz-qemu" | grep -v '^PASS ' || rc=1
fi
echo "cross_aarch64: $([ $rc = 0 ] && echo PASS || echo FAIL) (build dir $B)"
exit $rc
