/* SPDX-License-Identifier: MIT */
/*
 * evidence.h: two open-addressing tables made at start-up, one by issuer
 * (distinct own leaves and networks it forged for, each kept as a small
 * set up to what the threshold needs) and one by (network, issuer) group
 * (localisations claimed and their results). Linear probing, never
 * deleted, at most 7/10 full.
 *
 * Each claim is also logged with the host that made it, so a resumed scan
 * carries exactly the claims of the hosts it does not probe again: it
 * then localises no more than an uninterrupted scan would, and a host it
 * probes again claims anew as it did the first time.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/verdict.h"
#include "scanner/stage/evidence.h"
#include "scanner/stage/resume.h"

#define ISSUER_SLOTS 8192u /* power of 2 */
#define GROUP_SLOTS 16384u
#define CLAIM_SLOTS 65536u /* claims logged with their host; past it, counted only */

struct ev_issuer {
	uint64_t key; /* 0: empty */
	uint8_t nleaves, nnets;
	uint64_t leaves[EV_CROSS_HOSTS];
	uint64_t nets[EV_CROSS_NETWORKS];
};

struct ev_group {
	uint64_t issuer, network;
	bool used;
	uint32_t claimed, before, at_server;
};

struct ev_claim {
	uint64_t issuer, network, host;
};

struct ev_table {
	pthread_mutex_t lock;
	struct ev_issuer *issuers;
	struct ev_group *groups;
	struct ev_claim *claims; /* nclaims, in no order */
	uint32_t nissuers, ngroups, nclaims;
	uint64_t overflow;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

struct ev_table *ev_table_new(void)
{
	struct ev_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->issuers = calloc(ISSUER_SLOTS, sizeof(*t->issuers));
	t->groups = calloc(GROUP_SLOTS, sizeof(*t->groups));
	t->claims = calloc(CLAIM_SLOTS, sizeof(*t->claims));
	if (!t->issuers || !t->groups || !t->claims) {
		ev_table_free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void ev_table_free(struct ev_table *t)
{
	if (!t)
		return;
	if (t->issuers && t->groups && t->claims)
		pthread_mutex_destroy(&t->lock);
	free(t->issuers);
	free(t->groups);
	free(t->claims);
	free(t);
}

uint64_t ev_network(uint32_t asn, uint32_t ip_be)
{
	const uint8_t *b = (const uint8_t *)&ip_be;

	if (asn)
		return asn;
	return 1ull << 32 | (uint64_t)b[0] << 16 | (uint64_t)b[1] << 8 | b[2];
}

uint64_t ev_issuer_key(const uint8_t *name_der, uint32_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (uint32_t i = 0; i < len; i++) {
		h ^= name_der[i];
		h *= 1099511628211ull;
	}
	return h ? h : 1; /* 0 marks an empty slot */
}

/* Find or insert; NULL when the table is full. Lock held. */
static struct ev_issuer *issuer_get(struct ev_table *t, uint64_t key, bool insert)
{
	for (uint32_t i = (uint32_t)mix(key) & (ISSUER_SLOTS - 1);;
	     i = (i + 1) & (ISSUER_SLOTS - 1)) {
		struct ev_issuer *e = &t->issuers[i];
		if (e->key == key)
			return e;
		if (e->key)
			continue;
		if (!insert)
			return NULL;
		if ((t->nissuers + 1) * 10 > ISSUER_SLOTS * 7) {
			t->overflow++;
			return NULL;
		}
		t->nissuers++;
		e->key = key;
		return e;
	}
}

static struct ev_group *group_get(struct ev_table *t, uint64_t issuer, uint64_t network,
				  bool insert)
{
	for (uint32_t i = (uint32_t)mix(issuer ^ mix(network)) & (GROUP_SLOTS - 1);;
	     i = (i + 1) & (GROUP_SLOTS - 1)) {
		struct ev_group *g = &t->groups[i];
		if (g->used && g->issuer == issuer && g->network == network)
			return g;
		if (g->used)
			continue;
		if (!insert)
			return NULL;
		if ((t->ngroups + 1) * 10 > GROUP_SLOTS * 7) {
			t->overflow++;
			return NULL;
		}
		t->ngroups++;
		g->used = true;
		g->issuer = issuer;
		g->network = network;
		return g;
	}
}

/* Add @v to a small set of capacity @cap. */
static void set_add(uint64_t *set, uint8_t *n, unsigned cap, uint64_t v)
{
	for (unsigned i = 0; i < *n; i++)
		if (set[i] == v)
			return;
	if (*n < cap)
		set[(*n)++] = v;
}

void ev_record(struct ev_table *t, uint64_t issuer_key, uint64_t network, const uint8_t own_leaf[8])
{
	uint64_t leaf = 0;

	for (int i = 0; i < 8; i++)
		leaf = leaf << 8 | own_leaf[i];
	pthread_mutex_lock(&t->lock);
	struct ev_issuer *e = issuer_get(t, issuer_key, true);
	if (e) {
		set_add(e->leaves, &e->nleaves, EV_CROSS_HOSTS, leaf);
		set_add(e->nets, &e->nnets, EV_CROSS_NETWORKS, network);
	}
	group_get(t, issuer_key, network, true);
	pthread_mutex_unlock(&t->lock);
}

void ev_localized(struct ev_table *t, uint64_t issuer_key, uint64_t network, bool before_server)
{
	pthread_mutex_lock(&t->lock);
	struct ev_group *g = group_get(t, issuer_key, network, true);
	if (g) {
		if (before_server)
			g->before++;
		else
			g->at_server++;
	}
	pthread_mutex_unlock(&t->lock);
}

/* Take a slot of @g for @host. Lock held. */
static void claim_log(struct ev_table *t, struct ev_group *g, uint64_t host)
{
	g->claimed++;
	if (t->nclaims < CLAIM_SLOTS)
		t->claims[t->nclaims++] = (struct ev_claim){g->issuer, g->network, host};
	else
		t->overflow++;
}

bool ev_claim_localization(struct ev_table *t, uint64_t issuer_key, uint64_t network,
			   unsigned per_group, uint64_t host)
{
	bool ok = false;

	pthread_mutex_lock(&t->lock);
	struct ev_group *g = group_get(t, issuer_key, network, true);
	if (g && g->claimed < per_group) {
		claim_log(t, g, host);
		ok = true;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

void ev_unclaim_localization(struct ev_table *t, uint64_t issuer_key, uint64_t network,
			     uint64_t host)
{
	pthread_mutex_lock(&t->lock);
	struct ev_group *g = group_get(t, issuer_key, network, false);
	if (g && g->claimed)
		g->claimed--;
	for (uint32_t i = t->nclaims; i-- > 0;) { /* the newest: it was just made */
		const struct ev_claim *c = &t->claims[i];
		if (c->issuer == issuer_key && c->network == network && c->host == host) {
			t->claims[i] = t->claims[--t->nclaims];
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
}

unsigned ev_lookup(struct ev_table *t, uint64_t issuer_key, uint64_t network)
{
	unsigned ev = 0;

	pthread_mutex_lock(&t->lock);
	struct ev_issuer *e = issuer_get(t, issuer_key, false);
	if (e && e->nleaves >= EV_CROSS_HOSTS && e->nnets >= EV_CROSS_NETWORKS)
		ev |= VERDICT_EV_CROSS_HOST;
	struct ev_group *g = group_get(t, issuer_key, network, false);
	if (g && g->before)
		ev |= VERDICT_EV_GROUP_BEFORE;
	pthread_mutex_unlock(&t->lock);
	return ev;
}

uint64_t ev_overflow(const struct ev_table *t)
{
	return t->overflow;
}

/* ---- a scan's evidence across a resume (scanner/stage/resume.h) ---- */

int ev_table_export(struct ev_table *t, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	if (!f)
		return -1;
	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < ISSUER_SLOTS; i++) {
		const struct ev_issuer *e = &t->issuers[i];
		if (!e->key)
			continue;
		fprintf(f, "ev_issuer %" PRIx64 " %u", e->key, e->nleaves);
		for (unsigned k = 0; k < e->nleaves; k++)
			fprintf(f, " %" PRIx64, e->leaves[k]);
		fprintf(f, " %u", e->nnets);
		for (unsigned k = 0; k < e->nnets; k++)
			fprintf(f, " %" PRIx64, e->nets[k]);
		fputc('\n', f);
	}
	for (uint32_t i = 0; i < GROUP_SLOTS; i++) {
		const struct ev_group *g = &t->groups[i];
		if (g->used)
			fprintf(f, "ev_group %" PRIx64 " %" PRIx64 " %u %u\n", g->issuer,
				g->network, g->before, g->at_server);
	}
	for (uint32_t i = 0; i < t->nclaims; i++)
		fprintf(f, "ev_claim %" PRIx64 " %" PRIx64 " %" PRIx64 "\n", t->claims[i].issuer,
			t->claims[i].network, t->claims[i].host);
	pthread_mutex_unlock(&t->lock);
	return fclose(f) == 0 ? 0 : -1;
}

/* Next space-separated hex number of *@p (advanced); false when there is none. */
static bool next_hex(const char **p, uint64_t *v)
{
	char *end;

	if (**p != ' ' || !isxdigit((unsigned char)(*p)[1]))
		return false;
	errno = 0;
	*v = strtoull(*p + 1, &end, 16);
	*p = end;
	return errno == 0 && (*end == ' ' || *end == '\0');
}

static int import_issuer(struct ev_table *t, const char *p)
{
	uint64_t key, n, leaves[EV_CROSS_HOSTS], nets[EV_CROSS_NETWORKS], nn;

	if (!next_hex(&p, &key) || !key || !next_hex(&p, &n) || n > EV_CROSS_HOSTS)
		return -1;
	for (uint64_t k = 0; k < n; k++)
		if (!next_hex(&p, &leaves[k]))
			return -1;
	if (!next_hex(&p, &nn) || nn > EV_CROSS_NETWORKS)
		return -1;
	for (uint64_t k = 0; k < nn; k++)
		if (!next_hex(&p, &nets[k]))
			return -1;
	if (*p)
		return -1;
	pthread_mutex_lock(&t->lock);
	struct ev_issuer *e = issuer_get(t, key, true);
	for (uint64_t k = 0; e && k < n; k++)
		set_add(e->leaves, &e->nleaves, EV_CROSS_HOSTS, leaves[k]);
	for (uint64_t k = 0; e && k < nn; k++)
		set_add(e->nets, &e->nnets, EV_CROSS_NETWORKS, nets[k]);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static int import_group(struct ev_table *t, const char *p)
{
	uint64_t issuer, network, before, at_server;

	if (!next_hex(&p, &issuer) || !next_hex(&p, &network) || !next_hex(&p, &before) ||
	    !next_hex(&p, &at_server) || *p || before > UINT32_MAX / 2 ||
	    at_server > UINT32_MAX / 2)
		return -1;
	pthread_mutex_lock(&t->lock);
	struct ev_group *g = group_get(t, issuer, network, true);
	if (g) {
		g->before += (uint32_t)before;
		g->at_server += (uint32_t)at_server;
	}
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* A claim, kept unless its host is one in sorted @redo (probed again: it
 * claims anew, as in an uninterrupted scan). */
static int import_claim(struct ev_table *t, const char *p, const uint64_t *redo, size_t nredo)
{
	uint64_t issuer, network, host;

	if (!next_hex(&p, &issuer) || !next_hex(&p, &network) || !next_hex(&p, &host) || *p)
		return -1;
	if (resume_set_has(redo, nredo, host))
		return 0;
	pthread_mutex_lock(&t->lock);
	struct ev_group *g = group_get(t, issuer, network, true);
	if (g)
		claim_log(t, g, host);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int ev_table_import(struct ev_table *t, const char *text, const uint64_t *redo, size_t nredo,
		    size_t *bad_line)
{
	size_t line = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *nl = strchr(p, '\n');
		char buf[512];
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		int ret = -1;

		line++;
		if (n < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (strncmp(buf, "ev_issuer", 9) == 0)
				ret = import_issuer(t, buf + 9);
			else if (strncmp(buf, "ev_group", 8) == 0)
				ret = import_group(t, buf + 8);
			else if (strncmp(buf, "ev_claim", 8) == 0)
				ret = import_claim(t, buf + 8, redo, nredo);
		}
		if (ret) {
			*bad_line = line;
			return -1;
		}
	}
	return 0;
}
