/* SPDX-License-Identifier: MIT */
/*
 * The target generator: the engine's TX lcore asks it for "up to N targets
 * now" (dpdk/engine.h's eng_next_fn) and it walks the cyclic-group
 * permutation (perm.h) over (address index, port index) pairs, maps each
 * index to an address with tgt_set_nth(), and meters the pairs out with the
 * token bucket (rate.h). -P sends each target that many times back to back;
 * --max-targets stops the walk early.
 *
 * Two things it needs from above are asked through hooks, so this file
 * knows neither DPDK nor the resume tracker and tests drive it with fakes:
 *   - --sweep-retries: after the walk, more passes over it that send again
 *     only to targets that stayed silent while enough addresses of their /24
 *     answered on that port (the engine keeps those counts);
 *   - --resume: targets the previous runs completed are passed over, and
 *     a list of targets (sweep_gen_send_first()) can go out before the walk
 *     goes on.
 *
 * Times are nanoseconds of one monotonic clock (the engine's eng_now_ns()).
 * Not thread-safe except sweep_gen_position(), which the tick thread reads
 * while the TX lcore walks.
 */
#ifndef TLSMAP_SCANNER_GEN_H
#define TLSMAP_SCANNER_GEN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/core/perm.h"
#include "scanner/core/rate.h"
#include "scanner/core/targets.h"

/* targets passed over per call in a retry pass: the TX loop stays responsive */
#define SWEEP_SKIP_MAX 65536u
/* before the first pass over silent targets, doubling for each further pass:
 * a SYN retransmission timer's (RFC 6298 5.7, 1 s), long enough for a busy
 * listen queue to drain */
#define SWEEP_RETRY_NS 1000000000ull
/* answers in a /24 (on the target's port) for its silent targets to get a pass */
#define SWEEP_NET_ANSWERS 8u
/* a retry pass that brought back fewer answers than 1 per this many SYNs it
 * sent again is the last: what stays silent then is silent, not dropped by
 * a full listen queue (which gives back a large share on each pass) */
#define SWEEP_PASS_YIELD 100u

struct sweep_gen_hooks {
	void *arg;
	/* Did anything answer (a SYN-ACK or a RST) so far? A sweep with no
	 * answer at all has no /24 that qualifies for a retry pass. */
	bool (*any_answer)(void *arg);
	/* Did @ip_be:@port_be answer? *@net_answers: addresses of its /24 that
	 * answered on that port. Needed only with retry passes. */
	bool (*answered)(void *arg, uint32_t ip_be, uint16_t port_be, unsigned *net_answers);
	/* --resume: true when the target is a host an earlier run completed
	 * (not sent again). NULL: nothing is skipped. */
	bool (*skip)(void *arg, uint32_t ip_be, uint16_t port_be, uint64_t now_ns);
	/* --resume: sweep_gen_skip_to() walked past the target (an earlier run
	 * finished it). NULL: not told. */
	void (*passed)(void *arg, uint32_t ip_be, uint16_t port_be);
	/* --resume: a target of the send-first list was taken at @now_ns. NULL:
	 * not told. */
	void (*sent_first)(void *arg, uint32_t ip_be, uint16_t port_be, uint64_t now_ns);
	/* --sweep-retries: the sweep's answers so far (SYN-ACKs and RSTs), to
	 * end the passes once one brought back almost nothing
	 * (SWEEP_PASS_YIELD). NULL: every pass that has targets runs. */
	uint64_t (*answers)(void *arg);
};

struct sweep_gen_config {
	const struct tgt_set *targets; /* borrowed: outlives the generator */
	const uint16_t *ports;	       /* host order, borrowed */
	unsigned nports;
	uint64_t max_targets; /* 0: no limit */
	unsigned probes;      /* -P: copies of each target, >= 1 */
	unsigned passes;      /* --sweep-retries: retry passes after the walk */
	uint64_t rate_pps;    /* 0: unlimited */
};

/* Caller-allocated; read pass and resent for the summary, nothing else. */
struct sweep_gen {
	struct perm perm;
	struct rate rate;
	const struct tgt_set *targets;
	const uint16_t *ports;
	unsigned nports;
	uint64_t left;	  /* --max-targets budget (UINT64_MAX: none) */
	uint64_t next_ns; /* do not ask the bucket before this */
	uint64_t gap_ns;  /* batching interval: ~50 us */
	unsigned probes;
	unsigned reps; /* copies of cur_ip/cur_port still to send */
	uint32_t cur_ip_be;
	uint16_t cur_port_be;
	bool done;
	_Atomic uint64_t emitted; /* targets taken from the permutation (the position) */
	struct sweep_gen_hooks hooks;
	const uint64_t *first; /* sweep_gen_send_first()'s list (borrowed) */
	size_t nfirst, first_next;
	struct perm perm0; /* the walk from its start, for retry passes */
	uint64_t left0;
	unsigned pass, passes;	/* 0: the sweep itself */
	uint64_t delay_ns;	/* before pass 1; doubles for each further pass */
	uint64_t pass_at_ns;	/* the current pass sends nothing before this */
	uint64_t resent;	/* targets sent again */
	uint64_t resent_before; /* resent when the current pass started */
	uint64_t last_resent;	/* sent again by the pass before the current one */
	uint64_t answers_at;	/* hooks.answers() when the current pass began to send */
	bool pass_sending;	/* the current pass has begun to send */
};

/*
 * Start a generator on the walk @perm (copied; perm_init() made it, for
 * this shard) at @now_ns. @hooks is copied; its members may be NULL as
 * their comments say. Cannot fail.
 */
void sweep_gen_init(struct sweep_gen *g, const struct sweep_gen_config *c, const struct perm *perm,
		    const struct sweep_gen_hooks *hooks, uint64_t now_ns);
/*
 * --resume: walk past the first @position targets (finished by earlier
 * runs) without sending; retry passes start after them too. Returns the
 * position reached (less than @position when the walk or --max-targets
 * ends first).
 */
uint64_t sweep_gen_skip_to(struct sweep_gen *g, uint64_t position);
/*
 * --resume: send the @n targets of @keys (address << 16 | port, host order:
 * scanner/stage/resume.h's resume_key()) first, in the first pass, before
 * the walk goes on; they count neither in the position nor against
 * --max-targets. @keys is borrowed: it outlives the generator. The skip
 * hook is where the walk passes them by.
 */
void sweep_gen_send_first(struct sweep_gen *g, const uint64_t *keys, size_t n);
/*
 * eng_next_fn: up to @max targets to send now into @ip_be/@port_be
 * (network order). Returns how many (0: not yet, the bucket is dry or a
 * retry pass waits), or -1 when the sweep and its passes are over.
 */
int sweep_gen_next(void *gen, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be, unsigned max);
/* Targets taken from the first walk so far (any thread). */
static inline uint64_t sweep_gen_position(struct sweep_gen *g)
{
	return atomic_load_explicit(&g->emitted, memory_order_acquire);
}

#endif
