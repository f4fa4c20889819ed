/* SPDX-License-Identifier: MIT */
/*
 * tlsmap bench rx: the RX path without a NIC. The engine builds N distinct
 * SYN-ACKs (every 4th an RST) with valid cookies as mbufs, then feeds them
 * again and again through the classifier: parse, cookie check, dedup
 * bitmap (cleared between passes so every pass is first-time replies), the
 * RST the sweep sends back for each SYN-ACK, and dispatch to a counting
 * stage on this lcore. Prints rx_pps=, open=, closed=, seconds=.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "dpdk/engine.h"
#include "scanner/bench/bench.h"
#include "scanner/cmd/cli.h"

struct count_stage {
	uint64_t open, closed;
};

static void *cnt_init(void *stage, unsigned id, struct eng_worker *w)
{
	(void)id;
	(void)w;
	return stage;
}

static void cnt_open(void *w, uint32_t ip, uint16_t port, uint64_t now)
{
	(void)ip;
	(void)port;
	(void)now;
	((struct count_stage *)w)->open++;
}

static void cnt_closed(void *w, uint32_t ip, uint16_t port, uint64_t now)
{
	(void)ip;
	(void)port;
	(void)now;
	((struct count_stage *)w)->closed++;
}

static const struct eng_stage_ops cnt_ops = {
	.worker_init = cnt_init,
	.open = cnt_open,
	.closed = cnt_closed,
};

int bench_rx(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'},
		{"targets", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct eng_config ec;
	struct count_stage cs = {0, 0};
	struct eng *e;
	char err[512];
	double seconds = 5, el = 0;
	uint64_t n = 8192, done;
	uint16_t port = 443;
	int c;

	memset(&ec, 0, sizeof(ec));
	/* each flag at most once */
	struct cli_getopt g = {.cmd = "bench rx", .shortopts = "s:n:h", .longopts = opts};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 's':
			if (cli_parse_seconds("bench rx", "--seconds", optarg, &seconds))
				return CLI_EUSAGE;
			break;
		case 'n':
			if (cli_parse_u64("bench rx", "--targets", optarg, 32, 16384, true, &n))
				return CLI_EUSAGE;
			break;
		case 'h':
			puts("usage: tlsmap bench rx [--seconds S] [--targets N]");
			return 0;
		default:
			return cli_bad_option("bench rx", argc, argv);
		}
	}
	ec.iface = "net_null0";
	ec.lcores = "0";
	ec.no_rx = true;
	ec.src_ip_be = __builtin_bswap32(0xc6130001);
	ec.have_gw_mac = true;
	memcpy(ec.gw_mac, "\x02\x00\x00\x00\x00\x01", 6);
	ec.sweep_sport_lo = 32768;
	ec.sweep_sport_hi = 47999;
	ec.tcp_sport_lo = 1;
	ec.dedup_ip_lo = 0xc6120000;
	ec.dedup_ip_hi = 0xc613ffff;
	ec.ports = &port;
	ec.nports = 1;
	memcpy(ec.cookie_key, "tlsmap-bench-key", 16);
	e = eng_open(&ec, "tlsmap", err, sizeof(err));
	if (!e) {
		fprintf(stderr, "tlsmap bench rx: %s\n", err);
		return 1;
	}
	eng_install_signals();
	done = eng_bench_rx(e, (unsigned)n, seconds, &cnt_ops, &cs, &el);
	printf("cookie_impl=%s\n", eng_cookie_impl(e));
	printf("rx_frames=%llu\n", (unsigned long long)done);
	printf("open=%llu\nclosed=%llu\n", (unsigned long long)cs.open,
	       (unsigned long long)cs.closed);
	printf("seconds=%.3f\n", el);
	printf("rx_pps=%.0f\n", el > 0 ? (double)done / el : 0.0);
	eng_close(e);
	return (cs.open + cs.closed == done) ? 0 : 1;
}
