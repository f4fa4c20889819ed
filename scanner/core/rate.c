/* SPDX-License-Identifier: MIT */
/*
 * Token bucket in exact integer arithmetic: credit grows by pps per tick and
 * a packet costs hz, so after T ticks exactly floor((T*pps + c0) / hz)
 * packets have been allowed, with no accumulated rounding error. The
 * elapsed time is clamped to what fills the bucket, which both bounds the
 * burst and keeps delta * pps far from overflow (delta <= cap / pps + 1).
 */
#include "scanner/core/rate.h"

void rate_init(struct rate *r, uint64_t pps, uint64_t hz, uint64_t now)
{
	r->pps = pps;
	r->hz = hz ? hz : 1;
	r->last = now;
	if (pps == 0) {
		r->burst = UINT32_MAX;
		r->cap = 0;
		r->credit = 0;
		return;
	}
	/* 1 ms worth; at least min(64, 10 ms worth), never below 1 */
	uint64_t floor_burst = pps / 100;
	if (floor_burst > 64)
		floor_burst = 64;
	if (floor_burst < 1)
		floor_burst = 1;
	uint64_t burst = pps / 1000;
	if (burst < floor_burst)
		burst = floor_burst;
	rate_set_burst(r, burst);
	r->credit = r->hz; /* one packet may go at once */
}

void rate_set_burst(struct rate *r, uint64_t burst)
{
	if (r->pps == 0)
		return;
	if (burst < 1)
		burst = 1;
	if (burst > UINT32_MAX)
		burst = UINT32_MAX;
	if (burst > (UINT64_MAX / 4) / r->hz) /* keep cap + pps far from overflow */
		burst = (UINT64_MAX / 4) / r->hz;
	r->burst = (uint32_t)burst;
	r->cap = burst * r->hz;
	if (r->credit > r->cap)
		r->credit = r->cap;
}

static void refill(struct rate *r, uint64_t now)
{
	if (now <= r->last)
		return; /* TSC went backwards (should not) or no time passed */
	uint64_t delta = now - r->last;
	r->last = now;
	uint64_t room = r->cap - r->credit;
	if (delta > room / r->pps + 1) {
		r->credit = r->cap;
		return;
	}
	uint64_t add = delta * r->pps;
	r->credit = add >= room ? r->cap : r->credit + add;
}

uint32_t rate_take(struct rate *r, uint64_t now, uint32_t want)
{
	if (r->pps == 0)
		return want;
	refill(r, now);
	uint64_t avail = r->credit / r->hz;
	uint32_t n = avail < want ? (uint32_t)avail : want;
	r->credit -= (uint64_t)n * r->hz;
	return n;
}

void rate_return(struct rate *r, uint32_t unused)
{
	if (r->pps == 0)
		return;
	uint64_t back = (uint64_t)unused * r->hz;
	r->credit = back > r->cap - r->credit ? r->cap : r->credit + back;
}

uint64_t rate_ticks_until_next(const struct rate *r, uint64_t now)
{
	if (r->pps == 0)
		return 0;
	uint64_t credit = r->credit;
	if (now > r->last) {
		uint64_t delta = now - r->last;
		if (delta > (r->cap - credit) / r->pps + 1)
			return 0;
		credit += delta * r->pps;
	}
	if (credit >= r->hz)
		return 0;
	return (r->hz - credit + r->pps - 1) / r->pps;
}

uint64_t rate_wire_bytes(uint32_t frame_len_no_fcs)
{
	uint64_t len = frame_len_no_fcs < 60 ? 60 : frame_len_no_fcs;
	return len + 4 /* FCS */ + 8 /* preamble + SFD */ + 12 /* inter-frame gap */;
}

uint64_t rate_pps_from_bps(uint64_t bps, uint32_t frame_len_no_fcs)
{
	if (bps == 0)
		return 0;
	uint64_t pps = bps / (rate_wire_bytes(frame_len_no_fcs) * 8);
	return pps ? pps : 1;
}
