/* SPDX-License-Identifier: MIT */
/*
 * tlsmap bench tls: the whole TLS stage (userspace TCP, ClientHello, the
 * streaming parser or OpenSSL, certificate hashing and parsing through the
 * chain cache, verification, the verdict, the records and the writer
 * thread) against a peer that costs next to nothing, so that it measures
 * tlsmap and not a server.
 *
 * The peer (dpdk/peer.h) is an RX callback on a loopback net_ring port:
 * every SYN the engine sends comes back as a SYN-ACK, every ClientHello as
 * a server flight prepared at start-up: TLS 1.2 ServerHello, Certificate
 * and ServerHelloDone with RSA-2048 and ECDSA P-256 chains of 1 to 4
 * certificates (roots in a --roots file, so the chains verify), generated
 * here with OpenSSL. One process, --no-huge, no namespace, no packet leaves.
 *
 * Two runs, each in its own process (the EAL starts once per process):
 *   fast     the default scan: the template ClientHello and the parser;
 *   openssl  --tls13: every probe on the OpenSSL path; one host in
 *            --tls13-share answers as a TLS 1.3-only server (a real OpenSSL
 *            server handshake per connection, ECDSA), the rest with the
 *            canned TLS 1.2 flights (OpenSSL takes the chain at Certificate).
 * A host's connections (control, test SNIs, second control) all get the
 * same chain, as from a host that does not intercept.
 *
 * Cycles are counted on the worker lcore by part (stage_tls_profile), the
 * writer thread's CPU time is read from the kernel, and the peer's own
 * cycles (it runs on the worker lcore, inside rx_burst) are reported apart
 * and left out of the stage's figures. Prints key=value lines.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dpdk/engine.h"
#include "dpdk/peer.h"
#include "output/out.h"
#include "scanner/bench/bench.h"
#include "scanner/cmd/cli.h"
#include "scanner/core/progress.h"
#include "scanner/cmd/scan_config.h"
#include "scanner/stage/stage.h"
#include "scanner/stage/stage_tls.h"

#define CMD "bench tls"
#define NALG 2	 /* RSA, ECDSA */
#define MAXLEN 4 /* certificates in a chain */

struct bench_opts {
	uint64_t hosts, snis, distinct, share, conns, rate;
	uint64_t ring;	     /* the writer's ring slots (the scan's: 65,536) */
	const char *path;    /* fast, openssl or both */
	const char *dataset; /* -o: keep the last run's dataset there */
	const char *lcores;
};

/* ---- certificates (OpenSSL, at start-up) ---- */

struct ca_level {
	EVP_PKEY *key;
	X509 *cert;
};

struct bench_pki {
	struct ca_level ca[NALG][MAXLEN]; /* [0] root, [k] intermediate k (issued by k-1) */
	EVP_PKEY *leaf_key[NALG];
	uint8_t **flight; /* [alg][len-1][distinct] */
	size_t *flight_len;
	SSL_CTX *tls13[MAXLEN]; /* ECDSA chains of 1..4, TLS 1.3 only */
	uint64_t serial;
};

static EVP_PKEY *new_key(int alg)
{
	return alg == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
			: EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (e) {
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
}

/* A certificate for @key named @cn, issued by @issuer (NULL: self-signed). */
static X509 *new_cert(struct bench_pki *pki, EVP_PKEY *key, const char *cn,
		      const struct ca_level *issuer, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	if (!x || !n)
		goto fail;
	X509_set_version(x, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), ++pki->serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : n);
	X509_set_pubkey(x, key);
	add_ext(x, issuer ? issuer->cert : x, NID_basic_constraints,
		ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (ca)
		add_ext(x, issuer ? issuer->cert : x, NID_key_usage,
			"critical,keyCertSign,cRLSign");
	else
		add_ext(x, issuer->cert, NID_subject_alt_name,
			"DNS:*.bench.example,DNS:bench.example");
	if (!X509_sign(x, issuer ? issuer->key : key, EVP_sha256()))
		goto fail;
	X509_NAME_free(n);
	return x;
fail:
	X509_NAME_free(n);
	X509_free(x);
	return NULL;
}

/* Roots and intermediates of both algorithms; the roots go to @roots_pem. */
static int pki_cas(struct bench_pki *pki, const char *roots_pem)
{
	FILE *f = fopen(roots_pem, "w");
	char cn[64];
	int ret = -1;

	if (!f)
		return -1;
	for (int a = 0; a < NALG; a++) {
		for (int k = 0; k < MAXLEN; k++) {
			struct ca_level *l = &pki->ca[a][k];
			snprintf(cn, sizeof(cn), "tlsmap bench %s CA %d", a ? "ECDSA" : "RSA", k);
			l->key = new_key(a);
			l->cert = l->key ? new_cert(pki, l->key, cn, k ? &pki->ca[a][k - 1] : NULL,
						    true)
					 : NULL;
			if (!l->cert)
				goto out;
		}
		pki->leaf_key[a] = new_key(a);
		if (!pki->leaf_key[a] || !PEM_write_X509(f, pki->ca[a][0].cert))
			goto out;
	}
	ret = 0;
out:
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 16);
	put16(p + 1, v);
}

/*
 * A TLS 1.2 server flight for chain[0..n): ServerHello (cipher @cipher, no
 * session id, an empty renegotiation_info), Certificate, ServerHelloDone,
 * as handshake records of at most 16 KiB. Returns malloc'd bytes.
 */
static uint8_t *tls12_flight(X509 *const *chain, int n, uint16_t cipher, size_t *len)
{
	static const uint8_t sh_tail[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
					  0xff, 0x01, 0x00, 0x01, 0x00};
	size_t certs = 0, hs_len, out = 0;
	int dl[MAXLEN];

	for (int i = 0; i < n; i++)
		certs += 3 + (size_t)(dl[i] = i2d_X509(chain[i], NULL));
	hs_len = (4 + 2 + 32 + sizeof(sh_tail)) + (4 + 3 + certs) + 4;
	uint8_t *hs = malloc(hs_len), *rec = malloc(hs_len + 5 * (hs_len / 16384 + 1));
	if (!hs || !rec)
		goto fail;
	uint8_t *p = hs;
	*p++ = 2; /* ServerHello */
	put24(p, 2 + 32 + sizeof(sh_tail));
	p += 3;
	*p++ = 3;
	*p++ = 3;
	for (int i = 0; i < 32; i++)
		*p++ = (uint8_t)(0x5a ^ i);
	memcpy(p, sh_tail, sizeof(sh_tail));
	put16(p + 1, cipher); /* session id length 0, then the suite */
	p += sizeof(sh_tail);
	*p++ = 11; /* Certificate */
	put24(p, 3 + certs);
	put24(p + 3, certs);
	p += 6;
	for (int i = 0; i < n; i++) {
		put24(p, (size_t)dl[i]);
		p += 3;
		i2d_X509(chain[i], &p);
	}
	memcpy(p, "\x0e\x00\x00\x00", 4); /* ServerHelloDone */
	for (size_t off = 0; off < hs_len; off += 16384) {
		size_t k = hs_len - off < 16384 ? hs_len - off : 16384;
		memcpy(rec + out, "\x16\x03\x03", 3);
		put16(rec + out + 3, k);
		memcpy(rec + out + 5, hs + off, k);
		out += 5 + k;
	}
	free(hs);
	*len = out;
	return rec;
fail:
	free(hs);
	free(rec);
	return NULL;
}

static SSL_CTX *tls13_server(X509 *leaf, EVP_PKEY *key, X509 *const *issuers, int n)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	if (!c)
		return NULL;
	SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(c, 0);
	if (SSL_CTX_use_certificate(c, leaf) != 1 || SSL_CTX_use_PrivateKey(c, key) != 1)
		goto fail;
	for (int i = 0; i < n; i++)
		if (SSL_CTX_add1_chain_cert(c, issuers[i]) != 1)
			goto fail;
	return c;
fail:
	SSL_CTX_free(c);
	return NULL;
}

static size_t flight_idx(int a, int len, uint64_t d, uint64_t distinct)
{
	return ((size_t)a * MAXLEN + (size_t)(len - 1)) * distinct + d;
}

/* Leaves, flights and the TLS 1.3 servers. */
static int pki_flights(struct bench_pki *pki, uint64_t distinct)
{
	size_t nf = NALG * MAXLEN * distinct;
	char cn[64];

	pki->flight = calloc(nf, sizeof(*pki->flight));
	pki->flight_len = calloc(nf, sizeof(*pki->flight_len));
	if (!pki->flight || !pki->flight_len)
		return -1;
	for (int a = 0; a < NALG; a++)
		for (int len = 1; len <= MAXLEN; len++)
			for (uint64_t d = 0; d < distinct; d++) {
				X509 *chain[MAXLEN];
				snprintf(cn, sizeof(cn), "%llu.bench.example",
					 (unsigned long long)d);
				chain[0] = new_cert(pki, pki->leaf_key[a], cn, &pki->ca[a][len - 1],
						    false);
				if (!chain[0])
					return -1;
				for (int k = 1; k < len; k++)
					chain[k] = pki->ca[a][len - 1 - k + 1].cert;
				size_t i = flight_idx(a, len, d, distinct);
				pki->flight[i] = tls12_flight(chain, len, a ? 0xc02b : 0xc02f,
							      &pki->flight_len[i]);
				if (a == 1 && d == 0)
					pki->tls13[len - 1] = tls13_server(
						chain[0], pki->leaf_key[a], chain + 1, len - 1);
				X509_free(chain[0]);
				if (!pki->flight[i] || (a == 1 && d == 0 && !pki->tls13[len - 1]))
					return -1;
			}
	return 0;
}

static void pki_free(struct bench_pki *pki, uint64_t distinct)
{
	for (int a = 0; a < NALG; a++) {
		for (int k = 0; k < MAXLEN; k++) {
			X509_free(pki->ca[a][k].cert);
			EVP_PKEY_free(pki->ca[a][k].key);
		}
		EVP_PKEY_free(pki->leaf_key[a]);
	}
	for (size_t i = 0; pki->flight && i < NALG * MAXLEN * distinct; i++)
		free(pki->flight[i]);
	free(pki->flight);
	free(pki->flight_len);
	for (int k = 0; k < MAXLEN; k++)
		SSL_CTX_free(pki->tls13[k]);
}

/* ---- the peer's answers ---- */

struct bench_peer {
	const struct bench_pki *pki;
	uint64_t distinct, share; /* share: one host in share is TLS 1.3-only (0: none) */
	uint8_t *buf;		  /* the last TLS 1.3 answer */
	size_t cap;
	uint64_t tls13_answers, tls13_failed;
};

/* A real TLS 1.3 server's first flight to @hello (stateless: the SSL is
 * thrown away; the client takes the chain from this flight). */
static const uint8_t *answer_tls13(struct bench_peer *bp, SSL_CTX *ctx, const uint8_t *hello,
				   size_t len, size_t *out_len)
{
	SSL *s = SSL_new(ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	const uint8_t *ret = NULL;

	if (!s || !rb || !wb) {
		BIO_free(rb);
		BIO_free(wb);
		goto out;
	}
	BIO_write(rb, hello, (int)len);
	SSL_set_bio(s, rb, wb);
	SSL_set_accept_state(s);
	SSL_do_handshake(s);
	size_t n = BIO_ctrl_pending(wb);
	if (n > bp->cap) {
		uint8_t *nb = realloc(bp->buf, n);
		if (!nb)
			goto out;
		bp->buf = nb;
		bp->cap = n;
	}
	if (n && BIO_read(wb, bp->buf, (int)n) == (int)n) {
		*out_len = n;
		ret = bp->buf;
		bp->tls13_answers++;
	}
out:
	if (!ret)
		bp->tls13_failed++;
	SSL_free(s);
	return ret;
}

static const uint8_t *peer_answer(void *ctx, uint32_t ip_be, uint16_t port_be, const uint8_t *p,
				  size_t len, size_t *out_len)
{
	struct bench_peer *bp = ctx;
	uint64_t h = __builtin_bswap32(ip_be), nf = NALG * MAXLEN * bp->distinct;

	(void)port_be;
	h = (h * 0x9e3779b97f4a7c15ull) >> 20; /* spread neighbours over the chains */
	size_t i = (size_t)(h % nf);
	if (bp->share && (h / nf) % bp->share == 0)
		return answer_tls13(bp, bp->pki->tls13[i % MAXLEN], p, len, out_len);
	*out_len = bp->pki->flight_len[i];
	return bp->pki->flight[i];
}

/* ---- one run ---- */

struct bench_gen {
	uint32_t base, n, next; /* host order */
	uint16_t port_be;
};

static int gen_next(void *arg, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be, unsigned max)
{
	struct bench_gen *g = arg;
	unsigned k = 0;

	(void)now_ns;
	if (g->next == g->n)
		return -1;
	for (; k < max && k < 16 && g->next < g->n; k++) { /* small bursts: a 1024-slot ring */
		ip_be[k] = __builtin_bswap32(g->base + g->next++);
		port_be[k] = g->port_be;
	}
	return (int)k;
}

/* The kernel's account of this process's live threads whose name starts
 * with @prefix (every live thread: ""): nanoseconds on a CPU, and waiting
 * on a run queue while runnable (/proc/.../schedstat), summed. */
struct sched_ns {
	double cpu, wait;
};

static bool task_named(const char *tid, const char *prefix)
{
	char path[300], name[64] = "";
	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(name, sizeof(name), f) && !strncmp(name, prefix, strlen(prefix));
	fclose(f);
	return ok;
}

static struct sched_ns threads_sched(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	struct sched_ns s = {0, 0};

	while (d && (de = readdir(d))) {
		char path[300];
		unsigned long long cpu, wait;
		if (de->d_name[0] == '.' || !task_named(de->d_name, prefix))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu %llu", &cpu, &wait) == 2) {
			s.cpu += (double)cpu;
			s.wait += (double)wait;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return s;
}

static double threads_cpu_s(const char *prefix)
{
	return threads_sched(prefix).cpu / 1e9;
}

static double process_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct run_result {
	uint64_t chains, probes, hosts_open;
	uint64_t ring_full; /* pushes the writer's ring refused (the item then waited) */
	double seconds, writer_cpu_s;
	struct sched_ns worker; /* the worker lcore's time on a CPU, and preempted */
	struct stage_tls_profile prof;
	struct peer_stats peer;
	uint64_t tsc_hz, tx_dropped, tls13_answers;
	uint64_t idle_ns; /* the worker lcore's loops that found nothing to do */
};

/* The scan's options for this run, as `tlsmap scan` would get them. */
static int run_config(struct scan_config *cfg, const struct bench_opts *o, bool ossl,
		      const char *dir, char argbuf[][64], char **argv)
{
	int argc = 0;
	unsigned prefix = 32;
	while ((1ull << (32 - prefix)) < o->hosts)
		prefix--;
#define ARG(...) (snprintf(argbuf[argc], 64, __VA_ARGS__), argv[argc] = argbuf[argc], argc++)
	ARG("scan");
	ARG("198.18.0.0/%u", prefix);
	ARG("-p");
	ARG("443");
	ARG("-i");
	ARG("net_ring0");
	ARG("--source-ip");
	ARG("198.19.0.1");
	ARG("-G");
	ARG("02:00:00:00:00:02");
	ARG("--allow-reserved");
	ARG("-r");
	ARG("%llu", (unsigned long long)o->rate);
	ARG("--max-connections");
	ARG("%llu", (unsigned long long)o->conns);
	ARG("--roots");
	ARG("%s/roots.pem", dir);
	ARG("--cooldown"); /* a preempted RX lcore must not find the scan over */
	ARG("1");
	ARG("-T");
	ARG("%s", o->lcores);
	ARG("--net-rate");
	ARG("0");
	ARG("--net-max-connections");
	ARG("%llu", (unsigned long long)o->conns);
	ARG("-o");
	if (o->dataset)
		ARG("%s", o->dataset);
	else
		ARG("%s/bench.tlsmap", dir);
	ARG("--control-sni");
	ARG("bench.example");
	for (uint64_t k = 0; k < o->snis; k++) {
		ARG("--sni");
		ARG("s%llu.bench.example", (unsigned long long)k);
	}
	if (ossl)
		ARG("--tls13");
#undef ARG
	argv[argc] = NULL;
	optind = 0;
	return scan_config_parse(cfg, argc, argv) == 0 ? 0 : -1;
}

static struct eng *run_engine(const struct scan_config *cfg)
{
	struct eng_config ec;
	char err[512];

	memset(&ec, 0, sizeof(ec));
	ec.iface = cfg->iface;
	ec.lcores = cfg->lcores;
	ec.src_ip_be = __builtin_bswap32(cfg->src_ip);
	memcpy(ec.gw_mac, cfg->gw_mac, 6);
	ec.have_gw_mac = true;
	ec.sweep_sport_lo = cfg->sport_lo;
	ec.sweep_sport_hi = cfg->sport_hi;
	ec.tcp_sport_lo = cfg->tcp_sport_lo;
	ec.tcp_sport_hi = cfg->tcp_sport_hi;
	memcpy(ec.cookie_key, cfg->cookie_key, 16);
	ec.dedup_ip_lo = 0xc6120000;
	ec.dedup_ip_hi = 0xc613ffff;
	ec.ports = cfg->ports;
	ec.nports = cfg->nports;
	ec.cooldown_s = cfg->cooldown_s;
	struct eng *e = eng_open(&ec, "tlsmap", err, sizeof(err));
	if (!e)
		fprintf(stderr, "tlsmap " CMD ": %s\n", err);
	return e;
}

/* The dataset: a ScanMeta first (the writer's rule), then the writer thread. */
static struct out_async *run_output(const struct scan_config *cfg, uint32_t ring,
				    struct out_writer **w)
{
	Tlsmap__V1__ScanMeta m;

	*w = out_writer_open(cfg->output);
	if (!*w)
		return NULL;
	tlsmap__v1__scan_meta__init(&m);
	m.format_version = 1;
	m.tool_version = (char *)"bench";
	if (out_write_meta(*w, &m) != 0)
		return NULL;
	return out_async_start(*w, ring);
}

static void run_finish(struct out_writer *w, struct out_async *oa, struct run_result *r)
{
	Tlsmap__V1__ScanEnd end;

	if (oa) {
		/* the writer is the only thread that ends: its CPU time is what
		 * the process's total gains over its live threads' */
		double before = process_cpu_s() - threads_cpu_s("");
		out_async_stop(oa);
		r->writer_cpu_s = process_cpu_s() - threads_cpu_s("") - before;
	}
	if (w) {
		tlsmap__v1__scan_end__init(&end);
		end.clean = true;
		end.stop_reason = (char *)"done";
		out_writer_close(w, &end);
	}
}

static const struct peer_ops bench_peer_ops = {.answer = peer_answer};

/* One scan of o->hosts addresses through the peer. 0, or -1 (printed). */
static int run_one(const struct bench_opts *o, bool ossl, const char *dir,
		   const struct bench_pki *pki, struct run_result *r)
{
	static char argbuf[64][64];
	char *argv[65], err[512];
	struct scan_config cfg;
	struct eng *e = NULL;
	struct peer *peer = NULL;
	struct out_writer *w = NULL;
	struct out_async *oa = NULL;
	struct stage stage = {0};
	struct progress_counters ctr;
	struct bench_peer bp = {.pki = pki, .distinct = o->distinct, .share = ossl ? o->share : 0};
	struct eng_stats es;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (run_config(&cfg, o, ossl, dir, argbuf, argv) != 0)
		return -1;
	if (!(e = run_engine(&cfg)))
		goto out;
	if (!(peer = peer_attach(eng_port_name(e), &bench_peer_ops, &bp, err, sizeof(err)))) {
		fprintf(stderr, "tlsmap " CMD ": %s\n", err);
		goto out;
	}
	if (!(oa = run_output(&cfg, (uint32_t)o->ring, &w))) {
		fprintf(stderr, "tlsmap " CMD ": cannot write %s\n", cfg.output);
		goto out;
	}
	progress_init(&ctr);
	struct stage_ctx sctx = {
		.cfg = &cfg, .out = oa, .ctr = &ctr, .nworkers = eng_nworkers(e), .eng = e};
	if (stage_tls_open(&sctx, &stage) != 0)
		goto out;
	stage_tls_profile_enable(stage.arg);
	struct bench_gen gen = {.base = 0xc6120000, .n = (uint32_t)cfg.npairs, .port_be = 0xbb01};
	struct sched_ns worker0 = threads_sched("rte-worker");
	uint64_t t0 = eng_now_ns(e);
	eng_run(e, gen_next, &gen, stage.ops, stage.arg, NULL, NULL);
	r->seconds = (double)(eng_now_ns(e) - t0) / 1e9;
	struct sched_ns w1 = threads_sched("rte-worker");
	r->worker.cpu = w1.cpu - worker0.cpu;
	r->worker.wait = w1.wait - worker0.wait;
	eng_stats(e, &es);
	stage_tls_profile_get(stage.arg, &r->prof);
	stage.close(stage.arg);
	stage.arg = NULL;
	peer_stats(peer, &r->peer);
	r->chains = progress_get(&ctr.tls_ok);
	r->probes = progress_get(&ctr.probes);
	r->ring_full = out_async_dropped(oa);
	r->hosts_open = es.synack;
	r->tx_dropped = es.tx_dropped;
	r->idle_ns = es.idle_ns;
	r->tsc_hz = peer_cycles_hz();
	r->tls13_answers = bp.tls13_answers;
	ret = 0;
out:
	if (stage.arg)
		stage.close(stage.arg);
	run_finish(w, oa, r);
	peer_detach(peer);
	eng_close(e);
	free(bp.buf);
	scan_config_free(&cfg);
	return ret;
}

static double per(uint64_t v, uint64_t n)
{
	return n ? (double)v / (double)n : 0;
}

/*
 * Cycles per chain: the worker lcore's time on a CPU (the kernel's count:
 * time the machine gave to other processes is not charged) less the
 * peer's share, plus the writer thread's CPU time. The parts are TSC-timed
 * sections of the stage, scaled by the worker's share of its runnable time
 * spent on a CPU (on a shared machine a section's wall time includes the
 * preemptions that fell inside it); idle is the worker's loop iterations
 * that found nothing to do (the engine's eng_stats.idle_ns, scaled the
 * same way: waiting for the peer's answers through the TX lcore, not work
 * per chain, so printed apart and left out of cycles_per_chain); tcp is
 * the rest of the worker's time: the userspace TCP, the engine's RX and
 * dispatch, ClientHellos, scheduling. The stage hooks' raw wall time is
 * not taken (it was printed as hooks_tsc): timing each segment's hook cost
 * two TSC reads per segment, charged to tcp.
 */
static void print_result(const char *pfx, const struct run_result *r)
{
	const uint64_t *c = r->prof.cycles;
	double hz = (double)r->tsc_hz, n = r->chains ? (double)r->chains : 1;
	double on_cpu = r->worker.cpu + r->worker.wait > 0
				? r->worker.cpu / (r->worker.cpu + r->worker.wait)
				: 1.0;
	double peer = (double)r->peer.cycles * on_cpu / n;
	double writer = r->writer_cpu_s * hz / n, worker = r->worker.cpu / 1e9 * hz / n - peer;
	double part[PROF_NPARTS], parts = 0;
	for (int k = 0; k < PROF_NPARTS; k++) {
		part[k] = (double)c[k] * on_cpu / n;
		parts += part[k];
	}
	double idle = (double)r->idle_ns / 1e9 * hz * on_cpu / n;
	if (idle > worker - parts) /* the scaling is an estimate: never below no TCP at all */
		idle = worker > parts ? worker - parts : 0;
	worker -= idle;
	double cyc = worker + writer;
	const struct chain_cache_stats *cs = &r->prof.cache;

	printf("%shosts_open=%llu\n%schains=%llu\n%sprobes=%llu\n", pfx,
	       (unsigned long long)r->hosts_open, pfx, (unsigned long long)r->chains, pfx,
	       (unsigned long long)r->probes);
	printf("%swriter_ring_full=%llu\n", pfx, (unsigned long long)r->ring_full);
	printf("%sseconds=%.3f\n%schains_per_s_wall=%.0f\n", pfx, r->seconds, pfx,
	       r->seconds > 0 ? (double)r->chains / r->seconds : 0.0);
	printf("%scycles_per_chain=%.0f\n", pfx, cyc);
	printf("%schains_per_s_per_core=%.0f\n", pfx, cyc > 0 ? hz / cyc : 0.0);
	printf("%scycles_tcp=%.0f\n", pfx, worker > parts ? worker - parts : 0.0);
	printf("%scycles_parse=%.0f\n%scycles_hash=%.0f\n", pfx, part[PROF_PARSE], pfx,
	       part[PROF_HASH]);
	printf("%scycles_verify=%.0f\n%scycles_record=%.0f\n%scycles_writer=%.0f\n", pfx,
	       part[PROF_VERIFY], pfx, part[PROF_RECORD], pfx, writer);
	printf("%scycles_idle=%.0f\n", pfx, idle);
	printf("%sworker_on_cpu_share=%.3f\n", pfx, on_cpu);
	printf("%speer_cycles_per_chain=%.0f\n%speer_dropped=%llu\n%stx_dropped=%llu\n", pfx, peer,
	       pfx, (unsigned long long)r->peer.dropped, pfx, (unsigned long long)r->tx_dropped);
	printf("%schain_cache_hit_rate=%.4f\n%scert_cache_hit_rate=%.4f\n", pfx,
	       per(cs->chain_hits, cs->chain_lookups), pfx, per(cs->cert_hits, cs->cert_lookups));
	printf("%scache_bytes=%llu\n%stls13_answers=%llu\n", pfx,
	       (unsigned long long)r->prof.cache_bytes, pfx, (unsigned long long)r->tls13_answers);
	fflush(stdout);
}

/* Run one path in a child process (the EAL starts once per process). */
static int run_child(const struct bench_opts *o, bool ossl, const char *dir,
		     const struct bench_pki *pki)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct run_result r;
		int ret = run_one(o, ossl, dir, pki, &r);
		if (ret == 0)
			print_result(ossl ? "tls_openssl_" : "tls_", &r);
		fflush(stdout);
		_exit(ret == 0 && r.chains ? 0 : 1);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static const char usage_tls[] =
	"usage: tlsmap bench tls [options]   (key=value lines on stdout)\n"
	"  --hosts N         addresses scanned from 198.18.0.0 (256..131072, default 16384)\n"
	"  --snis K          test SNIs per host (0..16, default 2): K + 2 chains per host\n"
	"                    (the second control only follows test SNIs: 1 when K is 0)\n"
	"  --distinct D      distinct leaf certificates per (algorithm, chain length) (default "
	"16)\n"
	"  --tls13-share N   openssl run: one host in N is a TLS 1.3-only server (0: none, "
	"default 8)\n"
	"  --path P          fast, openssl or both (default both)\n"
	"  --max-connections N  in flight (default 256)\n"
	"  -r PPS            SYNs and new connections per second (default 100000)\n"
	"  -T LCORES         EAL lcores, TX then RX/worker (default 0-1)\n"
	"  -o FILE           keep the (last) run's dataset in FILE\n"
	"  --writer-ring N   the writer's ring slots (default 65536, as a scan); a small one\n"
	"                    makes the stage wait for the writer (records are never dropped)\n";

static int tls_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{"hosts", required_argument, NULL, 'n'},
		{"snis", required_argument, NULL, 'k'},
		{"distinct", required_argument, NULL, 'd'},
		{"tls13-share", required_argument, NULL, 's'},
		{"path", required_argument, NULL, 'P'},
		{"max-connections", required_argument, NULL, 'c'},
		{"rate", required_argument, NULL, 'r'},
		{"lcores", required_argument, NULL, 'T'},
		{"output", required_argument, NULL, 'o'},
		{"writer-ring", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli_getopt g = {.cmd = CMD, .shortopts = "r:T:o:h", .longopts = opts};
	int c, bad = 0;

	*o = (struct bench_opts){16384, 2, 16, 8, 256, 100000, 65536, "both", NULL, "0-1"};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case 'n':
			bad |= cli_parse_u64(CMD, "--hosts", optarg, 256, 131072, true, &o->hosts);
			break;
		case 'k':
			bad |= cli_parse_u64(CMD, "--snis", optarg, 0, 16, true, &o->snis);
			break;
		case 'd':
			bad |= cli_parse_u64(CMD, "--distinct", optarg, 1, 4096, true,
					     &o->distinct);
			break;
		case 's':
			bad |= cli_parse_u64(CMD, "--tls13-share", optarg, 0, 1 << 20, true,
					     &o->share);
			break;
		case 'c':
			bad |= cli_parse_u64(CMD, "--max-connections", optarg, 64, 1 << 20, true,
					     &o->conns);
			break;
		case 'r':
			bad |= cli_parse_u64(CMD, "-r", optarg, 1000, 100000000, true, &o->rate);
			break;
		case 'P':
			o->path = optarg;
			if (strcmp(optarg, "fast") && strcmp(optarg, "openssl") &&
			    strcmp(optarg, "both")) {
				cli_usage_error(CMD, "--path %s: fast, openssl or both", optarg);
				bad = 1;
			}
			break;
		case 'T':
			o->lcores = optarg;
			break;
		case 'R':
			bad |= cli_parse_u64(CMD, "--writer-ring", optarg, 2, 1 << 20, true,
					     &o->ring);
			break;
		case 'o':
			o->dataset = optarg;
			break;
		case 'h':
			fputs(usage_tls, stdout);
			return 1;
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		default:
			return cli_bad_option(CMD, argc, argv);
		}
	}
	return bad ? CLI_EUSAGE : 0;
}

int bench_tls(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_pki pki = {0};
	char dir[] = "/tmp/tlsmap-bench-tls-XXXXXX", path[64];
	int ret = tls_opts(argc, argv, &o), fails = 0;

	if (ret)
		return ret == 1 ? 0 : ret;
	if (!mkdtemp(dir)) {
		perror("tlsmap " CMD ": mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/roots.pem", dir);
	struct timespec ts0, ts1;
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	if (pki_cas(&pki, path) != 0 || pki_flights(&pki, o.distinct) != 0) {
		fprintf(stderr, "tlsmap " CMD ": cannot generate the certificates\n");
		fails = 1;
		goto out;
	}
	printf("bench_hosts=%llu\nbench_snis=%llu\nbench_distinct_leaves=%llu\nbench_flights=%"
	       "llu\n",
	       (unsigned long long)o.hosts, (unsigned long long)o.snis,
	       (unsigned long long)o.distinct, (unsigned long long)(NALG * MAXLEN * o.distinct));
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	printf("bench_pki_seconds=%.3f\n",
	       (double)(ts1.tv_sec - ts0.tv_sec) + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e9);
	if (strcmp(o.path, "openssl"))
		fails += run_child(&o, false, dir, &pki) != 0;
	if (strcmp(o.path, "fast"))
		fails += run_child(&o, true, dir, &pki) != 0;
out:
	pki_free(&pki, o.distinct);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.tlsmap", dir);
	unlink(path);
	rmdir(dir);
	return fails ? 1 : 0;
}
