/* SPDX-License-Identifier: MIT */
/*
 * DER helpers that are too large to inline: recursive validation of ANY
 * values with a depth cap, and the content rules for OIDs and INTEGERs.
 * The cursor itself lives in der_internal.h so the certificate parser's hot
 * loop inlines it.
 */
#include "parsers/der_internal.h"

int der_skip_valid(struct der_cur c, unsigned depth, const uint8_t **where)
{
	struct der_tlv t;
	int ret;

	if (depth == 0) {
		*where = c.p;
		return DER_E_DEPTH;
	}
	while (!der_done(&c)) {
		ret = der_read(&c, &t);
		if (ret < 0) {
			*where = c.p;
			return ret;
		}
		if (t.tag & DER_CONSTRUCTED) {
			struct der_cur sub;

			der_enter(&t, &sub);
			ret = der_skip_valid(sub, depth - 1, where);
			if (ret < 0)
				return ret;
		}
	}
	return DER_OK;
}

bool der_oid_valid(const uint8_t *p, size_t len)
{
	bool start = true;

	if (len == 0 || (p[len - 1] & 0x80))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (start && p[i] == 0x80)
			return false;
		start = !(p[i] & 0x80);
	}
	return true;
}

bool der_int_minimal(const uint8_t *p, size_t len)
{
	if (len == 0)
		return false;
	if (len == 1)
		return true;
	if (p[0] == 0x00 && !(p[1] & 0x80))
		return false;
	if (p[0] == 0xff && (p[1] & 0x80))
		return false;
	return true;
}
