#!/bin/bash
# SPDX-License-Identifier: MIT
#
# slurm.sh - a private single-node Slurm cluster for tests (root; no systemd).
#
#   tests/lab/slurm.sh up DIR [NETNS]   munged + slurmctld + slurmd, all state,
#                                       sockets, logs and pid files under DIR;
#                                       returns once the node is idle
#   tests/lab/slurm.sh down DIR         cancel every job, stop the daemons by
#                                       pid, remove DIR (and what up added to NETNS)
# After up: export SLURM_CONF=DIR/slurm.conf (clients need it), and run them
# in NETNS too when one was given (ip netns exec NETNS ...).
#
# With NETNS (the lab's scanner namespace) the daemons, and so every job,
# run inside that network namespace, so jobs reach what it reaches. Two
# things differ there: `ip netns exec` gives its command a fresh /sys without
# the cgroup mounts, which slurmd 22.05 refuses to start without, so the
# host's cgroup mounts are mounted again in the daemons' mount namespace; and
# with 127.0.0.1 as its only address glibc's AI_ADDRCONFIG will not resolve
# 127.0.0.1, so up adds 127.0.0.2/32 on lo (down removes it).
#
# Other choices: the node is `hostname -s` (slurmctld insists on it), ports
# are picked free, batch_sched_delay=0 (no 3 s wait per wave), no cgroups or
# accounting (jobcomp/filetxt keeps final states), kill_invalid_depend.
# down cancels jobs before stopping slurmd: a killed slurmd leaves its job
# steps running.
set -uo pipefail
WAIT=${SLURM_UP_TIMEOUT:-60} # seconds for the node to become idle

say() { echo "slurm.sh: $*" >&2; }
alive() { # PID: exists and is not a zombie
	local st
	[ -n "${1:-}" ] && st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]
}
stop_pid() { # PID: TERM, then KILL after 10 s
	local i
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do alive "$1" || return 0; sleep 0.1; done
	say "pid $1 ignored SIGTERM; SIGKILL"
	kill -KILL "$1" 2>/dev/null
}
free_port() { # PORT NETNS: nothing listens on PORT there
	[ -z "$(${2:+ip netns exec "$2"} ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
}
descendants() { # PID...: the PIDs and all their descendants
	local all="" f l p ppid out=" $* " grew=1
	for f in /proc/[0-9]*/stat; do # "PID (COMM) STATE PPID ...": COMM may hold blanks
		read -r l <"$f" 2>/dev/null || continue
		p=${f#/proc/} p=${p%/stat} l=${l##*) } l=${l#* } ppid=${l%% *}
		all+="$p $ppid"$'\n'
	done
	while [ $grew = 1 ]; do
		grew=0
		while read -r p ppid; do
			[[ -n $p && $out == *" $ppid "* && $out != *" $p "* ]] && { out="$out$p "; grew=1; }
		done <<<"$all"
	done
	echo $out
}
logs() {
	local f
	for f in "$1"/log/*.log; do [ -f "$f" ] && { say "--- $f"; tail -n 15 "$f" >&2; }; done
}

up() {
	local d=$1 ns=${2:-} host port i st mounts
	for p in munged mungekey slurmctld slurmd sinfo; do
		command -v $p >/dev/null || { say "$p is not installed"; return 1; }
	done
	[ -z "$ns" ] || [ -e "/run/netns/$ns" ] || { say "no network namespace $ns"; return 1; }
	mkdir -p "$d" && d=$(cd "$d" && pwd) || return 1
	[ -z "$(ls -A "$d")" ] || { say "$d is not empty"; return 1; }
	for p in "$(dirname "$d")" "$(dirname "$(dirname "$d")")"; do # munged checks its socket's ancestors
		[ "$(($(stat -c '0%a' "$p") & 1))" = 1 ] || { say "$p needs o+x (munged refuses a socket below it)"; return 1; }
	done
	(umask 022 && mkdir -p "$d"/munge "$d"/state "$d"/spool "$d"/log "$d"/run) || return 1
	chmod 0755 "$d" "$d/munge" # munged wants o+x on its socket's directory
	echo "${ns}" >"$d/netns"
	mungekey --create --keyfile="$d/munge/munge.key" || return 1
	chmod 0400 "$d/munge/munge.key"
	host=$(hostname -s)
	for ((i = 0; i < 50; i++)); do
		port=$((20000 + RANDOM % 20000 * 2))
		free_port $port "$ns" && free_port $((port + 1)) "$ns" && break
	done
	cat >"$d/slurm.conf" <<EOF
# written by tests/lab/slurm.sh (a test cluster; removed by slurm.sh down)
ClusterName=tlsmaptest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$d/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$d/log/jobcomp.log
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=kill_invalid_depend,batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
	# the daemons: in NETNS, in one mount namespace that has the host's cgroup mounts again
	mounts=$(awk '$2 ~ "^/sys/fs/cgroup" { print $3, $4, $1, $2 }' /proc/self/mounts)
	if [ -n "$ns" ]; then
		if ! ip netns exec "$ns" ip -o addr show dev lo | grep -q ' 127\.0\.0\.2/'; then
			ip netns exec "$ns" ip link set lo up &&
				ip netns exec "$ns" ip addr add 127.0.0.2/32 dev lo && touch "$d/lo-added"
		fi
		ip netns exec "$ns" iptables -C INPUT -i lo -j ACCEPT 2>/dev/null ||
			{ ip netns exec "$ns" iptables -I INPUT -i lo -j ACCEPT && touch "$d/lo-input"; }
		ip netns exec "$ns" iptables -C OUTPUT -o lo -j ACCEPT 2>/dev/null ||
			{ ip netns exec "$ns" iptables -I OUTPUT -o lo -j ACCEPT && touch "$d/lo-output"; }
	fi
	${ns:+ip netns exec "$ns"} bash -c '
		d=$1 mounts=$2
		if ! grep -q " /sys/fs/cgroup " /proc/self/mounts; then
			while read -r type opts src dir; do
				[ -n "$type" ] || continue
				mkdir -p "$dir" 2>/dev/null
				mount -t "$type" -o "$opts" "$src" "$dir" || exit 1
			done <<<"$mounts"
		fi
		munged --socket="$d/munge/munge.sock" --key-file="$d/munge/munge.key" \
			--log-file="$d/log/munged.log" --pid-file="$d/run/munged.pid" \
			--seed-file="$d/munge/munged.seed" || exit 1
		slurmctld -f "$d/slurm.conf" || exit 1
		slurmd -f "$d/slurm.conf" || exit 1
	' slurm-up "$d" "$mounts" </dev/null 9<&- || { say "starting the daemons failed"; logs "$d"; down "$d"; return 1; }
	for ((i = 0; i < WAIT * 5; i++)); do
		st=$(SLURM_CONF=$d/slurm.conf ${ns:+ip netns exec "$ns"} sinfo -h -n "$host" -o %T 2>/dev/null)
		if [ "$st" = idle ]; then
			say "up in $d${ns:+ (network namespace $ns)}; export SLURM_CONF=$d/slurm.conf"
			return 0
		fi
		sleep 0.2
	done
	say "node not idle after ${WAIT}s (state '$st')"
	logs "$d"
	down "$d"
	return 1
}

down() {
	local d=$1 ns="" i p comm stray=""
	[ -d "$d" ] || return 0
	d=$(cd "$d" && pwd)
	[ -f "$d/slurm.conf" ] && [ -f "$d/netns" ] || { say "$d was not made by slurm.sh up; not touching it"; return 1; }
	ns=$(cat "$d/netns")
	[ -z "$ns" ] || [ -e "/run/netns/$ns" ] || ns=""
	if alive "$(cat "$d/run/slurmctld.pid" 2>/dev/null)"; then
		SLURM_CONF=$d/slurm.conf ${ns:+ip netns exec "$ns"} timeout 20 scancel --partition=test 2>/dev/null
		for ((i = 0; i < 100; i++)); do # a running step keeps a socket in the spool directory
			[ -n "$(find "$d/spool" -maxdepth 1 -type s 2>/dev/null)" ] || break
			sleep 0.2
		done
	fi
	for p in slurmd slurmctld munged; do stop_pid "$(cat "$d/run/$p.pid" 2>/dev/null)"; done
	# job steps whose slurmd died first: slurmstepd holding files under DIR, and their children
	for p in /proc/[0-9]*; do
		read -r comm <"$p/comm" 2>/dev/null || continue
		[ "$comm" = slurmstepd ] || continue
		[[ "$(ls -l "$p/fd" 2>/dev/null)" == *"$d/"* ]] && stray="$stray ${p#/proc/}"
	done
	if [ -n "$stray" ]; then
		stray=$(descendants $stray)
		say "killing stray job processes:" $stray
		kill -KILL $stray 2>/dev/null
	fi
	if [ -n "$ns" ]; then
		[ ! -f "$d/lo-added" ] || ip netns exec "$ns" ip addr del 127.0.0.2/32 dev lo 2>/dev/null
		[ ! -f "$d/lo-input" ] || ip netns exec "$ns" iptables -D INPUT -i lo -j ACCEPT 2>/dev/null
		[ ! -f "$d/lo-output" ] || ip netns exec "$ns" iptables -D OUTPUT -o lo -j ACCEPT 2>/dev/null
	fi
	rm -rf "$d"
	say "down"
}

case ${1:-} in
up) [ $# -ge 2 ] || { echo "usage: $0 up DIR [NETNS]" >&2; exit 2; }; up "$2" "${3:-}" ;;
down) [ $# -ge 2 ] || { echo "usage: $0 down DIR" >&2; exit 2; }; down "$2" ;;
*) echo "usage: $0 up DIR [NETNS] | down DIR" >&2; exit 2 ;;
esac
