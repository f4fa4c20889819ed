/* SPDX-License-Identifier: MIT */
/*
 * tlsmap bench tx: the sweep's TX path at full speed, one TX lcore, no
 * rate limit, for a fixed time: the real permutation over 2^24 (address,
 * port) pairs (restarted when exhausted), the real SYN template, cookie,
 * incremental checksums and mbuf handling, into net_null0 by default (any
 * vdev can be given). Prints tx_pps=, tx_gbps= (wire bits: 60-byte frame +
 * FCS, preamble and gap = 84 bytes) and seconds=.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "dpdk/engine.h"
#include "scanner/bench/bench.h"
#include "scanner/cmd/cli.h"
#include "scanner/core/sweep.h"

struct bench_gen {
	struct perm perm;
	uint64_t until_ns, seed;
	uint32_t base;
};

static int bench_next(void *arg, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be, unsigned max)
{
	struct bench_gen *g = arg;
	uint64_t idx;

	if (now_ns >= g->until_ns)
		return -1;
	for (unsigned n = 0; n < max; n++) {
		while (!perm_next(&g->perm, &idx))
			perm_init(&g->perm, 1u << 24, ++g->seed, 0, 1);
		ip_be[n] = __builtin_bswap32(g->base + (uint32_t)idx);
		port_be[n] = __builtin_bswap16(443);
	}
	return (int)max;
}

int bench_tx(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'},
		{"iface", required_argument, NULL, 'i'},
		{"lcores", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct eng_config ec;
	struct eng_stats st;
	struct bench_gen gen;
	struct eng *e;
	char err[512];
	double seconds = 5, el;
	uint64_t t0;
	uint16_t port = 443;
	int c;

	memset(&ec, 0, sizeof(ec));
	ec.iface = "net_null0";
	ec.lcores = "0";
	/* each flag at most once */
	struct cli_getopt g = {.cmd = "bench tx", .shortopts = "s:i:T:h", .longopts = opts};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 's':
			if (cli_parse_seconds("bench tx", "--seconds", optarg, &seconds))
				return CLI_EUSAGE;
			break;
		case 'i':
			ec.iface = optarg;
			break;
		case 'T':
			ec.lcores = optarg;
			break;
		case 'h':
			puts("usage: tlsmap bench tx [--seconds S] [--iface VDEV] [-T LCORES]");
			return 0;
		default:
			return cli_bad_option("bench tx", argc, argv);
		}
	}
	ec.no_rx = true;
	ec.src_ip_be = __builtin_bswap32(0xc6130001); /* 198.19.0.1 */
	ec.have_gw_mac = true;
	memcpy(ec.gw_mac, "\x02\x00\x00\x00\x00\x01", 6);
	ec.sweep_sport_lo = 32768;
	ec.sweep_sport_hi = 47999;
	ec.tcp_sport_lo = 1;
	ec.ports = &port;
	ec.nports = 1;
	memcpy(ec.cookie_key, "tlsmap-bench-key", 16);

	e = eng_open(&ec, "tlsmap", err, sizeof(err));
	if (!e) {
		fprintf(stderr, "tlsmap bench tx: %s\n", err);
		return 1;
	}
	eng_install_signals();
	memset(&gen, 0, sizeof(gen));
	gen.base = 0xc6120000; /* 198.18.0.0: net_null sends nowhere */
	perm_init(&gen.perm, 1u << 24, gen.seed, 0, 1);
	t0 = eng_now_ns(e);
	gen.until_ns = t0 + (uint64_t)(seconds * 1e9);
	eng_run(e, bench_next, &gen, NULL, NULL, NULL, NULL);
	el = (double)(eng_now_ns(e) - t0) / 1e9;
	eng_stats(e, &st);
	printf("tx_port=%s\n", eng_port_name(e));
	printf("cookie_impl=%s\n", eng_cookie_impl(e));
	printf("tx_packets=%llu\n", (unsigned long long)st.sent);
	printf("tx_dropped=%llu\n", (unsigned long long)st.tx_dropped);
	printf("seconds=%.3f\n", el);
	printf("tx_pps=%.0f\n", (double)st.sent / el);
	printf("tx_gbps=%.3f\n", (double)st.sent * 84 * 8 / el / 1e9);
	eng_close(e);
	return 0;
}
