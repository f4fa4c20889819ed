/* SPDX-License-Identifier: MIT */
/*
 * interceptors.h: the list's loader and matcher.
 *
 * The file is TSV so that a person can review a diff of it line by line and
 * a shell script can grep it (the lab's scripts read its first three
 * columns). Every column is checked: hex of the right length, real calendar
 * dates, a known kind, a note wherever a fact is not verified. One bad line
 * rejects the file, because a list that silently drops an entry stops
 * recognising an interceptor with nobody noticing.
 *
 * The list is small (tens of entries) and matched once per captured chain,
 * so the matcher is a linear scan; the hash ways allocate nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "parsers/interceptors.h"
#include "parsers/x509_internal.h"

const char *icpt_way_name(enum icpt_way way)
{
	switch (way) {
	case ICPT_WAY_CERT_SHA256:
		return "cert-sha256";
	case ICPT_WAY_SPKI_SHA256:
		return "spki-sha256";
	case ICPT_WAY_AKI:
		return "aki";
	case ICPT_WAY_ISSUER_NAME:
		return "issuer-name";
	default:
		return "";
	}
}

const char *icpt_kind_name(enum icpt_kind kind)
{
	switch (kind) {
	case ICPT_CERT_SHA256:
		return "cert_sha256";
	case ICPT_SPKI_SHA256:
		return "spki_sha256";
	case ICPT_SKI:
		return "ski";
	case ICPT_ISSUER:
		return "issuer";
	default:
		return "";
	}
}

/* ---- parsing one line ---- */

#define NCOLS 10 /* kind value label name country first_seen last_seen verified sources note */

/* Split @line at tabs, in place. Returns the number of fields (at most
 * @max + 1: more than @max is reported as @max + 1). */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == max)
			return max + 1;
		f[n++] = p;
		if (!tab)
			return n;
		*tab = 0;
		p = tab + 1;
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits only, @min..@max octets. */
static bool parse_hex(const char *s, uint8_t *out, size_t min, size_t max, uint8_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 < min || n / 2 > max)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = (uint8_t)(n / 2);
	return true;
}

/* YYYY-MM-DD, a real calendar date from 1900 on. */
static bool date_ok(const char *s)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	return true;
}

/* [a-z0-9][a-z0-9._-]*: safe in a reason string, a CSV cell and a shell. */
static bool label_ok(const char *s)
{
	if (!*s || !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("._-", *s))
			return false;
	return true;
}

/* Version strings go into ScanMeta: [A-Za-z0-9._-]. */
static bool version_ok(const char *s)
{
	if (!*s || strlen(s) >= sizeof(((struct icpt_file *)0)->version))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* Printable text without surrounding blanks (a stray space is a typo). */
static const char *text_problem(const char *s, size_t cap)
{
	size_t n = strlen(s);
	const char *text = s;

	if (n >= cap)
		return "too long";
	if (n && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1])))
		return "has leading or trailing blanks";
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "has a control character";
	/* labels and names go into proto3 strings (Probe.interceptor, reasons) */
	if (!x509_utf8_valid((const uint8_t *)text, n))
		return "is not UTF-8";
	return NULL;
}

static const char *const col_names[NCOLS] = {
	"kind",	      "value",	   "label",    "name",	  "country",
	"first_seen", "last_seen", "verified", "sources", "note",
};

/* Columns 1-2, kind and value, into @e: NULL, or what is wrong in @why. */
static const char *parse_key(char *const *f, struct icpt_entry *e, char *why, size_t whylen)
{
	if (!strcmp(f[0], "cert_sha256") || !strcmp(f[0], "spki_sha256")) {
		e->kind = f[0][0] == 'c' ? ICPT_CERT_SHA256 : ICPT_SPKI_SHA256;
		if (!parse_hex(f[1], e->key, 32, 32, &e->key_len)) {
			snprintf(why, whylen, "%s value '%s' is not 64 hex digits", f[0], f[1]);
			return why;
		}
	} else if (!strcmp(f[0], "ski")) {
		e->kind = ICPT_SKI;
		if (!parse_hex(f[1], e->key, ICPT_SKI_MIN, ICPT_KEY_MAX, &e->key_len)) {
			snprintf(why, whylen,
				 "ski value '%s' is not %d to %d hex digits (an even number, no "
				 "colons)",
				 f[1], 2 * ICPT_SKI_MIN, 2 * ICPT_KEY_MAX);
			return why;
		}
	} else if (!strcmp(f[0], "issuer")) {
		e->kind = ICPT_ISSUER;
		if (!*f[1]) {
			snprintf(why, whylen, "issuer value is empty");
			return why;
		}
		/* "CN=x" with nothing else: also match on the CN alone */
		if (!strncasecmp(f[1], "CN=", 3) && !strpbrk(f[1], ",+\\") &&
		    strlen(f[1] + 3) < sizeof(e->cn))
			snprintf(e->cn, sizeof(e->cn), "%s", f[1] + 3);
	} else {
		snprintf(why, whylen,
			 "kind '%s' is not one of cert_sha256, spki_sha256, ski, issuer", f[0]);
		return why;
	}
	return NULL;
}

/* Columns 3-10, label to note: NULL, or what is wrong in @why. Sets e->verified. */
static const char *check_columns(char *const *f, struct icpt_entry *e, char *why, size_t whylen)
{
	if (!label_ok(f[2])) {
		snprintf(why, whylen, "label '%s' is not [a-z0-9][a-z0-9._-]*", f[2]);
		return why;
	}
	if (!*f[3]) {
		snprintf(why, whylen, "name is empty");
		return why;
	}
	if (*f[4] &&
	    !(isupper((unsigned char)f[4][0]) && isupper((unsigned char)f[4][1]) && !f[4][2])) {
		snprintf(why, whylen, "country '%s' is not two capital letters or empty", f[4]);
		return why;
	}
	for (int i = 5; i <= 6; i++)
		if (*f[i] && !date_ok(f[i])) {
			snprintf(why, whylen, "%s '%s' is not a date YYYY-MM-DD or empty",
				 col_names[i], f[i]);
			return why;
		}
	if (*f[5] && *f[6] && strcmp(f[5], f[6]) > 0) {
		snprintf(why, whylen, "first_seen %s is after last_seen %s", f[5], f[6]);
		return why;
	}
	if (strcmp(f[7], "yes") && strcmp(f[7], "no")) {
		snprintf(why, whylen, "verified '%s' is not yes or no", f[7]);
		return why;
	}
	e->verified = !strcmp(f[7], "yes");
	if (!*f[8]) {
		snprintf(why, whylen,
			 "sources is empty: every entry needs a URL or document title");
		return why;
	}
	if (!e->verified && !*f[9]) {
		snprintf(why, whylen,
			 "verified is no but the note does not say what is unverified");
		return why;
	}
	return NULL;
}

/* Parse an entry line into @e. Returns NULL, or what is wrong in @why. */
static const char *parse_entry(char *line, struct icpt_entry *e, char *why, size_t whylen)
{
	char *f[NCOLS + 1];
	size_t n = split_tabs(line, f, NCOLS);
	const size_t caps[NCOLS] = {
		16,
		sizeof(e->value),
		sizeof(e->label),
		sizeof(e->name),
		sizeof(e->country),
		sizeof(e->first_seen),
		sizeof(e->last_seen),
		8,
		sizeof(e->sources),
		sizeof(e->note),
	};

	memset(e, 0, sizeof(*e));
	if (n != NCOLS) {
		snprintf(why, whylen,
			 "%s%zu tab-separated columns, expected %d: kind value label name "
			 "country first_seen last_seen verified sources note",
			 n > NCOLS ? "more than " : "", n > NCOLS ? (size_t)NCOLS : n, NCOLS);
		return why;
	}
	for (size_t i = 0; i < NCOLS; i++) {
		const char *p = text_problem(f[i], caps[i]);
		if (p) {
			snprintf(why, whylen, "column %zu (%s) %s", i + 1, col_names[i], p);
			return why;
		}
	}
	if (parse_key(f, e, why, whylen) || check_columns(f, e, why, whylen))
		return why;
	snprintf(e->value, sizeof(e->value), "%s", f[1]);
	snprintf(e->label, sizeof(e->label), "%s", f[2]);
	snprintf(e->name, sizeof(e->name), "%s", f[3]);
	snprintf(e->country, sizeof(e->country), "%s", f[4]);
	snprintf(e->first_seen, sizeof(e->first_seen), "%s", f[5]);
	snprintf(e->last_seen, sizeof(e->last_seen), "%s", f[6]);
	snprintf(e->sources, sizeof(e->sources), "%s", f[8]);
	snprintf(e->note, sizeof(e->note), "%s", f[9]);
	return NULL;
}

/* "version<TAB>VERSION<TAB>YYYY-MM-DD" */
static const char *parse_version(char *line, struct icpt_file *fi, char *why, size_t whylen)
{
	char *f[4];
	size_t n = split_tabs(line, f, 3);

	if (n != 3 || !version_ok(f[1]) || !date_ok(f[2])) {
		snprintf(why, whylen,
			 "version line must be: version<TAB>VERSION<TAB>YYYY-MM-DD, VERSION of "
			 "1 to 32 characters [A-Za-z0-9._-]");
		return why;
	}
	snprintf(fi->version, sizeof(fi->version), "%s", f[1]);
	snprintf(fi->date, sizeof(fi->date), "%s", f[2]);
	return NULL;
}

static bool same_entry(const struct icpt_entry *a, const struct icpt_entry *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == ICPT_ISSUER)
		return !strcasecmp(a->value, b->value);
	return a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len);
}

/* ---- the list ---- */

struct icpt_list *icpt_list_new(void)
{
	struct icpt_list *list = calloc(1, sizeof(*list));

	if (!list)
		return NULL;
	list->sha_ctx = EVP_MD_CTX_new();
	if (!list->sha_ctx || !EVP_DigestInit_ex(list->sha_ctx, EVP_sha256(), NULL)) {
		icpt_list_free(list);
		return NULL;
	}
	return list;
}

void icpt_list_free(struct icpt_list *list)
{
	if (!list)
		return;
	EVP_MD_CTX_free(list->sha_ctx);
	free(list->v);
	free(list);
}

static int push(struct icpt_list *list, const struct icpt_entry *e)
{
	if (list->n == list->cap) {
		size_t nc = list->cap ? list->cap * 2 : 32;
		struct icpt_entry *v = realloc(list->v, nc * sizeof(*v));

		if (!v)
			return -1;
		list->v = v;
		list->cap = nc;
	}
	list->v[list->n++] = *e;
	return 0;
}

/* The digest so far, without ending the running one. */
static void snapshot_sha256(struct icpt_list *list)
{
	EVP_MD_CTX *tmp = EVP_MD_CTX_new();
	unsigned len = 0;

	if (tmp && EVP_MD_CTX_copy_ex(tmp, list->sha_ctx))
		EVP_DigestFinal_ex(tmp, list->sha256, &len);
	EVP_MD_CTX_free(tmp);
}

enum { LINE_EOF = 0, LINE_OK = 1, LINE_LONG = -1, LINE_NUL = -2 };

/* One line into @buf (@cap octets, NUL-terminated, newline kept), fed to
 * @md. fgets() would cut a line at an embedded NUL without a word. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len, EVP_MD_CTX *md)
{
	size_t n = 0;
	int c = EOF;

	while (n + 1 < cap && (c = getc(f)) != EOF) {
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[n] = 0;
	*len = n;
	EVP_DigestUpdate(md, buf, n);
	if (!n)
		return LINE_EOF;
	if (memchr(buf, 0, n))
		return LINE_NUL;
	if (n + 1 == cap && c != '\n' && (c = getc(f)) != EOF) {
		ungetc(c, f);
		return LINE_LONG;
	}
	return LINE_OK;
}

/* One file being loaded: what its lines have told so far. */
struct icpt_load {
	const char *path;
	struct icpt_file fi;
	size_t first; /* list->n before this file */
	unsigned lineno;
	bool have_version;
};

/* The version line: once, before the first entry. 0, or -1 with @err. */
static int load_version(struct icpt_list *list, struct icpt_load *ld, char *line, char *err,
			size_t errlen)
{
	char why[256];
	const char *bad;

	if (ld->have_version) {
		snprintf(err, errlen, "%s:%u: a second version line", ld->path, ld->lineno);
		return -1;
	}
	if (list->n > ld->first) {
		snprintf(err, errlen, "%s:%u: the version line must come before the first entry",
			 ld->path, ld->lineno);
		return -1;
	}
	if ((bad = parse_version(line, &ld->fi, why, sizeof(why)))) {
		snprintf(err, errlen, "%s:%u: %s", ld->path, ld->lineno, bad);
		return -1;
	}
	ld->have_version = true;
	return 0;
}

/* An entry line: parsed, not listed before (in any file), within
 * ICPT_MAX_ENTRIES, appended. 0, or -1 with @err. */
static int load_entry(struct icpt_list *list, struct icpt_load *ld, char *line, char *err,
		      size_t errlen)
{
	char why[256];
	struct icpt_entry e;
	const char *bad;

	if (!ld->have_version) {
		snprintf(err, errlen,
			 "%s:%u: an entry before the version line "
			 "(version<TAB>VERSION<TAB>YYYY-MM-DD)",
			 ld->path, ld->lineno);
		return -1;
	}
	if ((bad = parse_entry(line, &e, why, sizeof(why)))) {
		snprintf(err, errlen, "%s:%u: %s", ld->path, ld->lineno, bad);
		return -1;
	}
	for (size_t i = 0; i < list->n; i++)
		if (same_entry(&list->v[i], &e)) {
			snprintf(err, errlen, "%s:%u: %s %s is already listed at %s:%u", ld->path,
				 ld->lineno, icpt_kind_name(e.kind), e.value,
				 list->files[list->v[i].file].path, list->v[i].line);
			return -1;
		}
	if (list->n >= ICPT_MAX_ENTRIES) {
		snprintf(err, errlen, "%s:%u: more than %u entries", ld->path, ld->lineno,
			 ICPT_MAX_ENTRIES);
		return -1;
	}
	e.file = (uint8_t)list->nfiles;
	e.line = ld->lineno;
	if (push(list, &e) < 0) {
		snprintf(err, errlen, "%s: out of memory", ld->path);
		return -1;
	}
	return 0;
}

/* Every line of @f, as read_line() returns them. 0, or -1 with @err. */
static int load_lines(struct icpt_list *list, struct icpt_load *ld, FILE *f, EVP_MD_CTX *md,
		      char *err, size_t errlen)
{
	char line[ICPT_LINE_MAX + 1];
	size_t len;
	int rl;

	while ((rl = read_line(f, line, sizeof(line), &len, md)) != LINE_EOF) {
		ld->lineno++;
		if (rl == LINE_LONG) {
			snprintf(err, errlen, "%s:%u: line longer than %d characters", ld->path,
				 ld->lineno, ICPT_LINE_MAX - 1);
			return -1;
		}
		if (rl == LINE_NUL) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line", ld->path, ld->lineno);
			return -1;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		if (!strncmp(line, "version\t", 8) ? load_version(list, ld, line, err, errlen)
						   : load_entry(list, ld, line, err, errlen))
			return -1;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", ld->path);
		return -1;
	}
	if (!ld->have_version) {
		snprintf(err, errlen, "%s: no version line (version<TAB>VERSION<TAB>YYYY-MM-DD)",
			 ld->path);
		return -1;
	}
	return 0;
}

int icpt_list_add_stream(struct icpt_list *list, FILE *f, const char *path, char *err,
			 size_t errlen)
{
	struct icpt_load ld = {.path = path, .first = list->n};
	EVP_MD_CTX *md = NULL; /* the running digest plus this file, kept if it loads */
	size_t vl;
	int ret = -1;

	if (list->nfiles == ICPT_MAX_FILES) {
		snprintf(err, errlen, "%s: more than %d interceptor lists", path, ICPT_MAX_FILES);
		return -1;
	}
	if (strlen(path) >= sizeof(ld.fi.path)) {
		snprintf(err, errlen, "%.200s...: path too long", path);
		return -1;
	}
	snprintf(ld.fi.path, sizeof(ld.fi.path), "%s", path);
	md = EVP_MD_CTX_new();
	if (!md || !EVP_MD_CTX_copy_ex(md, list->sha_ctx)) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (load_lines(list, &ld, f, md, err, errlen) != 0)
		goto out;
	list->files[list->nfiles++] = ld.fi;
	EVP_MD_CTX_copy_ex(list->sha_ctx, md);
	vl = strlen(list->version);
	snprintf(list->version + vl, sizeof(list->version) - vl, "%s%s", vl ? "+" : "",
		 ld.fi.version);
	snapshot_sha256(list);
	ret = 0;
out:
	if (ret)
		list->n = ld.first; /* this file's entries are dropped whole */
	EVP_MD_CTX_free(md);
	return ret;
}

int icpt_list_add_file(struct icpt_list *list, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ret = icpt_list_add_stream(list, f, path, err, errlen);
	fclose(f);
	return ret;
}

struct icpt_list *icpt_list_load(const char *path, char *err, size_t errlen)
{
	struct icpt_list *list = icpt_list_new();

	if (!list) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (icpt_list_add_file(list, path, err, errlen) < 0) {
		icpt_list_free(list);
		return NULL;
	}
	return list;
}

/* ---- matching ---- */

static bool name_matches_entry(const struct icpt_entry *e, const char *rfc4514, const char *cn)
{
	if (rfc4514 && !strcasecmp(rfc4514, e->value))
		return true;
	return e->cn[0] && cn && !strcasecmp(cn, e->cn);
}

static const struct icpt_entry *match_name(const struct icpt_list *list, const struct icpt_cert *c)
{
	const struct icpt_entry *hit = NULL;
	char *iss = NULL, *sub = NULL, *icn = NULL, *scn = NULL;
	bool rendered = false;

	for (size_t i = 0; i < list->n && !hit; i++) {
		const struct icpt_entry *e = &list->v[i];

		if (e->kind != ICPT_ISSUER)
			continue;
		if (!rendered) {
			iss = x509_name_rfc4514(c->der, c->parsed->issuer);
			sub = x509_name_rfc4514(c->der, c->parsed->subject);
			icn = x509_str_utf8(c->der, c->parsed->issuer_cn);
			scn = x509_str_utf8(c->der, c->parsed->subject_cn);
			rendered = true;
		}
		if (name_matches_entry(e, iss, icn) || name_matches_entry(e, sub, scn))
			hit = e;
	}
	free(iss);
	free(sub);
	free(icn);
	free(scn);
	return hit;
}

const struct icpt_entry *icpt_match_cert(const struct icpt_list *list, enum icpt_way way,
					 const struct icpt_cert *c)
{
	uint8_t spki[32];
	const uint8_t *key = NULL;
	size_t key_len = 32;
	enum icpt_kind kind;

	if (!list || !list->n || !c)
		return NULL;
	switch (way) {
	case ICPT_WAY_CERT_SHA256:
		kind = ICPT_CERT_SHA256;
		key = c->sha256;
		break;
	case ICPT_WAY_SPKI_SHA256:
		kind = ICPT_SPKI_SHA256;
		key = c->spki_sha256;
		break;
	case ICPT_WAY_AKI:
		if (!c->parsed || !c->parsed->has_aki || !c->parsed->aki.len)
			return NULL;
		kind = ICPT_SKI;
		key = c->der + c->parsed->aki.off;
		key_len = c->parsed->aki.len;
		break;
	case ICPT_WAY_ISSUER_NAME:
		return c->parsed ? match_name(list, c) : NULL;
	default:
		return NULL;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct icpt_entry *e = &list->v[i];

		if (e->kind != kind)
			continue;
		if (!key) { /* the SPKI digest, computed once, only when the list has one */
			if (kind != ICPT_SPKI_SHA256 || !c->parsed)
				return NULL;
			x509_digests(c->der, c->parsed, NULL, NULL, spki);
			key = spki;
		}
		if (e->key_len == key_len && !memcmp(e->key, key, key_len))
			return e;
	}
	return NULL;
}

bool icpt_match_chain(const struct icpt_list *list, const struct icpt_cert *chain, size_t n,
		      struct icpt_match *out)
{
	memset(out, 0, sizeof(*out));
	for (int way = ICPT_WAY_FIRST; way <= ICPT_WAY_LAST; way++)
		for (size_t i = 0; i < n; i++) {
			const struct icpt_entry *e =
				icpt_match_cert(list, (enum icpt_way)way, &chain[i]);

			if (e) {
				out->entry = e;
				out->way = (enum icpt_way)way;
				out->cert = i;
				return true;
			}
		}
	return false;
}
