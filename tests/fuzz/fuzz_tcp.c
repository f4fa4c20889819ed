/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the userspace TCP (dpdk/tcp.h). The input is a
 * program: each step opens a connection, injects a server segment built
 * from input bytes (flags, sequence and acknowledgment numbers relative to
 * the connection or raw, window, MSS, payload), feeds a raw frame, or moves
 * a simulated clock by an input-chosen step. A small table (4 connections,
 * an 8-segment out-of-order pool, a receive budget of three flights) makes
 * every limit reachable. The application grows a buffer per connection
 * through tcp_rx_charge() as the TLS stage does, and waits when refused.
 *
 * Checked after every step and at the end (the clock then runs until every
 * connection must have ended, and the table is aborted):
 * - closed() exactly once per successful tcp_connect(), never for anything
 *   else, never from inside tcp_connect();
 * - receive buffers: each within its cap, the sum within the budget, and
 *   tcp_rx_used() equal to what the application holds;
 * - every frame sent is well formed (checksums), carries no more payload
 *   than the peer's MSS allows, and goes to a connection of the table;
 * - no timer fires early: a connect timeout not before the connect deadline,
 *   a read timeout not before the read deadline; info times are monotone.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang); otherwise main()
 * replays every file named on the command line or found in the given
 * directories (the seed corpus), which is the 'fuzz' suite's test.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dpdk/tcp.h"
#include "tcp_peer.h"

#define MS 1000000ull
#define NCONN 4
#define NUSERS 24
#define W 8192u /* the most one connection may hold */
#define BUDGET (3ull * W)
#define CONNECT_TO (700 * MS)
#define READ_TO (1000 * MS)
#define HELLO_LEN 300

#define INVARIANT(c)                                                                               \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "invariant failed %s:%d: %s\n", __FILE__, __LINE__, #c);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct user {
	bool started, closed, established;
	int outcome;
	uint16_t sport;
	uint32_t iss, srv_isn;
	uint32_t mss_limit;
	uint32_t got, cap, done_at;
	uint64_t start_ns, connected_ns;
	uint32_t more_req, more_total; /* bytes to append to the send stream / appended */
};

static struct user users[NUSERS];
static struct tcp_table *tab;
static uint64_t now, app_sum;
static int connecting = -1; /* user in tcp_connect */
static bool in_connect;
static const uint8_t *in_p, *in_end; /* the fuzz input */

static uint8_t take8(void)
{
	return in_p < in_end ? *in_p++ : 0;
}
static uint16_t take16(void)
{
	return (uint16_t)(take8() << 8 | take8());
}
static uint32_t take32(void)
{
	return (uint32_t)take16() << 16 | take16();
}

static struct user *user_of_port(uint16_t sport)
{
	for (int i = 0; i < NUSERS; i++)
		if (users[i].started && !users[i].closed && users[i].sport == sport)
			return &users[i];
	return NULL;
}

/* Every frame the table sends. */
static int tx(void *ctx, const uint8_t *f, uint16_t len)
{
	(void)ctx;
	struct tcp_peer_view v;
	INVARIANT(len >= 54 && len <= 1514);
	INVARIANT(tcp_peer_parse(f, len, &v) && v.csum_ok);
	INVARIANT(v.dst == TCP_PEER_SRV_IP && v.src == TCP_PEER_CLI_IP);
	if (v.flags == 0x02) { /* SYN: a new connection, or its retransmission */
		INVARIANT(v.plen == 0);
		if (in_connect && connecting >= 0 && !users[connecting].sport) {
			users[connecting].sport = v.sport;
			users[connecting].iss = v.seq;
		} else {
			struct user *u = user_of_port(v.sport);
			INVARIANT(u && v.seq == u->iss);
		}
		return 0;
	}
	struct user *u = user_of_port(v.sport);
	INVARIANT(u != NULL); /* only connections of the table get frames */
	INVARIANT(v.plen <= u->mss_limit);
	return 0;
}

static size_t app_hello(void *app, uint64_t user, uint8_t *buf, size_t cap)
{
	(void)app;
	if (cap < HELLO_LEN)
		return 0;
	memset(buf, (int)(user & 0xff), HELLO_LEN);
	return HELLO_LEN;
}

static int app_data(void *app, uint64_t user, const uint8_t *p, size_t len)
{
	(void)app;
	(void)p;
	INVARIANT(user < NUSERS && users[user].started && !users[user].closed);
	struct user *u = &users[user];
	INVARIANT(len > 0 && len <= 65535);
	uint64_t need = (uint64_t)u->got + len;
	if (need > W) {
		u->got = (uint32_t)need;  /* the TCP counts them as delivered */
		return TCP_APP_TOO_LARGE; /* the flight cap */
	}
	if (tcp_peer_grow(tab, &u->cap, need, 1024, W, &app_sum) != 0)
		return TCP_APP_WAIT;
	INVARIANT(app_sum <= BUDGET && tcp_rx_used(tab) == app_sum);
	u->got = (uint32_t)need;
	if (u->got >= u->done_at)
		return TCP_APP_DONE;
	if (u->more_req && !u->more_total) { /* append bytes to the send stream, once */
		u->more_total = u->more_req;
		return (int)u->more_req;
	}
	return TCP_APP_MORE;
}

static size_t app_more(void *app, uint64_t user, uint32_t off, uint8_t *buf, size_t cap)
{
	(void)app;
	struct user *u = &users[user];
	size_t total = u->more_total;
	if (off >= total)
		return 0;
	size_t n = total - off < cap ? total - off : cap;
	memset(buf, 0x5a, n);
	return n;
}

static void app_closed(void *app, uint64_t user, int outcome)
{
	(void)app;
	INVARIANT(!in_connect);
	INVARIANT(user < NUSERS && users[user].started && !users[user].closed);
	struct user *u = &users[user];
	const struct tcp_conn_info *ci = tcp_closing(tab);
	INVARIANT(ci->start_ns == u->start_ns && ci->start_ns <= now);
	INVARIANT(!ci->connected_ns ||
		  (ci->connected_ns >= ci->start_ns && ci->connected_ns <= now));
	INVARIANT(ci->bytes_in == u->got);
	if (outcome == TCP_OUT_NO_ANSWER)
		INVARIANT(now >= u->start_ns + CONNECT_TO);
	if (outcome == TCP_OUT_READ_TIMEOUT)
		INVARIANT(ci->connected_ns && now >= ci->connected_ns + READ_TO);
	if (outcome == TCP_OUT_OPEN)
		INVARIANT(u->got >= u->done_at);
	app_sum -= u->cap;
	u->cap = 0;
	u->closed = true;
	u->outcome = outcome;
}

static const struct tcp_app_ops ops = {app_hello, app_data, app_more, app_closed};

static void check_budget(void)
{
	INVARIANT(app_sum <= BUDGET);
	INVARIANT(tcp_rx_used(tab) == app_sum);
	INVARIANT(tcp_table_stats(tab)->rx_peak_bytes <= BUDGET);
	uint32_t open = 0;
	for (int i = 0; i < NUSERS; i++)
		open += users[i].started && !users[i].closed;
	INVARIANT(open == tcp_active(tab) && open <= NCONN);
}

/* A server segment to user @u from input bytes. */
static void inject(struct user *u)
{
	uint8_t f[1600];
	uint8_t fl = take8(), mode = take8();
	uint16_t off_seq = take16(), off_ack = take16(), wnd = take16();
	size_t plen = (size_t)take8() * 6;
	if (plen > 1460)
		plen = 1460;
	if (!u->srv_isn)
		u->srv_isn = 0x10000u + off_seq;
	uint32_t seq = (mode & 3) == 3 ? take32() : u->srv_isn + ((mode & 3) ? 1u : 0u) + off_seq;
	if (mode & 4)
		seq -= 2u * off_seq; /* behind */
	uint32_t ack = (mode & 8) ? take32() : u->iss + 1u + off_ack;
	bool mss = fl & 0x02 ? !(mode & 16) : false;
	uint16_t mss_val = take16();
	uint8_t payload[1460];
	for (size_t i = 0; i < plen; i++)
		payload[i] = take8();
	struct tcp_peer_seg seg = {u->sport, seq, ack, fl, wnd, mss, mss_val, payload, plen};
	size_t flen = tcp_peer_frame(f, &seg);
	/* mirror the SYN-SENT rule to know the MSS the client will use */
	bool accepts = !u->established && !u->closed && (fl & 0x16) == 0x12 && ack == u->iss + 1;
	if (accepts) {
		u->srv_isn = seq;
		uint32_t m = mss ? mss_val : 536;
		u->mss_limit = m < 64 ? 64 : m > 1460 ? 1460 : m;
	}
	int r = tcp_rx(tab, f, flen, now);
	INVARIANT(r == 0 || r == 1);
	if (accepts && !u->closed) {
		u->established = true;
		u->connected_ns = now;
	}
}

/* Op "connect": the next user opens a connection, if one is left. */
static void op_connect(int *nusers)
{
	if (*nusers >= NUSERS)
		return;
	struct user *u = &users[*nusers];
	u->done_at = 1u + take16() % (W + 512);
	u->more_req = take8() % 4 == 0 ? 1u + take8() % 3000u : 0;
	u->mss_limit = 536; /* until a SYN-ACK sets it */
	u->start_ns = now;
	u->started = true;
	connecting = *nusers;
	in_connect = true;
	int r = tcp_connect(tab, htonl(TCP_PEER_SRV_IP), htons(443), (uint64_t)*nusers, now);
	in_connect = false;
	connecting = -1;
	if (r == 0) {
		INVARIANT(u->sport != 0);
		(*nusers)++;
	} else {
		INVARIANT(r == -ENOSPC || r == -EADDRINUSE || r == -ENOBUFS);
		memset(u, 0, sizeof(*u));
	}
}

/* Op "raw frame": the next input bytes as one frame, whatever they are. */
static void op_raw_frame(void)
{
	uint8_t f[1600];
	size_t n = take8() * 6u + take8() % 6u;
	size_t left = (size_t)(in_end - in_p);
	if (n > left)
		n = left;
	memcpy(f, in_p, n);
	in_p += n;
	int r = tcp_rx(tab, f, n, now);
	INVARIANT(r >= -EINVAL && r <= 1);
}

/* FUZZ_TCP_VERBOSE: the table's counters and each user's outcome. */
static void print_stats(int nusers)
{
	const struct tcp_stats *st = tcp_table_stats(tab);

	fprintf(stderr,
		"users=%d synack=%llu bytes_in=%llu ooo=%llu evicted=%llu waits=%llu "
		"deferred=%llu peak=%llu challenge=%llu/%llu outcomes:",
		nusers, (unsigned long long)st->synack, (unsigned long long)st->bytes_in,
		(unsigned long long)st->ooo_segs, (unsigned long long)st->ooo_evicted,
		(unsigned long long)st->rx_waits, (unsigned long long)st->budget_refused,
		(unsigned long long)st->rx_peak_bytes, (unsigned long long)st->challenge_acks,
		(unsigned long long)st->challenge_acks_limited);
	for (int i = 0; i < nusers; i++)
		fprintf(stderr, " %d", users[i].outcome);
	fprintf(stderr, "\n");
}

static void run(const uint8_t *data, size_t size)
{
	struct tcp_cfg cfg = {
		.max_conns = NCONN,
		.ooo_segments = 8,
		.ooo_per_conn = 4,
		.syn_rto_ns = 200 * MS,
		.connect_timeout_ns = CONNECT_TO,
		.read_timeout_ns = READ_TO,
		.rx_budget = BUDGET,
		.rx_conn_max = W,
		.challenge_acks_per_s = 50,
	};
	tcp_peer_cfg(&cfg, 40000, 40063, tx, &ops);
	memset(users, 0, sizeof(users));
	app_sum = 0;
	now = 1000 * MS;
	in_p = data;
	in_end = data + size;
	tab = tcp_table_new(&cfg);
	INVARIANT(tab != NULL);
	int nusers = 0;
	for (unsigned steps = 0; in_p < in_end && steps < 4096; steps++) {
		uint8_t op = take8();
		switch (op % 8) {
		case 0: /* connect */
			op_connect(&nusers);
			break;
		case 1:
		case 2: {		     /* advance the clock */
			uint8_t s = take8(); /* 0 to 63 ms, x4, x16 or x64 */
			now += ((uint64_t)(s & 0x3f) << (s >> 6) * 2) * MS + 1;
			tcp_poll(tab, now);
			break;
		}
		case 7: /* a raw frame */
			op_raw_frame();
			break;
		default: { /* a segment to one of the connections */
			if (!nusers)
				break;
			struct user *u = &users[take8() % nusers];
			if (u->sport)
				inject(u);
			break;
		}
		}
		check_budget();
	}
	/* let time run out: everything must end, none twice, none early */
	for (int i = 0; i < 2000 && tcp_active(tab); i++) {
		now += 100 * MS;
		tcp_poll(tab, now);
		check_budget();
	}
	INVARIANT(tcp_active(tab) == 0); /* every connection ended on its own */
	if (getenv("FUZZ_TCP_VERBOSE"))
		print_stats(nusers);
	tcp_table_abort_all(tab);
	for (int i = 0; i < nusers; i++)
		INVARIANT(users[i].closed);
	INVARIANT(app_sum == 0 && tcp_rx_used(tab) == 0);
	tcp_table_free(tab);
	tab = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}

#ifndef TLSMAP_LIBFUZZER
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t data[1 << 20];
	if (!f) {
		perror(path);
		return 1;
	}
	size_t n = fread(data, 1, sizeof(data), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;
	for (int a = 1; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) != 0) {
			perror(argv[a]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += replay_file(argv[a]);
			files++;
			continue;
		}
		DIR *d = opendir(argv[a]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char p[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[a], e->d_name);
			bad += replay_file(p);
			files++;
		}
		if (d)
			closedir(d);
	}
	printf("replayed %d inputs\n", files);
	return bad ? 1 : 0;
}
#endif
