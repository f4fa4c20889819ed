/* SPDX-License-Identifier: MIT */
/*
 * The packet engine (see engine.h for the lcore roles). EAL arguments are
 * built here from tlsmap's options so the user never types them:
 * --no-huge -m 512 when the machine has no hugepages, a per-process
 * --file-prefix with --no-shconf (--in-memory is refused with --no-huge by
 * DPDK 22.11), -l with the CPUs this process may run on, --log-level=error
 * unless -v. PMDs are autoloaded from the EAL's plugin directory
 * (RTE_EAL_PMD_PATH); otherwise eal_pmd.h finds one at run time (-d DIR),
 * or TLSMAP_PMD_DIR=DIR names it.
 *
 * Memory: one mbuf pool and all rings are made in eng_open(); nothing on
 * the packet path allocates except mbufs from that pool. Mbuf ownership:
 * whatever rte_eth_tx_burst() did not take is freed by the caller that
 * called it; an event mbuf put on a worker ring belongs to that worker,
 * which frees it after the hooks return (frame pointers handed to hooks are
 * valid only during the call).
 */
#include "dpdk/engine.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "dpdk/eal_pmd.h"
#include "dpdk/pkt.h"

#define BURST 32
#define NB_MBUF 32767
#define MBUF_CACHE 256
#define TX_RING_SIZE 8192
/*
 * Idle backoff: after this many loop iterations without a packet in or out
 * an lcore naps for NAP_US (stage timers still run every iteration). At line
 * rate polls are never empty and nobody naps; a rate-limited or finished
 * sweep, or a stage waiting on its timers, gives the CPU back to the kernel
 * (which, with net_af_packet on a veth, does the receiving side's work on
 * the same cores) instead of spinning. Costs at most ~100 us of latency.
 */
#define IDLE_SPINS 256
#define NAP_US 20

enum ev_kind { EV_RX = 0, EV_OPEN = 1, EV_CLOSED = 2, EV_ICMP = 3 };

/* Relaxed single-writer counters: plain loads/stores, no locked ops. */
#define CNT_ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)
#define CNT_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct lcore_stats {
	uint64_t sent, tx_frames, tx_dropped, rx, synack, rst, dup, invalid, other, dispatched,
		ring_full, arp_replies, idle_ns;
};

struct eng_worker {
	struct eng *e;
	unsigned id;
	unsigned lcore;
	struct rte_ring *in; /* events from RX; NULL when inline on the RX lcore */
	void *wctx;
	struct rte_mbuf *txbuf[BURST];
	unsigned ntx;
	struct lcore_stats st;
	int idle; /* published each loop for the stop decision */
} __rte_cache_aligned;

struct tx_state {
	struct pkt_syn_tmpl tmpl;
	uint16_t ipid;
	uint32_t sport_next;
	struct lcore_stats st;
} __rte_cache_aligned;

struct rx_state {
	struct eng_worker self;	 /* RX's own TX buffer (ARP replies, RSTs) and stats */
	struct pkt_rst_tmpl rst; /* answers to SYN-ACKs */
} __rte_cache_aligned;

struct eng {
	struct eng_config cfg;
	uint16_t port;
	char port_name[RTE_ETH_NAME_MAX_LEN];
	struct rte_mempool *pool;
	struct rte_ring *tx_ring; /* MP enqueue (RX, workers), SC dequeue (TX lcore) */
	struct eng_l2 l2;
	bool tx_offload;
	unsigned rx_lcore;
	unsigned nworkers;
	bool inline_worker;	    /* 2 lcores: worker 0 runs on the RX lcore */
	struct eng_worker *workers; /* nworkers, cache aligned */
	struct tx_state tx;
	struct rx_state rx;
	/* dedup bitmap over [ip_lo, ip_hi] x ports, written by RX only */
	uint8_t *seen;
	size_t seen_len;
	uint64_t span;
	uint16_t port_idx[65536]; /* port (host order) -> index + 1; 0: not scanned */
	const struct eng_stage_ops *ops;
	void *stage;
	uint64_t sweep_first_ns, sweep_last_ns; /* main lcore only */
	bool eal_up, port_up;
	/* the clock: ns = (tsc - tsc0) * ns_mult >> 32 (no division per call);
	 * set once in eng_open before any lcore starts, read-only after */
	uint64_t tsc0, ns_mult, unix_us0;
	enum pkt_cookie_impl cookie_impl; /* chosen once in eng_open */
};

/*
 * The stop request is the one process-wide state: a signal handler cannot
 * be handed the engine. Written by the handler and the main lcore, read by
 * every lcore, with lock-free atomic int accesses (async-signal-safe).
 */
static int g_stop;
static int g_stop_signal;

static bool stop_requested(void)
{
	return __atomic_load_n(&g_stop, __ATOMIC_RELAXED) != 0;
}

void eng_request_stop(int signo)
{
	if (signo)
		__atomic_store_n(&g_stop_signal, signo, __ATOMIC_RELAXED);
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
}

int eng_stop_signal(void)
{
	return __atomic_load_n(&g_stop_signal, __ATOMIC_RELAXED);
}

static void on_signal(int signo)
{
	eng_request_stop(signo);
}

void eng_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t eng_now_ns(const struct eng *e)
{
	uint64_t c = rte_get_tsc_cycles() - e->tsc0;

	return (uint64_t)(((unsigned __int128)c * e->ns_mult) >> 32);
}

uint64_t eng_worker_now_ns(const struct eng_worker *w)
{
	return eng_now_ns(w->e);
}

uint64_t eng_ns_to_unix_us(const struct eng *e, uint64_t ns)
{
	return e->unix_us0 + ns / 1000;
}

/* Start the clock (after rte_eal_init: the TSC frequency is known then). */
static void clock_start(struct eng *e)
{
	struct timespec ts;

	e->ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / rte_get_tsc_hz());
	e->tsc0 = rte_get_tsc_cycles();
	clock_gettime(CLOCK_REALTIME, &ts);
	e->unix_us0 = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint32_t eng_cookie(const uint8_t key[16], uint32_t saddr_be, uint32_t daddr_be, uint16_t sport_be,
		    uint16_t dport_be)
{
	uint64_t k0, k1;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	return pkt_cookie_k(k0, k1, saddr_be, daddr_be, sport_be, dport_be);
}

const char *eng_cookie_impl(const struct eng *e)
{
	return pkt_cookie_impl_name(e->cookie_impl);
}

const struct eng_l2 *eng_worker_l2(const struct eng_worker *w)
{
	return &w->e->l2;
}

unsigned eng_nworkers(const struct eng *e)
{
	return e->nworkers;
}

const char *eng_port_name(const struct eng *e)
{
	return e->port_name;
}

/* A negative errno-style code for a DPDK failure that left @rte_err (never 0). */
static int fail_code(int rte_err)
{
	return rte_err > 0 ? -rte_err : -EIO;
}

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- EAL arguments ---- */

static bool no_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long total = 0;

	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Total: %ld", &total) == 1)
			break;
	fclose(f);
	return total == 0;
}

/* The CPUs this process may use, as an EAL -l list ("0-1" style, comma separated). */
static void affinity_list(char *out, size_t cap)
{
	cpu_set_t set;
	size_t n = 0;

	out[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		snprintf(out, cap, "0-1");
		return;
	}
	for (int c = 0; c < CPU_SETSIZE && n + 8 < cap; c++)
		if (CPU_ISSET(c, &set))
			n += (size_t)snprintf(out + n, cap - n, "%s%d", n ? "," : "", c);
	if (!n)
		snprintf(out, cap, "0");
}

struct eal_args {
	char *argv[32];
	int argc;
	char buf[1024];
	size_t used;
};

static void eal_push(struct eal_args *a, const char *s)
{
	size_t len = strlen(s) + 1;

	if (a->argc >= 31 || a->used + len > sizeof(a->buf))
		return;
	memcpy(a->buf + a->used, s, len);
	a->argv[a->argc++] = a->buf + a->used;
	a->used += len;
	a->argv[a->argc] = NULL;
}

static void build_eal_args(struct eal_args *a, const struct eng_config *cfg, const char *argv0,
			   const char *pmd_dir)
{
	char tmp[512];
	const char *i = cfg->iface;

	memset(a, 0, sizeof(*a));
	eal_push(a, argv0);
	/* "0-3" is an -l core list; "0@0,1@1,2@1" maps lcores onto CPUs (--lcores) */
	eal_push(a, cfg->lcores && strchr(cfg->lcores, '@') ? "--lcores" : "-l");
	if (cfg->lcores)
		eal_push(a, cfg->lcores);
	else {
		affinity_list(tmp, sizeof(tmp));
		eal_push(a, tmp);
	}
	if (no_hugepages())
		eal_push(a, "--no-huge");
	eal_push(a, "-m");
	eal_push(a, "512");
	snprintf(tmp, sizeof(tmp), "--file-prefix=tlsmap-%d", (int)getpid());
	eal_push(a, tmp);
	eal_push(a, "--no-shconf");
	eal_push(a, "--no-telemetry");
	eal_push(a, cfg->verbose ? "--log-level=info" : "--log-level=error");
	if (pmd_dir) {
		eal_push(a, "-d");
		eal_push(a, pmd_dir);
	}
	if (strncmp(i, "pci:", 4) == 0) {
		eal_push(a, "-a");
		eal_push(a, i + 4);
		return;
	}
	eal_push(a, "--no-pci");
	eal_push(a, "--vdev");
	if (strncmp(i, "net_", 4) == 0)
		eal_push(a, i);
	else if (strncmp(i, "xdp:", 4) == 0) {
		snprintf(tmp, sizeof(tmp), "net_af_xdp0,iface=%s", i + 4);
		eal_push(a, tmp);
	} else {
		/* framecnt: a deep RX ring, so TLS work on the RX lcore (2 lcores)
		 * does not overflow it */
		snprintf(tmp, sizeof(tmp),
			 "net_af_packet0,iface=%s,qpairs=1,qdisc_bypass=1,framecnt=8192", i);
		eal_push(a, tmp);
	}
}

/* ---- dedup ---- */

static int dedup_init(struct eng *e, char *err, size_t errlen)
{
	const struct eng_config *c = &e->cfg;
	uint64_t bits;

	memset(e->port_idx, 0, sizeof(e->port_idx));
	for (unsigned k = 0; k < c->nports; k++)
		if (!e->port_idx[c->ports[k]])
			e->port_idx[c->ports[k]] = (uint16_t)(k + 1);
	if (!c->nports || c->dedup_ip_hi < c->dedup_ip_lo)
		return 0;
	e->span = (uint64_t)c->dedup_ip_hi - c->dedup_ip_lo + 1;
	bits = e->span * c->nports;
	e->seen_len = (size_t)((bits + 7) / 8);
	/* lazily backed: only pages with replies become resident (ZMap's paged bitmap) */
	e->seen = mmap(NULL, e->seen_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (e->seen == MAP_FAILED) {
		e->seen = NULL;
		int ret = -errno;
		errf(err, errlen, "cannot map the %zu-byte dedup bitmap: %s", e->seen_len,
		     strerror(-ret));
		return ret;
	}
	return 0;
}

/* 1: first time, 0: seen before, -1: not a target */
static inline int dedup_mark(struct eng *e, uint32_t ip_be, uint16_t port_be)
{
	uint32_t ip = rte_be_to_cpu_32(ip_be);
	uint16_t pi = e->port_idx[rte_be_to_cpu_16(port_be)];
	uint64_t bit;
	uint8_t m;

	if (!pi || !e->seen || ip < e->cfg.dedup_ip_lo || ip > e->cfg.dedup_ip_hi)
		return -1;
	bit = (uint64_t)(pi - 1) * e->span + (ip - e->cfg.dedup_ip_lo);
	m = (uint8_t)(1u << (bit & 7));
	if (e->seen[bit >> 3] & m)
		return 0;
	e->seen[bit >> 3] |= m;
	return 1;
}

bool eng_sweep_answered(const struct eng *e, uint32_t ip_be, uint16_t port_be,
			unsigned *net_answers)
{
	uint32_t ip = rte_be_to_cpu_32(ip_be);
	uint16_t pi = e->port_idx[rte_be_to_cpu_16(port_be)];
	const volatile uint8_t *seen = e->seen;

	*net_answers = 0;
	if (!pi || !seen || ip < e->cfg.dedup_ip_lo || ip > e->cfg.dedup_ip_hi)
		return false;
	uint64_t row = (uint64_t)(pi - 1) * e->span;
	uint32_t lo = ip & ~0xffu, hi = ip | 0xffu;
	if (lo < e->cfg.dedup_ip_lo)
		lo = e->cfg.dedup_ip_lo;
	if (hi > e->cfg.dedup_ip_hi)
		hi = e->cfg.dedup_ip_hi;
	uint64_t b = row + (lo - e->cfg.dedup_ip_lo), end = row + (hi - e->cfg.dedup_ip_lo);
	while (b <= end) {
		if ((b & 7) == 0 && b + 7 <= end) { /* a whole byte */
			*net_answers += (unsigned)__builtin_popcount(seen[b >> 3]);
			b += 8;
		} else {
			*net_answers += (seen[b >> 3] >> (b & 7)) & 1u;
			b++;
		}
	}
	uint64_t bit = row + (ip - e->cfg.dedup_ip_lo);
	return (seen[bit >> 3] >> (bit & 7)) & 1u;
}

/* ---- port ---- */

static int port_init(struct eng *e, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_txconf txq;
	struct rte_ether_addr mac;
	uint16_t nb_rxd = 1024, nb_txd = 1024;
	uint64_t want = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	int ret;

	if (rte_eth_dev_count_avail() == 0) {
		errf(err, errlen, "-i %s: no DPDK port came up (see -v for the EAL's reason)",
		     e->cfg.iface);
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(e->port) break;
	rte_eth_dev_get_name_by_port(e->port, e->port_name);
	ret = rte_eth_dev_info_get(e->port, &info);
	if (ret) {
		errf(err, errlen, "%s: dev_info: %s", e->port_name, rte_strerror(-ret));
		return ret;
	}
	memset(&conf, 0, sizeof(conf));
	e->tx_offload = (info.tx_offload_capa & want) == want;
	if (e->tx_offload)
		conf.txmode.offloads |= want;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	ret = rte_eth_dev_configure(e->port, 1, 1, &conf);
	if (ret) {
		errf(err, errlen, "%s: configure: %s", e->port_name, rte_strerror(-ret));
		return ret;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(e->port, &nb_rxd, &nb_txd);
	ret = rte_eth_rx_queue_setup(e->port, 0, nb_rxd, rte_eth_dev_socket_id(e->port), NULL,
				     e->pool);
	if (ret) {
		errf(err, errlen, "%s: rx queue: %s", e->port_name, rte_strerror(-ret));
		return ret;
	}
	txq = info.default_txconf;
	txq.offloads = conf.txmode.offloads;
	ret = rte_eth_tx_queue_setup(e->port, 0, nb_txd, rte_eth_dev_socket_id(e->port), &txq);
	if (ret) {
		errf(err, errlen, "%s: tx queue: %s", e->port_name, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_start(e->port);
	if (ret) {
		errf(err, errlen, "%s: start: %s", e->port_name, rte_strerror(-ret));
		return ret;
	}
	e->port_up = true;
	rte_eth_promiscuous_enable(e->port); /* not all PMDs can; harmless */
	rte_eth_macaddr_get(e->port, &mac);
	memcpy(e->l2.src_mac, mac.addr_bytes, 6);
	return 0;
}

/* The EAL, its lcores split into RX and workers (engine.h), the clock. */
static int eal_start(struct eng *e, const char *argv0, char *err, size_t errlen)
{
	const struct eng_config *cfg = &e->cfg;
	struct eal_args a;
	unsigned lc, nl, k = 0;
	char pmd_dir[1024];

	build_eal_args(&a, cfg, argv0, eal_pmd_dir(pmd_dir, sizeof(pmd_dir)));
	if (rte_eal_init(a.argc, a.argv) < 0) {
		errf(err, errlen, "DPDK EAL init failed for -i %s: %s%s", cfg->iface,
		     rte_strerror(rte_errno),
		     geteuid() ? " (DPDK needs root here)" : " (run with -v for details)");
		return fail_code(rte_errno);
	}
	e->eal_up = true;
	clock_start(e);
	nl = rte_lcore_count();
	if (nl < 2 && !cfg->no_rx) {
		errf(err, errlen, "tlsmap needs at least 2 lcores (TX and RX); -l gave %u", nl);
		return -EINVAL;
	}
	e->rx_lcore = RTE_MAX_LCORE;
	RTE_LCORE_FOREACH_WORKER(lc)
	{
		if (e->rx_lcore == RTE_MAX_LCORE)
			e->rx_lcore = lc;
		else
			k++;
	}
	e->inline_worker = k == 0;
	e->nworkers = k ? k : 1;
	if (posix_memalign((void **)&e->workers, RTE_CACHE_LINE_SIZE,
			   sizeof(*e->workers) * e->nworkers)) {
		errf(err, errlen, "out of memory for %u workers", e->nworkers);
		return -ENOMEM;
	}
	memset(e->workers, 0, sizeof(*e->workers) * e->nworkers);
	k = 0;
	RTE_LCORE_FOREACH_WORKER(lc)
	{
		if (lc != e->rx_lcore)
			e->workers[k++].lcore = lc;
	}
	if (e->inline_worker)
		e->workers[0].lcore = e->rx_lcore;
	return 0;
}

/* The mbuf pool, the TX ring and one event ring per worker (none when inline). */
static int pools_create(struct eng *e, char *err, size_t errlen)
{
	char name[32];

	e->pool = rte_pktmbuf_pool_create("tlsmap_mbuf", NB_MBUF, MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!e->pool) {
		errf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
		return fail_code(rte_errno);
	}
	e->tx_ring =
		rte_ring_create("tlsmap_tx", TX_RING_SIZE, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (!e->tx_ring) {
		errf(err, errlen, "tx ring: %s", rte_strerror(rte_errno));
		return fail_code(rte_errno);
	}
	for (unsigned k = 0; k < e->nworkers; k++) {
		struct eng_worker *w = &e->workers[k];
		w->e = e;
		w->id = k;
		w->idle = 1;
		if (e->inline_worker)
			continue;
		snprintf(name, sizeof(name), "tlsmap_w%u", k);
		w->in = rte_ring_create(name, e->cfg.rx_ring_size ? e->cfg.rx_ring_size : 4096,
					(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!w->in) {
			errf(err, errlen, "worker ring: %s", rte_strerror(rte_errno));
			return fail_code(rte_errno);
		}
	}
	e->rx.self.e = e;
	return 0;
}

struct eng *eng_open(const struct eng_config *cfg, const char *argv0, char *err, size_t errlen)
{
	struct eng *e;

	/* the EAL is not up yet: plain allocation */
	if (posix_memalign((void **)&e, RTE_CACHE_LINE_SIZE, sizeof(*e))) {
		errf(err, errlen, "out of memory for the engine");
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	/* TLSMAP_COOKIE_IMPL=scalar|avx2 caps it, for tests */
	e->cookie_impl = pkt_cookie_pick(getenv("TLSMAP_COOKIE_IMPL"));
	if (eal_start(e, argv0, err, errlen) || pools_create(e, err, errlen) ||
	    port_init(e, err, errlen) || dedup_init(e, err, errlen)) {
		eng_close(e);
		return NULL;
	}
	e->l2.src_ip_be = cfg->src_ip_be;
	memcpy(e->l2.gw_mac, cfg->gw_mac, 6);
	e->l2.sport_lo = cfg->tcp_sport_lo;
	e->l2.sport_hi = cfg->tcp_sport_hi;
	memcpy(e->l2.cookie_key, cfg->cookie_key, 16);
	return e;
}

void eng_close(struct eng *e)
{
	if (!e)
		return;
	if (e->port_up) {
		rte_eth_dev_stop(e->port);
		rte_eth_dev_close(e->port);
	}
	if (e->seen)
		munmap(e->seen, e->seen_len);
	if (e->eal_up) {
		for (unsigned k = 0; e->workers && k < e->nworkers; k++)
			rte_ring_free(e->workers[k].in);
		rte_ring_free(e->tx_ring);
		rte_mempool_free(e->pool);
		rte_eal_cleanup();
	}
	free(e->workers);
	free(e);
}

/* ---- TX helpers ---- */

/* Queue a frame from any non-TX lcore: copy into an mbuf, buffer, flush in bursts. */
static int queue_frame(struct eng_worker *w, const uint8_t *frame, uint16_t len)
{
	struct rte_mbuf *m;
	char *p;

	m = rte_pktmbuf_alloc(w->e->pool);
	if (!m) {
		CNT_ADD(w->st.tx_dropped, 1);
		return -ENOBUFS;
	}
	p = rte_pktmbuf_append(m, len);
	if (!p) {
		rte_pktmbuf_free(m);
		CNT_ADD(w->st.tx_dropped, 1);
		return -ENOBUFS;
	}
	memcpy(p, frame, len);
	w->txbuf[w->ntx++] = m;
	if (w->ntx == BURST) {
		unsigned n =
			rte_ring_mp_enqueue_burst(w->e->tx_ring, (void **)w->txbuf, w->ntx, NULL);
		if (n < w->ntx) {
			rte_pktmbuf_free_bulk(w->txbuf + n, w->ntx - n);
			CNT_ADD(w->st.tx_dropped, w->ntx - n);
		}
		w->ntx = 0;
	}
	return 0;
}

static unsigned flush_frames(struct eng_worker *w)
{
	unsigned n, queued = w->ntx;

	if (!w->ntx)
		return 0;
	n = rte_ring_mp_enqueue_burst(w->e->tx_ring, (void **)w->txbuf, w->ntx, NULL);
	if (n < w->ntx) {
		rte_pktmbuf_free_bulk(w->txbuf + n, w->ntx - n);
		CNT_ADD(w->st.tx_dropped, w->ntx - n);
	}
	w->ntx = 0;
	return queued;
}

/* The RST for a SYN-ACK, built in place in its mbuf from the RX template. */
static void queue_rst(struct eng_worker *w, const struct pkt_rst_tmpl *t, uint32_t daddr_be,
		      uint16_t sport_be, uint16_t dport_be, uint32_t seq_host)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->e->pool);

	if (!m) {
		CNT_ADD(w->st.tx_dropped, 1);
		return;
	}
	pkt_rst_fill(t, rte_pktmbuf_mtod(m, uint8_t *), daddr_be, sport_be, dport_be, seq_host);
	m->data_len = 60;
	m->pkt_len = 60;
	CNT_ADD(w->st.tx_frames, 1);
	w->txbuf[w->ntx++] = m;
	if (w->ntx == BURST)
		flush_frames(w);
}

int eng_tx_frame(struct eng_worker *w, const uint8_t *frame, uint16_t len)
{
	if (len > RTE_MBUF_DEFAULT_DATAROOM)
		return -ENOBUFS;
	CNT_ADD(w->st.tx_frames, 1);
	return queue_frame(w, frame, len);
}

/* ---- RX path ---- */

static inline unsigned worker_of(const struct eng *e, uint32_t ip_be, uint16_t port_be)
{
	uint64_t h = ((uint64_t)ip_be << 16 | port_be) * 0x9e3779b97f4a7c15ULL;

	return e->nworkers == 1 ? 0 : (unsigned)((h >> 32) % e->nworkers);
}

static void run_event(struct eng_worker *w, struct rte_mbuf *m, unsigned kind, uint64_t now)
{
	const struct eng_stage_ops *ops = w->e->ops;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	if (kind == EV_RX) {
		if (ops->rx)
			ops->rx(w->wctx, f, m->data_len, now);
		return;
	}
	if (kind == EV_ICMP) {
		if (ops->icmp)
			ops->icmp(w->wctx, f, m->data_len, now);
		return;
	}
	/* sweep reply: the remote is the frame's source */
	uint32_t ip_be;
	uint16_t port_be;
	memcpy(&ip_be, f + PKT_OFF_IP + 12, 4);
	memcpy(&port_be, f + PKT_OFF_IP + (unsigned)(f[PKT_OFF_IP] & 0xf) * 4, 2);
	if (kind == EV_OPEN && ops->open)
		ops->open(w->wctx, ip_be, port_be, now);
	else if (kind == EV_CLOSED && ops->closed)
		ops->closed(w->wctx, ip_be, port_be, now);
}

/* Hand @m to its worker (inline, or through the worker's ring). Consumes @m. */
static void dispatch(struct eng *e, struct rte_mbuf *m, unsigned kind, uint32_t ip_be,
		     uint16_t port_be, uint64_t now)
{
	struct eng_worker *w = &e->workers[worker_of(e, ip_be, port_be)];

	if (!w->in) {
		run_event(w, m, kind, now);
		rte_pktmbuf_free(m);
		return;
	}
	m->hash.usr = kind;
	if (rte_ring_sp_enqueue(w->in, m) != 0) {
		CNT_ADD(e->rx.self.st.ring_full, 1);
		rte_pktmbuf_free(m);
	}
}

/*
 * ICMP for the stage (localisation): hand it to the worker that owns the
 * flow it is about, as a TCP frame of that flow would be. true when @m was
 * consumed.
 */
static bool icmp_dispatch(struct eng *e, struct rte_mbuf *m, const uint8_t *f, uint64_t now)
{
	const struct eng_config *c = &e->cfg;
	struct eng_icmp ic;

	if (m->data_len < PKT_ETH_LEN + PKT_IP_LEN || f[12] != 0x08 || f[13] != 0x00 ||
	    f[PKT_OFF_IP + 9] != 1)
		return false;
	if (!eng_icmp_parse(f, m->data_len, &ic) || ic.dst_be != c->src_ip_be)
		return false;
	if (ic.type == ENG_ICMP_ECHO_REPLY) {
		dispatch(e, m, EV_ICMP, ic.src_be, ic.echo_id_be, now);
		return true;
	}
	if (!ic.quoted)
		return false;
	if (ic.q_proto == 1) {
		dispatch(e, m, EV_ICMP, ic.q_dst_be, ic.echo_id_be, now);
		return true;
	}
	uint16_t sport = rte_be_to_cpu_16(ic.q_sport_be);
	if (ic.q_proto == 6 && sport >= c->tcp_sport_lo && sport <= c->tcp_sport_hi) {
		dispatch(e, m, EV_ICMP, ic.q_dst_be, ic.q_dport_be, now);
		return true;
	}
	return false;
}

/*
 * Classify a burst. Pass 1 parses every frame, answers ARP, hands stage
 * frames to their worker and collects sweep-reply candidates (SYN-ACK or
 * RST to a sweep source port); pass 2 computes their cookies as one burst
 * (pkt_cookie_burst: SIMD SipHash) and validates, dedups and dispatches.
 * Consumes every mbuf.
 */
static void rx_handle(struct eng *e, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	struct eng_worker *self = &e->rx.self;
	const struct eng_config *c = &e->cfg;
	struct rte_mbuf *cm[BURST];
	uint32_t caddr[BURST], cack[BURST], cookie[BURST];
	uint16_t clport[BURST], crport[BURST];
	uint8_t cflags[BURST];
	unsigned nc = 0;

	CNT_ADD(self->st.rx, n);
	for (unsigned k = 0; k < n; k++) {
		struct rte_mbuf *m = pkts[k];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		struct pkt_tcp_view v;
		uint16_t dport;

		if (k + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[k + 1], void *));
		if (m->nb_segs != 1 || m->data_len < PKT_ETH_LEN) /* no room for the EtherType */
			goto other;
		if (f[12] == 0x08 && f[13] == 0x06) {
			uint16_t op;
			uint8_t sha[6], reply[PKT_ARP_LEN];
			uint32_t spa, tpa;
			if (pkt_parse_arp(f, m->data_len, &op, sha, &spa, &tpa) &&
			    op == PKT_ARP_REQUEST && tpa == c->src_ip_be) {
				pkt_build_arp(reply, PKT_ARP_REPLY, e->l2.src_mac, c->src_ip_be,
					      sha, spa);
				if (queue_frame(self, reply, PKT_ARP_LEN) == 0)
					CNT_ADD(self->st.arp_replies, 1);
			}
			goto other;
		}
		if (e->ops && e->ops->icmp && icmp_dispatch(e, m, f, now))
			continue;
		if (!pkt_parse_tcp(f, m->data_len, &v) || v.daddr_be != c->src_ip_be)
			goto other;
		dport = rte_be_to_cpu_16(v.dport_be);
		if (dport >= c->sweep_sport_lo && dport <= c->sweep_sport_hi) {
			bool synack = (v.flags & (PKT_TCP_SYN | PKT_TCP_ACK)) ==
				      (PKT_TCP_SYN | PKT_TCP_ACK);
			if (!synack && !(v.flags & PKT_TCP_RST)) {
				CNT_ADD(self->st.invalid, 1);
				rte_pktmbuf_free(m);
				continue;
			}
			cm[nc] = m;
			caddr[nc] = v.saddr_be;
			clport[nc] = v.dport_be;
			crport[nc] = v.sport_be;
			cack[nc] = v.ack;
			cflags[nc] = synack;
			nc++;
			continue;
		}
		if (dport >= c->tcp_sport_lo && dport <= c->tcp_sport_hi && e->ops && e->ops->rx) {
			CNT_ADD(self->st.dispatched, 1);
			dispatch(e, m, EV_RX, v.saddr_be, v.sport_be, now);
			continue;
		}
	other:
		CNT_ADD(self->st.other, 1);
		rte_pktmbuf_free(m);
	}
	if (!nc)
		return;
	pkt_cookie_burst(e->cookie_impl, e->tx.tmpl.k0, e->tx.tmpl.k1, c->src_ip_be, caddr, clport,
			 crport, cookie, nc);
	for (unsigned k = 0; k < nc; k++) {
		int fresh;

		if (cack[k] - 1 != cookie[k])
			goto invalid;
		if (cflags[k]) /* no kernel owns src_ip: reset the half-open connection ourselves */
			queue_rst(self, &e->rx.rst, caddr[k], clport[k], crport[k], cack[k]);
		fresh = dedup_mark(e, caddr[k], crport[k]);
		if (fresh < 0)
			goto invalid;
		if (!fresh) {
			CNT_ADD(self->st.dup, 1);
			rte_pktmbuf_free(cm[k]);
			continue;
		}
		if (cflags[k])
			CNT_ADD(self->st.synack, 1);
		else
			CNT_ADD(self->st.rst, 1);
		dispatch(e, cm[k], cflags[k] ? EV_OPEN : EV_CLOSED, caddr[k], crport[k], now);
		continue;
	invalid:
		CNT_ADD(self->st.invalid, 1);
		rte_pktmbuf_free(cm[k]);
	}
}

/* ---- lcore loops ---- */

static void worker_start(struct eng_worker *w)
{
	if (w->e->ops && w->e->ops->worker_init)
		w->wctx = w->e->ops->worker_init(w->e->stage, w->id, w);
}

/* One loop of a worker; returns the work done (events + frames sent), 0 when idle. */
static unsigned worker_step(struct eng_worker *w, uint64_t now)
{
	const struct eng_stage_ops *ops = w->e->ops;
	struct rte_mbuf *ev[BURST];
	unsigned n = 0;

	if (w->in) {
		n = rte_ring_sc_dequeue_burst(w->in, (void **)ev, BURST, NULL);
		for (unsigned k = 0; k < n; k++) {
			run_event(w, ev[k], (unsigned)ev[k]->hash.usr, now);
			rte_pktmbuf_free(ev[k]);
		}
	}
	if (ops && ops->poll)
		ops->poll(w->wctx, now);
	n += flush_frames(w);
	__atomic_store_n(&w->idle,
			 (!ops || !ops->idle || ops->idle(w->wctx)) &&
				 (!w->in || rte_ring_empty(w->in)),
			 __ATOMIC_RELEASE);
	return n;
}

static void worker_finish(struct eng_worker *w)
{
	flush_frames(w);
	if (w->e->ops && w->e->ops->worker_fini)
		w->e->ops->worker_fini(w->wctx);
}

/* True when it slept. */
static bool nap(unsigned *idle, bool busy)
{
	if (busy) {
		*idle = 0;
		return false;
	}
	if (++*idle >= IDLE_SPINS) {
		*idle = IDLE_SPINS / 2;
		usleep(NAP_US);
		return true;
	}
	return false;
}

/*
 * An RX or worker loop's idle time (eng_stats.idle_ns): the iterations that
 * found nothing to do, timed by the clock each iteration reads anyway (from
 * its start to the next one's), naps left out (not time on a CPU). The
 * loop calls idle_account() at the top of each iteration with its @now,
 * and idle_next() at the end: @since is 0 unless the iteration was idle
 * and did not nap.
 */
static void idle_account(struct lcore_stats *st, uint64_t since, uint64_t now)
{
	if (since && now > since)
		CNT_ADD(st->idle_ns, now - since);
}

static uint64_t idle_next(unsigned *idle, bool busy, uint64_t now)
{
	return nap(idle, busy) || busy ? 0 : now;
}

static int rx_main(void *arg)
{
	struct eng *e = arg;
	struct rte_mbuf *pkts[BURST];
	unsigned idle = 0;
	uint64_t idle_since = 0;

	if (e->inline_worker)
		worker_start(&e->workers[0]);
	while (!stop_requested()) {
		uint64_t now = eng_now_ns(e);
		idle_account(&e->rx.self.st, idle_since, now);
		unsigned n = rte_eth_rx_burst(e->port, 0, pkts, BURST);
		unsigned work = n;
		if (n)
			rx_handle(e, pkts, n, now);
		work += flush_frames(&e->rx.self);
		if (e->inline_worker)
			work += worker_step(&e->workers[0], now);
		idle_since = idle_next(&idle, work != 0, now);
	}
	if (e->inline_worker)
		worker_finish(&e->workers[0]);
	flush_frames(&e->rx.self);
	return 0;
}

static int worker_main(void *arg)
{
	struct eng_worker *w = arg;

	unsigned idle = 0;
	uint64_t idle_since = 0;

	worker_start(w);
	while (!stop_requested()) {
		uint64_t now = eng_now_ns(w->e);
		idle_account(&w->st, idle_since, now);
		idle_since = idle_next(&idle, worker_step(w, now) != 0, now);
	}
	worker_finish(w);
	return 0;
}

/* Send everything in @m[0..n), retrying while the PMD is busy; free the rest on stop. */
static unsigned tx_all(struct eng *e, struct rte_mbuf **m, unsigned n)
{
	unsigned sent = 0;
	unsigned spins = 0;

	while (sent < n) {
		unsigned k = rte_eth_tx_burst(e->port, 0, m + sent, (uint16_t)(n - sent));
		sent += k;
		if (k == 0 && (stop_requested() || ++spins > 1000000))
			break;
	}
	if (sent < n) {
		rte_pktmbuf_free_bulk(m + sent, n - sent);
		CNT_ADD(e->tx.st.tx_dropped, n - sent);
	}
	return sent;
}

static unsigned drain_tx_ring(struct eng *e)
{
	struct rte_mbuf *m[BURST];
	unsigned n = rte_ring_sc_dequeue_burst(e->tx_ring, (void **)m, BURST, NULL);

	if (n)
		tx_all(e, m, n);
	return n;
}

/* Build and send up to BURST SYNs; returns -1 when the generator is done. */
static int tx_sweep_burst(struct eng *e, eng_next_fn next, void *gen, uint64_t now)
{
	struct tx_state *t = &e->tx;
	uint32_t ips[BURST];
	uint16_t ports[BURST];
	uint16_t sports[BURST];
	uint32_t seqs[BURST];
	struct rte_mbuf *m[BURST];
	uint32_t nsp = (uint32_t)e->cfg.sweep_sport_hi - e->cfg.sweep_sport_lo + 1;
	int n = next(gen, now, ips, ports, BURST);

	if (n <= 0)
		return n;
	for (int k = 0; k < n; k++) {
		sports[k] = rte_cpu_to_be_16((uint16_t)(e->cfg.sweep_sport_lo + t->sport_next));
		if (++t->sport_next == nsp)
			t->sport_next = 0;
	}
	pkt_cookie_burst(e->cookie_impl, t->tmpl.k0, t->tmpl.k1, t->tmpl.saddr_be, ips, sports,
			 ports, seqs, (unsigned)n);
	if (rte_pktmbuf_alloc_bulk(e->pool, m, (unsigned)n) != 0) {
		/* pool momentarily empty (PMD still holds mbufs): these targets would be
		 * lost, so wait for completions instead */
		while (rte_pktmbuf_alloc_bulk(e->pool, m, (unsigned)n) != 0) {
			drain_tx_ring(e);
			rte_eth_tx_done_cleanup(e->port, 0, 0);
			if (stop_requested())
				return 0;
		}
	}
	for (int k = 0; k < n; k++) {
		uint8_t *f = rte_pktmbuf_mtod(m[k], uint8_t *);
		pkt_syn_fill_seq(&t->tmpl, f, ips[k], sports[k], ports[k], t->ipid++, seqs[k]);
		m[k]->data_len = PKT_SYN_LEN;
		m[k]->pkt_len = PKT_SYN_LEN;
		if (t->tmpl.offload) {
			m[k]->l2_len = PKT_ETH_LEN;
			m[k]->l3_len = PKT_IP_LEN;
			m[k]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
					 RTE_MBUF_F_TX_TCP_CKSUM;
		}
	}
	CNT_ADD(t->st.sent, tx_all(e, m, (unsigned)n));
	if (!e->sweep_first_ns)
		e->sweep_first_ns = now;
	e->sweep_last_ns = eng_now_ns(e);
	return n;
}

static bool all_idle(struct eng *e)
{
	for (unsigned k = 0; k < e->nworkers; k++)
		if (!__atomic_load_n(&e->workers[k].idle, __ATOMIC_ACQUIRE))
			return false;
	return rte_ring_empty(e->tx_ring);
}

int eng_run(struct eng *e, eng_next_fn next, void *gen, const struct eng_stage_ops *ops,
	    void *stage, eng_tick_fn tick, void *tick_arg)
{
	uint64_t start = eng_now_ns(e), last_tick = start, done_at = 0;
	uint64_t cool = (uint64_t)(e->cfg.cooldown_s * 1e9);
	bool sweep_done = false;
	unsigned idle = 0;
	struct eng_stats st;

	if (!eng_stop_signal()) /* a previous run's stop; a signal received still stops this one */
		__atomic_store_n(&g_stop, 0, __ATOMIC_RELAXED);
	e->ops = ops;
	e->stage = stage;
	pkt_syn_tmpl_init(&e->tx.tmpl, e->l2.src_mac, e->l2.gw_mac, e->cfg.src_ip_be,
			  e->cfg.cookie_key, e->tx_offload);
	pkt_rst_tmpl_init(&e->rx.rst, e->l2.src_mac, e->l2.gw_mac, e->cfg.src_ip_be);
	if (!e->cfg.no_rx) {
		rte_eal_remote_launch(rx_main, e, e->rx_lcore);
		if (!e->inline_worker)
			for (unsigned k = 0; k < e->nworkers; k++)
				rte_eal_remote_launch(worker_main, &e->workers[k],
						      e->workers[k].lcore);
	}
	while (!stop_requested()) {
		uint64_t now = eng_now_ns(e);
		int sent = 0;
		unsigned drained = drain_tx_ring(e);

		if (!sweep_done) {
			sent = tx_sweep_burst(e, next, gen, now);
			if (sent < 0) {
				sweep_done = true;
				done_at = now;
			}
		} else if (now - done_at >= cool && (e->cfg.no_rx || all_idle(e))) {
			break;
		}
		nap(&idle, sent != 0 || drained);
		if (tick && now - last_tick >= 1000000000ull) {
			last_tick = now;
			eng_stats(e, &st);
			tick(tick_arg, &st, sweep_done, (double)(now - start) / 1e9);
		}
	}
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	/* frames queued by the last loops of RX and workers */
	while (!rte_ring_empty(e->tx_ring))
		drain_tx_ring(e);
	return eng_stop_signal() ? -EINTR : 0;
}

void eng_stats(const struct eng *e, struct eng_stats *o)
{
	const struct lcore_stats *all[2 + RTE_MAX_LCORE];
	struct rte_eth_stats ps;
	unsigned n = 0;

	memset(o, 0, sizeof(*o));
	all[n++] = &e->tx.st;
	all[n++] = &e->rx.self.st;
	for (unsigned k = 0; k < e->nworkers; k++)
		all[n++] = &e->workers[k].st;
	for (unsigned k = 0; k < n; k++) {
		const struct lcore_stats *s = all[k];
		o->sent += CNT_GET(s->sent);
		o->tx_frames += CNT_GET(s->tx_frames);
		o->tx_dropped += CNT_GET(s->tx_dropped);
		o->rx += CNT_GET(s->rx);
		o->synack += CNT_GET(s->synack);
		o->rst += CNT_GET(s->rst);
		o->dup += CNT_GET(s->dup);
		o->invalid += CNT_GET(s->invalid);
		o->other += CNT_GET(s->other);
		o->dispatched += CNT_GET(s->dispatched);
		o->ring_full += CNT_GET(s->ring_full);
		o->arp_replies += CNT_GET(s->arp_replies);
		o->idle_ns += CNT_GET(s->idle_ns);
	}
	if (e->sweep_first_ns)
		o->sweep_s = (double)(e->sweep_last_ns - e->sweep_first_ns) / 1e9;
	if (e->port_up && rte_eth_stats_get(e->port, &ps) == 0)
		o->nic_missed = ps.imissed + ps.rx_nombuf;
}

/* ---- ARP resolution of the gateway, before the run, on the main lcore ---- */

int eng_resolve_gateway(struct eng *e, char *err, size_t errlen)
{
	uint8_t req[PKT_ARP_LEN];
	struct rte_mbuf *pkts[BURST];
	char ipstr[16];
	uint32_t gw = rte_be_to_cpu_32(e->cfg.gw_ip_be);

	snprintf(ipstr, sizeof(ipstr), "%u.%u.%u.%u", gw >> 24, (gw >> 16) & 255, (gw >> 8) & 255,
		 gw & 255);
	pkt_build_arp(req, PKT_ARP_REQUEST, e->l2.src_mac, e->cfg.src_ip_be, NULL, e->cfg.gw_ip_be);
	for (int attempt = 0; attempt < 5 && !stop_requested(); attempt++) {
		struct eng_worker *self = &e->rx.self;
		uint64_t until;

		queue_frame(self, req, PKT_ARP_LEN);
		flush_frames(self);
		drain_tx_ring(e);
		until = eng_now_ns(e) + 1000000000ull;
		while (eng_now_ns(e) < until && !stop_requested()) {
			unsigned n = rte_eth_rx_burst(e->port, 0, pkts, BURST);
			for (unsigned k = 0; k < n; k++) {
				const uint8_t *f = rte_pktmbuf_mtod(pkts[k], const uint8_t *);
				uint16_t op;
				uint8_t sha[6];
				uint32_t spa, tpa;
				if (pkt_parse_arp(f, pkts[k]->data_len, &op, sha, &spa, &tpa)) {
					if (op == PKT_ARP_REPLY && spa == e->cfg.gw_ip_be &&
					    tpa == e->cfg.src_ip_be) {
						memcpy(e->l2.gw_mac, sha, 6);
						memcpy(e->cfg.gw_mac, sha, 6);
						rte_pktmbuf_free_bulk(pkts + k, n - k);
						return 0;
					}
					if (op == PKT_ARP_REQUEST && tpa == e->cfg.src_ip_be) {
						uint8_t rep[PKT_ARP_LEN];
						pkt_build_arp(rep, PKT_ARP_REPLY, e->l2.src_mac,
							      e->cfg.src_ip_be, sha, spa);
						queue_frame(self, rep, PKT_ARP_LEN);
					}
				}
				rte_pktmbuf_free(pkts[k]);
			}
			flush_frames(self);
			drain_tx_ring(e);
			if (!n)
				usleep(1000);
		}
	}
	errf(err, errlen,
	     "--gateway-ip %s: no ARP reply on %s after 5 tries (pass -G MAC to skip ARP)", ipstr,
	     e->cfg.iface);
	return -EHOSTUNREACH;
}

/* ---- RX benchmark ---- */

uint64_t eng_bench_rx(struct eng *e, unsigned n, double seconds, const struct eng_stage_ops *ops,
		      void *stage, double *elapsed_s)
{
	struct rte_mbuf **frames;
	uint64_t done = 0, t0, t1, limit;
	const struct eng_config *c = &e->cfg;
	unsigned made = 0;

	e->ops = ops;
	e->stage = stage;
	pkt_syn_tmpl_init(&e->tx.tmpl, e->l2.src_mac, e->l2.gw_mac, c->src_ip_be, c->cookie_key,
			  false);
	pkt_rst_tmpl_init(&e->rx.rst, e->l2.src_mac, e->l2.gw_mac, c->src_ip_be);
	/* the bench runs the worker inline, whatever the lcore count */
	for (unsigned k = 0; k < e->nworkers; k++) {
		e->workers[k].in = NULL;
		worker_start(&e->workers[k]);
	}
	frames = calloc(n, sizeof(*frames));
	if (!frames)
		return 0;
	for (; made < n; made++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(e->pool);
		uint8_t *f;
		uint32_t ip = c->dedup_ip_lo + made % (uint32_t)e->span;
		uint32_t ip_be = rte_cpu_to_be_32(ip);
		uint16_t rport = rte_cpu_to_be_16(c->ports[0]);
		uint16_t lport = rte_cpu_to_be_16(c->sweep_sport_lo);
		uint32_t ck;

		if (!m)
			break;
		f = (uint8_t *)rte_pktmbuf_append(m, PKT_SYN_LEN);
		/* a SYN from the target to us, then turned into SYN-ACK/RST */
		struct pkt_syn_tmpl back;
		pkt_syn_tmpl_init(&back, e->l2.gw_mac, e->l2.src_mac, ip_be, c->cookie_key, false);
		pkt_syn_fill(&back, f, c->src_ip_be, rport, lport, 0);
		ck = pkt_cookie_k(e->tx.tmpl.k0, e->tx.tmpl.k1, c->src_ip_be, ip_be, lport, rport);
		f[PKT_OFF_TCP + 8] = (uint8_t)((ck + 1) >> 24);
		f[PKT_OFF_TCP + 9] = (uint8_t)((ck + 1) >> 16);
		f[PKT_OFF_TCP + 10] = (uint8_t)((ck + 1) >> 8);
		f[PKT_OFF_TCP + 11] = (uint8_t)(ck + 1);
		f[PKT_OFF_TCP + 13] =
			(made % 4 == 3) ? (PKT_TCP_RST | PKT_TCP_ACK) : (PKT_TCP_SYN | PKT_TCP_ACK);
		frames[made] = m;
	}
	t0 = eng_now_ns(e);
	limit = t0 + (uint64_t)(seconds * 1e9);
	for (;;) {
		uint64_t now = eng_now_ns(e);
		if (now >= limit || stop_requested())
			break;
		for (unsigned k = 0; k + BURST <= made; k += BURST) {
			for (unsigned j = 0; j < BURST; j++)
				rte_mbuf_refcnt_update(frames[k + j], 1);
			rx_handle(e, frames + k, BURST, now);
			flush_frames(&e->rx.self);
			/* stand-in for the TX lcore: the RSTs go to a null sink */
			struct rte_mbuf *out[BURST];
			unsigned got;
			while ((got = rte_ring_sc_dequeue_burst(e->tx_ring, (void **)out, BURST,
								NULL)))
				rte_pktmbuf_free_bulk(out, got);
			done += BURST;
		}
		/* a fresh bitmap each pass, so every pass is first-time replies */
		if (e->seen)
			memset(e->seen, 0, e->seen_len < (1u << 20) ? e->seen_len : (1u << 20));
	}
	t1 = eng_now_ns(e);
	for (unsigned k = 0; k < e->nworkers; k++)
		worker_finish(&e->workers[k]);
	for (unsigned k = 0; k < made; k++)
		rte_pktmbuf_free(frames[k]);
	free(frames);
	*elapsed_s = (double)(t1 - t0) / 1e9;
	return done;
}
