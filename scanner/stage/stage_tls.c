/* SPDX-License-Identifier: MIT */
/*
 * The TLS stage: turns the sweep's open (host, port) pairs into probes.
 *
 * Per host: the control SNI first (its chain is the host's own), then, if
 * the host is eligible (--eligible any: the control probe captured a chain;
 * trusted: that chain also verifies), one connection per test SNI, at most
 * TLS_STAGE_PER_HOST at a time. A host whose control probe gave no chain
 * gets no test probes: there is nothing to compare a test chain with, and
 * a tarpit would otherwise cost one read timeout per SNI.
 *
 * Per probe: the fast path (template ClientHello, streaming parser over the
 * plaintext flight); on a protocol_version/handshake_failure alert or a TLS
 * 1.3 ServerHello, and always with --tls13, the OpenSSL path over the same
 * userspace TCP on a new connection. When the probe ends: verification at
 * the probe's time, name match, the verdict against the host's control
 * chain, geolocation (once per host), and one writer item with the Probe
 * and the Certificates this worker has not sent before (the writer's own
 * dedup is authoritative).
 *
 * Everything here runs on the worker's lcore: the hosts and probes a
 * worker sees are its own (the engine sends every packet of a remote
 * (ip, port) to the same worker). Fixed tables are made at worker_init;
 * the receive buffer of a probe is allocated when its first byte arrives
 * and freed when the probe ends. Its growth is charged to the worker's
 * share of --rx-budget through the TCP table (tcp_rx_charge): when the
 * budget has no room, the bytes are left to the peer to send again
 * (TCP_APP_WAIT) and the TCP opens no new connection, so the budget bounds
 * memory without deciding any probe's outcome.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <time.h>

#include <openssl/sha.h>

#include "dpdk/tcp.h"
#include "geo/geo.h"
#include "parsers/tls.h"
#include "parsers/verdict.h"
#include "parsers/verify.h"
#include "parsers/x509.h"
#include "scanner/stage/cert_record.h"
#include "scanner/stage/evidence.h"
#include "scanner/stage/localize.h"
#include "scanner/stage/stage.h"
#include "scanner/stage/stage_tls.h"
#include "scanner/stage/resume.h"
#include "scanner/core/rate.h"
#include "scanner/stage/stage_tls_chain.h"
#include "scanner/stage/stage_tls_sched.h"

#define NONE UINT32_MAX
#define CHUNK 4096u /* bytes fed to the parser at a time */
#define SEEN_BITS 16
#define LAUNCH_PER_POLL 64
#define CERT_CACHE_SLOTS 4096u	     /* certificates per worker (stage_tls_chain.h) */
#define CHAIN_CACHE_SLOTS 4096u	     /* verified chains per worker */
#define TLS_SYN_RTO_NS 1000000000ull /* dpdk/tcp's first SYN retransmission (tcp_cfg) */
#define DEFER_CAP 8192		     /* items per worker waiting for cross-host evidence */
#define DEFER_SCAN_NS 100000000ull   /* how often the deferred items are looked at */
#define LOC_JOBS 64		     /* localisations at once per worker */
#define LOC_CONN_SHARE 8	     /* localisation takes at most 1/8 of the probe slots */

enum probe_path { PATH_FAST = 1, PATH_OSSL = 2 };
/* tls_probe.sni: a test SNI's index, or one of the two control probes */
enum { SNI_CONTROL = -1, SNI_CONTROL2 = -2 };

struct probe_item;

struct tls_stage {
	struct stage_ctx ctx;
	const struct scan_config *cfg;
	struct tls_hello_tmpl hello;
	struct verify_store *roots;
	const struct icpt_list *icpt; /* the scan config's, loaded before any packet */
	struct ev_table *ev;	      /* cross-host evidence, shared by the workers */
	bool localize;		      /* not --no-localize */
	bool profile;		      /* count cycles by part (stage_tls_profile) */
	bool eligible_any;
	uint32_t per_worker_conns;
	uint64_t rx_budget;	    /* --rx-budget or its default; split over the workers */
	struct sched_cfg sched_cfg; /* each worker's share of the limits */
	/* summed by the workers at fini (under the lock), printed at close */
	pthread_mutex_t lock;
	struct tcp_stats tcp;
	uint64_t peak_buf_bytes, table_bytes, retries_ossl, retries_tcp;
	struct sched_stats sched; /* summed (min_cwnd: lowest, peak_inflight: summed) */
	uint64_t loc_started, loc_done, loc_localized;
	struct chain_cache_stats cache;
	uint64_t cache_bytes;
	uint64_t prof[PROF_NPARTS];
	/* what the workers left unaccounted at their end (both 0 unless a bug):
	 * connections the scheduler saw open but never close, and built items
	 * never handed to the writer (or handed twice: negative) */
	uint64_t unclosed;
	int64_t unwritten;
	uint64_t ring_waits; /* items that waited for room in the writer's ring */
	unsigned workers;
	char geo_country[4096], geo_asn[4096];
	bool geo_ok;
};

struct ctrl_chain {
	uint8_t n;
	uint8_t *der[TLS_MAX_CERTS];
	size_t len[TLS_MAX_CERTS];
	struct x509_cert *x509; /* n parsed certs (NULL entries via parsed_ok) */
	bool parsed_ok[TLS_MAX_CERTS];
	struct verdict_cert vc[TLS_MAX_CERTS];
};

struct tls_host {
	uint32_t ip_be;
	uint16_t port_be;
	uint16_t inflight;
	int32_t next_sni; /* -1: control not finished */
	bool in_use, in_runq, eligible, control_verified;
	bool answered; /* some probe got a byte: a later timeout is load, not a tarpit */
	struct geo_result geo;
	struct ctrl_chain *ctrl; /* the control chain, when one was captured */
	/* test probes whose verdict waits for the second control (stability.c
	 * section below): a linked list of built items, at most one per SNI */
	struct probe_item *held;
	bool ctrl2_started;
	/* the random control name drew an alert or a reply that is not TLS:
	 * the controls go again without SNI (host_learn) */
	bool bare;
	bool release_pending; /* done, but localisations still use the slot */
	uint16_t loc_refs;    /* localisation jobs of this host */
	uint32_t next_free;
};

struct tls_probe {
	uint32_t host;
	int32_t sni;	   /* SNI_CONTROL, SNI_CONTROL2 or a test SNI's index */
	uint32_t loc_job1; /* localisation job + 1 (0: a probe of the scan) */
	uint8_t loc_ttl;   /* its hello's IP TTL */
	uint8_t path;
	uint8_t status; /* final parser status, TLS_ST_MORE while running */
	bool in_use, retry;
	bool bare;	  /* a control probe of a tls_host.bare host: no SNI */
	uint8_t attempts; /* connections made, OpenSSL fallback and load retries included */
	uint8_t random[32];
	uint64_t start_ns, connected_ns;
	uint64_t attempt_ns;	/* when the current connection was opened */
	uint64_t first_byte_ns; /* its first byte from the server, 0: none yet */
	uint32_t retx, flight_bytes;
	int tcp_outcome;
	struct tls_parser ps;
	uint8_t *buf;
	uint32_t buf_cap;
	struct tls_ossl *ossl;
	size_t ossl_hello_len, ossl_sent;
	uint32_t next_free;
};

struct tls_worker {
	struct tls_stage *st;
	struct eng_worker *ew;
	unsigned id;
	struct tcp_table *tcp;
	struct geo *geo;
	struct tls_ossl_ctx *ossl;
	struct tls_host *hosts;
	uint32_t nhosts, host_free, hosts_used;
	struct tls_probe *probes;
	uint32_t nprobes, probe_free, probes_used;
	/* hosts with probes left to launch (each at most once) */
	uint32_t *runq;
	uint32_t runq_head, runq_len;
	/* probes to restart on the OpenSSL path */
	uint32_t *retryq;
	uint32_t retryq_len;
	/* hosts whose second control probe waits for a connection slot */
	uint32_t *ctrl2q;
	uint32_t ctrl2q_len;
	/* localisation (localize.h): jobs and what each is for */
	struct loc_table *loc;
	struct loc_slot {
		struct probe_item *item;
		uint32_t host;
		int32_t sni;
		uint8_t path;
	} * loc_slots;
	uint64_t loc_started, loc_done, loc_localized;
	uint32_t loc_conns; /* localisation connections open now (LOC_CONN_SHARE) */
	bool stopping;	    /* worker_fini: no new localisation */
	/* writer items built by finish_probe and handed on (submitted or
	 * dropped): equal once the worker has ended, whatever was held */
	uint64_t items_built, items_written;
	/* items the writer's ring had no room for, oldest first: written
	 * before any later item, and no connection opens while one waits
	 * (the writer sets the pace; nothing collected is dropped) */
	struct probe_item *wait_head, *wait_tail;
	uint64_t ring_waits; /* items that had to wait */
	/* items waiting for cross-host evidence, oldest first */
	struct probe_item **deferred;
	uint32_t ndeferred;
	uint64_t deferred_scan_ns;
	/* (ip, port) from the sweep waiting for a host slot */
	uint64_t *pending;
	size_t pend_head, pend_len, pend_cap;
	uint8_t (*seen)[32]; /* certificates this worker already submitted */
	uint32_t seen_count;
	struct x509_cert *x509_scratch; /* TLS_MAX_CERTS */
	uint64_t rnd;
	/* new connections per second: -r split over the workers (scanner/core/rate.h,
	 * in nanoseconds); allow: connections this poll may still start */
	struct rate rate;
	uint32_t allow;
	uint64_t buf_bytes, peak_buf_bytes; /* receive buffers allocated now / at most */
	/* certificates and chains seen by this worker: hashed, parsed and
	 * verified once while cached (stage_tls_chain.h) */
	struct chain_cache *chains;
	uint64_t prof[PROF_NPARTS]; /* cycles by part, when st->profile */
	uint64_t retries_ossl, retries_tcp;
	struct sched sched; /* total and per-/24 windows, load retries (stage_tls_sched.c) */
};

/* The name probe @p sends: its test SNI, or its host's control name (none
 * when the host had refused the random control name: tls_probe.bare). */
static const char *sni_of(const struct tls_worker *w, const struct tls_probe *p)
{
	int32_t sni = p->sni;

	if (p->bare)
		return "";
	if (sni == SNI_CONTROL)
		return w->st->cfg->control_sni;
	if (sni == SNI_CONTROL2)
		return w->st->cfg->control_sni2;
	return w->st->cfg->snis[sni];
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- writer items ---- */

struct probe_item {
	struct out_item item;
	struct tls_arena *arena;  /* owns the item, the Probe and the DER copies */
	struct cert_record *recs; /* nrecs records (their strings are malloc'd) */
	size_t nrecs;
	/* while held (verdict waiting for evidence): the list link, the
	 * verdict to decide again (in the arena), the item's new certificates */
	struct probe_item *next;
	struct verdict_result *vres;
	size_t ncerts;
	/* the evidence key of the chain (evidence.h) and the bits known so far */
	uint64_t ev_issuer, ev_network;
	uint8_t own_leaf[8];
	unsigned evidence;
	bool loc_pending;	       /* a localisation job will fill its path fields */
	struct resume_tracker *resume; /* --resume: the host's record was counted */
	uint64_t resume_key;
	int32_t loc_sni; /* the probe's SNI and path, for its localisation */
	uint8_t loc_path;
};

static void item_release(struct out_item *it)
{
	struct probe_item *pi = it->user;
	if (pi->resume) /* written (end_off) or dropped (0): the host's record is settled */
		resume_host_unref(pi->resume, pi->resume_key, it->end_off);
	for (size_t i = 0; i < pi->nrecs; i++)
		cert_record_free(&pi->recs[i]);
	tls_arena_free(pi->arena);
}

/* Forget every certificate seen: always safe, the writer dedups anyway. Also
 * the way back when a record that was marked seen did not reach the writer,
 * so the next probe with that certificate writes it. */
static void seen_forget(struct tls_worker *w)
{
	memset(w->seen, 0, sizeof(*w->seen) * (1u << SEEN_BITS));
	w->seen_count = 0;
}

static bool seen_insert(struct tls_worker *w, const uint8_t sha[32])
{
	uint32_t mask = (1u << SEEN_BITS) - 1, pos;
	static const uint8_t zero[32];
	memcpy(&pos, sha, 4);
	pos &= mask;
	if (w->seen_count > mask / 2)
		seen_forget(w);
	for (;;) {
		if (!memcmp(w->seen[pos], zero, 32)) {
			memcpy(w->seen[pos], sha, 32);
			w->seen_count++;
			return true;
		}
		if (!memcmp(w->seen[pos], sha, 32))
			return false;
		pos = (pos + 1) & mask;
	}
}

/* ---- results ---- */

struct chain_view {
	size_t n;
	const uint8_t *der[TLS_MAX_CERTS];
	size_t len[TLS_MAX_CERTS];
};

static void probe_chain(const struct tls_probe *p, struct chain_view *cv)
{
	cv->n = 0;
	if (p->status != TLS_ST_CERT)
		return;
	if (p->path == PATH_OSSL) {
		const uint8_t *const *d;
		const size_t *l;
		size_t n = tls_ossl_chain(p->ossl, &d, &l);
		for (size_t i = 0; i < n && i < TLS_MAX_CERTS; i++) {
			cv->der[i] = d[i];
			cv->len[i] = l[i];
		}
		cv->n = n < TLS_MAX_CERTS ? n : TLS_MAX_CERTS;
	} else {
		for (unsigned i = 0; i < p->ps.f.ncerts; i++) {
			cv->der[i] = p->buf + p->ps.f.certs[i].off;
			cv->len[i] = p->ps.f.certs[i].len;
		}
		cv->n = p->ps.f.ncerts;
	}
}

/* Keep the host's control chain (copies: the probe's buffer goes), in one
 * allocation: the struct, then the parsed certificates, then the DERs. */
static void keep_control_chain(struct tls_host *h, const struct chain_facts *cf)
{
	static_assert(_Alignof(struct x509_cert) <= _Alignof(struct ctrl_chain),
		      "the parsed certificates follow the struct");
	size_t n = cf->n ? cf->n : 1,
	       head = sizeof(struct ctrl_chain) + n * sizeof(struct x509_cert);
	size_t size = head;
	for (size_t i = 0; i < cf->n; i++)
		size += cf->len[i];
	struct ctrl_chain *cc = malloc(size);
	if (!cc)
		return;
	memset(cc, 0, head); /* the DERs are copied over */
	cc->x509 = (struct x509_cert *)(cc + 1);
	uint8_t *der = (uint8_t *)(cc->x509 + n);
	h->ctrl = cc;
	for (size_t i = 0; i < cf->n; i++) {
		cc->der[i] = der;
		der += cf->len[i];
		memcpy(cc->der[i], cf->der[i], cf->len[i]);
		cc->len[i] = cf->len[i];
		cc->parsed_ok[i] = cf->vc[i].parsed != NULL;
		if (cc->parsed_ok[i])
			cc->x509[i] = *cf->vc[i].parsed; /* offsets: valid for the copy */
		cc->vc[i].der = cc->der[i];
		cc->vc[i].parsed = cc->parsed_ok[i] ? &cc->x509[i] : NULL;
		memcpy(cc->vc[i].sha256, cf->sha[i], 32);
		cc->n = (uint8_t)(i + 1);
	}
}

static void free_control_chain(struct tls_host *h)
{
	free(h->ctrl); /* one allocation (keep_control_chain) */
	h->ctrl = NULL;
}

static Tlsmap__V1__TlsOutcome tls_outcome_of(int status, int tcp, uint32_t bytes)
{
	switch (status) {
	case TLS_ST_CERT:
		return TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE;
	case TLS_ST_ALERT:
		return TLSMAP__V1__TLS_OUTCOME__TLS_ALERT;
	case TLS_ST_NOT_TLS:
		return TLSMAP__V1__TLS_OUTCOME__TLS_NOT_TLS;
	case TLS_ST_PROTOCOL:
		return TLSMAP__V1__TLS_OUTCOME__TLS_PROTOCOL_ERROR;
	case TLS_ST_NO_CERT:
		return TLSMAP__V1__TLS_OUTCOME__TLS_NO_CERTIFICATE;
	case TLS_ST_TOO_LARGE:
		return TLSMAP__V1__TLS_OUTCOME__TLS_INCOMPLETE;
	case TLS_ST_TLS13:
		return TLSMAP__V1__TLS_OUTCOME__TLS_PROTOCOL_ERROR;
	default:
		break;
	}
	if (tcp == TCP_OUT_CLOSED || tcp == TCP_OUT_NO_ANSWER || tcp == TCP_OUT_ABORTED)
		return bytes ? TLSMAP__V1__TLS_OUTCOME__TLS_INCOMPLETE
			     : TLSMAP__V1__TLS_OUTCOME__TLS_NOT_ATTEMPTED;
	return TLSMAP__V1__TLS_OUTCOME__TLS_INCOMPLETE;
}

static enum verdict_stage verdict_stage_of(Tlsmap__V1__TlsOutcome tls, uint32_t bytes)
{
	switch (tls) {
	case TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE:
		return VERDICT_STAGE_CERTIFICATE;
	case TLSMAP__V1__TLS_OUTCOME__TLS_NOT_ATTEMPTED:
	case TLSMAP__V1__TLS_OUTCOME__TLS_NOT_TLS:
		return VERDICT_STAGE_NO_TLS;
	case TLSMAP__V1__TLS_OUTCOME__TLS_INCOMPLETE:
		return bytes ? VERDICT_STAGE_TLS_ERROR : VERDICT_STAGE_NO_TLS;
	default:
		return VERDICT_STAGE_TLS_ERROR;
	}
}

static uint64_t unix_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

/* ---- stability: the second control probe (docs/verdicts.md) ----
 *
 * After a host's test probes, one more connection with a second random
 * innocuous SNI. A host whose two control chains differ is unstable (a
 * load balancer whose backends present different certificates, a host
 * that rotates its certificate): a test chain that merely differs from the
 * first control chain proves nothing there. Test probes whose verdict
 * depends on it (verdict_result.needs_evidence: the chain differs, does
 * not verify and matches no known interceptor) are held on their host,
 * fully built, until the second control ends; everything else is written
 * at once. A host holds at most one item per test SNI, and only while it
 * occupies a host slot, so the memory is bounded by the host table. */

/* The host key of @pi's Probe (scanner/stage/resume.h). */
static uint64_t item_host_key(const struct probe_item *pi)
{
	const Tlsmap__V1__Probe *pr = pi->item.probe;
	uint32_t ip_be = 0;
	if (pr && pr->ip.len == 4)
		memcpy(&ip_be, pr->ip.data, 4);
	return resume_key(ip_be, pr ? __builtin_bswap16((uint16_t)pr->port) : 0);
}

/* --resume: the host is not complete until this record is written. */
static void item_track(struct tls_stage *st, struct probe_item *pi)
{
	pi->item.end_off = 0;
	pi->resume = st->ctx.resume; /* every submitted item passes here once */
	if (!pi->resume)
		return;
	pi->resume_key = item_host_key(pi);
	resume_host_ref(pi->resume, pi->resume_key);
}

/* Hand @pi to the writer, now or, when its ring is full, after the items
 * already waiting (wait_flush, from the worker's poll). Once the ring took
 * it, @pi belongs to the writer thread, which may free it at once: nothing
 * of it is read after out_async_submit(). */
static bool item_push(struct tls_worker *w, struct probe_item *pi)
{
	struct tls_stage *st = w->st;
	size_t ncerts = pi->ncerts; /* pi is the writer's once pushed */

	if (!out_async_submit(st->ctx.out, &pi->item))
		return false;
	progress_add(&st->ctx.ctr->probes, 1);
	progress_add(&st->ctx.ctr->certs, ncerts);
	return true;
}

/* Push the waiting items, oldest first, while the ring takes them. */
static void wait_flush(struct tls_worker *w)
{
	while (w->wait_head) {
		struct probe_item *pi = w->wait_head;
		struct probe_item *next = pi->next;
		if (!item_push(w, pi))
			return;
		w->wait_head = next;
	}
	w->wait_tail = NULL;
}

static void item_submit(struct tls_worker *w, struct probe_item *pi)
{
	item_track(w->st, pi);
	w->items_written++;
	pi->next = NULL;
	if (!w->wait_head && item_push(w, pi))
		return;
	/* the ring is full (the writer is behind): the item waits, in order */
	w->ring_waits++;
	if (w->wait_tail)
		w->wait_tail->next = pi;
	else
		w->wait_head = pi;
	w->wait_tail = pi;
}

/* worker_fini: every waiting item into the ring, as fast as the writer
 * takes them (it writes, or after a write error discards, every item) */
static void wait_drain(struct tls_worker *w)
{
	const struct timespec nap = {0, 1000000};

	for (wait_flush(w); w->wait_head; wait_flush(w))
		nanosleep(&nap, NULL);
}

static void hold_for_control2(struct tls_worker *w, struct tls_host *h, struct probe_item *pi,
			      const struct verdict_result *vres, const struct verdict_cert *leaf)
{
	const struct x509_cert *x = leaf->parsed;

	pi->ev_issuer = x ? ev_issuer_key(leaf->der + x->issuer.off, x->issuer.len)
			  : ev_issuer_key(leaf->sha256, 32); /* unparsed: its own group */
	pi->ev_network = ev_network(h->geo.asn, h->ip_be);
	if (h->ctrl && h->ctrl->n)
		memcpy(pi->own_leaf, h->ctrl->vc[0].sha256, 8);
	pi->vres = tls_arena_alloc(pi->arena, sizeof(*pi->vres));
	if (!pi->vres) { /* out of memory: written now, as decided without evidence */
		item_submit(w, pi);
		return;
	}
	*pi->vres = *vres;
	pi->next = h->held;
	h->held = pi;
}

static bool chain_equals_control(const struct ctrl_chain *cc, const uint8_t sha[][32], size_t n)
{
	if (!cc || cc->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (memcmp(cc->vc[i].sha256, sha[i], 32))
			return false;
	return true;
}

/* The second control's chain against the first: VERDICT_EV_UNSTABLE or 0.
 * No chain from either probe says nothing about stability. */
static unsigned stability_evidence(const struct tls_host *h, const uint8_t sha[][32], size_t n)
{
	if (!h->ctrl || !n)
		return 0;
	return chain_equals_control(h->ctrl, sha, n) ? 0 : VERDICT_EV_UNSTABLE;
}

static void second_control_reasons(const struct tls_host *h, const uint8_t sha[][32], size_t n,
				   struct verdict_result *vres)
{
	const char *r = NULL;

	if (stability_evidence(h, sha, n))
		r = "unstable-host";
	else if (n && h->ctrl)
		r = "same-as-control";
	if (vres->n_reasons < VERDICT_MAX_REASONS)
		snprintf(vres->reasons[vres->n_reasons++], VERDICT_REASON_LEN, "second-control");
	if (r && vres->n_reasons < VERDICT_MAX_REASONS)
		snprintf(vres->reasons[vres->n_reasons++], VERDICT_REASON_LEN, "%s", r);
}

/* Decide a held item again with @evidence and patch its Probe. */
static void item_redecide(struct probe_item *pi, unsigned evidence)
{
	Tlsmap__V1__Probe *pr = pi->item.probe;
	struct verdict_result *v = pi->vres;
	char **reasons;

	verdict_redecide(v, evidence);
	reasons = tls_arena_alloc(pi->arena, (v->n_reasons ? v->n_reasons : 1) * sizeof(char *));
	if (!reasons)
		return; /* the Probe keeps its first reasons */
	pr->verdict = (Tlsmap__V1__Verdict)v->verdict;
	for (size_t i = 0; i < v->n_reasons; i++)
		reasons[i] = tls_arena_strdup(pi->arena, v->reasons[i]);
	pr->reasons = reasons;
	pr->n_reasons = v->n_reasons;
}

/* The evidence a held item has once its host's second control ended: the
 * host's stability, and whether it equals the second control chain. */
static unsigned held_evidence(const struct probe_item *pi, unsigned stability,
			      const uint8_t ctrl2[][32], size_t ctrl2_n)
{
	const Tlsmap__V1__Probe *pr = pi->item.probe;
	unsigned ev = stability;

	if (ctrl2_n && ctrl2_n == pr->n_chain) {
		bool same = true;
		for (size_t i = 0; i < pr->n_chain && same; i++)
			same = pr->chain[i].len == 32 && !memcmp(pr->chain[i].data, ctrl2[i], 32);
		if (same)
			ev |= VERDICT_EV_SAME_AS_CONTROL2;
	}
	return ev;
}

/* ---- localisation (localize.h, docs/verdicts.md "Where on the path") ----
 *
 * A held item whose chain looks intercepted (suspicious, or a known
 * interceptor) claims one of its (network, issuer) group's
 * --localize-per-group slots; the job's connections reuse the probe table
 * (the probe's loc_job1/loc_ttl) and its host slot (loc_refs keeps it). The
 * item stays deferred until the job ends and fills its path fields. */

static uint32_t probe_alloc(struct tls_worker *w, uint32_t hi, int32_t sni, uint64_t now);
static int probe_connect(struct tls_worker *w, uint32_t pi, uint64_t now);
static void probe_release(struct tls_worker *w, struct tls_probe *p);
static void host_release(struct tls_worker *w, uint32_t hi);
static void probe_chain(const struct tls_probe *p, struct chain_view *cv);

static bool localize_item(struct tls_worker *w, struct tls_host *h, struct probe_item *pi)
{
	uint64_t host = resume_key(h->ip_be, h->port_be);
	if (!w->loc || w->stopping ||
	    !ev_claim_localization(w->st->ev, pi->ev_issuer, pi->ev_network,
				   (unsigned)w->st->cfg->localize_per_group, host))
		return false;
	int64_t job = loc_start(w->loc, h->ip_be, eng_worker_now_ns(w->ew));
	if (job < 0) { /* every job busy: this one goes unlocalised, a later one may not */
		ev_unclaim_localization(w->st->ev, pi->ev_issuer, pi->ev_network, host);
		return false;
	}
	struct loc_slot *ls = &w->loc_slots[job];
	ls->item = pi;
	ls->host = (uint32_t)(h - w->hosts);
	ls->sni = pi->loc_sni;
	ls->path = pi->loc_path;
	pi->loc_pending = true;
	h->loc_refs++;
	w->loc_started++;
	progress_add(&w->st->ctx.ctr->localize_jobs, 1);
	return true;
}

static int loc_open(void *ctx, uint32_t job, uint8_t ttl, uint64_t now)
{
	struct tls_worker *w = ctx;
	struct loc_slot *ls = &w->loc_slots[job];

	if (w->probe_free == NONE || tcp_active(w->tcp) >= tcp_capacity(w->tcp) ||
	    w->loc_conns >= (w->nprobes / LOC_CONN_SHARE ? w->nprobes / LOC_CONN_SHARE : 1))
		return -1;
	uint32_t pi = probe_alloc(w, ls->host, ls->sni, now);
	struct tls_probe *p = &w->probes[pi];
	p->loc_job1 = job + 1;
	p->loc_ttl = ttl;
	p->path = ls->path;
	if (probe_connect(w, pi, now) != 0) {
		probe_release(w, p);
		return -1;
	}
	w->loc_conns++;
	return 0;
}

static void loc_echo(void *ctx, uint32_t job, uint16_t seq, uint8_t ttl)
{
	struct tls_worker *w = ctx;
	const struct tls_host *h = &w->hosts[w->loc_slots[job].host];
	uint8_t frame[64];
	unsigned len = eng_icmp_echo_build(frame, eng_worker_l2(w->ew), h->ip_be, h->port_be,
					   (uint16_t)(seq >> 8 | seq << 8), ttl);

	eng_tx_frame(w->ew, frame, (uint16_t)len);
}

/* A localisation connection ended: did it draw the forged chain (a leaf
 * from the same issuer as the probe's)? */
static void loc_probe_closed(struct tls_worker *w, struct tls_probe *p, uint64_t now)
{
	uint32_t job = p->loc_job1 - 1;
	uint8_t ttl = p->loc_ttl;
	struct chain_view cv;
	bool forged = false;

	probe_chain(p, &cv);
	if (cv.n) {
		struct x509_cert *x = &w->x509_scratch[0];
		uint8_t sha[32];
		uint64_t key;
		if (x509_parse(cv.der[0], cv.len[0], x) == 0) {
			key = ev_issuer_key(cv.der[0] + x->issuer.off, x->issuer.len);
		} else {
			x509_sha256(cv.der[0], cv.len[0], sha);
			key = ev_issuer_key(sha, 32);
		}
		forged = w->loc_slots[job].item && key == w->loc_slots[job].item->ev_issuer;
	}
	w->loc_conns--;
	probe_release(w, p);
	loc_conn_done(w->loc, job, ttl, forged, now);
}

static void loc_job_done(void *ctx, uint32_t job, const struct loc_result *r)
{
	struct tls_worker *w = ctx;
	struct loc_slot *ls = &w->loc_slots[job];
	struct probe_item *pi = ls->item;
	struct tls_host *h = &w->hosts[ls->host];
	Tlsmap__V1__Probe *pr = pi->item.probe;

	w->loc_done++;
	pr->localized = r->localized;
	pr->server_hop = r->server_hop;
	if (r->localized) {
		w->loc_localized++;
		progress_add(&w->st->ctx.ctr->localized, 1);
		pr->interceptor_hop = r->interceptor_hop;
		if (r->hop_before_be) {
			uint8_t *ip = tls_arena_alloc(pi->arena, 4);
			struct geo_result g = {0};
			if (ip) {
				memcpy(ip, &r->hop_before_be, 4);
				pr->hop_before_interceptor.data = ip;
				pr->hop_before_interceptor.len = 4;
			}
			if (w->geo)
				geo_lookup_be32(w->geo, r->hop_before_be, &g);
			pr->hop_country = tls_arena_strdup(pi->arena, g.cc);
			pr->hop_asn = g.asn;
		}
		if (r->server_hop) {
			bool before = r->interceptor_hop < r->server_hop;
			pi->evidence |=
				before ? VERDICT_EV_LOCALIZED_BEFORE : VERDICT_EV_AT_SERVER_HOP;
			ev_localized(w->st->ev, pi->ev_issuer, pi->ev_network, before);
		}
	}
	pi->loc_pending = false;
	ls->item = NULL;
	if (--h->loc_refs == 0 && h->release_pending)
		host_release(w, ls->host);
}

/* ---- cross-host evidence (evidence.h, docs/verdicts.md "Evidence") ----
 *
 * A suspicious chain on a stable host is recorded in the scan-wide table
 * and its item deferred: the evidence that would call it INTERCEPTED (its
 * issuer forging across networks, its group localised before the server)
 * may only come later in the scan. Deferred items are written as soon as
 * that evidence exists (looked at every DEFER_SCAN_NS), when the queue is
 * full (the oldest, with the evidence known then), and at the end of the
 * scan (worker_fini, when every worker is idle: the final evidence). */

static unsigned final_evidence(struct tls_worker *w, const struct probe_item *pi)
{
	unsigned ev = pi->evidence | ev_lookup(w->st->ev, pi->ev_issuer, pi->ev_network);
	if (!(ev & (VERDICT_EV_LOCALIZED_BEFORE | VERDICT_EV_AT_SERVER_HOP)))
		ev |= VERDICT_EV_NOT_LOCALIZED;
	return ev;
}

static void deferred_finish(struct tls_worker *w, struct probe_item *pi)
{
	struct resume_tracker *rt = w->st->ctx.resume;
	uint64_t key = item_host_key(pi);
	item_redecide(pi, final_evidence(w, pi));
	item_submit(w, pi);
	if (rt) /* the deferral's reference; the record holds its own now */
		resume_host_unref(rt, key, 0);
}

static void defer(struct tls_worker *w, struct probe_item *pi)
{
	if (w->st->ctx.resume) /* the host outlives its slot while the item waits */
		resume_host_ref(w->st->ctx.resume, item_host_key(pi));
	if (w->ndeferred == DEFER_CAP) { /* bounded: the oldest goes now */
		uint32_t i = 0;
		while (w->deferred[i]->loc_pending) /* at most LOC_JOBS of them */
			i++;
		deferred_finish(w, w->deferred[i]);
		memmove(w->deferred + i, w->deferred + i + 1,
			(DEFER_CAP - 1 - i) * sizeof(*w->deferred));
		w->ndeferred--;
	}
	w->deferred[w->ndeferred++] = pi;
}

/* Write the deferred items whose evidence is complete (@all: every one). */
static void deferred_scan(struct tls_worker *w, bool all)
{
	uint32_t keep = 0;

	for (uint32_t i = 0; i < w->ndeferred; i++) {
		struct probe_item *pi = w->deferred[i];
		if (all || (!pi->loc_pending &&
			    (!pi->vres->needs_evidence ||
			     ((pi->evidence | ev_lookup(w->st->ev, pi->ev_issuer, pi->ev_network)) &
			      (VERDICT_EV_CROSS_HOST | VERDICT_EV_GROUP_BEFORE |
			       VERDICT_EV_LOCALIZED_BEFORE)))))
			deferred_finish(w, pi);
		else
			w->deferred[keep++] = pi;
	}
	w->ndeferred = keep;
}

static void deferred_poll(struct tls_worker *w, uint64_t now)
{
	if (!w->ndeferred || now - w->deferred_scan_ns < DEFER_SCAN_NS)
		return;
	w->deferred_scan_ns = now;
	deferred_scan(w, false);
}

/* Write every item held on @h, decided with the host's stability and the
 * second control chain (@ctrl2, @ctrl2_n digests; 0 when there is none);
 * those still undecided wait for cross-host evidence. */
static void release_held(struct tls_worker *w, struct tls_host *h, unsigned stability,
			 const uint8_t ctrl2[][32], size_t ctrl2_n)
{
	uint64_t tried[8]; /* issuers localised on this host: one job per (host, group) */
	unsigned ntried = 0;

	while (h->held) {
		struct probe_item *pi = h->held;
		h->held = pi->next;
		pi->next = NULL;
		pi->evidence = held_evidence(pi, stability, ctrl2, ctrl2_n);
		if (pi->evidence & VERDICT_EV_SAME_AS_CONTROL2) {
			item_redecide(pi, pi->evidence);
			item_submit(w, pi);
			continue;
		}
		if (pi->vres->needs_evidence && !(pi->evidence & VERDICT_EV_UNSTABLE))
			ev_record(w->st->ev, pi->ev_issuer, pi->ev_network, pi->own_leaf);
		bool loc = false, seen = false;
		for (unsigned i = 0; i < ntried && !seen; i++)
			seen = tried[i] == pi->ev_issuer;
		if (!seen && ntried < 8) {
			tried[ntried++] = pi->ev_issuer;
			loc = localize_item(w, h, pi);
		}
		if (!pi->vres->needs_evidence && !loc) /* known interceptor: final now */
			item_submit(w, pi);
		else
			defer(w, pi);
	}
}

static void host_release(struct tls_worker *w, uint32_t hi);

/* Every probe of the host's that the scan will start has started and
 * ended: no connection in flight, and no test SNI left to launch (an
 * ineligible host's next_sni is the SNI count). */
static bool host_finished(const struct tls_worker *w, const struct tls_host *h)
{
	return h->inflight == 0 && h->next_sni >= (int32_t)w->st->cfg->nsnis;
}

/* The host's test probes are all done: its second control next, or release. */
static void host_done(struct tls_worker *w, uint32_t hi)
{
	struct tls_host *h = &w->hosts[hi];

	if (h->eligible && w->st->cfg->nsnis && !h->ctrl2_started && w->st->ctx.out) {
		h->ctrl2_started = true;
		w->ctrl2q[w->ctrl2q_len++] = hi;
		return;
	}
	release_held(w, h, 0, NULL, 0);
	if (w->st->ctx.resume) /* its probes are done; its records hold their own references */
		resume_host_unref(w->st->ctx.resume, resume_key(h->ip_be, h->port_be), 0);
	if (h->loc_refs) { /* localisation connections still need its address */
		h->release_pending = true;
		return;
	}
	host_release(w, hi);
}

static uint32_t probe_alloc(struct tls_worker *w, uint32_t hi, int32_t sni, uint64_t now);
static int probe_connect(struct tls_worker *w, uint32_t pi, uint64_t now);
static void probe_release(struct tls_worker *w, struct tls_probe *p);
static bool can_connect(const struct tls_worker *w);
static bool may_open(struct tls_worker *w, uint32_t ip_be, uint64_t now);
static void took(struct tls_worker *w);

/* The queued controls (a second control, or a control without SNI after a
 * refused name: host_learn), newest first, within the scheduler's limits
 * as every probe of the scan (a host whose /24 must wait keeps its place). */
static void launch_queued_controls(struct tls_worker *w, uint64_t now, unsigned *launched)
{
	uint32_t i = w->ctrl2q_len, looked = 0;

	while (i && looked++ < 4 * LAUNCH_PER_POLL && *launched < LAUNCH_PER_POLL &&
	       can_connect(w)) {
		uint32_t hi = w->ctrl2q[--i];
		struct tls_host *h = &w->hosts[hi];

		if (!may_open(w, h->ip_be, now))
			continue;
		/* a control without SNI (the name was refused), or the second */
		uint32_t pi = probe_alloc(w, hi, h->next_sni < 0 ? SNI_CONTROL : SNI_CONTROL2, now);
		if (pi == NONE)
			break;
		if (probe_connect(w, pi, now) != 0) {
			probe_release(w, &w->probes[pi]);
			break;
		}
		memmove(w->ctrl2q + i, w->ctrl2q + i + 1,
			(w->ctrl2q_len - i - 1) * sizeof(*w->ctrl2q));
		w->ctrl2q_len--;
		h->inflight++;
		(*launched)++;
		took(w);
	}
}

/* ---- a finished probe: chain facts, verdict, the Probe record ---- */

/* The chain of @p through the worker's cache, and whether its leaf names
 * the probe's SNI. */
static void probe_facts(struct tls_worker *w, const struct tls_probe *p, const char *sni,
			struct chain_facts *cf, bool *name_matches)
{
	uint64_t *prof = w->st->profile ? w->prof : NULL;
	struct chain_view cv;

	probe_chain(p, &cv);
	chain_facts_get(w->chains, w->st->roots, w->st->icpt, cv.der, cv.len, cv.n,
			(int64_t)unix_now_s(), w->x509_scratch, cf, prof);
	uint64_t t0 = prof ? tls_prof_now() : 0;
	*name_matches =
		cf->n && cf->vc[0].parsed && verify_name_matches(cf->vc[0].parsed, cf->der[0], sni);
	if (prof)
		prof[PROF_VERIFY] += tls_prof_now() - t0;
}

static void probe_verdict(const struct tls_worker *w, const struct tls_probe *p,
			  const struct tls_host *h, const struct chain_facts *cf, bool name_matches,
			  Tlsmap__V1__TlsOutcome tls, struct verdict_result *vres)
{
	struct verdict_input vin = {
		.stage = verdict_stage_of(tls, p->flight_bytes),
		.is_control = p->sni < 0,
		.test = cf->vc,
		.test_n = cf->n,
		.control = h->ctrl ? h->ctrl->vc : NULL,
		.control_n = h->ctrl ? h->ctrl->n : 0,
		.verified = cf->vr.verified,
		.verify_error = cf->vr.error_str,
		.name_matches = name_matches,
		.interceptors = w->st->icpt,
		.known_match = cf->n ? &cf->icpt : NULL,
	};
	verdict_decide(&vin, vres);
}

/* Did the control probe's name draw a refusal rather than silence or a
 * broken flight? An alert (unrecognized_name, handshake_failure) from a
 * server that serves only the names it knows, or a reply that is not TLS
 * (squid's ssl_bump answers a name it cannot resolve with an HTTP 409):
 * the host's own chain may still come without SNI. Silence, resets and
 * incomplete flights are not refusals of the name, and asking again would
 * cost another read timeout for nothing. */
static bool control_name_refused(Tlsmap__V1__TlsOutcome tls)
{
	return tls == TLSMAP__V1__TLS_OUTCOME__TLS_ALERT ||
	       tls == TLSMAP__V1__TLS_OUTCOME__TLS_NOT_TLS;
}

/* What a control probe tells about its host: its own chain, and whether
 * test probes follow (the first control, or the control without SNI that
 * follows a refused name); its stability (the second). */
static void host_learn(struct tls_worker *w, struct tls_host *h, const struct tls_probe *p,
		       const struct chain_facts *cf, Tlsmap__V1__TlsOutcome tls,
		       struct verdict_result *vres)
{
	const struct tls_stage *st = w->st;
	const uint8_t(*sha)[32] = (const uint8_t(*)[32])cf->sha;

	if (p->sni == SNI_CONTROL2) {
		second_control_reasons(h, sha, cf->n, vres);
		if (stability_evidence(h, sha, cf->n))
			progress_add(&st->ctx.ctr->unstable_hosts, 1);
	}
	if (p->sni == SNI_CONTROL) {
		if (!cf->n && !h->bare && control_name_refused(tls)) {
			/* ask again without a name; next_sni stays -1 until then */
			h->bare = true;
			w->ctrl2q[w->ctrl2q_len++] = (uint32_t)(h - w->hosts);
			return;
		}
		if (cf->n)
			keep_control_chain(h, cf);
		h->control_verified = cf->n && cf->vr.verified;
		h->eligible = cf->n && (st->eligible_any || cf->vr.verified);
		h->next_sni = h->eligible ? 0 : (int32_t)st->cfg->nsnis;
	}
}

/* Everything a Probe record says; the builder below turns it into one. */
struct probe_desc {
	uint32_t ip_be;
	uint16_t port_be;
	const char *sni;
	bool is_control, second_control, control_without_sni;
	uint64_t start_us, connected_us, end_us;
	Tlsmap__V1__TcpOutcome tcp;
	Tlsmap__V1__TlsOutcome tls;
	Tlsmap__V1__TlsPath path;
	const struct tls_flight *facts;	   /* NULL: nothing from the server */
	const struct geo_result *geo;	   /* the host's */
	const struct chain_facts *cf;	   /* NULL: no chain */
	bool name_matches;		   /* with cf */
	const struct verdict_result *vres; /* NULL: NO_TLS without reasons */
	uint32_t flight_bytes, retransmits, attempts;
};

static void probe_fill_verdict(struct tls_arena *a, Tlsmap__V1__Probe *pr,
			       const struct verdict_result *v)
{
	pr->verdict = (Tlsmap__V1__Verdict)v->verdict;
	pr->n_reasons = v->n_reasons;
	pr->reasons = tls_arena_alloc(a, (v->n_reasons ? v->n_reasons : 1) * sizeof(char *));
	for (size_t i = 0; i < v->n_reasons && pr->reasons; i++)
		pr->reasons[i] = tls_arena_strdup(a, v->reasons[i]);
	pr->interceptor = tls_arena_strdup(a, v->interceptor ? v->interceptor->label : "");
	pr->interceptor_match = (char *)icpt_way_name(v->interceptor_way);
	pr->interceptor_cert = (uint32_t)v->interceptor_cert;
}

static void probe_fill_chain(struct tls_arena *a, Tlsmap__V1__Probe *pr,
			     const struct chain_facts *cf, bool name_matches)
{
	pr->n_chain = cf->n;
	pr->chain = tls_arena_alloc(a, (cf->n ? cf->n : 1) * sizeof(*pr->chain));
	for (size_t i = 0; i < cf->n && pr->chain; i++) {
		uint8_t *d = tls_arena_alloc(a, 32);
		if (d)
			memcpy(d, cf->sha[i], 32);
		pr->chain[i].data = d;
		pr->chain[i].len = d ? 32 : 0;
	}
	pr->chain_verified = cf->n && cf->vr.verified;
	pr->verify_error = tls_arena_strdup(a, cf->n && !cf->vr.verified ? cf->vr.error_str : "");
	pr->name_matches = name_matches;
}

/* A writer item holding the Probe of @d (no certificates yet), in its own
 * arena; NULL when out of memory. Strings are copied or static. */
static struct probe_item *probe_item_new(const struct tls_stage *st, const struct probe_desc *d)
{
	struct tls_arena *a = tls_arena_new();
	struct probe_item *pi = a ? tls_arena_alloc(a, sizeof(*pi)) : NULL;
	Tlsmap__V1__Probe *pr = pi ? tls_arena_alloc(a, sizeof(*pr)) : NULL;
	uint8_t *ip = pr ? tls_arena_alloc(a, 4) : NULL;

	if (!ip) {
		tls_arena_free(a);
		return NULL;
	}
	pi->arena = a;
	tlsmap__v1__probe__init(pr);
	memcpy(ip, &d->ip_be, 4);
	pr->ip.data = ip;
	pr->ip.len = 4;
	pr->port = (uint16_t)(d->port_be >> 8 | d->port_be << 8);
	pr->sni = (char *)d->sni;
	pr->is_control = d->is_control;
	pr->second_control = d->second_control;
	pr->control_without_sni = d->control_without_sni;
	pr->vantage = (char *)st->cfg->vantage;
	pr->start_us = d->start_us;
	pr->connected_us = d->connected_us;
	pr->end_us = d->end_us;
	pr->tcp = d->tcp;
	pr->tls = d->tls;
	pr->path = d->path;
	if (d->facts) {
		pr->alert_received = d->facts->alert;
		pr->alert_level = d->facts->alert_level;
		pr->alert_description = d->facts->alert_desc;
		pr->tls_version = d->facts->version;
		pr->cipher_suite = d->facts->cipher;
		pr->group = d->facts->group;
	}
	if (d->cf)
		probe_fill_chain(a, pr, d->cf, d->name_matches);
	if (d->vres)
		probe_fill_verdict(a, pr, d->vres);
	else
		pr->verdict = TLSMAP__V1__VERDICT__VERDICT_NO_TLS;
	pr->country = tls_arena_strdup(a, d->geo->cc);
	pr->asn = d->geo->asn;
	pr->as_org = tls_arena_strdup(a, d->geo->as_org);
	pr->flight_bytes = d->flight_bytes;
	pr->retransmits = d->retransmits;
	pr->attempts = d->attempts;
	pi->item.probe = pr;
	pi->item.release = item_release;
	pi->item.user = pi;
	return pi;
}

/* The Certificate records of @cf that this worker has not sent (all of
 * them when @all), DER copied into the item's arena. */
static void item_add_certs(struct tls_worker *w, struct probe_item *pi,
			   const struct chain_facts *cf, bool all)
{
	struct tls_arena *a = pi->arena;
	size_t n = cf->n ? cf->n : 1, ncerts = 0;
	Tlsmap__V1__Certificate **certs = tls_arena_alloc(a, n * sizeof(*certs));

	pi->recs = tls_arena_alloc(a, n * sizeof(*pi->recs));
	for (size_t i = 0; i < cf->n && certs && pi->recs; i++) {
		if (!all && !seen_insert(w, cf->sha[i]))
			continue;
		/* the record borrows its DER: copy it into the item's arena (the
		 * parse result holds offsets, valid for the copy as well) */
		uint8_t *der = tls_arena_alloc(a, cf->len[i]);
		if (der)
			memcpy(der, cf->der[i], cf->len[i]);
		if (!der || cert_record_fill(&pi->recs[pi->nrecs], der, cf->len[i],
					     cf->vc[i].parsed) != 0) {
			seen_forget(w); /* no record: a later probe writes it */
			break;
		}
		certs[ncerts++] = &pi->recs[pi->nrecs++].msg;
	}
	pi->item.certs = certs;
	pi->item.ncerts = ncerts;
	pi->ncerts = ncerts;
}

static Tlsmap__V1__TlsPath probe_path_of(const struct tls_probe *p)
{
	if (p->tcp_outcome != TCP_OUT_OPEN && !p->flight_bytes && p->status == TLS_ST_MORE &&
	    !p->connected_ns)
		return TLSMAP__V1__TLS_PATH__PATH_UNSPECIFIED;
	return p->path == PATH_OSSL ? TLSMAP__V1__TLS_PATH__PATH_OPENSSL
				    : TLSMAP__V1__TLS_PATH__PATH_FAST;
}

/* Build the Probe of @p and its new Certificates, then submit it, or hold
 * it on its host when its verdict waits for evidence. */
static void probe_write(struct tls_worker *w, const struct tls_probe *p, struct tls_host *h,
			const struct chain_facts *cf, bool name_matches, Tlsmap__V1__TlsOutcome tls,
			const struct verdict_result *vres, uint64_t now_ns)
{
	struct tls_stage *st = w->st;
	struct tls_flight facts;

	if (p->path == PATH_OSSL && p->ossl)
		tls_ossl_facts(p->ossl, &facts);
	else
		facts = p->ps.f;
	struct probe_desc d = {
		.ip_be = h->ip_be,
		.port_be = h->port_be,
		.sni = sni_of(w, p),
		.is_control = p->sni < 0,
		.second_control = p->sni == SNI_CONTROL2,
		.control_without_sni = p->bare,
		.start_us = eng_ns_to_unix_us(st->ctx.eng, p->start_ns),
		.connected_us =
			p->connected_ns ? eng_ns_to_unix_us(st->ctx.eng, p->connected_ns) : 0,
		.end_us = eng_ns_to_unix_us(st->ctx.eng, now_ns),
		.tcp = (Tlsmap__V1__TcpOutcome)(p->status == TLS_ST_TOO_LARGE
							? TCP_OUT_FLIGHT_TOO_LARGE
							: p->tcp_outcome),
		.tls = tls,
		.path = probe_path_of(p),
		.facts = &facts,
		.geo = &h->geo,
		.cf = cf,
		.name_matches = name_matches,
		.vres = vres,
		.flight_bytes = p->flight_bytes,
		.retransmits = p->retx,
		.attempts = p->attempts,
	};
	struct probe_item *pi = probe_item_new(st, &d);
	if (!pi)
		return;
	/* an item held for evidence is written later than items built after
	 * it: it carries all its certificates and marks none as sent, so no
	 * Probe is written before its chain (the writer drops the duplicates) */
	bool held = p->sni >= 0 && (vres->needs_evidence ||
				    (vres->verdict == VERDICT_INTERCEPTED && st->localize));
	item_add_certs(w, pi, cf, held);
	w->items_built++;
	if (held) {
		pi->loc_sni = p->sni;
		pi->loc_path = p->path;
		hold_for_control2(w, h, pi, vres, &cf->vc[0]);
	} else {
		item_submit(w, pi);
	}
}

/* Decide and write the outcome of a finished probe. */
static void finish_probe(struct tls_worker *w, struct tls_probe *p, uint64_t now_ns)
{
	struct tls_stage *st = w->st;
	struct tls_host *h = &w->hosts[p->host];
	Tlsmap__V1__TlsOutcome tls = tls_outcome_of(p->status, p->tcp_outcome, p->flight_bytes);
	struct chain_facts cf;
	struct verdict_result vres;
	bool name_matches;

	probe_facts(w, p, sni_of(w, p), &cf, &name_matches);
	uint64_t t0 = st->profile ? tls_prof_now() : 0;
	probe_verdict(w, p, h, &cf, name_matches, tls, &vres);
	host_learn(w, h, p, &cf, tls, &vres);
	uint64_t t1 = st->profile ? tls_prof_now() : 0;
	if (st->ctx.out) {
		probe_write(w, p, h, &cf, name_matches, tls, &vres, now_ns);
		if (p->sni == SNI_CONTROL2) {
			const uint8_t(*sha)[32] = (const uint8_t(*)[32])cf.sha;
			release_held(w, h, stability_evidence(h, sha, cf.n), sha, cf.n);
		}
	} else {
		progress_add(&st->ctx.ctr->probes, 1);
	}
	if (tls == TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE)
		progress_add(&st->ctx.ctr->tls_ok, 1);
	if (st->profile) {
		w->prof[PROF_VERIFY] += t1 - t0;
		w->prof[PROF_RECORD] += tls_prof_now() - t1;
	}
}

/* ---- probe and host slots ---- */

static void runq_push(struct tls_worker *w, uint32_t hi)
{
	struct tls_host *h = &w->hosts[hi];
	if (h->in_runq)
		return;
	h->in_runq = true;
	w->runq[(w->runq_head + w->runq_len++) % w->nhosts] = hi;
}

static void host_release(struct tls_worker *w, uint32_t hi)
{
	struct tls_host *h = &w->hosts[hi];
	free_control_chain(h);
	h->in_use = false;
	h->next_free = w->host_free;
	w->host_free = hi;
	w->hosts_used--;
}

static void probe_release(struct tls_worker *w, struct tls_probe *p)
{
	w->buf_bytes -= p->buf_cap;
	free(p->buf);
	p->buf = NULL;
	p->buf_cap = 0;
	tls_ossl_free(p->ossl);
	p->ossl = NULL;
	p->in_use = false;
	p->next_free = w->probe_free;
	w->probe_free = (uint32_t)(p - w->probes);
	w->probes_used--;
}

/* Start (or restart) the connection of probe @pi. 0, or -errno (not started). */
static int probe_connect(struct tls_worker *w, uint32_t pi, uint64_t now)
{
	struct tls_probe *p = &w->probes[pi];
	struct tls_host *h = &w->hosts[p->host];

	p->status = TLS_ST_MORE;
	p->flight_bytes = 0;
	p->first_byte_ns = 0;
	tls_flight_init(&p->ps, (uint32_t)w->st->cfg->max_flight_bytes);
	if (p->path == PATH_OSSL) {
		uint64_t t0 = w->st->profile ? tls_prof_now() : 0;
		p->ossl = tls_ossl_new(w->ossl, sni_of(w, p));
		if (!p->ossl)
			return -ENOMEM;
		tls_ossl_step(p->ossl); /* produces the ClientHello */
		tls_ossl_out(p->ossl, &p->ossl_hello_len);
		p->ossl_sent = p->ossl_hello_len;
		if (t0) /* the OpenSSL path's parse is its whole client handshake */
			w->prof[PROF_PARSE] += tls_prof_now() - t0;
	} else {
		uint64_t r[4] = {xorshift(&w->rnd), xorshift(&w->rnd), xorshift(&w->rnd),
				 xorshift(&w->rnd)};
		memcpy(p->random, r, 32);
	}
	/* a localisation hello waits as long as a probe's: a slow interceptor
	 * must not look like one further away */
	int ret = p->loc_ttl ? tcp_connect_ttl(w->tcp, h->ip_be, h->port_be, pi, now, p->loc_ttl, 0)
			     : tcp_connect(w->tcp, h->ip_be, h->port_be, pi, now);
	if (ret) {
		tls_ossl_free(p->ossl);
		p->ossl = NULL;
		return ret;
	}
	/* A localisation connection is outside the scheduler's windows: it has
	 * its own bounds (LOC_JOBS, LOC_CONN_SHARE, --localize-per-group, the
	 * ICMP pacing), its hello dies on the way by design (a timeout that is
	 * no load signal), and app_closed() reports no close for it. Counting
	 * its open without its close held a /24's window forever. */
	if (!p->loc_job1)
		sched_opened(&w->sched, ntohl(h->ip_be), now);
	p->attempts++;
	p->attempt_ns = now;
	return 0;
}

static uint32_t probe_alloc(struct tls_worker *w, uint32_t hi, int32_t sni, uint64_t now)
{
	if (w->probe_free == NONE)
		return NONE;
	uint32_t pi = w->probe_free;
	struct tls_probe *p = &w->probes[pi];
	w->probe_free = p->next_free;
	w->probes_used++;
	memset(p, 0, sizeof(*p));
	p->in_use = true;
	p->host = hi;
	p->sni = sni;
	p->bare = sni < 0 && w->hosts[hi].bare;
	p->path = w->st->cfg->tls13 ? PATH_OSSL : PATH_FAST;
	p->start_ns = now;
	p->tcp_outcome = TCP_OUT_UNSPECIFIED;
	return pi;
}

/* Write the outcome of probe @p, free its slot, and go on with its host. */
static void probe_end(struct tls_worker *w, struct tls_probe *p, uint64_t now)
{
	struct tls_host *h = &w->hosts[p->host];
	uint32_t hi = p->host;

	finish_probe(w, p, now);
	h->inflight--;
	probe_release(w, p);
	if (h->next_sni < (int32_t)w->st->cfg->nsnis && h->next_sni >= 0)
		runq_push(w, hi);
	else if (host_finished(w, h))
		host_done(w, hi);
}

/* ---- tcp callbacks ---- */

static size_t app_hello(void *app, uint64_t user, uint8_t *buf, size_t cap)
{
	struct tls_worker *w = app;
	struct tls_probe *p = &w->probes[user];
	if (p->path == PATH_OSSL) {
		size_t len;
		const uint8_t *o = tls_ossl_out(p->ossl, &len);
		if (p->ossl_hello_len > cap)
			return 0;
		memcpy(buf, o, p->ossl_hello_len);
		return p->ossl_hello_len;
	}
	const char *sni = sni_of(w, p);
	return tls_hello_build(&w->st->hello, sni, strlen(sni), p->random, buf, cap);
}

static size_t app_more(void *app, uint64_t user, uint32_t off, uint8_t *buf, size_t cap)
{
	struct tls_worker *w = app;
	struct tls_probe *p = &w->probes[user];
	size_t len;
	if (p->path != PATH_OSSL || !p->ossl)
		return 0;
	const uint8_t *o = tls_ossl_out(p->ossl, &len);
	size_t start = p->ossl_hello_len + off;
	if (start >= len)
		return 0;
	size_t n = len - start < cap ? len - start : cap;
	memcpy(buf, o + start, n);
	return n;
}

uint32_t stage_tls_buf_grow(uint32_t cap, uint32_t need, uint32_t most)
{
	uint32_t ncap = cap ? cap : 16384;
	while (ncap < need)
		ncap *= 2;
	return ncap > most ? most : ncap;
}

size_t stage_tls_slot_bytes(void)
{
	/* worker_init: one probe, one host (every connection may be another
	 * host's control) and their entries in runq, retryq and ctrl2q */
	return sizeof(struct tls_probe) + sizeof(struct tls_host) + 3 * sizeof(uint32_t);
}

/*
 * Grow the receive buffer of @p to hold @need bytes (16 KiB, doubling, at
 * most --max-flight-bytes + CHUNK), charging the growth to the budget
 * first. 0, or -ENOBUFS (budget: wait) or -ENOMEM; @p is unchanged then.
 * The OpenSSL path only charges (buf_cap counts what it was charged).
 */
static int buf_reserve(struct tls_worker *w, struct tls_probe *p, uint32_t need)
{
	uint32_t most = (uint32_t)w->st->cfg->max_flight_bytes + CHUNK;
	uint32_t ncap = stage_tls_buf_grow(p->buf_cap, need, most);
	if (tcp_rx_charge(w->tcp, ncap - p->buf_cap) != 0)
		return -ENOBUFS;
	if (p->path != PATH_OSSL) {
		uint8_t *nb = realloc(p->buf, ncap);
		if (!nb)
			return -ENOMEM; /* the charge is given back when the connection closes */
		p->buf = nb;
	}
	w->buf_bytes += ncap - p->buf_cap;
	if (w->buf_bytes > w->peak_buf_bytes)
		w->peak_buf_bytes = w->buf_bytes;
	p->buf_cap = ncap;
	return 0;
}

static int app_data_work(struct tls_worker *w, uint64_t user, const uint8_t *d, size_t len);

/* In-order bytes of probe @user: the parser's (PROF_PARSE when profiling). */
static int app_data(void *app, uint64_t user, const uint8_t *d, size_t len)
{
	struct tls_worker *w = app;
	uint64_t t0 = w->st->profile ? tls_prof_now() : 0;
	int r = app_data_work(w, user, d, len);
	if (t0)
		w->prof[PROF_PARSE] += tls_prof_now() - t0;
	return r;
}

static int app_data_work(struct tls_worker *w, uint64_t user, const uint8_t *d, size_t len)
{
	struct tls_probe *p = &w->probes[user];
	uint32_t cap = (uint32_t)w->st->cfg->max_flight_bytes;

	/* the server's answer time, for the scheduler: when its first byte came,
	 * not when the receive budget let us take it (our wait is no server's queue) */
	if (!p->first_byte_ns)
		p->first_byte_ns = eng_worker_now_ns(w->ew);
	/* ask the receive budget for all of d before taking any of it; the
	 * OpenSSL path is charged the flight it was fed (its buffers are
	 * OpenSSL's), the fast path its buffer */
	uint64_t need = p->path == PATH_OSSL ? (uint64_t)p->flight_bytes + len
					     : (uint64_t)tls_flight_hs_len(&p->ps) + len;
	if (need > cap + CHUNK)
		need = cap + CHUNK;
	int r = need > p->buf_cap ? buf_reserve(w, p, (uint32_t)need) : 0;
	if (r == -ENOBUFS)
		return TCP_APP_WAIT;
	if (r) {
		p->status = TLS_ST_TOO_LARGE; /* out of memory: as before the budget */
		return TCP_APP_TOO_LARGE;
	}
	p->flight_bytes += (uint32_t)len;
	if (p->path == PATH_OSSL) {
		if (p->flight_bytes > cap) {
			p->status = TLS_ST_TOO_LARGE;
			return TCP_APP_TOO_LARGE;
		}
		tls_ossl_feed(p->ossl, d, len);
		int st = tls_ossl_step(p->ossl);
		if (st != TLS_ST_MORE) {
			p->status = (uint8_t)st;
			return TCP_APP_DONE;
		}
		size_t out_len;
		tls_ossl_out(p->ossl, &out_len);
		if (out_len > p->ossl_sent) {
			int n = (int)(out_len - p->ossl_sent);
			p->ossl_sent = out_len;
			return n;
		}
		return TCP_APP_MORE;
	}
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;
		uint32_t have = tls_flight_hs_len(&p->ps);
		if (have + n > p->buf_cap) { /* not reached: buf_reserve covered have + len */
			p->status = TLS_ST_TOO_LARGE;
			return TCP_APP_TOO_LARGE;
		}
		memcpy(p->buf + have, d, n);
		int st = tls_flight_feed(&p->ps, p->buf, have + n);
		d += n;
		len -= n;
		if (st == TLS_ST_TOO_LARGE) {
			p->status = (uint8_t)st;
			return TCP_APP_TOO_LARGE;
		}
		if (st != TLS_ST_MORE) {
			p->status = (uint8_t)st;
			return TCP_APP_DONE;
		}
	}
	return TCP_APP_MORE;
}

static void app_closed(void *app, uint64_t user, int outcome)
{
	struct tls_worker *w = app;
	struct tls_probe *p = &w->probes[user];
	const struct tcp_conn_info *ci = tcp_closing(w->tcp);
	struct tls_host *h = &w->hosts[p->host];
	uint64_t now = eng_worker_now_ns(w->ew);

	p->retx += ci->retransmits;
	if (ci->connected_ns)
		p->connected_ns = ci->connected_ns;
	p->tcp_outcome = outcome == TCP_OUT_FLIGHT_TOO_LARGE ? TCP_OUT_FLIGHT_TOO_LARGE : outcome;
	if (p->loc_job1) {
		loc_probe_closed(w, p, now);
		return;
	}
	bool fallback =
		p->path == PATH_FAST &&
		((p->status == TLS_ST_ALERT && tls_alert_wants_fallback(p->ps.f.alert_desc)) ||
		 p->status == TLS_ST_TLS13);
	/* A failure that load explains (a busy server, a lost SYN-ACK) tells the
	 * scheduler to back off, and the probe is tried again later, up to
	 * --max-attempts: it must not decide a verdict. A consistent tarpit or
	 * blackhole still ends as it did, after its last attempt. */
	enum sched_signal sig =
		sched_classify(outcome, p->flight_bytes, p->status != TLS_ST_MORE, h->answered);
	h->answered |= p->flight_bytes > 0;
	if (sig == SCHED_ANSWERED && ci->connected_ns &&
	    ci->connected_ns - p->attempt_ns >= TLS_SYN_RTO_NS)
		sig = SCHED_SYN_LOST; /* the first SYN went unanswered */
	if (sig == SCHED_ANSWERED && ci->connected_ns && p->first_byte_ns > ci->connected_ns &&
	    sched_answer_slow(&w->sched, ntohl(h->ip_be), p->first_byte_ns - ci->connected_ns))
		sig = SCHED_SLOW; /* answered, but after a queue at the server */
	bool worth = sched_closed(&w->sched, ntohl(h->ip_be), sig, p->attempt_ns, now);
	bool again = !fallback && worth &&
		     sched_retry_later(&w->sched, (uint32_t)user, p->attempts, now);
	if (fallback || again) {
		/* start again from poll(): now (fallback) or when the retry is due */
		if (fallback)
			p->path = PATH_OSSL;
		p->retry = true;
		if (fallback)
			w->retries_ossl++;
		else
			w->retries_tcp++;
		w->buf_bytes -= p->buf_cap;
		free(p->buf);
		p->buf = NULL;
		p->buf_cap = 0;
		tls_ossl_free(p->ossl);
		p->ossl = NULL;
		if (fallback)
			w->retryq[w->retryq_len++] = (uint32_t)user;
		return;
	}
	probe_end(w, p, now);
}

static const struct tcp_app_ops tls_tcp_ops = {
	.hello = app_hello,
	.data = app_data,
	.more = app_more,
	.closed = app_closed,
};

/* ---- engine hooks ---- */

static int tx_frame(void *ctx, const uint8_t *frame, uint16_t len)
{
	return eng_tx_frame(ctx, frame, len);
}

static void tls_worker_fini(void *wctx);

/* ICMP for the localisation jobs: echo replies, and time-exceeded for a
 * TTL-limited hello (matched to its connection by the quoted 4-tuple). */
static void tls_icmp(void *wctx, const uint8_t *frame, uint16_t len, uint64_t now_ns)
{
	struct tls_worker *w = wctx;
	struct eng_icmp ic;
	uint64_t user;

	(void)now_ns;
	if (!w->loc || !eng_icmp_parse(frame, len, &ic))
		return;
	if (ic.type == ENG_ICMP_ECHO_REPLY) {
		loc_echo_icmp(w->loc, ic.src_be,
			      (uint16_t)(ic.echo_seq_be >> 8 | ic.echo_seq_be << 8), true);
		return;
	}
	if (ic.type != ENG_ICMP_TIME_EXCEEDED || !ic.quoted || ic.q_proto != 6)
		return;
	if (tcp_find_user(w->tcp, ic.q_dst_be, ic.q_dport_be, ic.q_sport_be, &user) != 0 ||
	    user >= w->nprobes)
		return;
	struct tls_probe *p = &w->probes[user];
	if (p->in_use && p->loc_job1)
		loc_hello_icmp(w->loc, p->loc_job1 - 1, p->loc_ttl, ic.src_be);
}

static void *tls_worker_init(void *stage, unsigned worker_id, struct eng_worker *ew)
{
	struct tls_stage *st = stage;
	struct tls_worker *w = calloc(1, sizeof(*w));
	const struct eng_l2 *l2 = eng_worker_l2(ew);
	char err[512];

	if (!w)
		return NULL;
	w->st = st;
	w->ew = ew;
	w->id = worker_id;
	if (getrandom(&w->rnd, sizeof(w->rnd), 0) != sizeof(w->rnd) || !w->rnd)
		w->rnd = 0x9e3779b97f4a7c15ULL ^ (uint64_t)worker_id;
	w->nprobes = st->per_worker_conns;
	w->nhosts = w->nprobes; /* every connection may be a different host's control */
	w->probes = calloc(w->nprobes, sizeof(*w->probes));
	w->hosts = calloc(w->nhosts, sizeof(*w->hosts));
	w->runq = calloc(w->nhosts, sizeof(*w->runq));
	w->retryq = calloc(w->nprobes, sizeof(*w->retryq));
	w->ctrl2q = calloc(w->nhosts, sizeof(*w->ctrl2q));
	w->deferred = calloc(DEFER_CAP, sizeof(*w->deferred));
	if (st->localize) {
		static const struct loc_ops lops = {
			.open = loc_open,
			.echo = loc_echo,
			.done = loc_job_done,
		};
		w->loc_slots = calloc(LOC_JOBS, sizeof(*w->loc_slots));
		w->loc = w->loc_slots ? loc_table_new(LOC_JOBS, &lops, w) : NULL;
		if (!w->loc)
			goto fail;
	}
	w->seen = calloc((size_t)1 << SEEN_BITS, sizeof(*w->seen));
	w->x509_scratch = calloc(TLS_MAX_CERTS, sizeof(*w->x509_scratch));
	w->chains = chain_cache_new(CERT_CACHE_SLOTS, CHAIN_CACHE_SLOTS);
	w->ossl = tls_ossl_ctx_new();
	if (!w->probes || !w->hosts || !w->runq || !w->retryq || !w->ctrl2q || !w->deferred ||
	    !w->seen || !w->x509_scratch || !w->chains || !w->ossl)
		goto fail;
	for (uint32_t i = 0; i < w->nprobes; i++)
		w->probes[i].next_free = i + 1 < w->nprobes ? i + 1 : NONE;
	for (uint32_t i = 0; i < w->nhosts; i++)
		w->hosts[i].next_free = i + 1 < w->nhosts ? i + 1 : NONE;
	w->probe_free = 0;
	w->host_free = 0;
	/* -r over the workers (at least 1/s each: 0 would mean no limit), with
	 * up to 10 ms of credit, at least one poll's worth */
	uint64_t nw = st->ctx.nworkers ? st->ctx.nworkers : 1, pps = st->cfg->rate_pps / nw;
	rate_init(&w->rate, st->cfg->rate_pps && !pps ? 1 : pps, 1000000000ull,
		  eng_worker_now_ns(w->ew));
	rate_set_burst(&w->rate, pps / 100 > LAUNCH_PER_POLL ? pps / 100 : LAUNCH_PER_POLL);

	struct tcp_cfg tc = {
		.max_conns = w->nprobes,
		.connect_timeout_ns = (uint64_t)(st->cfg->connect_timeout_s * 1e9),
		.read_timeout_ns = (uint64_t)(st->cfg->read_timeout_s * 1e9),
		.rx_budget = st->rx_budget / (st->ctx.nworkers ? st->ctx.nworkers : 1),
		.rx_conn_max = (uint32_t)st->cfg->max_flight_bytes + CHUNK,
		.syn_rto_ns = TLS_SYN_RTO_NS,
		.tx = tx_frame,
		.tx_ctx = ew,
		.app_ops = &tls_tcp_ops,
		.app = w,
	};
	memcpy(tc.l2.src_mac, l2->src_mac, 6);
	memcpy(tc.l2.gw_mac, l2->gw_mac, 6);
	tc.l2.src_ip_be = l2->src_ip_be;
	tc.l2.sport_lo = l2->sport_lo;
	tc.l2.sport_hi = l2->sport_hi;
	if (getrandom(tc.hash_key, sizeof(tc.hash_key), 0) != sizeof(tc.hash_key))
		tc.hash_key[0] = w->rnd;
	w->tcp = tcp_table_new(&tc);
	if (!w->tcp)
		goto fail;
	if (sched_init(&w->sched, &st->sched_cfg, eng_worker_now_ns(w->ew)) != 0)
		goto fail;
	if (st->geo_ok) {
		w->geo = geo_open(st->geo_country[0] ? st->geo_country : NULL,
				  st->geo_asn[0] ? st->geo_asn : NULL, err, sizeof(err));
	}
	return w;
fail:
	fprintf(stderr, "tlsmap scan: TLS worker %u: out of memory\n", worker_id);
	tls_worker_fini(w);
	return NULL;
}

static void tls_open(void *wctx, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	struct tls_worker *w = wctx;
	if (w->st->ctx.resume)
		resume_host_open(w->st->ctx.resume, resume_key(ip_be, port_be), now_ns);
	if (w->pend_len == w->pend_cap) {
		size_t ncap = w->pend_cap ? w->pend_cap * 2 : 4096;
		uint64_t *n = malloc(ncap * sizeof(*n));
		if (!n)
			return;
		for (size_t i = 0; i < w->pend_len; i++)
			n[i] = w->pending[(w->pend_head + i) % w->pend_cap];
		free(w->pending);
		w->pending = n;
		w->pend_cap = ncap;
		w->pend_head = 0;
	}
	w->pending[(w->pend_head + w->pend_len++) % w->pend_cap] = (uint64_t)ip_be << 16 | port_be;
}

/* RST to the sweep's SYN: one control Probe, NO_TLS. */
static void sweep_closed(struct tls_worker *w, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	struct tls_stage *st = w->st;
	struct geo_result g = {0};

	if (!st->ctx.out) {
		progress_add(&st->ctx.ctr->probes, 1);
		return;
	}
	if (w->geo)
		geo_lookup_be32(w->geo, ip_be, &g);
	struct probe_desc d = {
		.ip_be = ip_be,
		.port_be = port_be,
		.sni = "",
		.is_control = true,
		.start_us = st->ctx.scan_start_us,
		.end_us = eng_ns_to_unix_us(st->ctx.eng, now_ns),
		.tcp = TLSMAP__V1__TCP_OUTCOME__TCP_CLOSED,
		.tls = TLSMAP__V1__TLS_OUTCOME__TLS_NOT_ATTEMPTED,
		.geo = &g,
	};
	struct probe_item *pi = probe_item_new(st, &d);
	uint64_t key = resume_key(ip_be, port_be);
	if (st->ctx.resume) /* the host is this one record */
		resume_host_open(st->ctx.resume, key, now_ns);
	if (pi) {
		w->items_built++;
		item_submit(w, pi);
	}
	if (st->ctx.resume)
		resume_host_unref(st->ctx.resume, key, 0);
}

static void tls_rx(void *wctx, const uint8_t *frame, uint16_t len, uint64_t now_ns)
{
	struct tls_worker *w = wctx;
	tcp_rx(w->tcp, frame, len, now_ns);
}

static void tls_sweep_closed(void *wctx, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	sweep_closed(wctx, ip_be, port_be, now_ns);
}

static bool can_connect(const struct tls_worker *w)
{
	return w->probe_free != NONE && tcp_active(w->tcp) < tcp_capacity(w->tcp) && w->allow &&
	       !w->wait_head && sched_total_open(&w->sched);
}

/* can_connect() and the destination /24's window and rate allow one more */
static bool may_open(struct tls_worker *w, uint32_t ip_be, uint64_t now)
{
	return can_connect(w) && sched_may_open(&w->sched, ntohl(ip_be), now);
}

/* A connection was started: one fewer this poll may start. The OpenSSL
 * retries start without asking (their probe slot is taken already): they
 * use what is left, never more. */
static void took(struct tls_worker *w)
{
	if (w->allow)
		w->allow--;
}

/* Probes whose load retry is due (stage_tls_sched.c keeps them). */
static unsigned launch_retries(struct tls_worker *w, uint64_t now)
{
	unsigned launched = 0;
	for (unsigned k = 0; k < LAUNCH_PER_POLL && can_connect(w); k++) {
		uint32_t pi = sched_retry_due(&w->sched, now);
		if (pi == NONE)
			break;
		struct tls_probe *p = &w->probes[pi];
		if (!sched_may_open(&w->sched, ntohl(w->hosts[p->host].ip_be), now)) {
			sched_retry_putback(&w->sched, pi, now); /* its /24 must wait */
			continue;
		}
		p->retry = false;
		int r = probe_connect(w, pi, now);
		if (r == -ENOSPC || r == -EADDRINUSE || r == -ENOBUFS) { /* not now */
			p->retry = true;
			sched_retry_putback(&w->sched, pi, now);
			break;
		}
		launched++;
		took(w);
		if (r)
			probe_end(w, p, now); /* record what the last attempt saw */
	}
	return launched;
}

/* OpenSSL retries first: they hold probe slots already. */
static void launch_ossl_retries(struct tls_worker *w, uint64_t now, unsigned *launched)
{
	while (w->retryq_len && *launched < LAUNCH_PER_POLL) {
		uint32_t pi = w->retryq[--w->retryq_len];
		struct tls_probe *p = &w->probes[pi];
		p->retry = false;
		int r = probe_connect(w, pi, now);
		if (r == -ENOSPC || r == -EADDRINUSE || r == -ENOBUFS) {
			w->retryq[w->retryq_len++] = pi;
			p->retry = true;
			break;
		}
		(*launched)++;
		took(w);
		if (r) { /* cannot run OpenSSL: record what the fast path saw */
			p->path = PATH_FAST;
			probe_end(w, p, now); /* a control probe's host goes on to its SNIs */
		}
	}
}

/* Hosts with test SNIs left; a host whose /24 must wait goes to the back. */
static void launch_tests(struct tls_worker *w, uint64_t now, unsigned *launched)
{
	for (uint32_t seen = 0, n = w->runq_len;
	     seen < n && w->runq_len && *launched < LAUNCH_PER_POLL && can_connect(w); seen++) {
		uint32_t hi = w->runq[w->runq_head];
		struct tls_host *h = &w->hosts[hi];
		while (h->inflight < TLS_STAGE_PER_HOST &&
		       h->next_sni < (int32_t)w->st->cfg->nsnis && may_open(w, h->ip_be, now)) {
			uint32_t pi = probe_alloc(w, hi, h->next_sni, now);
			if (probe_connect(w, pi, now) != 0) {
				probe_release(w, &w->probes[pi]);
				break;
			}
			h->next_sni++;
			h->inflight++;
			(*launched)++;
			took(w);
		}
		w->runq_head = (w->runq_head + 1) % w->nhosts;
		if (h->next_sni < (int32_t)w->st->cfg->nsnis && h->inflight < TLS_STAGE_PER_HOST) {
			if (!can_connect(w)) { /* global limits: keep its place, next poll */
				w->runq_head = (w->runq_head + w->nhosts - 1) % w->nhosts;
				break;
			}
			w->runq[(w->runq_head + w->runq_len - 1) % w->nhosts] = hi;
			continue;
		}
		w->runq_len--;
		h->in_runq = false;
		if (host_finished(w, h))
			host_done(w, hi);
	}
}

/* New hosts from the sweep; one whose /24 must wait goes to the back. */
static void launch_new_hosts(struct tls_worker *w, uint64_t now, unsigned *launched)
{
	for (size_t seen = 0, n = w->pend_len;
	     seen < n && seen < 4 * LAUNCH_PER_POLL && w->pend_len && *launched < LAUNCH_PER_POLL &&
	     w->host_free != NONE && can_connect(w);
	     seen++) {
		uint64_t v = w->pending[w->pend_head];
		if (!sched_may_open(&w->sched, ntohl((uint32_t)(v >> 16)), now)) {
			w->pend_head = (w->pend_head + 1) % w->pend_cap;
			w->pending[(w->pend_head + w->pend_len - 1) % w->pend_cap] = v;
			continue;
		}
		uint32_t hi = w->host_free;
		struct tls_host *h = &w->hosts[hi];
		w->host_free = h->next_free;
		w->hosts_used++;
		memset(h, 0, sizeof(*h));
		h->in_use = true;
		h->ip_be = (uint32_t)(v >> 16);
		h->port_be = (uint16_t)v;
		h->next_sni = -1;
		if (w->geo)
			geo_lookup_be32(w->geo, h->ip_be, &h->geo);
		uint32_t pi = probe_alloc(w, hi, -1, now);
		if (probe_connect(w, pi, now) != 0) {
			probe_release(w, &w->probes[pi]);
			host_release(w, hi);
			break;
		}
		h->inflight = 1;
		w->pend_head = (w->pend_head + 1) % w->pend_cap;
		w->pend_len--;
		(*launched)++;
		took(w);
	}
}

static void poll_work(struct tls_worker *w, uint64_t now)
{
	unsigned launched = 0;

	tcp_poll(w->tcp, now);
	launch_ossl_retries(w, now, &launched);
	/* then load retries, which hold probe slots too */
	launched += launch_retries(w, now);
	launch_queued_controls(w, now, &launched);
	if (w->loc)
		loc_poll(w->loc, now);
	deferred_poll(w, now);
	launch_tests(w, now, &launched);
	launch_new_hosts(w, now, &launched);
}

/* -r bounds the connections a poll may start: take what it may from the
 * bucket, give back what it did not use. */
static void tls_poll(void *wctx, uint64_t now)
{
	struct tls_worker *w = wctx;

	if (w->wait_head)
		wait_flush(w);
	w->allow = rate_take(&w->rate, now, LAUNCH_PER_POLL);
	poll_work(w, now);
	rate_return(&w->rate, w->allow);
	w->allow = 0;
}

static bool tls_idle(void *wctx)
{
	struct tls_worker *w = wctx;
	return w->pend_len == 0 && w->hosts_used == 0 && tcp_active(w->tcp) == 0 &&
	       w->retryq_len == 0 && sched_waiting(&w->sched) == 0 && w->ctrl2q_len == 0 &&
	       !w->wait_head && (!w->loc || !loc_active(w->loc));
}

static void tls_worker_fini(void *wctx)
{
	struct tls_worker *w = wctx;
	if (!w)
		return;
	if (w->tcp) {
		w->stopping = true;
		tcp_table_abort_all(w->tcp); /* writes records for interrupted probes */
		/* probes waiting for a load retry: their last attempt is the outcome */
		for (uint32_t pi; w->sched.nets && (pi = sched_retry_any(&w->sched)) != NONE;)
			probe_end(w, &w->probes[pi], eng_worker_now_ns(w->ew));
		/* and those waiting for the OpenSSL path: what the fast path saw */
		while (w->retryq && w->retryq_len) {
			struct tls_probe *p = &w->probes[w->retryq[--w->retryq_len]];
			p->path = PATH_FAST;
			probe_end(w, p, eng_worker_now_ns(w->ew));
		}
		w->ctrl2q_len = 0; /* no new connection now: write what is held */
		for (uint32_t i = 0; w->hosts && i < w->nhosts; i++)
			if (w->hosts[i].in_use)
				release_held(w, &w->hosts[i], 0, NULL, 0);
		if (w->loc)
			loc_abort_all(w->loc, eng_worker_now_ns(w->ew));
		deferred_scan(w, true);
		wait_drain(w);
		struct tls_stage *st = w->st;
		const struct tcp_stats *ts = tcp_table_stats(w->tcp);
		pthread_mutex_lock(&st->lock);
		const uint64_t *src = (const uint64_t *)ts;
		uint64_t *dst = (uint64_t *)&st->tcp;
		for (size_t i = 0; i < sizeof(*ts) / sizeof(uint64_t); i++)
			dst[i] += src[i];
		st->peak_buf_bytes += w->peak_buf_bytes;
		st->table_bytes += tcp_table_bytes(w->tcp) +
				   (uint64_t)w->nprobes * sizeof(*w->probes) +
				   (uint64_t)w->nhosts * (sizeof(*w->hosts) + sizeof(*w->runq)) +
				   (uint64_t)w->nprobes * sizeof(*w->retryq) +
				   (uint64_t)w->nhosts * sizeof(*w->ctrl2q);
		st->retries_ossl += w->retries_ossl;
		st->retries_tcp += w->retries_tcp;
		sched_stats_add(&st->sched, &w->sched.stats, st->workers == 0);
		st->table_bytes += sched_bytes(&w->sched);
		st->loc_started += w->loc_started;
		st->loc_done += w->loc_done;
		st->loc_localized += w->loc_localized;
		if (w->chains) {
			struct chain_cache_stats cs;
			chain_cache_stats(w->chains, &cs);
			st->cache.cert_lookups += cs.cert_lookups;
			st->cache.cert_hits += cs.cert_hits;
			st->cache.chain_lookups += cs.chain_lookups;
			st->cache.chain_hits += cs.chain_hits;
			st->cache_bytes += chain_cache_bytes(w->chains);
		}
		for (int k = 0; k < PROF_NPARTS; k++)
			st->prof[k] += w->prof[k];
		st->unclosed += w->sched.inflight;
		st->unwritten += (int64_t)(w->items_built - w->items_written);
		st->ring_waits += w->ring_waits;
		st->workers++;
		pthread_mutex_unlock(&st->lock);
		tcp_table_free(w->tcp);
	}
	for (uint32_t i = 0; w->probes && i < w->nprobes; i++)
		if (w->probes[i].in_use) {
			free(w->probes[i].buf);
			tls_ossl_free(w->probes[i].ossl);
		}
	for (uint32_t i = 0; w->hosts && i < w->nhosts; i++)
		if (w->hosts[i].in_use)
			free_control_chain(&w->hosts[i]);
	geo_close(w->geo);
	tls_ossl_ctx_free(w->ossl);
	free(w->probes);
	free(w->hosts);
	free(w->runq);
	free(w->retryq);
	free(w->ctrl2q);
	free(w->deferred);
	loc_table_free(w->loc);
	free(w->loc_slots);
	free(w->pending);
	free(w->seen);
	free(w->x509_scratch);
	chain_cache_free(w->chains);
	sched_free(&w->sched);
	free(w);
}

static const struct eng_stage_ops tls_ops = {
	.worker_init = tls_worker_init,
	.open = tls_open,
	.closed = tls_sweep_closed,
	.rx = tls_rx,
	.poll = tls_poll,
	.idle = tls_idle,
	.worker_fini = tls_worker_fini,
	.icmp = tls_icmp,
};

static void tls_stage_close(void *arg)
{
	struct tls_stage *st = arg;
	if (st->workers) {
		const struct tcp_stats *t = &st->tcp;
		uint64_t conns = (uint64_t)st->per_worker_conns * st->workers;
		fprintf(stderr,
			"tlsmap scan: tls: connections=%llu done=%llu syn_retx=%llu data_retx=%llu "
			"dup=%llu ooo=%llu ooo_dropped=%llu unknown_flow=%llu tx_fail=%llu "
			"retry_openssl=%llu retry_tcp=%llu\n",
			(unsigned long long)t->connects, (unsigned long long)t->done,
			(unsigned long long)t->syn_retx, (unsigned long long)t->data_retx,
			(unsigned long long)t->dup_segs, (unsigned long long)t->ooo_segs,
			(unsigned long long)t->ooo_dropped, (unsigned long long)t->unknown_flow,
			(unsigned long long)t->tx_fail, (unsigned long long)st->retries_ossl,
			(unsigned long long)st->retries_tcp);
		fprintf(stderr,
			"tlsmap scan: tls: state_bytes_per_connection=%llu (tcp %zu + probe %zu + "
			"host %zu + "
			"index/queues) table_bytes=%llu peak_recv_buffer_bytes=%llu\n",
			(unsigned long long)(conns ? st->table_bytes / conns : 0), tcp_conn_size(),
			sizeof(struct tls_probe), sizeof(struct tls_host),
			(unsigned long long)st->table_bytes,
			(unsigned long long)st->peak_buf_bytes);
		/* rx_buffer_peak_bytes: the sum of each worker's peak, so at least
		 * the true peak and at most --rx-budget */
		fprintf(stderr,
			"tlsmap scan: tls: rx_budget_bytes=%llu rx_buffer_peak_bytes=%llu "
			"rx_waits=%llu connects_deferred=%llu challenge_acks=%llu "
			"challenge_acks_limited=%llu rst_ignored=%llu bad_segments=%llu "
			"ooo_evicted=%llu\n",
			(unsigned long long)st->rx_budget, (unsigned long long)t->rx_peak_bytes,
			(unsigned long long)t->rx_waits, (unsigned long long)t->budget_refused,
			(unsigned long long)t->challenge_acks,
			(unsigned long long)t->challenge_acks_limited,
			(unsigned long long)t->rst_ignored,
			(unsigned long long)(t->syn_ignored + t->bad_ack + t->no_ack +
					     t->out_of_window),
			(unsigned long long)t->ooo_evicted);
		progress_add(&st->ctx.ctr->rx_buf_peak, t->rx_peak_bytes);
		const struct sched_stats *s = &st->sched;
		fprintf(stderr,
			"tlsmap scan: tls: load_failures=%llu load_retries=%llu gave_up=%llu "
			"backoffs=%llu net_backoffs=%llu net_waits=%llu net_table_full=%llu "
			"min_window=%u peak_in_flight=%u own_failures=%llu\n",
			(unsigned long long)s->load_failures, (unsigned long long)s->retries,
			(unsigned long long)s->gave_up, (unsigned long long)s->cuts,
			(unsigned long long)s->net_cuts, (unsigned long long)s->net_blocked,
			(unsigned long long)s->table_full, s->min_cwnd, s->peak_inflight,
			(unsigned long long)s->own_failures);
		fprintf(stderr,
			"tlsmap scan: localize: jobs=%llu done=%llu localized=%llu "
			"evidence_overflow=%llu\n",
			(unsigned long long)st->loc_started, (unsigned long long)st->loc_done,
			(unsigned long long)st->loc_localized,
			(unsigned long long)ev_overflow(st->ev));
		const struct chain_cache_stats *c = &st->cache;
		fprintf(stderr,
			"tlsmap scan: tls: cert_cache_lookups=%llu cert_cache_hits=%llu "
			"chain_cache_lookups=%llu chain_cache_hits=%llu cache_bytes=%llu\n",
			(unsigned long long)c->cert_lookups, (unsigned long long)c->cert_hits,
			(unsigned long long)c->chain_lookups, (unsigned long long)c->chain_hits,
			(unsigned long long)st->cache_bytes);
		progress_add(&st->ctx.ctr->chain_lookups, c->chain_lookups);
		progress_add(&st->ctx.ctr->chain_hits, c->chain_hits);
		fprintf(stderr,
			"tlsmap scan: tls: writer_ring_waits=%llu (records that waited, "
			"new connections paused meanwhile)\n",
			(unsigned long long)st->ring_waits);
		/* invariants, printed always so that tests can assert them */
		fprintf(stderr,
			"tlsmap scan: tls: %sunclosed_connections=%llu unwritten_items=%lld\n",
			st->unclosed || st->unwritten ? "internal error: " : "",
			(unsigned long long)st->unclosed, (long long)st->unwritten);
	}
	pthread_mutex_destroy(&st->lock);
	verify_store_free(st->roots);
	if (st->ev != st->ctx.evidence)
		ev_table_free(st->ev);
	free(st);
}

void stage_tls_profile_enable(void *stage_arg)
{
	((struct tls_stage *)stage_arg)->profile = true;
}

void stage_tls_profile_get(const void *stage_arg, struct stage_tls_profile *out)
{
	const struct tls_stage *st = stage_arg;
	memcpy(out->cycles, st->prof, sizeof(out->cycles));
	out->cache = st->cache;
	out->cache_bytes = st->cache_bytes;
}

/* min(physical memory / 8, 2 GiB): what --rx-budget is when not given. */
static uint64_t default_rx_budget(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t cap = 2ull << 30;
	if (pages <= 0 || psz <= 0)
		return cap;
	uint64_t eighth = (uint64_t)pages * (uint64_t)psz / 8;
	return eighth < cap ? eighth : cap;
}

/* Split the per-/24 limits over the workers (a /24's hosts spread over all
 * of them), and say before the scan starts what each host will receive. */
static void stage_tls_sched_cfg(struct tls_stage *st, unsigned nw)
{
	const struct scan_config *cfg = st->cfg;
	uint64_t net_conns = (cfg->net_max_connections + nw - 1) / nw;
	st->sched_cfg = (struct sched_cfg){
		.max_conns = st->per_worker_conns,
		.net_max_conns = (uint32_t)(net_conns < 1 ? 1 : net_conns),
		.net_rate = (cfg->net_rate + nw - 1) / nw,
		.max_attempts = cfg->max_attempts,
		.retry_delay_ns = (uint64_t)(cfg->retry_delay_s * 1e9),
		.queue_cap = st->per_worker_conns,
	};
	fprintf(stderr,
		"tlsmap scan: tls: %zu test SNI%s per eligible host after its control probe "
		"(%zu connections, at most %d at once); per /24: at most %llu in flight, %llu new "
		"per second%s; in total: adaptive, at most %llu in flight; up to %u attempts for a "
		"probe that load may have failed\n",
		cfg->nsnis, cfg->nsnis == 1 ? "" : "s", cfg->nsnis + 1, TLS_STAGE_PER_HOST,
		(unsigned long long)cfg->net_max_connections, (unsigned long long)cfg->net_rate,
		cfg->net_rate ? "" : " (no limit)", (unsigned long long)cfg->max_connections,
		cfg->max_attempts);
}

int stage_tls_open(const struct stage_ctx *ctx, struct stage *out)
{
	const struct scan_config *cfg = ctx->cfg;
	struct tls_stage *st = calloc(1, sizeof(*st));
	char err[512];

	if (!st)
		return -ENOMEM;
	st->ctx = *ctx;
	st->cfg = cfg;
	pthread_mutex_init(&st->lock, NULL);
	tls_hello_tmpl_init(&st->hello);
	st->eligible_any = cfg->eligible == SCAN_ELIGIBLE_ANY;
	st->localize = !cfg->no_localize;
	st->roots = verify_store_new(cfg->roots, err, sizeof(err));
	if (!st->roots) {
		fprintf(stderr, "tlsmap scan: --roots: %s\n", err);
		goto fail;
	}
	st->icpt = cfg->icpt;
	st->ev = ctx->evidence ? ctx->evidence : ev_table_new(); /* --resume: cmd_scan's */
	if (!st->ev)
		goto fail;
	/* geolocation: explicit paths must open; the defaults may be missing */
	if (cfg->geo_db)
		snprintf(st->geo_country, sizeof(st->geo_country), "%s", cfg->geo_db);
	else
		geo_default_path("country", st->geo_country, sizeof(st->geo_country));
	if (cfg->asn_db)
		snprintf(st->geo_asn, sizeof(st->geo_asn), "%s", cfg->asn_db);
	else
		geo_default_path("asn", st->geo_asn, sizeof(st->geo_asn));
	{
		struct geo *g = geo_open(st->geo_country, st->geo_asn, err, sizeof(err));
		if (g) {
			st->geo_ok = true;
			geo_close(g);
		} else if (cfg->geo_db || cfg->asn_db) {
			fprintf(stderr, "tlsmap scan: %s\n", err);
			goto fail;
		} else {
			fprintf(stderr, "tlsmap scan: warning: %s: probes get no country/ASN\n",
				err);
		}
	}
	unsigned nw = ctx->nworkers ? ctx->nworkers : 1;
	uint64_t per = cfg->max_connections / nw;
	st->per_worker_conns = (uint32_t)(per < 64 ? 64 : per > (1u << 24) ? (1u << 24) : per);
	/* receive budget: each worker's share must let one flight
	 * grow to its cap while another waits (tcp.h: 2 x rx_conn_max) */
	uint64_t conn_max = cfg->max_flight_bytes + CHUNK;
	st->rx_budget = cfg->rx_budget ? cfg->rx_budget : default_rx_budget();
	if (st->rx_budget / nw < 2 * conn_max) {
		if (cfg->rx_budget) {
			fprintf(stderr,
				"tlsmap scan: --rx-budget %llu is too small: at least 2 x "
				"(--max-flight-bytes + %u) per worker, %llu with %u worker(s)\n",
				(unsigned long long)cfg->rx_budget, CHUNK,
				(unsigned long long)(2 * conn_max * nw), nw);
			goto fail;
		}
		st->rx_budget = 2 * conn_max * nw;
	}
	stage_tls_sched_cfg(st, nw);
	out->ops = &tls_ops;
	out->arg = st;
	out->close = tls_stage_close;
	return 0;
fail:
	tls_stage_close(st);
	return -EINVAL;
}
