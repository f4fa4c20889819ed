/* SPDX-License-Identifier: MIT */
/*
 * scanner/stage/localize.c against a simulated path: routers at hops
 * 1..n that answer a packet whose TTL runs out with an ICMP time-exceeded
 * rate-limited as Linux does (a burst of 6, then one per second toward the
 * scanner), an interceptor at hop I that answers a hello reaching it with
 * the forged chain, and a server at hop S that answers ICMP echo. Checks
 * the interceptor hop, the server hop and the router before the
 * interceptor, for one job, for a bump in the wire (I == S), for a server
 * that ignores ping, and for 20 jobs at once through the same routers
 * (the rate limit must cost time, not answers).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/stage/localize.h"
#include "tests/unit/test.h"

#define MS 1000000ull
#define MAXEV 100000

enum ev_kind { E_ECHO_REPLY, E_ECHO_TE, E_HELLO_TE, E_CONN_DONE };
struct ev {
	uint64_t at;
	uint8_t kind, ttl;
	bool forged;
	uint32_t job, from;
	uint16_t seq;
};

static struct sim {
	uint64_t now;
	unsigned icpt_hop, server_hop;
	bool server_pings;
	double tokens[64];
	uint64_t tokens_at[64];
	struct ev ev[MAXEV];
	unsigned nev;
	struct loc_table *t;
	struct loc_result res[64];
	bool done[64];
	unsigned ndone, icmp_sent, icmp_limited;
} S;

static uint32_t router_ip(unsigned hop)
{
	return 0xc6130000u + hop;
}

/* Linux's icmp_global/peer limit toward one destination: burst 6, 1/s */
static bool router_may_answer(unsigned hop)
{
	if (S.tokens_at[hop])
		S.tokens[hop] += (double)(S.now - S.tokens_at[hop]) / 1e9;
	else
		S.tokens[hop] = 6;
	if (S.tokens[hop] > 6)
		S.tokens[hop] = 6;
	S.tokens_at[hop] = S.now;
	if (S.tokens[hop] < 1) {
		S.icmp_limited++;
		return false;
	}
	S.tokens[hop] -= 1;
	S.icmp_sent++;
	return true;
}

static void push(struct ev e)
{
	if (S.nev < MAXEV)
		S.ev[S.nev++] = e;
}

static void fake_echo(void *ctx, uint32_t job, uint16_t seq, uint8_t ttl)
{
	(void)ctx;
	if (ttl >= S.server_hop) {
		if (S.server_pings)
			push((struct ev){S.now + 10 * MS, E_ECHO_REPLY, ttl, false, job, 0x0a000001,
					 seq});
	} else if (router_may_answer(ttl)) {
		push((struct ev){S.now + 5 * MS, E_ECHO_TE, ttl, false, job, router_ip(ttl), seq});
	}
}

static int fake_open(void *ctx, uint32_t job, uint8_t ttl, uint64_t now)
{
	(void)ctx;
	(void)now;
	if (ttl >= S.icpt_hop) { /* the hello reaches the interceptor */
		push((struct ev){S.now + 30 * MS, E_CONN_DONE, ttl, true, job, 0, 0});
		return 0;
	}
	if (router_may_answer(ttl))
		push((struct ev){S.now + 15 * MS, E_HELLO_TE, ttl, false, job, router_ip(ttl), 0});
	push((struct ev){S.now + LOC_HELLO_TIMEOUT_MS * MS, E_CONN_DONE, ttl, false, job, 0, 0});
	return 0;
}

static void fake_done(void *ctx, uint32_t job, const struct loc_result *r)
{
	(void)ctx;
	S.res[job] = *r;
	S.done[job] = true;
	S.ndone++;
}

static const struct loc_ops ops = {.open = fake_open, .echo = fake_echo, .done = fake_done};

/* Run @njobs jobs on a path until all are done or @limit_s simulated seconds. */
static uint64_t run(unsigned njobs, unsigned icpt, unsigned server, bool pings, unsigned limit_s)
{
	memset(&S, 0, sizeof(S));
	S.now = 1000 * MS;
	S.icpt_hop = icpt;
	S.server_hop = server;
	S.server_pings = pings;
	S.t = loc_table_new(64, &ops, NULL);
	CHECK(S.t != NULL);
	for (unsigned i = 0; i < njobs; i++)
		CHECK(loc_start(S.t, 0x0a000001, S.now) == (int64_t)i);
	uint64_t start = S.now;
	while (S.ndone < njobs && S.now - start < (uint64_t)limit_s * 1000 * MS) {
		S.now += MS;
		for (unsigned i = 0; i < S.nev;) {
			struct ev e = S.ev[i];
			if (e.at > S.now) {
				i++;
				continue;
			}
			S.ev[i] = S.ev[--S.nev];
			switch (e.kind) {
			case E_ECHO_REPLY:
				loc_echo_icmp(S.t, e.from, e.seq, true);
				break;
			case E_ECHO_TE:
				loc_echo_icmp(S.t, e.from, e.seq, false);
				break;
			case E_HELLO_TE:
				loc_hello_icmp(S.t, e.job, e.ttl, e.from);
				break;
			default:
				loc_conn_done(S.t, e.job, e.ttl, e.forged, S.now);
				break;
			}
		}
		loc_poll(S.t, S.now);
	}
	CHECK_EQ_U64(S.ndone, njobs);
	CHECK_EQ_U64(loc_active(S.t), 0);
	loc_table_free(S.t);
	return (S.now - start) / MS;
}

static void expect(unsigned njobs, unsigned icpt, unsigned server_hop_want)
{
	for (unsigned j = 0; j < njobs; j++) {
		CHECK(S.res[j].localized);
		CHECK_EQ_U64(S.res[j].interceptor_hop, icpt);
		CHECK_EQ_U64(S.res[j].server_hop, server_hop_want);
		CHECK_EQ_U64(S.res[j].hop_before_be, router_ip(icpt - 1));
	}
}

int main(void)
{
	uint64_t ms;

	ms = run(1, 3, 4, true, 60); /* the lab's middleboxes: hop 3, servers at 4 */
	expect(1, 3, 4);
	printf("one job, interceptor 3, server 4: %llu ms\n", (unsigned long long)ms);

	ms = run(1, 5, 5, true, 60); /* bump in the wire: the server's own hop */
	expect(1, 5, 5);
	printf("bump in the wire at 5: %llu ms\n", (unsigned long long)ms);

	ms = run(1, 4, 9, false, 60); /* server ignores ping: hop unknown */
	expect(1, 4, 0);
	printf("no echo reply, interceptor 4: %llu ms\n", (unsigned long long)ms);

	ms = run(20, 3, 4, true, 300); /* 20 at once through rate-limited routers */
	expect(20, 3, 4);
	printf("20 jobs, interceptor 3: %llu ms, icmp answered %u, rate-limited %u\n",
	       (unsigned long long)ms, S.icmp_sent, S.icmp_limited);

	/* without pacing the limit would have eaten answers: show the budget held */
	CHECK(S.icmp_limited < S.icmp_sent);
	TEST_DONE();
}
