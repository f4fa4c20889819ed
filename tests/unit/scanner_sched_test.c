/* SPDX-License-Identifier: MIT */
/*
 * The TLS stage's scheduler (scanner/stage/stage_tls_sched.c) on a fake clock:
 * - classification: which outcomes are load failures;
 * - a simulated slow server behind a /16 that resets connections beyond
 *   what it can hold: the total window backs off to near its capacity and
 *   the failures stop (the shape of 65,536 addresses on one nginx);
 * - a population where a fifth of the hosts always fail (tarpits), with no
 *   overload: the window is not driven to its floor;
 * - an all-hostile /20 (resets, closes, tarpits, stalls, 64 normal hosts):
 *   the hosts' own ways cut no window, tarpits cost one read timeout each,
 *   and the scan ends in the time the per-/24 caps imply;
 * - overload that starts after the /24s answered: those failures cut the
 *   /24's window, and the total window when they spread over many /24s;
 * - per-/24 caps: never more in flight, never more new per second;
 * - retries: bounded attempts, doubling delays, due order, put back.
 */
#include <stdlib.h>
#include <string.h>

#include "dpdk/tcp.h"
#include "scanner/stage/stage_tls_sched.h"
#include "tests/unit/test.h"

#define MS 1000000ull

static void test_classify(void)
{
	/* accepted, then reset or closed without a byte: load, or the host's own way */
	CHECK(sched_classify(TCP_OUT_RESET, 0, false, false) == SCHED_DROPPED);
	CHECK(sched_classify(TCP_OUT_RESET, 0, false, true) == SCHED_LOAD_FAIL);
	CHECK(sched_classify(TCP_OUT_FIN, 0, false, true) == SCHED_LOAD_FAIL);
	CHECK(sched_classify(TCP_OUT_READ_TIMEOUT, 0, false, false) == SCHED_SILENT);
	CHECK(sched_classify(TCP_OUT_NO_ANSWER, 0, false, false) == SCHED_LOAD_FAIL);
	CHECK(sched_classify(TCP_OUT_CLOSED, 0, false, false) == SCHED_LOAD_FAIL);
	CHECK(sched_classify(TCP_OUT_FIN, 0, false, false) == SCHED_DROPPED);
	/* a byte, or an outcome of the TLS parser's own, is an answer */
	CHECK(sched_classify(TCP_OUT_READ_TIMEOUT, 5, false, false) == SCHED_ANSWERED);
	CHECK(sched_classify(TCP_OUT_RESET, 0, true, false) == SCHED_ANSWERED);
	CHECK(sched_classify(TCP_OUT_OPEN, 0, true, false) == SCHED_ANSWERED);
	CHECK(sched_classify(TCP_OUT_FLIGHT_TOO_LARGE, 100, false, false) == SCHED_ANSWERED);
	CHECK(sched_classify(TCP_OUT_ABORTED, 0, false, false) == SCHED_NEUTRAL);
	/* a timeout on a host heard from before is load; on a new host maybe a tarpit */
	CHECK(sched_classify(TCP_OUT_READ_TIMEOUT, 0, false, true) == SCHED_LOAD_FAIL);
}

struct sim_conn {
	uint32_t ip;
	uint64_t opened, ends;
	bool fail, served, tarpit;
};

/*
 * One server holding every address of 198.18.0.0/16 serves @capacity
 * connections at once (10 ms each); a connection opened beyond that is
 * reset 1 ms later. Hosts whose index % 5 == 0 fail always when @tarpits
 * (after 50 ms). Runs @secs simulated seconds; returns the failure share in
 * the last quarter and the window at the end.
 */
static void simulate(uint32_t capacity, bool tarpits, double secs, double *tail_fail,
		     uint32_t *end_window, uint32_t *peak_net)
{
	struct sched s;
	struct sched_cfg cfg = {.max_conns = 65536,
				.net_max_conns = 32,
				.net_rate = 0,
				.max_attempts = 3,
				.retry_delay_ns = 2000 * MS,
				.queue_cap = 65536};
	uint64_t now = 1000 * MS, end = now + (uint64_t)(secs * 1e9);
	CHECK(sched_init(&s, &cfg, now) == 0);
	struct sim_conn *c = calloc(70000, sizeof(*c));
	uint32_t nc = 0, next_host = 0, at_server = 0;
	uint64_t tail_n = 0, tail_f = 0;
	static uint32_t net_inflight[256];
	memset(net_inflight, 0, sizeof(net_inflight));
	*peak_net = 0;
	for (; now < end; now += MS) {
		/* completions */
		for (uint32_t k = 0; k < nc;) {
			if (c[k].ends > now) {
				k++;
				continue;
			}
			bool tail = now > end - (end - 1000 * MS) / 4;
			if (c[k].served)
				at_server--;
			if (tail) {
				tail_n++;
				tail_f += c[k].fail && !(tarpits && (c[k].ip & 0xffff) % 5 == 0);
			}
			net_inflight[(c[k].ip >> 8) & 0xff]--;
			/* as the stage classifies them: a tarpit's timeout, and the
			 * server's resets of connections it cannot hold */
			enum sched_signal sig =
				!c[k].fail ? SCHED_ANSWERED
				: c[k].tarpit
					? sched_classify(TCP_OUT_READ_TIMEOUT, 0, false, false)
					: sched_classify(TCP_OUT_RESET, 0, false, false);
			sched_closed(&s, c[k].ip, sig, c[k].opened, now);
			c[k] = c[--nc];
		}
		/* launches: hosts in order over the /16, as a permuted sweep would */
		for (int tries = 0; tries < 512 && nc < 70000; tries++) {
			uint32_t ip = 0xc6120000u | ((next_host * 40503u) & 0xffff);
			memset(&c[nc], 0, sizeof(c[nc]));
			if (!sched_total_open(&s))
				break;
			if (!sched_may_open(&s, ip, now)) { /* its /24 waits: the next host */
				next_host++;
				continue;
			}
			sched_opened(&s, ip, now);
			next_host++;
			struct sim_conn *n = &c[nc++];
			n->ip = ip;
			n->opened = now;
			if (tarpits && (ip & 0xffff) % 5 == 0) {
				n->fail = true;
				n->tarpit = true; /* accepted, never answers */
				n->ends = now + 50 * MS;
			} else if (at_server >= capacity) {
				n->fail = true;
				n->ends = now + MS;
			} else {
				at_server++;
				n->served = true;
				n->ends = now + 10 * MS;
			}
			uint32_t ni = ++net_inflight[(ip >> 8) & 0xff];
			if (ni > *peak_net)
				*peak_net = ni;
		}
	}
	*tail_fail = tail_n ? (double)tail_f / (double)tail_n : 1.0;
	*end_window = sched_window(&s);
	free(c);
	sched_free(&s);
}

static void test_overload(void)
{
	double fail;
	uint32_t win, peak;
	simulate(300, false, 20, &fail, &win, &peak);
	fprintf(stderr, "overload: tail failure share %.3f, window %u, peak per /24 %u\n", fail,
		win, peak);
	CHECK(fail < 0.05);		  /* backed off: (almost) no more resets */
	CHECK(win >= 100 && win <= 1200); /* near the server's 300, far below 65536 */
	CHECK(peak <= 32);		  /* --net-max-connections */
}

static void test_noise(void)
{
	double fail;
	uint32_t win, peak;
	/* a fast server (capacity far above need) with 20% tarpit hosts */
	simulate(1000000, true, 20, &fail, &win, &peak);
	fprintf(stderr, "noise: window %u\n", win);
	CHECK(win >= 2000); /* steady failures are a baseline, not a reason to back off */
}

static void test_net_rate(void)
{
	struct sched s;
	struct sched_cfg cfg = {.max_conns = 1000,
				.net_max_conns = 1000,
				.net_rate = 100,
				.max_attempts = 1,
				.retry_delay_ns = MS,
				.queue_cap = 16};
	uint64_t now = 5000 * MS;
	CHECK(sched_init(&s, &cfg, now) == 0);
	uint32_t opened = 0, other = 0;
	for (uint64_t t = now; t < now + 1000 * MS; t += MS / 4)
		for (int k = 0; k < 4; k++) {
			uint32_t ip = 0xc6120100u | (uint32_t)k;
			if (sched_may_open(&s, ip, t)) {
				sched_opened(&s, ip, t);
				sched_closed(&s, ip, SCHED_ANSWERED, t, t);
				opened++;
			}
			if (sched_may_open(&s, 0xc6120200u, t)) { /* another /24: its own bucket */
				sched_opened(&s, 0xc6120200u, t);
				sched_closed(&s, 0xc6120200u, SCHED_ANSWERED, t, t);
				other++;
			}
		}
	fprintf(stderr, "net rate: %u and %u in 1 s at 100/s\n", opened, other);
	CHECK(opened >= 99 && opened <= 101);
	CHECK(other >= 99 && other <= 101);
	sched_free(&s);
}

static void test_retries(void)
{
	struct sched s;
	struct sched_cfg cfg = {.max_conns = 10,
				.net_max_conns = 4,
				.net_rate = 0,
				.max_attempts = 3,
				.retry_delay_ns = 2000 * MS,
				.queue_cap = 8};
	uint64_t t = 1000 * MS;
	CHECK(sched_init(&s, &cfg, t) == 0);
	CHECK(sched_retry_later(&s, 7, 1, t));	/* 2nd attempt at t + 2 s */
	CHECK(sched_retry_later(&s, 8, 2, t));	/* 3rd attempt at t + 4 s */
	CHECK(!sched_retry_later(&s, 9, 3, t)); /* had its 3 attempts */
	CHECK(sched_waiting(&s) == 2);
	CHECK(sched_retry_due(&s, t + 1999 * MS) == UINT32_MAX);
	CHECK(sched_retry_due(&s, t + 2000 * MS) == 7);
	CHECK(sched_retry_due(&s, t + 3999 * MS) == UINT32_MAX);
	sched_retry_putback(&s, 7, t + 3999 * MS); /* its /24 had to wait */
	CHECK(sched_retry_due(&s, t + 3999 * MS) == 7);
	CHECK(sched_retry_due(&s, t + 4000 * MS) == 8);
	CHECK(sched_waiting(&s) == 0);
	CHECK(sched_retry_later(&s, 1, 1, t));
	CHECK(sched_retry_any(&s) == 1);
	CHECK(sched_retry_any(&s) == UINT32_MAX);
	CHECK_EQ_U64(s.stats.gave_up, 1);
	sched_free(&s);
	struct sched_cfg bad = cfg;
	bad.max_attempts = 9;
	CHECK(sched_init(&s, &bad, t) != 0);
}

/* SYNs that had to be sent again (a full listen queue) back off, before any timeout */
static void test_syn_lost(void)
{
	struct sched s;
	struct sched_cfg cfg = {.max_conns = 4096,
				.net_max_conns = 4096,
				.max_attempts = 3,
				.retry_delay_ns = 2000 * MS,
				.queue_cap = 16};
	uint64_t t = 1000 * MS;
	CHECK(sched_init(&s, &cfg, t) == 0);
	uint32_t w0 = sched_window(&s);
	/* on one /24: its window backs off, the total does not */
	for (int k = 0; k < 200; k++) {
		t += MS;
		sched_opened(&s, 0xc6120001u, t);
		sched_closed(&s, 0xc6120001u, SCHED_SYN_LOST, t, t + 1000 * MS);
	}
	CHECK(s.stats.net_cuts > 0);
	CHECK(sched_window(&s) == w0);
	/* across many /24s (one machine serving them all, or the scanner's path) */
	for (uint32_t k = 0; k < 200; k++) {
		uint32_t ip = 0xc6120001u + ((k % 16) << 8);
		t += MS;
		sched_opened(&s, ip, t);
		sched_closed(&s, ip, SCHED_SYN_LOST, t, t + 1000 * MS);
	}
	CHECK(sched_window(&s) < w0);
	CHECK(sched_waiting(&s) == 0); /* answered: nothing to retry */
	sched_free(&s);
}

/* answers far slower than the /24's fastest are a sign of a queue */
static void test_slow(void)
{
	struct sched s;
	struct sched_cfg cfg = {.max_conns = 64,
				.net_max_conns = 8,
				.max_attempts = 1,
				.retry_delay_ns = MS,
				.queue_cap = 4};
	CHECK(sched_init(&s, &cfg, 0) == 0);
	CHECK(sched_may_open(&s, 0xc6120001u, 0));	      /* makes the /24's slot */
	CHECK(!sched_answer_slow(&s, 0xc6120001u, 5 * MS));   /* first: the fastest */
	CHECK(!sched_answer_slow(&s, 0xc6120002u, 120 * MS)); /* < 8 x 5 ms + 100 ms */
	CHECK(sched_answer_slow(&s, 0xc61200feu, 200 * MS));
	CHECK(!sched_answer_slow(&s, 0xc6120002u, 2 * MS)); /* a faster one lowers the bar */
	CHECK(sched_answer_slow(&s, 0xc6120002u, 120 * MS));
	CHECK(!sched_answer_slow(&s, 0xc6130001u, 900 * MS)); /* another /24: no slot, no verdict */
	sched_free(&s);
}

/* ---- an all-hostile /20, the shape of tests/lab/tls_hostile_load.sh ---- */

enum hkind { H_NONE, H_STALL, H_TARPIT, H_SLOW, H_RESET, H_CLOSE, H_NORMAL };

/* 16 /24s: 4 of stalled flights, 4 of tarpits, 7 answering slowly (trickle,
 * endless, garbage, 1 MB chain), and one /24 of 128 resets, 64 closes and
 * 64 normal hosts (honest ones answer there: its failures look like load) */
static enum hkind hostile_kind(uint32_t idx)
{
	uint32_t net = idx >> 8, low = idx & 255;
	if (net < 4)
		return H_STALL;
	if (net < 8)
		return H_TARPIT;
	if (net < 15)
		return H_SLOW;
	if (low < 128)
		return H_RESET;
	if (low < 192)
		return H_CLOSE;
	return H_NORMAL;
}

/* how long a connection to host @idx lasts (read timeout 4 s) */
static uint64_t hostile_duration(uint32_t idx)
{
	switch (hostile_kind(idx)) {
	case H_STALL: /* a flight, then nothing until the read timeout */
	case H_TARPIT:
		return 4000 * MS;
	case H_SLOW:
		return 1000 * MS;
	case H_NORMAL:
		return 5 * MS;
	default:
		return 2 * MS;
	}
}

enum { HSIM_HOSTS = 4096 };
#define HSIM_IP0 0xc6124000u /* 198.18.64.0/20 */

/* The worker's launch loop over the hostile /20, one millisecond a step */
struct hsim {
	struct sched s;
	uint8_t attempts[HSIM_HOSTS], answered[HSIM_HOSTS];
	uint32_t pending[HSIM_HOSTS], net_inflight[16];
	struct {
		uint32_t host;
		uint64_t opened, ends;
	} c[HSIM_HOSTS];
	uint32_t npend, phead, nc, ndone, want, peak_net;
};

/* The connections that end at @now: their signal to the scheduler, then a
 * retry or the host is done. */
static void hsim_close_due(struct hsim *m, uint64_t now)
{
	for (uint32_t k = 0; k < m->nc;) {
		if (m->c[k].ends > now) {
			k++;
			continue;
		}
		uint32_t h = m->c[k].host;
		enum hkind kind = hostile_kind(h);
		int out = TCP_OUT_READ_TIMEOUT;
		uint32_t bytes = 0;
		bool finished = false;
		if (kind == H_STALL)
			bytes = 120000;
		else if (kind == H_SLOW || kind == H_NORMAL)
			bytes = 4000, finished = true, out = TCP_OUT_FIN;
		else if (kind == H_RESET)
			out = TCP_OUT_RESET;
		else if (kind == H_CLOSE)
			out = TCP_OUT_FIN;
		enum sched_signal sig = sched_classify(out, bytes, finished, m->answered[h]);
		m->answered[h] |= bytes > 0;
		m->net_inflight[h >> 8]--;
		if (!sched_closed(&m->s, HSIM_IP0 + h, sig, m->c[k].opened, now) ||
		    !sched_retry_later(&m->s, h, m->attempts[h], now))
			m->ndone++;
		m->c[k] = m->c[--m->nc];
	}
}

static void hsim_open(struct hsim *m, uint32_t h, uint64_t now)
{
	sched_opened(&m->s, HSIM_IP0 + h, now);
	m->attempts[h]++;
	m->c[m->nc].host = h;
	m->c[m->nc].opened = now;
	m->c[m->nc++].ends = now + hostile_duration(h);
	if (++m->net_inflight[h >> 8] > m->peak_net)
		m->peak_net = m->net_inflight[h >> 8];
}

/* Due retries first, then new hosts (one whose /24 must wait goes to the
 * back), at most 64 a step, as the TLS stage launches. */
static void hsim_launch(struct hsim *m, uint64_t now)
{
	unsigned launched = 0;
	for (unsigned k = 0; k < 64 && sched_total_open(&m->s); k++) {
		uint32_t h = sched_retry_due(&m->s, now);
		if (h == UINT32_MAX)
			break;
		if (!sched_may_open(&m->s, HSIM_IP0 + h, now)) {
			sched_retry_putback(&m->s, h, now);
			continue;
		}
		hsim_open(m, h, now);
		launched++;
	}
	for (uint32_t seen = 0, n = m->npend;
	     seen < n && seen < 256 && m->npend && launched < 64 && sched_total_open(&m->s);
	     seen++) {
		uint32_t h = m->pending[m->phead];
		m->phead = (m->phead + 1) % HSIM_HOSTS;
		if (!sched_may_open(&m->s, HSIM_IP0 + h, now)) {
			m->pending[(m->phead + m->npend - 1) % HSIM_HOSTS] = h;
			continue;
		}
		m->npend--;
		hsim_open(m, h, now);
		launched++;
	}
}

static void test_hostile_range(void)
{
	static struct hsim m;
	struct sched_cfg cfg = {.max_conns = 4096,
				.net_max_conns = 16, /* one worker's share of the defaults */
				.net_rate = 50,
				.max_attempts = 3,
				.retry_delay_ns = 2000 * MS,
				.queue_cap = HSIM_HOSTS};
	uint64_t t0 = 1000 * MS, now = t0;
	memset(&m, 0, sizeof(m));
	CHECK(sched_init(&m.s, &cfg, now) == 0);
	uint32_t init_window = sched_window(&m.s);
	for (uint32_t i = 0; i < HSIM_HOSTS; i++) /* in a permuted order, as the sweep finds them */
		if (hostile_kind((i * 40503u) % HSIM_HOSTS) != H_NONE)
			m.pending[m.npend++] = (i * 40503u) % HSIM_HOSTS, m.want++;
	for (; m.ndone < m.want && now < t0 + 600000 * MS; now += MS) {
		hsim_close_due(&m, now);
		hsim_launch(&m, now);
	}
	double took = (double)(now - t0) / 1e9;
	uint32_t tarpit_extra = 0, reset_attempts = 0;
	for (uint32_t i = 0; i < HSIM_HOSTS; i++) {
		if (hostile_kind(i) == H_TARPIT && m.attempts[i] > 1)
			tarpit_extra++;
		if (hostile_kind(i) == H_RESET)
			reset_attempts += m.attempts[i];
	}
	const struct sched_stats *st = &m.s.stats;
	fprintf(stderr,
		"hostile /20: %u/%u hosts done in %.1f s, window %u (cuts %llu, net cuts %llu, "
		"own failures %llu), tarpits tried again %u, reset attempts %u, peak per /24 %u\n",
		m.ndone, m.want, took, sched_window(&m.s), (unsigned long long)st->cuts,
		(unsigned long long)st->net_cuts, (unsigned long long)st->own_failures,
		tarpit_extra, reset_attempts, m.peak_net);
	CHECK(m.ndone == m.want);
	CHECK(m.answered[0xfc8]);		  /* the normal host, 198.18.79.200 */
	CHECK_EQ_U64(st->cuts, 0);		  /* the hosts' own ways are not load */
	CHECK(sched_window(&m.s) >= init_window); /* no collapse to the floor */
	CHECK_EQ_U64(tarpit_extra, 0);		  /* a tarpit costs one read timeout */
	CHECK(reset_attempts <= 128 * 3);
	CHECK(m.peak_net <= 16);
	/* the per-/24 caps bound it: 256 tarpits of a /24, 16 at a time, 4 s each */
	CHECK(took <= 256 / 16 * 4 + 16);
	sched_free(&m.s);
}

/* sched_closed()'s evidence: the same failure is load on a /24 that answers
 * and the network's own way on one that never does */
static void test_evidence(void)
{
	struct sched s;
	struct sched_cfg cfg = {.max_conns = 4096,
				.net_max_conns = 4096,
				.max_attempts = 3,
				.retry_delay_ns = 2000 * MS,
				.queue_cap = 16};
	uint64_t t = 1000 * MS;
	CHECK(sched_init(&s, &cfg, t) == 0);
	uint32_t quiet = 0xc6120100u, busy = 0xc6120200u;
	/* a silent /24: neither a window nor a retry for its silences */
	for (int k = 0; k < 300; k++) {
		sched_opened(&s, quiet + (uint32_t)(k & 255), t);
		CHECK(!sched_closed(&s, quiet + (uint32_t)(k & 255), SCHED_SILENT, t,
				    t + 4000 * MS));
		sched_opened(&s, quiet + (uint32_t)(k & 255), t);
		/* a reset is cheap: another attempt, still no back-off */
		CHECK(sched_closed(&s, quiet + (uint32_t)(k & 255), SCHED_DROPPED, t, t + MS));
		t += MS;
	}
	CHECK_EQ_U64(s.stats.cuts, 0);
	CHECK_EQ_U64(s.stats.net_cuts, 0);
	CHECK_EQ_U64(s.stats.load_failures, 0);
	CHECK_EQ_U64(s.stats.own_failures, 600);
	/* a /24 that answered: its silences are worth a retry */
	for (int k = 0; k < 100; k++) {
		sched_opened(&s, busy + (uint32_t)k, t);
		CHECK(!sched_closed(&s, busy + (uint32_t)k, SCHED_ANSWERED, t, t + 5 * MS));
		t += MS;
	}
	uint32_t w = sched_window(&s);
	for (int k = 0; k < 100; k++) {
		sched_opened(&s, busy + (uint32_t)k, t);
		CHECK(sched_closed(&s, busy + (uint32_t)k, SCHED_SILENT, t, t + 4000 * MS));
		t += MS;
	}
	/* ... retried, but no window hears of silences (tarpits among answering
	 * hosts would serialise a /24 and stall the scan) */
	CHECK_EQ_U64(s.stats.load_failures, 0);
	CHECK_EQ_U64(s.stats.net_cuts, 0);
	for (int k = 0; k < 100; k++) { /* its resets are load: its window backs off */
		sched_opened(&s, busy + (uint32_t)k, t);
		CHECK(sched_closed(&s, busy + (uint32_t)k, SCHED_DROPPED, t, t + 5 * MS));
		t += MS;
	}
	CHECK(s.stats.load_failures > 0);
	CHECK(s.stats.net_cuts > 0);
	/* one /24 in trouble is its own window's business */
	CHECK_EQ_U64(s.stats.cuts, 0);
	/* resets on eight /24s that answered: the total window backs off (it
	 * never hears of silences, tarpits mixed among answering hosts) */
	t += 5000 * MS;
	for (uint32_t k = 0; k < 800; k++) {
		uint32_t ip = 0xc6130000u + ((k % 8) << 8) + (k / 8) % 200;
		sched_opened(&s, ip, t);
		sched_closed(&s, ip, k < 400 ? SCHED_ANSWERED : SCHED_DROPPED, t, t + 5 * MS);
		t += MS;
	}
	CHECK(s.stats.cuts > 0 && sched_window(&s) < w);
	/* right after a total cut, a silence is worth a retry on a /24 that has
	 * answered, however rarely, and still not on one that never did */
	uint32_t sparse = 0xc6120300u;
	sched_opened(&s, sparse, t);
	sched_closed(&s, sparse, SCHED_ANSWERED, t, t + MS);
	for (int k = 1; k < 10; k++) {
		sched_opened(&s, sparse + (uint32_t)k, t);
		sched_closed(&s, sparse + (uint32_t)k, SCHED_DROPPED, t, t + MS);
	}
	sched_opened(&s, sparse + 20, t + 1000 * MS);
	CHECK(sched_closed(&s, sparse + 20, SCHED_SILENT, t + 1000 * MS, t + 5000 * MS));
	sched_opened(&s, quiet, t + 1000 * MS);
	CHECK(!sched_closed(&s, quiet, SCHED_SILENT, t + 1000 * MS, t + 5000 * MS));
	sched_free(&s);
}

/* after a cut, a window full of tarpits (silent /24s, no evidence of load)
 * grows back: their completions say nothing of load */
static void test_regrow(void)
{
	struct sched s;
	struct sched_cfg cfg = {.max_conns = 4096,
				.net_max_conns = 4096,
				.max_attempts = 3,
				.retry_delay_ns = 2000 * MS,
				.queue_cap = 16};
	uint64_t t = 1000 * MS;
	CHECK(sched_init(&s, &cfg, t) == 0);
	for (uint32_t k = 0; k < 800; k++) { /* resets spread over 8 answering /24s */
		uint32_t ip = 0xc6130000u + ((k % 8) << 8) + (k / 8) % 200;
		sched_opened(&s, ip, t);
		sched_closed(&s, ip, k < 400 ? SCHED_ANSWERED : SCHED_DROPPED, t, t + 5 * MS);
		t += MS;
	}
	uint32_t cut = sched_window(&s);
	CHECK(s.stats.cuts > 0);
	for (int round = 0; round < 20; round++) { /* a full window of tarpits, 4 s each */
		uint32_t n = sched_window(&s);
		for (uint32_t k = 0; k < n; k++)
			sched_opened(&s, 0xc6400000u + k, t);
		t += 4000 * MS;
		for (uint32_t k = 0; k < n; k++)
			sched_closed(&s, 0xc6400000u + k, SCHED_SILENT, t - 4000 * MS, t);
	}
	fprintf(stderr, "regrow: window %u after the cut, %u after 20 rounds of tarpits\n", cut,
		sched_window(&s));
	CHECK(sched_window(&s) >= 2 * cut);
	sched_free(&s);
}

int main(void)
{
	test_regrow();
	test_evidence();
	test_hostile_range();
	test_slow();
	test_syn_lost();
	test_classify();
	test_overload();
	test_noise();
	test_net_rate();
	test_retries();
	TEST_DONE();
}
