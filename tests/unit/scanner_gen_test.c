/* SPDX-License-Identifier: MIT */
/*
 * The target generator (scanner/core/gen.h) on a simulated clock, with fake
 * hooks in place of the engine and the resume tracker: every (address, port)
 * pair of the shard is sent exactly once per walk, in the permutation's
 * order; -P copies go back to back; --max-targets stops the walk; the rate
 * holds; --resume's position and done hosts are passed over; a retry pass
 * sends again only to the silent targets of /24s that answered, and not
 * before its delay.
 */
#include <stdlib.h>

#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

#define BASE 0xc6120000u /* 198.18.0.0 */
#define NADDR 512u	 /* 198.18.0.0/23: two /24s */
static const uint16_t ports[] = {443, 8443};
#define NPAIR (NADDR * 2u)

struct fake {
	unsigned answering_net; /* the /24 (0 or 1) whose answers count */
	unsigned net_answers;	/* what answered() reports for it */
	bool any;
	unsigned skipped, passed, sent_first;
	const uint64_t *first; /* sorted: the walk passes these by */
	size_t nfirst;
};

static bool fake_any(void *arg)
{
	return ((struct fake *)arg)->any;
}

/* In the answering /24 every address whose last byte is a multiple of 4
 * answered; the other /24 has no answers. */
static bool fake_answered(void *arg, uint32_t ip_be, uint16_t port_be, unsigned *net_answers)
{
	struct fake *f = arg;
	uint32_t ip = __builtin_bswap32(ip_be);

	(void)port_be;
	*net_answers = ((ip - BASE) >> 8) == f->answering_net ? f->net_answers : 0;
	return ((ip - BASE) >> 8) == f->answering_net && ip % 4 == 0;
}

/* --resume: the hosts with an odd address are done. */
static bool fake_skip(void *arg, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	struct fake *f = arg;

	(void)port_be;
	(void)now_ns;
	if (!(__builtin_bswap32(ip_be) & 1))
		return false;
	f->skipped++;
	return true;
}

static void fake_passed(void *arg, uint32_t ip_be, uint16_t port_be)
{
	(void)ip_be;
	(void)port_be;
	((struct fake *)arg)->passed++;
}

static uint64_t key_of(uint32_t ip_be, uint16_t port_be)
{
	return (uint64_t)__builtin_bswap32(ip_be) << 16 | __builtin_bswap16(port_be);
}

static void fake_sent_first(void *arg, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	struct fake *f = arg;

	(void)now_ns;
	CHECK(f->sent_first < f->nfirst && f->first[f->sent_first] == key_of(ip_be, port_be));
	f->sent_first++;
}

/* The walk passes the send-first list by. */
static bool fake_skip_first(void *arg, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	struct fake *f = arg;
	uint64_t key = key_of(ip_be, port_be);

	(void)now_ns;
	for (size_t i = 0; i < f->nfirst; i++)
		if (f->first[i] == key)
			return true;
	return false;
}

static struct tgt_set *targets(void)
{
	struct tgt_set *s = tgt_set_new();

	CHECK(s && tgt_set_add_spec(s, "198.18.0.0/23") == 0);
	return s;
}

static unsigned pair_index(uint32_t ip_be, uint16_t port_be)
{
	uint32_t ip = __builtin_bswap32(ip_be) - BASE;

	return ip * 2u + (__builtin_bswap16(port_be) == ports[1]);
}

static void gen_start(struct sweep_gen *g, const struct tgt_set *t, struct sweep_gen_config *c,
		      struct fake *f, bool skip)
{
	struct perm p;
	struct sweep_gen_hooks h = {
		f,	     fake_any,	      fake_answered, skip ? fake_skip : NULL,
		fake_passed, fake_sent_first, NULL};

	c->targets = t;
	c->ports = ports;
	c->nports = 2;
	if (!c->probes)
		c->probes = 1;
	CHECK(perm_init(&p, NPAIR, 7, 0, 1) == 0);
	sweep_gen_init(g, c, &p, &h, 0);
}

/*
 * Call the generator every @step_ns until it says -1 (or @limit_ns), with
 * up to @max a call; counts per pair into @seen (NPAIR entries), order of
 * first sight into @order (NPAIR entries, may be NULL). Returns packets.
 */
static uint64_t drain(struct sweep_gen *g, unsigned max, uint64_t step_ns, uint64_t limit_ns,
		      unsigned *seen, unsigned *order, uint64_t *end_ns)
{
	uint32_t ip[64];
	uint16_t port[64];
	uint64_t now = 0, sent = 0;
	unsigned norder = 0;
	int n;

	for (; now < limit_ns; now += step_ns) {
		n = sweep_gen_next(g, now, ip, port, max);
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			unsigned k = pair_index(ip[i], port[i]);

			if (k >= NPAIR) {
				failures++;
				continue;
			}
			if (order && !seen[k])
				order[norder++] = k;
			seen[k]++;
		}
		sent += (uint64_t)n;
	}
	if (end_ns)
		*end_ns = now;
	return sent;
}

/* The walk: each pair once, in the permutation's order; the position counts them. */
static void test_walk(const struct tgt_set *t)
{
	struct sweep_gen g;
	struct sweep_gen_config c = {0};
	struct fake f = {0};
	unsigned seen[NPAIR] = {0}, order[NPAIR], once = 0;
	struct perm p;
	uint64_t idx;

	gen_start(&g, t, &c, &f, false);
	CHECK_EQ_U64(drain(&g, 32, 1000, 1000000000ull, seen, order, NULL), NPAIR);
	for (unsigned k = 0; k < NPAIR; k++)
		once += seen[k] == 1;
	CHECK_EQ_U64(once, NPAIR);
	CHECK_EQ_U64(sweep_gen_position(&g), NPAIR);
	perm_init(&p, NPAIR, 7, 0, 1);
	for (unsigned k = 0; k < NPAIR && perm_next(&p, &idx); k++)
		if (order[k] != idx) {
			EXPECT(0, "target %u is pair %u, the permutation says %llu", k, order[k],
			       (unsigned long long)idx);
			break;
		}
}

/* -P 3: three copies back to back; --max-targets 100: 100 targets only. */
static void test_probes_and_max(const struct tgt_set *t)
{
	struct sweep_gen g;
	struct sweep_gen_config c = {.probes = 3, .max_targets = 100};
	struct fake f = {0};
	unsigned seen[NPAIR] = {0}, distinct = 0, thrice = 0;
	uint32_t ip[7];
	uint16_t port[7];
	int n;

	gen_start(&g, t, &c, &f, false);
	n = sweep_gen_next(&g, 0, ip, port, 7); /* 7 = two targets' copies and one more */
	CHECK(n == 7);
	CHECK(ip[0] == ip[1] && ip[1] == ip[2] && port[0] == port[2]);
	CHECK(ip[3] == ip[5] && port[3] == port[5] && (ip[2] != ip[3] || port[2] != port[3]));
	seen[pair_index(ip[0], port[0])] += 3;
	seen[pair_index(ip[3], port[3])] += 3;
	seen[pair_index(ip[6], port[6])] += 1;
	CHECK_EQ_U64(drain(&g, 32, 1000, 1000000000ull, seen, NULL, NULL), 300 - 7);
	for (unsigned k = 0; k < NPAIR; k++) {
		distinct += seen[k] != 0;
		thrice += seen[k] == 3;
	}
	CHECK_EQ_U64(distinct, 100);
	CHECK_EQ_U64(thrice, 100);
	CHECK_EQ_U64(sweep_gen_position(&g), 100);
}

/* 1000 pps for 0.5 s of polling every 100 us: 500 packets, give or take the burst. */
static void test_rate(const struct tgt_set *t)
{
	struct sweep_gen g;
	struct sweep_gen_config c = {.rate_pps = 1000};
	struct fake f = {0};
	unsigned seen[NPAIR] = {0};
	uint64_t sent;

	gen_start(&g, t, &c, &f, false);
	sent = drain(&g, 32, 100000, 500000000ull, seen, NULL, NULL);
	EXPECT(sent >= 495 && sent <= 502, "1000 pps for 0.5 s sent %llu",
	       (unsigned long long)sent);
}

/* --resume: the first 300 targets are past, the odd addresses are done. */
static void test_resume(const struct tgt_set *t)
{
	struct sweep_gen g;
	struct sweep_gen_config c = {0};
	struct fake f = {0};
	unsigned seen[NPAIR] = {0}, sent_odd = 0, sent_before = 0;
	struct perm p;
	uint64_t idx, sent;

	gen_start(&g, t, &c, &f, true);
	CHECK_EQ_U64(sweep_gen_skip_to(&g, 300), 300);
	CHECK_EQ_U64(f.passed, 300);
	sent = drain(&g, 32, 1000, 1000000000ull, seen, NULL, NULL);
	perm_init(&p, NPAIR, 7, 0, 1);
	for (unsigned k = 0; k < 300 && perm_next(&p, &idx); k++)
		sent_before += seen[idx] != 0;
	for (unsigned k = 0; k < NPAIR; k++)
		sent_odd += seen[k] && (k / 2) % 2;
	CHECK_EQ_U64(sent_before, 0);
	CHECK_EQ_U64(sent_odd, 0);
	CHECK_EQ_U64(sent + f.skipped, NPAIR - 300);
	CHECK_EQ_U64(sweep_gen_position(&g), NPAIR);
	gen_start(&g, t, &c, &f, false); /* a position past the walk stops at its end */
	CHECK_EQ_U64(sweep_gen_skip_to(&g, NPAIR + 5), NPAIR);
	CHECK(sweep_gen_next(&g, 0, (uint32_t[1]){0}, (uint16_t[1]){0}, 1) == -1);
}

/* --sweep-retries 2: pass 1 sends again to the silent targets of the /24
 * that answered (3 of 4 of its 256 addresses, both ports: 384), not before
 * 1 s; pass 2 sends them once more after 2 s more; nothing in the silent
 * /24. No pass at all when nothing answered, or when the /24 is sparse. */
static void test_retry_passes(const struct tgt_set *t)
{
	struct sweep_gen g;
	struct sweep_gen_config c = {.passes = 2};
	struct fake f = {.answering_net = 1, .net_answers = 64, .any = true};
	unsigned seen[NPAIR] = {0}, bad = 0;
	uint64_t sent, end_ns;

	gen_start(&g, t, &c, &f, false);
	sent = drain(&g, 32, 1000000, 10000000000ull, seen, NULL, &end_ns);
	CHECK_EQ_U64(sent, NPAIR + 2 * 384);
	CHECK_EQ_U64(g.pass, 2);
	CHECK_EQ_U64(g.resent, 2 * 384);
	CHECK(end_ns >= SWEEP_RETRY_NS * 3);
	for (unsigned k = 0; k < NPAIR; k++) {
		uint32_t ip = BASE + k / 2;
		unsigned want = ((ip - BASE) >> 8) == 1 && ip % 4 ? 3 : 1;

		bad += seen[k] != want;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(sweep_gen_position(&g), NPAIR); /* passes leave the position alone */

	f.any = false;
	gen_start(&g, t, &c, &f, false);
	CHECK_EQ_U64(drain(&g, 32, 1000000, 10000000000ull, (unsigned[NPAIR]){0}, NULL, NULL),
		     NPAIR);
	f.any = true;
	f.net_answers = SWEEP_NET_ANSWERS - 1;
	gen_start(&g, t, &c, &f, false);
	CHECK_EQ_U64(drain(&g, 32, 1000000, 10000000000ull, (unsigned[NPAIR]){0}, NULL, NULL),
		     NPAIR);
	CHECK_EQ_U64(g.pass, 1); /* the first pass found nothing: no second */
}

/* hooks.answers: the sweep's answers at the start of each pass, from a
 * list (the first call is pass 1's start) */
static const uint64_t *answers_seq;
static unsigned answers_calls;
static uint64_t fake_answers(void *arg)
{
	(void)arg;
	return answers_seq[answers_calls++];
}

/* --sweep-retries 4 with the passes' yield: pass 1 always; pass 2 because
 * pass 1 got back 10 answers for its 384 SYNs (>= 1 per 100); no pass 3,
 * pass 2 got back 1 (< 1 per 100), and the pass that did not run is not
 * counted. */
static void test_pass_yield(const struct tgt_set *t)
{
	static const uint64_t seq[] = {100, 110, 111, 200, 300};
	struct sweep_gen g;
	struct sweep_gen_config c = {.passes = 4};
	struct fake f = {.answering_net = 1, .net_answers = 64, .any = true};
	struct sweep_gen_hooks h = {&f,		 fake_any,	  fake_answered, NULL,
				    fake_passed, fake_sent_first, fake_answers};
	struct perm p;
	uint64_t sent;

	answers_seq = seq;
	answers_calls = 0;
	c.targets = t;
	c.ports = ports;
	c.nports = 2;
	c.probes = 1;
	CHECK(perm_init(&p, NPAIR, 7, 0, 1) == 0);
	sweep_gen_init(&g, &c, &p, &h, 0);
	sent = drain(&g, 32, 1000000, 60000000000ull, (unsigned[NPAIR]){0}, NULL, NULL);
	CHECK_EQ_U64(sent, NPAIR + 2 * 384);
	CHECK_EQ_U64(g.pass, 2);
	CHECK_EQ_U64(answers_calls, 3);
}

/* --resume's send-first list: out before the walk, in its order, -P
 * copies too; then the walk, which passes them by; neither the position
 * nor --max-targets counts them. */
static void test_send_first(const struct tgt_set *t)
{
	static const uint64_t keys[] = {
		(uint64_t)(BASE + 7) << 16 | 443,
		(uint64_t)(BASE + 300) << 16 | 8443,
		(uint64_t)(BASE + 511) << 16 | 443,
	};
	struct sweep_gen g;
	struct sweep_gen_config c = {.probes = 2};
	struct fake f = {.first = keys, .nfirst = 3};
	unsigned seen[NPAIR] = {0}, order[NPAIR], twice = 0;
	struct sweep_gen_hooks h = {&f,	  fake_any,	   fake_answered, fake_skip_first,
				    NULL, fake_sent_first, NULL};
	struct perm p;

	CHECK(perm_init(&p, NPAIR, 7, 0, 1) == 0);
	c.targets = t;
	c.ports = ports;
	c.nports = 2;
	sweep_gen_init(&g, &c, &p, &h, 0);
	sweep_gen_send_first(&g, keys, 3);
	CHECK_EQ_U64(drain(&g, 5, 1000, 1000000000ull, seen, order, NULL), 2 * NPAIR);
	CHECK_EQ_U64(f.sent_first, 3);
	for (unsigned k = 0; k < 3; k++)
		CHECK_EQ_U64(order[k], pair_index(__builtin_bswap32((uint32_t)(keys[k] >> 16)),
						  __builtin_bswap16((uint16_t)keys[k])));
	for (unsigned k = 0; k < NPAIR; k++)
		twice += seen[k] == 2;
	CHECK_EQ_U64(twice, NPAIR);
	CHECK_EQ_U64(sweep_gen_position(&g), NPAIR);

	c.max_targets = 10; /* the list comes on top of the budget */
	f.sent_first = 0;
	sweep_gen_init(&g, &c, &p, &h, 0);
	sweep_gen_send_first(&g, keys, 3);
	CHECK_EQ_U64(drain(&g, 32, 1000, 1000000000ull, (unsigned[NPAIR]){0}, NULL, NULL), 2 * 13);
	CHECK_EQ_U64(sweep_gen_position(&g), 10);
}

int main(void)
{
	struct tgt_set *t = targets();

	if (!t)
		return test_done();
	test_walk(t);
	test_probes_and_max(t);
	test_rate(t);
	test_resume(t);
	test_retry_passes(t);
	test_pass_yield(t);
	test_send_first(t);
	tgt_set_free(t);
	TEST_DONE();
}
