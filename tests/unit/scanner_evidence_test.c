/* SPDX-License-Identifier: MIT */
/*
 * scanner/stage/evidence.c: the scan-wide evidence table the TLS
 * stage's verdicts rest on. Checks the cross-host rule's thresholds (one
 * machine answering many addresses with one own chain never reaches it),
 * the group localisation bit, and the --localize-per-group claims: a claim
 * whose job could not start is given back, so a busy moment does not leave
 * a group with fewer localisations than asked (or none).
 */
#include <stdint.h>
#include <string.h>

#include "parsers/verdict.h"
#include "scanner/stage/evidence.h"
#include "tests/unit/test.h"

static void leaf(uint8_t out[8], unsigned n)
{
	memset(out, 0, 8);
	out[7] = (uint8_t)n;
	out[0] = 1; /* never the all-zero "no own chain" digest */
}

static void test_cross_host(void)
{
	struct ev_table *t = ev_table_new();
	uint64_t issuer = ev_issuer_key((const uint8_t *)"CN=Forger", 9);
	uint64_t net_a = ev_network(100, 0), net_b = ev_network(200, 0);
	uint8_t own[8];

	CHECK(t != NULL);
	if (!t)
		return;
	/* one machine on many addresses: one own leaf, however many records */
	leaf(own, 1);
	for (int i = 0; i < 50; i++)
		ev_record(t, issuer, i % 2 ? net_a : net_b, own);
	CHECK(!(ev_lookup(t, issuer, net_a) & VERDICT_EV_CROSS_HOST));
	/* EV_CROSS_HOSTS - 1 distinct hosts in two networks: not yet */
	for (unsigned n = 2; n < EV_CROSS_HOSTS; n++) {
		leaf(own, n);
		ev_record(t, issuer, n % 2 ? net_a : net_b, own);
	}
	CHECK(!(ev_lookup(t, issuer, net_a) & VERDICT_EV_CROSS_HOST));
	leaf(own, EV_CROSS_HOSTS);
	ev_record(t, issuer, net_a, own);
	CHECK(ev_lookup(t, issuer, net_a) & VERDICT_EV_CROSS_HOST);
	CHECK(ev_lookup(t, issuer, net_b) & VERDICT_EV_CROSS_HOST);
	/* many hosts in one network only: not cross-host */
	uint64_t other = ev_issuer_key((const uint8_t *)"CN=Hoster", 9);
	for (unsigned n = 1; n <= 20; n++) {
		leaf(own, n);
		ev_record(t, other, net_a, own);
	}
	CHECK(!(ev_lookup(t, other, net_a) & VERDICT_EV_CROSS_HOST));
	ev_table_free(t);
}

static void test_group_claims(void)
{
	struct ev_table *t = ev_table_new();
	uint64_t issuer = ev_issuer_key((const uint8_t *)"CN=Forger", 9);
	uint64_t net = ev_network(0, 0x0a0b0cc6u); /* no ASN: its /24 */

	CHECK(t != NULL);
	if (!t)
		return;
	for (int i = 0; i < 5; i++)
		CHECK(ev_claim_localization(t, issuer, net, 5, (uint64_t)i));
	CHECK(!ev_claim_localization(t, issuer, net, 5, 9));
	/* two jobs could not start: their claims come back, twice only */
	ev_unclaim_localization(t, issuer, net, 3);
	ev_unclaim_localization(t, issuer, net, 4);
	CHECK(ev_claim_localization(t, issuer, net, 5, 7));
	CHECK(ev_claim_localization(t, issuer, net, 5, 7));
	CHECK(!ev_claim_localization(t, issuer, net, 5, 7));
	/* another network is another group */
	CHECK(ev_claim_localization(t, issuer, ev_network(300, 0), 5, 7));
	/* an unclaim of a group never claimed changes nothing */
	ev_unclaim_localization(t, issuer, ev_network(400, 0), 7);
	for (int i = 0; i < 5; i++)
		CHECK(ev_claim_localization(t, issuer, ev_network(400, 0), 5, 7));
	CHECK(!ev_claim_localization(t, issuer, ev_network(400, 0), 5, 7));

	/* a localisation before the server marks the group, not its neighbours */
	CHECK(!(ev_lookup(t, issuer, net) & VERDICT_EV_GROUP_BEFORE));
	ev_localized(t, issuer, net, false);
	CHECK(!(ev_lookup(t, issuer, net) & VERDICT_EV_GROUP_BEFORE));
	ev_localized(t, issuer, net, true);
	CHECK(ev_lookup(t, issuer, net) & VERDICT_EV_GROUP_BEFORE);
	CHECK(!(ev_lookup(t, issuer, ev_network(300, 0)) & VERDICT_EV_GROUP_BEFORE));
	ev_table_free(t);
}

int main(void)
{
	test_cross_host();
	test_group_claims();
	TEST_DONE();
}
