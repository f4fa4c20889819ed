/* SPDX-License-Identifier: MIT */
/*
 * The TLS stage's scheduler (scanner/stage_tls_sched.c) on a fake clock:
 * - classification: which outcomes are load failures;
 * - a simulated slow server behind a /16 that resets connections beyond
 *   what it can hold: the total window backs off to near its capacity and
 *   the failures stop (the shape of 65,536 addresses on one nginx);
 * - a population where a fifth of the hosts always fail (tarpits), with no
 *   overload: the window is not driven to its floor;
 * - per-/24 caps: never more in flight, never more new per second;
 * - retries: bounded attempts, doubling delays, due order, put back.
 */
#include <stdlib.h>
#include <string.h>

#include "dpdk/tcp.h"
#include "scanner/stage_tls_sched.h"
#include "tests/unit/test.h"

#define MS 1000000ull

static void test_classify(void)
{
	CHECK(sched_classify(TCP_OUT_RESET, 0, false, false) == SCHED_LOAD_FAIL);
	CHECK(sched_classify(TCP_OUT_READ_TIMEOUT, 0, false, false) == SCHED_SILENT);
	CHECK(sched_classify(TCP_OUT_NO_ANSWER, 0, false, false) == SCHED_LOAD_FAIL);
	CHECK(sched_classify(TCP_OUT_CLOSED, 0, false, false) == SCHED_LOAD_FAIL);
	CHECK(sched_classify(TCP_OUT_FIN, 0, false, false) == SCHED_LOAD_FAIL);
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
			enum sched_signal sig = !c[k].fail ? SCHED_ANSWERED
						: c[k].tarpit
							? SCHED_SILENT /* a tarpit's timeout */
							: SCHED_LOAD_FAIL;
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
	for (int k = 0; k < 200; k++) {
		t += MS;
		sched_opened(&s, 0xc6120001u, t);
		sched_closed(&s, 0xc6120001u, SCHED_SYN_LOST, t, t + 1000 * MS);
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

int main(void)
{
	test_slow();
	test_syn_lost();
	test_classify();
	test_overload();
	test_noise();
	test_net_rate();
	test_retries();
	TEST_DONE();
}
