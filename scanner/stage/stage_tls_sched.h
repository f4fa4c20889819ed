/* SPDX-License-Identifier: MIT */
/*
 * When the TLS stage may open a connection, and when a failed one is tried
 * again (no false NO_TLS under load; responsible
 * scanning by default). One scheduler per worker lcore, no DPDK, no I/O:
 * the stage asks before each tcp_connect() and reports each close, and the
 * unit test drives it with a fake clock.
 *
 * Three limits, all of which must allow a connection:
 * - the total window: connections in flight on this worker, adapted by
 *   AIMD (slow start, then a slow increase; halved when the recent share of
 *   load failures rises above the population's own baseline), never above
 *   this worker's share of --max-connections;
 * - per destination /24: its own AIMD window, capped by --net-max-connections,
 *   and a token bucket of --net-rate new connections per second
 *   (scanner/core/rate.h): one machine often serves a whole /24, and a scan
 *   must never be what overloads it;
 * - the stage's own limits (probe slots, -r), checked by the caller.
 *
 * A "load failure" is an outcome that an overloaded server explains: RST
 * or no answer to the SYN of a host that answered the sweep, or RST/FIN/read
 * timeout after the handshake with not one byte received. But a host's own
 * consistent behaviour is not load: a host that resets every connection,
 * closes after the hello or never sends (a tarpit) fails the same way on an
 * idle network. So the last three count as load only with evidence: the host
 * answered on an earlier connection, or its /24 has answered (at least one
 * answer for every two failures there: failures where answers are the rule).
 * Without evidence they neither cut a window nor, for a read timeout, cost
 * another attempt (a tarpit costs one --read-timeout, not --max-attempts of
 * them). A load failure is queued for another attempt after --retry-delay,
 * doubling, up to --max-attempts in all; only then is its outcome written.
 */
#ifndef TLSMAP_SCANNER_STAGE_TLS_SCHED_H
#define TLSMAP_SCANNER_STAGE_TLS_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "scanner/core/rate.h"

#define SCHED_MAX_ATTEMPTS 8 /* ceiling of --max-attempts */

/* What a finished connection says about the load of its destination. */
enum sched_signal {
	SCHED_ANSWERED = 0, /* the host answered (any byte, or a clean TLS outcome) */
	SCHED_LOAD_FAIL,    /* a failure that load explains: retry, and back off */
	SCHED_NEUTRAL,	    /* says nothing (scan aborted) */
	SCHED_SILENT,	    /* a read timeout on a host not yet heard from: load if its /24
			       answers, else a tarpit's own way */
	SCHED_SYN_LOST,	    /* answered, but only after a SYN was sent again: back off */
	SCHED_SLOW,	    /* answered, but far slower than this /24 can: back off */
	SCHED_DROPPED,	    /* reset or closed without a byte, host not heard from: load
			       if its /24 answers, else the host's own way */
};

struct sched_cfg {
	uint32_t max_conns;	 /* ceiling of the total window (>= 1) */
	uint32_t init_conns;	 /* first total window; 0: min(max_conns, 256) */
	uint32_t net_max_conns;	 /* per /24 in flight (>= 1) */
	uint64_t net_rate;	 /* new connections/s per /24; 0: no limit */
	uint32_t max_attempts;	 /* connections per probe for load failures, 1..8 */
	uint64_t retry_delay_ns; /* before the second attempt; doubles after */
	uint32_t queue_cap;	 /* probes that may wait for a retry at once (>= 1) */
};

/* One AIMD window (total or per /24). */
struct sched_aimd {
	float cwnd;	      /* connections allowed in flight */
	float ssthresh;	      /* slow start below this */
	float fail_ewma;      /* recent share of load failures (alpha 1/16) */
	uint64_t last_cut_ns; /* a failure of an attempt older than this cuts no more */
};

struct sched_net {
	uint32_t key;	   /* (ip >> 8) + 1 in host order; 0: free slot */
	uint32_t inflight; /* connections open to this /24 now */
	uint64_t last_ns;  /* last open or close */
	struct sched_aimd w;
	float min_answer_ms; /* fastest answer seen from this /24 (0: none yet) */
	uint32_t answers;    /* connections of this /24 that were answered */
	uint32_t failures;   /* and that failed without a byte, load or not */
	uint32_t fail_epoch; /* 1 + the epoch of its last load failure (0: none) */
	struct rate bucket;
};

struct sched_wait {
	uint64_t due_ns;
	uint32_t probe;
};

struct sched_stats {
	uint64_t opened, load_failures, retries, gave_up, cuts, net_cuts;
	uint64_t own_failures; /* failures without evidence of load: no back-off */
	uint64_t net_blocked;  /* launches postponed by a /24's window or rate */
	uint64_t table_full;   /* launches postponed: no /24 slot free */
	uint32_t min_cwnd, peak_inflight;
};

struct sched {
	struct sched_cfg cfg;
	struct sched_aimd w; /* the total window */
	uint32_t inflight;
	/* baseline of the load-failure share: the lowest of the last
	 * SCHED_EPOCHS one-second epochs with enough completions */
	uint64_t epoch_start_ns;
	uint32_t epoch_ok, epoch_fail;
	float epoch_frac[16];
	uint32_t nepochs, epoch_pos;
	/* how widely load failures spread: /24s with one, this epoch and the last */
	uint32_t epoch_no, fail_nets, prev_fail_nets;
	struct sched_net *nets;
	uint32_t nets_mask;
	/* retry queues, one FIFO per attempt number (each has a fixed delay) */
	struct sched_wait *q[SCHED_MAX_ATTEMPTS];
	uint32_t q_head[SCHED_MAX_ATTEMPTS], q_len[SCHED_MAX_ATTEMPTS];
	uint32_t waiting;
	struct sched_stats stats;
};

/* 0, or -EINVAL (bad cfg) / -ENOMEM. On failure nothing is left allocated. */
int sched_init(struct sched *s, const struct sched_cfg *cfg, uint64_t now_ns);
void sched_free(struct sched *s);
/* Bytes allocated (the /24 table and the retry queues). */
uint64_t sched_bytes(const struct sched *s);

/*
 * An answered connection's server time (connection established to first
 * byte): true when it is slow for its /24, more than 8 times the fastest
 * answer seen from that /24 plus 100 ms: the server queues handshakes, the
 * sign of overload that comes before any timeout. Updates the /24's fastest.
 */
bool sched_answer_slow(struct sched *s, uint32_t ip, uint64_t answer_ns);

/* How a closed connection is classified: @tcp_outcome is a dpdk/tcp.h
 * enum tcp_outcome, @bytes what the server sent, @finished whether the
 * application reached an outcome of its own (certificate, alert, ...),
 * @host_answered whether this host sent bytes on an earlier connection. */
enum sched_signal sched_classify(int tcp_outcome, uint32_t bytes, bool finished,
				 bool host_answered);

/* May a connection to @ip (host order) open now? Does not take it. */
bool sched_may_open(struct sched *s, uint32_t ip, uint64_t now_ns);
/* A connection to @ip was opened (after sched_may_open said yes). */
void sched_opened(struct sched *s, uint32_t ip, uint64_t now_ns);
/* A connection to @ip that was opened at @opened_ns closed with @sig.
 * SCHED_SYN_LOST is the earliest sign of an overloaded server: its listen
 * queue is full and the kernel drops SYNs, the sweep's among them, long
 * before anything times out; it counts as a load failure for the windows
 * (the probe itself succeeded). SCHED_DROPPED and SCHED_SILENT count as load
 * failures only with evidence (the /24 answers). Returns true when the probe
 * deserves another attempt (the caller then calls sched_retry_later()): a
 * load failure, a quick SCHED_DROPPED (it costs one round trip), or a
 * SCHED_SILENT with evidence of load on its /24 or a total window cut in the
 * last few seconds. */
bool sched_closed(struct sched *s, uint32_t ip, enum sched_signal sig, uint64_t opened_ns,
		  uint64_t now_ns);

/*
 * After a failure that sched_closed() found worth retrying, of attempt number @attempts (1 = the
 * first): queue @probe for attempt @attempts + 1 and return true, or return false when it has had
 * its attempts (the caller writes the outcome).
 */
bool sched_retry_later(struct sched *s, uint32_t probe, uint32_t attempts, uint64_t now_ns);
/* The next probe whose retry is due, removed from its queue; UINT32_MAX if none. */
uint32_t sched_retry_due(struct sched *s, uint64_t now_ns);
/* Put back a probe that sched_retry_due() gave but could not be started. */
void sched_retry_putback(struct sched *s, uint32_t probe, uint64_t now_ns);
/* Any probe, due or not; UINT32_MAX when none waits (used when a scan stops). */
uint32_t sched_retry_any(struct sched *s);
/* Sum the workers' statistics (@first: @sum is still empty). */
void sched_stats_add(struct sched_stats *sum, const struct sched_stats *w, bool first);
/* The total window has room (checked by sched_may_open() too). */
static inline bool sched_total_open(const struct sched *s)
{
	return s->inflight < (uint32_t)s->w.cwnd;
}
static inline uint32_t sched_waiting(const struct sched *s)
{
	return s->waiting;
}
static inline uint32_t sched_window(const struct sched *s)
{
	return (uint32_t)s->w.cwnd;
}

#endif
