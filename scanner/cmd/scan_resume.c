/* SPDX-License-Identifier: MIT */
/*
 * `tlsmap scan -o OUT --resume` before the engine starts (scanner/stage/resume.h
 * for the mechanism): what configuration a checkpoint must match, whether
 * OUT is complete already, and OUT.partial cut back and cleaned so the
 * scan appends where the checkpoint says. Runs before EAL init, so a rerun
 * that has nothing to do, or is refused, exits at once.
 *
 * The configuration lines are what decides which probes the scan makes and
 * their verdicts. Rate, connection limits, interface and addresses may
 * change between runs (a requeued Slurm task lands on another node); the
 * targets, ports, seed, SNIs, roots, interceptor lists, databases and
 * timeouts may not. A random seed or control SNI of the first run is taken
 * over by the rerun when the command line does not set them.
 */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/out.h"
#include "scanner/cmd/cli.h"
#include "scanner/cmd/scan_resume.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* SHA-256 of the target set's ranges (first, last as 8 hex digits each). */
static void targets_sha(const struct scan_config *c, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[32] = {0};
	unsigned int len = 32;

	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		for (size_t i = 0; i < tgt_set_nranges(c->targets); i++) {
			uint32_t first, last;
			char r[20];

			tgt_set_range(c->targets, i, &first, &last);
			snprintf(r, sizeof(r), "%08x%08x", first, last);
			EVP_DigestUpdate(ctx, r, 16);
		}
		EVP_DigestFinal_ex(ctx, d, &len);
	}
	EVP_MD_CTX_free(ctx);
	hex(d, 32, out);
}

/* The SNI list as a digest and a count (a --sni-file may hold thousands). */
static void snis_text(const struct scan_config *c, char *out, size_t outlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[32] = {0};
	unsigned int len = 32;
	char h[65];

	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		for (size_t i = 0; i < c->nsnis; i++)
			EVP_DigestUpdate(ctx, c->snis[i], strlen(c->snis[i]) + 1);
		EVP_DigestFinal_ex(ctx, d, &len);
	}
	EVP_MD_CTX_free(ctx);
	hex(d, 32, h);
	snprintf(out, outlen, "%zu names, sha256 %s", c->nsnis, h);
}

int scan_resume_config(const struct scan_config *c, struct resume_ckpt *ck)
{
	char ports[6 * 64 + 16] = "", t[65], snis[100], bl[65], icpt[65] = "none", num[8][32];
	size_t pl = 0;
	int ret = 0;

	for (unsigned i = 0; i < c->nports && pl < sizeof(ports) - 8; i++)
		pl += (size_t)snprintf(ports + pl, sizeof(ports) - pl, "%s%u", i ? "," : "",
				       c->ports[i]);
	targets_sha(c, t);
	snis_text(c, snis, sizeof(snis));
	hex(c->blocklist_sha256, 32, bl);
	if (c->icpt)
		hex(c->icpt->sha256, 32, icpt);
	snprintf(num[0], sizeof(num[0]), "%" PRIu64, c->seed);
	snprintf(num[1], sizeof(num[1]), "%u/%u", c->shard, c->shards);
	snprintf(num[2], sizeof(num[2]), "%" PRIu64, c->max_targets);
	snprintf(num[3], sizeof(num[3]), "%u", c->probes);
	snprintf(num[4], sizeof(num[4]), "%g/%g", c->connect_timeout_s, c->read_timeout_s);
	snprintf(num[5], sizeof(num[5]), "%" PRIu64, c->max_flight_bytes);
	snprintf(num[6], sizeof(num[6]), "%u/%g", c->max_attempts, c->retry_delay_s);
	snprintf(num[7], sizeof(num[7]), "%s/%" PRIu64, c->no_localize ? "off" : "on",
		 c->localize_per_group);
	const char *lines[][2] = {
		{"targets", t},
		{"ports", ports},
		{"seed", num[0]},
		{"shard", num[1]},
		{"max_targets", num[2]},
		{"probes", num[3]},
		{"syn_only", c->syn_only ? "yes" : "no"},
		{"vantage", c->vantage ? c->vantage : ""},
		{"snis", c->syn_only ? "" : snis},
		{"control_sni", c->syn_only || !c->control_sni ? "" : c->control_sni},
		{"control_sni2", c->syn_only || !c->control_sni2 ? "" : c->control_sni2},
		{"roots", c->roots ? c->roots : "system"},
		{"eligible", scan_eligible_name(c->eligible)},
		{"tls13", c->tls13 ? "yes" : "no"},
		{"timeouts", num[4]},
		{"max_flight_bytes", num[5]},
		{"attempts", num[6]},
		{"localize", num[7]},
		{"interceptors", icpt},
		{"blocklist", bl},
		{"geo_db", c->geo_db ? c->geo_db : "default"},
		{"asn_db", c->asn_db ? c->asn_db : "default"},
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]) && ret == 0; i++)
		ret = resume_ckpt_config(ck, lines[i][0], lines[i][1]);
	return ret;
}

/* Take over the first run's random seed and control SNIs when the command
 * line leaves them to chance. */
static int adopt_random(struct scan_config *c, const struct resume_ckpt *old)
{
	const char *seed = resume_ckpt_get(old, "seed");
	const char *c1 = resume_ckpt_get(old, "control_sni");
	const char *c2 = resume_ckpt_get(old, "control_sni2");
	char *end;

	if (!c->seed_given && seed) {
		errno = 0;
		c->seed = strtoull(seed, &end, 10);
		if (errno || *end || !*seed)
			return -1;
	}
	if (!c->syn_only && c->control_sni == c->control_sni_buf && c1 && *c1 && c2) {
		if (strlen(c1) >= sizeof(c->control_sni_buf) ||
		    strlen(c2) >= sizeof(c->control_sni2_buf))
			return -1;
		strcpy(c->control_sni_buf, c1);
		strcpy(c->control_sni2_buf, c2);
	}
	return 0;
}

static int adopt_random(struct scan_config *c, const struct resume_ckpt *old);

/* OUT exists: complete. Exit 0 when its configuration is this one's (the
 * first run's random seed and control SNIs taken over as for a checkpoint). */
static int check_complete(struct scan_config *c, struct resume_ckpt *now)
{
	int err = 0, n;
	struct out_reader *r = out_reader_open(c->output, &err);
	Tlsmap__V1__Record *rec = NULL;
	struct resume_ckpt was = {0};
	char msg[600];
	int status = CLI_EUSAGE;

	n = r ? out_reader_next(r, &rec) : err;
	if (n != 1 || rec->kind_case != TLSMAP__V1__RECORD__KIND_META) {
		cli_usage_error("scan", "-o %s exists and is not a dataset (%s): not resuming",
				c->output, n < 0 ? out_strerror(n) : "no ScanMeta");
		goto out;
	}
	for (size_t i = 0; i < rec->meta->n_config; i++) {
		char *line = rec->meta->config[i], *sp = strchr(line, ' ');

		if (sp && (*sp = '\0', resume_ckpt_config(&was, line, sp + 1)) != 0)
			goto out;
	}
	if (!rec->meta->n_config) {
		cli_usage_error("scan",
				"-o %s is complete and was not made with --resume: "
				"not resuming (remove it to scan again)",
				c->output);
	} else if (adopt_random(c, &was) != 0) {
		cli_usage_error("scan", "-o %s: bad seed or control SNI in its ScanMeta",
				c->output);
	} else if (resume_ckpt_free(now), scan_resume_config(c, now) != 0) {
		status = 1;
	} else if (resume_ckpt_differs(&was, now, msg, sizeof(msg))) {
		cli_usage_error("scan", "-o %s is complete with another configuration: %s",
				c->output, msg);
	} else {
		fprintf(stderr, "tlsmap scan: %s is complete already: nothing to resume\n",
			c->output);
		status = 0;
	}
out:
	if (rec)
		out_record_free(rec);
	out_reader_close(r);
	resume_ckpt_free(&was);
	return status;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Load OUT.checkpoint, check it, prepare OUT.partial. 0 or an exit status. */
static int continue_from(struct scan_config *c, struct scan_resume *r)
{
	char err[512], msg[600];
	int ret = resume_ckpt_read(r->ckpt_path, &r->prev, err, sizeof(err));

	if (ret == RESUME_EBAD) {
		cli_usage_error("scan", "%s: %s (remove it and %s.partial to start over)",
				r->ckpt_path, err, c->output);
		return CLI_EUSAGE;
	}
	if (ret) {
		fprintf(stderr, "tlsmap scan: %s: %s\n", r->ckpt_path,
			ret == RESUME_ENOMEM ? "out of memory" : strerror(errno));
		return 1;
	}
	if (adopt_random(c, &r->prev) != 0) {
		cli_usage_error("scan", "%s: bad seed or control SNI", r->ckpt_path);
		return CLI_EUSAGE;
	}
	resume_ckpt_free(&r->now);
	if (scan_resume_config(c, &r->now) != 0)
		return 1;
	if (resume_ckpt_differs(&r->prev, &r->now, msg, sizeof(msg))) {
		cli_usage_error("scan", "--resume: the configuration differs from %s: %s",
				r->ckpt_path, msg);
		return CLI_EUSAGE;
	}
	ret = resume_prepare_partial(r->partial_path, r->prev.durable_offset, r->prev.open,
				     r->prev.nopen, &r->append_at, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "tlsmap scan: --resume: %s\n", err);
		return ret == RESUME_EBAD ? CLI_EUSAGE : 1;
	}
	/* the cleaned file is what the checkpoint describes from now on */
	r->now.durable_offset = r->append_at;
	r->now.position = r->prev.position;
	r->now.resumed = r->prev.resumed + 1;
	r->now.done = r->prev.done;
	r->now.ndone = r->prev.ndone;
	r->now.open = r->prev.open; /* still to be probed again (filtering twice is harmless) */
	r->now.nopen = r->prev.nopen;
	ret = resume_ckpt_write(r->ckpt_path, &r->now);
	r->now.done = r->now.open = NULL;
	r->now.ndone = r->now.nopen = 0;
	if (ret) {
		fprintf(stderr, "tlsmap scan: %s: %s\n", r->ckpt_path, strerror(errno));
		return 1;
	}
	r->resuming = true;
	fprintf(stderr,
		"tlsmap scan: resuming %s (resumed %llu time(s) before): %llu bytes kept, %zu "
		"unfinished host(s) probed again, from target %llu\n",
		r->partial_path, (unsigned long long)r->prev.resumed,
		(unsigned long long)r->append_at, r->prev.nopen,
		(unsigned long long)r->prev.position);
	return 0;
}

int scan_resume_begin(struct scan_config *c, struct scan_resume *r)
{
	size_t n = strlen(c->output) + sizeof(".checkpoint");

	memset(r, 0, sizeof(*r));
	r->ckpt_path = malloc(n);
	r->partial_path = malloc(n);
	if (!r->ckpt_path || !r->partial_path || scan_resume_config(c, &r->now) != 0) {
		fprintf(stderr, "tlsmap scan: out of memory\n");
		return 1;
	}
	snprintf(r->ckpt_path, n, "%s.checkpoint", c->output);
	snprintf(r->partial_path, n, "%s.partial", c->output);
	if (exists(c->output) && !exists(r->partial_path)) {
		int status = check_complete(c, &r->now);
		return status == 0 ? SCAN_RESUME_DONE : status;
	}
	if (!exists(r->ckpt_path)) {
		if (exists(r->partial_path))
			fprintf(stderr,
				"tlsmap scan: --resume: no %s (the scan died before its "
				"first checkpoint): starting over\n",
				r->ckpt_path);
		return 0;
	}
	return continue_from(c, r);
}

void scan_resume_free(struct scan_resume *r)
{
	resume_tracker_free(r->tracker);
	ev_table_free(r->evidence);
	resume_ckpt_free(&r->now);
	resume_ckpt_free(&r->prev);
	free(r->ckpt_path);
	free(r->partial_path);
	memset(r, 0, sizeof(*r));
}
