/* SPDX-License-Identifier: MIT */
/*
 * Cross-host evidence for the verdict (docs/verdicts.md, "Evidence"): what
 * the whole scan has seen about each forging issuer, shared by the TLS
 * stage's workers.
 *
 * A chain that differs from its host's control chain, does not verify and
 * matches no known interceptor ("suspicious") is recorded here with its
 * leaf's issuer, its host's network (ASN, or the /24 without one) and a
 * digest of the host's own leaf. Two kinds of evidence come out:
 *   - cross-host: the issuer forges for at least EV_CROSS_HOSTS hosts whose
 *     own chains all differ, in at least EV_CROSS_NETWORKS networks. One
 *     machine answering many addresses (a hosting provider, a CDN edge)
 *     presents one own chain on all of them and never reaches this; a
 *     middlebox in front of many servers does, even when it does not
 *     decrement the TTL and so looks like the server's own hop.
 *   - group localisation: some probe of the (network, issuer) group was
 *     localised before the server's hop (scanner/stage/localize.c).
 *
 * Tables are fixed at creation (no allocation afterwards); when full, new
 * issuers or groups are not recorded and get no evidence (counted). Every
 * call takes one mutex: it is called once per suspicious probe, not per
 * packet.
 */
#ifndef TLSMAP_SCANNER_EVIDENCE_H
#define TLSMAP_SCANNER_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#define EV_CROSS_HOSTS 5
#define EV_CROSS_NETWORKS 2

struct ev_table;

/* NULL on ENOMEM. */
struct ev_table *ev_table_new(void);
void ev_table_free(struct ev_table *t);

/* The network key of a host: its ASN, or its /24 when the ASN is unknown. */
uint64_t ev_network(uint32_t asn, uint32_t ip_be);

/* A 64-bit key for a leaf's issuer (its Name DER). */
uint64_t ev_issuer_key(const uint8_t *name_der, uint32_t len);

/* A suspicious chain: @issuer_key forging on a host of @network whose own
 * leaf digest begins with @own_leaf (8 bytes; zeros when it had none). */
void ev_record(struct ev_table *t, uint64_t issuer_key, uint64_t network,
	       const uint8_t own_leaf[8]);

/* A localisation of a probe of group (@network, @issuer_key) ended. */
void ev_localized(struct ev_table *t, uint64_t issuer_key, uint64_t network, bool before_server);

/* Claim one localisation slot of the group for @host (its resume_key()):
 * true while fewer than @per_group were claimed. */
bool ev_claim_localization(struct ev_table *t, uint64_t issuer_key, uint64_t network,
			   unsigned per_group, uint64_t host);

/* Give back a slot @host claimed by ev_claim_localization() whose job could
 * not start (every job of the worker busy): a later probe of the group
 * takes it. */
void ev_unclaim_localization(struct ev_table *t, uint64_t issuer_key, uint64_t network,
			     uint64_t host);

/* VERDICT_EV_CROSS_HOST and VERDICT_EV_GROUP_BEFORE as far as known now. */
unsigned ev_lookup(struct ev_table *t, uint64_t issuer_key, uint64_t network);

/* Issuers or groups that did not fit the tables. */
uint64_t ev_overflow(const struct ev_table *t);
/*
 * A resumed scan (scanner/stage/resume.h) carries the evidence of the hosts
 * already written: ev_table_export() writes the tables as text lines
 * ("ev_issuer ...", "ev_group ..." and one "ev_claim ISSUER NETWORK HOST"
 * per localisation claimed, malloc'd into *@text), and ev_table_import()
 * adds such lines to a table. The claims of the hosts in sorted @redo
 * (those the rerun probes again) are left out: they claim anew, so the
 * whole scan claims as an uninterrupted one would. 0, or -1 (ENOMEM; a
 * malformed line, its number in *@bad_line).
 */
int ev_table_export(struct ev_table *t, char **text, size_t *len);
int ev_table_import(struct ev_table *t, const char *text, const uint64_t *redo, size_t nredo,
		    size_t *bad_line);

#endif
