/* SPDX-License-Identifier: MIT */
/*
 * The target generator (gen.h). One call hands out what the token bucket
 * allows now: each target leaves the permutation once per pass and is sent
 * -P times back to back; what the bucket granted but the walk could not
 * fill goes back to it, so an ending walk costs no rate.
 */
#include <string.h>

#include "scanner/core/gen.h"

void sweep_gen_init(struct sweep_gen *g, const struct sweep_gen_config *c, const struct perm *perm,
		    const struct sweep_gen_hooks *hooks, uint64_t now_ns)
{
	memset(g, 0, sizeof(*g));
	g->perm = *perm;
	g->targets = c->targets;
	g->ports = c->ports;
	g->nports = c->nports;
	g->left = c->max_targets ? c->max_targets : UINT64_MAX;
	g->probes = c->probes;
	g->hooks = *hooks;
	g->perm0 = g->perm;
	g->left0 = g->left;
	g->passes = c->passes;
	g->delay_ns = SWEEP_RETRY_NS;
	atomic_init(&g->emitted, 0);
	rate_init(&g->rate, c->rate_pps, 1000000000ull, now_ns);
	g->gap_ns = c->rate_pps >= 20000 ? 50000 : 0;
	/* Tolerate 10 ms scheduling stalls (a shared 2-core host preempts the TX
	 * lcore for milliseconds): the bucket keeps up to 10 ms of credit instead
	 * of rate.c's 1 ms, so -r holds on average; the catch-up burst is at
	 * most 10 ms worth of packets. */
	if (c->rate_pps / 100 > g->rate.burst)
		rate_set_burst(&g->rate, c->rate_pps / 100);
}

/* The target of permutation index @idx into cur_ip_be, cur_port_be. */
static void walk_target(struct sweep_gen *g, uint64_t idx)
{
	uint64_t ai = g->nports == 1 ? idx : idx / g->nports;
	unsigned pi = g->nports == 1 ? 0 : (unsigned)(idx % g->nports);

	g->cur_ip_be = __builtin_bswap32(tgt_set_nth(g->targets, ai));
	g->cur_port_be = __builtin_bswap16(g->ports[pi]);
}

void sweep_gen_send_first(struct sweep_gen *g, const uint64_t *keys, size_t n)
{
	g->first = keys;
	g->nfirst = n;
	g->first_next = 0;
}

uint64_t sweep_gen_skip_to(struct sweep_gen *g, uint64_t position)
{
	uint64_t pos, idx;

	for (pos = 0; pos < position && g->left; pos++) {
		if (!perm_next(&g->perm, &idx))
			break;
		g->left--;
		if (g->hooks.passed) {
			walk_target(g, idx);
			g->hooks.passed(g->hooks.arg, g->cur_ip_be, g->cur_port_be);
		}
	}
	atomic_store(&g->emitted, pos);
	/* retry passes start here too: a target below the position was sent
	 * (and maybe written) by an earlier run, never by this one */
	g->perm0 = g->perm;
	g->left0 = g->left;
	return pos;
}

/* The walk is over: start the next pass, or return false: all passes done,
 * or the last one found nothing to send (nor will the next), or the sweep
 * had no answer at all (no /24 qualifies). */
static bool pass_next(struct sweep_gen *g, uint64_t now_ns)
{
	if (g->pass >= g->passes || (g->pass && g->resent == g->resent_before))
		return false;
	if (!g->pass && !g->hooks.any_answer(g->hooks.arg))
		return false;
	g->last_resent = g->resent - g->resent_before;
	g->resent_before = g->resent;
	g->pass_sending = false;
	g->pass++;
	g->perm = g->perm0;
	g->left = g->left0;
	g->done = false;
	g->pass_at_ns = now_ns + (g->delay_ns << (g->pass - 1));
	return true;
}

/* A retry pass is about to send its first SYN (its delay is over, so the
 * answers to the pass before have had their time). False when that pass
 * brought back fewer than 1 answer per SWEEP_PASS_YIELD SYNs: then this one
 * would not do better, and the passes end here. */
static bool pass_worth_sending(struct sweep_gen *g)
{
	g->pass_sending = true;
	if (!g->hooks.answers)
		return true;
	uint64_t answers = g->hooks.answers(g->hooks.arg);
	uint64_t gained = answers - g->answers_at;

	g->answers_at = answers;
	return g->pass == 1 || gained * SWEEP_PASS_YIELD >= g->last_resent;
}

/* In a pass after the first: is the target worth another SYN? Only when it
 * did not answer and at least SWEEP_NET_ANSWERS addresses of its /24 did on
 * that port: a /24 dense with hosts, the shape of a shared server or a
 * hosting provider whose full listen queue drops SYNs. On the internet most
 * addresses are silent and most /24s sparse: a pass costs SYNs only there. */
static bool worth_resending(const struct sweep_gen *g)
{
	unsigned net_answers = 0;

	return !g->hooks.answered(g->hooks.arg, g->cur_ip_be, g->cur_port_be, &net_answers) &&
	       net_answers >= SWEEP_NET_ANSWERS;
}

/* Packets this call may ask the bucket for: @max, or fewer near the end of
 * --max-targets. */
static uint32_t packets_wanted(const struct sweep_gen *g, unsigned max)
{
	uint64_t first = g->nfirst - g->first_next;
	/* left is UINT64_MAX without --max-targets: saturate, not wrap */
	uint64_t targets = g->left > UINT64_MAX - first ? UINT64_MAX : g->left + first;

	if (targets < max && targets * g->probes + g->reps < max)
		return (uint32_t)(targets * g->probes + g->reps);
	return max;
}

/* The next target of the send-first list into cur_ip_be, cur_port_be;
 * false when there is none left (or in a retry pass). */
static bool take_first(struct sweep_gen *g, uint64_t now_ns)
{
	uint64_t key;

	if (g->pass || g->first_next == g->nfirst)
		return false;
	key = g->first[g->first_next++];
	g->cur_ip_be = __builtin_bswap32((uint32_t)(key >> 16));
	g->cur_port_be = __builtin_bswap16((uint16_t)key);
	if (g->hooks.sent_first)
		g->hooks.sent_first(g->hooks.arg, g->cur_ip_be, g->cur_port_be, now_ns);
	return true;
}

enum take { TAKE_SEND, TAKE_PASS, TAKE_BUSY, TAKE_END };

/* Take the next target (the send-first list's, then the walk's) into
 * cur_ip_be/cur_port_be: TAKE_SEND,
 * TAKE_PASS (not to be sent: silent /24 in a retry pass, or done by an
 * earlier run), TAKE_BUSY (SWEEP_SKIP_MAX passed over in this call), or
 * TAKE_END (the walk or --max-targets is over). */
static enum take take_target(struct sweep_gen *g, uint64_t now_ns, unsigned *passed_over)
{
	uint64_t idx;

	if (take_first(g, now_ns))
		return TAKE_SEND;
	if (!g->left || !perm_next(&g->perm, &idx))
		return TAKE_END;
	walk_target(g, idx);
	g->left--;
	if (g->pass) { /* a retry pass: the position stays the walk's */
		if (!worth_resending(g))
			return ++*passed_over >= SWEEP_SKIP_MAX ? TAKE_BUSY : TAKE_PASS;
		g->resent++;
	} else {
		atomic_store_explicit(&g->emitted, atomic_load(&g->emitted) + 1,
				      memory_order_release);
	}
	if (g->hooks.skip && g->hooks.skip(g->hooks.arg, g->cur_ip_be, g->cur_port_be, now_ns))
		return TAKE_PASS; /* in the file already: not sent again */
	return TAKE_SEND;
}

int sweep_gen_next(void *gen, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be, unsigned max)
{
	struct sweep_gen *g = gen;
	unsigned n = 0, passed_over = 0;
	uint32_t want, got;

	if (!g->left && !g->reps && g->first_next == g->nfirst) /* all sent */
		g->done = true;
	if (g->done && !pass_next(g, now_ns))
		return -1;
	/* Ask the bucket every gap_ns, not on every loop: credit accumulates into
	 * bursts of several packets, so a PMD that makes a system call per burst
	 * (net_af_packet, net_pcap) is not asked for one packet at a time. */
	if (now_ns < g->next_ns || now_ns < g->pass_at_ns)
		return 0;
	if (g->pass && !g->pass_sending && !pass_worth_sending(g)) {
		g->passes = --g->pass; /* this pass never sent: not counted */
		g->done = true;
		return -1;
	}
	want = packets_wanted(g, max);
	got = rate_take(&g->rate, now_ns, want);
	if (got < want) /* the bucket ran dry: let credit build up for gap_ns */
		g->next_ns = now_ns + g->gap_ns;
	while (n < got) {
		if (g->reps == 0) {
			enum take t = take_target(g, now_ns, &passed_over);

			if (t == TAKE_END)
				g->done = true;
			if (t == TAKE_END || t == TAKE_BUSY)
				break;
			if (t == TAKE_PASS)
				continue;
			g->reps = g->probes;
		}
		/* with -P N the copies go back to back, as in ZMap: the replies are
		 * deduplicated on RX, and one lost SYN no longer hides the host */
		ip_be[n] = g->cur_ip_be;
		port_be[n] = g->cur_port_be;
		g->reps--;
		n++;
	}
	if (n < got)
		rate_return(&g->rate, got - n);
	if (n == 0 && g->done && g->pass >= g->passes)
		return -1;
	return (int)n;
}
