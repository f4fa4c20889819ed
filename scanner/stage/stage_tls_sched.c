/* SPDX-License-Identifier: MIT */
/*
 * The TLS stage's connection scheduler (stage_tls_sched.h): AIMD windows,
 * total and per destination /24, and delayed retries of load failures.
 *
 * Why AIMD and not a fixed --max-connections: the right number of
 * connections in flight is set by the servers, not by the scanner. 65,536
 * addresses served by one nginx on a shared machine answer everything at a
 * few hundred connections in flight and time out or reset a third of them
 * at 65,536; on the internet the same scan spreads over millions of
 * machines and wants the ceiling. So the window starts small, grows as
 * connections are answered (slow start: +1 per answer, doubling each round
 * trip; above ssthresh +1/8 of the window per window of answers, so it
 * still grows by 12% a round instead of TCP's +1, which would take hours
 * to reach an internet-scale window), and is halved when load failures
 * rise.
 *
 * The failure signal, and why it is not "any failure": on the internet a
 * steady share of hosts that answered the sweep never complete a TLS
 * handshake (tarpits, filters, hosts that reset every connection or close
 * after the hello), and they fail again on every attempt. A window that
 * halved on each of them would sit at its floor: on a range of such hosts
 * it did (16 connections in flight, ~4 per second through tarpits). Two
 * defences. First, a failure counts as load only with evidence of load:
 * failures that are never a host's own way (an RST or no answer to the SYN
 * of a host that just answered the sweep: its listen queue is full, and
 * then the kernel drops the sweep's SYNs too), failures of hosts that
 * answered an earlier connection, and resets, closes and silences without a
 * byte (SCHED_DROPPED, SCHED_SILENT) only on a /24 that answers (one answer
 * per two failures at least: where failing is not the rule). A /24 that
 * never answers, or a tarpit, or a host that resets everything is the
 * network's own behaviour; it is counted (own_failures) and cuts no window
 * (it lets the total window grow as an answer does: no evidence of load,
 * and a window full of tarpits would otherwise never grow back after a
 * cut), and a silence there is not retried (each tarpit costs one read
 * timeout; after a recent total cut, only on a /24 that has answered). A
 * silence on a /24 that answers is retried, but no window hears of
 * silences: tarpits mixed among answering hosts are common, and their
 * timeouts arrive in bursts a read timeout after each pause in launching,
 * which would feed back into more pauses (and a /24 window cut to 1 by
 * them serialises the /24's tarpits: minutes). A busy server shows itself
 * to the windows anyway, before any timeout, by resets, by answers that come far later than the
 * /24's fastest (SCHED_SLOW: handshakes queue at the server; a delay
 * signal, as in TCP Vegas, compared per /24 because hosts of one /24 share
 * a path) and by SYNs that had to be sent again (SCHED_SYN_LOST).
 * Second, the total window is cut only when the recent share of load failures
 * (an EWMA over the last ~256 completions, whose noise at a 20% baseline is 0.02) exceeds the
 * baseline, the lowest share of the last 16 one-second epochs, by 10 points: a rise, not a level;
 * and only when load failures came from at least SPREAD_NETS /24s in this epoch or the last.
 * Load on one network (one server behind a /24, or a /24 that mixes honest hosts with hosts
 * that reset everything) is that /24's window's business; what the total window guards, the
 * scanner's own path and machines that serve many networks, fails across many /24s at once.
 * The /24 windows have no baseline (a /24 holds few hosts): they are cut when half of their recent
 * completions failed.
 *
 * One cut per round, as TCP does per RTT: connections opened before the
 * last cut were sent under the old window, so their failures (which arrive
 * up to --read-timeout later) do not cut again.
 *
 * The /24 table is open addressing over a fixed power-of-two array made at
 * start-up (2 slots per connection of the worker, so at most half can be
 * busy). Lookup scans 16 slots from the hash: a matching slot, else a free
 * one, else the idle (no connection in flight) slot used longest ago; a
 * /24 whose 16 slots are all busy waits (counted in table_full). An
 * evicted /24 forgets its window: it had nothing in flight.
 */
#include "scanner/stage/stage_tls_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpdk/tcp.h"

#define EWMA_TOTAL (1.0f / 256.0f) /* the total window: many hosts, a smooth share */
#define EWMA_NET (1.0f / 16.0f)	   /* a /24: few hosts, react within a few of them */
#define NO_BASELINE 0.30f	   /* cut level until a first epoch has been measured */
#define TOTAL_RISE 0.10f	   /* cut the total window at baseline + this */
#define NET_FAIL 0.50f		   /* cut a /24's window at this share */
#define TOTAL_FLOOR 16u		   /* the total window never goes below this (or max_conns) */
#define EPOCH_NS 1000000000ull
#define EPOCH_MIN 20u  /* completions for an epoch to count in the baseline */
#define NET_PROBE 16u  /* slots scanned per /24 lookup */
#define SPREAD_NETS 4u /* /24s with load failures for a cut of the total window */
#define NONE UINT32_MAX

static float minf(float a, float b)
{
	return a < b ? a : b;
}
static float maxf(float a, float b)
{
	return a > b ? a : b;
}

enum sched_signal sched_classify(int tcp_outcome, uint32_t bytes, bool finished, bool host_answered)
{
	if (tcp_outcome == TCP_OUT_ABORTED)
		return SCHED_NEUTRAL;
	if (bytes || finished)
		return SCHED_ANSWERED;
	switch (tcp_outcome) {
	case TCP_OUT_CLOSED:	/* RST to the SYN of a port the sweep found open */
	case TCP_OUT_NO_ANSWER: /* SYNs unanswered (listen queue full) */
		return SCHED_LOAD_FAIL;
	case TCP_OUT_RESET: /* accepted, then reset: out of workers or files, or its way */
	case TCP_OUT_FIN:   /* accepted, then closed without a byte */
		return host_answered ? SCHED_LOAD_FAIL : SCHED_DROPPED;
	case TCP_OUT_READ_TIMEOUT: /* accepted, never answered: a tarpit, unless heard before */
		return host_answered ? SCHED_LOAD_FAIL : SCHED_SILENT;
	default:
		return SCHED_ANSWERED;
	}
}

static void aimd_init(struct sched_aimd *a, float cwnd, float ceiling)
{
	a->cwnd = cwnd;
	a->ssthresh = ceiling;
	a->fail_ewma = 0;
	a->last_cut_ns = 0;
}

/* Growth for one completion without a load failure. @busy: the window was at
 * least half used (no growth while the window is not what limits: RFC 7661's
 * idea). */
static void aimd_grow(struct sched_aimd *a, bool busy, float ceiling)
{
	if (!busy)
		return;
	if (a->cwnd < a->ssthresh)
		a->cwnd += 1;
	else
		a->cwnd += maxf(1.0f, a->cwnd / 8) / a->cwnd;
	a->cwnd = minf(a->cwnd, ceiling);
}

/* One completion. @busy: the window was at least half used (no growth
 * while the window is not what limits: RFC 7661's idea). Returns true when
 * the window was cut. */
static bool aimd_event(struct sched_aimd *a, bool fail, bool busy, float alpha, float cut_at,
		       float floor, float ceiling, uint64_t opened_ns, uint64_t now_ns)
{
	a->fail_ewma += ((fail ? 1.0f : 0.0f) - a->fail_ewma) * alpha;
	if (fail) {
		if (a->fail_ewma > cut_at && opened_ns >= a->last_cut_ns) {
			a->cwnd = maxf(floor, a->cwnd / 2);
			a->ssthresh = a->cwnd;
			a->last_cut_ns = now_ns;
			return true;
		}
		return false;
	}
	aimd_grow(a, busy, ceiling);
	return false;
}

int sched_init(struct sched *s, const struct sched_cfg *cfg, uint64_t now_ns)
{
	memset(s, 0, sizeof(*s));
	if (!cfg->max_conns || !cfg->net_max_conns || !cfg->queue_cap || !cfg->max_attempts ||
	    cfg->max_attempts > SCHED_MAX_ATTEMPTS)
		return -EINVAL;
	s->cfg = *cfg;
	if (!s->cfg.init_conns)
		s->cfg.init_conns = cfg->max_conns < 256 ? cfg->max_conns : 256;
	if (s->cfg.init_conns > cfg->max_conns)
		s->cfg.init_conns = cfg->max_conns;
	aimd_init(&s->w, (float)s->cfg.init_conns, (float)cfg->max_conns);
	s->stats.min_cwnd = s->cfg.init_conns;
	s->epoch_start_ns = now_ns;

	uint64_t slots = 64;
	while (slots < 2ull * cfg->max_conns && slots < (1ull << 24))
		slots <<= 1;
	s->nets = calloc(slots, sizeof(*s->nets));
	s->nets_mask = (uint32_t)(slots - 1);
	/* q[0] holds due probes put back; q[k] probes waiting for attempt k + 1 */
	for (uint32_t k = 0; k < cfg->max_attempts; k++)
		s->q[k] = malloc((size_t)cfg->queue_cap * sizeof(*s->q[k]));
	bool ok = s->nets != NULL;
	for (uint32_t k = 0; k < cfg->max_attempts; k++)
		ok = ok && s->q[k];
	if (!ok) {
		sched_free(s);
		return -ENOMEM;
	}
	return 0;
}

void sched_free(struct sched *s)
{
	free(s->nets);
	for (unsigned k = 0; k < SCHED_MAX_ATTEMPTS; k++)
		free(s->q[k]);
	memset(s, 0, sizeof(*s));
}

uint64_t sched_bytes(const struct sched *s)
{
	return s->nets ? ((uint64_t)s->nets_mask + 1) * sizeof(*s->nets) +
				 (uint64_t)s->cfg.max_attempts * s->cfg.queue_cap *
					 sizeof(struct sched_wait)
		       : 0;
}

/* The /24 of @ip: its slot, a new one, or NULL (all candidates busy). */
static struct sched_net *net_slot(struct sched *s, uint32_t ip, uint64_t now_ns, bool create)
{
	uint32_t key = (ip >> 8) + 1;
	uint32_t h = (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 40);
	struct sched_net *fresh = NULL, *idle = NULL;

	for (uint32_t k = 0; k < NET_PROBE; k++) {
		struct sched_net *n = &s->nets[(h + k) & s->nets_mask];
		if (n->key == key)
			return n;
		if (!n->key) {
			if (!fresh)
				fresh = n;
		} else if (!n->inflight && (!idle || n->last_ns < idle->last_ns)) {
			idle = n;
		}
	}
	if (!create)
		return NULL;
	struct sched_net *n = fresh ? fresh : idle;
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->key = key;
	n->last_ns = now_ns;
	float ceil_n = (float)s->cfg.net_max_conns;
	/* start at the cap, the in-flight bound a /24 accepts by default: a /24
	 * of tarpits gives no answer to grow on, and must not hold the scan up
	 * at a fraction of its share; evidence of load halves it */
	aimd_init(&n->w, ceil_n, ceil_n);
	rate_init(&n->bucket, s->cfg.net_rate, 1000000000ull, now_ns);
	return n;
}

bool sched_may_open(struct sched *s, uint32_t ip, uint64_t now_ns)
{
	if (s->inflight >= (uint32_t)s->w.cwnd)
		return false;
	struct sched_net *n = net_slot(s, ip, now_ns, true);
	if (!n) {
		s->stats.table_full++;
		return false;
	}
	if (n->inflight >= (uint32_t)n->w.cwnd ||
	    (s->cfg.net_rate && rate_ticks_until_next(&n->bucket, now_ns) != 0)) {
		s->stats.net_blocked++;
		return false;
	}
	return true;
}

void sched_opened(struct sched *s, uint32_t ip, uint64_t now_ns)
{
	struct sched_net *n = net_slot(s, ip, now_ns, true);
	s->inflight++;
	s->stats.opened++;
	if (s->inflight > s->stats.peak_inflight)
		s->stats.peak_inflight = s->inflight;
	if (!n)
		return; /* only when the caller skipped sched_may_open() */
	n->inflight++;
	n->last_ns = now_ns;
	if (s->cfg.net_rate)
		rate_take(&n->bucket, now_ns, 1);
}

/* Start a new one-second epoch when this one is over: its share of load
 * failures joins the baseline's, its count of failing /24s becomes the last. */
static void epoch_roll(struct sched *s, uint64_t now_ns)
{
	if (now_ns - s->epoch_start_ns < EPOCH_NS)
		return;
	uint32_t total = s->epoch_ok + s->epoch_fail;
	if (total >= EPOCH_MIN) {
		s->epoch_frac[s->epoch_pos] = (float)s->epoch_fail / (float)total;
		s->epoch_pos = (s->epoch_pos + 1) % 16;
		if (s->nepochs < 16)
			s->nepochs++;
	}
	s->prev_fail_nets = now_ns - s->epoch_start_ns < 2 * EPOCH_NS ? s->fail_nets : 0;
	s->fail_nets = 0;
	s->epoch_no++;
	s->epoch_ok = s->epoch_fail = 0;
	s->epoch_start_ns = now_ns;
}

/* The baseline: the lowest load-failure share of the recent epochs. */
static float baseline(const struct sched *s)
{
	if (!s->nepochs)
		return NO_BASELINE - TOTAL_RISE;
	float b = 1.0f;
	for (uint32_t k = 0; k < s->nepochs; k++)
		b = minf(b, s->epoch_frac[k]);
	return b;
}

/* Do failures on @n's /24 say "load"? It has answered, at least once for
 * every two failures: failing is not this network's way. */
static bool net_evidence(const struct sched_net *n)
{
	return n && n->answers && (uint64_t)n->answers * 2 >= n->failures;
}

#define RECENT_CUT_NS (10 * EPOCH_NS) /* a total cut this recent: the scan is loading something */

bool sched_closed(struct sched *s, uint32_t ip, enum sched_signal sig, uint64_t opened_ns,
		  uint64_t now_ns)
{
	struct sched_net *n = net_slot(s, ip, now_ns, false);
	bool evidence = net_evidence(n);
	bool answered = sig == SCHED_ANSWERED || sig == SCHED_SYN_LOST || sig == SCHED_SLOW;
	bool maybe = sig == SCHED_DROPPED || sig == SCHED_SILENT;
	bool fail = sig == SCHED_LOAD_FAIL || sig == SCHED_SYN_LOST || sig == SCHED_SLOW ||
		    (maybe && evidence);
	bool recent_cut = s->w.last_cut_ns && now_ns - s->w.last_cut_ns < RECENT_CUT_NS;
	bool retry = sig == SCHED_LOAD_FAIL || sig == SCHED_DROPPED ||
		     (sig == SCHED_SILENT && (evidence || (recent_cut && n && n->answers)));

	if (s->inflight)
		s->inflight--;
	if (n && n->inflight)
		n->inflight--;
	if (n) {
		n->last_ns = now_ns;
		if (answered && n->answers < UINT32_MAX)
			n->answers++;
		else if ((sig == SCHED_LOAD_FAIL || maybe) && n->failures < UINT32_MAX)
			n->failures++;
	}
	if (sig == SCHED_NEUTRAL)
		return false;
	epoch_roll(s, now_ns);
	if (sig == SCHED_SILENT && evidence)
		return retry; /* retried; no window hears of a silence (see the top) */
	if (maybe && !fail) {
		/* the host's own way: no evidence of load. It cuts nothing and counts
		 * in no failure share, but it lets a full total window grow by one,
		 * as slow start does: a window full of tarpits after a cut would
		 * otherwise take minutes to grow back (their slots cost the servers
		 * no handshake) */
		s->stats.own_failures++;
		if ((float)(s->inflight + 1) * 2 >= s->w.cwnd) /* +1, as slow start */
			s->w.cwnd = minf(s->w.cwnd + 1, (float)s->cfg.max_conns);
		return retry;
	}
	if (fail) {
		s->stats.load_failures++;
		s->epoch_fail++;
		if (n && n->fail_epoch != s->epoch_no + 1) {
			n->fail_epoch = s->epoch_no + 1;
			s->fail_nets++;
		}
	} else {
		s->epoch_ok++;
	}
	float floor = (float)(s->cfg.max_conns < TOTAL_FLOOR ? s->cfg.max_conns : TOTAL_FLOOR);
	bool spread = s->fail_nets >= SPREAD_NETS || s->prev_fail_nets >= SPREAD_NETS;
	float cut_at = spread ? minf(0.9f, baseline(s) + TOTAL_RISE) : 2.0f; /* 2: never */
	if (aimd_event(&s->w, fail, (float)(s->inflight + 1) * 2 >= s->w.cwnd, EWMA_TOTAL, cut_at,
		       floor, (float)s->cfg.max_conns, opened_ns, now_ns)) {
		s->stats.cuts++;
		if ((uint32_t)s->w.cwnd < s->stats.min_cwnd)
			s->stats.min_cwnd = (uint32_t)s->w.cwnd;
	}
	if (n && aimd_event(&n->w, fail, (float)(n->inflight + 1) * 2 >= n->w.cwnd, EWMA_NET,
			    NET_FAIL, 1.0f, (float)s->cfg.net_max_conns, opened_ns, now_ns))
		s->stats.net_cuts++;
	return retry;
}

bool sched_answer_slow(struct sched *s, uint32_t ip, uint64_t answer_ns)
{
	struct sched_net *n = net_slot(s, ip, 0, false);
	float ms = (float)answer_ns / 1e6f;
	if (!n)
		return false;
	if (n->min_answer_ms <= 0 || ms < n->min_answer_ms) {
		n->min_answer_ms = ms > 0.001f ? ms : 0.001f;
		return false;
	}
	return ms > 8 * n->min_answer_ms + 100;
}

/* ---- retries ---- */

static void q_push(struct sched *s, uint32_t k, uint32_t probe, uint64_t due_ns)
{
	struct sched_wait *e = &s->q[k][(s->q_head[k] + s->q_len[k]) % s->cfg.queue_cap];
	e->due_ns = due_ns;
	e->probe = probe;
	s->q_len[k]++;
	s->waiting++;
}

static uint32_t q_pop(struct sched *s, uint32_t k)
{
	uint32_t p = s->q[k][s->q_head[k]].probe;
	s->q_head[k] = (s->q_head[k] + 1) % s->cfg.queue_cap;
	s->q_len[k]--;
	s->waiting--;
	return p;
}

bool sched_retry_later(struct sched *s, uint32_t probe, uint32_t attempts, uint64_t now_ns)
{
	/* the queues are sized for every probe slot: one probe waits in one queue */
	if (attempts < 1 || attempts >= s->cfg.max_attempts || s->waiting >= s->cfg.queue_cap) {
		s->stats.gave_up++;
		return false;
	}
	/* every entry of queue k has the same delay, so each queue stays in due order */
	uint64_t delay = s->cfg.retry_delay_ns << (attempts - 1);
	q_push(s, attempts, probe, now_ns + delay);
	s->stats.retries++;
	return true;
}

uint32_t sched_retry_due(struct sched *s, uint64_t now_ns)
{
	for (uint32_t k = 0; k < s->cfg.max_attempts; k++)
		if (s->q_len[k] && s->q[k][s->q_head[k]].due_ns <= now_ns)
			return q_pop(s, k);
	return NONE;
}

void sched_retry_putback(struct sched *s, uint32_t probe, uint64_t now_ns)
{
	q_push(s, 0, probe, now_ns);
}

uint32_t sched_retry_any(struct sched *s)
{
	for (uint32_t k = 0; k < s->cfg.max_attempts; k++)
		if (s->q_len[k])
			return q_pop(s, k);
	return NONE;
}

void sched_stats_add(struct sched_stats *sum, const struct sched_stats *w, bool first)
{
	sum->opened += w->opened;
	sum->load_failures += w->load_failures;
	sum->retries += w->retries;
	sum->gave_up += w->gave_up;
	sum->cuts += w->cuts;
	sum->net_cuts += w->net_cuts;
	sum->own_failures += w->own_failures;
	sum->net_blocked += w->net_blocked;
	sum->table_full += w->table_full;
	sum->peak_inflight += w->peak_inflight;
	if (first || w->min_cwnd < sum->min_cwnd)
		sum->min_cwnd = w->min_cwnd;
}
