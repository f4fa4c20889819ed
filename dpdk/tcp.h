/* SPDX-License-Identifier: MIT */
/*
 * A minimal userspace TCP client for certificate capture. It consumes and
 * produces raw Ethernet/IPv4/TCP frames and includes no DPDK header, so it
 * is unit-tested with crafted frames and a fake clock; the engine hands it
 * frames from a worker lcore and gives it a tx callback.
 *
 * Scope: active open only (SYN with a keyed-hash ISS, SYN-ACK, ACK carrying
 * the application's first payload), in-order delivery of the server's bytes
 * to the application with a bounded out-of-order buffer taken from a
 * per-table pool, ACKs, retransmission of SYN and of unacknowledged payload
 * with exponential backoff, connect and read deadlines, RST/FIN, zero
 * window, duplicate and overlapping segments, and an RST to end every
 * connection. Frames for flows not in the table get no answer.
 *
 * Per-connection state is a fixed struct of at most 256 bytes (checked by a
 * static_assert in tcp.c); the table holds --max-connections of them, made
 * at start-up. The receive buffer belongs to the application (the data
 * callback gets a slice that is valid only during the call), but its size
 * is charged to the table's receive budget (tcp_rx_charge()): the table
 * admits new connections only while the budget has room, and a connection
 * that cannot get more buffer waits (its bytes are left unacknowledged, its
 * read deadline paused) instead of failing.
 *
 * Hostile peers are expected (RFC 5961, RFC 9293 3.10.7.4): a reset is
 * taken only at exactly rcv_nxt, an in-window one, a SYN in a synchronized
 * state or an ACK of data never sent earns a challenge ACK (at most
 * challenge_acks_per_s per table), a segment without ACK or outside the
 * receive window is dropped, and the out-of-order pool is shared fairly.
 *
 * One table per worker lcore; not thread-safe. All times are nanoseconds
 * from any monotonic clock the caller chooses (the tests use a fake one).
 */
#ifndef TLSMAP_DPDK_TCP_H
#define TLSMAP_DPDK_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Same numbers as tlsmap.v1.TcpOutcome (dpdk/ does not include output/). */
enum tcp_outcome {
	TCP_OUT_UNSPECIFIED = 0,
	TCP_OUT_OPEN = 1,	      /* connected; the application said done */
	TCP_OUT_CLOSED = 2,	      /* RST in answer to the SYN */
	TCP_OUT_NO_ANSWER = 3,	      /* nothing within the connect timeout after retries */
	TCP_OUT_RESET = 4,	      /* RST after the handshake */
	TCP_OUT_FIN = 5,	      /* FIN after the handshake */
	TCP_OUT_READ_TIMEOUT = 6,     /* connected, application not done at the read deadline */
	TCP_OUT_FLIGHT_TOO_LARGE = 7, /* the application refused more bytes */
	TCP_OUT_ABORTED = 8,	      /* tcp_table_abort_all() (scan interrupted) */
};

/* Return values of tcp_app_ops.data (>= 0: bytes appended to the send stream). */
#define TCP_APP_MORE 0	       /* keep delivering */
#define TCP_APP_DONE (-1)      /* finished: RST the connection, outcome TCP_OUT_OPEN */
#define TCP_APP_TOO_LARGE (-2) /* refuse: RST, outcome TCP_OUT_FLIGHT_TOO_LARGE */
/*
 * Not now: the application took none of the bytes (it could not get buffer
 * from the receive budget). They stay unacknowledged, the peer sends them
 * again, and the connection's read deadline stops running meanwhile.
 */
#define TCP_APP_WAIT (-3)

struct tcp_app_ops {
	/*
	 * First payload (the ClientHello), sent with the ACK of the SYN-ACK;
	 * called again, and must give the same bytes, on each retransmission.
	 */
	size_t (*hello)(void *app, uint64_t user, uint8_t *buf, size_t cap);
	/*
	 * In-order stream bytes; p is valid during the call only. Returns
	 * TCP_APP_MORE, TCP_APP_DONE, TCP_APP_TOO_LARGE, TCP_APP_WAIT, or a positive count of
	 * bytes the application appended to its send stream after the hello
	 * (then read through more()).
	 */
	int (*data)(void *app, uint64_t user, const uint8_t *p, size_t len);
	/*
	 * Optional: copy up to cap bytes of the send stream that follows the
	 * hello, from offset off (0 = first byte after the hello).
	 */
	size_t (*more)(void *app, uint64_t user, uint32_t off, uint8_t *buf, size_t cap);
	/* Exactly once per successful tcp_connect(), never from inside tcp_connect. */
	void (*closed)(void *app, uint64_t user, int tcp_outcome);
};

/* Layer-2/3 addressing of the scanner (mirrors dpdk/engine.h's eng_l2). */
struct tcp_l2 {
	uint8_t src_mac[6], gw_mac[6];
	uint32_t src_ip_be;
	uint16_t sport_lo, sport_hi; /* host order, inclusive */
};

/* Sends one complete frame; returns 0 or a negative errno (frame dropped). */
typedef int (*tcp_tx_fn)(void *tx_ctx, const uint8_t *frame, uint16_t len);

struct tcp_cfg {
	uint32_t max_conns;    /* table size (>= 1) */
	uint32_t ooo_segments; /* pool of out-of-order segment buffers; 0: max_conns/32 + 256 */
	uint8_t ooo_per_conn;  /* cap per connection; 0: 4 (and a fair share of the pool) */
	uint8_t syn_tries;     /* SYNs sent in total; 0: 4 */
	uint8_t data_tries;    /* sends of one payload in total; 0: 6 */
	uint64_t syn_rto_ns;   /* first SYN retransmission; 0: 1 s */
	uint64_t connect_timeout_ns; /* SYN to SYN-ACK; 0: 5 s */
	uint64_t read_timeout_ns;    /* SYN-ACK to done; 0: 10 s */
	uint16_t rcv_wnd;	     /* advertised window; 0: 65535 */
	/*
	 * Receive budget of this table: the sum of what tcp_rx_charge() granted
	 * to open connections never exceeds it; 0: unlimited (still counted).
	 * rx_conn_max is the most one connection may be charged (required with
	 * a budget, which must be at least 2 * rx_conn_max): one rx_conn_max is
	 * kept so that one waiting connection can always finish (no deadlock),
	 * and new connections are admitted only while another rx_conn_max is free.
	 */
	uint64_t rx_budget;
	uint32_t rx_conn_max;
	uint32_t challenge_acks_per_s; /* RFC 5961 section 7 limit; 0: 1000 */
	uint64_t hash_key[2];	       /* ISS and source-port hashing (SipHash-2-4) */
	struct tcp_l2 l2;
	tcp_tx_fn tx;
	void *tx_ctx;
	const struct tcp_app_ops *app_ops;
	void *app;
};

struct tcp_stats {
	uint64_t connects, syn_sent, syn_retx, data_retx, synack, rst_in, fin_in;
	uint64_t segs_in, bytes_in, dup_segs, ooo_segs, ooo_dropped, acks_out;
	uint64_t unknown_flow, bad_frame, table_full, tx_fail;
	uint64_t done, timeouts;
	uint64_t challenge_acks,
		challenge_acks_limited; /* RFC 5961: sent, suppressed by the limit */
	uint64_t rst_ignored, syn_ignored, bad_ack, no_ack, out_of_window, ooo_evicted;
	uint64_t rx_waits, budget_refused; /* deliveries deferred / connects refused (budget) */
	uint64_t rx_peak_bytes;		   /* most receive buffer charged at once */
};

struct tcp_table;

/* NULL on bad configuration or out of memory. */
struct tcp_table *tcp_table_new(const struct tcp_cfg *cfg);
void tcp_table_free(struct tcp_table *t);

/*
 * Open a connection to (dst_ip_be, dst_port_be) and send the SYN now.
 * Returns 0 (closed() will be called exactly once later), -ENOSPC when the
 * table is full, -EADDRINUSE when no free source port was found, -ENOBUFS
 * when the receive budget has no room for another connection now (or a
 * connection is waiting for buffer): try again later, nothing was sent.
 */
int tcp_connect(struct tcp_table *t, uint32_t dst_ip_be, uint16_t dst_port_be, uint64_t user,
		uint64_t now_ns);

/*
 * tcp_connect() for path localisation: the handshake and the bare
 * ACKs go out with TTL 64, every segment that carries payload (the hello,
 * later data) with IP TTL @data_ttl (0: 64), so that only the ClientHello
 * is TTL-limited; such a connection does not retransmit its data (each copy
 * would spend a router's ICMP budget: the caller paces its own retries).
 * @read_timeout_ms (0: the table's) bounds the exchange after the SYN-ACK.
 */
int tcp_connect_ttl(struct tcp_table *t, uint32_t dst_ip_be, uint16_t dst_port_be, uint64_t user,
		    uint64_t now_ns, uint8_t data_ttl, uint16_t read_timeout_ms);

/*
 * One received frame (Ethernet onwards). Returns 1 if it belonged to a
 * connection of this table, 0 if not (unknown flow: no answer is sent),
 * -EINVAL for a malformed frame.
 */
int tcp_rx(struct tcp_table *t, const uint8_t *frame, size_t len, uint64_t now_ns);

/* The user value of the open connection (dst, dst port, our source port),
 * e.g. for an ICMP error quoting one of its segments. 0, or -ENOENT if none. */
int tcp_find_user(const struct tcp_table *t, uint32_t dst_ip_be, uint16_t dst_port_be,
		  uint16_t src_port_be, uint64_t *user);

/* Fire due timers and send delayed ACKs; call every loop iteration. */
void tcp_poll(struct tcp_table *t, uint64_t now_ns);

/*
 * Charge @bytes more receive buffer to the connection whose data() callback
 * is running (only valid from inside tcp_app_ops.data). 0: granted, the
 * application may allocate; -ENOBUFS: the budget has no room now, the
 * application should return TCP_APP_WAIT without taking any byte. All a
 * connection was charged is given back when it closes.
 */
int tcp_rx_charge(struct tcp_table *t, size_t bytes);
/* Receive buffer charged now, over all connections of the table. */
uint64_t tcp_rx_used(const struct tcp_table *t);

/* RST and close every connection with TCP_OUT_ABORTED. */
void tcp_table_abort_all(struct tcp_table *t);

uint32_t tcp_active(const struct tcp_table *t);
uint32_t tcp_capacity(const struct tcp_table *t);
const struct tcp_stats *tcp_table_stats(const struct tcp_table *t);
/* Bytes of memory the table allocated (connections, index, pool). */
size_t tcp_table_bytes(const struct tcp_table *t);
/* sizeof the per-connection state, for reports. */
size_t tcp_conn_size(void);

/* Facts about the connection being closed; valid only inside tcp_app_ops.closed(). */
struct tcp_conn_info {
	uint64_t start_ns;     /* first SYN */
	uint64_t connected_ns; /* SYN-ACK, 0 if never */
	uint32_t retransmits;  /* SYNs and payload segments sent again */
	uint32_t bytes_in;     /* in-order stream bytes delivered */
	uint16_t sport_be;
};
const struct tcp_conn_info *tcp_closing(const struct tcp_table *t);

#endif
