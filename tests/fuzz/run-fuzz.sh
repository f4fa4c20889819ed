#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer harnesses with clang under ASan+UBSan in build-fuzz/
# (every library they link is instrumented too) and, for each harness:
#   1. check the binary carries the ASan and UBSan runtimes (a harness built
#      without sanitizers finds only crashes, not the memory errors);
#   2. replay its seed corpus and every regression input (so a crash found
#      once fails here forever, even with SECONDS = 0);
#   3. fuzz it for SECONDS from the corpus (skipped when SECONDS is 0).
#   tests/fuzz/run-fuzz.sh [SECONDS] [HARNESS...]     e.g. run-fuzz.sh 60 fuzz_x509
# Prints one "ok: fuzz_NAME" or "FAIL: fuzz_NAME ..." line per harness
# (scripts/run-tests counts them). New inputs go to a temporary copy of the
# corpus, never into the tree. A crash leaves out/fuzz-<name>-crash-* and
# fails: copy that file into tests/fuzz/regressions/<name>/ with the fix.
# FUZZ_JOBS=N runs N harnesses at once (default 1; CI has 2 cores).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-60}
shift || true
build=${TLSMAP_FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-1}
# shellcheck disable=SC2054 # the commas are inside one meson option
opts=(-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false)

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "${opts[@]}" >/dev/null ||
		{ echo "FAIL: meson setup $build"; exit 1; }
else
	meson configure "$build" "${opts[@]}" >/dev/null ||
		{ echo "FAIL: meson configure $build"; exit 1; }
fi
mkdir -p out
ninja -C "$build" >out/fuzz-build.log 2>&1 || { tail -30 out/fuzz-build.log; echo "FAIL: build in $build"; exit 1; }

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	for f in "$build"/tests/fuzz/fuzz_*; do
		n=$(basename "$f")
		[[ -f $f && -x $f && $n != *_replay ]] && harnesses+=("$n")
	done
fi
[ ${#harnesses[@]} -gt 0 ] || { echo "FAIL: no harness built (is CC clang?)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# run_one HARNESS: prints its verdict line last; status 0 = ok
run_one() {
	local h=$1 name=${1#fuzz_} bin=$build/tests/fuzz/$1 log=$work/${1#fuzz_}.log
	local inputs=()
	local syms
	syms=$(nm "$bin" 2>/dev/null)
	if ! grep -q ' __asan_init$' <<<"$syms" || ! grep -q ' __ubsan_handle_' <<<"$syms"; then
		echo "FAIL: $h is not built with ASan and UBSan"
		return 1
	fi
	mkdir -p "$work/$name"
	cp -rL tests/fuzz/corpus/"$name"/. "$work/$name"/ 2>/dev/null || true
	for d in tests/fuzz/corpus/"$name" tests/fuzz/regressions/"$name"; do
		[ -d "$d" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done \
			< <(find -L "$d" -type f -print0 | sort -z)
	done
	if [ ${#inputs[@]} -eq 0 ]; then
		echo "FAIL: $h has no seed corpus (tests/fuzz/corpus/$name)"
		return 1
	fi
	# libFuzzer runs each file argument once and exits
	if ! "$bin" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$log" 2>&1; then
		tail -40 "$log"
		echo "FAIL: $h crashes on a corpus or regression input (log above)"
		return 1
	fi
	if [ "$secs" = 0 ]; then
		echo "ok: $h (replayed ${#inputs[@]} inputs)"
		return 0
	fi
	local seeds=("$work/$name")
	[ -d tests/fuzz/regressions/"$name" ] && seeds+=(tests/fuzz/regressions/"$name")
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="out/fuzz-$name-" "${seeds[@]}" >"$log" 2>&1; then
		tail -40 "$log"
		echo "FAIL: $h found a crash: see out/fuzz-$name-*; add it to tests/fuzz/regressions/$name/"
		return 1
	fi
	local runs
	runs=$(grep -oE '^Done [0-9]+ runs' "$log" | tail -1)
	echo "ok: $h (replayed ${#inputs[@]} inputs; ${runs:-no run count} in ${secs}s)"
}

fail=0
batch=()
flush_batch() {
	wait
	for b in "${batch[@]}"; do
		cat "$work/$b.verdict"
		tail -1 "$work/$b.verdict" | grep -q '^ok: ' || fail=1
	done
	batch=()
}
for h in "${harnesses[@]}"; do
	run_one "$h" >"$work/$h.verdict" 2>&1 &
	batch+=("$h")
	[ ${#batch[@]} -ge "$jobs" ] && flush_batch
done
flush_batch
exit $fail
