/* SPDX-License-Identifier: MIT */
/*
 * Memory of in-flight connections in dpdk/tcp: a table of N connections
 * (default 1,000,000), all opened (SYN sent, awaiting their server), and
 * the resident memory that costs. Prints key=value lines.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpdk/tcp.h"
#include "tests/unit/test.h"

static int null_tx(void *c, const uint8_t *f, uint16_t l)
{
	(void)c;
	(void)f;
	(void)l;
	return 0;
}
static size_t hello(void *a, uint64_t u, uint8_t *b, size_t c)
{
	(void)a;
	(void)u;
	(void)b;
	(void)c;
	return 0;
}
static int data(void *a, uint64_t u, const uint8_t *p, size_t l)
{
	(void)a;
	(void)u;
	(void)p;
	(void)l;
	return 0;
}
static void closed(void *a, uint64_t u, int o)
{
	(void)a;
	(void)u;
	(void)o;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000u;
	static const struct tcp_app_ops ops = {hello, data, NULL, closed};
	struct tcp_cfg cfg = {
		.max_conns = n,
		.hash_key = {1, 2},
		.l2 = {.src_ip_be = htonl(0xc6130002u), .sport_lo = 1024, .sport_hi = 65535},
		.tx = null_tx,
		.app_ops = &ops,
	};
	long before = test_rss_kb();
	struct tcp_table *t = tcp_table_new(&cfg);
	if (!t) {
		printf("error=cannot allocate a table of %u\n", n);
		return 1;
	}
	uint32_t ok = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ip = 0xc6120000u + (i % 131072u); /* 198.18.0.0/15 */
		uint16_t port = (uint16_t)(443 + i / 131072u);
		if (tcp_connect(t, htonl(ip), htons(port), i, 1000000000ull) == 0)
			ok++;
	}
	long after = test_rss_kb();
	printf("tcp_conn_bytes=%zu\n", tcp_conn_size());
	printf("inflight_connections=%u\n", ok);
	printf("tcp_table_bytes=%zu\n", tcp_table_bytes(t));
	printf("tcp_rss_kb=%ld\n", after - before);
	printf("tcp_rss_bytes_per_connection=%.1f\n",
	       ok ? (double)(after - before) * 1024 / ok : 0);
	tcp_table_free(t);
	return 0;
}
