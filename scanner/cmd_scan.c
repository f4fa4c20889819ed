/* SPDX-License-Identifier: MIT */
/*
 * tlsmap scan: parse and validate (scan_config.c), start the engine, open
 * the output and the stage, run the sweep, write ScanEnd. The target
 * generator lives here, on the engine's TX lcore: it walks the cyclic-group
 * permutation (scanner/perm.h) over (address index, port index) pairs,
 * maps each index to an address with tgt_set_nth(), and meters the pairs
 * out with the token bucket (scanner/rate.h), so dpdk/ sees only "give me
 * up to N targets now".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "dpdk/engine.h"
#include "output/out.h"
#include "scanner/cli.h"
#include "geo/geo.h"
#include "parsers/x509.h"
#include "parsers/verify.h"
#include "scanner/perm.h"
#include "scanner/privdrop.h"
#include "scanner/progress.h"
#include "scanner/rate.h"
#include "scanner/scan_config.h"
#include "scanner/stage.h"

struct sweep_gen {
	struct perm perm;
	struct rate rate;
	const struct tgt_set *targets;
	const uint16_t *ports; /* host order */
	unsigned nports;
	uint64_t left;	  /* --max-targets budget (UINT64_MAX: none) */
	uint64_t next_ns; /* do not ask the bucket before this */
	uint64_t gap_ns;  /* batching interval: ~50 us */
	unsigned probes;  /* -P: each target is sent this many times in a row */
	unsigned reps;	  /* copies of cur_ip/cur_port still to send */
	uint32_t cur_ip_be;
	uint16_t cur_port_be;
	bool done;
};

static int sweep_next(void *arg, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be, unsigned max)
{
	struct sweep_gen *g = arg;
	uint32_t want, got;
	unsigned n = 0;
	uint64_t idx;

	if (!g->left && !g->reps) /* --max-targets reached and every copy sent */
		g->done = true;
	if (g->done)
		return -1;
	/* Ask the bucket every gap_ns, not on every loop: credit accumulates into
	 * bursts of several packets, so a PMD that makes a system call per burst
	 * (net_af_packet, net_pcap) is not asked for one packet at a time. */
	if (now_ns < g->next_ns)
		return 0;
	want = max;
	if (g->left < want && g->left * g->probes + g->reps < want) /* packets still to send */
		want = (uint32_t)(g->left * g->probes + g->reps);
	got = rate_take(&g->rate, now_ns, want);
	if (got < want) /* the bucket ran dry: let credit build up for gap_ns */
		g->next_ns = now_ns + g->gap_ns;
	while (n < got) {
		if (g->reps == 0) {
			if (!g->left || !perm_next(&g->perm, &idx)) {
				g->done = true;
				break;
			}
			uint64_t ai = g->nports == 1 ? idx : idx / g->nports;
			unsigned pi = g->nports == 1 ? 0 : (unsigned)(idx % g->nports);
			g->cur_ip_be = __builtin_bswap32(tgt_set_nth(g->targets, ai));
			g->cur_port_be = __builtin_bswap16(g->ports[pi]);
			g->reps = g->probes;
			g->left--;
		}
		/* with -P N the copies go back to back, as in ZMap: the replies are
		 * deduplicated on RX, and one lost SYN no longer hides the host */
		ip_be[n] = g->cur_ip_be;
		port_be[n] = g->cur_port_be;
		g->reps--;
		n++;
	}
	if (n < got)
		rate_return(&g->rate, got - n);
	if (n == 0 && g->done)
		return -1;
	return (int)n;
}

struct tick_ctx {
	const struct scan_config *cfg;
	struct progress_counters *ctr;
	struct progress_rates rates;
	uint64_t total;
	double cooldown_started;
	struct out_async *out; /* NULL without -o */
	bool out_failed;       /* a write error stopped the scan */
	bool stdout_failed;    /* the syn-only listing cannot be written */
};

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
}

static uint64_t unix_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static int write_meta(struct out_writer *w, const struct scan_config *c, uint64_t start_us,
		      uint64_t total)
{
	Tlsmap__V1__ScanMeta m;
	uint32_t *ports = calloc(c->nports, sizeof(*ports));
	char **targets = calloc(c->ntarget_specs + 1, sizeof(*targets));
	size_t nt = 0;
	int ret;

	if (!ports || !targets) {
		free(ports);
		free(targets);
		return OUT_ENOMEM;
	}
	tlsmap__v1__scan_meta__init(&m);
	m.format_version = 1;
	m.tool_version = (char *)TLSMAP_VERSION;
	m.n_command_line = (size_t)c->argc;
	m.command_line = c->argv;
	m.start_time_us = start_us;
	m.vantage = (char *)c->vantage;
	m.seed = c->seed;
	m.shard = c->shard;
	m.shards = c->shards;
	for (size_t k = 0; k < c->ntarget_specs; k++)
		targets[nt++] = c->target_specs[k];
	if (c->allowlist_file)
		targets[nt++] = (char *)c->allowlist_file;
	m.n_targets = nt;
	m.targets = targets;
	for (unsigned k = 0; k < c->nports; k++)
		ports[k] = c->ports[k];
	m.n_ports = c->nports;
	m.ports = ports;
	m.blocklist_sha256.data = (uint8_t *)c->blocklist_sha256;
	m.blocklist_sha256.len = 32;
	m.eligible = (char *)c->eligible;
	m.syn_only = c->syn_only;
	m.max_targets = c->max_targets;
	m.target_count = total;
	m.rate_pps = c->rate_pps;
	m.interface = (char *)c->iface;
	m.n_snis = c->nsnis;
	m.snis = (char **)c->snis;
	m.control_sni = (char *)(c->control_sni ? c->control_sni : "");
	m.control_sni_2 = (char *)(c->control_sni2 ? c->control_sni2 : "");
	m.localize = !c->syn_only && !c->no_localize;
	m.localize_per_group = (uint32_t)c->localize_per_group;
	m.roots_source = (char *)(c->roots ? c->roots : "system");
	m.n_countries = c->ncountries;
	m.countries = (char **)c->countries;
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
	ret = out_write_meta(w, &m);
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
static int dry_run_dataset(const struct scan_config *c, uint64_t total)
{
	Tlsmap__V1__ScanEnd end;
	struct out_writer *w = out_writer_open(c->output);
	int ret;

	if (!w) {
		fprintf(stderr, "tlsmap scan: -o %s: %s\n", c->output, strerror(errno));
		return 1;
	}
	ret = write_meta(w, c, unix_us(), total);
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

int cmd_scan(int argc, char **argv)
{
	struct scan_config cfg;
	struct eng_config ec;
	struct eng *e = NULL;
	struct sweep_gen gen;
	struct progress_counters ctr;
	struct tick_ctx tick;
	struct stage_ctx sctx;
	struct stage stage = {0};
	struct out_writer *w = NULL;
	struct out_async *oa = NULL;
	struct eng_stats st;
	struct priv_user pu;
	char err[512];
	uint64_t total, start_us, t0;
	int ret, status = 1, stopped = 0;

	ret = scan_config_parse(&cfg, argc, argv);
	if (ret == 1) {
		scan_config_free(&cfg);
		return 0;
	}
	if (ret) {
		scan_config_free(&cfg);
		return ret;
	}
	if (!cfg.syn_only && !stage_tls_open) {
		cli_usage_error("scan",
				"the TLS stage is not built into this binary yet: use --syn-only");
		scan_config_free(&cfg);
		return CLI_EUSAGE;
	}
	memset(&gen, 0, sizeof(gen));
	if (perm_init(&gen.perm, cfg.npairs, cfg.seed, cfg.shard, cfg.shards) != 0) {
		cli_usage_error("scan", "too many (address, port) pairs: %llu",
				(unsigned long long)cfg.npairs);
		scan_config_free(&cfg);
		return CLI_EUSAGE;
	}
	total = cfg.npairs / cfg.shards + (cfg.shard < cfg.npairs % cfg.shards);
	if (cfg.max_targets && cfg.max_targets < total)
		total = cfg.max_targets;
	if (cfg.dry_run) {
		print_dry_run(&cfg);
		status = cfg.output ? dry_run_dataset(&cfg, total) : 0;
		scan_config_free(&cfg);
		return status;
	}
	/* --user: checked and prepared while single-threaded, applied below */
	if (cfg.user) {
		char geo_path[2][4096];
		const char *write[] = {cfg.output, cfg.status_json};
		const char *read[] = {
			cfg.syn_only ? NULL
			: cfg.geo_db
				? cfg.geo_db
				: geo_default_path("country", geo_path[0], sizeof(geo_path[0])),
			cfg.syn_only ? NULL
			: cfg.asn_db ? cfg.asn_db
				     : geo_default_path("asn", geo_path[1], sizeof(geo_path[1])),
		};

		if (priv_prepare(cfg.user, write, 2, read, 2, &pu, err, sizeof(err))) {
			cli_usage_error("scan", "%s", err);
			scan_config_free(&cfg);
			return CLI_EUSAGE;
		}
	}

	memset(&ec, 0, sizeof(ec));
	ec.iface = cfg.iface;
	ec.lcores = cfg.lcores;
	ec.verbose = cfg.verbose;
	ec.src_ip_be = __builtin_bswap32(cfg.src_ip);
	ec.gw_ip_be = __builtin_bswap32(cfg.gw_ip);
	memcpy(ec.gw_mac, cfg.gw_mac, 6);
	ec.have_gw_mac = cfg.have_gw_mac;
	ec.sweep_sport_lo = cfg.sport_lo;
	ec.sweep_sport_hi = cfg.sport_hi;
	ec.tcp_sport_lo = cfg.tcp_sport_lo;
	ec.tcp_sport_hi = cfg.tcp_sport_hi;
	if (cfg.syn_only) { /* no stage connections: nothing else may use the sweep's ports */
		ec.tcp_sport_lo = 1;
		ec.tcp_sport_hi = 0;
	}
	memcpy(ec.cookie_key, cfg.cookie_key, 16);
	tgt_set_range(cfg.targets, 0, &ec.dedup_ip_lo, &(uint32_t){0});
	tgt_set_range(cfg.targets, tgt_set_nranges(cfg.targets) - 1, &(uint32_t){0},
		      &ec.dedup_ip_hi);
	ec.ports = cfg.ports;
	ec.nports = cfg.nports;
	ec.cooldown_s = cfg.cooldown_s;

	e = eng_open(&ec, argv[0], err, sizeof(err));
	if (!e) {
		fprintf(stderr, "tlsmap scan: %s\n", err);
		goto out;
	}
	eng_install_signals();
	if (!cfg.have_gw_mac && eng_resolve_gateway(e, err, sizeof(err)) != 0) {
		fprintf(stderr, "tlsmap scan: %s\n", err);
		goto out;
	}

	start_us = unix_us();
	if (cfg.output) {
		w = out_writer_open(cfg.output);
		if (!w) {
			fprintf(stderr, "tlsmap scan: -o %s: %s\n", cfg.output, strerror(errno));
			goto out;
		}
		/* the user renames it into place at the end (a sticky directory
		 * such as /tmp lets only the owner do that) */
		if (cfg.user) {
			char partial[4096];

			snprintf(partial, sizeof(partial), "%s.partial", cfg.output);
			if (chown(partial, pu.uid, pu.gid) != 0) {
				fprintf(stderr, "tlsmap scan: -o %s: chown to --user %s: %s\n",
					partial, cfg.user, strerror(errno));
				goto out;
			}
		}
		if ((ret = write_meta(w, &cfg, start_us, total)) != 0) {
			fprintf(stderr, "tlsmap scan: -o %s: %s\n", cfg.output, out_strerror(ret));
			goto out;
		}
		oa = out_async_start(w, 1u << 16);
		if (!oa) {
			fprintf(stderr, "tlsmap scan: cannot start the output thread\n");
			goto out;
		}
	}
	progress_init(&ctr);
	memset(&sctx, 0, sizeof(sctx));
	sctx.cfg = &cfg;
	sctx.out = oa;
	sctx.lines = stdout;
	sctx.ctr = &ctr;
	sctx.scan_start_us = start_us;
	sctx.nworkers = eng_nworkers(e);
	ret = cfg.syn_only ? stage_syn_open(&sctx, &stage) : stage_tls_open(&sctx, &stage);
	if (ret) {
		fprintf(stderr, "tlsmap scan: cannot start the %s stage\n",
			cfg.syn_only ? "syn-only" : "TLS");
		goto out;
	}

	/* Port up, gateway resolved, output created, roots, interceptors and
	 * geo databases loaded: nothing left that needs root. */
	if (cfg.user) {
		if (priv_drop(&pu, err, sizeof(err)) != 0) {
			fprintf(stderr, "tlsmap scan: %s\n", err);
			goto out;
		}
		fprintf(stderr,
			"tlsmap scan: running as %s (uid %u, gid %u), capabilities net_raw and "
			"net_admin only\n",
			pu.name, (unsigned)pu.uid, (unsigned)pu.gid);
	}
	gen.targets = cfg.targets;
	gen.ports = cfg.ports;
	gen.nports = cfg.nports;
	gen.left = cfg.max_targets ? cfg.max_targets : UINT64_MAX;
	gen.probes = cfg.probes;
	rate_init(&gen.rate, cfg.rate_pps, 1000000000ull, eng_now_ns());
	gen.gap_ns = cfg.rate_pps >= 20000 ? 50000 : 0;
	/* Tolerate 10 ms scheduling stalls (a shared 2-core host preempts the TX
	 * lcore for milliseconds): the bucket keeps up to 10 ms of credit instead
	 * of rate.c's 1 ms, so -r holds on average; the catch-up burst is at
	 * most 10 ms worth of packets. */
	if (cfg.rate_pps / 100 > gen.rate.burst)
		rate_set_burst(&gen.rate, cfg.rate_pps / 100);
	memset(&tick, 0, sizeof(tick));
	tick.cfg = &cfg;
	tick.ctr = &ctr;
	tick.total = total * cfg.probes; /* packets: -P sends each target probes times */
	tick.cooldown_started = -1;
	tick.out = oa;
	progress_rates_init(&tick.rates);

	fprintf(stderr,
		"tlsmap scan: %llu targets (%llu addresses x %u ports) on %s, shard %u/%u, %llu "
		"pps, %u worker(s)\n",
		(unsigned long long)total, (unsigned long long)cfg.naddrs, cfg.nports,
		eng_port_name(e), cfg.shard, cfg.shards, (unsigned long long)cfg.rate_pps,
		eng_nworkers(e));
	t0 = eng_now_ns();
	stopped = eng_run(e, sweep_next, &gen, stage.ops, stage.arg, on_tick, &tick);
	eng_stats(e, &st);
	fill_counters(&ctr, &st);
	progress_summary(stderr, &ctr, (double)(eng_now_ns() - t0) / 1e9, total * cfg.probes);
	if (cfg.status_json) { /* the final state, for whoever polls the file */
		tick.rates.cooldown_left = 0;
		progress_json(cfg.status_json, &ctr, (double)(eng_now_ns() - t0) / 1e9, total,
			      &tick.rates);
	}
	fprintf(stderr,
		"tlsmap scan: sent=%llu sweep_s=%.3f sweep_pps=%.0f synack=%llu rst=%llu dup=%llu "
		"invalid=%llu tx_dropped=%llu arp_replies=%llu\n",
		(unsigned long long)st.sent, st.sweep_s,
		st.sweep_s > 0 && st.sent > 1 ? (double)(st.sent - 1) / st.sweep_s : 0.0,
		(unsigned long long)st.synack, (unsigned long long)st.rst,
		(unsigned long long)st.dup, (unsigned long long)st.invalid,
		(unsigned long long)st.tx_dropped, (unsigned long long)st.arp_replies);
	status = stopped ? 1 : 0;

	if (stage.close) {
		stage.close(stage.arg);
		stage.close = NULL;
		progress_cache_summary(stderr, &ctr); /* the stage summed it at close */
	}
	if (w) {
		Tlsmap__V1__ScanEnd end;
		char reason[32];
		int sig = eng_stop_signal();
		uint64_t dropped = 0;

		if (oa) {
			dropped = out_async_dropped(oa);
			out_async_stop(oa); /* its error stays in the writer (sticky) */
			oa = NULL;
		}
		tlsmap__v1__scan_end__init(&end);
		end.end_time_us = unix_us();
		end.clean = !stopped;
		snprintf(reason, sizeof(reason), "%s",
			 !sig	     ? "done"
			 : sig == 2  ? "SIGINT"
			 : sig == 15 ? "SIGTERM"
				     : "signal");
		end.stop_reason = reason;
		end.targets_sent = st.sent;
		end.synack = st.synack;
		end.rst = st.rst;
		end.probes = progress_get(&ctr.probes);
		end.certificates = progress_get(&ctr.certs);
		end.tls_ok = progress_get(&ctr.tls_ok);
		end.records_dropped = dropped;
		end.rx_dropped = st.nic_missed + st.ring_full;
		if (out_writer_errno(w)) {
			/* The writer refuses the ScanEnd and the rename: the dataset
			 * stays FILE.partial, a clean prefix without ScanEnd. */
			fprintf(stderr,
				"tlsmap scan: -o %s: writing %s failed: %s; it keeps the %llu "
				"complete records written before the error, has no ScanEnd "
				"(incomplete) and is not renamed to %s\n",
				cfg.output, out_writer_partial_path(w),
				strerror(out_writer_errno(w)),
				(unsigned long long)out_writer_durable_records(w), cfg.output);
		}
		end.rx_buffer_peak_bytes = progress_get(&ctr.rx_buf_peak);
		end.localize_jobs = progress_get(&ctr.localize_jobs);
		end.localized = progress_get(&ctr.localized);
		end.unstable_hosts = progress_get(&ctr.unstable_hosts);
		end.chain_cache_lookups = progress_get(&ctr.chain_lookups);
		end.chain_cache_hits = progress_get(&ctr.chain_hits);
		ret = out_writer_close(w, &end);
		w = NULL;
		if (ret) {
			int e = errno;

			fprintf(stderr, "tlsmap scan: -o %s: %s: %s\n", cfg.output,
				out_strerror(ret), strerror(e));
			status = 1;
		}
	}
	if (tick.stdout_failed)
		status = 1;
out:
	if (stage.close)
		stage.close(stage.arg);
	if (oa)
		out_async_stop(oa);
	if (w) /* the scan never ran: an existing -o file must not be replaced */
		out_writer_abort(w);
	eng_close(e);
	scan_config_free(&cfg);
	return status;
}
