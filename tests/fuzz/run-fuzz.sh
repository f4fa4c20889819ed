#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer harnesses with clang (ASan+UBSan) in build-fuzz/ and
# run each for SECONDS (default 60) from its seed corpus and regressions:
#   tests/fuzz/run-fuzz.sh [SECONDS] [HARNESS...]     e.g. run-fuzz.sh 60 fuzz_x509
# New inputs go to a temporary copy of the corpus, never into the tree. A
# crash leaves out/fuzz-<name>-crash-* and makes the script fail: copy that
# file into tests/fuzz/regressions/<name>/ with the fix, so the 'fuzz'
# suite replays it forever.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
build=${TLSMAP_FUZZ_BUILD:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Db_lundef=false >/dev/null ||
		{ echo "meson setup $build failed"; exit 1; }
fi
ninja -C "$build" || { echo "build failed"; exit 1; }

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	for f in "$build"/tests/fuzz/fuzz_*; do
		n=$(basename "$f")
		[[ -x $f && $n != *_replay && $n != *.p ]] && harnesses+=("$n")
	done
fi
[ ${#harnesses[@]} -gt 0 ] || { echo "no harness built (is CC clang?)"; exit 1; }

mkdir -p out
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for h in "${harnesses[@]}"; do
	name=${h#fuzz_}
	mkdir -p "$work/$name"
	cp -r tests/fuzz/corpus/"$name"/. "$work/$name"/ 2>/dev/null || true
	seeds=("$work/$name")
	[ -d tests/fuzz/regressions/"$name" ] && seeds+=(tests/fuzz/regressions/"$name")
	echo "== $h for ${secs}s"
	if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$build/tests/fuzz/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="out/fuzz-$name-" "${seeds[@]}" 2>"$work/$name.log"; then
		tail -40 "$work/$name.log"
		echo "FAIL: $h found a crash: see out/fuzz-$name-*; add it to tests/fuzz/regressions/$name/"
		fail=1
	else
		grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$work/$name.log" | tail -1
		echo "ok: $h"
	fi
done
exit $fail
