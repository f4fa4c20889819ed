/* SPDX-License-Identifier: MIT */
/*
 * verdict.h: facts about a probe are computed first (same chain as the
 * control? verified? names the SNI? known interceptor?), then the first
 * rule of rules[] whose required and forbidden facts hold gives the
 * verdict. The table is the whole policy of docs/verdicts.md; changing the
 * policy means editing rows, not control flow.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers/verdict.h"

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_NO_TLS:
		return "VERDICT_NO_TLS";
	case VERDICT_TLS_ERROR:
		return "VERDICT_TLS_ERROR";
	case VERDICT_HOST_OWN_CERT:
		return "VERDICT_HOST_OWN_CERT";
	case VERDICT_VALID_FOR_SNI:
		return "VERDICT_VALID_FOR_SNI";
	case VERDICT_UNTRUSTED_OTHER:
		return "VERDICT_UNTRUSTED_OTHER";
	case VERDICT_INTERCEPTED:
		return "VERDICT_INTERCEPTED";
	default:
		return "VERDICT_UNSPECIFIED";
	}
}

/* ---- the known-interceptor list ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Split @line at tabs into at most @max fields (in place). */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = 0;
	}
	return n;
}

static int parse_line(char *line, struct verdict_interceptor *e, const char **why)
{
	char *f[5];
	size_t n = split_tabs(line, f, 5);

	memset(e, 0, sizeof(*e));
	if (n != 4) {
		*why = "expected 4 tab-separated columns: kind value label source";
		return -1;
	}
	if (!strcmp(f[0], "issuer")) {
		e->kind = VERDICT_ICPT_ISSUER;
		if (strlen(f[1]) >= sizeof(e->value) || !*f[1]) {
			*why = "issuer name empty or too long";
			return -1;
		}
		/* "CN=x" with nothing else: also match on the CN alone */
		if (!strncasecmp(f[1], "CN=", 3) && !strpbrk(f[1], ",+\\") &&
		    strlen(f[1] + 3) < sizeof(e->cn))
			snprintf(e->cn, sizeof(e->cn), "%s", f[1] + 3);
	} else if (!strcmp(f[0], "spki_sha256")) {
		e->kind = VERDICT_ICPT_SPKI_SHA256;
		if (strlen(f[1]) != 64) {
			*why = "spki_sha256 needs 64 hex digits";
			return -1;
		}
		for (int i = 0; i < 32; i++) {
			int hi = hexval(f[1][2 * i]), lo = hexval(f[1][2 * i + 1]);
			if (hi < 0 || lo < 0) {
				*why = "spki_sha256 needs 64 hex digits";
				return -1;
			}
			e->spki_sha256[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		*why = "kind must be 'issuer' or 'spki_sha256'";
		return -1;
	}
	if (!*f[2] || strlen(f[2]) >= sizeof(e->label) || strlen(f[3]) >= sizeof(e->source)) {
		*why = "label empty or label/source too long";
		return -1;
	}
	snprintf(e->value, sizeof(e->value), "%s", f[1]);
	snprintf(e->label, sizeof(e->label), "%s", f[2]);
	snprintf(e->source, sizeof(e->source), "%s", f[3]);
	return 0;
}

int verdict_interceptors_add_file(struct verdict_interceptors *list, const char *path, char *err,
				  size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct verdict_interceptor e;
		const char *why;
		size_t len = strlen(line);

		lineno++;
		if (len && line[len - 1] != '\n' && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto out;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		if (parse_line(line, &e, &why) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto out;
		}
		if (list->n == list->cap) {
			size_t nc = list->cap ? list->cap * 2 : 16;
			struct verdict_interceptor *v = realloc(list->v, nc * sizeof(*v));

			if (!v) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			list->v = v;
			list->cap = nc;
		}
		list->v[list->n++] = e;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	ret = 0;
out:
	fclose(f);
	return ret;
}

struct verdict_interceptors *verdict_interceptors_load(const char *path, char *err, size_t errlen)
{
	struct verdict_interceptors *list = calloc(1, sizeof(*list));

	if (!list) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (verdict_interceptors_add_file(list, path, err, errlen) < 0) {
		verdict_interceptors_free(list);
		return NULL;
	}
	return list;
}

void verdict_interceptors_free(struct verdict_interceptors *list)
{
	if (!list)
		return;
	free(list->v);
	free(list);
}

static bool name_matches_entry(const struct verdict_interceptor *e, const char *rfc4514,
			       const char *cn)
{
	if (rfc4514 && !strcasecmp(rfc4514, e->value))
		return true;
	return e->cn[0] && cn && !strcasecmp(cn, e->cn);
}

const struct verdict_interceptor *verdict_interceptor_match(const struct verdict_interceptors *list,
							    const struct x509_cert *cert,
							    const uint8_t *der)
{
	const struct verdict_interceptor *hit = NULL;
	char *iss = NULL, *sub = NULL, *icn = NULL, *scn = NULL;
	uint8_t spki[32];
	bool have_names = false;

	if (!list || !list->n || !cert)
		return NULL;
	x509_digests(der, cert, NULL, NULL, spki);
	for (size_t i = 0; i < list->n && !hit; i++) {
		const struct verdict_interceptor *e = &list->v[i];

		if (e->kind == VERDICT_ICPT_SPKI_SHA256) {
			if (!memcmp(e->spki_sha256, spki, 32))
				hit = e;
			continue;
		}
		if (!have_names) {
			iss = x509_name_rfc4514(der, cert->issuer);
			sub = x509_name_rfc4514(der, cert->subject);
			icn = x509_str_utf8(der, cert->issuer_cn);
			scn = x509_str_utf8(der, cert->subject_cn);
			have_names = true;
		}
		if (name_matches_entry(e, iss, icn) || name_matches_entry(e, sub, scn))
			hit = e;
	}
	free(iss);
	free(sub);
	free(icn);
	free(scn);
	return hit;
}

/* ---- the decision table ---- */

enum {
	F_STAGE_NO_TLS = 1u << 0,
	F_STAGE_TLS_ERROR = 1u << 1,
	F_HAS_CHAIN = 1u << 2,
	F_CONTROL = 1u << 3, /* this is the control probe */
	F_SAME = 1u << 4,    /* chain equals the control chain */
	F_VERIFIED = 1u << 5,
	F_NAMES_SNI = 1u << 6,
	F_KNOWN = 1u << 7, /* a chain certificate is on the interceptor list */
};
#define F_EV_SHIFT 8 /* evidence bits (enum verdict_evidence) sit above the chain facts */
#define EV(b) ((unsigned)(VERDICT_EV_##b) << F_EV_SHIFT)

struct rule {
	unsigned need, forbid;
	enum verdict verdict;
	const char *why; /* reason added when an evidence row decides, or NULL */
};

/*
 * First match wins (docs/verdicts.md). The rows from FIRST_EVIDENCE_ROW on
 * see only chains that differ from the control chain, do not verify and
 * match no known interceptor: there the chain alone proves nothing, and
 * the evidence bits decide. Cross-host evidence comes before "same hop as
 * the server" and before instability: a bump-in-the-wire device that does
 * not decrement the TTL looks like the server's own hop, but one issuer
 * forging for many hosts in several networks is not one host's doing.
 */
static const struct rule rules[] = {
	{F_STAGE_NO_TLS, 0, VERDICT_NO_TLS, NULL},
	{F_STAGE_TLS_ERROR, 0, VERDICT_TLS_ERROR, NULL},
	{0, F_HAS_CHAIN, VERDICT_UNSPECIFIED, NULL},
	{F_CONTROL, 0, VERDICT_HOST_OWN_CERT, NULL},
	{F_SAME, 0, VERDICT_HOST_OWN_CERT, NULL},
	{F_KNOWN, 0, VERDICT_INTERCEPTED, NULL},
	{F_VERIFIED | F_NAMES_SNI, 0, VERDICT_VALID_FOR_SNI, NULL},
	{F_VERIFIED, 0, VERDICT_UNTRUSTED_OTHER, NULL},
	/* FIRST_EVIDENCE_ROW */
	{EV(SAME_AS_CONTROL2), 0, VERDICT_HOST_OWN_CERT, "same-as-second-control"},
	{EV(LOCALIZED_BEFORE), 0, VERDICT_INTERCEPTED, "localized-before-server"},
	{EV(GROUP_BEFORE), 0, VERDICT_INTERCEPTED, "group-localized-before-server"},
	{EV(CROSS_HOST), 0, VERDICT_INTERCEPTED, "issuer-forges-across-networks"},
	{EV(UNSTABLE), 0, VERDICT_UNTRUSTED_OTHER, "unstable-host"},
	{0, 0, VERDICT_UNTRUSTED_OTHER, "served-by-host"},
};
#define FIRST_EVIDENCE_ROW 8

static void reason(struct verdict_result *out, const char *fmt, const char *arg)
{
	if (out->n_reasons >= VERDICT_MAX_REASONS)
		return;
	snprintf(out->reasons[out->n_reasons++], VERDICT_REASON_LEN, fmt, arg ? arg : "");
}

/* The first row whose facts hold gives out->verdict and out->needs_evidence. */
static void match_rules(struct verdict_result *out)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if ((out->facts & rules[i].need) == rules[i].need &&
		    !(out->facts & rules[i].forbid)) {
			out->verdict = rules[i].verdict;
			out->needs_evidence = i >= FIRST_EVIDENCE_ROW;
			out->rule = (uint8_t)i;
			return;
		}
	}
}

/* The reasons an evidence row adds: its own, and what path evidence was had. */
static void evidence_reasons(struct verdict_result *out)
{
	if (!out->needs_evidence)
		return;
	if (rules[out->rule].why)
		reason(out, "%s", rules[out->rule].why);
	if (out->verdict != VERDICT_INTERCEPTED && (out->facts & EV(AT_SERVER_HOP)))
		reason(out, "at-server-hop", NULL);
	if (out->verdict != VERDICT_INTERCEPTED && (out->facts & EV(NOT_LOCALIZED)))
		reason(out, "not-localized", NULL);
}

static bool slices_equal(const uint8_t *da, struct x509_slice a, const uint8_t *db,
			 struct x509_slice b)
{
	return a.len == b.len && !memcmp(da + a.off, db + b.off, a.len);
}

static bool chains_equal(const struct verdict_input *in)
{
	if (in->test_n != in->control_n)
		return false;
	for (size_t i = 0; i < in->test_n; i++)
		if (memcmp(in->test[i].sha256, in->control[i].sha256, 32))
			return false;
	return true;
}

void verdict_decide(const struct verdict_input *in, struct verdict_result *out)
{
	unsigned facts = 0;
	const struct x509_cert *tl = NULL, *cl = NULL;

	memset(out, 0, sizeof(*out));
	facts = in->evidence << F_EV_SHIFT;
	if (in->stage == VERDICT_STAGE_NO_TLS)
		facts |= F_STAGE_NO_TLS;
	else if (in->stage == VERDICT_STAGE_TLS_ERROR)
		facts |= F_STAGE_TLS_ERROR;
	if (in->stage == VERDICT_STAGE_CERTIFICATE && in->test_n > 0) {
		facts |= F_HAS_CHAIN;
		if (in->is_control)
			facts |= F_CONTROL;
		if (in->verified)
			facts |= F_VERIFIED;
		if (in->name_matches)
			facts |= F_NAMES_SNI;
		if (!in->is_control && in->control_n > 0 && chains_equal(in))
			facts |= F_SAME;
		for (size_t i = 0; i < in->test_n && !out->interceptor; i++)
			out->interceptor = verdict_interceptor_match(
				in->interceptors, in->test[i].parsed, in->test[i].der);
		if (out->interceptor)
			facts |= F_KNOWN;
		tl = in->test[0].parsed;
		if (in->control_n > 0)
			cl = in->control[0].parsed;
	}
	out->facts = facts;
	match_rules(out);

	/* Reasons: what was seen, in a fixed order. */
	if (!(facts & F_HAS_CHAIN)) {
		if (in->stage == VERDICT_STAGE_CERTIFICATE)
			reason(out, "empty-chain", NULL);
		return;
	}
	if (facts & F_CONTROL) {
		reason(out, "control-probe", NULL);
	} else if (in->control_n == 0) {
		reason(out, "no-control-chain", NULL);
		reason(out, "differs-from-control", NULL);
	} else {
		reason(out, (facts & F_SAME) ? "same-as-control" : "differs-from-control", NULL);
	}
	if (!(facts & F_VERIFIED))
		reason(out, "unverified:%s", in->verify_error ? in->verify_error : "unknown");
	if (out->interceptor)
		reason(out, "known-interceptor:%s", out->interceptor->label);
	if (tl && cl && !(facts & (F_SAME | F_CONTROL)) &&
	    slices_equal(in->test[0].der, tl->subject, in->control[0].der, cl->subject) &&
	    slices_equal(in->test[0].der, tl->san_ext, in->control[0].der, cl->san_ext) &&
	    !slices_equal(in->test[0].der, tl->spki, in->control[0].der, cl->spki) &&
	    !slices_equal(in->test[0].der, tl->issuer, in->control[0].der, cl->issuer)) {
		reason(out, "subject-copied-from-control", NULL);
		if (tl->not_before != cl->not_before || tl->not_after != cl->not_after)
			reason(out, "validity-shifted", NULL);
	}
	if (facts & F_NAMES_SNI)
		reason(out, "names-sni", NULL);
	out->n_chain_reasons = out->n_reasons;
	evidence_reasons(out);
}

void verdict_redecide(struct verdict_result *r, unsigned evidence)
{
	if (!r->needs_evidence)
		return;
	r->facts = (r->facts & ((1u << F_EV_SHIFT) - 1)) | evidence << F_EV_SHIFT;
	match_rules(r);
	r->n_reasons = r->n_chain_reasons;
	evidence_reasons(r);
}
