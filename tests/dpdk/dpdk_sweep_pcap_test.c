/* SPDX-License-Identifier: MIT */
/*
 * What the sweep puts on the wire, read back from a net_pcap vdev's
 * tx_pcap: every (address, port) target exactly once, nothing blocklisted
 * (-b FILE), N shards with one seed pairwise disjoint with the full set as
 * their union, --max-targets honoured, and every frame a well-formed SYN
 * (valid IPv4 and TCP checksums, our MAC/IP, a source port in range, the
 * cookie of its 4-tuple as sequence number), and --sweep-retries: the SYN
 * again, twice, to the silent targets of a /24 where 8 or more answered,
 * never to those of a /24 with fewer answers or none. Runs the real binary:
 *   tlsmap scan ... -i 'net_pcap0,rx_pcap=EMPTY.pcap,tx_pcap=OUT.pcap'
 * Skips (77) when the EAL cannot start here (no root).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dpdk/pkt.h"
#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

#define BASE 0xc6120000u /* 198.18.0.0 */
#define NADDR (5u * 256) /* 198.18.0.0 - 198.18.4.255 spans the targets */
#define NPORTS 3
static const uint16_t ports[NPORTS] = {443, 80, 8443};
static const char *bin;
static bool rst_ok; /* read_pcap passes over RSTs (scenario D) */
static char dir[128];

static bool is_target(uint32_t ip)
{
	bool in = (ip >= BASE && ip <= BASE + 0x1ff) ||		     /* 198.18.0.0/23 */
		  (ip >= BASE + 0x40a && ip <= BASE + 0x428);	     /* 198.18.4.10-40 */
	bool blocked = (ip >= BASE + 0x100 && ip <= BASE + 0x17f) || /* 198.18.1.0/25 */
		       ip == BASE + 0x414;			     /* 198.18.4.20 */
	return in && !blocked;
}

static int port_index(uint16_t p)
{
	for (int k = 0; k < NPORTS; k++)
		if (ports[k] == p)
			return k;
	return -1;
}

static unsigned expected_count(void)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < NADDR; i++)
		n += is_target(BASE + i) ? NPORTS : 0;
	return n;
}

/* A valid SYN-ACK from ip:443 to 198.19.0.1:40000 (the cookie of seed @key). */
static void put_synack(FILE *f, uint32_t ip, const uint8_t key[16])
{
	static const uint8_t gw_mac[6] = {2, 0, 0, 0, 0, 1}, us_mac[6] = {2, 0, 0, 0, 0, 9};
	uint32_t ip_be = __builtin_bswap32(ip), us_be = __builtin_bswap32(0xc6130001);
	uint64_t k0, k1;
	uint8_t fr[60];

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	uint32_t ack = pkt_cookie_k(k0, k1, us_be, ip_be, __builtin_bswap16(40000),
				    __builtin_bswap16(443)) +
		       1;
	pkt_build_rst(fr, gw_mac, us_mac, ip_be, us_be, __builtin_bswap16(443),
		      __builtin_bswap16(40000), 12345);
	fr[PKT_OFF_TCP + 8] = (uint8_t)(ack >> 24);
	fr[PKT_OFF_TCP + 9] = (uint8_t)(ack >> 16);
	fr[PKT_OFF_TCP + 10] = (uint8_t)(ack >> 8);
	fr[PKT_OFF_TCP + 11] = (uint8_t)ack;
	fr[PKT_OFF_TCP + 13] = PKT_TCP_SYN | PKT_TCP_ACK;
	pkt_store16(fr + PKT_OFF_TCP + 16, 0);
	pkt_store16(fr + PKT_OFF_TCP + 16, pkt_tcp_csum(ip_be, us_be, fr + PKT_OFF_TCP, 20));
	uint32_t h[4] = {1, 0, 60, 60};
	fwrite(h, 4, 4, f);
	fwrite(fr, 1, 60, f);
}

/* Runs tlsmap scan with the common flags plus extra; output to OUT_NAME.pcap,
 * replies from RX_NAME.pcap. */
static int run_scan_rx(const char *out_name, const char *rx_name, const char *extra);
static int run_scan(const char *out_name, const char *extra)
{
	return run_scan_rx(out_name, "EMPTY", extra);
}

static int run_scan_rx(const char *out_name, const char *rx_name, const char *extra)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd),
		 "%s scan 198.18.0.0/23 198.18.4.10-198.18.4.40 -p 443,80,8443 "
		 "-i 'net_pcap0,rx_pcap=%s/%s.pcap,tx_pcap=%s/%s.pcap' "
		 "-G 02:00:00:00:00:01 --source-ip 198.19.0.1 --allow-reserved -b %s/block "
		 "--syn-only --cooldown 0 -r 2M --source-port 40000-40099 %s > %s/%s.log 2>&1",
		 bin, dir, rx_name, dir, out_name, dir, extra, dir, out_name);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static bool log_has(const char *name, const char *needle)
{
	char path[256], buf[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

/*
 * Read NAME.pcap; counts[(ip-BASE)*NPORTS + port index]++ for each SYN.
 * Returns frames read, -1 on a malformed file. Checks every frame.
 */
static long read_pcap(const char *name, uint8_t *counts, const uint8_t key[16])
{
	char path[256];
	uint8_t gh[24], rh[16], f[2048];
	uint32_t saddr_be = __builtin_bswap32(0xc6130001);
	uint64_t k0, k1;
	long n = 0;
	FILE *fp;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	fp = fopen(path, "rb");
	if (!fp || fread(gh, 1, 24, fp) != 24) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (fp)
			fclose(fp);
		return -1;
	}
	while (fread(rh, 1, 16, fp) == 16) {
		uint32_t incl;
		struct pkt_tcp_view v;
		memcpy(&incl, rh + 8, 4);
		if (incl > sizeof(f) || fread(f, 1, incl, fp) != incl) {
			fclose(fp);
			return -1;
		}
		n++;
		if (!pkt_parse_tcp(f, incl, &v)) {
			fprintf(stderr, "frame %ld: not IPv4/TCP\n", n);
			failures++;
			continue;
		}
		if (rst_ok && v.flags == PKT_TCP_RST)
			continue; /* the answer to a SYN-ACK of REPLIES.pcap */
		CHECK(incl == PKT_SYN_LEN);
		CHECK(v.flags == PKT_TCP_SYN && v.ack == 0);
		CHECK(v.saddr_be == saddr_be);
		CHECK(f[0] == 2 && f[5] == 1); /* -G 02:00:00:00:00:01 */
		CHECK(pkt_csum(f + PKT_OFF_IP, PKT_IP_LEN) == 0);
		CHECK(pkt_tcp_csum(v.saddr_be, v.daddr_be, f + PKT_OFF_TCP,
				   incl - PKT_OFF_TCP - 2 /* pad */) == 0);
		uint16_t sport = __builtin_bswap16(v.sport_be),
			 dport = __builtin_bswap16(v.dport_be);
		CHECK(sport >= 40000 && sport <= 40099);
		CHECK(v.seq == pkt_cookie_k(k0, k1, saddr_be, v.daddr_be, v.sport_be, v.dport_be));
		uint32_t ip = __builtin_bswap32(v.daddr_be);
		int pi = port_index(dport);
		if (ip < BASE || ip >= BASE + NADDR || pi < 0 || !is_target(ip)) {
			fprintf(stderr, "frame %ld: sent to a non-target %u.%u.%u.%u:%u\n", n,
				ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, dport);
			failures++;
			continue;
		}
		counts[(ip - BASE) * NPORTS + (unsigned)pi]++;
		if (failures > 20)
			break;
	}
	fclose(fp);
	return n;
}

/* A new capture file with its global header: NULL (and a failure) when
 * it cannot be made. */
static FILE *pcap_create(const char *path)
{
	static const uint8_t gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,	   4, 0, 0, 0, 0, 0,
				       0,    0,	   0,	 0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (f)
		fwrite(gh, 1, sizeof(gh), f);
	return f;
}

/* B: 3 shards of seed 42: disjoint, their union the full set (@all). */
static void case_shards(const uint8_t *all, uint8_t *sh, const uint8_t key[16], unsigned want)
{
	unsigned once = 0, twice = 0;

	for (unsigned s = 0; s < 3; s++) {
		char name[16], extra[64];
		snprintf(name, sizeof(name), "shard%u", s);
		snprintf(extra, sizeof(extra), "--seed 42 --shards 3 --shard %u", s);
		CHECK_EQ_U64(run_scan(name, extra), 0);
		long k = read_pcap(name, sh, key);
		printf("shard %u: %ld frames\n", s, k);
		CHECK(k > 0);
	}
	unsigned missing = 0;
	for (unsigned i = 0; i < NADDR * NPORTS; i++) {
		once += sh[i] == 1;
		twice += sh[i] > 1;
		missing += all[i] && !sh[i];
	}
	CHECK_EQ_U64(once, want);
	CHECK_EQ_U64(twice, 0);
	CHECK_EQ_U64(missing, 0);
	printf("shards: union %u of %u, overlaps %u, missing %u\n", once, want, twice, missing);
}

/* C: --max-targets 100 sends to 100 targets, once each. */
static void case_max_targets(uint8_t *sh)
{
	uint8_t key[16];
	unsigned once = 0;
	long n;

	memset(sh, 0, NADDR * NPORTS);
	CHECK_EQ_U64(run_scan("max", "--seed 9 --max-targets 100"), 0);
	pkt_cookie_key_from_seed(9, key);
	n = read_pcap("max", sh, key);
	CHECK_EQ_U64(n, 100);
	for (unsigned i = 0; i < NADDR * NPORTS; i++)
		once += sh[i] == 1;
	CHECK_EQ_U64(once, 100);
}

/* D: --sweep-retries (default 4). SYN-ACKs from 198.18.0.1-20 (a dense
 * /24) and 198.18.4.10-14 (5 answers: sparse) on 443, none on 198.18.1.x:
 * only the silent targets of the dense /24 are sent again, once: that pass
 * got no answer back (under 1 per 100 SYNs), so it is the last. */
static void case_retries(uint8_t *sh)
{
	uint8_t key[16];
	char path[256];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/REPLIES.pcap", dir);
	f = pcap_create(path);
	if (!f)
		return;
	pkt_cookie_key_from_seed(42, key);
	for (uint32_t ip = BASE + 1; ip <= BASE + 20; ip++)
		put_synack(f, ip, key);
	for (uint32_t ip = BASE + 0x40a; ip <= BASE + 0x40e; ip++)
		put_synack(f, ip, key);
	fclose(f);
	memset(sh, 0, NADDR * NPORTS);
	rst_ok = true;
	CHECK_EQ_U64(run_scan_rx("retries", "REPLIES", "--seed 42"), 0);
	n = read_pcap("retries", sh, key);
	unsigned twice = 0, wrong = 0;
	for (uint32_t i = 0; i < NADDR; i++)
		for (unsigned pi = 0; pi < NPORTS; pi++) {
			unsigned c = sh[i * NPORTS + pi], want_c = !is_target(BASE + i) ? 0 : 1;
			if (want_c && pi == 0 && i < 256 && !(i >= 1 && i <= 20))
				want_c = 2; /* silent in the dense /24: one pass more */
			twice += c == 2;
			if (c != want_c) {
				if (wrong++ < 5)
					fprintf(stderr, "198.18.%u.%u:%u sent %u times, want %u\n",
						i >> 8, i & 255, ports[pi], c, want_c);
			}
		}
	printf("sweep retries: %ld frames, %u targets sent twice, %u wrong\n", n, twice, wrong);
	CHECK_EQ_U64(wrong, 0);
	CHECK_EQ_U64(twice, 256 - 20);
	CHECK(log_has("retries", "sweep_retries=1 sweep_resent=236"));
}

int main(int argc, char **argv)
{
	uint8_t key[16];
	uint8_t *all = calloc(NADDR * NPORTS, 1), *sh = calloc(NADDR * NPORTS, 1);
	char path[256];
	FILE *f;
	int rc;
	unsigned want = expected_count();

	bin = argc > 1 ? argv[1] : getenv("TLSMAP_BIN");
	if (!bin || !all || !sh)
		return 1;
	if (!test_tmpdir(dir, sizeof(dir), "pcap"))
		return 1;
	/* an empty capture for the RX side: the sweep expects no replies here */
	snprintf(path, sizeof(path), "%s/EMPTY.pcap", dir);
	f = pcap_create(path);
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/block", dir);
	f = fopen(path, "w");
	fputs("# the test's blocklist\n198.18.1.0/25\n198.18.4.20\n", f);
	fclose(f);

	/* A: the full set, once each */
	rc = run_scan("full", "--seed 42");
	if (rc != 0 && log_has("full", "EAL init failed")) {
		printf("skip: DPDK EAL cannot start here (needs root / --no-huge support)\n");
		return 77;
	}
	CHECK_EQ_U64(rc, 0);
	pkt_cookie_key_from_seed(42, key);
	long n = read_pcap("full", all, key);
	CHECK_EQ_U64(n, want);
	unsigned once = 0, twice = 0;
	for (unsigned i = 0; i < NADDR * NPORTS; i++) {
		once += all[i] == 1;
		twice += all[i] > 1;
	}
	CHECK_EQ_U64(once, want);
	CHECK_EQ_U64(twice, 0);
	printf("full: %ld frames, %u targets once each, %u repeated\n", n, once, twice);

	case_shards(all, sh, key, want);
	case_max_targets(sh);
	case_retries(sh);
	CHECK(log_has("full", "sweep_retries=0 sweep_resent=0")); /* no answer: no pass at all */

	free(all);
	free(sh);
	TEST_DONE();
}
