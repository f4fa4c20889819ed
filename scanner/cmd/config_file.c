/* SPDX-License-Identifier: MIT */
/*
 * -C FILE: read `key = value` lines and turn them into "--key=value" argv
 * entries placed before the command line's arguments (config_file.h says
 * why). Two passes: getopt_long over a copy of the command line finds which
 * options it sets (so abbreviations, short aliases and "--opt=value" forms
 * are recognised exactly as the real parse will), then the file's entries
 * for those options are dropped. The file is read whole (it is small and
 * capped), parsed in place, and every error names file:line.
 */
#include "scanner/cmd/config_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/cmd/cli.h"

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.';
}

/* Read all of @path (at most CFGFILE_MAX_BYTES), NUL-terminated. */
static int slurp(const char *cmd, const char *path, char **buf_out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	int ret = CLI_EUSAGE;

	if (!f) {
		cli_usage_error(cmd, "-C %s: %s", path, strerror(errno));
		return CLI_EUSAGE;
	}
	buf = malloc(CFGFILE_MAX_BYTES + 1);
	if (!buf) {
		cli_usage_error(cmd, "-C %s: out of memory", path);
		goto out;
	}
	len = fread(buf, 1, CFGFILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		cli_usage_error(cmd, "-C %s: %s", path, strerror(errno ? errno : EIO));
		goto out;
	}
	if (len > CFGFILE_MAX_BYTES) {
		cli_usage_error(cmd, "-C %s: larger than %u bytes: not a config file", path,
				CFGFILE_MAX_BYTES);
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		cli_usage_error(cmd, "-C %s: contains a NUL byte: not a text file", path);
		goto out;
	}
	buf[len] = '\0';
	*buf_out = buf;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	fclose(f);
	return ret;
}

/*
 * Parse one line in place. Leaves *key NULL for a blank or comment line.
 * Returns NULL on success or a static reason.
 */
static const char *parse_line(char *s, char **key, char **value)
{
	char *k, *v, *end;

	*key = *value = NULL;
	while (is_blank(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return NULL;
	if (s[0] == '-')
		return "a key is a long option name without its dashes (rate = 1000, not --rate)";
	k = s;
	while (is_key_char(*s))
		s++;
	if (s == k)
		return "expected key = value";
	end = s;
	while (is_blank(*s))
		s++;
	if (*s == '\0' || *s == '#') { /* bare key */
		*end = '\0';
		*key = k;
		return NULL;
	}
	if (*s != '=')
		return "expected key = value";
	*end = '\0';
	s++;
	while (is_blank(*s))
		s++;
	if (*s == '"') {
		v = ++s;
		s = strchr(s, '"');
		if (!s)
			return "unterminated \"quoted value\"";
		*s++ = '\0';
		while (is_blank(*s))
			s++;
		if (*s != '\0' && *s != '#')
			return "text after the closing quote";
	} else {
		/* a value ends at the line's end or at a '#' preceded by blank space */
		v = s;
		end = s;
		while (*s && !(*s == '#' && s > v && is_blank(s[-1])))
			s++;
		end = s;
		while (end > v && is_blank(end[-1]))
			end--;
		*end = '\0';
		if (strchr(v, '"'))
			return "a double quote inside a value: quote the whole value";
	}
	*key = k;
	*value = v;
	return NULL;
}

int cfgfile_read(const char *cmd, const char *path, struct cfgfile_entry **entries, size_t *n,
		 char **storage)
{
	struct cfgfile_entry *arr = NULL;
	size_t cap = 0, cnt = 0;
	char *buf = NULL, *line, *next;
	unsigned lineno = 0;
	int ret;

	*entries = NULL;
	*n = 0;
	*storage = NULL;
	if ((ret = slurp(cmd, path, &buf)))
		return ret;
	for (line = buf; line; line = next) {
		char *key, *value;
		const char *why;
		size_t len;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		why = parse_line(line, &key, &value);
		if (why) {
			cli_usage_error(cmd, "%s:%u: %s", path, lineno, why);
			ret = CLI_EUSAGE;
			goto fail;
		}
		if (!key)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct cfgfile_entry *a = realloc(arr, ncap * sizeof(*a));
			if (!a) {
				cli_usage_error(cmd, "-C %s: out of memory", path);
				ret = CLI_EUSAGE;
				goto fail;
			}
			arr = a;
			cap = ncap;
		}
		arr[cnt].key = key;
		arr[cnt].value = value;
		arr[cnt].line = lineno;
		cnt++;
	}
	*entries = arr;
	*n = cnt;
	*storage = buf;
	return 0;
fail:
	free(arr);
	free(buf);
	return ret;
}

void cfgfile_entries_free(struct cfgfile_entry *entries, char *storage)
{
	free(entries);
	free(storage);
}

static size_t nopts_of(const struct option *opts)
{
	size_t n = 0;

	while (opts[n].name)
		n++;
	return n;
}

static long find_opt(const struct option *opts, const char *name)
{
	for (size_t k = 0; opts[k].name; k++)
		if (!strcmp(opts[k].name, name))
			return (long)k;
	return -1;
}

/* Is @name one of the space-separated words of @group? */
static bool group_has(const char *group, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = group; *p;) {
		size_t w = strcspn(p, " ");
		if (w == len && !strncmp(p, name, len))
			return true;
		p += w;
		while (*p == ' ')
			p++;
	}
	return false;
}

/*
 * Pass 1: which table entries does the command line set, and where is -C?
 * getopt_long runs over a copy (it permutes), with the caller's own table,
 * so it sees exactly what the real parse will see.
 */
static int scan_cmdline(const char *cmd, const struct option *opts, const char *shortopts, int argc,
			char **argv, bool *seen, char **path)
{
	char **copy = malloc(((size_t)argc + 1) * sizeof(*copy));
	int opt, li, nconfig = 0, ret = 0;
	long cfg_idx = find_opt(opts, "config");

	*path = NULL;
	if (!copy) {
		cli_usage_error(cmd, "out of memory");
		return CLI_EUSAGE;
	}
	memcpy(copy, argv, ((size_t)argc + 1) * sizeof(*copy));
	optind = 0; /* glibc: full re-initialisation */
	opterr = 0;
	for (;;) {
		li = -1;
		opt = getopt_long(argc, copy, shortopts, opts, &li);
		if (opt == -1)
			break;
		if (opt == '?' || opt == ':')
			continue; /* the real parse reports it */
		if (li < 0)	  /* a short option: its long entry has the same val */
			for (long k = 0; opts[k].name; k++)
				if (opts[k].flag == NULL && opts[k].val == opt) {
					li = (int)k;
					break;
				}
		if (li >= 0)
			seen[li] = true;
		if (opt == 'C' || (cfg_idx >= 0 && li == cfg_idx)) {
			nconfig++;
			*path = optarg;
		}
	}
	if (nconfig > 1) {
		cli_usage_error(cmd,
				"option -C/--config given more than once (it takes one value)");
		ret = CLI_EUSAGE;
	}
	optind = 0;
	free(copy);
	return ret;
}

/* Drop the file's entry for option @k? */
static bool overridden(const struct option *opts, const bool *seen, long k,
		       const char *const *alternatives)
{
	if (seen[k])
		return true;
	for (size_t g = 0; alternatives && alternatives[g]; g++) {
		if (!group_has(alternatives[g], opts[k].name))
			continue;
		for (size_t j = 0; opts[j].name; j++)
			if (seen[j] && group_has(alternatives[g], opts[j].name))
				return true;
	}
	return false;
}

int cfgfile_expand(const char *cmd, const struct option *opts, const char *shortopts,
		   const char *const *alternatives, const char *ignore_prefix, int argc,
		   char **argv, struct cfgfile_argv *out)
{
	size_t nopts = nopts_of(opts);
	bool *seen = calloc(nopts + 1, sizeof(*seen));
	struct cfgfile_entry *ents = NULL;
	char *storage = NULL, *path = NULL;
	size_t nents = 0;
	int ret = CLI_EUSAGE, nfile = 0;

	memset(out, 0, sizeof(*out));
	if (!seen) {
		cli_usage_error(cmd, "out of memory");
		return CLI_EUSAGE;
	}
	if ((ret = scan_cmdline(cmd, opts, shortopts, argc, argv, seen, &path)))
		goto out;
	if (path && (ret = cfgfile_read(cmd, path, &ents, &nents, &storage)))
		goto out;
	ret = CLI_EUSAGE;
	out->argv = calloc((size_t)argc + nents + 1, sizeof(*out->argv));
	if (!out->argv) {
		cli_usage_error(cmd, "out of memory");
		goto out;
	}
	out->argv[0] = argv[0];
	for (size_t e = 0; e < nents; e++) {
		const struct cfgfile_entry *en = &ents[e];
		long k = find_opt(opts, en->key);
		char *arg;

		if (k < 0 && ignore_prefix &&
		    !strncmp(en->key, ignore_prefix, strlen(ignore_prefix)))
			continue;
		if (k < 0) {
			cli_usage_error(cmd, "%s:%u: unknown key '%s' (tlsmap %s has no --%s)",
					path, en->line, en->key, cmd, en->key);
			goto out;
		}
		if (!strcmp(en->key, "config") || !strcmp(en->key, "help")) {
			cli_usage_error(cmd, "%s:%u: '%s' cannot be set in a config file", path,
					en->line, en->key);
			goto out;
		}
		if (opts[k].has_arg == no_argument) {
			if (en->value && strcmp(en->value, "true") && strcmp(en->value, "false")) {
				cli_usage_error(cmd,
						"%s:%u: %s is a flag: write '%s', '%s = true' or "
						"'%s = false', not '%s'",
						path, en->line, en->key, en->key, en->key, en->key,
						en->value);
				goto out;
			}
			if (en->value && !strcmp(en->value, "false"))
				continue;
		} else if (opts[k].has_arg == required_argument && !en->value) {
			cli_usage_error(cmd, "%s:%u: %s needs a value (%s = ...)", path, en->line,
					en->key, en->key);
			goto out;
		}
		if (overridden(opts, seen, k, alternatives))
			continue;
		if (en->value && opts[k].has_arg != no_argument) {
			size_t len = strlen(en->key) + strlen(en->value) + 4;
			arg = malloc(len);
			if (arg)
				snprintf(arg, len, "--%s=%s", en->key, en->value);
		} else {
			size_t len = strlen(en->key) + 3;
			arg = malloc(len);
			if (arg)
				snprintf(arg, len, "--%s", en->key);
		}
		if (!arg) {
			cli_usage_error(cmd, "out of memory");
			goto out;
		}
		out->argv[1 + nfile++] = arg;
		out->nfile = nfile;
	}
	for (int a = 1; a < argc; a++)
		out->argv[nfile + a] = argv[a];
	out->argc = nfile + argc;
	out->argv[out->argc] = NULL;
	out->path = path;
	ret = 0;
out:
	if (ret)
		cfgfile_free(out);
	cfgfile_entries_free(ents, storage);
	free(seen);
	return ret;
}

void cfgfile_free(struct cfgfile_argv *x)
{
	if (x->argv)
		for (int k = 1; k <= x->nfile; k++)
			free(x->argv[k]);
	free(x->argv);
	memset(x, 0, sizeof(*x));
}
