/* SPDX-License-Identifier: MIT */
/*
 * The RX classifier end to end, through the real binary: a net_pcap vdev
 * replays crafted replies (rx_pcap) while the sweep runs, and the test
 * checks what tlsmap reported and what it sent back (tx_pcap):
 *   valid SYN-ACK (sent 3 times)   -> one "ip:port" line, 2 counted dup, a RST each
 *   valid SYN-ACK on another port  -> one line
 *   valid RST+ACK                  -> closed (rst=1), no line
 *   SYN-ACK with a wrong ack       -> invalid, no RST
 *   valid cookie, not a target     -> invalid, no line
 *   reply to a non-sweep port, UDP, a non-IP frame -> ignored
 *   ARP who-has --source-ip        -> an ARP reply from the port's MAC
 * Skips (77) when the EAL cannot start here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dpdk/pkt.h"
#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

#define SRC_IP 0xc6130001u /* 198.19.0.1 */
#define SPORT 40007	   /* --source-port 40007 */
static const uint8_t gw_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t us_mac[6] = {2, 0, 0, 0, 0, 9}; /* what the replies are addressed to */
static char dir[256];
static uint64_t k0, k1;

static void put_rec(FILE *f, const uint8_t *frame, uint32_t len)
{
	uint32_t h[4] = {1, 0, len, len};
	fwrite(h, 4, 4, f);
	fwrite(frame, 1, len, f);
}

static uint32_t cookie(uint32_t ip, uint16_t rport)
{
	return pkt_cookie_k(k0, k1, __builtin_bswap32(SRC_IP), __builtin_bswap32(ip),
			    __builtin_bswap16(SPORT), __builtin_bswap16(rport));
}

/* A reply from ip:rport to 198.19.0.1:lport with flags and ack. */
static void put_reply(FILE *f, uint32_t ip, uint16_t rport, uint16_t lport, uint8_t flags,
		      uint32_t ack)
{
	uint8_t fr[60];
	uint32_t ip_be = __builtin_bswap32(ip), us_be = __builtin_bswap32(SRC_IP);

	pkt_build_rst(fr, gw_mac, us_mac, ip_be, us_be, __builtin_bswap16(rport),
		      __builtin_bswap16(lport), 12345);
	fr[PKT_OFF_TCP + 8] = (uint8_t)(ack >> 24);
	fr[PKT_OFF_TCP + 9] = (uint8_t)(ack >> 16);
	fr[PKT_OFF_TCP + 10] = (uint8_t)(ack >> 8);
	fr[PKT_OFF_TCP + 11] = (uint8_t)ack;
	fr[PKT_OFF_TCP + 13] = flags;
	pkt_store16(fr + PKT_OFF_TCP + 16, 0);
	pkt_store16(fr + PKT_OFF_TCP + 16, pkt_tcp_csum(ip_be, us_be, fr + PKT_OFF_TCP, 20));
	put_rec(f, fr, 60);
}

/* The file @name of the test's directory, or "" when it cannot be read. */
static char *slurp(const char *name)
{
	char path[512];
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf = test_read_file(path, NULL);
	return buf ? buf : calloc(1, 1);
}

static long stat_of(const char *log, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(log, "tlsmap scan: sent=");
	p = p ? strstr(p, pat) : NULL;
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* The replies the scan reads: SYN-ACKs (one answered three times), a RST,
 * cookies that do not match, an answer from a non-target, an ARP request,
 * a frame that is not IP and one that is UDP. */
static void write_input(const char *path)
{
	static const uint8_t gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,	   4, 0, 0, 0, 0, 0,
				       0,    0,	   0,	 0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
	uint8_t fr[64];
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(gh, 1, 24, f);
	for (int i = 0; i < 3; i++) /* open, answered 3 times */
		put_reply(f, 0xc6120005, 443, SPORT, PKT_TCP_SYN | PKT_TCP_ACK,
			  cookie(0xc6120005, 443) + 1);
	put_reply(f, 0xc6120006, 80, SPORT, PKT_TCP_SYN | PKT_TCP_ACK, cookie(0xc6120006, 80) + 1);
	put_reply(f, 0xc6120007, 443, SPORT, PKT_TCP_RST | PKT_TCP_ACK,
		  cookie(0xc6120007, 443) + 1);
	put_reply(f, 0xc6120008, 443, SPORT, PKT_TCP_SYN | PKT_TCP_ACK,
		  cookie(0xc6120008, 443) + 2);
	put_reply(f, 0xc6120109, 443, SPORT, PKT_TCP_SYN | PKT_TCP_ACK,
		  cookie(0xc6120109, 443) + 1);
	put_reply(f, 0xc612000a, 443, 1234, PKT_TCP_SYN | PKT_TCP_ACK, 1);
	pkt_build_arp(fr, PKT_ARP_REQUEST, gw_mac, __builtin_bswap32(0xc61200fe), NULL,
		      __builtin_bswap32(SRC_IP));
	put_rec(f, fr, PKT_ARP_LEN);
	memset(fr, 0, 60); /* not IP: ethertype 0x88b5 (local experimental) */
	fr[12] = 0x88;
	fr[13] = 0xb5;
	put_rec(f, fr, 60);
	put_reply(f, 0xc612000b, 443, SPORT, PKT_TCP_SYN | PKT_TCP_ACK,
		  cookie(0xc612000b, 443) + 1);
	fseek(f, -60 + PKT_OFF_IP + 9, SEEK_END); /* ... made UDP */
	fputc(17, f);
	fclose(f);
}

/* What went out besides the 512 SYNs: one ARP reply, and a valid RST for
 * each valid SYN-ACK. */
static void check_output(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned syns = 0, rsts = 0, arps = 0, bad_rst = 0;
	uint8_t rh[16], g[2048];
	if (f && fread(g, 1, 24, f) == 24) {
		while (fread(rh, 1, 16, f) == 16) {
			uint32_t len;
			struct pkt_tcp_view v;
			uint16_t op;
			uint8_t sha[6];
			uint32_t spa, tpa;
			memcpy(&len, rh + 8, 4);
			if (len > sizeof(g) || fread(g, 1, len, f) != len)
				break;
			if (pkt_parse_arp(g, len, &op, sha, &spa, &tpa)) {
				arps++;
				CHECK(op == PKT_ARP_REPLY && spa == __builtin_bswap32(SRC_IP));
				CHECK(tpa == __builtin_bswap32(0xc61200fe) &&
				      !memcmp(g, gw_mac, 6));
				CHECK(!memcmp(sha, g + 6, 6));
			} else if (pkt_parse_tcp(g, len, &v) && v.flags == PKT_TCP_SYN) {
				syns++;
			} else if (pkt_parse_tcp(g, len, &v) && v.flags == PKT_TCP_RST) {
				uint32_t ip = __builtin_bswap32(v.daddr_be);
				uint16_t rp = __builtin_bswap16(v.dport_be);
				rsts++;
				/* seq of our RST = the SYN-ACK's ack = cookie + 1 */
				if (v.seq != cookie(ip, rp) + 1 || pkt_csum(g + PKT_OFF_IP, 20) ||
				    pkt_tcp_csum(v.saddr_be, v.daddr_be, g + PKT_OFF_TCP, 20))
					bad_rst++;
			}
		}
	}
	if (f)
		fclose(f);
	printf("out.pcap: %u SYN, %u RST, %u ARP\n", syns, rsts, arps);
	CHECK_EQ_U64(syns, 512);
	CHECK_EQ_U64(arps, 1);
	/* 3 + 1 valid SYN-ACKs to targets, + 1 valid one from a non-target */
	CHECK_EQ_U64(rsts, 5);
	CHECK_EQ_U64(bad_rst, 0);
}

/* The --syn-only scan of 198.18.0.0/24 on 443 and 80 that reads DIR/in.pcap,
 * sends to @tx_pcap and lists to @listing; its log in DIR/log.txt. The
 * system() status. */
static int run_scan(const char *bin, const char *tx_pcap, const char *listing)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "%s scan 198.18.0.0/24 -p 443,80 -i "
		 "'net_pcap0,rx_pcap=%s/in.pcap,tx_pcap=%s' "
		 "-G 02:00:00:00:00:01 --source-ip 198.19.0.1 --allow-reserved --syn-only --seed 3 "
		 "--source-port %d -r 100000 --cooldown 1 > %s 2> %s/log.txt",
		 bin, dir, tx_pcap, SPORT, listing, dir);
	return system(cmd);
}

int main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : getenv("TLSMAP_BIN");
	uint8_t key[16];
	char path[256], out[256], found_path[256];
	int st;

	if (!bin)
		return 1;
	if (!test_tmpdir(dir, sizeof(dir), "rxpcap"))
		return 1;
	pkt_cookie_key_from_seed(3, key);
	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);

	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_input(path);

	snprintf(out, sizeof(out), "%s/out.pcap", dir);
	snprintf(found_path, sizeof(found_path), "%s/found.txt", dir);
	st = run_scan(bin, out, found_path);
	char *log = slurp("log.txt"), *found = slurp("found.txt");
	if (WEXITSTATUS(st) != 0 && strstr(log, "EAL init failed")) {
		printf("skip: DPDK EAL cannot start here\n");
		return 77;
	}
	CHECK_EQ_U64(WEXITSTATUS(st), 0);
	printf("found:\n%s", found);
	CHECK(strstr(found, "198.18.0.5:443\n") && strstr(found, "198.18.0.6:80\n"));
	CHECK(strlen(found) == strlen("198.18.0.5:443\n198.18.0.6:80\n"));
	CHECK_EQ_U64(stat_of(log, "synack"), 2);
	CHECK_EQ_U64(stat_of(log, "rst"), 1);
	CHECK_EQ_U64(stat_of(log, "dup"), 2);
	CHECK_EQ_U64(stat_of(log, "invalid"), 2);
	CHECK_EQ_U64(stat_of(log, "arp_replies"), 1);
	CHECK_EQ_U64(stat_of(log, "sent"), 512);

	check_output(out);

	/* The same scan with its "ip:port" listing going to a full device:
	 * a non-zero exit naming the error, not 0 with the lines lost. */
	st = run_scan(bin, "/dev/null", "/dev/full");
	free(log);
	log = slurp("log.txt");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	CHECK(strstr(log, "cannot write standard output: No space left on device") != NULL);
	if (failures)
		fprintf(stderr, "%s", log);
	free(log);
	free(found);
	TEST_DONE();
}
