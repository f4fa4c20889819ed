#!/bin/bash
# SPDX-License-Identifier: MIT
# deploy/systemd units, checked without systemd running (PID 1 need not be
# systemd): `systemd-analyze verify` of the templates and of an instance
# must print nothing (it exits 0 on unknown keys, so any output fails),
# the timer's calendar must parse, and `systemd-analyze security --offline`
# must rate the service no worse than the score it had when written.
# ExecStart points at /usr/local/bin/tlsmap, which verify requires to exist:
# the check runs on a copy that points at the built binary.
set -u
SRC=${TLSMAP_SRCDIR:?}
BIN=${TLSMAP_BIN:?}
MAX_EXPOSURE=${SYSTEMD_MAX_EXPOSURE:-2.6}
command -v systemd-analyze >/dev/null || { echo "skip: systemd-analyze is not installed"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed "s,/usr/local/bin/tlsmap,$BIN," "$SRC/deploy/systemd/tlsmap-sweep@.service" >"$tmp/tlsmap-sweep@.service"
cp "$SRC/deploy/systemd/tlsmap-sweep@.timer" "$tmp/"
grep -q "^ExecStart=$BIN sweep -C /etc/tlsmap/sweeps/%i.conf --root " "$tmp/tlsmap-sweep@.service" ||
	{ echo "FAIL ExecStart is not 'tlsmap sweep -C /etc/tlsmap/sweeps/%i.conf --root ...'"; exit 1; }
fail=0
quiet() { # the command must succeed and print nothing
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [ $rc != 0 ] || [ -n "$out" ]; then echo "FAIL: $* (exit $rc)"; echo "$out"; fail=1; else echo "ok: $*"; fi
}
cd "$tmp" || exit 1
quiet systemd-analyze verify --man=no ./tlsmap-sweep@.service ./tlsmap-sweep@.timer
quiet env SYSTEMD_UNIT_PATH="$tmp:" systemd-analyze verify --man=no tlsmap-sweep@kz.service tlsmap-sweep@kz.timer
cal=$(sed -n 's/^OnCalendar=//p' tlsmap-sweep@.timer)
systemd-analyze calendar "$cal" >/dev/null && echo "ok: OnCalendar=$cal parses" || { echo "FAIL OnCalendar=$cal"; fail=1; }
for k in 'Persistent=true' 'RandomizedDelaySec=' 'OnCalendar=weekly'; do
	grep -q "^$k" tlsmap-sweep@.timer && echo "ok: timer has $k" || { echo "FAIL timer lacks $k"; fail=1; }
done
score=$(systemd-analyze security --offline=yes ./tlsmap-sweep@.service 2>&1 |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	echo "FAIL systemd-analyze security printed no score"; fail=1
elif awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
	echo "ok: systemd-analyze security --offline=yes: exposure $score (at most $MAX_EXPOSURE)"
else
	echo "FAIL systemd-analyze security: exposure $score above $MAX_EXPOSURE"; fail=1
fi
exit $fail
