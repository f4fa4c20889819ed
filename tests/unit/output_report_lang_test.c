/* SPDX-License-Identifier: MIT */
/*
 * The report's languages (output/report_lang.h, share/report/LANG.tsv):
 * every language of report_langs loads, i.e. has every key of the page
 * exactly once, no key the page does not know, and only the placeholders
 * its key takes, each used; share/report holds no other language file;
 * broken files are refused with file, line and reason; numbers and dates
 * come out as each language writes them (1,234.5 and 2026-01-05 in
 * English; 1 234,5 and 05.01.2026 in Russian and Kazakh).
 */
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

		if (len < 5 || strcmp(de->d_name + len - 4, ".tsv"))
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

int main(void)
{
	const char *src = getenv("TLSMAP_SRCDIR");

	snprintf(dir, sizeof(dir), "%s/share/report", src ? src : ".");
	check_all_languages();
	check_refused();
	check_formats();
	printf("report languages: %s\n", failures ? "FAIL" : "ok");
	return failures != 0;
}
