/* SPDX-License-Identifier: MIT */
/*
 * tlsmap scan: parse and validate (scan_config.c), start the engine, open
 * the output and the stage, run the sweep, write ScanEnd. The targets come
 * from the sweep core's generator (scanner/core/gen.h) on the engine's TX
 * lcore; this file gives it the engine's answers and --resume's done hosts
 * through its hooks, so dpdk/ sees only "give me up to N targets now".
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "dpdk/engine.h"
#include "output/out.h"
#include "scanner/cmd/cli.h"
#include "geo/geo.h"
#include "parsers/x509.h"
#include "parsers/verify.h"
#include "scanner/cmd/privdrop.h"
#include "scanner/cmd/scan_config.h"
#include "scanner/cmd/scan_resume.h"
#include "scanner/stage/stage.h"
#include "scanner/core/sweep.h"

struct tick_ctx {
	const struct scan_config *cfg;
	struct progress_counters *ctr;
	struct progress_rates rates;
	uint64_t total;
	double cooldown_started;
	struct out_async *out; /* NULL without -o */
	bool out_failed;       /* a write error stopped the scan */
	bool stdout_failed;    /* the syn-only listing cannot be written */
	struct eng *eng;
	struct sweep_gen *gen;
	struct scan_resume *rs; /* --resume, else NULL */
};

static void tick_checkpoint(struct tick_ctx *t);

static void fill_counters(struct progress_counters *c, const struct eng_stats *st)
{
	atomic_store_explicit(&c->sent, st->sent, memory_order_relaxed);
	atomic_store_explicit(&c->synack, st->synack, memory_order_relaxed);
	atomic_store_explicit(&c->rst, st->rst, memory_order_relaxed);
	atomic_store_explicit(&c->dropped, st->invalid + st->ring_full + st->nic_missed,
			      memory_order_relaxed);
	atomic_store_explicit(&c->tx_fail, st->tx_dropped, memory_order_relaxed);
}

static void on_tick(void *arg, const struct eng_stats *st, bool sweep_done, double elapsed)
{
	struct tick_ctx *t = arg;

	fill_counters(t->ctr, st);
	/* A dataset that cannot be written is not worth scanning for: stop now
	 * rather than drop every record until the end (the error is printed
	 * when the writer closes). The same for the syn-only listing. */
	if (t->out && !t->out_failed && out_async_error(t->out) != OUT_OK) {
		t->out_failed = true;
		fprintf(stderr, "tlsmap scan: write error on the dataset: stopping the scan\n");
		eng_request_stop(0);
	}
	if (!t->out && t->cfg->syn_only && !t->stdout_failed && ferror(stdout)) {
		t->stdout_failed = true;
		fprintf(stderr, "tlsmap scan: cannot write the listing to standard output: "
				"stopping the scan\n");
		eng_request_stop(0);
	}
	if (sweep_done && t->cooldown_started < 0)
		t->cooldown_started = elapsed;
	progress_update(&t->rates, t->ctr, elapsed);
	t->rates.cooldown_left =
		sweep_done ? t->cfg->cooldown_s - (elapsed - t->cooldown_started) : 0;
	if (t->rates.cooldown_left < 0)
		t->rates.cooldown_left = 0.001;
	progress_line(stderr, t->ctr, elapsed, t->total, &t->rates);
	if (t->cfg->status_json)
		progress_json(t->cfg->status_json, t->ctr, elapsed, t->total, &t->rates);
	tick_checkpoint(t);
}

static uint64_t unix_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* The ScanMeta fields that come straight from the configuration; @ports
 * and @targets are the caller's arrays of nports and ntarget_specs + 1. */
static void meta_from_config(Tlsmap__V1__ScanMeta *m, const struct scan_config *c,
			     uint64_t start_us, uint64_t total, uint32_t *ports, char **targets)
{
	size_t nt = 0;

	m->format_version = 1;
	m->tool_version = (char *)TLSMAP_VERSION;
	m->n_command_line = (size_t)c->argc;
	m->command_line = c->argv;
	m->start_time_us = start_us;
	m->vantage = (char *)c->vantage;
	m->seed = c->seed;
	m->shard = c->shard;
	m->shards = c->shards;
	for (size_t k = 0; k < c->ntarget_specs; k++)
		targets[nt++] = c->target_specs[k];
	if (c->allowlist_file)
		targets[nt++] = (char *)c->allowlist_file;
	m->n_targets = nt;
	m->targets = targets;
	for (unsigned k = 0; k < c->nports; k++)
		ports[k] = c->ports[k];
	m->n_ports = c->nports;
	m->ports = ports;
	m->blocklist_sha256.data = (uint8_t *)c->blocklist_sha256;
	m->blocklist_sha256.len = 32;
	m->eligible = (char *)scan_eligible_name(c->eligible);
	m->syn_only = c->syn_only;
	m->max_targets = c->max_targets;
	m->target_count = total;
	m->rate_pps = c->rate_pps;
	m->interface = (char *)c->iface;
	m->n_snis = c->nsnis;
	m->snis = (char **)c->snis;
	m->control_sni = (char *)(c->control_sni ? c->control_sni : "");
	m->control_sni_2 = (char *)(c->control_sni2 ? c->control_sni2 : "");
	m->localize = !c->syn_only && !c->no_localize;
	m->localize_per_group = (uint32_t)c->localize_per_group;
	m->roots_source = (char *)(c->roots ? c->roots : "system");
	m->n_countries = c->ncountries;
	m->countries = (char **)c->countries;
}

/* ScanMeta.config and config_sha256 from @ck's lines (strings into @lines). */
static int meta_config(Tlsmap__V1__ScanMeta *m, const struct resume_ckpt *ck, char ***lines,
		       uint8_t sha[32])
{
	*lines = calloc(ck->nconfig + 1, sizeof(**lines));
	if (!*lines)
		return OUT_ENOMEM;
	for (size_t i = 0; i < ck->nconfig; i++) {
		size_t n = strlen(ck->keys[i]) + strlen(ck->values[i]) + 2;

		(*lines)[i] = malloc(n);
		if (!(*lines)[i])
			return OUT_ENOMEM;
		snprintf((*lines)[i], n, "%s %s", ck->keys[i], ck->values[i]);
	}
	resume_ckpt_config_sha256(ck, sha);
	m->n_config = ck->nconfig;
	m->config = *lines;
	m->config_sha256.data = sha;
	m->config_sha256.len = 32;
	return OUT_OK;
}

static void free_lines(char **lines)
{
	for (size_t i = 0; lines && lines[i]; i++)
		free(lines[i]);
	free(lines);
}

static int write_meta(struct out_writer *w, const struct scan_config *c, uint64_t start_us,
		      uint64_t total, const struct resume_ckpt *ck)
{
	char **cfg_lines = NULL;
	uint8_t cfg_sha[32];
	Tlsmap__V1__ScanMeta m;
	uint32_t *ports = calloc(c->nports, sizeof(*ports));
	char **targets = calloc(c->ntarget_specs + 1, sizeof(*targets));
	int ret;

	if (!ports || !targets) {
		free(ports);
		free(targets);
		return OUT_ENOMEM;
	}
	tlsmap__v1__scan_meta__init(&m);
	meta_from_config(&m, c, start_us, total, ports, targets);
	if (c->icpt) { /* the known-interceptor lists the verdicts rely on */
		m.interceptors_version = (char *)c->icpt->version;
		m.interceptors_sha256.data = (uint8_t *)c->icpt->sha256;
		m.interceptors_sha256.len = 32;
	}

	/* Which geolocation databases and trust anchors the verdicts came from:
	 * a published dataset must say, since both change over time. */
	char cpath[4096], apath[4096], err[256];
	struct geo *g =
		geo_open(c->geo_db ? c->geo_db : geo_default_path("country", cpath, sizeof(cpath)),
			 c->asn_db ? c->asn_db : geo_default_path("asn", apath, sizeof(apath)), err,
			 sizeof(err));
	struct geo_db_info gi[2];
	Tlsmap__V1__GeoDatabase gdb[2], *gdbp[2];
	char *db_type[2] = {NULL, NULL};
	size_t ng = g ? geo_db_info(g, gi) : 0;
	for (size_t k = 0; k < ng; k++) {
		tlsmap__v1__geo_database__init(&gdb[k]);
		gdb[k].role = (char *)gi[k].role;
		gdb[k].path = (char *)gi[k].path;
		/* the database's own metadata: a proto3 string must be UTF-8 */
		const char *dt = gi[k].database_type ? gi[k].database_type : "";
		db_type[k] = x509_text_escape((const uint8_t *)dt, strlen(dt), NULL);
		gdb[k].database_type = db_type[k] ? db_type[k] : (char *)"";
		gdb[k].build_epoch = gi[k].build_epoch;
		gdbp[k] = &gdb[k];
	}
	m.n_geo_databases = ng;
	m.geo_databases = gdbp;
	uint8_t roots_sha[32];
	struct verify_store *vs = c->syn_only ? NULL : verify_store_new(c->roots, err, sizeof(err));
	if (vs) {
		verify_store_sha256(vs, roots_sha);
		m.roots_sha256.data = roots_sha;
		m.roots_sha256.len = 32;
	}
	ret = meta_config(&m, ck, &cfg_lines, cfg_sha);
	if (ret == OUT_OK)
		ret = out_write_meta(w, &m);
	free_lines(cfg_lines);
	free(db_type[0]);
	free(db_type[1]);
	if (vs)
		verify_store_free(vs);
	if (g)
		geo_close(g);
	free(ports);
	free(targets);
	return ret;
}

/* Number of CIDR prefixes that cover [first, last] exactly. */
static uint64_t cidr_count(uint32_t first, uint32_t last)
{
	uint64_t n = 0, a = first, end = (uint64_t)last + 1;

	while (a < end) {
		uint64_t size = a ? (a & -a) : (1ull << 32);
		while (a + size > end)
			size >>= 1;
		a += size;
		n++;
	}
	return n;
}

/* --dry-run: what the scan would cover, after countries, allowlist and blocklist. */
static void print_dry_run(const struct scan_config *c)
{
	uint64_t prefixes = 0;

	for (size_t k = 0; k < tgt_set_nranges(c->targets); k++) {
		uint32_t first, last;
		tgt_set_range(c->targets, k, &first, &last);
		prefixes += cidr_count(first, last);
	}
	printf("countries=");
	for (size_t k = 0; k < c->ncountries; k++)
		printf("%s%s", k ? "," : "", c->countries[k]);
	printf("\nranges=%zu\nprefixes=%llu\naddresses=%llu\nports=%u\ntargets=%llu\n",
	       tgt_set_nranges(c->targets), (unsigned long long)prefixes,
	       (unsigned long long)c->naddrs, c->nports, (unsigned long long)c->npairs);
	printf("port_list=");
	for (size_t k = 0; k < c->nports; k++)
		printf("%s%u", k ? "," : "", c->ports[k]);
	printf("\nsnis=%zu\n", c->syn_only ? (size_t)0 : c->nsnis);
}

/* --dry-run -o FILE: the ScanMeta the scan would write (which lists, roots and
 * databases its verdicts would rely on), closed with a ScanEnd saying
 * "dry-run"; no probe records. */
static int dry_run_dataset(const struct scan_config *c, uint64_t total,
			   const struct resume_ckpt *ck)
{
	Tlsmap__V1__ScanEnd end;
	struct out_writer *w = out_writer_open(c->output);
	int ret;

	if (!w) {
		fprintf(stderr, "tlsmap scan: -o %s: %s\n", c->output, strerror(errno));
		return 1;
	}
	ret = write_meta(w, c, unix_us(), total, ck);
	tlsmap__v1__scan_end__init(&end);
	end.end_time_us = unix_us();
	end.clean = true;
	end.stop_reason = (char *)"dry-run";
	if (ret) {
		fprintf(stderr, "tlsmap scan: -o %s: %s\n", c->output, out_strerror(ret));
		out_writer_close(w, NULL);
		return 1;
	}
	ret = out_writer_close(w, &end);
	if (ret) {
		fprintf(stderr, "tlsmap scan: -o %s: %s\n", c->output, out_strerror(ret));
		return 1;
	}
	return 0;
}

/* ---- the scan: configure, start, sweep, finish (cmd_scan at the end) ---- */

#define SCAN_GO (-1)		       /* internal: no exit status yet, go on */
#define CKPT_INTERVAL_NS 4000000000ull /* ticks come once a second: at most 5 s apart */

/*
 * The signal that stopped the scan (0: none), shared with on_stop_signal():
 * a sig_atomic_t, the only type a handler may store to. The resume tracker
 * reads it too: once set, no host completes.
 */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int signo)
{
	stop_signal = signo;
	eng_request_stop(signo); /* async-signal-safe (dpdk/engine.h) */
}

static void install_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static const char *stop_reason(int sig)
{
	switch (sig) {
	case 0:
		return "done";
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	default:
		return "signal";
	}
}

struct scan_run {
	struct scan_config cfg;
	struct eng *e;
	struct perm perm; /* this shard's walk */
	struct sweep_gen gen;
	struct progress_counters ctr;
	struct tick_ctx tick;
	struct stage_ctx sctx;
	struct stage stage;
	struct out_writer *w;
	struct out_async *oa;
	struct eng_stats st;
	struct priv_user pu;
	struct scan_resume rs; /* --resume (rs.tracker NULL without it) */
	bool ckpt_failed;      /* the writer thread's (scan_synced) */
	uint64_t total, start_us;
	int stopped;
};

/* Write the checkpoint for a file durable up to @durable at @now_ns. */
static int scan_checkpoint(struct scan_resume *rs, uint64_t durable, uint64_t now_ns)
{
	int ret = resume_tracker_snapshot(rs->tracker, durable, now_ns, &rs->now);

	rs->now.durable_offset = durable;
	free(rs->now.evidence);
	rs->now.evidence = NULL;
	rs->now.evidence_len = 0;
	if (ret == 0 && rs->evidence &&
	    ev_table_export(rs->evidence, &rs->now.evidence, &rs->now.evidence_len) != 0)
		ret = RESUME_ENOMEM;
	if (ret == 0)
		ret = resume_ckpt_write(rs->ckpt_path, &rs->now);
	return ret;
}

/* Once a tick: sample the generator's position; every CKPT_INTERVAL_NS ask
 * the writer thread to flush and fsync, after which it writes the
 * checkpoint itself (scan_synced): the checkpoint then records the file as
 * durable at that moment, not at the previous interval, and the TX loop
 * that runs this tick never waits for a disk. */
static void tick_checkpoint(struct tick_ctx *t)
{
	struct scan_resume *rs = t->rs;
	uint64_t before, emitted, after;

	if (!rs || !rs->tracker || !t->out || t->out_failed)
		return;
	before = eng_now_ns(t->eng);
	emitted = sweep_gen_position(t->gen);
	after = eng_now_ns(t->eng);
	resume_tracker_sample(rs->tracker, before, emitted, after);
	if (after - rs->last_ckpt_ns < CKPT_INTERVAL_NS)
		return;
	rs->last_ckpt_ns = after;
	out_async_request_sync(t->out);
}

/* Parse, check, dry-run, --resume's start and --user's preparation. */
static int scan_configure(struct scan_run *r, int argc, char **argv)
{
	struct scan_config *c = &r->cfg;
	char err[512];
	int ret = scan_config_parse(c, argc, argv);

	if (ret)
		return ret == 1 ? 0 : ret;
	if (c->resume && !c->output && !c->dry_run) {
		cli_usage_error("scan",
				"--resume needs -o FILE (the checkpoint is FILE.checkpoint)");
		return CLI_EUSAGE;
	}
	if (c->resume && !c->dry_run) {
		ret = scan_resume_begin(c, &r->rs);
		if (ret)
			return ret == SCAN_RESUME_DONE ? 0 : ret;
	} else if (scan_resume_config(c, &r->rs.now) != 0) {
		return 1;
	}
	if (perm_init(&r->perm, c->npairs, c->seed, c->shard, c->shards) != 0) {
		cli_usage_error("scan", "too many (address, port) pairs: %llu",
				(unsigned long long)c->npairs);
		return CLI_EUSAGE;
	}
	r->total = c->npairs / c->shards + (c->shard < c->npairs % c->shards);
	if (c->max_targets && c->max_targets < r->total)
		r->total = c->max_targets;
	if (c->dry_run) {
		print_dry_run(c);
		return c->output ? dry_run_dataset(c, r->total, &r->rs.now) : 0;
	}
	if (c->user) { /* checked and prepared while single-threaded, applied later */
		char geo_path[2][4096];
		const char *write[] = {c->output, c->status_json};
		const char *gc =
			c->geo_db ? c->geo_db
				  : geo_default_path("country", geo_path[0], sizeof(geo_path[0]));
		const char *ga =
			c->asn_db ? c->asn_db
				  : geo_default_path("asn", geo_path[1], sizeof(geo_path[1]));
		const char *read[] = {c->syn_only ? NULL : gc, c->syn_only ? NULL : ga};

		if (priv_prepare(c->user, write, 2, read, 2, &r->pu, err, sizeof(err))) {
			cli_usage_error("scan", "%s", err);
			return CLI_EUSAGE;
		}
	}
	return SCAN_GO;
}

static void engine_config(const struct scan_config *c, struct eng_config *ec)
{
	memset(ec, 0, sizeof(*ec));
	ec->iface = c->iface;
	ec->lcores = c->lcores;
	ec->verbose = c->verbose;
	ec->src_ip_be = __builtin_bswap32(c->src_ip);
	ec->gw_ip_be = __builtin_bswap32(c->gw_ip);
	memcpy(ec->gw_mac, c->gw_mac, 6);
	ec->have_gw_mac = c->have_gw_mac;
	ec->sweep_sport_lo = c->sport_lo;
	ec->sweep_sport_hi = c->sport_hi;
	ec->tcp_sport_lo = c->tcp_sport_lo;
	ec->tcp_sport_hi = c->tcp_sport_hi;
	if (c->syn_only) { /* no stage connections: nothing else may use the sweep's ports */
		ec->tcp_sport_lo = 1;
		ec->tcp_sport_hi = 0;
	}
	memcpy(ec->cookie_key, c->cookie_key, 16);
	tgt_set_range(c->targets, 0, &ec->dedup_ip_lo, &(uint32_t){0});
	tgt_set_range(c->targets, tgt_set_nranges(c->targets) - 1, &(uint32_t){0},
		      &ec->dedup_ip_hi);
	ec->ports = c->ports;
	ec->nports = c->nports;
	ec->cooldown_s = c->cooldown_s;
}

static void unlink_checkpoint(const char *output)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s.checkpoint", output);
	if (unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, "tlsmap scan: cannot remove %s: %s\n", path, strerror(errno));
}

/* The writer thread, right after the sync tick_checkpoint() asked for:
 * the checkpoint for the file as durable now. */
static void scan_synced(void *arg, bool ok, uint64_t durable)
{
	struct scan_run *r = arg;

	if (!ok || !r->rs.tracker)
		return; /* the write error stops the scan (on_tick) */
	if (scan_checkpoint(&r->rs, durable, eng_now_ns(r->e)) != 0 && !r->ckpt_failed) {
		r->ckpt_failed = true; /* the last good one stays; a rerun repeats more */
		fprintf(stderr, "tlsmap scan: cannot write %s: %s\n", r->rs.ckpt_path,
			strerror(errno));
	}
}

/* -o: a new dataset (ScanMeta made durable before the first checkpoint), or
 * the resumed one appended to. Then the writer thread. 0 or 1. */
static int open_output(struct scan_run *r)
{
	struct scan_config *c = &r->cfg;
	int ret;

	r->w = r->rs.resuming ? out_writer_open_append(c->output, r->rs.append_at)
			      : out_writer_open(c->output);
	if (!r->w) {
		fprintf(stderr, "tlsmap scan: -o %s: %s\n", c->output, strerror(errno));
		return 1;
	}
	/* the user renames it into place at the end (a sticky directory such
	 * as /tmp lets only the owner do that) */
	if (c->user && chown(out_writer_partial_path(r->w), r->pu.uid, r->pu.gid) != 0) {
		fprintf(stderr, "tlsmap scan: -o %s: chown to --user %s: %s\n",
			out_writer_partial_path(r->w), c->user, strerror(errno));
		return 1;
	}
	if (!c->resume) /* a checkpoint of an earlier scan describes another file */
		unlink_checkpoint(c->output);
	if (!r->rs.resuming) {
		ret = write_meta(r->w, c, r->start_us, r->total, &r->rs.now);
		if (ret == 0 && c->resume)
			ret = out_writer_sync(r->w);
		if (ret) {
			fprintf(stderr, "tlsmap scan: -o %s: %s\n", c->output, out_strerror(ret));
			return 1;
		}
	}
	r->oa = out_async_start(r->w, 1u << 16);
	if (!r->oa) {
		fprintf(stderr, "tlsmap scan: cannot start the output thread\n");
		return 1;
	}
	return 0;
}

/* --resume: the tracker, the evidence so far, the generator's start, the
 * first checkpoint. 0, 1, or CLI_EUSAGE for malformed evidence lines. */
static int start_resume(struct scan_run *r)
{
	struct scan_resume *rs = &r->rs;
	uint64_t window = (uint64_t)(r->cfg.cooldown_s * 1e9) + 1000000000ull;

	rs->tracker = resume_tracker_new(window, &stop_signal, rs->prev.position, rs->prev.done,
					 rs->prev.ndone, rs->prev.open, rs->prev.nopen);
	rs->evidence = r->cfg.syn_only ? NULL : ev_table_new();
	if (!rs->tracker || (!r->cfg.syn_only && !rs->evidence)) {
		fprintf(stderr, "tlsmap scan: out of memory\n");
		return 1;
	}
	size_t bad = 0;
	if (rs->evidence && rs->prev.evidence &&
	    ev_table_import(rs->evidence, rs->prev.evidence, rs->prev.open, rs->prev.nopen, &bad) !=
		    0) {
		fprintf(stderr, "tlsmap scan: %s: evidence line %zu is malformed\n", rs->ckpt_path,
			bad);
		return CLI_EUSAGE;
	}
	/* the targets below the position are finished: walk past them (the
	 * passed hook tells the tracker of the carried hosts among them, now
	 * below every position); the previous run's unfinished hosts go out
	 * first, and the walk passes them by (gen_skip_done) */
	sweep_gen_skip_to(&r->gen, rs->prev.position);
	sweep_gen_send_first(&r->gen, rs->prev.open, rs->prev.nopen);
	out_async_on_sync(r->oa, scan_synced, r);
	rs->last_ckpt_ns = eng_now_ns(r->e);
	if (scan_checkpoint(rs, out_async_durable(r->oa), rs->last_ckpt_ns) != 0 ||
	    (r->cfg.user && chown(rs->ckpt_path, r->pu.uid, r->pu.gid) != 0)) {
		fprintf(stderr, "tlsmap scan: %s: %s\n", rs->ckpt_path, strerror(errno));
		return 1;
	}
	return 0;
}

/* The generator's hooks: the engine's answers for --sweep-retries, the
 * previous runs' done hosts for --resume. */
static uint64_t gen_answers(void *arg)
{
	struct scan_run *r = arg;
	struct eng_stats st;

	eng_stats(r->e, &st);
	return st.synack + st.rst;
}

static bool gen_any_answer(void *arg)
{
	return gen_answers(arg) != 0;
}

static bool gen_answered(void *arg, uint32_t ip_be, uint16_t port_be, unsigned *net_answers)
{
	struct scan_run *r = arg;

	return eng_sweep_answered(r->e, ip_be, port_be, net_answers);
}

/* A host of the previous runs: done, or unfinished (sent first again)? */
static bool prev_has(const struct scan_run *r, uint64_t key)
{
	return resume_set_has(r->rs.prev.done, r->rs.prev.ndone, key) ||
	       resume_set_has(r->rs.prev.open, r->rs.prev.nopen, key);
}

/* The walk reached a host the previous runs finished, or one sent first as
 * a redo: either way it is not sent again here. */
static bool gen_skip_done(void *arg, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	struct scan_run *r = arg;
	uint64_t key = resume_key(ip_be, port_be);

	if (!prev_has(r, key))
		return false;
	resume_host_passed(r->rs.tracker, key, now_ns);
	return true;
}

/* sweep_gen_skip_to() walked past a target below the position */
static void gen_passed(void *arg, uint32_t ip_be, uint16_t port_be)
{
	struct scan_run *r = arg;
	uint64_t key = resume_key(ip_be, port_be);

	if (prev_has(r, key))
		resume_host_passed(r->rs.tracker, key, 0);
}

/* an unfinished host of the previous run went out again */
static void gen_sent_first(void *arg, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	struct scan_run *r = arg;

	resume_host_resent(r->rs.tracker, resume_key(ip_be, port_be), now_ns);
}

/* The generator and the tick's context, once the stage is up. */
static void start_sweep_state(struct scan_run *r)
{
	struct scan_config *c = &r->cfg;
	struct sweep_gen_config gc = {
		.targets = c->targets,
		.ports = c->ports,
		.nports = c->nports,
		.max_targets = c->max_targets,
		.probes = c->probes,
		.passes = c->sweep_retries,
		.rate_pps = c->rate_pps,
	};
	struct sweep_gen_hooks hooks = {
		.arg = r,
		.any_answer = gen_any_answer,
		.answered = gen_answered,
		/* rs.prev was read by scan_configure; the tracker the hook
		 * reports to is made by start_resume, before the sweep runs */
		.skip = c->resume && (r->rs.prev.ndone || r->rs.prev.nopen) ? gen_skip_done : NULL,
		.passed = c->resume ? gen_passed : NULL,
		.sent_first = c->resume ? gen_sent_first : NULL,
		.answers = gen_answers,
	};

	sweep_gen_init(&r->gen, &gc, &r->perm, &hooks, eng_now_ns(r->e));
	memset(&r->tick, 0, sizeof(r->tick));
	r->tick.cfg = c;
	r->tick.ctr = &r->ctr;
	r->tick.total = r->total * c->probes; /* packets: -P sends each target probes times */
	r->tick.cooldown_started = -1;
	r->tick.out = r->oa;
	r->tick.eng = r->e;
	r->tick.gen = &r->gen;
	r->tick.rs = c->resume ? &r->rs : NULL;
	progress_rates_init(&r->tick.rates);
}

/* Engine, gateway, output, stage, privilege drop, generator. SCAN_GO or 1. */
static int scan_start(struct scan_run *r, const char *argv0)
{
	struct scan_config *c = &r->cfg;
	struct eng_config ec;
	char err[512];
	int ret;

	engine_config(c, &ec);
	r->e = eng_open(&ec, argv0, err, sizeof(err));
	if (!r->e) {
		fprintf(stderr, "tlsmap scan: %s\n", err);
		return 1;
	}
	install_stop_signals();
	if (!c->have_gw_mac && eng_resolve_gateway(r->e, err, sizeof(err)) != 0) {
		fprintf(stderr, "tlsmap scan: %s\n", err);
		return 1;
	}
	r->start_us = unix_us();
	if (c->output && open_output(r) != 0)
		return 1;
	progress_init(&r->ctr);
	start_sweep_state(r);
	if (c->resume && (ret = start_resume(r)) != 0)
		return ret;
	memset(&r->sctx, 0, sizeof(r->sctx));
	r->sctx.cfg = c;
	r->sctx.out = r->oa;
	r->sctx.lines = stdout;
	r->sctx.ctr = &r->ctr;
	r->sctx.scan_start_us = r->start_us;
	r->sctx.nworkers = eng_nworkers(r->e);
	r->sctx.eng = r->e;
	r->sctx.resume = r->rs.tracker;
	r->sctx.evidence = r->rs.evidence;
	ret = c->syn_only ? stage_syn_open(&r->sctx, &r->stage)
			  : stage_tls_open(&r->sctx, &r->stage);
	if (ret) {
		fprintf(stderr, "tlsmap scan: cannot start the %s stage\n",
			c->syn_only ? "syn-only" : "TLS");
		return 1;
	}
	/* Port up, gateway resolved, output created, roots, interceptors and
	 * geo databases loaded: nothing left that needs root. */
	if (c->user) {
		if (priv_drop(&r->pu, err, sizeof(err)) != 0) {
			fprintf(stderr, "tlsmap scan: %s\n", err);
			return 1;
		}
		fprintf(stderr,
			"tlsmap scan: running as %s (uid %u, gid %u), capabilities net_raw and "
			"net_admin only\n",
			r->pu.name, (unsigned)r->pu.uid, (unsigned)r->pu.gid);
	}
	return SCAN_GO;
}

/* A --resume scan stopped by a signal: the last checkpoint and the file as
 * it is, for the rerun. 1 (stopped), or 1 with a message when it fails. */
static int keep_for_resume(struct scan_run *r)
{
	struct scan_resume *rs = &r->rs;
	int ret = out_writer_sync(r->w);

	if (ret == 0)
		ret = scan_checkpoint(rs, out_writer_durable_offset(r->w), eng_now_ns(r->e));
	if (out_writer_keep(r->w) != 0 && ret == 0)
		ret = OUT_EIO;
	r->w = NULL;
	if (ret)
		fprintf(stderr,
			"tlsmap scan: final checkpoint %s failed: %s; the last periodic one "
			"stays\n",
			rs->ckpt_path, strerror(errno));
	fprintf(stderr,
		"tlsmap scan: stopped by %s: %s and %s kept; run the same command again to "
		"resume\n",
		stop_reason(stop_signal), rs->partial_path, rs->ckpt_path);
	return 1;
}

/* The final summary's size line: the whole file as stored, per probe. */
static void print_dataset_size(const char *path, uint64_t probes, uint64_t raw_bytes)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return;
	fprintf(stderr,
		"tlsmap scan: dataset=%s dataset_bytes=%lld dataset_raw_bytes=%llu probes=%llu "
		"bytes_per_probe=%.1f\n",
		path, (long long)sb.st_size, (unsigned long long)raw_bytes,
		(unsigned long long)probes, probes ? (double)sb.st_size / (double)probes : 0.0);
}

/* ScanEnd, fsync and rename (out_writer_close). 0 or 1. */
static int finish_output(struct scan_run *r)
{
	Tlsmap__V1__ScanEnd end;
	struct scan_config *c = &r->cfg;
	int ret;

	tlsmap__v1__scan_end__init(&end);
	end.end_time_us = unix_us();
	end.clean = !r->stopped;
	end.stop_reason = (char *)stop_reason(eng_stop_signal());
	end.targets_sent = r->st.sent;
	end.synack = r->st.synack;
	end.rst = r->st.rst;
	end.probes = progress_get(&r->ctr.probes);
	end.certificates = progress_get(&r->ctr.certs);
	end.tls_ok = progress_get(&r->ctr.tls_ok);
	end.records_dropped = 0; /* the TLS stage waits for the writer's ring, never drops */
	end.rx_dropped = r->st.nic_missed + r->st.ring_full;
	end.rx_buffer_peak_bytes = progress_get(&r->ctr.rx_buf_peak);
	end.localize_jobs = progress_get(&r->ctr.localize_jobs);
	end.localized = progress_get(&r->ctr.localized);
	end.unstable_hosts = progress_get(&r->ctr.unstable_hosts);
	end.resumed = (uint32_t)r->rs.now.resumed;
	end.dataset_bytes = out_writer_file_bytes(r->w); /* flushed by out_async_stop */
	end.dataset_raw_bytes = out_writer_bytes(r->w);
	end.chain_cache_lookups = progress_get(&r->ctr.chain_lookups);
	end.chain_cache_hits = progress_get(&r->ctr.chain_hits);
	if (out_writer_errno(r->w)) {
		/* The writer refuses the ScanEnd and the rename: the dataset
		 * stays FILE.partial, a clean prefix without ScanEnd. */
		fprintf(stderr,
			"tlsmap scan: -o %s: writing %s failed: %s; it keeps the %llu complete "
			"records written before the error, has no ScanEnd (incomplete) and is not "
			"renamed to %s\n",
			c->output, out_writer_partial_path(r->w), strerror(out_writer_errno(r->w)),
			(unsigned long long)out_writer_durable_records(r->w), c->output);
	}
	ret = out_writer_close(r->w, &end);
	r->w = NULL;
	if (ret) {
		int e = errno;

		fprintf(stderr, "tlsmap scan: -o %s: %s: %s\n", c->output, out_strerror(ret),
			strerror(e));
		return 1;
	}
	if (c->resume)
		unlink_checkpoint(c->output);
	print_dataset_size(c->output, end.probes, end.dataset_raw_bytes);
	return 0;
}

static void print_summary(struct scan_run *r, uint64_t t0)
{
	const struct eng_stats *st = &r->st;
	double secs = (double)(eng_now_ns(r->e) - t0) / 1e9;

	fill_counters(&r->ctr, st);
	progress_summary(stderr, &r->ctr, secs, r->total * r->cfg.probes);
	if (r->cfg.status_json) { /* the final state, for whoever polls the file */
		r->tick.rates.cooldown_left = 0;
		progress_json(r->cfg.status_json, &r->ctr, secs, r->total, &r->tick.rates);
	}
	fprintf(stderr,
		"tlsmap scan: sent=%llu sweep_s=%.3f sweep_pps=%.0f synack=%llu rst=%llu dup=%llu "
		"invalid=%llu tx_dropped=%llu arp_replies=%llu\n",
		(unsigned long long)st->sent, st->sweep_s,
		st->sweep_s > 0 && st->sent > 1 ? (double)(st->sent - 1) / st->sweep_s : 0.0,
		(unsigned long long)st->synack, (unsigned long long)st->rst,
		(unsigned long long)st->dup, (unsigned long long)st->invalid,
		(unsigned long long)st->tx_dropped, (unsigned long long)st->arp_replies);
	if (r->gen.passes)
		fprintf(stderr,
			"tlsmap scan: sweep_retries=%u sweep_resent=%llu (silent targets of "
			"answering /24s, sent again)\n",
			r->gen.pass, (unsigned long long)r->gen.resent);
}

/* Run the sweep to its end (or a stop), then close the stage and the output. */
static int scan_sweep(struct scan_run *r)
{
	struct scan_config *c = &r->cfg;
	uint64_t t0;
	int status;

	fprintf(stderr,
		"tlsmap scan: %llu targets (%llu addresses x %u ports) on %s, shard %u/%u, %llu "
		"pps, %u worker(s)\n",
		(unsigned long long)r->total, (unsigned long long)c->naddrs, c->nports,
		eng_port_name(r->e), c->shard, c->shards, (unsigned long long)c->rate_pps,
		eng_nworkers(r->e));
	t0 = eng_now_ns(r->e);
	r->stopped = eng_run(r->e, sweep_gen_next, &r->gen, r->stage.ops, r->stage.arg, on_tick,
			     &r->tick);
	eng_stats(r->e, &r->st);
	print_summary(r, t0);
	status = r->stopped ? 1 : 0;
	if (r->stage.close) {
		r->stage.close(r->stage.arg);
		r->stage.close = NULL;
		progress_cache_summary(stderr, &r->ctr); /* the stage summed it at close */
	}
	if (r->oa) {
		out_async_stop(r->oa); /* its error stays in the writer (sticky) */
		r->oa = NULL;
	}
	if (r->w && c->resume && stop_signal && !out_writer_errno(r->w))
		status = keep_for_resume(r);
	else if (r->w && finish_output(r) != 0)
		status = 1;
	if (r->tick.stdout_failed)
		status = 1;
	return status;
}

static void scan_cleanup(struct scan_run *r)
{
	if (r->stage.close)
		r->stage.close(r->stage.arg);
	if (r->oa)
		out_async_stop(r->oa);
	/* the scan never ran: an existing -o file must not be replaced, and a
	 * resumed one is kept for the next attempt */
	if (r->w && r->rs.resuming) {
		out_writer_keep(r->w);
	} else if (r->w) {
		out_writer_abort(r->w);
		if (r->cfg.resume) /* it described the file just removed */
			unlink_checkpoint(r->cfg.output);
	}
	eng_close(r->e);
	scan_resume_free(&r->rs);
	scan_config_free(&r->cfg);
}

int cmd_scan(int argc, char **argv)
{
	struct scan_run *r = calloc(1, sizeof(*r));
	int status;

	if (!r) {
		fprintf(stderr, "tlsmap scan: out of memory\n");
		return 1;
	}
	status = scan_configure(r, argc, argv);
	if (status == SCAN_GO)
		status = scan_start(r, argv[0]);
	if (status == SCAN_GO)
		status = scan_sweep(r);
	scan_cleanup(r);
	free(r);
	return status;
}
