/* SPDX-License-Identifier: MIT */
/*
 * Progress output: the status line carries elapsed, percent, time left,
 * current and average send rate, replies, hit rate and drops, and shows the
 * TLS counters only once they are non-zero; the JSON status file is
 * replaced atomically (no .tmp left behind) and holds the same numbers;
 * counters summed from several threads are exact.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

static struct progress_counters shared;

static void *bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		progress_add(&shared.sent, 1);
	return NULL;
}

static char *line_of(const struct progress_counters *c, double el, uint64_t total,
		     const struct progress_rates *r)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	progress_line(f, c, el, total, r);
	fclose(f);
	return buf;
}

int main(void)
{
	struct progress_counters c;
	struct progress_rates r;
	progress_init(&c);
	progress_rates_init(&r);
	progress_add(&c.sent, 1000);
	progress_update(&r, &c, 1.0);
	progress_add(&c.sent, 3000);
	progress_add(&c.synack, 40);
	progress_add(&c.dropped, 2);
	progress_update(&r, &c, 2.0);
	CHECK(r.sent_pps > 2999 && r.sent_pps < 3001);
	char *l = line_of(&c, 2.0, 40000, &r);
	printf("line: %s", l);
	const char *head = "0:02  10% (0:18 left); send: 4000 3.00 Kp/s (2.00 Kp/s avg)";
	CHECK(strncmp(l, head, strlen(head)) == 0);
	CHECK(strstr(l, "recv: 40 40 p/s (20 p/s avg)") != NULL);
	CHECK(strstr(l, "hitrate: 1.00%") != NULL);
	CHECK(strstr(l, "drops: 2 2 p/s (1 p/s avg)") != NULL);
	CHECK(strstr(l, "certs") == NULL && strstr(l, "probes") == NULL);
	progress_add(&c.certs, 5);
	progress_add(&c.probes, 7);
	l = line_of(&c, 3725.0, 0, NULL);
	CHECK(strncmp(l, "1:02:05; send", 13) == 0);
	CHECK(strstr(l, "; probes: 7") != NULL && strstr(l, "; certs: 5") != NULL);
	r.cooldown_left = 8;
	l = line_of(&c, 10.0, 4000, &r);
	CHECK(strstr(l, "100% (cooldown 0:08 left)") != NULL);

	char dir[256];
	CHECK(test_tmpdir(dir, sizeof(dir), "prog") != NULL);
	char path[512], tmp[600], buf[2048];
	snprintf(path, sizeof(path), "%s/status.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	r.cooldown_left = 0;
	CHECK(progress_json(path, &c, 2.0, 40000, &r) == 0);
	CHECK(progress_json(path, &c, 2.0, 40000, &r) == 0); /* replaces */
	CHECK(access(tmp, F_OK) != 0);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	printf("json: %s", buf);
	CHECK(buf[0] == '{' && n > 2 && buf[n - 2] == '}');
	CHECK(strstr(buf, "\"sent\":4000,") && strstr(buf, "\"synack\":40,") &&
	      strstr(buf, "\"total\":40000,") && strstr(buf, "\"percent\":10.000,") &&
	      strstr(buf, "\"certs\":5") && strstr(buf, "\"phase\":\"sending\""));
	CHECK(progress_json("/nonexistent-dir/x.json", &c, 1, 1, NULL) < 0);
	unlink(path);

	/* concurrent relaxed adds are exact */
	progress_init(&shared);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, bump, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK(progress_get(&shared.sent) == 400000);
	struct progress_counters total;
	progress_init(&total);
	progress_sum(&total, &shared);
	progress_sum(&total, &c);
	CHECK(progress_get(&total.sent) == 404000 && progress_get(&total.certs) == 5);
	f = fmemopen(buf, sizeof(buf), "w");
	progress_summary(f, &total, 10, 404000);
	fclose(f);
	CHECK(strstr(buf, "sent 404000 of 404000") != NULL);
	TEST_DONE();
}
