/* SPDX-License-Identifier: MIT */
/*
 * localize.h: the jobs' state machine. A job is a slot in a fixed array;
 * its id is the slot index, also carried in the echo requests' sequence
 * number (id << 5 | TTL) so that replies find it without a lookup. Bit t of
 * a job's masks is TTL t.
 */
#include <stdlib.h>
#include <string.h>

#include "scanner/stage/localize.h"

#define MAX_JOBS 2047u /* 11 bits of the echo sequence number */

enum phase { P_FREE = 0, P_ECHO, P_HELLO, P_RETRY };

struct loc_job {
	uint8_t phase;
	bool echo_sent;
	uint8_t server_hop, max_ttl, next_ttl, open_conns, retries, hop;
	uint32_t ip_be;
	uint64_t t0_ns, first_reply_ns, retry_at_ns;
	uint32_t echo_replies, forged;
	uint32_t router[LOC_MAX_HOPS + 2];
};

struct loc_table {
	struct loc_ops ops;
	void *ctx;
	uint32_t njobs, active;
	struct loc_job *jobs;
	/* ICMP budget per TTL value (the router at that distance) */
	double tokens[LOC_MAX_HOPS + 2];
	uint64_t tokens_ns[LOC_MAX_HOPS + 2];
};

struct loc_table *loc_table_new(uint32_t max_jobs, const struct loc_ops *ops, void *ctx)
{
	struct loc_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->njobs = max_jobs < 1 ? 1 : max_jobs > MAX_JOBS ? MAX_JOBS : max_jobs;
	t->jobs = calloc(t->njobs, sizeof(*t->jobs));
	if (!t->jobs) {
		free(t);
		return NULL;
	}
	t->ops = *ops;
	t->ctx = ctx;
	for (unsigned i = 0; i <= LOC_MAX_HOPS + 1; i++)
		t->tokens[i] = LOC_ICMP_BURST;
	return t;
}

void loc_table_free(struct loc_table *t)
{
	if (!t)
		return;
	free(t->jobs);
	free(t);
}

uint32_t loc_active(const struct loc_table *t)
{
	return t->active;
}

static void refill(struct loc_table *t, unsigned ttl, uint64_t now)
{
	if (t->tokens_ns[ttl])
		t->tokens[ttl] += (double)(now - t->tokens_ns[ttl]) * 1e-9 * LOC_ICMP_PER_S;
	if (t->tokens[ttl] > LOC_ICMP_BURST)
		t->tokens[ttl] = LOC_ICMP_BURST;
	t->tokens_ns[ttl] = now;
}

/* A token for one packet that dies at TTL @ttl; false: not now. */
static bool take(struct loc_table *t, unsigned ttl, uint64_t now)
{
	refill(t, ttl, now);
	if (t->tokens[ttl] < 1)
		return false;
	t->tokens[ttl] -= 1;
	return true;
}

int64_t loc_start(struct loc_table *t, uint32_t ip_be, uint64_t now_ns)
{
	for (uint32_t i = 0; i < t->njobs; i++) {
		struct loc_job *j = &t->jobs[i];
		if (j->phase != P_FREE)
			continue;
		memset(j, 0, sizeof(*j));
		j->phase = P_ECHO;
		j->ip_be = ip_be;
		j->t0_ns = now_ns;
		t->active++;
		return i; /* the echoes go out at the first loc_poll() */
	}
	return -1;
}

static void finish(struct loc_table *t, uint32_t id)
{
	struct loc_job *j = &t->jobs[id];
	struct loc_result r = {0};

	for (unsigned ttl = 1; ttl <= LOC_MAX_HOPS + 1; ttl++)
		if (j->forged & (1u << ttl)) {
			r.interceptor_hop = (uint8_t)ttl;
			break;
		}
	r.localized = r.interceptor_hop != 0;
	r.server_hop = j->server_hop;
	if (r.interceptor_hop > 1)
		r.hop_before_be = j->router[r.interceptor_hop - 1];
	j->phase = P_FREE;
	t->active--;
	t->ops.done(t->ctx, id, &r);
}

void loc_conn_done(struct loc_table *t, uint32_t job, uint8_t ttl, bool forged, uint64_t now_ns)
{
	(void)now_ns;
	if (job >= t->njobs || t->jobs[job].phase < P_HELLO)
		return;
	struct loc_job *j = &t->jobs[job];
	if (j->open_conns)
		j->open_conns--;
	if (forged && ttl <= LOC_MAX_HOPS + 1)
		j->forged |= 1u << ttl;
}

void loc_hello_icmp(struct loc_table *t, uint32_t job, uint8_t ttl, uint32_t router_be)
{
	if (job >= t->njobs || t->jobs[job].phase < P_HELLO || ttl > LOC_MAX_HOPS + 1)
		return;
	if (!t->jobs[job].router[ttl])
		t->jobs[job].router[ttl] = router_be;
}

void loc_echo_icmp(struct loc_table *t, uint32_t from_be, uint16_t seq, bool reply)
{
	uint32_t id = seq >> 5, ttl = seq & 31;
	struct loc_job *j;

	if (id >= t->njobs || !ttl || ttl > LOC_MAX_HOPS)
		return;
	j = &t->jobs[id];
	if (j->phase != P_ECHO || !reply || from_be != j->ip_be)
		return;
	j->echo_replies |= 1u << ttl;
}

/* Every hello TTL has ended: done, or try again for the router before. */
static void hellos_ended(struct loc_table *t, uint32_t id, uint64_t now)
{
	struct loc_job *j = &t->jobs[id];

	j->hop = 0;
	for (unsigned ttl = 1; ttl <= LOC_MAX_HOPS + 1 && !j->hop; ttl++)
		if (j->forged & (1u << ttl))
			j->hop = (uint8_t)ttl;
	if (j->hop <= 1 || j->router[j->hop - 1] || j->retries >= LOC_RETRIES) {
		finish(t, id);
		return;
	}
	j->phase = P_RETRY;
	j->retry_at_ns = now + LOC_RETRY_NS;
}

static void step(struct loc_table *t, uint32_t id, uint64_t now)
{
	struct loc_job *j = &t->jobs[id];

	switch (j->phase) {
	case P_ECHO:
		if (!j->echo_sent) {
			/* every TTL at once: echo replies are not rate-limited, and
			 * the time-exceeded they draw below the server are taken from
			 * the buckets (given back above the server's hop once known) */
			j->echo_sent = true;
			j->t0_ns = now;
			for (unsigned ttl = 1; ttl <= LOC_MAX_HOPS; ttl++) {
				refill(t, ttl, now);
				t->tokens[ttl] -= 1;
				t->ops.echo(t->ctx, id, (uint16_t)(id << 5 | ttl), (uint8_t)ttl);
			}
			return;
		}
		if (j->echo_replies && !j->first_reply_ns)
			j->first_reply_ns = now;
		if (now - j->t0_ns < LOC_ECHO_WAIT_NS &&
		    !(j->first_reply_ns && now - j->first_reply_ns >= LOC_ECHO_WAIT_NS / 5))
			return;
		for (unsigned ttl = 1; ttl <= LOC_MAX_HOPS; ttl++)
			if (j->echo_replies & (1u << ttl)) {
				j->server_hop = (uint8_t)ttl;
				break;
			}
		/* echoes at or above the server drew no time-exceeded */
		for (unsigned ttl = j->server_hop ? j->server_hop : LOC_MAX_HOPS + 1;
		     ttl <= LOC_MAX_HOPS; ttl++)
			t->tokens[ttl] += 1;
		j->max_ttl = j->server_hop ? j->server_hop : LOC_UNKNOWN_HOPS;
		j->next_ttl = 1;
		j->phase = P_HELLO;
		/* fall through */
	case P_HELLO:
		while (j->next_ttl <= j->max_ttl) {
			bool limited = !j->server_hop || j->next_ttl < j->server_hop;
			if (limited && !take(t, j->next_ttl, now))
				break;
			if (t->ops.open(t->ctx, id, j->next_ttl, now) != 0) {
				if (limited)
					t->tokens[j->next_ttl] += 1;
				break;
			}
			j->open_conns++;
			j->next_ttl++;
		}
		if (j->next_ttl > j->max_ttl && !j->open_conns)
			hellos_ended(t, id, now);
		return;
	case P_RETRY:
		if (j->open_conns) /* the retry is out */
			return;
		if (j->retries && j->retry_at_ns == 0) { /* it came back */
			hellos_ended(t, id, now);
			return;
		}
		if (now < j->retry_at_ns || !take(t, j->hop - 1, now))
			return;
		if (t->ops.open(t->ctx, id, (uint8_t)(j->hop - 1), now) != 0) {
			t->tokens[j->hop - 1] += 1;
			return;
		}
		j->retries++;
		j->open_conns++;
		j->retry_at_ns = 0;
		return;
	default:
		return;
	}
}

void loc_poll(struct loc_table *t, uint64_t now_ns)
{
	if (!t->active)
		return;
	for (uint32_t i = 0; i < t->njobs; i++)
		if (t->jobs[i].phase != P_FREE)
			step(t, i, now_ns);
}

void loc_abort_all(struct loc_table *t, uint64_t now_ns)
{
	(void)now_ns;
	for (uint32_t i = 0; i < t->njobs; i++)
		if (t->jobs[i].phase != P_FREE)
			finish(t, i);
}
