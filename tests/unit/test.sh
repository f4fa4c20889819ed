# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# What the unit suite's shell tests share (source this file; the shell side
# of tests/unit/test.h): the binary and the dataset generator from meson's
# environment, a temporary directory $T removed at exit (kept, and named,
# when a check failed), ok/bad lines counted into $fail, a check of `tlsmap
# scan` arguments, and the closing line.
#   BIN  tlsmap (TLSMAP_BIN)          GEN  output_gen_lab (in TLSMAP_BUILDDIR)
#   T    the test's own directory     fail 0, or 1 once a check failed
BIN=${TLSMAP_BIN:?set by meson}
# shellcheck disable=SC2034 # used by the tests that source this
GEN=${TLSMAP_BUILDDIR:-.}/tests/unit/output_gen_lab
T=$(mktemp -d "${TMPDIR:-/tmp}/tlsmap-$(basename "$0" .sh)-XXXXXX")
fail=0
test_sh_cleanup() {
	if [ "$fail" != 0 ] || [ -n "${TLSMAP_KEEP_TMP:-}" ]; then
		echo "files kept in $T"
	else
		rm -rf "$T"
	fi
}
trap test_sh_cleanup EXIT

ok() { echo "ok: $*"; }
bad() {
	echo "FAIL: $*"
	fail=1
}

# check_scan WANT_RC WANT_TEXT ARGS...: `tlsmap scan ARGS` exits WANT_RC and
# prints WANT_TEXT (stdout or stderr).
check_scan() {
	local rc=$1 want=$2 out got
	shift 2
	out=$("$BIN" scan "$@" 2>&1)
	got=$?
	if [ "$got" != "$rc" ] || [[ $out != *"$want"* ]]; then
		bad "tlsmap scan $*: rc=$got (want $rc), want '$want' in:"
		echo "$out"
	else
		ok "tlsmap scan $* -> ${want//$'\n'/ }"
	fi
}

# test_done: the closing line and the exit status.
test_done() {
	if [ "$fail" = 0 ]; then echo "ok: all checks passed"; else echo "FAIL: some checks failed"; fi
	exit "$fail"
}
