#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap scan --user (docs/privileges.md) on the null PMD (no
# packet leaves): refusals before the EAL starts (exit 2, one line): an
# unknown user, root, an -o directory the user cannot write, a geo database
# it cannot read; then a syn-only scan that drops to `nobody` once the port
# is up: it says so, exits 0, and its dataset and status file belong to
# nobody (the scanner verifies the drop itself and refuses to go on
# otherwise). Needs root; the lab's e2e_user runs a whole TLS scan this way.
set -u
BIN=${1:-$TLSMAP_BIN}
[ "$(id -u)" = 0 ] || { echo "skip: needs root (the drop starts as root)"; exit 77; }
id -u nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 711 "$tmp"
base=(198.18.0.0/30 -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved
	-c 0.2)
expect2() { # expect2 PATTERN ARGS...
	local pat=$1; shift
	local out rc
	out=$(timeout 20 "$BIN" scan "${base[@]}" "$@" 2>&1); rc=$?
	if [ "$rc" != 2 ] || ! grep -qF -- "$pat" <<<"$out" || grep -q "EAL" <<<"$out"; then
		echo "FAIL: scan $* exited $rc, want 2 before the EAL with '$pat': $out"; fail=1; return
	fi
	echo "ok: $pat <- scan $*"
}
expect2 "--user tlsmap-no-such-user: no such user" --syn-only --user tlsmap-no-such-user
expect2 "--user root: uid or gid 0" --syn-only --user root
mkdir -m 755 "$tmp/rootdir"
expect2 "$tmp/rootdir/x.tlsmap: its directory is not writable" --syn-only --user nobody \
	-o "$tmp/rootdir/x.tlsmap"
install -d -m 700 -o nobody "$tmp/out"
touch "$tmp/secret.mmdb" && chmod 600 "$tmp/secret.mmdb"
expect2 "$tmp/secret.mmdb is not readable" --user nobody -o "$tmp/out/x.tlsmap" \
	--geo-db "$tmp/secret.mmdb"
[ ! -e "$tmp/out/x.tlsmap" ] && [ ! -e "$tmp/out/x.tlsmap.partial" ] ||
	{ echo "FAIL: a refused scan left a file"; fail=1; }

out=$(timeout 60 "$BIN" scan "${base[@]}" --syn-only --user nobody -o "$tmp/out/x.tlsmap" \
	--status-json "$tmp/out/status.json" 2>&1); rc=$?
if [ "$rc" != 0 ] || ! grep -q "running as nobody (uid $(id -u nobody)" <<<"$out"; then
	echo "FAIL: scan --user nobody exited $rc: $out"; fail=1
else
	echo "ok: $(grep 'running as' <<<"$out")"
fi
for f in x.tlsmap status.json; do
	owner=$(stat -c %U "$tmp/out/$f" 2>/dev/null)
	[ "$owner" = nobody ] && echo "ok: $f belongs to nobody" ||
		{ echo "FAIL: $tmp/out/$f owner '$owner', want nobody"; fail=1; }
done
"$BIN" dump "$tmp/out/x.tlsmap" --type end | grep -q '"clean":true' &&
	echo "ok: the dataset ends clean" || { echo "FAIL: dataset not complete and clean"; fail=1; }
exit $fail
