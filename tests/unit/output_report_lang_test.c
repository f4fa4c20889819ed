/* SPDX-License-Identifier: MIT */
/*
 * The report's languages (output/report_lang.h, share/report/LANG.tsv):
 * every language of report_langs loads, i.e. has every key of the page
 * exactly once, no key the page does not know, and only the placeholders
 * its key takes, each used; share/report holds no other language file;
 * broken files are refused with file, line and reason; numbers and dates
 * come out as each language writes them (1,234.5 and 2026-01-05 in
 * English; 1 234,5 and 05.01.2026 in Russian and Kazakh). The country
 * names (share/report/countries.tsv) load for every language: each code two
 * capital letters, once, with a name in every language (the loader's rules,
 * each shown refused); every ISO 3166-1 code and every code of the map
 * (data/map/world.tsv, when present) has one; Kazakhstan is Қазақстан in
 * Kazakh and Казахстан in Russian.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "output/report_lang.h"
#include "test.h"

static char dir[4096];

static struct report_lang *load(const char *code, char *err, size_t len)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.tsv", dir, code);
	return report_lang_load(path, code, err, len);
}

/* en.tsv with @edit applied (sed expression) into a temporary file; its load error. */
static void refused(const char *edit, const char *want)
{
	char path[] = "/tmp/tlsmap-lang-XXXXXX", cmd[8400], err[512] = "";
	int fd = mkstemp(path);
	struct report_lang *l;

	if (fd < 0) {
		CHECK(fd >= 0);
		return;
	}
	snprintf(cmd, sizeof(cmd), "sed -e '%s' %s/en.tsv > %s", edit, dir, path);
	CHECK(system(cmd) == 0);
	l = report_lang_load(path, "en", err, sizeof(err));
	EXPECT(!l && strstr(err, want), "sed '%s': refused with '%s', got '%s'", edit, want,
	       l ? "(loaded)" : err);
	report_lang_free(l);
	remove(path);
}

static void check_all_languages(void)
{
	char err[512];
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	for (size_t i = 0; report_langs[i]; i++) {
		struct report_lang *l = load(report_langs[i], err, sizeof(err));

		EXPECT(l != NULL, "share/report/%s.tsv: %s", report_langs[i], l ? "" : err);
		if (l) {
			for (size_t k = 0; k < RK_COUNT; k++)
				CHECK(rl_str(l, (enum report_key)k) != NULL);
			/* translated: the headings differ from English */
			if (strcmp(report_langs[i], "en")) {
				struct report_lang *en = load("en", err, sizeof(err));

				EXPECT(en && strcmp(rl_str(l, RK_TIME_H), rl_str(en, RK_TIME_H)),
				       "%s: time.h not translated", report_langs[i]);
				report_lang_free(en);
			}
		}
		report_lang_free(l);
	}
	d = opendir(dir);
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char code[16];

		if (len < 5 || strcmp(de->d_name + len - 4, ".tsv") ||
		    !strcmp(de->d_name, "countries.tsv"))
			continue;
		snprintf(code, sizeof(code), "%.*s", (int)(len - 4), de->d_name);
		EXPECT(report_lang_known(code), "share/report/%s is no language of --lang",
		       de->d_name);
		n++;
	}
	if (d)
		closedir(d);
	for (size_t i = 0; report_langs[i]; i++)
		n--;
	CHECK(n == 0);
}

static void check_refused(void)
{
	refused("/^time.h\t/d", "key time.h missing");
	refused("$a\\\nextra.key\tx", "unknown key: extra.key");
	refused("$a\\\ntitle\tagain", "key given twice: title");
	refused("s/^lede\t.*/lede\t{1} {2}/", "not every argument");
	refused("s/^title\t.*/title\tx {1}/", "beyond the key's arguments");
	refused("s/^title\t.*/title\tx { y/", "not a placeholder");
	refused("s/^title\t.*/title\tx \\xff y/", "not UTF-8");
	refused("s/^num.group\t.*/num.group\t</", "HTML special character");
	refused("s/^title\t/title /", "no TAB");
}

static void check_formats(void)
{
	char err[512], buf[128];
	struct report_lang *en = load("en", err, sizeof(err));
	struct report_lang *ru = load("ru", err, sizeof(err));
	struct report_lang *kk = load("kk", err, sizeof(err));
	const uint64_t jan5 = 1767571200ull * 1000000ull + 6 * 3600000000ull + 30 * 60000000ull;

	if (!en || !ru || !kk) {
		CHECK(en && ru && kk);
		goto out;
	}
	EXPECT(!strcmp(rl_int(en, 1234567, buf, sizeof(buf)), "1,234,567"), "en int: %s", buf);
	EXPECT(!strcmp(rl_int(en, 999, buf, sizeof(buf)), "999"), "en int: %s", buf);
	EXPECT(!strcmp(rl_int(ru, 1234567, buf, sizeof(buf)), "1\u00a0234\u00a0567"), "ru int: %s",
	       buf);
	EXPECT(!strcmp(rl_pct(en, 0.7273, buf, sizeof(buf)), "72.7%"), "en pct: %s", buf);
	EXPECT(!strcmp(rl_pct(ru, 0.7273, buf, sizeof(buf)), "72,7\u00a0%"), "ru pct: %s", buf);
	EXPECT(!strcmp(rl_pct(kk, 0.05, buf, sizeof(buf)), "5,0\u00a0%"), "kk pct: %s", buf);
	EXPECT(!strcmp(rl_date(en, jan5, 0, buf, sizeof(buf)), "2026-01-05"), "en date: %s", buf);
	EXPECT(!strcmp(rl_date(ru, jan5, 1, buf, sizeof(buf)), "05.01.2026 06:30 UTC"),
	       "ru date: %s", buf);
	EXPECT(!strcmp(rl_date(kk, jan5, 2, buf, sizeof(buf)), "05.01.2026 06:30:00 UTC"),
	       "kk date: %s", buf);
	EXPECT(!strcmp(rl_date(kk, 0, 2, buf, sizeof(buf)), "-"), "no date: %s", buf);
	EXPECT(!strcmp(rl_esc_buf("a<b>&\"'", buf, sizeof(buf)), "a&lt;b&gt;&amp;&quot;&#39;"),
	       "escaped: %s", buf);
	EXPECT(!strcmp(rl_esc_buf("<<<", buf, 9), "&lt;&lt;"), "cut between entities: %s", buf);
out:
	report_lang_free(en);
	report_lang_free(ru);
	report_lang_free(kk);
}

static struct report_countries *load_countries(const char *code, char *err, size_t len)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/countries.tsv", dir);
	return report_countries_load(path, code, err, len);
}

/* countries.tsv with @edit applied (sed expression): refused with @want and the line. */
static void countries_refused(const char *edit, const char *want)
{
	char path[] = "/tmp/tlsmap-countries-XXXXXX", cmd[8400], err[512] = "";
	int fd = mkstemp(path);
	struct report_countries *cs;

	if (fd < 0) {
		CHECK(fd >= 0);
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "sed -e '%s' %s/countries.tsv > %s", edit, dir, path);
	CHECK(system(cmd) == 0);
	cs = report_countries_load(path, "kk", err, sizeof(err));
	/* "path:line: why", or "path: why" for what the whole file lacks */
	EXPECT(!cs && strstr(err, want) && strncmp(err, path, strlen(path)) == 0 &&
		       (err[strlen(path)] == ':' &&
			(isdigit((unsigned char)err[strlen(path) + 1]) ||
			 !strcmp(want, ": no header line") || !strcmp(want, ": names no country"))),
	       "sed '%s': refused with '%s', got '%s'", edit, want, cs ? "(loaded)" : err);
	report_countries_free(cs);
	remove(path);
}

/* Lines of countries.tsv that name a country (not comments, not the header). */
static size_t countries_lines(void)
{
	char path[4200], line[4200];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/countries.tsv", dir);
	f = fopen(path, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f))
		n += line[0] != '#' && line[0] != '\n' && strncmp(line, "cc\t", 3) != 0;
	if (f)
		fclose(f);
	return n;
}

/*
 * Every code of @path (the code before the first TAB of each line; #
 * comments and the map's viewBox and outline lines aside) has a name in
 * @cs; skipped, saying why, when there is no such file.
 */
static void check_codes_in(const struct report_countries *cs, const char *lang, const char *path,
			   const char *absent)
{
	char line[8192];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("skip: %s: %s\n", path, absent);
		return;
	}
	/* lines too long for @line continue into the next fgets: only a line's start counts */
	for (bool start = true; fgets(line, sizeof(line), f); start = strchr(line, '\n') != NULL) {
		char cc[4];

		if (!start || line[0] == '#' || !strncmp(line, "viewBox\t", 8) ||
		    !strncmp(line, "outline\t", 8) || !strchr(line, '\t'))
			continue;
		snprintf(cc, sizeof(cc), "%.*s", (int)(strchr(line, '\t') - line), line);
		EXPECT(report_countries_name(cs, cc) != NULL,
		       "%s: code %s of %s has no name in countries.tsv", lang, cc, path);
		n++;
	}
	fclose(f);
	EXPECT(n > 100, "%s: only %zu countries", path, n);
}

/* Country names of one language: every line a country, its names there. */
static void check_countries_lang(const struct report_countries *cs,
				 const struct report_countries *en, const char *lang, size_t lines,
				 bool first)
{
	static const char *const kz[][2] = {
		{"en", "Kazakhstan"}, {"ru", "Казахстан"}, {"kk", "Қазақстан"}};
	static const char *const iso_sample[] = {"AD", "AQ", "BQ", "CW", "KZ", "RU",
						 "SS", "SX", "UM", "US", "XK", "ZW"};
	size_t named = 0, translated = 0;

	/* every line a country: each code once, each a name in this language */
	CHECK_EQ_U64(report_countries_count(cs), lines);
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			const char cc[3] = {a, b, 0};
			const char *name = report_countries_name(cs, cc);

			if (!name)
				continue;
			named++;
			CHECK(name[0] != '\0');
			translated += strcmp(name, report_countries_name(en, cc)) != 0;
		}
	}
	CHECK_EQ_U64(named, lines);
	if (strcmp(lang, "en"))
		EXPECT(translated > named / 2, "%s: %zu of %zu names differ from English", lang,
		       translated, named);
	for (size_t k = 0; k < sizeof(iso_sample) / sizeof(iso_sample[0]); k++)
		EXPECT(report_countries_name(cs, iso_sample[k]), "%s: no name for %s", lang,
		       iso_sample[k]);
	for (size_t k = 0; k < sizeof(kz) / sizeof(kz[0]); k++)
		if (!strcmp(kz[k][0], lang))
			EXPECT(!strcmp(report_countries_name(cs, "KZ"), kz[k][1]),
			       "%s: KZ is '%s', expected '%s'", lang,
			       report_countries_name(cs, "KZ"), kz[k][1]);
	/* no name for what is not a code */
	CHECK(!report_countries_name(cs, "kz") && !report_countries_name(cs, "KZX") &&
	      !report_countries_name(cs, "K") && !report_countries_name(cs, "") &&
	      !report_countries_name(cs, "??") && !report_countries_name(cs, NULL));
	if (first) { /* the same codes in every language: one language is enough */
		const char *data = getenv("TLSMAP_DATA");
		char map[4200];

		snprintf(map, sizeof(map), "%s/map/world.tsv", data && *data ? data : "data");
		check_codes_in(cs, lang, map,
			       "no map file (scripts/bootstrap makes it), its codes not "
			       "checked");
		/* tzdata's list of ISO 3166-1 codes, where installed */
		check_codes_in(cs, lang, "/usr/share/zoneinfo/iso3166.tab",
			       "no tzdata, the ISO 3166-1 list not checked");
	}
}

/* A language takes its names; rl_country falls back to nothing without them. */
static void check_countries_in_lang(void)
{
	char err[512];
	struct report_lang *l = load("kk", err, sizeof(err));
	struct report_countries *cs = load_countries("kk", err, sizeof(err));

	if (l && cs) {
		CHECK(rl_country(l, "KZ") == NULL);
		report_lang_set_countries(l, cs);
		cs = NULL;
		EXPECT(rl_country(l, "KZ") && !strcmp(rl_country(l, "KZ"), "Қазақстан"),
		       "rl_country(kk, KZ)");
		CHECK(rl_country(l, "QQ") == NULL);
		/* replacing them frees the old ones (ASan would see a leak) */
		report_lang_set_countries(l, load_countries("ru", err, sizeof(err)));
		EXPECT(rl_country(l, "KZ") && !strcmp(rl_country(l, "KZ"), "Казахстан"),
		       "rl_country after replacing the names");
	} else {
		CHECK(l && cs);
	}
	report_countries_free(cs);
	report_lang_free(l);
}

/* Broken countries files, each refused with its line and reason. */
static void check_countries_refused(void)
{
	countries_refused("s/^KZ\t/kz\t/", ": not a country code of two capital letters: kz");
	countries_refused("s/^KZ\t/KZX\t/", ": not a country code of two capital letters: KZX");
	countries_refused("s/^KZ\t/\t/", ": not a country code of two capital letters: ");
	countries_refused("$a\\\nKZ\tx\ty\tz", ": code given twice: KZ");
	countries_refused("s/^KZ\t\\([^\t]*\\)\t[^\t]*\t/KZ\t\\1\t\t/",
			  ": an empty name in the column: ru");
	countries_refused("s/^KZ\t.*/KZ\tKazakhstan\tКазахстан\t/",
			  ": an empty name in the column: kk");
	countries_refused("s/^KZ\tKazakhstan/KZ\tKazakhstan /",
			  ": a name with a space at either end in the column: en");
	countries_refused("s/^KZ\t.*/KZ\tKazakhstan\tКазахстан/",
			  ": not one field per column of the header");
	countries_refused("s/^KZ\t.*/&\tx/", ": not one field per column of the header");
	countries_refused("s/^KZ\tKazakhstan/KZ\tKazakh\xffstan/", ": not UTF-8");
	countries_refused("s/^KZ\tKazakhstan/KZ\tKazakh\x01stan/", ": a control character");
	countries_refused("s/^cc\t.*/cc\ten\tru/", ": no column for the language: kk");
	countries_refused("s/^cc\t.*/cc\ten\tru\tkk\tde/",
			  ": a column for no language of --lang: de");
	countries_refused("s/^cc\t.*/cc\ten\tru\tru/", ": a language column given twice: ru");
	countries_refused("s/^cc\t/code\t/", ": the first line is not the header");
	countries_refused("s/^KZ\t.*/&\tx\tx\tx\tx\tx\tx\tx\tx\tx\tx\tx\tx\tx/",
			  ": too many columns");
	countries_refused("/^[^#]/d", ": no header line");
	countries_refused("/^[A-Z][A-Z]\t/d", ": names no country");
}

static void check_countries(void)
{
	char err[512];
	size_t lines = countries_lines();
	struct report_countries *en = load_countries("en", err, sizeof(err));

	EXPECT(en != NULL, "countries.tsv for en: %s", en ? "" : err);
	EXPECT(lines >= 249, "countries.tsv names %zu countries, ISO 3166-1 has 249", lines);
	for (size_t i = 0; report_langs[i]; i++) {
		struct report_countries *cs = load_countries(report_langs[i], err, sizeof(err));

		EXPECT(cs != NULL, "countries.tsv for %s: %s", report_langs[i], cs ? "" : err);
		if (cs && en)
			check_countries_lang(cs, en, report_langs[i], lines, i == 0);
		report_countries_free(cs);
	}
	report_countries_free(en);
	check_countries_in_lang();
	check_countries_refused();
}

int main(void)
{
	const char *src = getenv("TLSMAP_SRCDIR");

	snprintf(dir, sizeof(dir), "%s/share/report", src ? src : ".");
	check_all_languages();
	check_refused();
	check_formats();
	check_countries();
	printf("report languages: %s\n", failures ? "FAIL" : "ok");
	return failures != 0;
}
