/* SPDX-License-Identifier: MIT */
/*
 * tlsmap scan --resume's pieces without a network (scanner/stage/resume.h):
 *   - the checkpoint file round-trips; every truncation, every flipped
 *     byte and crafted bad lines (with a valid digest) are refused with
 *     RESUME_EBAD and a message, never a crash; a missing file is ENOENT;
 *   - a configuration difference is named by its key;
 *   - the tracker: a host is done only when all its records came back
 *     and are durable; the position is the last sample a window old, not
 *     held back by an unfinished host (listed open instead); a redo host
 *     of the previous run stays open until the window after its SYN; a
 *     stop freezes completion;
 *   - OUT.partial is cut back and the unfinished hosts' probes dropped;
 *   - the cross-host evidence survives export and import, localisation
 *     claims with it, except those of hosts probed again.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/out.h"
#include "parsers/verdict.h"
#include "scanner/stage/evidence.h"
#include "scanner/stage/resume.h"
#include "test.h"

static char dir[] = "/tmp/tlsmap-resume-XXXXXX";
static char path[256];

static void write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	CHECK(f && fwrite(data, 1, n, f) == n);
	if (f)
		fclose(f);
}

/* @body followed by its correct digest line: only the content is wrong. */
static void write_signed(const char *body)
{
	uint8_t d[32];
	unsigned int len = 32;
	char text[4096];
	size_t n;

	EVP_Digest(body, strlen(body), d, &len, EVP_sha256(), NULL);
	n = (size_t)snprintf(text, sizeof(text), "%ssha256 ", body);
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x", d[i]);
	text[n++] = '\n';
	write_file(path, text, n);
}

static int read_back(struct resume_ckpt *c, char *err, size_t errlen)
{
	int ret = resume_ckpt_read(path, c, err, errlen);

	resume_ckpt_free(c);
	return ret;
}

static void test_roundtrip_and_damage(void)
{
	struct resume_ckpt c = {0}, r;
	uint64_t done[] = {0xc6120001ull << 16 | 443, 0xc6120005ull << 16 | 443};
	uint64_t open[] = {0xc6120002ull << 16 | 8443};
	char err[256], *buf;
	struct stat st;
	FILE *f;

	CHECK(resume_ckpt_config(&c, "seed", "7") == 0);
	CHECK(resume_ckpt_config(&c, "snis", "2 names, sha256 ab") == 0);
	CHECK(resume_ckpt_config(&c, "vantage", "") == 0);
	c.durable_offset = 12345;
	c.position = 99;
	c.resumed = 2;
	c.done = done;
	c.ndone = 2;
	c.open = open;
	c.nopen = 1;
	c.evidence = (char *)"ev_group 1 2 0 1\n";
	c.evidence_len = strlen(c.evidence);
	CHECK(resume_ckpt_write(path, &c) == 0);
	CHECK(resume_ckpt_read(path, &r, err, sizeof(err)) == 0);
	CHECK(r.nconfig == 3 && strcmp(resume_ckpt_get(&r, "seed"), "7") == 0);
	CHECK(strcmp(resume_ckpt_get(&r, "vantage"), "") == 0);
	CHECK(r.durable_offset == 12345 && r.position == 99 && r.resumed == 2);
	CHECK(r.ndone == 2 && resume_set_has(r.done, r.ndone, done[1]));
	CHECK(r.nopen == 1 && r.open[0] == open[0] && !resume_set_has(r.open, 1, done[0]));
	CHECK(r.evidence && strcmp(r.evidence, "ev_group 1 2 0 1\n") == 0);
	/* a difference is named by its key */
	struct resume_ckpt now = {0};
	char msg[300];
	resume_ckpt_config(&now, "seed", "8");
	resume_ckpt_config(&now, "snis", "2 names, sha256 ab");
	resume_ckpt_config(&now, "vantage", "");
	CHECK(resume_ckpt_differs(&r, &now, msg, sizeof(msg)) && strstr(msg, "seed: was '7'"));
	resume_ckpt_free(&now);
	resume_ckpt_config(&now, "seed", "7");
	CHECK(resume_ckpt_differs(&r, &now, msg, sizeof(msg)) && strstr(msg, "snis"));
	resume_ckpt_free(&now);
	resume_ckpt_free(&r);
	c.done = c.open = NULL;
	c.evidence = NULL;
	resume_ckpt_free(&c);

	/* every truncation and every flipped byte: refused, never a crash */
	CHECK(stat(path, &st) == 0);
	buf = malloc((size_t)st.st_size);
	f = fopen(path, "rb");
	CHECK(buf && f && fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size);
	if (f)
		fclose(f);
	int refused = 0;
	for (off_t n = 0; buf && n < st.st_size; n++) {
		write_file(path, buf, (size_t)n);
		err[0] = '\0';
		refused += read_back(&r, err, sizeof(err)) == RESUME_EBAD && err[0];
	}
	EXPECT(refused == st.st_size, "%d of %lld truncations refused", refused,
	       (long long)st.st_size);
	refused = 0;
	for (off_t n = 0; buf && n < st.st_size; n++) {
		buf[n] ^= 0x20;
		write_file(path, buf, (size_t)st.st_size);
		refused += read_back(&r, err, sizeof(err)) == RESUME_EBAD;
		buf[n] ^= 0x20;
	}
	EXPECT(refused == st.st_size, "%d of %lld flipped bytes refused", refused,
	       (long long)st.st_size);
	free(buf);
}

static void test_bad_lines(void)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{"tlsmap-checkpoint 1\nposition 1\nresumed 0\n", "missing"},
		{"tlsmap-checkpoint 1\ndurable_offset 100\nposition 1\nresumed 0\nfoo 1\n",
		 "unknown line"},
		{"tlsmap-checkpoint 1\ndurable_offset 100\nposition -1\nresumed 0\n",
		 "not a number"},
		{"tlsmap-checkpoint 1\ndurable_offset 99999999999999999999999\nposition 1\n"
		 "resumed 0\n",
		 "not a number"},
		{"tlsmap-checkpoint 1\ndurable_offset 100\ndurable_offset 100\nposition 1\n"
		 "resumed 0\n",
		 "twice"},
		{"tlsmap-checkpoint 1\ndurable_offset 100\nposition 1\nresumed 0\ndone "
		 "1234567890abc\n",
		 "host key"},
		{"tlsmap-checkpoint 1\ndurable_offset 100\nposition 1\nresumed 0\nopen zz\n",
		 "host key"},
		{"tlsmap-checkpoint 1\ndurable_offset 3\nposition 1\nresumed 0\n", "magic"},
		{"tlsmap-checkpoint 1\nconfig seed 1\nconfig seed 2\ndurable_offset 100\nposition "
		 "1\n"
		 "resumed 0\n",
		 "twice"},
		{"tlsmap-checkpoint 1\nconfig\ndurable_offset 100\nposition 1\nresumed 0\n",
		 "KEY VALUE"},
		{"tlsmap-checkpoint 2\ndurable_offset 100\nposition 1\nresumed 0\n",
		 "not a tlsmap"},
		{"", "not a tlsmap"},
	};
	struct resume_ckpt r;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_signed(cases[i].body);
		int ret = read_back(&r, err, sizeof(err));
		EXPECT(ret == RESUME_EBAD && strstr(err, cases[i].want),
		       "case %zu: ret %d, err '%s', want '%s'", i, ret, err, cases[i].want);
	}
	write_file(path, "tlsmap-checkpoint 1\n\0\n", 22);
	CHECK(read_back(&r, err, sizeof(err)) == RESUME_EBAD);
	unlink(path);
	CHECK(read_back(&r, err, sizeof(err)) == RESUME_EIO && errno == ENOENT);
}

static void test_tracker(void)
{
	volatile sig_atomic_t stop = 0;
	const uint64_t S = 1000000000ull, A = 0xc6120001ull << 16 | 443, B = A + 0x10000;
	const uint64_t C = B + 0x10000, old_done = 0xc6120099ull << 16 | 443;
	struct resume_tracker *t = resume_tracker_new(2 * S, &stop, 10, &old_done, 1, NULL, 0);
	struct resume_ckpt c = {0};

	CHECK(t != NULL);
	if (!t)
		return;
	/* targets 10..20 taken by 1 s, ..30 by 5 s, ..40 by 9 s */
	resume_tracker_sample(t, 1 * S - 1, 20, 1 * S);
	resume_tracker_sample(t, 5 * S - 1, 30, 5 * S);
	resume_tracker_sample(t, 9 * S - 1, 40, 9 * S);
	resume_host_open(t, A, 6 * S); /* answered at 6 s: sent after 4 s */
	resume_host_ref(t, A);	       /* one record */
	resume_host_open(t, B, 7 * S);
	resume_host_ref(t, B);
	resume_host_unref(t, B, 500); /* B's record written, ends at 500 */
	resume_host_unref(t, B, 0);   /* B's probes are done */
	CHECK(resume_tracker_snapshot(t, 1000, 10 * S, &c) == 0);
	/* A is open (its record may wait for evidence until the end of the
	 * scan): listed, and the position is still the last sample before
	 * 10 - 2 = 8 s, not held where A opened */
	CHECK(c.position == 30);
	CHECK(c.nopen == 1 && c.open[0] == A);
	CHECK(resume_set_has(c.done, c.ndone, B) && resume_set_has(c.done, c.ndone, old_done));
	/* A's record written past the durable offset: still unfinished */
	resume_host_unref(t, A, 1500);
	resume_host_unref(t, A, 0);
	CHECK(resume_tracker_snapshot(t, 1000, 10 * S, &c) == 0);
	CHECK(c.position == 30 && c.nopen == 1 && c.open[0] == A);
	/* durable now: nothing open, the position is the last sample before 8 s */
	CHECK(resume_tracker_snapshot(t, 2000, 10 * S, &c) == 0);
	CHECK(c.nopen == 0 && c.position == 30);
	/* A and B opened after 5 s's sample: they stay in done (they may lie
	 * above the position); the old done host was never passed by the
	 * generator: it stays too */
	CHECK(resume_set_has(c.done, c.ndone, A) && resume_set_has(c.done, c.ndone, B) &&
	      resume_set_has(c.done, c.ndone, old_done));
	resume_host_passed(t, old_done, 6 * S);
	resume_tracker_sample(t, 12 * S - 1, 50, 12 * S);
	CHECK(resume_tracker_snapshot(t, 2000, 20 * S, &c) == 0);
	CHECK(c.position == 50 && c.ndone == 0); /* all below the position now */
	/* after a stop signal nothing completes */
	resume_host_open(t, C, 19 * S);
	stop = 2;
	resume_host_unref(t, C, 0);
	CHECK(resume_tracker_snapshot(t, 3000, 20 * S, &c) == 0);
	CHECK(c.nopen == 1 && c.open[0] == C);
	resume_ckpt_free(&c);
	resume_tracker_free(t);
}

/* The previous run's open hosts are probed again first (redo). */
static void test_tracker_redo(void)
{
	volatile sig_atomic_t stop = 0;
	const uint64_t S = 1000000000ull, R1 = 0xc6120001ull << 16 | 443, R2 = R1 + 0x10000;
	const uint64_t R3 = R2 + 0x10000, redo[3] = {R1, R2, R3};
	struct resume_tracker *t = resume_tracker_new(2 * S, &stop, 10, NULL, 0, redo, 3);
	struct resume_ckpt c = {0};

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(resume_tracker_snapshot(t, 100, 1 * S, &c) == 0);
	CHECK(c.position == 10 && c.nopen == 3 && c.ndone == 0);
	/* R1 sent again at 1 s, answers, its record durable; R2 sent, silent;
	 * R3 not sent yet */
	resume_host_resent(t, R1, 1 * S);
	resume_host_resent(t, R2, 1 * S);
	resume_host_open(t, R1, 1 * S + S / 2);
	resume_host_ref(t, R1);
	resume_host_unref(t, R1, 600);
	resume_host_unref(t, R1, 0);
	/* before 1 + 2 s an answer may still come: all open */
	CHECK(resume_tracker_snapshot(t, 1000, 2 * S, &c) == 0);
	CHECK(c.nopen == 3 && c.ndone == 0);
	CHECK(resume_tracker_snapshot(t, 1000, 3 * S, &c) == 0);
	EXPECT(c.nopen == 1 && c.open[0] == R3, "open %zu", c.nopen);
	CHECK(c.ndone == 2 && resume_set_has(c.done, c.ndone, R1) &&
	      resume_set_has(c.done, c.ndone, R2));
	/* the walk passes R1 at 4 s; R2 lies below the start (never passed) */
	resume_host_passed(t, R1, 4 * S);
	resume_tracker_sample(t, 5 * S - 1, 20, 5 * S);
	CHECK(resume_tracker_snapshot(t, 1000, 10 * S, &c) == 0);
	CHECK(c.position == 20 && c.ndone == 1 && c.done[0] == R2);
	CHECK(c.nopen == 1 && c.open[0] == R3);
	/* R3 sent, then a stop: its window passes, it stays open */
	resume_host_resent(t, R3, 10 * S);
	stop = 15;
	CHECK(resume_tracker_snapshot(t, 1000, 20 * S, &c) == 0);
	CHECK(c.nopen == 1 && c.open[0] == R3);
	resume_ckpt_free(&c);
	resume_tracker_free(t);
}

static void add_probe(struct out_writer *w, uint32_t ip_host, const char *sni, int cert)
{
	Tlsmap__V1__Probe p = TLSMAP__V1__PROBE__INIT;
	Tlsmap__V1__Certificate c = TLSMAP__V1__CERTIFICATE__INIT;
	uint8_t ip[4] = {ip_host >> 24, ip_host >> 16, ip_host >> 8, ip_host}, sha[32];
	ProtobufCBinaryData chain[1] = {{32, sha}};

	memset(sha, cert, 32);
	p.ip.data = ip;
	p.ip.len = 4;
	p.port = 443;
	p.sni = (char *)sni;
	if (cert) {
		c.sha256.data = sha;
		c.sha256.len = 32;
		CHECK(out_write_cert(w, &c) == OUT_OK);
		p.n_chain = 1;
		p.chain = chain;
	}
	CHECK(out_write_probe(w, &p) == OUT_OK);
}

/* Probes in @file: count of all, and of @ip_host's. */
static void count_probes(const char *file, uint32_t ip_host, int *all, int *of_ip, int *certs)
{
	int err = 0;
	struct out_reader *r = out_reader_open(file, &err);
	Tlsmap__V1__Record *rec;

	*all = *of_ip = *certs = 0;
	while (r && out_reader_next(r, &rec) == 1) {
		if (rec->kind_case == TLSMAP__V1__RECORD__KIND_PROBE) {
			const uint8_t *b = rec->probe->ip.data;
			(*all)++;
			*of_ip += ((uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) == ip_host;
		}
		*certs += rec->kind_case == TLSMAP__V1__RECORD__KIND_CERTIFICATE;
		out_record_free(rec);
	}
	out_reader_close(r);
}

static void test_partial(void)
{
	char out[300], partial[320], err[300];
	const uint32_t A = 0xc6120001, B = 0xc6120002;
	Tlsmap__V1__ScanMeta m = TLSMAP__V1__SCAN_META__INIT;
	uint64_t durable, len, openA = resume_key(__builtin_bswap32(A), __builtin_bswap16(443));
	int all, ofa, certs;
	struct out_writer *w;

	snprintf(out, sizeof(out), "%s/scan.tlsmap", dir);
	snprintf(partial, sizeof(partial), "%s.partial", out);
	w = out_writer_open(out);
	CHECK(w != NULL);
	if (!w)
		return;
	CHECK(out_write_meta(w, &m) == OUT_OK);
	add_probe(w, A, "a.example", 1);
	add_probe(w, B, "b.example", 2);
	add_probe(w, A, "c.example", 2);
	CHECK(out_writer_sync(w) == OUT_OK);
	durable = out_writer_durable_offset(w);
	add_probe(w, B, "d.example", 3); /* past the durable offset: cut */
	CHECK(out_writer_keep(w) == OUT_OK);
	/* a durable offset inside a record is refused */
	CHECK(resume_prepare_partial(partial, durable - 1, &openA, 1, &len, err, sizeof(err)) ==
	      RESUME_EBAD);
	CHECK(strstr(err, "record boundary") != NULL);
	CHECK(resume_prepare_partial(partial, durable, &openA, 1, &len, err, sizeof(err)) == 0);
	count_probes(partial, A, &all, &ofa, &certs);
	EXPECT(all == 1 && ofa == 0 && certs == 2, "after filtering: %d probes, %d of A, %d certs",
	       all, ofa, certs);
	/* the same again (a rerun that died before its first checkpoint): the
	 * file is shorter than the offset but filtered already */
	CHECK(resume_prepare_partial(partial, durable, &openA, 1, &len, err, sizeof(err)) == 0);
	count_probes(partial, A, &all, &ofa, &certs);
	CHECK(all == 1 && certs == 2);
	/* nothing open: a file shorter than the durable offset lost data */
	CHECK(resume_prepare_partial(partial, durable, NULL, 0, &len, err, sizeof(err)) ==
	      RESUME_EBAD);
	/* the writer continues it: known certificates are not written again */
	w = out_writer_open_append(out, len);
	CHECK(w != NULL);
	if (!w)
		return;
	add_probe(w, A, "a.example", 1);
	CHECK(out_writer_close(w, NULL) == OUT_OK);
	count_probes(out, A, &all, &ofa, &certs);
	EXPECT(all == 2 && ofa == 1 && certs == 2, "appended: %d probes, %d of A, %d certs", all,
	       ofa, certs);
}

static void test_evidence(void)
{
	struct ev_table *a = ev_table_new(), *b = ev_table_new();
	uint8_t leaf[8] = {0};
	char *text = NULL;
	size_t len = 0, bad = 0;

	CHECK(a && b);
	if (!a || !b)
		goto out;
	for (int i = 0; i < EV_CROSS_HOSTS; i++) {
		leaf[7] = (uint8_t)(i + 1);
		ev_record(a, 77, ev_network((uint32_t)(100 + i % 2), 0), leaf);
	}
	ev_localized(a, 78, 5, true);
	CHECK(ev_lookup(a, 77, 100) & VERDICT_EV_CROSS_HOST);
	CHECK(ev_table_export(a, &text, &len) == 0 && text);
	CHECK(ev_table_import(b, text, NULL, 0, &bad) == 0);
	CHECK(ev_lookup(b, 77, 100) & VERDICT_EV_CROSS_HOST);
	CHECK(ev_lookup(b, 78, 5) & VERDICT_EV_GROUP_BEFORE);
	CHECK(ev_table_import(b, "ev_issuer 1 9 1\n", NULL, 0, &bad) == -1 && bad == 1);
	CHECK(ev_table_import(b, "ev_group 1 2 3 4\nev_group 1 2\n", NULL, 0, &bad) == -1 &&
	      bad == 2);
	CHECK(ev_table_import(b, "bogus\n", NULL, 0, &bad) == -1);
	CHECK(ev_table_import(b, "ev_claim 1 2\n", NULL, 0, &bad) == -1 && bad == 1);
out:
	free(text);
	ev_table_free(a);
	ev_table_free(b);
}

/* Localisation claims cross a resume with their hosts: those of a host
 * probed again are dropped (it claims anew), the others still count, so
 * the whole scan never localises more of a group than --localize-per-group,
 * as an uninterrupted one. Claims whose job ended without a result count
 * too (the group's results alone would under-count them). */
static void test_claims(void)
{
	const uint64_t H1 = 0xc6120001ull << 16 | 443, H2 = H1 + 0x10000, H3 = H2 + 0x10000;
	struct ev_table *a = ev_table_new(), *b = ev_table_new(), *c = ev_table_new();
	const uint64_t redo[1] = {H2};
	char *text = NULL;
	size_t len = 0, bad = 0;

	CHECK(a && b && c);
	if (!a || !b || !c)
		goto out;
	CHECK(ev_claim_localization(a, 78, 5, 2, H1));
	CHECK(ev_claim_localization(a, 78, 5, 2, H2));
	CHECK(!ev_claim_localization(a, 78, 5, 2, H3));
	/* a job that could not start gives its claim back, also in the log */
	CHECK(ev_claim_localization(a, 79, 6, 1, H3));
	ev_unclaim_localization(a, 79, 6, H3);
	ev_localized(a, 78, 5, true); /* H1's ended with a result, H2's without */
	CHECK(ev_table_export(a, &text, &len) == 0 && text);
	/* every host kept: the group is full */
	CHECK(ev_table_import(b, text, NULL, 0, &bad) == 0);
	CHECK(!ev_claim_localization(b, 78, 5, 2, H3));
	CHECK(ev_claim_localization(b, 79, 6, 1, H3));
	/* H2 probed again: its slot is free again, once */
	CHECK(ev_table_import(c, text, redo, 1, &bad) == 0);
	CHECK(ev_claim_localization(c, 78, 5, 2, H2));
	CHECK(!ev_claim_localization(c, 78, 5, 2, H3));
	CHECK(ev_lookup(c, 78, 5) & VERDICT_EV_GROUP_BEFORE);
out:
	free(text);
	ev_table_free(a);
	ev_table_free(b);
	ev_table_free(c);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/scan.tlsmap.checkpoint", dir);
	test_roundtrip_and_damage();
	test_bad_lines();
	test_tracker();
	test_tracker_redo();
	test_partial();
	test_evidence();
	test_claims();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		failures++;
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures != 0;
}
