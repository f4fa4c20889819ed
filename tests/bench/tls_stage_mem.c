/* SPDX-License-Identifier: MIT */
/*
 * Memory of the TLS stage with N connections in flight (default
 * 1,000,000), each server answering with a flight of a few KB, under the
 * global receive-buffer budget (--rx-budget).
 *
 * Real code, real traffic, real RSS: the userspace TCP (dpdk/tcp.c) at
 * N connections with the budget the stage gives it; every connection is
 * opened (its SYN captured for its sequence number), answered with a
 * SYN-ACK and then with FLIGHT bytes in MSS-sized segments, as a server
 * does. The receive buffers follow the stage's own policy
 * (stage_tls_buf_grow(): 16 KiB first, doubling, charged to the budget
 * with tcp_rx_charge(), TCP_APP_WAIT when it has no room), and the
 * stage's per-connection tables (stage_tls_slot_bytes(): probe, host,
 * queues) are allocated and written for every connection. What does not
 * fit the budget waits, unacknowledged, at the server: that is the
 * backpressure. VmRSS is read before and after each phase.
 *
 * Not measured here: the stage's fixed tables (certificates seen, the
 * verification cache, deferred items: a few MiB per worker) and the
 * (ip, port) queue of the sweep. Prints key=value lines; asserts nothing.
 *
 *   tls_stage_mem [CONNECTIONS [FLIGHT_BYTES [RX_BUDGET_MIB]]]
 * (defaults 1000000, 4000, 256). stage_bound_bytes is the tables' RSS plus
 * the whole budget: what the stage holds at most if every charged byte
 * were resident (a 4 KB flight touches one of its 16 KiB).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpdk/tcp.h"
#include "scanner/stage/stage_tls.h"
#include "tests/unit/test.h"

#define MSS 1400u
#define HELLO_LEN 512u
#define MAX_FLIGHT (128u * 1024) /* --max-flight-bytes' default */
#define CHUNK 4096u		 /* the stage's parser chunk: its buffer cap is flight + CHUNK */

struct bench {
	struct tcp_table *tcp;
	uint32_t n;
	uint32_t *iss;	   /* our ISN per connection, from its SYN */
	uint16_t *sport;   /* our source port per connection */
	uint8_t **buf;	   /* receive buffer per connection (the stage's p->buf) */
	uint32_t *buf_cap; /* its capacity (p->buf_cap) */
	uint32_t *got;	   /* bytes received (p->flight_bytes) */
	uint8_t *slots;	   /* the stage's tables: n x stage_tls_slot_bytes() */
	size_t slot_bytes;
	uint32_t last;	     /* connection whose frame is being sent */
	uint64_t waits;	     /* TCP_APP_WAIT returned */
	uint64_t buf_bytes;  /* receive buffer allocated now */
	uint64_t frames_out; /* frames the TCP sent (SYNs, ACKs): counted only */
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

/* Our frames: keep the SYN's sequence number and source port. */
static int tx(void *ctx, const uint8_t *f, uint16_t len)
{
	struct bench *b = ctx;
	const uint8_t *th = f + 14 + (size_t)(f[14] & 0xf) * 4;

	b->frames_out++;
	if (len >= 54 && th[13] == 0x02) { /* SYN */
		b->iss[b->last] = rd32(th + 4);
		b->sport[b->last] = (uint16_t)(th[0] << 8 | th[1]);
	}
	return 0;
}

static size_t hello(void *app, uint64_t user, uint8_t *buf, size_t cap)
{
	(void)app;
	(void)user;
	if (cap < HELLO_LEN)
		return 0;
	memset(buf, 0x16, HELLO_LEN);
	return HELLO_LEN;
}

/* The stage's app_data() receive path: grow, charge, copy; wait when the
 * budget has no room. Never done: the flight stays held. */
static int data(void *app, uint64_t user, const uint8_t *p, size_t len)
{
	struct bench *b = app;
	uint32_t i = (uint32_t)user;
	uint64_t need = (uint64_t)b->got[i] + len;

	if (need > b->buf_cap[i]) {
		uint32_t ncap =
			stage_tls_buf_grow(b->buf_cap[i], (uint32_t)need, MAX_FLIGHT + CHUNK);
		uint8_t *nb;

		if (ncap < need)
			return TCP_APP_TOO_LARGE;
		if (tcp_rx_charge(b->tcp, ncap - b->buf_cap[i]) != 0) {
			b->waits++;
			return TCP_APP_WAIT;
		}
		nb = realloc(b->buf[i], ncap);
		if (!nb)
			return TCP_APP_TOO_LARGE;
		b->buf[i] = nb;
		b->buf_bytes += ncap - b->buf_cap[i];
		b->buf_cap[i] = ncap;
	}
	memcpy(b->buf[i] + b->got[i], p, len);
	b->got[i] += (uint32_t)len;
	return TCP_APP_MORE;
}

static void closed(void *app, uint64_t user, int outcome)
{
	(void)app;
	(void)user;
	(void)outcome;
}

#define CLI_IP 0xc6130002u /* 198.19.0.2 */

static uint32_t srv_ip(uint32_t i)
{
	return 0xc6120000u + (i % 131072u); /* 198.18.0.0/15 */
}

static uint16_t srv_port(uint32_t i)
{
	return (uint16_t)(443 + i / 131072u);
}

/* A segment from server @i: seq/ack relative to the handshake. */
static size_t srv_frame(uint8_t *f, const struct bench *b, uint32_t i, uint8_t flags, uint32_t seq,
			const uint8_t *payload, size_t plen)
{
	size_t opt = flags & 0x02 ? 4 : 0, tcp_len = 20 + opt + plen;
	uint8_t *ip = f + 14, *th = ip + 20;
	uint32_t ack = b->iss[i] + 1 + (flags & 0x02 ? 0 : HELLO_LEN);

	memset(f, 0, 14 + 20 + 20 + opt);
	wr16(f + 12, 0x0800);
	ip[0] = 0x45;
	wr16(ip + 2, (uint32_t)(20 + tcp_len));
	ip[8] = 64;
	ip[9] = 6;
	wr32(ip + 12, srv_ip(i));
	wr32(ip + 16, CLI_IP);
	wr16(th, srv_port(i));
	wr16(th + 2, b->sport[i]);
	wr32(th + 4, seq);
	wr32(th + 8, ack);
	th[12] = (uint8_t)(((20 + opt) / 4) << 4);
	th[13] = flags;
	wr16(th + 14, 65535);
	if (opt) {
		th[20] = 2;
		th[21] = 4;
		wr16(th + 22, MSS);
	}
	if (plen)
		memcpy(th + 20 + opt, payload, plen);
	return 14 + 20 + tcp_len;
}

/* The bench's own bookkeeping, touched before the baseline. 0, or 1 when
 * it does not fit. */
static int bench_arrays(struct bench *b)
{
	uint32_t n = b->n;

	b->iss = calloc(n, sizeof(*b->iss));
	b->sport = calloc(n, sizeof(*b->sport));
	b->buf = calloc(n, sizeof(*b->buf));
	b->buf_cap = calloc(n, sizeof(*b->buf_cap));
	b->got = calloc(n, sizeof(*b->got));
	if (!b->iss || !b->sport || !b->buf || !b->buf_cap || !b->got) {
		printf("error=out of memory for the bench's own arrays\n");
		return 1;
	}
	/* written twice: a memset of zeros over calloc's memory may be elided */
	memset(b->iss, 0xff, n * sizeof(*b->iss));
	memset(b->sport, 0xff, n * sizeof(*b->sport));
	memset(b->buf, 0, n * sizeof(*b->buf));
	memset(b->buf_cap, 0xff, n * sizeof(*b->buf_cap));
	memset(b->buf_cap, 0, n * sizeof(*b->buf_cap));
	memset(b->got, 0xff, n * sizeof(*b->got));
	memset(b->got, 0, n * sizeof(*b->got));
	return 0;
}

/* What was measured, as key=value lines. */
struct bench_result {
	uint32_t flight, answered, opened;
	uint64_t budget, held, waiting;
	long rss0, rss_tables, rss_all;
};

static void print_results(const struct bench *b, const struct bench_result *r)
{
	uint32_t n = b->n, flight = r->flight, answered = r->answered, opened = r->opened;
	uint64_t budget = r->budget, held = r->held, waiting = r->waiting;
	long rss0 = r->rss0, rss_tables = r->rss_tables, rss_all = r->rss_all;
	const struct tcp_stats *st = tcp_table_stats(b->tcp);

	printf("connections=%u\n", n);
	printf("inflight_connections=%u\n", tcp_active(b->tcp));
	printf("handshakes=%u\n", answered);
	printf("flight_bytes=%u\n", flight);
	printf("rx_budget_bytes=%llu\n", (unsigned long long)budget);
	printf("flights_held=%llu\n", (unsigned long long)held);
	printf("flights_waiting=%llu\n", (unsigned long long)waiting);
	printf("rx_waits=%llu\n", (unsigned long long)b->waits);
	printf("rx_charged_bytes=%llu\n", (unsigned long long)tcp_rx_used(b->tcp));
	printf("rx_peak_bytes=%llu\n", (unsigned long long)st->rx_peak_bytes);
	printf("tcp_conn_bytes=%zu\n", tcp_conn_size());
	printf("tcp_table_bytes=%zu\n", tcp_table_bytes(b->tcp));
	printf("stage_slot_bytes=%zu\n", b->slot_bytes);
	printf("stage_tables_rss_bytes=%lld\n", (long long)(rss_tables - rss0) * 1024);
	printf("stage_buffers_rss_bytes=%lld\n", (long long)(rss_all - rss_tables) * 1024);
	printf("stage_rss_bytes=%lld\n", (long long)(rss_all - rss0) * 1024);
	printf("stage_rss_mib=%.1f\n", (double)(rss_all - rss0) / 1024);
	printf("stage_rss_bytes_per_connection=%.1f\n",
	       opened ? (double)(rss_all - rss0) * 1024 / opened : 0.0);
	printf("process_rss_bytes=%lld\n", (long long)rss_all * 1024);
	/* the worst case: every byte charged to the budget resident */
	printf("stage_bound_bytes=%lld\n",
	       (long long)(rss_tables - rss0) * 1024 + (long long)budget);
	printf("under_1gib=%s\n", (rss_all - rss0) * 1024ll < (1ll << 30) ? "yes" : "no");
}

static void bench_free(struct bench *b)
{
	tcp_table_free(b->tcp);
	for (uint32_t i = 0; i < b->n; i++)
		free(b->buf[i]);
	free(b->slots);
	free(b->iss);
	free(b->sport);
	free(b->buf);
	free(b->buf_cap);
	free(b->got);
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000u;
	uint32_t flight = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 4000u;
	/* 256 MiB: the tables' ~700 MB plus the whole budget stay under 1 GiB */
	uint64_t budget = (argc > 3 ? strtoull(argv[3], NULL, 10) : 256) << 20;
	static const struct tcp_app_ops ops = {hello, data, NULL, closed};
	static uint8_t frame[2048], payload[MSS];
	struct bench b = {.n = n};
	const uint64_t srv_iss = 1000;
	uint64_t now = 1000000000ull, held = 0, waiting = 0;
	uint32_t opened = 0, answered = 0;
	long rss0, rss_tables, rss_all;

	if (n == 0 || flight == 0 || flight > MAX_FLIGHT || budget < 2ull * (MAX_FLIGHT + CHUNK)) {
		fprintf(stderr, "usage: %s [CONNECTIONS [FLIGHT_BYTES <= %u [RX_BUDGET_MIB]]]\n",
			argv[0], MAX_FLIGHT);
		return 2;
	}
	memset(payload, 0x16, sizeof(payload));
	if (bench_arrays(&b) != 0)
		return 1;
	rss0 = test_rss_kb();

	/* the stage's tables for n connections (worker_init sizes them by
	 * --max-connections), and its TCP with the same budget settings */
	b.slot_bytes = stage_tls_slot_bytes();
	b.slots = calloc(n, b.slot_bytes);
	struct tcp_cfg cfg = {
		.max_conns = n,
		.hash_key = {1, 2},
		.l2 = {.src_ip_be = htonl(CLI_IP), .sport_lo = 1024, .sport_hi = 65535},
		.tx = tx,
		.tx_ctx = &b,
		.app_ops = &ops,
		.app = &b,
		.rx_budget = budget,
		.rx_conn_max = MAX_FLIGHT + CHUNK,
		.connect_timeout_ns = 3600ull * 1000000000ull, /* nothing expires meanwhile */
		.read_timeout_ns = 3600ull * 1000000000ull,
		.syn_rto_ns = 3600ull * 1000000000ull,
	};
	b.tcp = tcp_table_new(&cfg);
	if (!b.tcp || !b.slots) {
		printf("error=cannot allocate the tables for %u connections\n", n);
		return 1;
	}
	/* 1: every connection opened (the SYN sent), its slot written */
	for (uint32_t i = 0; i < n; i++) {
		b.last = i;
		if (tcp_connect(b.tcp, htonl(srv_ip(i)), htons(srv_port(i)), i, now) != 0)
			break;
		memset(b.slots + (size_t)i * b.slot_bytes, 0x5a, b.slot_bytes);
		opened++;
	}
	/* 2: every server answers the SYN (our ACK carries the hello) */
	for (uint32_t i = 0; i < opened; i++) {
		size_t len = srv_frame(frame, &b, i, 0x12, (uint32_t)srv_iss, NULL, 0);

		b.last = i;
		if (tcp_rx(b.tcp, frame, len, now) == 1)
			answered++;
	}
	rss_tables = test_rss_kb();
	/* 3: every server sends its flight; what the budget cannot hold waits */
	for (uint32_t i = 0; i < opened; i++) {
		b.last = i;
		for (uint32_t off = 0; off < flight; off += MSS) {
			uint32_t k = flight - off < MSS ? flight - off : MSS;
			size_t len = srv_frame(frame, &b, i, 0x18, (uint32_t)srv_iss + 1 + off,
					       payload, k);

			tcp_rx(b.tcp, frame, len, now);
		}
		if (b.got[i] == flight)
			held++;
		else
			waiting++;
	}
	tcp_poll(b.tcp, now + 1000000);
	rss_all = test_rss_kb();

	print_results(&b, &(struct bench_result){flight, answered, opened, budget, held, waiting,
						 rss0, rss_tables, rss_all});
	bench_free(&b);
	return 0;
}
