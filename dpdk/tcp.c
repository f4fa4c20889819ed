/* SPDX-License-Identifier: MIT */
/*
 * Minimal userspace TCP client (see tcp.h for the contract).
 *
 * Shape, and why:
 * - Connections live in one array made at start-up; an open-addressing
 *   index (linear probing, backward-shift deletion) maps the 4-tuple to a
 *   slot. No allocation after tcp_table_new().
 * - Each connection has one intrusive timer in a hashed timing wheel of
 *   WHEEL_SLOTS ticks of 2^WHEEL_SHIFT ns (about 1 ms). The timer is armed
 *   for the earliest of the retransmission time and the connect/read
 *   deadline; when it fires, the connection works out which is due. Timers
 *   beyond the wheel's span go round again until due (as in masscan's
 *   event-timeout, lazily).
 * - The ISS is SipHash-2-4 of the 4-tuple under the table's key, so stray
 *   SYN-ACKs are recognised without state and a sweep cookie (another key)
 *   never matches ours.
 * - Received bytes are never buffered here when in order: they go straight
 *   to the application. Out-of-order segments go to a small pool of
 *   MSS-sized buffers shared by the table. A connection may hold at most
 *   its fair share of the pool (pool / connections holding segments, at
 *   least 1, at most ooo_per_conn); when the pool is empty, a connection
 *   under its share takes the highest segment of one over it. Dropping an
 *   out-of-order segment loses nothing: it was never acknowledged, and the
 *   peer sends it again. So no set of hosts can take the pool from others.
 * - The application's receive buffers are charged to a table budget
 *   (tcp_rx_charge). rx_conn_max of it is an escrow: when the shared part
 *   (budget - rx_conn_max) is full, one connection at a time may grow into
 *   the escrow, so some connection can always finish and free its buffer;
 *   the others wait (TCP_APP_WAIT: bytes not acknowledged, read deadline
 *   paused) and are served when their peer sends again. New connections
 *   are refused (-ENOBUFS, the caller retries) while less than two
 *   rx_conn_max are free. A wait never turns into an outcome by itself; only
 *   a peer that stops sending for WAIT_MAX_READS read timeouts in a row is
 *   timed out.
 * - Segment checks follow RFC 9293 3.10.7.4 with RFC 5961: sequence
 *   acceptability first, an RST only at exactly rcv_nxt (an in-window one
 *   earns a challenge ACK), a SYN in ESTABLISHED earns a challenge ACK (the
 *   hello is resent by its own timer, never in answer to a segment anyone
 *   can forge), segments without ACK are dropped, an ACK of data never
 *   sent earns a challenge ACK. Challenge ACKs are limited per table to
 *   challenge_acks_per_s (RFC 5961 section 7).
 * - The send stream is the hello (asked again from the application on each
 *   retransmission, so nothing is stored) followed by optional bytes the
 *   application appends (OpenSSL path), read through more().
 * - Frames are small, so IPv4 and TCP checksums are computed in software.
 *   Received checksums are not verified: on a veth, af_packet hands over
 *   frames with offloaded (partial) checksums.
 */
#include "dpdk/tcp.h"
#include "dpdk/pkt.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define WHEEL_SHIFT 20	  /* 1.048576 ms per tick */
#define WHEEL_SLOTS 4096u /* span about 4.3 s */
#define OOO_MSS 1460u
#define ETH_LEN 14u
#define IP_LEN 20u
#define TCP_LEN 20u
#define FRAME_MAX 1514u
#define SCRATCH_MAX 16384u
#define MAX_SND_WND 65535u /* no window scaling: the most a peer can advertise */
#define EVICT_SCAN 64u	   /* pool entries looked at per eviction attempt */
#define WAIT_MAX_READS 4u  /* read timeouts a waiting connection may wait in all */
#define SEC_NS 1000000000ull

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

enum conn_state { ST_FREE = 0, ST_SYN_SENT, ST_ESTABLISHED };

enum conn_flag {
	CF_IN_WHEEL = 1,
	CF_ACK_PENDING = 2,
	CF_RX_WAIT = 4, /* the application could not take bytes (budget) */
};

enum deliver_res { DLV_OK, DLV_CLOSED, DLV_WAIT };

struct tcp_conn {
	uint64_t user;
	uint64_t start_ns;
	uint64_t connected_ns;
	uint64_t deadline_ns;	/* connect deadline, then read deadline */
	uint64_t rto_at_ns;	/* next retransmission, 0: none */
	uint64_t timer_ns;	/* when the wheel fires this connection */
	uint64_t wait_since_ns; /* CF_RX_WAIT: waiting since */
	uint64_t waited_ns;	/* time spent waiting for buffer, in all */
	uint32_t tw_prev, tw_next;
	uint32_t flow_h; /* flow_hash() of the 4-tuple: the index slot it starts from */
	uint32_t ack_next;
	uint32_t ooo_head;
	uint32_t ip_be;
	uint16_t dport_be, sport_be;
	uint32_t iss, snd_una, snd_nxt;
	uint32_t rcv_nxt;
	uint32_t hello_len, more_len;
	uint32_t rto_ms;
	uint32_t retx;
	uint32_t bytes_in;
	uint32_t rx_bytes; /* receive buffer charged (tcp_rx_charge) */
	uint16_t peer_mss, peer_wnd;
	uint8_t state, tries, flags, ooo_count, segs_unacked;
	uint8_t data_ttl;	  /* IP TTL of segments with payload; 0: 64 (tcp_connect_ttl) */
	uint16_t read_timeout_ms; /* 0: cfg.read_timeout_ns */
};
static_assert(sizeof(struct tcp_conn) <= 256, "per-connection state must stay <= 256 bytes");

struct ooo_seg {
	uint32_t next;
	uint32_t owner; /* connection slot, NONE when free */
	uint32_t seq;
	uint16_t len;
	uint8_t fin;
	uint8_t data[OOO_MSS];
};

struct tcp_table {
	struct tcp_cfg cfg;
	struct tcp_conn *conns;
	uint32_t *index; /* conn slot + 1, 0 = empty */
	uint32_t index_mask;
	uint32_t free_head; /* free conns linked through tw_next */
	uint32_t active;
	struct ooo_seg *ooo;
	uint32_t ooo_free;
	uint32_t ooo_holders;	/* connections holding at least one segment */
	uint32_t ooo_cursor;	/* where the next eviction scan starts */
	uint64_t rx_used;	/* receive buffer charged now */
	uint32_t rx_escrow;	/* connection growing into the escrow, or NONE */
	uint32_t cur;		/* connection whose data() runs, or NONE */
	uint64_t chal_start_ns; /* challenge ACK window start */
	uint32_t chal_count;	/* challenge ACKs sent in that window */
	bool chal_started;
	uint32_t wheel[WHEEL_SLOTS];
	uint64_t wheel_tick; /* every tick below this one has been processed */
	bool wheel_started;
	uint32_t ack_head; /* connections with a delayed ACK */
	uint32_t port_ctr;
	uint16_t ip_id;
	struct tcp_stats st;
	struct tcp_conn_info closing;
	bool scratch_ok; /* scratch holds the hello of scratch_user */
	uint64_t scratch_user;
	size_t scratch_len;
	uint8_t scratch[SCRATCH_MAX];
};

/* ---- hashes: SipHash-2-4 (dpdk/pkt.h) keyed per scan ---- */

static uint32_t flow_hash(const struct tcp_table *t, uint32_t ip_be, uint16_t dport_be,
			  uint16_t sport_be)
{
	uint64_t m0 = (uint64_t)ip_be << 32 | (uint64_t)dport_be << 16 | sport_be;
	return (uint32_t)pkt_siphash_2w(t->cfg.hash_key, m0, 0x1d8e4e27c47d124fULL);
}

static uint32_t make_iss(const struct tcp_table *t, uint32_t ip_be, uint16_t dport_be,
			 uint16_t sport_be)
{
	uint64_t m0 = (uint64_t)ip_be << 32 | (uint64_t)dport_be << 16 | sport_be;
	return (uint32_t)pkt_siphash_2w(t->cfg.hash_key, m0, t->cfg.l2.src_ip_be);
}

/* ---- frames ---- */

/* Build and send one segment; payload may be NULL when plen == 0. */
static void send_seg(struct tcp_table *t, struct tcp_conn *c, uint32_t seq, uint8_t flags,
		     const uint8_t *payload, size_t plen)
{
	uint8_t f[FRAME_MAX];
	const struct tcp_l2 *l2 = &t->cfg.l2;
	size_t optlen = (flags & TH_SYN) ? 4 : 0;
	size_t tcp_len = TCP_LEN + optlen + plen;
	size_t ip_tot = IP_LEN + tcp_len;

	if (ETH_LEN + ip_tot > FRAME_MAX)
		return;
	memcpy(f, l2->gw_mac, 6);
	memcpy(f + 6, l2->src_mac, 6);
	pkt_put_be16(f + 12, 0x0800);
	uint8_t *ip = f + ETH_LEN;
	ip[0] = 0x45;
	ip[1] = 0;
	pkt_put_be16(ip + 2, (uint16_t)ip_tot);
	pkt_put_be16(ip + 4, t->ip_id++);
	pkt_put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = plen && c->data_ttl ? c->data_ttl : 64;
	ip[9] = 6;
	pkt_put_be16(ip + 10, 0);
	memcpy(ip + 12, &l2->src_ip_be, 4);
	memcpy(ip + 16, &c->ip_be, 4);
	pkt_store16(ip + 10, pkt_csum(ip, IP_LEN));
	uint8_t *th = ip + IP_LEN;
	memcpy(th, &c->sport_be, 2);
	memcpy(th + 2, &c->dport_be, 2);
	pkt_put_be32(th + 4, seq);
	pkt_put_be32(th + 8, (flags & TH_ACK) ? c->rcv_nxt : 0);
	th[12] = (uint8_t)(((TCP_LEN + optlen) / 4) << 4);
	th[13] = flags;
	pkt_put_be16(th + 14, (flags & TH_RST) ? 0 : t->cfg.rcv_wnd);
	pkt_put_be16(th + 16, 0);
	pkt_put_be16(th + 18, 0);
	if (optlen) {
		th[20] = 2; /* MSS */
		th[21] = 4;
		pkt_put_be16(th + 22, OOO_MSS);
	}
	if (plen)
		memcpy(th + TCP_LEN + optlen, payload, plen);
	pkt_store16(th + 16, pkt_tcp_csum(l2->src_ip_be, c->ip_be, th, (unsigned)tcp_len));
	size_t flen = ETH_LEN + ip_tot;
	if (flen < 60) {
		memset(f + flen, 0, 60 - flen);
		flen = 60;
	}
	if (t->cfg.tx(t->cfg.tx_ctx, f, (uint16_t)flen) != 0)
		t->st.tx_fail++;
	if (flags & TH_ACK) {
		c->flags &= (uint8_t)~CF_ACK_PENDING;
		c->segs_unacked = 0;
	}
}

/* ---- index (open addressing on the 4-tuple) ---- */

/* The 4-tuple's slot, from its flow_hash() @h (or NONE, and in *pos_out the
 * empty slot where it would go). */
static uint32_t index_find_h(const struct tcp_table *t, uint32_t h, uint32_t ip_be,
			     uint16_t dport_be, uint16_t sport_be, uint32_t *pos_out)
{
	uint32_t pos = h & t->index_mask;
	for (;;) {
		uint32_t v = t->index[pos];
		if (v == 0) {
			if (pos_out)
				*pos_out = pos;
			return NONE;
		}
		const struct tcp_conn *c = &t->conns[v - 1];
		if (c->ip_be == ip_be && c->dport_be == dport_be && c->sport_be == sport_be) {
			if (pos_out)
				*pos_out = pos;
			return v - 1;
		}
		pos = (pos + 1) & t->index_mask;
	}
}

static uint32_t index_find(const struct tcp_table *t, uint32_t ip_be, uint16_t dport_be,
			   uint16_t sport_be, uint32_t *pos_out)
{
	return index_find_h(t, flow_hash(t, ip_be, dport_be, sport_be), ip_be, dport_be, sport_be,
			    pos_out);
}

/* Where connection @c's entry is, found from its stored hash without
 * hashing again (NONE if absent, which only a bug would make). */
static uint32_t index_pos_of(const struct tcp_table *t, const struct tcp_conn *c)
{
	uint32_t v = (uint32_t)(c - t->conns) + 1;
	for (uint32_t pos = c->flow_h & t->index_mask;; pos = (pos + 1) & t->index_mask) {
		if (t->index[pos] == v)
			return pos;
		if (t->index[pos] == 0)
			return NONE;
	}
}

int tcp_find_user(const struct tcp_table *t, uint32_t dst_ip_be, uint16_t dst_port_be,
		  uint16_t src_port_be, uint64_t *user)
{
	uint32_t i = index_find(t, dst_ip_be, dst_port_be, src_port_be, NULL);

	if (i == NONE)
		return -ENOENT;
	*user = t->conns[i].user;
	return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void index_remove(struct tcp_table *t, uint32_t pos)
{
	uint32_t hole = pos, i = pos;
	for (;;) {
		i = (i + 1) & t->index_mask;
		uint32_t v = t->index[i];
		if (v == 0)
			break;
		uint32_t home = t->conns[v - 1].flow_h & t->index_mask;
		/* move v into the hole unless its home lies cyclically in (hole, i] */
		bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (!stays) {
			t->index[hole] = v;
			hole = i;
		}
	}
	t->index[hole] = 0;
}

/* ---- timers ---- */

static void wheel_unlink(struct tcp_table *t, struct tcp_conn *c)
{
	if (!(c->flags & CF_IN_WHEEL))
		return;
	uint32_t idx = (uint32_t)(c - t->conns);
	if (c->tw_prev != NONE)
		t->conns[c->tw_prev].tw_next = c->tw_next;
	else {
		uint32_t slot = (uint32_t)((c->timer_ns >> WHEEL_SHIFT) & (WHEEL_SLOTS - 1));
		if (t->wheel[slot] == idx)
			t->wheel[slot] = c->tw_next;
	}
	if (c->tw_next != NONE)
		t->conns[c->tw_next].tw_prev = c->tw_prev;
	c->tw_prev = c->tw_next = NONE;
	c->flags &= (uint8_t)~CF_IN_WHEEL;
}

static void wheel_insert(struct tcp_table *t, struct tcp_conn *c, uint64_t at_ns)
{
	uint64_t tick = at_ns >> WHEEL_SHIFT;
	if (tick < t->wheel_tick) {
		tick = t->wheel_tick;
		at_ns = tick << WHEEL_SHIFT; /* keep slot derivable from timer_ns */
	}
	uint32_t slot = (uint32_t)(tick & (WHEEL_SLOTS - 1));
	uint32_t idx = (uint32_t)(c - t->conns);
	c->timer_ns = at_ns;
	c->tw_prev = NONE;
	c->tw_next = t->wheel[slot];
	if (c->tw_next != NONE)
		t->conns[c->tw_next].tw_prev = idx;
	t->wheel[slot] = idx;
	c->flags |= CF_IN_WHEEL;
}

/* Arm the timer for the earliest pending event. */
static void timer_rearm(struct tcp_table *t, struct tcp_conn *c)
{
	uint64_t at = c->deadline_ns;
	if (c->rto_at_ns && c->rto_at_ns < at)
		at = c->rto_at_ns;
	if ((c->flags & CF_IN_WHEEL) && c->timer_ns <= at)
		return; /* fires early, recomputes then */
	wheel_unlink(t, c);
	wheel_insert(t, c, at);
}

/* ---- connection life ---- */

/* Give pool segment @i (already unlinked from @c's list) back to the pool. */
static void ooo_put(struct tcp_table *t, struct tcp_conn *c, uint32_t i)
{
	t->ooo[i].owner = NONE;
	t->ooo[i].next = t->ooo_free;
	t->ooo_free = i;
	if (--c->ooo_count == 0)
		t->ooo_holders--;
}

static void ooo_free_all(struct tcp_table *t, struct tcp_conn *c)
{
	uint32_t i = c->ooo_head;
	c->ooo_head = NONE;
	while (i != NONE) {
		uint32_t n = t->ooo[i].next;
		ooo_put(t, c, i);
		i = n;
	}
}

static void ack_list_remove(struct tcp_table *t, struct tcp_conn *c)
{
	uint32_t idx = (uint32_t)(c - t->conns), *pp = &t->ack_head;
	if (!(c->flags & CF_ACK_PENDING))
		return;
	while (*pp != NONE) {
		if (*pp == idx) {
			*pp = c->ack_next;
			break;
		}
		pp = &t->conns[*pp].ack_next;
	}
	c->flags &= (uint8_t)~CF_ACK_PENDING;
}

/* Free the slot, then tell the application (which may connect again). */
static void conn_close(struct tcp_table *t, struct tcp_conn *c, int outcome, bool send_rst)
{
	uint32_t pos;
	uint64_t user = c->user;

	if (send_rst && c->state == ST_ESTABLISHED)
		send_seg(t, c, c->snd_nxt, TH_RST, NULL, 0);
	wheel_unlink(t, c);
	ack_list_remove(t, c);
	ooo_free_all(t, c);
	t->rx_used -= c->rx_bytes;
	c->rx_bytes = 0;
	if (t->rx_escrow == (uint32_t)(c - t->conns))
		t->rx_escrow = NONE;
	if (t->scratch_user == user)
		t->scratch_ok = false;
	t->closing = (struct tcp_conn_info){.start_ns = c->start_ns,
					    .connected_ns = c->connected_ns,
					    .retransmits = c->retx,
					    .bytes_in = c->bytes_in,
					    .sport_be = c->sport_be};
	if ((pos = index_pos_of(t, c)) != NONE)
		index_remove(t, pos);
	c->state = ST_FREE;
	c->tw_next = t->free_head;
	t->free_head = (uint32_t)(c - t->conns);
	t->active--;
	if (outcome == TCP_OUT_OPEN)
		t->st.done++;
	t->cfg.app_ops->closed(t->cfg.app, user, outcome);
}

int tcp_connect(struct tcp_table *t, uint32_t dst_ip_be, uint16_t dst_port_be, uint64_t user,
		uint64_t now_ns)
{
	return tcp_connect_ttl(t, dst_ip_be, dst_port_be, user, now_ns, 0, 0);
}

int tcp_connect_ttl(struct tcp_table *t, uint32_t dst_ip_be, uint16_t dst_port_be, uint64_t user,
		    uint64_t now_ns, uint8_t data_ttl, uint16_t read_timeout_ms)
{
	uint32_t range = (uint32_t)(t->cfg.l2.sport_hi - t->cfg.l2.sport_lo) + 1u;
	uint16_t sport_be = 0;
	uint32_t fh = 0, pos = 0;
	bool found = false;

	if (t->free_head == NONE) {
		t->st.table_full++;
		return -ENOSPC;
	}
	if (t->cfg.rx_budget && t->rx_used + 2ull * t->cfg.rx_conn_max > t->cfg.rx_budget) {
		t->st.budget_refused++;
		return -ENOBUFS;
	}
	if (!t->wheel_started) {
		t->wheel_tick = now_ns >> WHEEL_SHIFT;
		t->wheel_started = true;
	}
	for (int i = 0; i < 16 && !found; i++) {
		uint64_t h = pkt_siphash_2w(t->cfg.hash_key,
					    (uint64_t)dst_ip_be << 16 | dst_port_be, t->port_ctr++);
		uint16_t sport = (uint16_t)(t->cfg.l2.sport_lo + (uint32_t)(h % range));
		sport_be = (uint16_t)(sport >> 8 | sport << 8);
		fh = flow_hash(t, dst_ip_be, dst_port_be, sport_be);
		found = index_find_h(t, fh, dst_ip_be, dst_port_be, sport_be, &pos) == NONE;
	}
	if (!found)
		return -EADDRINUSE;

	uint32_t idx = t->free_head;
	struct tcp_conn *c = &t->conns[idx];
	t->free_head = c->tw_next;
	memset(c, 0, sizeof(*c));
	c->tw_prev = c->tw_next = c->ack_next = c->ooo_head = NONE;
	c->user = user;
	c->ip_be = dst_ip_be;
	c->dport_be = dst_port_be;
	c->sport_be = sport_be;
	c->flow_h = fh;
	c->iss = make_iss(t, dst_ip_be, dst_port_be, sport_be);
	c->snd_una = c->snd_nxt = c->iss;
	c->state = ST_SYN_SENT;
	c->start_ns = now_ns;
	c->deadline_ns = now_ns + t->cfg.connect_timeout_ns;
	c->data_ttl = data_ttl;
	c->read_timeout_ms = read_timeout_ms;
	c->rto_ms = (uint32_t)(t->cfg.syn_rto_ns / 1000000u);
	c->rto_at_ns = now_ns + t->cfg.syn_rto_ns;
	c->tries = 1;
	t->index[pos] = idx + 1; /* the empty slot the last index_find_h() found */
	t->active++;
	t->st.connects++;
	t->st.syn_sent++;
	send_seg(t, c, c->iss, TH_SYN, NULL, 0);
	timer_rearm(t, c);
	return 0;
}

/* The hello of @c in t->scratch (built once, then reused while cached). */
static size_t hello_get(struct tcp_table *t, struct tcp_conn *c)
{
	if (!t->scratch_ok || t->scratch_user != c->user) {
		t->scratch_len =
			t->cfg.app_ops->hello(t->cfg.app, c->user, t->scratch, sizeof(t->scratch));
		if (t->scratch_len > sizeof(t->scratch))
			t->scratch_len = 0;
		t->scratch_user = c->user;
		t->scratch_ok = true;
	}
	return t->scratch_len;
}

/* Copy send-stream bytes [off, off+len) into buf; returns bytes copied. */
static size_t stream_read(struct tcp_table *t, struct tcp_conn *c, uint32_t off, uint8_t *buf,
			  size_t len)
{
	size_t got = 0;
	if (off < c->hello_len) {
		size_t n = hello_get(t, c);
		if (n > c->hello_len)
			n = c->hello_len;
		size_t take = n > off ? n - off : 0;
		if (take > len)
			take = len;
		memcpy(buf, t->scratch + off, take);
		got = take;
		off += (uint32_t)take;
	}
	if (got < len && off >= c->hello_len && t->cfg.app_ops->more)
		got += t->cfg.app_ops->more(t->cfg.app, c->user, off - c->hello_len, buf + got,
					    len - got);
	return got;
}

/*
 * Send stream bytes from seq `from` up to the end of the stream, within the
 * peer's window (at least one byte when probe is set: zero-window probe).
 * Returns true if anything was sent.
 */
static bool send_range(struct tcp_table *t, struct tcp_conn *c, uint32_t from, bool probe)
{
	uint8_t seg[OOO_MSS];
	uint32_t stream_end = c->iss + 1 + c->hello_len + c->more_len;
	uint32_t wnd_end = c->snd_una + c->peer_wnd;
	bool sent = false;
	uint32_t mss = c->peer_mss ? c->peer_mss : 536;
	if (mss > OOO_MSS)
		mss = OOO_MSS;
	if (probe && c->peer_wnd == 0)
		wnd_end = c->snd_una + 1;
	while ((int32_t)(stream_end - from) > 0 && (int32_t)(wnd_end - from) > 0) {
		uint32_t n = stream_end - from;
		if (n > wnd_end - from)
			n = wnd_end - from;
		if (n > mss)
			n = mss;
		size_t got = stream_read(t, c, from - c->iss - 1, seg, n);
		if (got == 0)
			break;
		send_seg(t, c, from, TH_ACK | TH_PSH, seg, got);
		from += (uint32_t)got;
		sent = true;
		if ((int32_t)(from - c->snd_nxt) > 0)
			c->snd_nxt = from;
	}
	return sent;
}

static void arm_data_rto(struct tcp_conn *c, uint64_t now_ns)
{
	if (c->snd_una != c->snd_nxt || c->snd_nxt != c->iss + 1 + c->hello_len + c->more_len)
		c->rto_at_ns = now_ns + (uint64_t)c->rto_ms * 1000000u;
	else
		c->rto_at_ns = 0;
}

static void fire(struct tcp_table *t, struct tcp_conn *c, uint64_t now)
{
	if (now >= c->deadline_ns && (c->flags & CF_RX_WAIT) &&
	    c->waited_ns < WAIT_MAX_READS * t->cfg.read_timeout_ns) {
		/* waiting for buffer: the read deadline does not run */
		uint64_t d = now - c->wait_since_ns;
		c->waited_ns += d;
		c->deadline_ns += d;
		c->wait_since_ns = now;
		if (c->deadline_ns <= now)
			c->deadline_ns = now + 1;
	}
	if (now >= c->deadline_ns) {
		if (c->state == ST_SYN_SENT)
			conn_close(t, c, TCP_OUT_NO_ANSWER, false);
		else
			conn_close(t, c, TCP_OUT_READ_TIMEOUT, true);
		t->st.timeouts++;
		return;
	}
	if (c->rto_at_ns && now >= c->rto_at_ns) {
		uint8_t max = c->state == ST_SYN_SENT ? t->cfg.syn_tries : t->cfg.data_tries;
		/* a TTL-limited hello is not sent again: each copy would draw one
		 * more ICMP from a router that rate-limits them; the caller paces
		 * its own retries (scanner/stage/localize.c) */
		if (c->tries >= max || (c->data_ttl && c->state != ST_SYN_SENT)) {
			c->rto_at_ns = 0;
		} else {
			c->tries++;
			c->retx++;
			c->rto_ms *= 2;
			if (c->state == ST_SYN_SENT) {
				t->st.syn_retx++;
				t->st.syn_sent++;
				send_seg(t, c, c->iss, TH_SYN, NULL, 0);
			} else {
				t->st.data_retx++;
				send_range(t, c, c->snd_una, true);
			}
			c->rto_at_ns = now + (uint64_t)c->rto_ms * 1000000u;
		}
	}
	timer_rearm(t, c);
}

void tcp_poll(struct tcp_table *t, uint64_t now_ns)
{
	uint64_t now_tick = now_ns >> WHEEL_SHIFT;
	uint32_t n = 0;

	while (t->wheel_started && t->wheel_tick < now_tick) {
		uint32_t slot = (uint32_t)(t->wheel_tick & (WHEEL_SLOTS - 1));
		uint32_t i = t->wheel[slot];
		t->wheel[slot] = NONE;
		while (i != NONE) {
			struct tcp_conn *c = &t->conns[i];
			i = c->tw_next;
			c->tw_prev = c->tw_next = NONE;
			c->flags &= (uint8_t)~CF_IN_WHEEL;
			if (i != NONE)
				t->conns[i].tw_prev = NONE;
			if (c->timer_ns <= now_ns) {
				fire(t, c, now_ns);
			} else {
				/* not yet due (a later lap): put it back, the head of the
				 * detached list stays consistent since we unlinked it */
				uint64_t at = c->timer_ns;
				wheel_insert(t, c, at);
			}
			/* the detached list may have been changed by fire() through
			 * closes of this very connection only; i is still valid */
		}
		t->wheel_tick++;
		if (++n >= WHEEL_SLOTS) {
			t->wheel_tick = now_tick;
			break;
		}
	}
	/* delayed ACKs */
	while (t->ack_head != NONE) {
		struct tcp_conn *c = &t->conns[t->ack_head];
		t->ack_head = c->ack_next;
		c->ack_next = NONE;
		if (c->flags & CF_ACK_PENDING) {
			c->flags &= (uint8_t)~CF_ACK_PENDING;
			t->st.acks_out++;
			send_seg(t, c, c->snd_nxt, TH_ACK, NULL, 0);
		}
	}
}

static void ack_now(struct tcp_table *t, struct tcp_conn *c)
{
	ack_list_remove(t, c);
	t->st.acks_out++;
	send_seg(t, c, c->snd_nxt, TH_ACK, NULL, 0);
}

static void ack_later(struct tcp_table *t, struct tcp_conn *c)
{
	if (++c->segs_unacked >= 2) {
		ack_now(t, c);
		return;
	}
	if (!(c->flags & CF_ACK_PENDING)) {
		c->flags |= CF_ACK_PENDING;
		c->ack_next = t->ack_head;
		t->ack_head = (uint32_t)(c - t->conns);
	}
}

/*
 * RFC 5961 section 7: challenge ACKs (and ACKs for segments beyond the
 * window) are limited per table, in one-second windows, so forged segments
 * cannot make the scanner send at will.
 */
static void challenge_ack(struct tcp_table *t, struct tcp_conn *c, uint64_t now)
{
	if (!t->chal_started || now < t->chal_start_ns || now - t->chal_start_ns >= SEC_NS) {
		t->chal_started = true;
		t->chal_start_ns = now;
		t->chal_count = 0;
	}
	if (t->chal_count >= t->cfg.challenge_acks_per_s) {
		t->st.challenge_acks_limited++;
		return;
	}
	t->chal_count++;
	t->st.challenge_acks++;
	ack_now(t, c);
}

/*
 * Deliver in-order bytes to the application: DLV_OK, DLV_CLOSED (the
 * application finished or refused), DLV_WAIT (it took nothing: rcv_nxt
 * stays, the bytes are not acknowledged, the read deadline pauses).
 */
static int deliver(struct tcp_table *t, struct tcp_conn *c, const uint8_t *p, size_t len,
		   uint64_t now)
{
	if (len == 0)
		return DLV_OK;
	t->cur = (uint32_t)(c - t->conns);
	int r = t->cfg.app_ops->data(t->cfg.app, c->user, p, len);
	t->cur = NONE;
	if (r == TCP_APP_WAIT) {
		if (!(c->flags & CF_RX_WAIT)) {
			c->flags |= CF_RX_WAIT;
			c->wait_since_ns = now;
			t->st.rx_waits++;
		}
		return DLV_WAIT;
	}
	if (c->flags & CF_RX_WAIT) {
		/* the time waited does not count against the read deadline */
		uint64_t d = now > c->wait_since_ns ? now - c->wait_since_ns : 0;
		c->waited_ns += d;
		c->deadline_ns += d;
		c->flags &= (uint8_t)~CF_RX_WAIT;
	}
	c->rcv_nxt += (uint32_t)len;
	c->bytes_in += (uint32_t)len;
	t->st.bytes_in += len;
	if (r == TCP_APP_DONE) {
		conn_close(t, c, TCP_OUT_OPEN, true);
		return DLV_CLOSED;
	}
	if (r == TCP_APP_TOO_LARGE || r < 0) {
		conn_close(t, c, TCP_OUT_FLIGHT_TOO_LARGE, true);
		return DLV_CLOSED;
	}
	if (r > 0) {
		c->more_len += (uint32_t)r;
		send_range(t, c, c->snd_nxt, false);
		arm_data_rto(c, now);
		c->tries = 1;
	}
	return DLV_OK;
}

int tcp_rx_charge(struct tcp_table *t, size_t bytes)
{
	if (t->cur == NONE)
		return -EINVAL;
	struct tcp_conn *c = &t->conns[t->cur];
	uint64_t budget = t->cfg.rx_budget, w = t->cfg.rx_conn_max;
	if (budget) {
		if (bytes > w || c->rx_bytes + bytes > w)
			return -EINVAL; /* more than the application said it would ever use */
		if (t->rx_used + bytes > budget - w) {
			/* the shared part is full: the escrow, one connection at a time */
			if ((t->rx_escrow != NONE && t->rx_escrow != t->cur) ||
			    t->rx_used + bytes > budget)
				return -ENOBUFS;
			t->rx_escrow = t->cur;
		}
	}
	c->rx_bytes += (uint32_t)bytes;
	t->rx_used += bytes;
	if (t->rx_used > t->st.rx_peak_bytes)
		t->st.rx_peak_bytes = t->rx_used;
	return 0;
}

uint64_t tcp_rx_used(const struct tcp_table *t)
{
	return t->rx_used;
}

/*
 * Out-of-order pool share of @c: the pool over the connections holding
 * segments (counting @c), at least 1, at most ooo_per_conn.
 */
static uint32_t ooo_share(const struct tcp_table *t, const struct tcp_conn *c)
{
	uint32_t holders = t->ooo_holders + (c->ooo_count == 0);
	uint32_t share = t->cfg.ooo_segments / (holders ? holders : 1);
	if (share < 1)
		share = 1;
	if (share > t->cfg.ooo_per_conn)
		share = t->cfg.ooo_per_conn;
	return share;
}

/*
 * The pool is empty and @self is under its share: take the highest segment
 * of a connection over the share (looking at EVICT_SCAN entries from a
 * rotating cursor). True if a segment was freed.
 */
static bool ooo_evict(struct tcp_table *t, const struct tcp_conn *self, uint32_t share)
{
	uint32_t n = t->cfg.ooo_segments;
	for (uint32_t k = 0; k < EVICT_SCAN && k < n; k++) {
		uint32_t i = t->ooo_cursor;
		t->ooo_cursor = i + 1 < n ? i + 1 : 0;
		uint32_t o = t->ooo[i].owner;
		if (o == NONE || &t->conns[o] == self || t->conns[o].ooo_count <= share)
			continue;
		struct tcp_conn *v = &t->conns[o];
		uint32_t *pp = &v->ooo_head;
		while (t->ooo[*pp].next != NONE)
			pp = &t->ooo[*pp].next;
		uint32_t last = *pp;
		*pp = NONE;
		ooo_put(t, v, last);
		t->st.ooo_evicted++;
		return true;
	}
	return false;
}

/* Store an out-of-order segment (sorted by seq); false if dropped. */
static bool ooo_store(struct tcp_table *t, struct tcp_conn *c, uint32_t seq, const uint8_t *p,
		      size_t len, bool fin)
{
	uint32_t share = ooo_share(t, c);
	if (len > OOO_MSS)
		return false;
	for (uint32_t i = c->ooo_head; i != NONE; i = t->ooo[i].next)
		if (t->ooo[i].seq == seq && t->ooo[i].len >= len)
			return true; /* duplicate of a stored segment */
	if (c->ooo_count >= share)
		return false;
	if (t->ooo_free == NONE && !ooo_evict(t, c, share))
		return false;
	uint32_t *pp = &c->ooo_head;
	while (*pp != NONE && (int32_t)(t->ooo[*pp].seq - seq) <= 0)
		pp = &t->ooo[*pp].next;
	uint32_t i = t->ooo_free;
	struct ooo_seg *s = &t->ooo[i];
	t->ooo_free = s->next;
	s->owner = (uint32_t)(c - t->conns);
	s->seq = seq;
	s->len = (uint16_t)len;
	s->fin = fin;
	memcpy(s->data, p, len);
	s->next = *pp;
	*pp = i;
	if (c->ooo_count++ == 0)
		t->ooo_holders++;
	return true;
}

/*
 * After rcv_nxt advanced, deliver stored segments that became contiguous.
 * Returns -1 if the connection was closed, 1 if a FIN became in-order, 0
 * otherwise (a gap, or the application waits: the segment stays stored).
 */
static int ooo_drain(struct tcp_table *t, struct tcp_conn *c, uint64_t now)
{
	while (c->ooo_head != NONE) {
		uint32_t i = c->ooo_head;
		struct ooo_seg *s = &t->ooo[i];
		int32_t off = (int32_t)(c->rcv_nxt - s->seq);
		if (off < 0)
			return 0; /* still a gap */
		bool fin = s->fin && (uint32_t)off <= s->len;
		if ((uint32_t)off < s->len) {
			int d = deliver(t, c, s->data + off, s->len - (uint32_t)off, now);
			if (d == DLV_WAIT)
				return 0;
			if (d == DLV_CLOSED)
				return -1; /* conn_close gave the segment back */
		}
		c->ooo_head = s->next;
		ooo_put(t, c, i);
		if (fin)
			return 1;
	}
	return 0;
}

/* ---- receiving: one handler per state (RFC 9293 3.10.7) ---- */

/* The peer's MSS option (RFC 9293 3.7.1), 536 when absent, at least 64. */
static uint16_t peer_mss_of(const struct pkt_tcp_view *v)
{
	const uint8_t *o = v->opts;
	size_t n = v->opts_len;
	uint16_t mss = 536;

	for (size_t i = 0; i < n;) {
		if (o[i] == 0) /* end of option list */
			break;
		if (o[i] == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			break;
		if (o[i] == 2 && o[i + 1] == 4)
			mss = pkt_get_be16(o + i + 2);
		i += o[i + 1];
	}
	return mss < 64 ? 64 : mss;
}

/*
 * SYN-SENT (RFC 9293 3.10.7.3): an RST acknowledging our SYN closes the
 * attempt; a SYN-ACK acknowledging it establishes the connection and sends
 * the hello; anything else is not for this attempt and is ignored.
 */
static int rx_syn_sent(struct tcp_table *t, struct tcp_conn *c, const struct pkt_tcp_view *v,
		       uint64_t now)
{
	if ((v->flags & TH_RST) && (v->flags & TH_ACK) && v->ack == c->iss + 1) {
		t->st.rst_in++;
		conn_close(t, c, TCP_OUT_CLOSED, false);
		return 1;
	}
	if ((v->flags & (TH_SYN | TH_ACK | TH_RST)) != (TH_SYN | TH_ACK) || v->ack != c->iss + 1)
		return 1;
	t->st.synack++;
	c->rcv_nxt = v->seq + 1;
	c->snd_una = c->snd_nxt = c->iss + 1;
	c->peer_wnd = v->window;
	c->peer_mss = peer_mss_of(v);
	c->state = ST_ESTABLISHED;
	c->connected_ns = now;
	c->deadline_ns = now + (c->read_timeout_ms ? c->read_timeout_ms * 1000000ull
						   : t->cfg.read_timeout_ns);
	/* payload RTO: a few RTTs, within [200 ms, 1 s] */
	uint64_t rto = (now - c->start_ns) / 1000000u * 4;
	c->rto_ms = (uint32_t)(rto < 200 ? 200 : rto > 1000 ? 1000 : rto);
	c->tries = 1;
	t->scratch_ok = false;
	c->hello_len = (uint32_t)hello_get(t, c);
	if (!send_range(t, c, c->snd_nxt, false))
		ack_now(t, c);
	arm_data_rto(c, now);
	timer_rearm(t, c);
	return 1;
}

/*
 * RST in ESTABLISHED (RFC 5961 3.2): exactly rcv_nxt resets; elsewhere in
 * the window earns a challenge ACK (a true peer answers it with an exact
 * RST); outside the window it is dropped.
 */
static int rx_rst(struct tcp_table *t, struct tcp_conn *c, int32_t off, uint64_t now)
{
	if (off == 0) {
		t->st.rst_in++;
		conn_close(t, c, TCP_OUT_RESET, false);
		return 1;
	}
	t->st.rst_ignored++;
	if (off > 0 && (uint32_t)off < t->cfg.rcv_wnd)
		challenge_ack(t, c, now);
	return 1;
}

/*
 * RFC 9293 3.10.7.4, first check: a segment is acceptable when its first
 * or last byte lies in [rcv_nxt, rcv_nxt + wnd). An old one (our ACK may
 * have been lost) is answered with an ACK, one beyond the window with a
 * (limited) challenge ACK. True when acceptable.
 */
static bool rx_acceptable(struct tcp_table *t, struct tcp_conn *c, int32_t off, uint32_t seg_len,
			  uint64_t now)
{
	uint32_t wnd = t->cfg.rcv_wnd;
	bool ok = off >= 0 ? (uint32_t)off < wnd
			   : seg_len > 0 && (int32_t)(off + (int32_t)seg_len - 1) >= 0;

	if (ok)
		return true;
	if (off < 0) {
		t->st.dup_segs++;
		ack_now(t, c);
	} else {
		t->st.out_of_window++;
		challenge_ack(t, c, now);
	}
	timer_rearm(t, c);
	return false;
}

/*
 * The ACK field (RFC 5961 5.2): acceptable if SND.UNA - MAX.SND.WND <=
 * SEG.ACK <= SND.NXT, else a challenge ACK and false. An acceptable one
 * advances snd_una, takes the peer's window and sends what it now allows.
 */
static bool rx_ack(struct tcp_table *t, struct tcp_conn *c, const struct pkt_tcp_view *v,
		   uint64_t now)
{
	if ((int32_t)(v->ack - c->snd_nxt) > 0 ||
	    (int32_t)(v->ack - (c->snd_una - MAX_SND_WND)) < 0) {
		t->st.bad_ack++;
		challenge_ack(t, c, now);
		return false;
	}
	int32_t adv = (int32_t)(v->ack - c->snd_una);
	if (adv > 0) {
		c->snd_una = v->ack;
		c->tries = 1;
	}
	if (adv >= 0)
		c->peer_wnd = v->window;
	/* window opened or data acked: send what is pending */
	if ((int32_t)(c->iss + 1 + c->hello_len + c->more_len - c->snd_nxt) > 0)
		send_range(t, c, c->snd_nxt, false);
	if (adv > 0)
		arm_data_rto(c, now);
	return true;
}

/*
 * Payload ahead of rcv_nxt: keep it if it fits in the window and the pool
 * share, and ACK at once so the peer learns what we miss.
 */
static int rx_ahead(struct tcp_table *t, struct tcp_conn *c, const struct pkt_tcp_view *v,
		    uint32_t off, bool fin)
{
	if ((uint64_t)off + v->payload_len <= t->cfg.rcv_wnd &&
	    ooo_store(t, c, v->seq, v->payload, v->payload_len, fin))
		t->st.ooo_segs++;
	else
		t->st.ooo_dropped++;
	ack_now(t, c);
	timer_rearm(t, c);
	return 1;
}

/*
 * Payload at (or overlapping) rcv_nxt: deliver the new bytes, then what the
 * out-of-order pool made contiguous, then the FIN if it became in order.
 */
static int rx_in_order(struct tcp_table *t, struct tcp_conn *c, const struct pkt_tcp_view *v,
		       int32_t off, bool fin, uint64_t now)
{
	const uint8_t *payload = v->payload;
	size_t plen = v->payload_len;

	if (off < 0) { /* skip the bytes already received */
		size_t old = (size_t)(-(int64_t)off);
		if (old > plen)
			old = plen;
		payload += old;
		plen -= old;
	}
	if (plen > t->cfg.rcv_wnd) { /* beyond the window: not accepted (RFC 9293 3.10.7.4) */
		plen = t->cfg.rcv_wnd;
		fin = false;
	}
	int d = deliver(t, c, payload, plen, now);
	if (d == DLV_CLOSED)
		return 1;
	if (d == DLV_WAIT) {
		timer_rearm(t, c);
		return 1; /* nothing taken, nothing acknowledged: the peer sends again */
	}
	d = ooo_drain(t, c, now);
	if (d < 0)
		return 1;
	if (fin || d > 0) {
		t->st.fin_in++;
		c->rcv_nxt++;
		conn_close(t, c, TCP_OUT_FIN, true);
		return 1;
	}
	ack_later(t, c);
	timer_rearm(t, c);
	return 1;
}

/* ESTABLISHED: RFC 9293 3.10.7.4, hardened as RFC 5961 says. */
static int rx_established(struct tcp_table *t, struct tcp_conn *c, const struct pkt_tcp_view *v,
			  uint64_t now)
{
	bool fin = v->flags & TH_FIN;
	int32_t off = (int32_t)(v->seq - c->rcv_nxt);

	if (v->flags & TH_RST)
		return rx_rst(t, c, off, now);
	if (v->flags & TH_SYN) {
		/* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK
		 * and nothing else, whatever its sequence number. A true
		 * retransmitted SYN-ACK (our ACK was lost) is completed by this
		 * ACK; the hello follows by its own timer. */
		t->st.syn_ignored++;
		challenge_ack(t, c, now);
		return 1;
	}
	if (!rx_acceptable(t, c, off, (uint32_t)v->payload_len + fin, now))
		return 1;
	if (!(v->flags & TH_ACK)) {
		t->st.no_ack++; /* RFC 9293 3.10.7.4, fifth check: drop */
		return 1;
	}
	if (!rx_ack(t, c, v, now))
		return 1;
	if (v->payload_len == 0 && !fin) {
		timer_rearm(t, c);
		return 1;
	}
	if (off > 0)
		return rx_ahead(t, c, v, (uint32_t)off, fin);
	return rx_in_order(t, c, v, off, fin, now);
}

int tcp_rx(struct tcp_table *t, const uint8_t *f, size_t len, uint64_t now)
{
	struct pkt_tcp_view v;

	/* an IPv4 datagram is at most 65535 bytes: more is Ethernet padding */
	if (len > ETH_LEN + 65535u)
		len = ETH_LEN + 65535u;
	if (!pkt_parse_tcp(f, (unsigned)len, &v)) {
		t->st.bad_frame++;
		return -EINVAL;
	}
	if (v.daddr_be != t->cfg.l2.src_ip_be)
		return 0;
	/* our connection's remote port is the frame's source port */
	uint32_t idx = index_find(t, v.saddr_be, v.sport_be, v.dport_be, NULL);
	if (idx == NONE) {
		t->st.unknown_flow++;
		return 0;
	}
	struct tcp_conn *c = &t->conns[idx];
	t->st.segs_in++;
	if (c->state == ST_SYN_SENT)
		return rx_syn_sent(t, c, &v, now);
	return rx_established(t, c, &v, now);
}

struct tcp_table *tcp_table_new(const struct tcp_cfg *cfg)
{
	struct tcp_table *t;
	uint32_t isz = 2;

	if (!cfg || cfg->max_conns == 0 || cfg->max_conns > (1u << 28) || !cfg->tx ||
	    !cfg->app_ops || !cfg->app_ops->hello || !cfg->app_ops->data || !cfg->app_ops->closed ||
	    cfg->l2.sport_hi < cfg->l2.sport_lo ||
	    (cfg->rx_budget && (!cfg->rx_conn_max || cfg->rx_budget / 2 < cfg->rx_conn_max)))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.ooo_segments)
		t->cfg.ooo_segments = cfg->max_conns / 32 + 256;
	if (!t->cfg.ooo_per_conn)
		t->cfg.ooo_per_conn = 4;
	if (!t->cfg.syn_tries)
		t->cfg.syn_tries = 4;
	if (!t->cfg.data_tries)
		t->cfg.data_tries = 6;
	if (!t->cfg.syn_rto_ns)
		t->cfg.syn_rto_ns = 1000000000ull;
	if (!t->cfg.connect_timeout_ns)
		t->cfg.connect_timeout_ns = 5000000000ull;
	if (!t->cfg.read_timeout_ns)
		t->cfg.read_timeout_ns = 10000000000ull;
	if (!t->cfg.rcv_wnd)
		t->cfg.rcv_wnd = 65535;
	if (!t->cfg.challenge_acks_per_s)
		t->cfg.challenge_acks_per_s = 1000;
	while (isz < cfg->max_conns * 2u)
		isz <<= 1;
	t->index_mask = isz - 1;
	t->conns = calloc(cfg->max_conns, sizeof(*t->conns));
	t->index = calloc(isz, sizeof(*t->index));
	t->ooo = calloc(t->cfg.ooo_segments, sizeof(*t->ooo));
	if (!t->conns || !t->index || !t->ooo) {
		tcp_table_free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->max_conns; i++)
		t->conns[i].tw_next = i + 1 < cfg->max_conns ? i + 1 : NONE;
	t->free_head = 0;
	for (uint32_t i = 0; i < t->cfg.ooo_segments; i++)
		t->ooo[i].next = i + 1 < t->cfg.ooo_segments ? i + 1 : NONE;
	for (uint32_t i = 0; i < t->cfg.ooo_segments; i++)
		t->ooo[i].owner = NONE;
	t->ooo_free = 0;
	t->rx_escrow = t->cur = NONE;
	for (uint32_t i = 0; i < WHEEL_SLOTS; i++)
		t->wheel[i] = NONE;
	t->ack_head = NONE;
	return t;
}

void tcp_table_free(struct tcp_table *t)
{
	if (!t)
		return;
	free(t->conns);
	free(t->index);
	free(t->ooo);
	free(t);
}

void tcp_table_abort_all(struct tcp_table *t)
{
	for (uint32_t i = 0; i < t->cfg.max_conns; i++)
		if (t->conns[i].state != ST_FREE)
			conn_close(t, &t->conns[i], TCP_OUT_ABORTED, true);
}

uint32_t tcp_active(const struct tcp_table *t)
{
	return t->active;
}
uint32_t tcp_capacity(const struct tcp_table *t)
{
	return t->cfg.max_conns;
}
const struct tcp_stats *tcp_table_stats(const struct tcp_table *t)
{
	return &t->st;
}
size_t tcp_conn_size(void)
{
	return sizeof(struct tcp_conn);
}
const struct tcp_conn_info *tcp_closing(const struct tcp_table *t)
{
	return &t->closing;
}

size_t tcp_table_bytes(const struct tcp_table *t)
{
	return sizeof(*t) + (size_t)t->cfg.max_conns * sizeof(struct tcp_conn) +
	       ((size_t)t->index_mask + 1) * sizeof(uint32_t) +
	       (size_t)t->cfg.ooo_segments * sizeof(struct ooo_seg);
}
