/* SPDX-License-Identifier: MIT */
/*
 * verdict.h: facts about a probe are computed first (same chain as the
 * control? verified? names the SNI? known interceptor?), then the first
 * rule of rules[] whose required and forbidden facts hold gives the
 * verdict. The table is the whole policy of docs/verdicts.md; changing the
 * policy means editing rows, not control flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/verdict.h"
#include "parsers/x509_internal.h"

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

/*
 * Add a reason. The rules add at most VERDICT_MAX_REASONS (a differing chain
 * with a control: 5 chain reasons and 3 evidence reasons), so none is
 * dropped; should a new rule exceed it, the drop is counted, not silent.
 */
static void reason(struct verdict_result *out, const char *fmt, const char *arg)
{
	if (out->n_reasons >= VERDICT_MAX_REASONS) {
		out->reasons_dropped++;
		return;
	}
	char *r = out->reasons[out->n_reasons++];
	size_t n;

	snprintf(r, VERDICT_REASON_LEN, fmt, arg ? arg : "");
	/* a cut at VERDICT_REASON_LEN must not split a UTF-8 sequence (the
	 * reason is a proto3 string): drop the incomplete tail */
	n = strlen(r);
	while (n && !x509_utf8_valid((const uint8_t *)r, n))
		r[--n] = 0;
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

/* The strongest way (enum icpt_way order) in which any certificate of the
 * test chain matches the list, the first such certificate in chain order:
 * icpt_match_chain()'s rule, over verdict_cert. */
void verdict_match_interceptor(const struct icpt_list *list, const struct verdict_cert *chain,
			       size_t n, struct icpt_match *out)
{
	memset(out, 0, sizeof(*out));
	for (int way = ICPT_WAY_FIRST; way <= ICPT_WAY_LAST; way++)
		for (size_t i = 0; i < n; i++) {
			const struct verdict_cert *t = &chain[i];
			struct icpt_cert c = {t->der, t->parsed, t->sha256, NULL};

			out->entry = icpt_match_cert(list, (enum icpt_way)way, &c);
			if (out->entry) {
				out->way = (enum icpt_way)way;
				out->cert = i;
				return;
			}
		}
}

static void match_interceptor(const struct verdict_input *in, struct verdict_result *out)
{
	struct icpt_match m;

	if (in->known_match)
		m = *in->known_match;
	else
		verdict_match_interceptor(in->interceptors, in->test, in->test_n, &m);
	out->interceptor = m.entry;
	if (m.entry) {
		out->interceptor_way = m.way;
		out->interceptor_cert = m.cert;
	}
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
		match_interceptor(in, out);
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
		reason(out, "known-interceptor:%s", icpt_way_name(out->interceptor_way));
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
	out->chain_reasons_dropped = out->reasons_dropped;
	evidence_reasons(out);
}

void verdict_redecide(struct verdict_result *r, unsigned evidence)
{
	if (!r->needs_evidence)
		return;
	r->facts = (r->facts & ((1u << F_EV_SHIFT) - 1)) | evidence << F_EV_SHIFT;
	match_rules(r);
	r->n_reasons = r->n_chain_reasons;
	r->reasons_dropped = r->chain_reasons_dropped;
	evidence_reasons(r);
}
