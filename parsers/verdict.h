/* SPDX-License-Identifier: MIT */
/*
 * The interception verdict of one probe (docs/verdicts.md), decided from
 * the TLS stage's outcome and, when a chain was captured, by comparing it
 * with the same host's control-SNI chain: a middlebox need not put the
 * probed name in its forgery (Kazakhstan 2019 copied the real leaf's
 * subject and SAN), so "names the SNI" alone proves nothing.
 *
 * The decision is a table of rules over fact bits, first match wins
 * (verdict.c); reasons are short kebab-case strings naming what was seen.
 * enum verdict has the numeric values of the schema's Verdict so scanner/
 * can assign it directly; parsers/ does not include the protobuf header.
 *
 * The known-interceptor list (parsers/interceptors.h: share/interceptors.tsv
 * plus any --interceptors FILE) is loaded once and shared read-only.
 */
#ifndef TLSMAP_PARSERS_VERDICT_H
#define TLSMAP_PARSERS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/interceptors.h"
#include "parsers/x509.h"

enum verdict {
	VERDICT_UNSPECIFIED = 0,
	VERDICT_NO_TLS = 1,
	VERDICT_TLS_ERROR = 2,
	VERDICT_HOST_OWN_CERT = 3,
	VERDICT_VALID_FOR_SNI = 4,
	VERDICT_UNTRUSTED_OTHER = 5,
	VERDICT_INTERCEPTED = 6,
};

const char *verdict_name(enum verdict v); /* "VERDICT_NO_TLS"... */

/* ---- the decision ---- */

enum verdict_stage {
	VERDICT_STAGE_NO_TLS = 1,      /* closed, no answer, tarpit, not TLS */
	VERDICT_STAGE_TLS_ERROR = 2,   /* alert, protocol error, trickle, flight too large */
	VERDICT_STAGE_CERTIFICATE = 3, /* chain captured */
};

/* One certificate of a captured chain. */
struct verdict_cert {
	const uint8_t *der;
	const struct x509_cert *parsed; /* NULL when it did not parse */
	uint8_t sha256[32];
};

struct verdict_input {
	enum verdict_stage stage;
	bool is_control;		 /* this probe is the control-SNI probe */
	const struct verdict_cert *test; /* this probe's chain, leaf first */
	size_t test_n;
	const struct verdict_cert *control; /* the host's control chain (NULL/0: none) */
	size_t control_n;
	bool verified;			      /* verify_chain() result for the test chain */
	const char *verify_error;	      /* its error string when not verified */
	bool name_matches;		      /* verify_name_matches(leaf, sni) */
	const struct icpt_list *interceptors; /* may be NULL */
	/* the test chain's verdict_match_interceptor() against @interceptors
	 * when the caller already has it (a cache); NULL: matched here */
	const struct icpt_match *known_match;
	unsigned evidence; /* VERDICT_EV_* bits known when deciding (often 0) */
};

/*
 * How @chain (@n certificates, leaf first) matches @list (NULL: never): the
 * strongest way (enum icpt_way order) any certificate matches, at the first
 * such certificate in chain order (icpt_match_chain()'s rule). It depends
 * only on the chain and the list, so a caller may keep it per chain.
 */
void verdict_match_interceptor(const struct icpt_list *list, const struct verdict_cert *chain,
			       size_t n, struct icpt_match *out);

/*
 * Evidence beyond the chain itself (docs/verdicts.md, "Evidence"). A chain
 * that differs from the control chain, does not verify and matches no known
 * interceptor is not called INTERCEPTED on that basis alone: the host may
 * serve it itself (one name answered with its own self-signed certificate)
 * or be unstable (backends with different certificates). These bits, found
 * after the probe ended (the second control probe, localisation, other
 * hosts), decide it; verdict_redecide() applies them.
 */
enum verdict_evidence {
	VERDICT_EV_UNSTABLE = 1u << 0,	       /* the host's two control chains differ */
	VERDICT_EV_SAME_AS_CONTROL2 = 1u << 1, /* equals the second control chain */
	VERDICT_EV_LOCALIZED_BEFORE = 1u << 2, /* forged chain drawn before the server's hop */
	VERDICT_EV_GROUP_BEFORE = 1u << 3, /* (network, issuer) group localised before the server */
	VERDICT_EV_CROSS_HOST = 1u << 4,   /* issuer forges for many hosts in several networks */
	VERDICT_EV_AT_SERVER_HOP = 1u << 5, /* localised at the server's own hop */
	VERDICT_EV_NOT_LOCALIZED = 1u << 6, /* no path evidence could be had */
};

#define VERDICT_MAX_REASONS 8
#define VERDICT_REASON_LEN 160

struct verdict_result {
	enum verdict verdict;
	size_t n_reasons;
	char reasons[VERDICT_MAX_REASONS][VERDICT_REASON_LEN];
	const struct icpt_entry *interceptor; /* matched entry, or NULL */
	enum icpt_way interceptor_way;	      /* how it matched (strongest way) */
	size_t interceptor_cert;	      /* which test-chain certificate, 0 = leaf */
	/* true when the verdict came from an evidence row: the chain differs,
	 * does not verify and matches no known interceptor, so the evidence
	 * bits (verdict_redecide) can still change it */
	bool needs_evidence;
	unsigned facts;		/* internal: the fact bits the rules saw */
	uint8_t rule;		/* internal: the row that decided */
	size_t n_chain_reasons; /* reasons[] before the evidence reasons */
	/* reasons that did not fit in reasons[] (0 with today's rules) */
	unsigned reasons_dropped, chain_reasons_dropped;
};

/* Decide; allocation-free except for name rendering when an interceptor
 * list is given. Thread-safe. It cannot fail, so it returns nothing: every
 * input, however odd, gets a verdict (docs/hacking.md, "Errors"). */
void verdict_decide(const struct verdict_input *in, struct verdict_result *out);

/*
 * Decide @r again with @evidence (VERDICT_EV_* bits, replacing those given
 * before): the chain facts stay, the verdict and the evidence reasons after
 * reasons[n_chain_reasons] are recomputed. Only useful when
 * r->needs_evidence; otherwise the verdict cannot change and @r is left as
 * it was. Allocation-free, thread-safe.
 */
void verdict_redecide(struct verdict_result *r, unsigned evidence);

#endif
