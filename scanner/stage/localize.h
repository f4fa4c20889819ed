/* SPDX-License-Identifier: MIT */
/*
 * Path localisation of a forged chain, as Raman et al. did in
 * Kazakhstan (IMC 2020): on connections whose handshake completed, the
 * ClientHello alone is sent with IP TTL t; the smallest t that draws the
 * forged chain is the interceptor's hop, and the source of the ICMP
 * time-exceeded for the hello at t - 1 is the last router before it.
 *
 * One job per (host, SNI), in three phases:
 *   1. server hop: ICMP echo requests with TTL 1..LOC_MAX_HOPS at once; the
 *      smallest TTL answered by an echo reply is the server's hop distance.
 *      ICMP is not what a transparent TLS proxy intercepts (it terminates
 *      TCP to the addresses it serves, so the TLS connection's own hop count
 *      would be the proxy's).
 *   2. hello TTLs: one connection per t = 1..server hop (LOC_UNKNOWN_HOPS
 *      without one), each with its hello at TTL t and no retransmission.
 *   3. the router before: while no time-exceeded came for t = hop - 1, the
 *      connection at that TTL is tried again, at most LOC_RETRIES times.
 * Routers rate-limit ICMP time-exceeded (Linux: about one per second per
 * destination after a burst of 6): every packet sent with a TTL below the
 * server's hop takes a token from a bucket per TTL value (LOC_ICMP_PER_S,
 * burst LOC_ICMP_BURST), which stands for the router at that distance
 * (paths from one vantage share their first routers); a hello waits for its
 * bucket, and retries are spaced LOC_RETRY_NS apart.
 *
 * The module knows no TLS and no packets: the TLS stage gives it callbacks
 * (open a TTL-limited connection, send an echo) and reports what came back.
 * All state is per worker, fixed at creation.
 */
#ifndef TLSMAP_SCANNER_LOCALIZE_H
#define TLSMAP_SCANNER_LOCALIZE_H

#include <stdbool.h>
#include <stdint.h>

#define LOC_MAX_HOPS 30	    /* echo TTLs 1..30 */
#define LOC_UNKNOWN_HOPS 16 /* hello TTLs tried when the server's hop is unknown */
#define LOC_RETRIES 4
#define LOC_RETRY_NS 1200000000ull
#define LOC_ECHO_WAIT_NS 1500000000ull
#define LOC_ICMP_PER_S 1
#define LOC_ICMP_BURST 4
#define LOC_HELLO_TIMEOUT_MS 2000 /* in tests: how long a hello that died takes to end */

struct loc_result {
	bool localized;		 /* some TTL drew the forged chain */
	uint8_t interceptor_hop; /* smallest such TTL */
	uint8_t server_hop;	 /* 0: unknown */
	uint32_t hop_before_be;	 /* ICMP source at interceptor_hop - 1, 0: none answered */
};

struct loc_ops {
	/* open a connection to the job's (host, port, SNI) with its hello at
	 * IP TTL @ttl; 0, or -1 when it cannot now (tried again later). The
	 * stage reports its end with loc_conn_done(). */
	int (*open)(void *ctx, uint32_t job, uint8_t ttl, uint64_t now_ns);
	/* send one ICMP echo request (id = the job's port, seq) with IP TTL @ttl */
	void (*echo)(void *ctx, uint32_t job, uint16_t seq, uint8_t ttl);
	/* the job ended; its id is free after this returns */
	void (*done)(void *ctx, uint32_t job, const struct loc_result *r);
};

struct loc_table;

/* @max_jobs at once (at most 2047). NULL on ENOMEM. */
struct loc_table *loc_table_new(uint32_t max_jobs, const struct loc_ops *ops, void *ctx);
void loc_table_free(struct loc_table *t);

/* Start a job; its id, or -1 when every slot is busy. Nothing is sent
 * before the next loc_poll(), so the caller may first record what the id
 * is for. */
int64_t loc_start(struct loc_table *t, uint32_t ip_be, uint64_t now_ns);

/* A connection of @job at TTL @ttl ended: @forged when it drew the forged
 * chain (the caller's comparison). */
void loc_conn_done(struct loc_table *t, uint32_t job, uint8_t ttl, bool forged, uint64_t now_ns);

/* An ICMP time-exceeded from @router_be for the hello of @job at @ttl. */
void loc_hello_icmp(struct loc_table *t, uint32_t job, uint8_t ttl, uint32_t router_be);

/* An echo reply (@reply) or an error for an echo request, by its seq. */
void loc_echo_icmp(struct loc_table *t, uint32_t from_be, uint16_t seq, bool reply);

/* Advance the jobs (timers, paced connections); call every loop iteration. */
void loc_poll(struct loc_table *t, uint64_t now_ns);

/* Jobs running. */
uint32_t loc_active(const struct loc_table *t);

/* End every job now with what it has (scan end). */
void loc_abort_all(struct loc_table *t, uint64_t now_ns);

#endif
