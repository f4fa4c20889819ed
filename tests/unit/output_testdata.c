/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_testdata.h"

struct td_arena {
	void **ptrs;
	size_t n, cap;
};

struct td_arena *td_arena_new(void)
{
	return calloc(1, sizeof(struct td_arena));
}

void td_arena_free(struct td_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->ptrs[i]);
	free(a->ptrs);
	free(a);
}

static void *td_alloc(struct td_arena *a, size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		abort();
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->ptrs = realloc(a->ptrs, a->cap * sizeof(*a->ptrs));
		if (!a->ptrs)
			abort();
	}
	a->ptrs[a->n++] = p;
	return p;
}

static char *td_fmt(struct td_arena *a, const char *fmt, unsigned v)
{
	char *s = td_alloc(a, 256);

	snprintf(s, 256, fmt, v);
	return s;
}

static ProtobufCBinaryData td_bytes(struct td_arena *a, size_t n, unsigned seed)
{
	ProtobufCBinaryData b = {n, td_alloc(a, n)};

	for (size_t i = 0; i < n; i++)
		b.data[i] = (uint8_t)(seed * 131 + i * 7 + 1);
	return b;
}

static char **td_strs(struct td_arena *a, size_t n, const char *fmt, unsigned salt)
{
	char **v = td_alloc(a, n * sizeof(char *));

	for (size_t i = 0; i < n; i++)
		v[i] = td_fmt(a, fmt, salt * 10 + (unsigned)i);
	return v;
}

void td_full_meta(struct td_arena *a, Tlsmap__V1__ScanMeta *m, unsigned salt)
{
	Tlsmap__V1__GeoDatabase **g = td_alloc(a, 2 * sizeof(*g));

	tlsmap__v1__scan_meta__init(m);
	m->format_version = 1;
	m->tool_version = td_fmt(a, "0.1.%u", salt);
	m->n_command_line = 3;
	m->command_line = td_strs(a, 3, "arg%u", salt);
	m->start_time_us = 1700000000000000ull + salt;
	m->end_time_us = 1700000000000001ull + salt;
	m->vantage = td_fmt(a, "vantage-%u", salt);
	m->seed = 0x1234567890abcdefull + salt;
	m->shard = 1;
	m->shards = 2;
	m->n_targets = 2;
	m->targets = td_strs(a, 2, "198.18.%u.0/24", salt);
	m->n_ports = 2;
	m->ports = td_alloc(a, 2 * sizeof(uint32_t));
	m->ports[0] = 443;
	m->ports[1] = 8443;
	m->n_snis = 2;
	m->snis = td_strs(a, 2, "sni%u.example", salt);
	m->control_sni = td_fmt(a, "control%u.example", salt);
	m->blocklist_sha256 = td_bytes(a, 32, salt + 1);
	for (int i = 0; i < 2; i++) {
		g[i] = td_alloc(a, sizeof(**g));
		tlsmap__v1__geo_database__init(g[i]);
		g[i]->role = td_fmt(a, i ? "asn%u" : "country%u", salt);
		g[i]->path = td_fmt(a, "/data/geo/%u.mmdb", salt + (unsigned)i);
		g[i]->database_type = td_fmt(a, "type%u", salt);
		g[i]->build_epoch = 1700000000u + (unsigned)i;
	}
	m->n_geo_databases = 2;
	m->geo_databases = g;
	m->roots_sha256 = td_bytes(a, 32, salt + 2);
	m->roots_source = td_fmt(a, "roots%u", salt);
	m->eligible = td_fmt(a, "any%u", salt);
	m->syn_only = true;
	m->n_countries = 2;
	m->countries = td_strs(a, 2, "C%u", salt);
	m->max_targets = 1000 + salt;
	m->target_count = 2000 + salt;
	m->rate_pps = 3000 + salt;
	m->interface = td_fmt(a, "net_null%u", salt);
	m->merged_shards = 3;
	m->n_merged_shard_indexes = 2;
	m->merged_shard_indexes = td_alloc(a, 2 * sizeof(uint32_t));
	m->merged_shard_indexes[0] = 0;
	m->merged_shard_indexes[1] = 2;
}

void td_full_cert(struct td_arena *a, Tlsmap__V1__Certificate *c, unsigned salt, size_t der_len)
{
	tlsmap__v1__certificate__init(c);
	c->sha256 = td_bytes(a, 32, salt);
	c->der = td_bytes(a, der_len, salt + 3);
	c->sha1 = td_bytes(a, 20, salt + 4);
	c->parsed = true;
	c->parse_error = 7 + salt;
	c->parse_error_offset = 8 + salt;
	c->version = 3;
	c->serial = td_fmt(a, "%x", salt + 0xabc);
	c->sig_alg = td_fmt(a, "sha256WithRSAEncryption%u", salt);
	c->subject = td_fmt(a, "CN=host%u.example", salt);
	c->issuer = td_fmt(a, "CN=Issuer %u,O=Org", salt);
	c->subject_cn = td_fmt(a, "host%u.example", salt);
	c->subject_o = td_fmt(a, "Subject Org %u", salt);
	c->subject_c = td_fmt(a, "K%c", 'A' + salt % 26);
	c->issuer_cn = td_fmt(a, "Issuer %u", salt);
	c->issuer_o = td_fmt(a, "Org %u", salt);
	c->issuer_c = td_fmt(a, "D%c", 'A' + salt % 26);
	c->not_before = td_fmt(a, "2024-01-%02uT00:00:00Z", 1 + salt % 28);
	c->not_after = td_fmt(a, "2025-01-%02uT00:00:00Z", 1 + salt % 28);
	c->not_before_unix = 1704067200 + salt;
	c->not_after_unix = -1 - (int64_t)salt; /* negative: exercises sign */
	c->key_type = TLSMAP__V1__KEY_TYPE__KEY_EC;
	c->key_bits = 256;
	c->curve = td_fmt(a, "prime256v1-%u", salt);
	c->spki_sha256 = td_bytes(a, 32, salt + 5);
	c->n_san_dns = 2;
	c->san_dns = td_strs(a, 2, "dns%u.example", salt);
	c->n_san_ip = 1;
	c->san_ip = td_strs(a, 1, "198.18.0.%u", salt);
	c->n_san_email = 1;
	c->san_email = td_strs(a, 1, "a%u@example", salt);
	c->n_san_uri = 1;
	c->san_uri = td_strs(a, 1, "urn:x:%u", salt);
	c->is_ca = true;
	c->path_len = -1;
	c->n_key_usage = 2;
	c->key_usage = td_strs(a, 2, "usage%u", salt);
	c->n_ext_key_usage = 1;
	c->ext_key_usage = td_strs(a, 1, "serverAuth%u", salt);
	c->aki = td_bytes(a, 20, salt + 6);
	c->ski = td_bytes(a, 20, salt + 7);
	c->n_policies = 1;
	c->policies = td_strs(a, 1, "2.23.140.1.2.%u", salt);
	c->n_ocsp = 1;
	c->ocsp = td_strs(a, 1, "ocsp%u", salt);
	c->n_ca_issuers = 1;
	c->ca_issuers = td_strs(a, 1, "caissuer%u", salt);
	c->has_sct = true;
	c->anomalies = 0x8000000000000001ull | salt;
	c->rsa_exponent = 65537;
}

void td_full_probe(struct td_arena *a, Tlsmap__V1__Probe *p, unsigned salt)
{
	tlsmap__v1__probe__init(p);
	p->ip = td_bytes(a, salt % 2 ? 16 : 4, salt);
	p->port = 443;
	p->sni = td_fmt(a, "sni%u.example", salt);
	p->is_control = true;
	p->vantage = td_fmt(a, "v%u", salt);
	p->start_us = 1700000000000000ull + salt;
	p->connected_us = 1700000000000100ull + salt;
	p->end_us = 1700000000000200ull + salt;
	p->tcp = TLSMAP__V1__TCP_OUTCOME__TCP_FLIGHT_TOO_LARGE;
	p->tls = TLSMAP__V1__TLS_OUTCOME__TLS_INCOMPLETE;
	p->alert_received = true;
	p->alert_level = 2;
	p->alert_description = 40 + salt;
	p->tls_version = 0x0303;
	p->cipher_suite = 0xc02f;
	p->group = 29;
	p->path = TLSMAP__V1__TLS_PATH__PATH_OPENSSL;
	p->n_chain = 2;
	p->chain = td_alloc(a, 2 * sizeof(ProtobufCBinaryData));
	p->chain[0] = td_bytes(a, 32, salt);
	p->chain[1] = td_bytes(a, 32, salt + 1);
	p->verdict = TLSMAP__V1__VERDICT__VERDICT_INTERCEPTED;
	p->n_reasons = 2;
	p->reasons = td_strs(a, 2, "reason%u", salt);
	p->country = td_fmt(a, "K%c", 'A' + salt % 26);
	p->asn = 9198 + salt;
	p->as_org = td_fmt(a, "JSC Kazakhtelecom %u", salt);
	p->chain_verified = true;
	p->verify_error = td_fmt(a, "self-signed certificate %u", salt);
	p->name_matches = true;
	p->flight_bytes = 4000 + salt;
	p->retransmits = 1 + salt;
	p->interceptor = td_fmt(a, "kz-2019-%u", salt);
}

void td_full_end(Tlsmap__V1__ScanEnd *e, unsigned salt)
{
	tlsmap__v1__scan_end__init(e);
	e->end_time_us = 1700000000999999ull + salt;
	e->clean = true;
	e->stop_reason = "done";
	e->targets_sent = 1 + salt;
	e->synack = 2 + salt;
	e->rst = 3 + salt;
	e->probes = 4 + salt;
	e->certificates = 5 + salt;
	e->tls_ok = 6 + salt;
	e->records_dropped = 7 + salt;
	e->rx_dropped = 8 + salt;
}

/* ---- the synthetic lab ---- */

int td_evil;
uint64_t td_start_us;
const char *td_vantage;
unsigned td_kz_forged = 8;

struct td_host {
	const char *cc;
	uint32_t asn;
	const char *org;
	int tls;	      /* 0: no TLS at all */
	const char *forger;   /* issuer CN of the interceptor, or NULL */
	unsigned forged_mask; /* which test SNIs (bit i) are intercepted */
};

static const char *const td_snis[] = {"www.google.com", "www.facebook.com", "twitter.com"};
static const char *const td_control = "control.example";

static struct td_host td_host_of(unsigned i)
{
	struct td_host h = {0};

	h.tls = 1;
	if (i < 12) {
		h.cc = "KZ";
		h.asn = i < 10 ? 9198 : 21299;
		h.org = i < 10 ? "JSC Kazakhtelecom" : "Kar-Tel LLC";
		if (i < td_kz_forged) {
			h.forger = td_evil ? "Qaznet <script>alert(1)</script> & \"Co\" <img "
					     "src=http://x/>"
					   : "Qaznet Trust Network";
			h.forged_mask = 0x3;
		}
		if (i == 11)
			h.tls = 0;
	} else if (i < 20) {
		h.cc = "RU";
		h.asn = 12389;
		h.org = "PJSC Rostelecom";
		if (i == 12) {
			h.forger = "Russian Trusted Sub CA";
			h.forged_mask = 0x4;
		}
	} else if (i < 30) {
		h.cc = "DE";
		h.asn = 3320;
		h.org = "Deutsche Telekom AG";
		if (i == 29)
			h.tls = 0;
	} else {
		h.cc = "US";
		h.asn = i < 35 ? 7922 : 16509;
		h.org = i < 35 ? "Comcast Cable Communications, LLC" : "Amazon.com, Inc.";
	}
	return h;
}

static void td_lab_cert(struct td_arena *a, Tlsmap__V1__Certificate *c, const char *subject_cn,
			const char *issuer_cn, unsigned seed)
{
	td_full_cert(a, c, seed, 64);
	c->is_ca = false;
	c->subject_cn = (char *)subject_cn;
	c->issuer_cn = (char *)issuer_cn;
	c->issuer_o = (char *)issuer_cn;
	c->subject = td_fmt(a, "CN=%u", seed);
	c->issuer = td_fmt(a, "CN=issuer-%u", seed);
	c->n_san_dns = 1;
	c->san_dns = td_alloc(a, sizeof(char *));
	c->san_dns[0] = (char *)subject_cn;
}

/* The lab dataset's ScanMeta for @shard of @shards. */
static void lab_meta(struct td_arena *a, Tlsmap__V1__ScanMeta *meta, unsigned shard,
		     unsigned shards, uint64_t seed)
{
	td_full_meta(a, meta, 0);
	meta->shard = shard;
	meta->shards = shards;
	meta->seed = seed;
	meta->syn_only = false;
	meta->n_targets = 1;
	meta->targets[0] = "198.18.1.0/26";
	meta->n_ports = 1;
	meta->n_snis = 3;
	meta->snis = (char **)td_snis;
	meta->control_sni = (char *)td_control;
	meta->vantage = td_vantage ? (char *)td_vantage : "lab";
	if (td_start_us)
		meta->start_time_us = td_start_us;
	meta->n_countries = 0;
	meta->merged_shards = 0;
	meta->n_merged_shard_indexes = 0;
	meta->target_count = 0;
	for (unsigned i = shard; i < TD_HOSTS; i += shards)
		meta->target_count++;
}

/* Probe @s (0: the control) of lab host @i: the fields every probe has. */
static void lab_probe_init(struct td_arena *a, Tlsmap__V1__Probe *p, const struct td_host *h,
			   unsigned i, unsigned s, const char *sni)
{
	uint8_t ip[4] = {198, 18, 1, (uint8_t)i};

	tlsmap__v1__probe__init(p);
	p->ip.len = 4;
	p->ip.data = td_alloc(a, 4);
	memcpy(p->ip.data, ip, 4);
	p->port = 443;
	p->sni = (char *)sni;
	p->is_control = s == 0;
	p->vantage = td_vantage ? (char *)td_vantage : "lab";
	p->start_us = 1700000000000000ull + i * 10 + s;
	p->country = (char *)h->cc;
	p->asn = h->asn;
	p->as_org = (char *)h->org;
}

/* An intercepted probe's verdict, reason and localisation: the last router
 * before the interceptor per country (198.19.200.2 for KZ, .6 else). */
static void lab_intercepted(struct td_arena *a, Tlsmap__V1__Probe *p, const struct td_host *h)
{
	uint8_t *hop = td_alloc(a, 4);

	p->verdict = TLSMAP__V1__VERDICT__VERDICT_INTERCEPTED;
	p->n_reasons = 1;
	p->reasons = td_alloc(a, sizeof(char *));
	p->reasons[0] = "chain differs from control; issuer not trusted";
	hop[0] = 198;
	hop[1] = 19;
	hop[2] = 200;
	hop[3] = !strcmp(h->cc, "KZ") ? 2 : 6;
	p->localized = true;
	p->interceptor_hop = 3;
	p->server_hop = 4;
	p->hop_before_interceptor.data = hop;
	p->hop_before_interceptor.len = 4;
	p->hop_country = (char *)h->cc;
	p->hop_asn = h->asn;
}

int td_write_lab(const char *path, unsigned shard, unsigned shards, int with_end, uint64_t seed)
{
	struct td_arena *a = td_arena_new();
	struct out_writer *w = out_writer_open(path);
	Tlsmap__V1__ScanMeta meta;
	Tlsmap__V1__ScanEnd end;
	uint64_t nprobes = 0, ncerts = 0;
	int ret;

	if (!w) {
		td_arena_free(a);
		return OUT_EIO;
	}
	lab_meta(a, &meta, shard, shards, seed);
	ret = out_write_meta(w, &meta);
	for (unsigned i = shard; i < TD_HOSTS && ret == OUT_OK; i += shards) {
		struct td_host h = td_host_of(i);
		Tlsmap__V1__Certificate own, forged;

		td_lab_cert(a, &own, td_fmt(a, "host%u.lab", i), "Lab Self Signed", 1000 + i);
		for (unsigned s = 0; s < 4 && ret == OUT_OK; s++) {
			Tlsmap__V1__Probe p;
			const char *sni = s == 0 ? td_control : td_snis[s - 1];
			bool forged_here = s > 0 && h.forger && (h.forged_mask >> (s - 1) & 1);
			ProtobufCBinaryData *chain = td_alloc(a, sizeof(*chain));

			lab_probe_init(a, &p, &h, i, s, sni);
			if (!h.tls) {
				p.tcp = TLSMAP__V1__TCP_OUTCOME__TCP_CLOSED;
				p.tls = TLSMAP__V1__TLS_OUTCOME__TLS_NOT_ATTEMPTED;
				p.verdict = TLSMAP__V1__VERDICT__VERDICT_NO_TLS;
			} else {
				Tlsmap__V1__Certificate *leaf = &own;

				p.tcp = TLSMAP__V1__TCP_OUTCOME__TCP_OPEN;
				p.tls = TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE;
				p.tls_version = 0x0303;
				p.path = TLSMAP__V1__TLS_PATH__PATH_FAST;
				if (forged_here) {
					/* One forged leaf per (forger, SNI): same across hosts. */
					td_lab_cert(a, &forged, sni, h.forger,
						    2000 + (unsigned)(h.forger[0]) * 8 + s);
					leaf = &forged;
					lab_intercepted(a, &p, &h);
				} else {
					p.verdict = TLSMAP__V1__VERDICT__VERDICT_HOST_OWN_CERT;
				}
				ret = out_write_cert(w, leaf);
				if (ret == OUT_OK && out_writer_has_cert(w, leaf->sha256.data))
					ncerts++;
				chain[0] = leaf->sha256;
				p.n_chain = 1;
				p.chain = chain;
			}
			if (ret == OUT_OK)
				ret = out_write_probe(w, &p);
			nprobes++;
		}
	}
	td_full_end(&end, 0);
	end.probes = nprobes;
	end.certificates = ncerts;
	if (ret == OUT_OK)
		ret = out_writer_close(w, with_end ? &end : NULL);
	else
		out_writer_close(w, NULL);
	td_arena_free(a);
	return ret;
}
