/* SPDX-License-Identifier: MIT */
/*
 * The report's texts per language (see report_lang.h). A language file is
 * data anyone may edit, so the loader is strict: bounded line and file
 * sizes, well-formed UTF-8 without control characters, every key exactly
 * once, and placeholders only {1}..{n} for a key of n arguments, each of
 * them used (a translation cannot drop a number). The texts that number
 * and date formatting put into the page unescaped (num.*, date.ymd) may
 * not hold HTML's special characters. The country names file
 * (share/report/countries.tsv) goes through the same line reader and the
 * same UTF-8 check; its names are looked up by code in a table of the 676
 * possible two-letter codes, so a lookup costs no search.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/report_lang.h"

#define RL_MAX_FILE (256u * 1024u)
#define RL_MAX_LINE 4096u

static const struct {
	const char *name;
	unsigned nargs;
} keys[RK_COUNT] = {
#define REPORT_KEY_ROW(e, k, n) [RK_##e] = {k, n},
	REPORT_KEYS(REPORT_KEY_ROW)
#undef REPORT_KEY_ROW
};

const char *const report_langs[] = {"en", "ru", "kk", NULL};

/* Country codes are two capital letters: a name per possible code. */
#define RC_CODES (26u * 26u)

struct report_countries {
	char *name[RC_CODES]; /* in the language loaded for */
	char *en[RC_CODES];   /* in English */
	size_t n;
};

struct report_lang {
	char code[8];
	char *text[RK_COUNT];
	struct report_countries *countries; /* NULL: none loaded */
};

const char *report_langs_text(void)
{
	return "en, ru or kk";
}

int report_lang_known(const char *code)
{
	for (size_t i = 0; report_langs[i]; i++)
		if (!strcmp(report_langs[i], code))
			return 1;
	return 0;
}

const char *rl_key_name(enum report_key k)
{
	return keys[k].name;
}

unsigned rl_key_args(enum report_key k)
{
	return keys[k].nargs;
}

const char *rl_str(const struct report_lang *l, enum report_key k)
{
	return l->text[k];
}

const char *report_lang_code(const struct report_lang *l)
{
	return l->code;
}

void report_lang_free(struct report_lang *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < RK_COUNT; i++)
		free(l->text[i]);
	report_countries_free(l->countries);
	free(l);
}

/* Length of the UTF-8 sequence at @p (at most @n bytes), 0 if malformed. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80	     ? 1
		     : (p[0] & 0xe0) == 0xc0 ? 2
		     : (p[0] & 0xf0) == 0xe0 ? 3
		     : (p[0] & 0xf8) == 0xf0 ? 4
					     : 0;

	if (len == 0 || len > n || (len == 2 && p[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((len == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
	    (len == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
	    (len == 4 && p[0] == 0xf0 && p[1] < 0x90) || (len == 4 && p[0] > 0xf4) ||
	    (len == 4 && p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* NULL if @t is well-formed UTF-8 without control characters, else what is wrong. */
static const char *check_utf8(const char *t)
{
	const unsigned char *p = (const unsigned char *)t;
	size_t n = strlen(t);

	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);

		if (len == 0)
			return "not UTF-8";
		if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			return "a control character";
		i += len;
	}
	return NULL;
}

/* NULL if @t is a valid text for key @k, else what is wrong. */
static const char *check_text(const char *t, enum report_key k)
{
	const unsigned char *p = (const unsigned char *)t;
	size_t n = strlen(t);
	unsigned used = 0;
	bool plain =
		k == RK_NUM_GROUP || k == RK_NUM_DECIMAL || k == RK_NUM_PERCENT || k == RK_DATE_YMD;
	const char *why = check_utf8(t);

	if (why)
		return why;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);

		if (plain && len == 1 && strchr("<>&\"'", p[i]))
			return "an HTML special character in a formatting key";
		if (p[i] == '{' || p[i] == '}') {
			if (p[i] == '}' || i + 2 >= n || p[i + 1] < '1' || p[i + 1] > '9' ||
			    p[i + 2] != '}')
				return "a brace that is not a placeholder {1}..{9}";
			if ((unsigned)(p[i + 1] - '0') > keys[k].nargs)
				return "a placeholder beyond the key's arguments";
			used |= 1u << (p[i + 1] - '1');
			i += 3;
			continue;
		}
		i += len;
	}
	if (used != (1u << keys[k].nargs) - 1)
		return "not every argument {1}..{n} of the key is used";
	return NULL;
}

/*
 * One line of a file into @ctx; NULL or what is wrong, with *@detail set
 * to the word the message should quote after it (or left NULL).
 */
typedef const char *(*rl_take_fn)(void *ctx, char *line, const char **detail);

/* One "key<TAB>text" line into the language @ctx; NULL or the error. */
static const char *take_text(void *ctx, char *line, const char **detail)
{
	struct report_lang *l = ctx;
	char *tab = strchr(line, '\t');
	const char *why;

	if (!tab)
		return "no TAB between key and text";
	*tab = '\0';
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (strcmp(keys[k].name, line))
			continue;
		if (l->text[k]) {
			*detail = line;
			return "key given twice";
		}
		if ((why = check_text(tab + 1, (enum report_key)k)))
			return why;
		l->text[k] = strdup(tab + 1);
		return l->text[k] ? NULL : "out of memory";
	}
	*detail = line;
	return "unknown key";
}

/*
 * Every line of @f but comments (#) and empty ones through @take, with the
 * file's bounds (RL_MAX_FILE, RL_MAX_LINE) and no NUL byte. 0, or -1 with
 * "path:line: why" in @err.
 */
static int load_lines(rl_take_fn take, void *ctx, FILE *f, const char *path, char *err,
		      size_t errlen)
{
	char *line = NULL;
	size_t cap = 0, total = 0, lineno = 0;
	ssize_t n;
	int ret = 0;

	while ((n = getline(&line, &cap, f)) > 0) {
		const char *why = NULL, *detail = NULL;

		lineno++;
		total += (size_t)n;
		if (total > RL_MAX_FILE || (size_t)n > RL_MAX_LINE)
			why = "too long";
		if (!why && line[n - 1] == '\n')
			line[--n] = '\0';
		if (!why && n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (!why && (memchr(line, '\0', (size_t)n) != NULL))
			why = "a NUL byte";
		if (!why && n > 0 && line[0] != '#')
			why = take(ctx, line, &detail);
		if (why) {
			snprintf(err, errlen, "%s:%zu: %s%s%s", path, lineno, why,
				 detail ? ": " : "", detail ? detail : "");
			ret = -1;
			break;
		}
	}
	free(line);
	if (!ret && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ret = -1;
	}
	return ret;
}

struct report_lang *report_lang_load_stream(FILE *f, const char *path, const char *code, char *err,
					    size_t errlen)
{
	struct report_lang *l = calloc(1, sizeof(*l));

	if (!l) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return NULL;
	}
	snprintf(l->code, sizeof(l->code), "%s", code);
	if (load_lines(take_text, l, f, path, err, errlen))
		goto fail;
	for (size_t k = 0; k < RK_COUNT; k++) {
		if (!l->text[k]) {
			snprintf(err, errlen, "%s: key %s missing", path, keys[k].name);
			goto fail;
		}
	}
	return l;
fail:
	report_lang_free(l);
	return NULL;
}

struct report_lang *report_lang_load(const char *path, const char *code, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct report_lang *l;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	l = report_lang_load_stream(f, path, code, err, errlen);
	fclose(f);
	return l;
}

#define RC_MAX_COLS 16 /* cc and up to 15 languages */

/* The country file being read: the header's columns, then the names. */
struct countries_load {
	struct report_countries *cs;
	const char *code;		   /* the language loaded for */
	const char *col_name[RC_MAX_COLS]; /* [0] "cc", then report_langs' entries */
	size_t ncols;			   /* 0 until the header is read */
	size_t col_lang, col_en;
};

/* Index of a two-capital-letter code, or -1. */
static int rc_index(const char *cc)
{
	if (!cc || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' || cc[2])
		return -1;
	return (cc[0] - 'A') * 26 + (cc[1] - 'A');
}

/* Split @line at TABs into @field (at most RC_MAX_COLS); the count, 0 if too many. */
static size_t split_tabs(char *line, char **field)
{
	size_t n = 0;

	for (char *p = line;; p++) {
		char *tab = strchr(p, '\t');

		if (n == RC_MAX_COLS)
			return 0;
		field[n++] = p;
		if (!tab)
			return n;
		*tab = '\0';
		p = tab;
	}
}

static const char *take_header(struct countries_load *ld, char **field, size_t nf,
			       const char **detail)
{
	if (strcmp(field[0], "cc"))
		return "the first line is not the header (cc, then a column per language)";
	ld->col_name[0] = "cc";
	for (size_t i = 1; i < nf; i++) {
		size_t k;

		for (k = 0; report_langs[k] && strcmp(report_langs[k], field[i]); k++)
			;
		*detail = field[i];
		if (!report_langs[k])
			return "a column for no language of --lang";
		for (size_t j = 1; j < i; j++)
			if (ld->col_name[j] == report_langs[k])
				return "a language column given twice";
		ld->col_name[i] = report_langs[k];
		if (!strcmp(field[i], ld->code))
			ld->col_lang = i;
		if (!strcmp(field[i], "en"))
			ld->col_en = i;
	}
	for (size_t k = 0; report_langs[k]; k++) {
		size_t i;

		for (i = 1; i < nf && ld->col_name[i] != report_langs[k]; i++)
			;
		*detail = report_langs[k];
		if (i == nf)
			return "no column for the language";
	}
	*detail = NULL;
	if (!ld->col_lang)
		return "no column for the language loaded";
	ld->ncols = nf;
	return NULL;
}

/* One line of the country file into @ctx (struct countries_load); NULL or the error. */
static const char *take_country(void *ctx, char *line, const char **detail)
{
	struct countries_load *ld = ctx;
	struct report_countries *cs = ld->cs;
	char *field[RC_MAX_COLS];
	size_t nf = split_tabs(line, field);
	const char *why;
	int i;

	if (nf == 0)
		return "too many columns";
	if (!ld->ncols)
		return take_header(ld, field, nf, detail);
	if (nf != ld->ncols)
		return "not one field per column of the header";
	*detail = field[0];
	if ((i = rc_index(field[0])) < 0)
		return "not a country code of two capital letters";
	if (cs->name[i])
		return "code given twice";
	for (size_t k = 1; k < nf; k++) {
		size_t len = strlen(field[k]);

		*detail = ld->col_name[k];
		if (!len)
			return "an empty name in the column";
		if (field[k][0] == ' ' || field[k][len - 1] == ' ')
			return "a name with a space at either end in the column";
		if ((why = check_utf8(field[k])))
			return why;
	}
	*detail = NULL;
	cs->name[i] = strdup(field[ld->col_lang]);
	cs->en[i] = strdup(field[ld->col_en]);
	if (!cs->name[i] || !cs->en[i])
		return "out of memory";
	cs->n++;
	return NULL;
}

void report_countries_free(struct report_countries *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < RC_CODES; i++) {
		free(cs->name[i]);
		free(cs->en[i]);
	}
	free(cs);
}

struct report_countries *report_countries_load_stream(FILE *f, const char *path, const char *code,
						      char *err, size_t errlen)
{
	struct countries_load ld = {.cs = calloc(1, sizeof(*ld.cs)), .code = code};

	if (!ld.cs) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return NULL;
	}
	if (load_lines(take_country, &ld, f, path, err, errlen))
		goto fail;
	if (!ld.ncols || !ld.cs->n) {
		snprintf(err, errlen, "%s: %s", path,
			 !ld.ncols ? "no header line (cc, then a column per language)"
				   : "names no country");
		goto fail;
	}
	return ld.cs;
fail:
	report_countries_free(ld.cs);
	return NULL;
}

struct report_countries *report_countries_load(const char *path, const char *code, char *err,
					       size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct report_countries *cs;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	cs = report_countries_load_stream(f, path, code, err, errlen);
	fclose(f);
	return cs;
}

size_t report_countries_count(const struct report_countries *cs)
{
	return cs ? cs->n : 0;
}

const char *report_countries_name(const struct report_countries *cs, const char *cc)
{
	int i = rc_index(cc);

	if (!cs || i < 0)
		return NULL;
	return cs->name[i] ? cs->name[i] : cs->en[i];
}

void report_lang_set_countries(struct report_lang *l, struct report_countries *cs)
{
	report_countries_free(l->countries);
	l->countries = cs;
}

const char *rl_country(const struct report_lang *l, const char *cc)
{
	return report_countries_name(l->countries, cc);
}

void rl_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((unsigned char)*s < 0x20)
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

const char *rl_esc_buf(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; s && *s; s++) {
		char one[2] = {*s, 0};
		const char *rep = *s == '&'		     ? "&amp;"
				  : *s == '<'		     ? "&lt;"
				  : *s == '>'		     ? "&gt;"
				  : *s == '"'		     ? "&quot;"
				  : *s == '\''		     ? "&#39;"
				  : (unsigned char)*s < 0x20 ? " "
							     : one;
		size_t n = strlen(rep);

		if (n >= len - o)
			break; /* cut; an entity is never cut in half */
		memcpy(buf + o, rep, n + 1);
		o += n;
	}
	return buf;
}

void rl_fmt(FILE *f, const struct report_lang *l, enum report_key k, const char *const *args,
	    size_t nargs)
{
	const char *t = l->text[k];

	while (*t) {
		const char *brace = strchr(t, '{');
		size_t run = brace ? (size_t)(brace - t) : strlen(t);
		char piece[RL_MAX_LINE];

		memcpy(piece, t, run);
		piece[run] = '\0';
		rl_esc(f, piece);
		t += run;
		if (brace) { /* validated at load: "{d}" */
			size_t i = (size_t)(brace[1] - '1');

			if (i < nargs && args[i])
				fputs(args[i], f);
			t += 3;
		}
	}
}

/* @pattern with {1}..{3} replaced by @a. */
static void subst(char *buf, size_t len, const char *pattern, const char *const *a, size_t na)
{
	size_t o = 0;

	buf[0] = '\0';
	for (const char *p = pattern; *p && o + 1 < len; p++) {
		const char *add = NULL;
		char one[2] = {*p, 0};

		if (*p == '{' && p[1] >= '1' && p[1] <= '9' && (size_t)(p[1] - '1') < na) {
			add = a[p[1] - '1'];
			p += 2;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s", add ? add : one);
	}
}

const char *rl_int(const struct report_lang *l, uint64_t v, char *buf, size_t len)
{
	char digits[24];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	const char *sep = l->text[RK_NUM_GROUP];
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < nd && o + 1 < len; i++) {
		if (i && (nd - i) % 3 == 0 && nd >= 4)
			o += (size_t)snprintf(buf + o, len - o, "%s", sep);
		if (o + 1 < len) {
			buf[o++] = digits[i];
			buf[o] = '\0';
		}
	}
	return buf;
}

const char *rl_pct(const struct report_lang *l, double fraction, char *buf, size_t len)
{
	char num[64], *dot;
	const char *args[1] = {num};

	snprintf(num, sizeof(num), "%.1f", 100 * fraction);
	dot = strchr(num, '.');
	if (dot) {
		char tail[16];

		snprintf(tail, sizeof(tail), "%s", dot + 1);
		snprintf(dot, sizeof(num) - (size_t)(dot - num), "%s%s", l->text[RK_NUM_DECIMAL],
			 tail);
	}
	subst(buf, len, l->text[RK_NUM_PERCENT], args, 1);
	return buf;
}

const char *rl_date(const struct report_lang *l, uint64_t us, int time, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char y[16], m[16], d[16], hm[32];
	const char *args[3] = {y, m, d};
	size_t o;

	if (!us) {
		snprintf(buf, len, "-");
		return buf;
	}
	gmtime_r(&t, &tm);
	snprintf(y, sizeof(y), "%04d", tm.tm_year + 1900);
	snprintf(m, sizeof(m), "%02d", tm.tm_mon + 1);
	snprintf(d, sizeof(d), "%02d", tm.tm_mday);
	subst(buf, len, l->text[RK_DATE_YMD], args, 3);
	if (time) {
		strftime(hm, sizeof(hm), time == 1 ? " %H:%M UTC" : " %H:%M:%S UTC", &tm);
		o = strlen(buf);
		snprintf(buf + o, len - o, "%s", hm);
	}
	return buf;
}
