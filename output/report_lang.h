/* SPDX-License-Identifier: MIT */
/*
 * The report's words, in one file per language (share/report/LANG.tsv:
 * `key<TAB>text` lines, # comments): every text the page shows, and how
 * the language writes numbers and dates. The keys and the number of
 * arguments each text takes are fixed here, so a file that misses a key,
 * has one the page does not know, repeats one, or refers to an argument
 * the page does not give is refused at load (with file and line), and the
 * unit test loads every language. Texts are plain UTF-8: the writer
 * escapes them for HTML; {1}..{9} in a text are replaced by arguments the
 * page formats (numbers, names already escaped).
 */
#ifndef TLSMAP_OUTPUT_REPORT_LANG_H
#define TLSMAP_OUTPUT_REPORT_LANG_H

#include <stdint.h>
#include <stdio.h>

/* X(ENUM, "key", number of arguments) */
#define REPORT_KEYS(X)                                                                             \
	X(LANG_NAME, "lang.name", 0)                                                               \
	X(NUM_GROUP, "num.group", 0)                                                               \
	X(NUM_DECIMAL, "num.decimal", 0)                                                           \
	X(NUM_PERCENT, "num.percent", 1)                                                           \
	X(DATE_YMD, "date.ymd", 3)                                                                 \
	X(TITLE, "title", 0)                                                                       \
	X(LEDE, "lede", 3)                                                                         \
	X(LEDE_NO_TLS, "lede.no_tls", 0)                                                           \
	X(LEDE_PROBED, "lede.probed", 2)                                                           \
	X(LEDE_LATEST, "lede.latest", 2)                                                           \
	X(GENERATED, "generated", 1)                                                               \
	X(MORE, "more", 1)                                                                         \
	X(UNKNOWN, "unknown", 0)                                                                   \
	X(UNKNOWN_LOCATION, "unknown_location", 0)                                                 \
	X(UNKNOWN_NETWORK, "unknown_network", 0)                                                   \
	X(MAP_H, "map.h", 0)                                                                       \
	X(MAP_MISSING, "map.missing", 0)                                                           \
	X(MAP_TITLE, "map.title", 0)                                                               \
	X(MAP_TIP, "map.tip", 3)                                                                   \
	X(MAP_SMALL, "map.small", 0)                                                               \
	X(MAP_SMALL_NO_TLS, "map.small_no_tls", 0)                                                 \
	X(CLASS_0, "class.0", 0)                                                                   \
	X(CLASS_1, "class.1", 0)                                                                   \
	X(CLASS_2, "class.2", 0)                                                                   \
	X(CLASS_3, "class.3", 0)                                                                   \
	X(CLASS_4, "class.4", 0)                                                                   \
	X(CLASS_5, "class.5", 0)                                                                   \
	X(COUNTRIES_H, "countries.h", 0)                                                           \
	X(COUNTRIES_NOTE, "countries.note", 0)                                                     \
	X(COL_COUNTRY, "col.country", 0)                                                           \
	X(COL_HOSTS, "col.hosts", 0)                                                               \
	X(COL_TLS, "col.tls", 0)                                                                   \
	X(COL_INTERCEPTED, "col.intercepted", 0)                                                   \
	X(COL_RATE, "col.rate", 0)                                                                 \
	X(COL_CI, "col.ci", 0)                                                                     \
	X(COL_ISSUERS_HOSTS, "col.issuers_hosts", 0)                                               \
	X(COL_DOMAINS, "col.domains", 0)                                                           \
	X(ISSUERS_H, "issuers.h", 0)                                                               \
	X(ISSUERS_NONE, "issuers.none", 0)                                                         \
	X(COL_ISSUER, "col.issuer", 0)                                                             \
	X(COL_ISSUER_HOSTS, "col.issuer_hosts", 0)                                                 \
	X(COL_COUNTRIES_HOSTS, "col.countries_hosts", 0)                                           \
	X(COL_DOMAINS_HOSTS, "col.domains_hosts", 0)                                               \
	X(ASNS_H, "asns.h", 0)                                                                     \
	X(ASNS_NOTE, "asns.note", 0)                                                               \
	X(ASNS_NONE, "asns.none", 0)                                                               \
	X(COL_NETWORK, "col.network", 0)                                                           \
	X(COL_ISSUERS, "col.issuers", 0)                                                           \
	X(PATH_H, "path.h", 0)                                                                     \
	X(PATH_INTRO, "path.intro", 0)                                                             \
	X(PATH_NONE, "path.none", 0)                                                               \
	X(PATH_WHY, "path.why", 0)                                                                 \
	X(COL_ROUTER, "col.router", 0)                                                             \
	X(COL_ROUTER_CC, "col.router_cc", 0)                                                       \
	X(COL_ROUTER_AS, "col.router_as", 0)                                                       \
	X(COL_BEHIND, "col.behind", 0)                                                             \
	X(REASON_LOCALIZED, "reason.localized-before-server", 0)                                   \
	X(REASON_GROUP, "reason.group-localized-before-server", 0)                                 \
	X(REASON_ACROSS, "reason.issuer-forges-across-networks", 0)                                \
	X(REASON_SERVED, "reason.served-by-host", 0)                                               \
	X(REASON_UNSTABLE, "reason.unstable-host", 0)                                              \
	X(METHOD_H, "method.h", 0)                                                                 \
	X(METHOD_1, "method.1", 0)                                                                 \
	X(METHOD_2, "method.2", 0)                                                                 \
	X(METHOD_3, "method.3", 0)                                                                 \
	X(DATA_H, "data.h", 0)                                                                     \
	X(DATA_NOTE, "data.note", 0)                                                               \
	X(DATA_FILE, "data.file", 0)                                                               \
	X(DATA_RECORDS, "data.records", 0)                                                         \
	X(DATA_RECORDS_VAL, "data.records_val", 3)                                                 \
	X(DATA_NO_END, "data.no_end", 0)                                                           \
	X(DATA_BAD, "data.bad", 2)                                                                 \
	X(DATA_TOOL, "data.tool", 0)                                                               \
	X(DATA_VANTAGE, "data.vantage", 0)                                                         \
	X(DATA_STARTED, "data.started", 0)                                                         \
	X(DATA_ENDED, "data.ended", 0)                                                             \
	X(DATA_STOPPED, "data.stopped", 1)                                                         \
	X(DATA_TARGETS, "data.targets", 0)                                                         \
	X(DATA_COUNTRIES, "data.countries", 0)                                                     \
	X(DATA_PORTS, "data.ports", 0)                                                             \
	X(DATA_SNIS, "data.snis", 0)                                                               \
	X(DATA_CONTROL, "data.control", 0)                                                         \
	X(DATA_SEED, "data.seed", 0)                                                               \
	X(DATA_SEED_VAL, "data.seed_val", 3)                                                       \
	X(DATA_MERGED, "data.merged", 2)                                                           \
	X(DATA_ROOTS, "data.roots", 0)                                                             \
	X(DATA_GEO, "data.geo", 1)                                                                 \
	X(DATA_GEO_VAL, "data.geo_val", 2)                                                         \
	X(DATA_COUNTERS, "data.counters", 0)                                                       \
	X(DATA_COUNTERS_VAL, "data.counters_val", 4)                                               \
	X(FOOTER, "footer", 0)                                                                     \
	X(TIME_H, "time.h", 0)                                                                     \
	X(TIME_INTRO, "time.intro", 0)                                                             \
	X(TIME_CHART, "time.chart", 1)                                                             \
	X(TIME_NEVER, "time.never", 0)                                                             \
	X(COL_DATE, "col.date", 0)                                                                 \
	X(COL_VANTAGE, "col.vantage", 0)                                                           \
	X(TIME_SINCE, "time.since", 2)                                                             \
	X(TIME_NO_CHANGE, "time.no_change", 0)                                                     \
	X(TIME_NET_STOPPED, "time.net_stopped", 0)                                                 \
	X(TIME_NET_STARTED, "time.net_started", 0)                                                 \
	X(TIME_NET_UNMEASURED, "time.net_unmeasured", 0)                                           \
	X(TIME_HOST_STOPPED, "time.host_stopped", 0)                                               \
	X(TIME_HOST_STARTED, "time.host_started", 0)                                               \
	X(TIME_HOST_UNMEASURED, "time.host_unmeasured", 0)                                         \
	X(TIME_ISSUER_NEW, "time.issuer_new", 0)                                                   \
	X(TIME_ISSUER_VANISHED, "time.issuer_vanished", 0)                                         \
	X(VANT_H, "vant.h", 0)                                                                     \
	X(VANT_INTRO, "vant.intro", 0)                                                             \
	X(VANT_DATE, "vant.date", 1)                                                               \
	X(VANT_CELL, "vant.cell", 5)

enum report_key {
#define REPORT_KEY_ENUM(e, k, n) RK_##e,
	REPORT_KEYS(REPORT_KEY_ENUM)
#undef REPORT_KEY_ENUM
		RK_COUNT
};

/* The languages of share/report/ (--lang), "en" first. */
extern const char *const report_langs[];
/* "en, ru or kk", for messages. */
const char *report_langs_text(void);
/* True when @code is one of report_langs. */
int report_lang_known(const char *code);

struct report_lang;

/*
 * Load the texts of @path for language @code. Returns NULL with a message
 * naming the file (and line) in @err when the file cannot be read or is
 * not a complete, valid translation (see the top of this file).
 */
struct report_lang *report_lang_load(const char *path, const char *code, char *err, size_t errlen);
/* The same from an open stream (the caller closes it); @path names it in messages. */
struct report_lang *report_lang_load_stream(FILE *f, const char *path, const char *code, char *err,
					    size_t errlen);
void report_lang_free(struct report_lang *l);
const char *report_lang_code(const struct report_lang *l);
/* The raw text of @k (never NULL once loaded). */
const char *rl_str(const struct report_lang *l, enum report_key k);
const char *rl_key_name(enum report_key k);
unsigned rl_key_args(enum report_key k);

/*
 * Country names (share/report/countries.tsv): a header line `cc<TAB>en<TAB>
 * ru<TAB>kk` (a column per language of report_langs, each once, no other),
 * then one line per ISO 3166-1 alpha-2 code: the code (two capital
 * letters, each code once) and its name in every column, none empty, UTF-8
 * without control characters. Loaded for one language, keeping its names
 * and the English ones (the fallback); a file that breaks a rule is
 * refused with file, line and reason.
 */
#define REPORT_COUNTRIES_FILE "report/countries.tsv" /* in share/ */
struct report_countries;

struct report_countries *report_countries_load(const char *path, const char *code, char *err,
					       size_t errlen);
/* The same from an open stream (the caller closes it); @path names it in messages. */
struct report_countries *report_countries_load_stream(FILE *f, const char *path, const char *code,
						      char *err, size_t errlen);
void report_countries_free(struct report_countries *cs);
/* How many codes the file named. */
size_t report_countries_count(const struct report_countries *cs);
/* The name of @cc in the language, else in English; NULL for a code the file does not name. */
const char *report_countries_name(const struct report_countries *cs, const char *cc);
/* @l takes @cs (freed with @l), replacing and freeing the names it had. */
void report_lang_set_countries(struct report_lang *l, struct report_countries *cs);
/* The name of country @cc in @l's language (else English), NULL if unknown or none loaded. */
const char *rl_country(const struct report_lang *l, const char *cc);

/* HTML-escape @s onto @f (control characters become spaces). */
void rl_esc(FILE *f, const char *s);
/* @s escaped into @buf (cut to fit, never inside an entity); returns @buf. */
const char *rl_esc_buf(const char *s, char *buf, size_t len);
/* The text of @k, escaped, with {i} replaced by @args[i-1] as given (HTML). */
void rl_fmt(FILE *f, const struct report_lang *l, enum report_key k, const char *const *args,
	    size_t nargs);
#define rl_put(f, l, k) rl_fmt(f, l, k, NULL, 0)
#define rl_putf(f, l, k, ...)                                                                      \
	rl_fmt(f, l, k, (const char *const[]){__VA_ARGS__},                                        \
	       sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Numbers and dates as the language writes them (into @buf, returned). */
const char *rl_int(const struct report_lang *l, uint64_t v, char *buf, size_t len);
const char *rl_pct(const struct report_lang *l, double fraction, char *buf, size_t len);
/* @us: unix microseconds, UTC; @time: 0 date only, 1 HH:MM, 2 HH:MM:SS ("-" for 0). */
const char *rl_date(const struct report_lang *l, uint64_t us, int time, char *buf, size_t len);

#endif
