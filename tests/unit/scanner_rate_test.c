/* SPDX-License-Identifier: MIT */
/*
 * The token bucket on a simulated TSC: the long-run average matches the
 * requested rate (within 1% over 10 s at 10 kpps and 100 kpps, and at the
 * extremes), no call ever releases more than the burst cap, the cumulative
 * count never runs ahead of the ideal schedule by more than the cap, a stall
 * does not turn into a catch-up burst; plus the -B conversion.
 */
#include <math.h>
#include <stdlib.h>

#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

static uint64_t rng = 0xfeedface;
static uint64_t rnd(uint64_t bound)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % bound;
}

/* Caller polls every [0, max_gap) ticks asking for up to want packets. */
static void simulate(uint64_t pps, uint64_t hz, double seconds, uint64_t max_gap, uint32_t want)
{
	struct rate r;
	uint64_t t0 = 1000000007ULL, now = t0, end = t0 + (uint64_t)(seconds * (double)hz);
	rate_init(&r, pps, hz, now);
	uint64_t sent = 0, calls = 0;
	uint32_t max_one = 0;
	int ahead = 0;
	while (now < end) {
		uint32_t n = rate_take(&r, now, want);
		if (n > max_one)
			max_one = n;
		sent += n;
		calls++;
		/* never ahead of the ideal schedule + one burst */
		double ideal = (double)(now - t0) * (double)pps / (double)hz;
		if ((double)sent > ideal * (1 + 1e-9) + 1.0) /* credit only accrues with time */
			ahead = 1;
		now += 1 + rnd(max_gap);
	}
	double expect = seconds * (double)pps;
	double err = fabs((double)sent - expect) / expect;
	printf("pps=%llu: sent %llu in %.1f s (%.4f%% off), burst cap %u, largest take %u, %llu "
	       "calls\n",
	       (unsigned long long)pps, (unsigned long long)sent, seconds, err * 100, r.burst,
	       max_one, (unsigned long long)calls);
	CHECK(err < 0.01);
	CHECK(max_one <= r.burst);
	CHECK(!ahead);
}

int main(void)
{
	const uint64_t hz = 2500000000ULL; /* 2.5 GHz TSC */
	/* callers polling well within the bucket depth: exact average */
	simulate(10000, hz, 10, hz / 20000, 32);   /* poll every <= 50 us */
	simulate(100000, hz, 10, hz / 200000, 32); /* <= 5 us */
	simulate(1, hz, 100, hz / 100, 32);
	simulate(1000000, hz, 2, hz / 1000000, 64);
	simulate(100000000, hz, 0.2, hz / 10000000, 64);
	simulate(14880952, 3000000000ULL, 1, 3000, 32);
	/* coarse pollers (gaps up to 2 ms, 0.9 ms) take bigger batches, still capped */
	simulate(10000, hz, 10, hz / 500, 128);
	simulate(100000, hz, 10, hz / 1111, 256);

	/* bursts bounded */
	struct rate r;
	rate_init(&r, 10000, hz, 0);
	CHECK(r.burst == 64);
	CHECK(rate_take(&r, 0, 100) == 1); /* one packet of credit at start */
	CHECK(rate_take(&r, 0, 100) == 0);
	CHECK(rate_ticks_until_next(&r, 0) == hz / 10000);
	CHECK(rate_take(&r, hz * 5, 1000) == 64); /* a 5 s stall gives one burst, not 50000 */
	CHECK(rate_take(&r, hz * 5, 1000) == 0);
	CHECK(rate_take(&r, hz * 5 + hz / 10000, 10) == 1);
	rate_return(&r, 1);
	CHECK(rate_take(&r, hz * 5 + hz / 10000, 10) == 1);
	rate_init(&r, 100000000, hz, 0);
	CHECK(r.burst == 100000); /* 1 ms at 100 Mpps */
	rate_init(&r, 1, hz, 0);
	CHECK(r.burst == 1);
	rate_init(&r, 0, hz, 0); /* unlimited */
	CHECK(rate_take(&r, 0, 4096) == 4096 && rate_ticks_until_next(&r, 0) == 0);

	/* -B: 10 Gb/s of minimum frames is the classic 14.88 Mpps */
	CHECK(rate_wire_bytes(54) == 84 && rate_wire_bytes(60) == 84 && rate_wire_bytes(74) == 98);
	CHECK(rate_pps_from_bps(10000000000ULL, 54) == 14880952);
	CHECK(rate_pps_from_bps(1000000000ULL, 60) == 1488095);
	CHECK(rate_pps_from_bps(1, 60) == 1 && rate_pps_from_bps(0, 60) == 0);
	TEST_DONE();
}
