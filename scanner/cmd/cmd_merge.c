/* SPDX-License-Identifier: MIT */
/*
 * tlsmap merge -o OUT IN...: join the shard files of one scan.
 *
 * The inputs must describe the same scan: same seed, target specification,
 * ports, SNI list, control SNI, shard count and syn-only mode, and distinct
 * shard indexes; otherwise the command stops before writing anything, with
 * a message naming the file and the field that differs. The output's
 * ScanMeta is the first shard's with shard = 0, shards = 1, merged_shards =
 * the original count, merged_shard_indexes = the indexes present,
 * target_count summed, start time the earliest. Records are copied shard by
 * shard in order; certificates are deduplicated by the writer. The ScanEnd
 * sums the counters (certificates = distinct certificates in the output),
 * takes the latest end time, and is clean only if every shard was.
 * A shard without ScanEnd or cut short is refused unless --allow-incomplete.
 *
 * Streaming: the first pass reads only each input's ScanMeta and keeps the
 * first one plus a few numbers per input; the second opens the inputs one
 * at a time, so 64 shards cost one reader and one ScanMeta of memory.
 *
 * Nothing existing is destroyed: the output is written to OUT.partial and
 * renamed only once complete; on any refusal or error OUT.partial is
 * removed and an existing OUT stays as it was. An OUT (or OUT.partial)
 * that is one of the inputs, by device and inode or by resolved path, is a
 * usage error found before anything is opened for writing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"
#include "scanner/cmd/cli.h"

static const char usage_text[] =
	"usage: tlsmap merge -o OUT [options] IN...\n"
	"Join the shard files of one scan (same seed, targets, ports, SNI list and\n"
	"shard count; distinct shard indexes) into one dataset. Each IN may be\n"
	"plain or zstd-compressed.\n"
	"  -o, --output FILE        the merged dataset (written via FILE.partial,\n"
	"                           renamed when complete; not one of the INs);\n"
	"                           zstd-compressed when FILE ends in .zst\n"
	"  --allow-incomplete       accept shards without ScanEnd or truncated\n"
	"                           (the merged ScanEnd is then marked not clean)\n"
	"  -h, --help               this text\n";

/* What merge keeps of each input between the passes: a few numbers, not
 * its ScanMeta (only the first input's is kept), and no open file. */
struct input {
	const char *path;
	uint32_t shard;
	uint64_t target_count, start_time_us;
};

static bool strv_eq(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Name the first field of ScanMeta that differs between two shards, or NULL. */
static const char *meta_mismatch(const Tlsmap__V1__ScanMeta *a, const Tlsmap__V1__ScanMeta *b)
{
	if (a->seed != b->seed)
		return "seed";
	if (a->shards != b->shards)
		return "shard count";
	if (!strv_eq(a->targets, a->n_targets, b->targets, b->n_targets))
		return "target specification";
	if (a->n_ports != b->n_ports || memcmp(a->ports, b->ports, a->n_ports * sizeof(*a->ports)))
		return "port list";
	if (!strv_eq(a->snis, a->n_snis, b->snis, b->n_snis))
		return "SNI list";
	if (strcmp(a->control_sni, b->control_sni) != 0)
		return "control SNI";
	if (a->syn_only != b->syn_only)
		return "syn-only mode";
	if (!strv_eq(a->countries, a->n_countries, b->countries, b->n_countries))
		return "country list";
	if (a->format_version != b->format_version)
		return "format version";
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_input(const void *a, const void *b)
{
	const struct input *x = a, *y = b;

	return cmp_u32(&x->shard, &y->shard);
}

/*
 * Open @path and read its ScanMeta. Returns the reader (positioned after
 * it) and the record in *meta, or NULL after printing why.
 */
static struct out_reader *open_input(const char *path, Tlsmap__V1__Record **meta)
{
	struct out_reader *r;
	int err;

	*meta = NULL;
	r = out_reader_open(path, &err);
	if (!r) {
		fprintf(stderr, "tlsmap merge: %s: %s%s%s\n", path, out_strerror(err),
			err == OUT_EIO ? ": " : "", err == OUT_EIO ? strerror(errno) : "");
		return NULL;
	}
	err = out_reader_next(r, meta);
	if (err < 0)
		fprintf(stderr, "tlsmap merge: %s: %s at byte offset %llu\n", path,
			out_strerror(err), (unsigned long long)out_reader_offset(r));
	else if (err == 0 || (*meta)->kind_case != TLSMAP__V1__RECORD__KIND_META)
		fprintf(stderr, "tlsmap merge: %s: does not start with a ScanMeta record\n", path);
	if (err != 1 || (*meta)->kind_case != TLSMAP__V1__RECORD__KIND_META) {
		out_record_free(*meta);
		*meta = NULL;
		out_reader_close(r);
		return NULL;
	}
	return r;
}

/* The merge's state, from the arguments to the ScanEnd. */
struct merge {
	const char *out_path;
	char *partial; /* OUT.partial */
	bool allow_incomplete;
	struct input *in; /* sorted by shard after the meta pass */
	size_t nin;
	uint32_t *idx;		   /* merged_shard_indexes */
	Tlsmap__V1__Record *first; /* the first input's ScanMeta */
	struct out_writer *w;
	Tlsmap__V1__ScanEnd end; /* the sums so far */
	bool clean;
	uint64_t ncerts;
	char reasons[512]; /* "shard I: why; ..." of the shards not clean */
};

/* How a step ended: go on, a usage error, a refusal (nothing kept) or a
 * write error. */
enum { MERGE_OK = 0, MERGE_FAIL = 1, MERGE_WERR = 3 };

/* Options and inputs: 0, 1 after --help, or CLI_EUSAGE. */
static int merge_args(struct merge *m, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"output", required_argument, NULL, 'o'},
		{"allow-incomplete", no_argument, NULL, 'A'},
		{NULL, 0, NULL, 0},
	};
	/* each flag at most once */
	struct cli_getopt g = {.cmd = "merge", .shortopts = "ho:", .longopts = opts};
	int c;

	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case 'o':
			m->out_path = optarg;
			break;
		case 'A':
			m->allow_incomplete = true;
			break;
		default:
			return cli_bad_option("merge", argc, argv);
		}
	}
	if (!m->out_path) {
		cli_usage_error("merge", "missing -o OUT");
		return CLI_EUSAGE;
	}
	if (optind == argc) {
		cli_usage_error("merge", "missing IN files");
		return CLI_EUSAGE;
	}
	return 0;
}

/* The input list, none of which may be OUT or OUT.partial: 0, MERGE_FAIL
 * (out of memory) or CLI_EUSAGE. */
static int merge_inputs(struct merge *m, int nin, char **paths)
{
	m->nin = (size_t)nin;
	m->in = calloc(m->nin, sizeof(*m->in));
	m->idx = calloc(m->nin, sizeof(*m->idx));
	m->partial = malloc(strlen(m->out_path) + sizeof(".partial"));
	if (!m->in || !m->idx || !m->partial)
		return MERGE_FAIL;
	sprintf(m->partial, "%s.partial", m->out_path);
	for (size_t i = 0; i < m->nin; i++) {
		m->in[i].path = paths[i];
		if (out_same_file(m->out_path, paths[i]) || out_same_file(m->partial, paths[i])) {
			cli_usage_error("merge", "the output %s is also an input (%s)", m->out_path,
					paths[i]);
			return CLI_EUSAGE;
		}
	}
	return 0;
}

/* Whether input @i's ScanMeta @meta may join the first @i inputs; prints why not. */
static bool meta_fits(const struct merge *m, size_t i, const Tlsmap__V1__ScanMeta *meta)
{
	const char *bad;

	if (meta->merged_shards) {
		fprintf(stderr, "tlsmap merge: %s: is already a merged file\n", m->in[i].path);
		return false;
	}
	if (i > 0 && (bad = meta_mismatch(m->first->meta, meta))) {
		fprintf(stderr,
			"tlsmap merge: %s and %s are not shards of one scan: their %s differs\n",
			m->in[0].path, m->in[i].path, bad);
		return false;
	}
	if (meta->shard >= meta->shards) {
		fprintf(stderr, "tlsmap merge: %s: shard %u of %u is out of range\n", m->in[i].path,
			meta->shard, meta->shards);
		return false;
	}
	for (size_t j = 0; j < i; j++)
		if (m->in[j].shard == meta->shard) {
			fprintf(stderr, "tlsmap merge: %s and %s are the same shard (%u of %u)\n",
				m->in[j].path, m->in[i].path, meta->shard, meta->shards);
			return false;
		}
	return true;
}

/* Pass 1: every input opens, starts with a ScanMeta, and agrees with the
 * first; only the first ScanMeta is kept. 0 or MERGE_FAIL. */
static int meta_pass(struct merge *m)
{
	for (size_t i = 0; i < m->nin; i++) {
		Tlsmap__V1__Record *rec;
		struct out_reader *r = open_input(m->in[i].path, &rec);
		bool fits;

		if (!r)
			return MERGE_FAIL;
		fits = meta_fits(m, i, rec->meta);
		m->in[i].shard = rec->meta->shard;
		m->in[i].target_count = rec->meta->target_count;
		m->in[i].start_time_us = rec->meta->start_time_us;
		out_reader_close(r);
		if (i == 0 && fits)
			m->first = rec;
		else
			out_record_free(rec);
		if (!fits)
			return MERGE_FAIL;
	}
	if (m->nin < m->first->meta->shards)
		fprintf(stderr,
			"tlsmap merge: note: %zu of %u shards given; the merge covers only those\n",
			m->nin, m->first->meta->shards);
	qsort(m->in, m->nin, sizeof(*m->in), cmp_input);
	return 0;
}

/* The output's ScanMeta: the first shard's, as one shard of one, with the
 * indexes present, the targets summed and the earliest start. */
static void merged_meta(struct merge *m, Tlsmap__V1__ScanMeta *meta)
{
	*meta = *m->first->meta;
	meta->shard = 0;
	meta->shards = 1;
	meta->merged_shards = m->first->meta->shards;
	meta->n_merged_shard_indexes = m->nin;
	meta->merged_shard_indexes = m->idx;
	meta->target_count = 0;
	for (size_t i = 0; i < m->nin; i++) {
		m->idx[i] = m->in[i].shard;
		meta->target_count += m->in[i].target_count;
		if (m->in[i].start_time_us < meta->start_time_us)
			meta->start_time_us = m->in[i].start_time_us;
	}
}

/* Record why shard @shard was not clean. */
static void add_reason(struct merge *m, uint32_t shard, const char *why)
{
	size_t used = strlen(m->reasons);

	m->clean = false;
	snprintf(m->reasons + used, sizeof(m->reasons) - used, "%sshard %u: %s", used ? "; " : "",
		 shard, why);
}

/* Add one shard's ScanEnd to the sums. */
static void add_end(struct merge *m, uint32_t shard, const Tlsmap__V1__ScanEnd *x)
{
	Tlsmap__V1__ScanEnd *end = &m->end;

	if (x->end_time_us > end->end_time_us)
		end->end_time_us = x->end_time_us;
	if (!x->clean)
		add_reason(m, shard, x->stop_reason);
	end->targets_sent += x->targets_sent;
	end->synack += x->synack;
	end->rst += x->rst;
	end->probes += x->probes;
	end->tls_ok += x->tls_ok;
	end->records_dropped += x->records_dropped;
	end->rx_dropped += x->rx_dropped;
	end->localize_jobs += x->localize_jobs;
	end->localized += x->localized;
	end->unstable_hosts += x->unstable_hosts;
}

/* Copy one record of input @i: OUT_OK or the writer's error. */
static int copy_record(struct merge *m, size_t i, const Tlsmap__V1__Record *rec, bool *have_end)
{
	uint64_t before;
	int e;

	switch (rec->kind_case) {
	case TLSMAP__V1__RECORD__KIND_CERTIFICATE:
		before = out_writer_records(m->w);
		e = out_write_cert(m->w, rec->certificate);
		m->ncerts += out_writer_records(m->w) - before; /* 0 for a duplicate */
		return e;
	case TLSMAP__V1__RECORD__KIND_PROBE:
		return out_write_probe(m->w, rec->probe);
	case TLSMAP__V1__RECORD__KIND_END:
		*have_end = true;
		add_end(m, m->in[i].shard, rec->end);
		return OUT_OK;
	default:
		return OUT_OK; /* a second meta, or an unknown kind: not copied */
	}
}

/* Pass 2 for input @i: MERGE_OK, MERGE_FAIL (refused) or MERGE_WERR. */
static int copy_input(struct merge *m, size_t i)
{
	Tlsmap__V1__Record *rec, *meta;
	struct out_reader *r = open_input(m->in[i].path, &meta);
	bool have_end = false;
	const char *changed;
	int rr, ret = MERGE_OK;

	if (!r)
		return MERGE_FAIL;
	changed = meta->meta->shard != m->in[i].shard ? "shard index"
						      : meta_mismatch(m->first->meta, meta->meta);
	out_record_free(meta);
	if (changed) {
		fprintf(stderr, "tlsmap merge: %s changed during the merge (%s)\n", m->in[i].path,
			changed);
		ret = MERGE_FAIL;
		goto out;
	}
	while ((rr = out_reader_next(r, &rec)) == 1) {
		int e = copy_record(m, i, rec, &have_end);
		out_record_free(rec);
		if (e != OUT_OK) {
			ret = MERGE_WERR;
			goto out;
		}
	}
	if (rr < 0 || !have_end) {
		if (!m->allow_incomplete) {
			fprintf(stderr,
				"tlsmap merge: %s is incomplete (%s at byte offset %llu); "
				"use --allow-incomplete to merge what it holds\n",
				m->in[i].path, rr < 0 ? out_strerror(rr) : "no ScanEnd record",
				(unsigned long long)out_reader_offset(r));
			ret = MERGE_FAIL;
			goto out;
		}
		add_reason(m, m->in[i].shard, "incomplete");
	}
out:
	out_reader_close(r);
	return ret;
}

/* Write the merged file: MERGE_OK, MERGE_FAIL or MERGE_WERR (the writer
 * is still open on those, for the caller to abort). */
static int merge_write(struct merge *m)
{
	Tlsmap__V1__ScanMeta meta;
	int ret;

	merged_meta(m, &meta);
	m->w = out_writer_open(m->out_path);
	if (!m->w) {
		fprintf(stderr, "tlsmap merge: %s: %s\n", m->partial, strerror(errno));
		return MERGE_FAIL;
	}
	if (out_write_meta(m->w, &meta) != OUT_OK)
		return MERGE_WERR;
	for (size_t i = 0; i < m->nin; i++)
		if ((ret = copy_input(m, i)) != MERGE_OK)
			return ret;
	return MERGE_OK;
}

/* Close OUT.partial with the summed ScanEnd and rename it: 0 or 1. */
static int merge_finish(struct merge *m)
{
	struct out_writer *w = m->w;
	int ret;

	m->end.clean = m->clean;
	m->end.stop_reason = m->clean ? "done" : m->reasons;
	m->end.certificates = m->ncerts; /* distinct certificates in the merged file */
	m->w = NULL;
	ret = out_writer_close(w, &m->end);
	if (ret != OUT_OK) {
		int e = errno;

		fprintf(stderr, "tlsmap merge: writing %s: %s: %s; %s is left as it was\n",
			m->partial, out_strerror(ret), strerror(e), m->out_path);
		unlink(m->partial); /* ours: an incomplete merge is worth nothing */
		return 1;
	}
	fprintf(stderr, "tlsmap merge: %zu shard(s) -> %s\n", m->nin, m->out_path);
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	struct merge m = {.clean = true, .end = TLSMAP__V1__SCAN_END__INIT};
	int ret;

	ret = merge_args(&m, argc, argv);
	if (ret == 1)
		return 0;
	if (ret)
		return ret;
	ret = merge_inputs(&m, argc - optind, argv + optind);
	if (ret == 0)
		ret = meta_pass(&m);
	if (ret == 0)
		ret = merge_write(&m);
	if (ret == MERGE_WERR)
		fprintf(stderr, "tlsmap merge: writing %s failed: %s; %s is left as it was\n",
			m.partial, strerror(out_writer_errno(m.w) ? out_writer_errno(m.w) : errno),
			m.out_path);
	if (ret == MERGE_OK)
		ret = merge_finish(&m);
	else if (ret == MERGE_WERR || ret == MERGE_FAIL)
		ret = 1;
	out_writer_abort(m.w); /* removes OUT.partial, never OUT; NULL after finish */
	out_record_free(m.first);
	free(m.in);
	free(m.idx);
	free(m.partial);
	return ret;
}
