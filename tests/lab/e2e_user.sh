#!/bin/bash
# SPDX-License-Identifier: MIT
#
# e2e_user.sh - the end-to-end test (e2e_truth.sh, same comparison with the
# lab's ground truth) with the scan dropping to an unprivileged user once
# its port is up: `tlsmap scan --user tlsmap-scan`, keeping only CAP_NET_RAW
# and CAP_NET_ADMIN (docs/privileges.md). The scanner verifies the drop
# itself (no thread can regain root) and refuses to scan otherwise; this
# test also checks the drop was announced and the dataset belongs to the
# user. The system user is created if missing and removed at exit only if
# this test created it.
#   tests/lab/e2e_user.sh [TLSMAP_BIN]      (root; E2E_USER overrides the name)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "skip: needs root (the lab, and a user to drop to)"; exit 77; }
user=${E2E_USER:-tlsmap-scan}
created=0
if ! id -u "$user" >/dev/null 2>&1; then
	command -v useradd >/dev/null || { echo "skip: no useradd to create $user"; exit 77; }
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
		{ echo "FAIL useradd $user"; exit 1; }
	created=1
fi
cleanup() { [ "$created" = 0 ] || userdel "$user" 2>/dev/null; }
trap cleanup EXIT
[ "$(id -u "$user")" != 0 ] || { echo "FAIL $user is uid 0"; exit 1; }
E2E_USER=$user "$HERE/e2e_truth.sh" "$@"
