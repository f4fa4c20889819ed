/* SPDX-License-Identifier: MIT */
/*
 * tlsmap sweep -C FILE --root DIR: one run of a scheduled sweep (the
 * systemd timer in deploy/systemd runs it weekly; docs/cluster.md).
 *
 *   DIR/.partial-DATE/   built here: scan.tlsmap (from `tlsmap scan -C FILE`
 *                        in a child process, or from a Slurm submission when
 *                        the file says sweep.slurm), scan.log,
 *                        summary-{country,asn,issuer}.csv, report.html,
 *                        series-rows.csv
 *   DIR/DATE/            the same directory, renamed once complete
 *   DIR/series.csv       one row per sweep and country (date, sweep, then
 *                        the columns of `summary --by country --csv`),
 *                        rewritten through a temporary file and rename
 *   DIR/latest -> DATE   replaced atomically (symlink + rename)
 *
 * A reader of DIR never sees half a sweep: a dated directory appears
 * complete or not at all, series.csv and latest change by rename. One
 * sweep at a time per DIR (a lock file); a DATE that exists is never
 * overwritten. The scan runs as a child so that a crash of the scan (or of
 * DPDK) leaves the sweep able to say so; the summaries and the report are
 * the summary library's and the report library's, as in `tlsmap summary`
 * and `tlsmap report`, and the series rows are the summary CSV's rows.
 *
 * Keys of the config file read here (the rest are `tlsmap scan` options):
 *   sweep.name = NAME          the series' sweep column (default: FILE's
 *                              base name without .conf)
 *   sweep.slurm = true         submit through deploy/slurm/submit --wait
 *   sweep.shards = N           array tasks (default 1)
 *   sweep.sbatch-opt = OPT     passed on to submit (repeatable)
 *   sweep.submit = PATH        the submit script (default: found next to
 *                              the binary)
 *   sweep.lang = en|ru|kk      the report's language (default en)
 *
 * The report of a run covers the earlier runs in DIR too (up to
 * SWEEP_TIMELINE_MAX of them, by date name): a timeline per country and
 * what changed since the previous run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "output/out.h"
#include "output/report.h"
#include "output/report_lang.h"
#include "output/series.h"
#include "output/summary.h"
#include "scanner/cmd/cli.h"
#include "scanner/cmd/config_file.h"

#define CMD "sweep"
#define SWEEP_MAX_SBATCH_OPTS 32
#define SWEEP_MAX_ROOT (PATH_MAX - 256)
#define SWEEP_TIMELINE_MAX 26 /* earlier runs in the report: half a year of weekly runs */

static const char usage_text[] =
	"usage: tlsmap sweep -C FILE --root DIR [--date DATE] [--dataset FILE]\n"
	"One run of a scheduled sweep: scan with the options in FILE (tlsmap scan -C),\n"
	"or submit it to Slurm when FILE says sweep.slurm = true, then publish\n"
	"DIR/DATE/ (scan.tlsmap, summary-country.csv, summary-asn.csv,\n"
	"summary-issuer.csv, report.html), add its rows to DIR/series.csv (one per\n"
	"country) and point DIR/latest at it. A DATE is never overwritten.\n"
	"  -C, --config FILE   tlsmap scan options, plus sweep.* keys (docs/cluster.md)\n"
	"      --root DIR      the sweep's directory (created if missing)\n"
	"      --date DATE     name of the run: YYYY-MM-DD or YYYY-MM-DDTHHMMSSZ\n"
	"                      (default: today's UTC date)\n"
	"      --dataset FILE  publish an existing scan instead of scanning (a backfill)\n"
	"  -h, --help          this text\n";

struct sweep {
	const char *config; /* as given */
	char config_abs[PATH_MAX];
	const char *root;
	char date[32];
	const char *dataset; /* --dataset */
	/* from the config's sweep.* keys */
	char name[128];
	bool slurm;
	uint64_t shards;
	const char *sbatch_opts[SWEEP_MAX_SBATCH_OPTS];
	size_t nsbatch;
	const char *submit;
	const char *lang; /* sweep.lang, NULL: en */
	struct cfgfile_entry *entries;
	char *entries_storage;
};

/*
 * @dir/@name into @buf: false when it does not fit. --root is capped at
 * SWEEP_MAX_ROOT, so the paths under it always fit PATH_MAX.
 */
static bool path_join(char *buf, size_t len, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);

	if (a + 1 + b >= len)
		return false;
	memcpy(buf, dir, a);
	buf[a] = '/';
	memcpy(buf + a + 1, name, b + 1);
	return true;
}

static bool valid_date(const char *s)
{
	/* YYYY-MM-DD or YYYY-MM-DDTHHMMSSZ, digits where digits go, sane ranges */
	static const char day[] = "dddd-dd-dd", stamp[] = "dddd-dd-ddTddddddZ";
	size_t n = strlen(s);
	const char *pat = n == sizeof(day) - 1 ? day : n == sizeof(stamp) - 1 ? stamp : NULL;
	int mon, mday, hh = 0, mm = 0, ss = 0;

	if (!pat)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	mon = (s[5] - '0') * 10 + (s[6] - '0');
	mday = (s[8] - '0') * 10 + (s[9] - '0');
	if (pat == stamp) {
		hh = (s[11] - '0') * 10 + (s[12] - '0');
		mm = (s[13] - '0') * 10 + (s[14] - '0');
		ss = (s[15] - '0') * 10 + (s[16] - '0');
	}
	return mon >= 1 && mon <= 12 && mday >= 1 && mday <= 31 && hh < 24 && mm < 60 && ss < 61;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= 128 || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* The config's sweep.* keys; every other key is left to tlsmap scan. */
static int read_sweep_keys(struct sweep *sw)
{
	const char *base;
	size_t n, len;
	int ret;

	base = strrchr(sw->config, '/');
	base = base ? base + 1 : sw->config;
	len = strlen(base);
	if (len > 5 && !strcmp(base + len - 5, ".conf"))
		len -= 5;
	snprintf(sw->name, sizeof(sw->name), "%.*s", (int)len, base);
	sw->shards = 1;
	if ((ret = cfgfile_read(CMD, sw->config, &sw->entries, &n, &sw->entries_storage)))
		return ret;
	for (size_t i = 0; i < n; i++) {
		const struct cfgfile_entry *e = &sw->entries[i];
		const char *v = e->value;

		if (strncmp(e->key, "sweep.", 6) != 0)
			continue;
		if (!strcmp(e->key, "sweep.slurm")) {
			if (v && strcmp(v, "true") && strcmp(v, "false")) {
				cli_usage_error(
					CMD,
					"%s:%u: sweep.slurm is a flag: true or false, not '%s'",
					sw->config, e->line, v);
				return CLI_EUSAGE;
			}
			sw->slurm = !v || !strcmp(v, "true");
			continue;
		}
		if (!v) {
			cli_usage_error(CMD, "%s:%u: %s needs a value", sw->config, e->line,
					e->key);
			return CLI_EUSAGE;
		}
		if (!strcmp(e->key, "sweep.name")) {
			if (!valid_name(v)) {
				cli_usage_error(
					CMD,
					"%s:%u: invalid sweep.name '%s' (letters, digits, . _ -)",
					sw->config, e->line, v);
				return CLI_EUSAGE;
			}
			snprintf(sw->name, sizeof(sw->name), "%s", v);
		} else if (!strcmp(e->key, "sweep.shards")) {
			char opt[300];
			snprintf(opt, sizeof(opt), "%s:%u: sweep.shards", sw->config, e->line);
			if (cli_parse_u64(CMD, opt, v, 1, 65535, false, &sw->shards))
				return CLI_EUSAGE;
		} else if (!strcmp(e->key, "sweep.sbatch-opt")) {
			if (sw->nsbatch == SWEEP_MAX_SBATCH_OPTS) {
				cli_usage_error(CMD, "%s:%u: more than %d sweep.sbatch-opt",
						sw->config, e->line, SWEEP_MAX_SBATCH_OPTS);
				return CLI_EUSAGE;
			}
			sw->sbatch_opts[sw->nsbatch++] = v;
		} else if (!strcmp(e->key, "sweep.submit")) {
			sw->submit = v;
		} else if (!strcmp(e->key, "sweep.lang")) {
			if (!report_lang_known(v)) {
				cli_usage_error(CMD, "%s:%u: invalid sweep.lang '%s' (expected %s)",
						sw->config, e->line, v, report_langs_text());
				return CLI_EUSAGE;
			}
			sw->lang = v;
		} else {
			cli_usage_error(CMD,
					"%s:%u: unknown key '%s' (sweep.name, sweep.slurm, "
					"sweep.shards, sweep.sbatch-opt, sweep.submit, sweep.lang)",
					sw->config, e->line, e->key);
			return CLI_EUSAGE;
		}
	}
	if (!valid_name(sw->name)) {
		cli_usage_error(CMD, "%s: the file name is no sweep name: set sweep.name",
				sw->config);
		return CLI_EUSAGE;
	}
	return 0;
}

/* deploy/slurm/submit: next to a build tree's binary, or installed in share/tlsmap/slurm. */
static const char *default_submit(const char *exe, char *buf, size_t len)
{
	static const char *const rel[] = {"../deploy/slurm/submit", "../share/tlsmap/slurm/submit"};
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", exe);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (path_join(buf, len, dir, rel[i]) && access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* Run argv with stdout and stderr to @log; returns its exit status (128+sig if killed), -1 on
 * error. */
static int run_child(char *const argv[], const char *log, const char *tlsmap_env)
{
	pid_t pid;
	int st, fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", log, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tlsmap sweep: fork: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if (tlsmap_env)
			setenv("TLSMAP", tlsmap_env, 1);
		execv(argv[0], argv);
		fprintf(stderr, "tlsmap sweep: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Write @src's bytes to @dst (new file), fsynced. */
static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, ret = -1;
	char buf[1 << 16];
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				goto out;
			}
			off += w;
		}
	if (n == 0 && fsync(out) == 0)
		ret = 0;
out:
	if (out >= 0 && close(out) != 0)
		ret = -1;
	close(in);
	return ret;
}

/* Close @f after fsync; 0 or -1 (errno). */
static int close_synced(FILE *f)
{
	int ret = 0;

	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

static int write_csv(const char *dir, const char *name, const struct summary *s, enum sum_by by)
{
	char path[PATH_MAX];
	FILE *f;

	path_join(path, sizeof(path), dir, name);
	f = fopen(path, "w");
	if (!f || (sum_print_csv(f, s, by), close_synced(f)) != 0) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The series rows of this run: `summary --by country --csv` with "date,sweep,"
 * before each line. @header gets the header line (with its newline).
 */
static char *series_rows(const struct summary *s, const struct sweep *sw, char *header, size_t hlen)
{
	char *csv = NULL, *rows = NULL, *line, *nl;
	size_t csvlen = 0, rowslen = 0;
	FILE *m = open_memstream(&csv, &csvlen), *r;

	if (!m)
		return NULL;
	sum_print_csv(m, s, SUM_BY_COUNTRY);
	if (fclose(m) != 0 || !csv)
		goto fail;
	r = open_memstream(&rows, &rowslen);
	if (!r)
		goto fail;
	nl = strchr(csv, '\n');
	snprintf(header, hlen, "date,sweep,%.*s", nl ? (int)(nl - csv + 1) : 0, csv);
	for (line = nl ? nl + 1 : csv + csvlen; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		fprintf(r, "%s,%s,%.*s", sw->date, sw->name, (int)(nl - line + 1), line);
	}
	if (fclose(r) != 0)
		goto fail;
	free(csv);
	return rows;
fail:
	free(csv);
	free(rows);
	return NULL;
}

/*
 * DIR/series.csv += @rows: the old file's lines (its rows of this date and
 * sweep dropped, so a re-publication replaces them) with the new rows in
 * date order (after the last earlier date: a backfill lands in its place),
 * written to a temporary file and renamed over it.
 */
static int append_series(const struct sweep *sw, const char *header, const char *rows)
{
	char path[PATH_MAX], tmp[PATH_MAX], prefix[200], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *in, *out;
	int ret = -1;
	bool first = true, inserted = false;
	size_t dlen = strlen(sw->date);

	path_join(path, sizeof(path), sw->root, "series.csv");
	path_join(tmp, sizeof(tmp), sw->root, ".series.csv.tmp");
	snprintf(prefix, sizeof(prefix), "%s,%s,", sw->date, sw->name);
	out = fopen(tmp, "w");
	if (!out) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fputs(header, out);
	in = fopen(path, "r");
	if (!in && errno != ENOENT) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", path, strerror(errno));
		goto out;
	}
	while (in && (n = getline(&line, &cap, in)) > 0) {
		if (first) {
			first = false;
			if (strcmp(line, header) != 0) {
				fprintf(stderr,
					"tlsmap sweep: %s: its header is not this version's "
					"(%.*s): "
					"not appending; move it aside to start a new series\n",
					path, (int)strcspn(line, "\n"), line);
				goto out;
			}
			continue;
		}
		/* the date is the first field; dates of one format compare as strings */
		if (!inserted && strncmp(line, sw->date, dlen) > 0) {
			fputs(rows, out);
			inserted = true;
		}
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			fputs(line, out);
	}
	if (in && ferror(in)) {
		fprintf(stderr, "tlsmap sweep: %s: read error\n", path);
		goto out;
	}
	if (!inserted)
		fputs(rows, out);
	ret = close_synced(out);
	out = NULL;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -1;
	if (ret)
		fprintf(stderr, "tlsmap sweep: %s: %s\n", path, strerror(errno));
out:
	if (out)
		fclose(out);
	if (ret)
		unlink(tmp);
	if (in)
		fclose(in);
	free(line);
	return ret;
}

/*
 * DIR/latest -> DATE, replaced by rename so it is never missing; left alone
 * when it already points at a later run (a backfill).
 */
static int point_latest(const struct sweep *sw)
{
	char tmp[PATH_MAX], path[PATH_MAX], cur[64];
	ssize_t n;

	path_join(tmp, sizeof(tmp), sw->root, ".latest.tmp");
	path_join(path, sizeof(path), sw->root, "latest");
	n = readlink(path, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		if (strcmp(cur, sw->date) > 0)
			return 0;
	}
	unlink(tmp);
	if (symlink(sw->date, tmp) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Get WORK/scan.tlsmap: copy --dataset, run the scan, or submit to Slurm. 0, or an exit status. */
static int get_dataset(const struct sweep *sw, const char *work, const char *dataset)
{
	char exe[PATH_MAX], log[PATH_MAX], slurm_out[PATH_MAX], merged[PATH_MAX], sbuf[PATH_MAX];
	char shards[24];
	const char *argv[16 + 2 * SWEEP_MAX_SBATCH_OPTS];
	ssize_t n;
	size_t k = 0;
	int rc;

	if (sw->dataset) {
		if (copy_file(sw->dataset, dataset) != 0) {
			fprintf(stderr, "tlsmap sweep: --dataset %s: %s\n", sw->dataset,
				strerror(errno));
			return 1;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "tlsmap sweep: cannot find this binary: %s\n", strerror(errno));
		return 1;
	}
	exe[n] = '\0';
	if (!sw->slurm) {
		path_join(log, sizeof(log), work, "scan.log");
		argv[k++] = exe;
		argv[k++] = "scan";
		argv[k++] = "-C";
		argv[k++] = sw->config_abs;
		argv[k++] = "-o";
		argv[k++] = dataset;
		argv[k] = NULL;
		fprintf(stderr, "tlsmap sweep: %s %s: scanning (log: %s)\n", sw->name, sw->date,
			log);
		rc = run_child((char *const *)argv, log, NULL);
		if (rc != 0) {
			fprintf(stderr, "tlsmap sweep: tlsmap scan exited %d; see %s\n", rc, log);
			return rc == CLI_EUSAGE ? CLI_EUSAGE : 1;
		}
		return 0;
	}
	const char *submit = sw->submit ? sw->submit : default_submit(exe, sbuf, sizeof(sbuf));
	if (!submit) {
		fprintf(stderr,
			"tlsmap sweep: sweep.slurm: deploy/slurm/submit not found next to %s: "
			"set sweep.submit\n",
			exe);
		return CLI_EUSAGE;
	}
	path_join(log, sizeof(log), work, "submit.log");
	path_join(slurm_out, sizeof(slurm_out), work, "slurm");
	snprintf(shards, sizeof(shards), "%llu", (unsigned long long)sw->shards);
	argv[k++] = submit;
	argv[k++] = "--shards";
	argv[k++] = shards;
	argv[k++] = "--out";
	argv[k++] = slurm_out;
	argv[k++] = "--wait";
	for (size_t i = 0; i < sw->nsbatch; i++) {
		argv[k++] = "--sbatch-opt";
		argv[k++] = sw->sbatch_opts[i];
	}
	argv[k++] = "--";
	argv[k++] = "-C";
	argv[k++] = sw->config_abs;
	argv[k] = NULL;
	fprintf(stderr, "tlsmap sweep: %s %s: submitting %llu shard(s) to Slurm (log: %s)\n",
		sw->name, sw->date, (unsigned long long)sw->shards, log);
	rc = run_child((char *const *)argv, log, exe);
	if (rc != 0) {
		fprintf(stderr, "tlsmap sweep: %s exited %d; see %s\n", submit, rc, log);
		return rc == CLI_EUSAGE ? CLI_EUSAGE : 1;
	}
	path_join(merged, sizeof(merged), slurm_out, "merged.tlsmap");
	if (rename(merged, dataset) != 0) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", merged, strerror(errno));
		return 1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The datasets of the runs in DIR dated before this one (the last
 * SWEEP_TIMELINE_MAX by name, oldest first), then @dataset: into @paths
 * (each malloc'ed, the last one too); their count, or -1 out of memory.
 */
static int timeline_paths(const struct sweep *sw, const char *dataset, char **paths)
{
	DIR *d = opendir(sw->root);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, first;
	int k = 0;

	while (d && (de = readdir(d))) {
		if (!valid_date(de->d_name) || strcmp(de->d_name, sw->date) >= 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));

			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = malloc(strlen(sw->root) + strlen(de->d_name) + 16)))
			break;
		sprintf(names[n++], "%s/%s/scan.tlsmap", sw->root, de->d_name);
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	first = n > SWEEP_TIMELINE_MAX ? n - SWEEP_TIMELINE_MAX : 0;
	for (size_t i = 0; i < n; i++) {
		if (i >= first && access(names[i], R_OK) == 0)
			paths[k++] = names[i];
		else
			free(names[i]);
	}
	free(names);
	paths[k] = strdup(dataset);
	return paths[k] ? k + 1 : -1;
}

/* WORK/report.html: this run, with the earlier runs' timeline when there are. */
static int write_report(const struct sweep *sw, const char *work, const char *dataset)
{
	char *paths[SWEEP_TIMELINE_MAX + 1] = {0};
	char err[512], path[PATH_MAX], title[256], map[PATH_MAX];
	struct report_opts ro = {0};
	struct series ser = {0};
	int n = timeline_paths(sw, dataset, paths), ret = 1;
	FILE *f;

	ro.lang = cmd_report_lang(sw->lang ? sw->lang : "en");
	if (n < 0 || !ro.lang)
		goto out;
	if (series_load(&ser, (const char *const *)paths, (size_t)n, err, sizeof(err))) {
		fprintf(stderr, "tlsmap sweep: warning: %s; the report shows this run alone\n",
			err);
		if (series_load(&ser, (const char *const *)&paths[n - 1], 1, err, sizeof(err))) {
			fprintf(stderr, "tlsmap sweep: %s\n", err);
			goto out;
		}
	}
	snprintf(title, sizeof(title), "tlsmap sweep %s, %s", sw->name, sw->date);
	ro.title = title;
	ro.map_path = report_default_map(map, sizeof(map));
	ro.now = (long long)time(NULL);
	ro.series = ser.n > 1 ? &ser : NULL;
	path_join(path, sizeof(path), work, "report.html");
	f = fopen(path, "w");
	/* '+', not '||': the file is closed whatever failed first */
	if (!f || (report_write(f, ser.latest, &ro) != 0) + (close_synced(f) != 0)) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	series_free(&ser);
	report_lang_free((struct report_lang *)ro.lang);
	for (int i = 0; i <= SWEEP_TIMELINE_MAX; i++)
		free(paths[i]);
	return ret;
}

/* Summaries, report and series rows of WORK/scan.tlsmap. */
static int publish_files(const struct sweep *sw, const char *work, const char *dataset, char **rows,
			 char *header, size_t hlen)
{
	char err[512], path[PATH_MAX];
	struct summary *s = sum_new();
	const struct sum_file *fs;
	const struct sum_group *tot;
	size_t nf;
	FILE *f;
	int ret = 1;

	if (!s)
		return 1;
	if (sum_add_file(s, dataset, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "tlsmap sweep: %s\n", err);
		goto out;
	}
	fs = sum_files(s, &nf);
	if (nf != 1 || fs[0].status != 0) {
		fprintf(stderr, "tlsmap sweep: %s is incomplete (%s): not published\n", dataset,
			nf != 1		    ? "unreadable"
			: fs[0].status == 1 ? "no ScanEnd"
					    : out_strerror(fs[0].status));
		goto out;
	}
	if (!fs[0].end || !fs[0].end->end || !fs[0].end->end->clean) {
		fprintf(stderr,
			"tlsmap sweep: %s is the dataset of an interrupted scan (%s): not "
			"published\n",
			dataset,
			fs[0].end && fs[0].end->end && fs[0].end->end->stop_reason
				? fs[0].end->end->stop_reason
				: "not clean");
		goto out;
	}
	sum_finish(s);
	if (write_csv(work, "summary-country.csv", s, SUM_BY_COUNTRY) ||
	    write_csv(work, "summary-asn.csv", s, SUM_BY_ASN) ||
	    write_csv(work, "summary-issuer.csv", s, SUM_BY_ISSUER))
		goto out;
	if (write_report(sw, work, dataset))
		goto out;
	*rows = series_rows(s, sw, header, hlen);
	path_join(path, sizeof(path), work, "series-rows.csv");
	f = *rows ? fopen(path, "w") : NULL;
	if (!f || (fputs(header, f) < 0) + (fputs(*rows, f) < 0) + (close_synced(f) != 0)) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", path, strerror(errno));
		goto out;
	}
	tot = sum_total(s);
	fprintf(stderr, "tlsmap sweep: %s %s: %llu hosts with TLS, %llu intercepted\n", sw->name,
		sw->date, (unsigned long long)(tot ? tot->hosts_tls : 0),
		(unsigned long long)(tot ? tot->hosts_intercepted : 0));
	ret = 0;
out:
	sum_free(s);
	return ret;
}

static int parse_args(struct sweep *sw, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'C'}, {"root", required_argument, NULL, 'R'},
		{"date", required_argument, NULL, 'D'},	  {"dataset", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	struct cli_getopt g = {.cmd = CMD, .shortopts = "C:h", .longopts = opts};
	int c;

	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		const char **slot = NULL;
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case 'C':
			slot = &sw->config;
			break;
		case 'R':
			slot = &sw->root;
			break;
		case 'S':
			slot = &sw->dataset;
			break;
		case 'D':
			if (!valid_date(optarg)) {
				cli_usage_error(
					CMD,
					"invalid value for --date: '%s' (expected YYYY-MM-DD or "
					"YYYY-MM-DDTHHMMSSZ)",
					optarg);
				return CLI_EUSAGE;
			}
			snprintf(sw->date, sizeof(sw->date), "%s", optarg);
			break;
		default:
			return cli_bad_option(CMD, argc, argv);
		}
		if (slot)
			*slot = optarg; /* cli_getopt refused a second one */
	}
	if (optind < argc) {
		cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
		return CLI_EUSAGE;
	}
	if (!sw->config || !sw->root) {
		cli_usage_error(CMD, "-C FILE and --root DIR are required");
		return CLI_EUSAGE;
	}
	if (!*sw->root || strlen(sw->root) > SWEEP_MAX_ROOT) {
		cli_usage_error(CMD, "invalid value for --root: '%s' (empty or too long)",
				sw->root);
		return CLI_EUSAGE;
	}
	if (!realpath(sw->config, sw->config_abs)) {
		cli_usage_error(CMD, "-C %s: %s", sw->config, strerror(errno));
		return CLI_EUSAGE;
	}
	if (sw->dataset && access(sw->dataset, R_OK) != 0) {
		cli_usage_error(CMD, "--dataset %s: %s", sw->dataset, strerror(errno));
		return CLI_EUSAGE;
	}
	if (!sw->date[0]) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(sw->date, sizeof(sw->date), "%Y-%m-%d", &tm);
	}
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	struct sweep sw = {0};
	char work[PATH_MAX], final[PATH_MAX], dataset[PATH_MAX], lock[PATH_MAX], header[4096];
	char *rows = NULL;
	struct stat st;
	int lockfd = -1, ret;

	ret = parse_args(&sw, argc, argv);
	if (ret)
		return ret == 1 ? 0 : ret;
	if ((ret = read_sweep_keys(&sw)))
		goto out;
	ret = 1;
	if (mkdir(sw.root, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "tlsmap sweep: --root %s: %s\n", sw.root, strerror(errno));
		goto out;
	}
	path_join(lock, sizeof(lock), sw.root, ".sweep.lock");
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", lock,
			errno == EWOULDBLOCK ? "another sweep runs in this directory"
					     : strerror(errno));
		goto out;
	}
	path_join(final, sizeof(final), sw.root, sw.date);
	if (lstat(final, &st) == 0) {
		fprintf(stderr,
			"tlsmap sweep: %s exists: the sweep of %s is done (--date names another "
			"run)\n",
			final, sw.date);
		goto out;
	}
	/* a previous run of this date died (we hold the lock): start it again */
	snprintf(work, sizeof(work), "%s/.partial-%.31s", sw.root, sw.date);
	if (lstat(work, &st) == 0 && nftw(work, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		fprintf(stderr, "tlsmap sweep: cannot remove the earlier attempt %s: %s\n", work,
			strerror(errno));
		goto out;
	}
	if (mkdir(work, 0755) != 0) {
		fprintf(stderr, "tlsmap sweep: %s: %s\n", work, strerror(errno));
		goto out;
	}
	path_join(dataset, sizeof(dataset), work, "scan.tlsmap");
	if ((ret = get_dataset(&sw, work, dataset)))
		goto out;
	ret = 1;
	if (publish_files(&sw, work, dataset, &rows, header, sizeof(header)))
		goto out;
	if (rename(work, final) != 0) {
		fprintf(stderr, "tlsmap sweep: %s -> %s: %s\n", work, final, strerror(errno));
		goto out;
	}
	if (append_series(&sw, header, rows) || point_latest(&sw))
		goto out;
	fprintf(stderr, "tlsmap sweep: published %s; %s/series.csv; %s/latest -> %s\n", final,
		sw.root, sw.root, sw.date);
	ret = 0;
out:
	free(rows);
	if (lockfd >= 0)
		close(lockfd);
	cfgfile_entries_free(sw.entries, sw.entries_storage);
	return ret;
}
