/* SPDX-License-Identifier: MIT */
/*
 * The packet engine: EAL start-up from tlsmap's own options, one port, the
 * stateless SYN sweep, ARP, and the hooks a later stage (the TLS stage, or
 * the built-in --syn-only stage in scanner/) plugs into.
 *
 * This header includes no DPDK header: scanner/ drives the engine through
 * it without seeing rte_* types.
 *
 * Lcore roles (the EAL lcore list, at least 2):
 *   main lcore      TX: pulls targets from the caller's generator (which
 *                   applies the permutation and the rate), builds SYNs in
 *                   bursts, drains the multi-producer TX ring that workers
 *                   and RX fill (ARP replies, RSTs, the stage's TCP frames),
 *                   calls the once-a-second tick and decides when to stop.
 *   lcore 1         RX: rx_burst, answers ARP, validates sweep replies
 *                   (SYN-ACK/RST whose ack-1 is the cookie), deduplicates,
 *                   and dispatches to worker hash(remote ip, port) % nworkers.
 *                   With exactly 2 lcores it is also worker 0 (hooks run
 *                   inline, no ring hop).
 *   lcores 2..n-1   workers: each drains its own single-producer ring of
 *                   events from RX and runs the stage hooks.
 * One RX and one TX queue on the port: the ring keeps TX single-queue, so it
 * works on every PMD (net_pcap, net_af_packet with qpairs=1, net_null).
 *
 * Source ports: the sweep uses [sweep_sport_lo, sweep_sport_hi]; the stage's
 * own connections (eng_l2.sport_lo..hi) must use a disjoint range, which is
 * how RX tells a sweep reply from a stage packet.
 */
#ifndef TLSMAP_DPDK_ENGINE_H
#define TLSMAP_DPDK_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct eng;	   /* port, pools, lcores */
struct eng_worker; /* per-worker-lcore context */

/*
 * TX from a worker lcore: copies the L2 frame into an mbuf and queues it
 * (burst-buffered, flushed each loop into the TX ring). Returns 0 or
 * -ENOBUFS (pool empty or frame longer than an mbuf). The frame is only
 * read during the call.
 */
int eng_tx_frame(struct eng_worker *w, const uint8_t *frame, uint16_t len);

struct eng_l2 {
	uint8_t src_mac[6], gw_mac[6];
	uint32_t src_ip_be;
	uint16_t sport_lo, sport_hi; /* for the stage's connections (host order) */
	uint8_t cookie_key[16];	     /* the sweep's SipHash key, for eng_cookie() */
};
const struct eng_l2 *eng_worker_l2(const struct eng_worker *w);
/*
 * The engine's clock: monotonic nanoseconds since eng_open() (TSC based;
 * the same clock on every lcore). Part of the engine's state, started by
 * eng_open(); every time the engine hands to hooks is on it.
 */
uint64_t eng_now_ns(const struct eng *e);
/* eng_now_ns() of the worker's engine, for stage code on a worker lcore. */
uint64_t eng_worker_now_ns(const struct eng_worker *w);
/* Unix microseconds of an eng_now_ns() value of @e. */
uint64_t eng_ns_to_unix_us(const struct eng *e, uint64_t ns);
/* How this engine computes cookies in bursts (chosen once by eng_open):
 * "avx512", "avx2" or "scalar". */
const char *eng_cookie_impl(const struct eng *e);
/* The sweep's SYN cookie for a 4-tuple (all network order): SipHash-2-4. */
uint32_t eng_cookie(const uint8_t key[16], uint32_t saddr_be, uint32_t daddr_be, uint16_t sport_be,
		    uint16_t dport_be);

/*
 * Stage hooks, all called on the worker's own lcore; packets for a remote
 * (ip, port) always go to the same worker: worker = hash(remote ip, remote
 * port) % nworkers. Any hook may be NULL.
 */
struct eng_stage_ops {
	void *(*worker_init)(void *stage, unsigned worker_id, struct eng_worker *w);
	/* sweep found (ip, port) open (SYN-ACK with a valid cookie), deduplicated */
	void (*open)(void *wctx, uint32_t ip_be, uint16_t port_be, uint64_t now_ns);
	/* sweep found (ip, port) closed (RST with a valid ack), deduplicated
	 * (added by the engine owner; NULL to ignore) */
	void (*closed)(void *wctx, uint32_t ip_be, uint16_t port_be, uint64_t now_ns);
	/* any other IPv4/TCP frame addressed to the scanner (not a sweep reply) */
	void (*rx)(void *wctx, const uint8_t *frame, uint16_t len, uint64_t now_ns);
	/* called every loop iteration: timers, starting queued connections */
	void (*poll)(void *wctx, uint64_t now_ns);
	/* true when the worker has no connection open or queued */
	bool (*idle)(void *wctx);
	void (*worker_fini)(void *wctx);
	/* an ICMP message addressed to the scanner (localisation):
	 * an echo reply (routed as remote (source, echo id)) or an error
	 * quoting one of our TCP segments (remote (quoted destination, port))
	 * or echo requests (remote (quoted destination, echo id)). Parse it
	 * with eng_icmp_parse(). NULL: ICMP is dropped as before. */
	void (*icmp)(void *wctx, const uint8_t *frame, uint16_t len, uint64_t now_ns);
};

/* ---- ICMP, for path localisation ---- */

#define ENG_ICMP_ECHO_REPLY 0
#define ENG_ICMP_UNREACH 3
#define ENG_ICMP_ECHO 8
#define ENG_ICMP_TIME_EXCEEDED 11

/* An ICMP message, and for errors the IPv4 header + 8 bytes it quotes
 * (RFC 792): our packet's destination and its first transport bytes. */
struct eng_icmp {
	uint8_t type, code;
	uint32_t src_be, dst_be;	  /* of the ICMP message itself */
	uint16_t echo_id_be, echo_seq_be; /* echo reply; or the quoted echo request */
	bool quoted;			  /* an error with a quoted IPv4 header */
	uint8_t q_proto;		  /* 6 TCP, 1 ICMP */
	uint8_t q_ttl;			  /* TTL left in the quoted header */
	uint32_t q_dst_be;
	uint16_t q_sport_be, q_dport_be; /* quoted TCP ports */
	uint32_t q_seq;			 /* quoted TCP sequence number, host order */
};

/* Parse an Ethernet/IPv4/ICMP frame. false unless it is one with
 * consistent lengths (and, for errors, a whole quoted IPv4 header + 8 bytes). */
bool eng_icmp_parse(const uint8_t *frame, unsigned len, struct eng_icmp *out);

/* Build an ICMP echo request frame (Ethernet onwards) from @l2 to @dst_be
 * with IP TTL @ttl, 8 payload bytes. Writes up to 64 bytes into @frame and
 * returns the length. */
unsigned eng_icmp_echo_build(uint8_t *frame, const struct eng_l2 *l2, uint32_t dst_be,
			     uint16_t id_be, uint16_t seq_be, uint8_t ttl);

/*
 * The target generator, called on the TX lcore only. Fill up to @max
 * (address, port) pairs, network order, that may be sent now (the callee
 * applies the permutation and the rate limit; @now_ns is eng_now_ns(e)).
 * Return the count (0: nothing now, ask again), or -1 when the sweep is done.
 */
typedef int (*eng_next_fn)(void *gen, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be,
			   unsigned max);

/* Counters, summed over lcores by eng_stats(); read while running is fine. */
struct eng_stats {
	uint64_t sent;	      /* sweep SYNs handed to the PMD */
	uint64_t tx_frames;   /* other frames sent (ARP, RST, stage) */
	uint64_t tx_dropped;  /* frames the PMD or a full ring refused */
	uint64_t rx;	      /* frames received */
	uint64_t synack;      /* unique valid SYN-ACKs */
	uint64_t rst;	      /* unique valid RSTs */
	uint64_t dup;	      /* repeated valid sweep replies */
	uint64_t invalid;     /* TCP to a sweep port with a bad cookie */
	uint64_t other;	      /* not for us, not IPv4/TCP/ARP */
	uint64_t dispatched;  /* frames handed to the stage's rx hook */
	uint64_t ring_full;   /* RX->worker ring full: event dropped */
	uint64_t arp_replies; /* ARP requests for --source-ip answered */
	uint64_t nic_missed;  /* imissed + rx_nombuf from the port */
	uint64_t idle_ns;     /* RX and worker loops' iterations that found nothing to do
			       * (clock time, naps excluded; the TX lcore's not counted) */
	double sweep_s;	      /* first SYN to last SYN handed to the PMD (0 until done) */
};

/* Called once a second on the main lcore while the engine runs. */
typedef void (*eng_tick_fn)(void *arg, const struct eng_stats *st, bool sweep_done,
			    double elapsed_s);

struct eng_config {
	const char *iface;  /* -i as given: kernel ifname, xdp:IF, pci:BDF, net_* */
	const char *lcores; /* EAL -l list, NULL: the CPUs this process may use */
	bool verbose;	    /* EAL log level info instead of error */
	uint32_t src_ip_be;
	uint32_t gw_ip_be; /* resolved by ARP when !have_gw_mac */
	uint8_t gw_mac[6];
	bool have_gw_mac;
	uint16_t sweep_sport_lo, sweep_sport_hi; /* host order */
	uint16_t tcp_sport_lo, tcp_sport_hi;	 /* for the stage (eng_l2) */
	uint8_t cookie_key[16];
	/* dedup space: a bitmap over [ip_lo, ip_hi] x ports (host order addresses) */
	uint32_t dedup_ip_lo, dedup_ip_hi;
	const uint16_t *ports; /* host order, nports entries */
	unsigned nports;
	double cooldown_s;     /* after the sweep, before the stop check */
	bool no_rx;	       /* bench tx: TX only, no RX lcore work */
	unsigned rx_ring_size; /* per-worker event ring (power of 2; 0: 4096) */
};

/*
 * Errors: functions return 0 or a negative errno-style code (constructors
 * NULL) and never print; where the caller must name the bad input, a
 * one-line message that does is left in the caller's @err buffer.
 */

/* Start the EAL and the port. NULL on error, with one line in @err. */
struct eng *eng_open(const struct eng_config *cfg, const char *argv0, char *err, size_t errlen);
/*
 * Resolve cfg->gw_ip_be by ARP (bounded: 5 tries, 1 s apart). 0, or
 * -EHOSTUNREACH with one line in @err.
 */
int eng_resolve_gateway(struct eng *e, char *err, size_t errlen);
unsigned eng_nworkers(const struct eng *e);
const char *eng_port_name(const struct eng *e);
/*
 * Run the scan until the generator is done, cooldown has passed and every
 * worker is idle, or until eng_request_stop(). Returns 0, or -EINTR when a
 * signal stopped it (eng_stop_signal() says which).
 */
int eng_run(struct eng *e, eng_next_fn next, void *gen, const struct eng_stage_ops *ops,
	    void *stage, eng_tick_fn tick, void *tick_arg);
/* Async-signal-safe: ask eng_run to stop (SIGINT/SIGTERM handlers call it). */
void eng_request_stop(int signo);
/* The signal that stopped the run, or 0. */
int eng_stop_signal(void);
/* Install SIGINT/SIGTERM handlers calling eng_request_stop (after EAL init). */
void eng_install_signals(void);
void eng_stats(const struct eng *e, struct eng_stats *out);
/* Stop and close the port, clean up the EAL. NULL is a no-op. */
void eng_close(struct eng *e);

/*
 * Has the sweep had an answer (SYN-ACK or RST, deduplicated) from (@ip_be,
 * @port_be)? *@net_answers: how many addresses of its /24 answered on that
 * port. For the sweep generator's passes over silent targets: it reads the
 * dedup bitmap on the main lcore while RX sets bits, so an answer that lands
 * meanwhile costs at most one SYN more. False (and 0) for what is not a
 * target.
 */
bool eng_sweep_answered(const struct eng *e, uint32_t ip_be, uint16_t port_be,
			unsigned *net_answers);

/*
 * Benchmark of the RX path without a NIC: builds @n distinct SYN-ACK (and
 * every 4th an RST) mbufs with valid cookies, then feeds them again and
 * again for @seconds through validation, dedup and dispatch (the stage
 * hooks of @ops run inline on this lcore). Returns frames processed.
 */
uint64_t eng_bench_rx(struct eng *e, unsigned n, double seconds, const struct eng_stage_ops *ops,
		      void *stage, double *elapsed_s);

#endif
