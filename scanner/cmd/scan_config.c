/* SPDX-License-Identifier: MIT */
/*
 * `tlsmap scan` options: one getopt_long table, parsed into struct
 * scan_config and validated completely before the engine starts, because a
 * scan that starts with a mistyped interface, MAC or target list either
 * fails after seconds of EAL start-up or, worse, sends packets somewhere
 * unintended. Every error is one line naming the option and the text, and
 * exit status 2.
 */
#include "scanner/cmd/scan_config.h"

#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "dpdk/pkt.h"
#include "geo/geo.h"
#include "parsers/x509.h"
#include "scanner/cmd/cli.h"
#include "scanner/cmd/config_file.h"
#include "scanner/core/sweep.h"

const char scan_usage_text[] =
	"usage: tlsmap scan [TARGETS...] -p PORT[,PORT] -i IFACE --source-ip IP\n"
	"                   (--gateway-ip IP | -G MAC) [options]\n"
	"Targets: addresses, CIDRs (198.18.0.0/24) or ranges (a.b.c.d-e.f.g.h).\n"
	"  -p, --target-ports LIST  ports: 443 or 80,443 or 8000-8010 (repeatable)\n"
	"  -w, --allowlist-file F   targets from a file, one spec per line\n"
	"  -b, --blocklist-file F   blocklist (replaces the built-in IANA special-purpose list)\n"
	"      --allow-reserved     drop the built-in blocklist (lab use: 198.18.0.0/15)\n"
	"  -i, --iface IFACE        kernel interface (net_af_packet), xdp:IF (net_af_xdp),\n"
	"                           pci:BDF (vfio-pci NIC) or a DPDK vdev string net_...\n"
	"      --source-ip IP       the scanner's address (it answers ARP for it)\n"
	"      --source-port A[-B]  sweep source ports (default 32768-47999; the TLS stage's\n"
	"                           connections use 48000-64999)\n"
	"      --gateway-ip IP      next hop, resolved by ARP at start\n"
	"  -G, --gateway-mac MAC    next hop MAC (no ARP)\n"
	"  -T, --lcores LIST        DPDK lcores, >= 2 (TX, RX, then workers): a CPU list (0-3)\n"
	"                           or lcore@cpu pairs (0@0,1@1,2@1); default: all allowed CPUs\n"
	"      --seed N             permutation seed (and cookie key); default random\n"
	"      --shards N --shard I split the permutation; I in [0, N)\n"
	"  -n, --max-targets N      send at most N (address, port) probes\n"
	"  -P, --probes N           SYNs per target, back to back (default 1; 2 rides out loss)\n"
	"  -r, --rate PPS           packets per second (default 10000; k/M/G suffixes)\n"
	"  -B, --bandwidth BPS      bits per second on the wire (k/M/G), instead of -r\n"
	"  -c, --cooldown S         wait S seconds for late replies (default 2)\n"
	"      --sweep-retries N    send the SYN again, up to N times, to targets that stayed\n"
	"                           silent in a /24 where 8 or more answered (a busy\n"
	"                           server's full listen queue drops SYNs); after 1 s,\n"
	"                           doubling, at -r; a pass that got back under 1% of\n"
	"                           what it sent is the last (default 4; 0: never)\n"
	"      --syn-only           port scan only: a Probe per answering target\n"
	"                           (targets that never answered get no record)\n"
	"  -o, --output FILE        dataset file (.tlsmap; .tlsmap.zst: zstd-compressed);\n"
	"                           syn-only without -o prints ip:port\n"
	"      --status-json FILE   machine-readable status, rewritten each second\n"
	"      --vantage LABEL      name of this scanning point, in every record\n"
	"      --user NAME          once the port is up and the files are open, run as NAME\n"
	"                           with only CAP_NET_RAW and CAP_NET_ADMIN (docs/privileges.md)\n"
	"  -v, --verbose            DPDK log at info level\n"
	"TLS stage (skipped with --syn-only):\n"
	"      --sni DOMAIN         a test SNI (repeatable)\n"
	"      --sni-file F         test SNIs, one per line (default: share/sni-kz2019.txt,\n"
	"                           the 37 domains forged in Kazakhstan in 2019)\n"
	"      --control-sni D      the innocuous name whose chain is the host's own\n"
	"                           (default: a fresh random name per scan)\n"
	"      --roots PEM          trust anchors (default: the system store)\n"
	"      --interceptors F     more known-interceptor entries, added to the built-in\n"
	"                           share/interceptors.tsv (repeatable; docs/interceptors.md)\n"
	"      --eligible trusted|any  test SNIs only for hosts whose own chain verifies\n"
	"                           (default trusted, as in the 2019 study) or for all\n"
	"      --tls13              every probe through OpenSSL, offering TLS 1.3\n"
	"      --max-connections N  ceiling of the connections in flight (default 65536); the\n"
	"                           stage adapts below it (AIMD), backing off when timeouts,\n"
	"                           resets or unanswered SYNs rise\n"
	"      --net-max-connections N  per destination /24, in flight (default 32)\n"
	"      --net-rate N         per destination /24, new connections per second\n"
	"                           (default 100; 0: no limit)\n"
	"      --max-attempts N     connections for a probe that load may have failed (RST,\n"
	"                           no SYN-ACK, or nothing received), 1-8 (default 3)\n"
	"      --retry-delay S      wait before the 2nd attempt, doubling (default 2)\n"
	"      --connect-timeout S  SYN to SYN-ACK, with retransmission (default 5)\n"
	"      --read-timeout S     ClientHello to complete chain (default 10)\n"
	"      --max-flight-bytes N server flight cap (default 131072)\n"
	"      --rx-budget BYTES    receive buffers of all connections together (k/M/G\n"
	"                           suffixes; default min(physical memory / 8, 2 GiB)); when\n"
	"                           it is near, new connections wait\n"
	"      --no-localize        no TTL-limited ClientHellos to place forged chains on the "
	"path\n"
	"      --localize-per-group N  localise at most N probes per (network, forging issuer)\n"
	"                           group (default 5)\n"
	"Geolocation and targets by country:\n"
	"      --geo-db F --asn-db F  MaxMind DBs (default: data/geo/country.mmdb, asn.mmdb)\n"
	"      --country CC[,CC]    targets: every IPv4 prefix of these countries (repeatable)\n"
	"      --dry-run            print the prefix and address counts, send nothing;\n"
	"                           with -o, write only the ScanMeta the scan would write\n"
	"      --resume             with -o FILE: keep FILE.checkpoint and, when run again,\n"
	"                           continue from it (docs/cluster.md, \"Resume\")\n"
	"  -C, --config FILE        options from FILE, one 'long-name = value' per line\n"
	"                           (docs/cluster.md); the command line overrides it\n"
	"  -h, --help               this text\n"
	"-p, --sni and --country accumulate when repeated; any other flag given twice is\n"
	"an error.\n";

enum {
	OPT_SOURCE_IP = 256,
	OPT_SOURCE_PORT,
	OPT_GATEWAY_IP,
	OPT_ALLOW_RESERVED,
	OPT_SEED,
	OPT_SHARDS,
	OPT_SHARD,
	OPT_SYN_ONLY,
	OPT_STATUS_JSON,
	OPT_VANTAGE,
	OPT_USER,
	/* TLS stage block */
	OPT_SNI,
	OPT_SNI_FILE,
	OPT_CONTROL_SNI,
	OPT_ROOTS,
	OPT_ELIGIBLE,
	OPT_TLS13,
	OPT_MAX_CONNECTIONS,
	OPT_CONNECT_TIMEOUT,
	OPT_READ_TIMEOUT,
	OPT_MAX_FLIGHT_BYTES,
	OPT_NET_MAX_CONNECTIONS,
	OPT_NET_RATE,
	OPT_MAX_ATTEMPTS,
	OPT_RETRY_DELAY,
	OPT_SWEEP_RETRIES,
	OPT_NO_LOCALIZE,
	OPT_LOCALIZE_PER_GROUP,
	OPT_INTERCEPTORS,
	OPT_RX_BUDGET,
	OPT_GEO_DB,
	OPT_ASN_DB,
	OPT_COUNTRY,
	OPT_DRY_RUN,
	OPT_RESUME,
};

static const struct option scan_opts[] = {
	{"target-ports", required_argument, NULL, 'p'},
	{"allowlist-file", required_argument, NULL, 'w'},
	{"blocklist-file", required_argument, NULL, 'b'},
	{"allow-reserved", no_argument, NULL, OPT_ALLOW_RESERVED},
	{"iface", required_argument, NULL, 'i'},
	{"source-ip", required_argument, NULL, OPT_SOURCE_IP},
	{"source-port", required_argument, NULL, OPT_SOURCE_PORT},
	{"gateway-ip", required_argument, NULL, OPT_GATEWAY_IP},
	{"gateway-mac", required_argument, NULL, 'G'},
	{"lcores", required_argument, NULL, 'T'},
	{"seed", required_argument, NULL, OPT_SEED},
	{"shards", required_argument, NULL, OPT_SHARDS},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"max-targets", required_argument, NULL, 'n'},
	{"probes", required_argument, NULL, 'P'},
	{"rate", required_argument, NULL, 'r'},
	{"bandwidth", required_argument, NULL, 'B'},
	{"cooldown", required_argument, NULL, 'c'},
	{"syn-only", no_argument, NULL, OPT_SYN_ONLY},
	{"output", required_argument, NULL, 'o'},
	{"status-json", required_argument, NULL, OPT_STATUS_JSON},
	{"vantage", required_argument, NULL, OPT_VANTAGE},
	{"user", required_argument, NULL, OPT_USER},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"config", required_argument, NULL, 'C'}, /* expanded by cfgfile_expand() */
	/* --- TLS stage block --- */
	{"sni", required_argument, NULL, OPT_SNI},
	{"sni-file", required_argument, NULL, OPT_SNI_FILE},
	{"control-sni", required_argument, NULL, OPT_CONTROL_SNI},
	{"roots", required_argument, NULL, OPT_ROOTS},
	{"eligible", required_argument, NULL, OPT_ELIGIBLE},
	{"tls13", no_argument, NULL, OPT_TLS13},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"read-timeout", required_argument, NULL, OPT_READ_TIMEOUT},
	{"max-flight-bytes", required_argument, NULL, OPT_MAX_FLIGHT_BYTES},
	{"net-max-connections", required_argument, NULL, OPT_NET_MAX_CONNECTIONS},
	{"net-rate", required_argument, NULL, OPT_NET_RATE},
	{"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
	{"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
	{"sweep-retries", required_argument, NULL, OPT_SWEEP_RETRIES},
	{"no-localize", no_argument, NULL, OPT_NO_LOCALIZE},
	{"localize-per-group", required_argument, NULL, OPT_LOCALIZE_PER_GROUP},
	{"interceptors", required_argument, NULL, OPT_INTERCEPTORS},
	{"rx-budget", required_argument, NULL, OPT_RX_BUDGET},
	{"geo-db", required_argument, NULL, OPT_GEO_DB},
	{"asn-db", required_argument, NULL, OPT_ASN_DB},
	{"country", required_argument, NULL, OPT_COUNTRY},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"resume", no_argument, NULL, OPT_RESUME},
	/* --- end of TLS stage block --- */
	{NULL, 0, NULL, 0},
};

#define CMD "scan"
#define SCAN_SHORTOPTS "p:w:b:i:G:T:n:P:r:B:c:o:vhC:"

/* options that exclude each other: one on the command line drops the others from -C */
static const char *const scan_alternatives[] = {"rate bandwidth", "sni sni-file", NULL};

static int bad(const char *opt, const char *val, const char *why)
{
	cli_usage_error(CMD, "invalid value for %s: '%s' (%s)", opt, val, why);
	return CLI_EUSAGE;
}

static int parse_ip(const char *opt, const char *s, uint32_t *out)
{
	if (tgt_parse_ip(s, out) != 0)
		return bad(opt, s, "expected an IPv4 address a.b.c.d");
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
				      &v[4], &v[5], &tail) != 6)
		return bad("-G/--gateway-mac", s, "expected a MAC like 02:00:00:00:00:01");
	for (int k = 0; k < 6; k++) {
		if (!strchr("0123456789abcdefABCDEF", s[3 * k]) ||
		    !strchr("0123456789abcdefABCDEF", s[3 * k + 1]))
			return bad("-G/--gateway-mac", s, "expected a MAC like 02:00:00:00:00:01");
		mac[k] = (uint8_t)v[k];
	}
	if (mac[0] & 1)
		return bad("-G/--gateway-mac", s, "a multicast/broadcast MAC cannot be a gateway");
	return 0;
}

static int parse_port(const char *opt, const char *s, uint16_t *out)
{
	uint64_t v;

	if (cli_parse_u64(CMD, opt, s, 1, 65535, false, &v))
		return CLI_EUSAGE;
	*out = (uint16_t)v;
	return 0;
}

/* "A" or "A-B" into [lo, hi] */
static int parse_port_range(const char *opt, const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[32];
	char *dash;

	if (strlen(s) >= sizeof(buf))
		return bad(opt, s, "expected PORT or PORT-PORT");
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_port(opt, buf, lo))
		return CLI_EUSAGE;
	if (!dash) {
		*hi = *lo;
		return 0;
	}
	if (parse_port(opt, dash + 1, hi))
		return CLI_EUSAGE;
	if (*hi < *lo)
		return bad(opt, s, "range is backwards");
	return 0;
}

/* -p accumulates: each LIST adds its ports after those of earlier -p flags. */
static int parse_ports(struct scan_config *c, const char *s)
{
	char *copy = strdup(s), *save = NULL, *tok;
	uint8_t *seen = calloc(65536, 1);
	int ret = 0;

	if (!c->ports) {
		c->ports = calloc(65536, sizeof(*c->ports));
		c->nports = 0;
		c->ports_text = s;
	}
	if (!copy || !seen || !c->ports) {
		ret = bad("-p", s, "out of memory");
		goto out;
	}
	for (unsigned k = 0; k < c->nports; k++)
		seen[c->ports[k]] = 1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint16_t lo, hi;
		if (parse_port_range("-p", tok, &lo, &hi)) {
			ret = CLI_EUSAGE;
			goto out;
		}
		for (uint32_t p = lo; p <= hi; p++)
			if (!seen[p]) {
				seen[p] = 1;
				c->ports[c->nports++] = (uint16_t)p;
			}
	}
	if (!c->nports)
		ret = bad("-p", s, "no port given");
out:
	free(copy);
	free(seen);
	return ret;
}

static int push_str(const char ***arr, size_t *n, const char *s)
{
	const char **a = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!a)
		return -1;
	a[(*n)++] = s;
	*arr = a;
	return 0;
}

/* The interface must exist before we spend seconds starting DPDK on it. */
static int check_iface(const char *i)
{
	char path[300];
	struct stat st;
	const char *name = i;

	if (!*i)
		return bad("-i", i, "empty interface");
	if (strncmp(i, "net_", 4) == 0)
		return 0; /* a DPDK vdev string: the EAL checks it */
	if (strncmp(i, "pci:", 4) == 0) {
		unsigned d, b, s, f;
		char tail;
		if (sscanf(i + 4, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) != 4 &&
		    sscanf(i + 4, "%x:%x.%x%c", &b, &s, &f, &tail) != 3)
			return bad("-i", i, "expected pci:0000:01:00.0");
		return 0;
	}
	if (strncmp(i, "xdp:", 4) == 0)
		name = i + 4;
	if (strlen(name) > 15 || strchr(name, '/') || !*name || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return bad("-i", i, "not an interface name");
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if (stat(path, &st) != 0)
		return bad("-i", i,
			   "no such network interface here (a DPDK vdev must start with net_)");
	return 0;
}

/* Which built-in entry holds ip, as "198.18.0.0/15 (RFC 2544 benchmarking)". */
static void blocked_by(uint32_t ip, char *out, size_t cap)
{
	size_t n;
	const struct blk_entry *t = blk_iana_table(&n);
	char buf[16];

	snprintf(out, cap, "the blocklist");
	for (size_t k = 0; k < n; k++) {
		uint32_t mask = t[k].len ? ~0u << (32 - t[k].len) : 0;
		if ((ip & mask) == t[k].net) {
			snprintf(out, cap, "%s/%u is reserved (%s, %s)", tgt_ip_str(t[k].net, buf),
				 t[k].len, t[k].rfc, t[k].name);
			return;
		}
	}
}

static void add_range_cb(void *arg, uint32_t first, uint32_t last)
{
	struct tgt_set *s = arg;

	if (tgt_set_add_range(s, first, last) != 0)
		abort(); /* out of memory while expanding a country: nothing sensible to do */
}

/*
 * --country CC[,CC]: walk the country database's search tree for each code
 * (geo_country_ranges) into one set. With -w as well, the allowlist narrows
 * the countries' ranges (ZMap's allowlist semantics); the blocklist is
 * applied afterwards, like for every other target.
 */
static int add_countries(struct scan_config *c)
{
	char path[4096], err[512];
	const char *db = c->geo_db;
	struct tgt_set *cs = NULL, *allow = NULL;
	struct geo *g = NULL;
	int ret = CLI_EUSAGE;

	if (!db)
		db = geo_default_path("country", path, sizeof(path));
	g = geo_open(db, NULL, err, sizeof(err));
	if (!g) {
		cli_usage_error(CMD, "--country needs a country database (--geo-db): %s", err);
		goto out;
	}
	cs = tgt_set_new();
	if (!cs)
		goto out;
	for (size_t k = 0; k < c->ncountries; k++) {
		long n = geo_country_ranges(g, c->countries[k], add_range_cb, cs);
		if (n < 0) {
			cli_usage_error(CMD, "--country %s: cannot read %s", c->countries[k], db);
			goto out;
		}
		if (n == 0) {
			cli_usage_error(CMD, "--country %s: no IPv4 ranges in %s", c->countries[k],
					db);
			goto out;
		}
	}
	if (c->allowlist_file) {
		allow = tgt_set_new();
		if (!allow || tgt_set_add_file(allow, c->allowlist_file, err, sizeof(err)) != 0) {
			cli_usage_error(CMD, "-w %s", err);
			goto out;
		}
		tgt_set_intersect(cs, allow);
	}
	for (size_t k = 0; k < tgt_set_nranges(cs); k++) {
		uint32_t first, last;
		tgt_set_range(cs, k, &first, &last);
		tgt_set_add_range(c->targets, first, last);
	}
	ret = 0;
out:
	tgt_set_free(allow);
	tgt_set_free(cs);
	if (g)
		geo_close(g);
	return ret;
}

static int build_targets(struct scan_config *c)
{
	char err[512], why[256], buf[16];
	uint64_t before;

	c->targets = tgt_set_new();
	c->blocklist = tgt_set_new();
	if (!c->targets || !c->blocklist)
		return bad("targets", "", "out of memory");
	for (size_t k = 0; k < c->ntarget_specs; k++) {
		const char *s = c->target_specs[k];
		if (tgt_set_add_spec(c->targets, s) != 0) {
			const char *r = tgt_spec_error(s);
			cli_usage_error(CMD, "bad target '%s' (%s)", s,
					r ? r : "expected a.b.c.d, a.b.c.d/len or a.b.c.d-e.f.g.h");
			return CLI_EUSAGE;
		}
	}
	if (c->ncountries && add_countries(c) != 0)
		return CLI_EUSAGE;
	if (!c->ncountries && c->allowlist_file &&
	    tgt_set_add_file(c->targets, c->allowlist_file, err, sizeof(err)) != 0) {
		cli_usage_error(CMD, "-w %s", err);
		return CLI_EUSAGE;
	}
	if (c->blocklist_file) {
		if (blk_load(c->blocklist, c->blocklist_file, err, sizeof(err)) != 0) {
			cli_usage_error(CMD, "-b %s", err);
			return CLI_EUSAGE;
		}
	} else if (!c->allow_reserved) {
		tgt_set_free(c->blocklist);
		c->blocklist = blk_iana_default();
		if (!c->blocklist)
			return bad("targets", "", "out of memory");
	}
	tgt_set_sha256(c->blocklist, c->blocklist_sha256);
	before = tgt_set_count(c->targets);
	if (before == 0) {
		cli_usage_error(CMD, "no targets given (addresses, CIDRs, ranges or -w FILE)");
		return CLI_EUSAGE;
	}
	if (before) {
		uint32_t first = tgt_set_nth(c->targets, 0);
		tgt_set_subtract(c->targets, c->blocklist);
		if (tgt_set_count(c->targets) == 0) {
			if (c->blocklist_file)
				snprintf(why, sizeof(why), "%s is listed in -b %s",
					 tgt_ip_str(first, buf), c->blocklist_file);
			else
				blocked_by(first, why, sizeof(why));
			cli_usage_error(CMD, "all %llu targets are in the blocklist (%s%s)",
					(unsigned long long)before, why,
					c->blocklist_file ? ""
							  : ": pass --allow-reserved for a lab");
			return CLI_EUSAGE;
		}
	}
	c->naddrs = tgt_set_count(c->targets);
	c->npairs = c->naddrs * c->nports;
	return 0;
}

/*
 * Numeric options that only store a bounded value: policy as a table, so a
 * new limit is a row, not a case. Seconds options take cli_parse_seconds()'s
 * syntax; the others cli_parse_u64()'s (k/M/G suffixes where `suffix`).
 */
enum num_kind { NUM_U64, NUM_U32, NUM_UNSIGNED, NUM_SECONDS };

struct num_opt {
	int opt;
	const char *name;
	enum num_kind kind;
	uint64_t min, max; /* seconds: max only (0: none) */
	bool suffix;
	size_t offset; /* of the field in struct scan_config */
};

#define NUM(o, n, k, lo, hi, sfx, field)                                                           \
	{                                                                                          \
		o, n, k, lo, hi, sfx, offsetof(struct scan_config, field)                          \
	}
static const struct num_opt num_opts[] = {
	NUM(OPT_SEED, "--seed", NUM_U64, 0, UINT64_MAX, false, seed),
	NUM('n', "--max-targets", NUM_U64, 1, UINT64_MAX, true, max_targets),
	NUM('P', "--probes", NUM_UNSIGNED, 1, 16, false, probes),
	NUM('c', "--cooldown", NUM_SECONDS, 0, 0, false, cooldown_s),
	NUM(OPT_LOCALIZE_PER_GROUP, "--localize-per-group", NUM_U64, 1, 1000000, false,
	    localize_per_group),
	NUM(OPT_MAX_CONNECTIONS, "--max-connections", NUM_U64, 1, 1ULL << 26, true,
	    max_connections),
	NUM(OPT_CONNECT_TIMEOUT, "--connect-timeout", NUM_SECONDS, 0, 0, false, connect_timeout_s),
	NUM(OPT_READ_TIMEOUT, "--read-timeout", NUM_SECONDS, 0, 0, false, read_timeout_s),
	NUM(OPT_MAX_FLIGHT_BYTES, "--max-flight-bytes", NUM_U64, 1024, 64ULL << 20, true,
	    max_flight_bytes),
	NUM(OPT_RX_BUDGET, "--rx-budget", NUM_U64, 64 * 1024, 1ULL << 50, true, rx_budget),
	NUM(OPT_NET_MAX_CONNECTIONS, "--net-max-connections", NUM_U64, 1, 1ULL << 20, true,
	    net_max_connections),
	NUM(OPT_NET_RATE, "--net-rate", NUM_U64, 0, 1000000000ULL, true, net_rate),
	NUM(OPT_MAX_ATTEMPTS, "--max-attempts", NUM_U32, 1, 8, false, max_attempts),
	NUM(OPT_RETRY_DELAY, "--retry-delay", NUM_SECONDS, 0, 600, false, retry_delay_s),
	NUM(OPT_SWEEP_RETRIES, "--sweep-retries", NUM_UNSIGNED, 0, 8, false, sweep_retries),
};
#undef NUM

/* 0 and the value stored, 1 when @opt is no row of num_opts, or CLI_EUSAGE. */
static int parse_num_opt(struct scan_config *c, int opt, const char *arg)
{
	for (size_t k = 0; k < sizeof(num_opts) / sizeof(num_opts[0]); k++) {
		const struct num_opt *n = &num_opts[k];
		char *field = (char *)c + n->offset;
		uint64_t v;
		double s;

		if (n->opt != opt)
			continue;
		if (n->kind == NUM_SECONDS) {
			if (cli_parse_seconds(CMD, n->name, arg, &s))
				return CLI_EUSAGE;
			if (n->max && s > (double)n->max) {
				char why[64];
				snprintf(why, sizeof(why), "at most %llu seconds",
					 (unsigned long long)n->max);
				return bad(n->name, arg, why);
			}
			memcpy(field, &s, sizeof(s));
			return 0;
		}
		if (cli_parse_u64(CMD, n->name, arg, n->min, n->max, n->suffix, &v))
			return CLI_EUSAGE;
		if (n->kind == NUM_U64) {
			memcpy(field, &v, sizeof(v));
		} else if (n->kind == NUM_U32) {
			uint32_t v32 = (uint32_t)v; /* max <= UINT32_MAX in the table */
			memcpy(field, &v32, sizeof(v32));
		} else {
			unsigned vu = (unsigned)v;
			memcpy(field, &vu, sizeof(vu));
		}
		return 0;
	}
	return 1;
}

static const char *const eligible_names[] = {
	[SCAN_ELIGIBLE_TRUSTED] = "trusted",
	[SCAN_ELIGIBLE_ANY] = "any",
};

const char *scan_eligible_name(enum scan_eligible e)
{
	return (unsigned)e < sizeof(eligible_names) / sizeof(eligible_names[0]) ? eligible_names[e]
										: "?";
}

/* --country CC[,CC]: "KZ,RU" is "--country KZ --country RU"; each code is
 * copied (freed by scan_config_free). */
static int parse_countries(struct scan_config *c, const char *arg)
{
	for (const char *t = arg; *t;) {
		size_t len = strcspn(t, ",");
		char *code;
		if (len != 2)
			return bad("--country", arg,
				   "expected 2-letter ISO codes, comma separated");
		code = strndup(t, 2);
		if (!code || push_str(&c->countries, &c->ncountries, code)) {
			free(code);
			return bad("--country", arg, "out of memory");
		}
		t += len;
		if (*t == ',')
			t++;
	}
	return 0;
}

/* The values checked only after the loop, because they depend on each other. */
struct scan_texts {
	const char *rate, *bandwidth, *shard, *shards, *gw_ip, *src_ip;
};

/* One sweep, network or output option. 0, 1 when @opt is not one of them, or
 * CLI_EUSAGE. */
static int parse_sweep_opt(struct scan_config *c, struct scan_texts *t, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		return parse_ports(c, arg);
	case 'w':
		c->allowlist_file = arg;
		return 0;
	case 'b':
		c->blocklist_file = arg;
		return 0;
	case OPT_ALLOW_RESERVED:
		c->allow_reserved = true;
		return 0;
	case 'i':
		c->iface = arg;
		return 0;
	case OPT_SOURCE_IP:
		t->src_ip = arg;
		return 0;
	case OPT_SOURCE_PORT:
		return parse_port_range("--source-port", arg, &c->sport_lo, &c->sport_hi);
	case OPT_GATEWAY_IP:
		t->gw_ip = arg;
		return 0;
	case 'G':
		c->have_gw_mac = true;
		return parse_mac(arg, c->gw_mac);
	case 'T':
		c->lcores = arg;
		return 0;
	case OPT_SHARDS:
		t->shards = arg;
		return 0;
	case OPT_SHARD:
		t->shard = arg;
		return 0;
	case 'r':
		t->rate = arg;
		return 0;
	case 'B':
		t->bandwidth = arg;
		return 0;
	case OPT_SYN_ONLY:
		c->syn_only = true;
		return 0;
	case 'o':
		c->output = arg;
		return 0;
	case OPT_STATUS_JSON:
		c->status_json = arg;
		return 0;
	case OPT_VANTAGE:
		c->vantage = arg;
		return 0;
	case OPT_USER:
		c->user = arg;
		return 0;
	case 'v':
		c->verbose = true;
		return 0;
	case 'C':
		return 0; /* already expanded */
	}
	return 1;
}

/* One TLS stage or geolocation option: 0, 1 when @opt is not one, or CLI_EUSAGE. */
static int parse_tls_opt(struct scan_config *c, int opt, const char *arg)
{
	size_t k;

	switch (opt) {
	case OPT_SNI:
		if (!*arg)
			return bad("--sni", arg, "empty name");
		if (push_str(&c->snis, &c->nsnis, arg))
			return bad("--sni", arg, "out of memory");
		return 0;
	case OPT_SNI_FILE:
		c->sni_file = arg;
		return 0;
	case OPT_CONTROL_SNI:
		c->control_sni = arg;
		return 0;
	case OPT_ROOTS:
		c->roots = arg;
		return 0;
	case OPT_ELIGIBLE:
		for (k = 0; k < sizeof(eligible_names) / sizeof(eligible_names[0]); k++)
			if (strcmp(arg, eligible_names[k]) == 0) {
				c->eligible = (enum scan_eligible)k;
				return 0;
			}
		return bad("--eligible", arg, "expected trusted or any");
	case OPT_TLS13:
		c->tls13 = true;
		return 0;
	case OPT_NO_LOCALIZE:
		c->no_localize = true;
		return 0;
	case OPT_INTERCEPTORS:
		if (push_str(&c->interceptor_files, &c->ninterceptor_files, arg))
			return bad("--interceptors", arg, "out of memory");
		return 0;
	case OPT_GEO_DB:
		c->geo_db = arg;
		return 0;
	case OPT_ASN_DB:
		c->asn_db = arg;
		return 0;
	case OPT_COUNTRY:
		return parse_countries(c, arg);
	case OPT_DRY_RUN:
		c->dry_run = true;
		return 0;
	case OPT_RESUME:
		c->resume = true;
		return 0;
	}
	return 1;
}

/* Every default in one place; scan_usage_text states the same numbers. */
static void scan_config_defaults(struct scan_config *c)
{
	c->shards = 1;
	c->probes = 1;
	c->cooldown_s = SCAN_DEFAULT_COOLDOWN;
	c->rate_pps = SCAN_DEFAULT_RATE;
	c->sport_lo = SCAN_SWEEP_SPORT_LO;
	c->sport_hi = SCAN_SWEEP_SPORT_HI;
	c->tcp_sport_lo = SCAN_TCP_SPORT_LO;
	c->tcp_sport_hi = SCAN_TCP_SPORT_HI;
	c->vantage = "";
	c->eligible = SCAN_ELIGIBLE_TRUSTED;
	c->max_connections = 65536;
	c->localize_per_group = 5;
	c->connect_timeout_s = 5;
	c->read_timeout_s = 10;
	c->max_flight_bytes = 128 * 1024;
	c->net_max_connections = 32;
	c->net_rate = 100;
	c->max_attempts = 3;
	c->retry_delay_s = 2;
	c->sweep_retries = 4;
}

/*
 * -C FILE's options go before the command line's, which override them; the
 * merged command line is kept as typed (getopt_long permutes argv) for
 * ScanMeta, and must be UTF-8: it goes into proto3 string fields, and a
 * dataset that protobuf decoders reject is worse than refusing here.
 */
static int scan_config_argv(struct scan_config *c, int argc, char **argv)
{
	if (cfgfile_expand(CMD, scan_opts, SCAN_SHORTOPTS, scan_alternatives, "sweep.", argc, argv,
			   &c->cfgfile))
		return CLI_EUSAGE;
	argc = c->cfgfile.argc;
	argv = c->cfgfile.argv;
	c->argc = argc;
	c->argv = malloc(((size_t)argc + 1) * sizeof(*c->argv));
	if (!c->argv)
		return bad("arguments", "", "out of memory");
	memcpy(c->argv, argv, ((size_t)argc + 1) * sizeof(*c->argv));
	for (int k = 1; k < argc; k++)
		if (!x509_text_is_utf8((const uint8_t *)argv[k], strlen(argv[k]))) {
			cli_usage_error(CMD, "argument %d ('%s') is not valid UTF-8", k, argv[k]);
			return CLI_EUSAGE;
		}
	return 0;
}

/* The option loop: 0, 1 after --help, or CLI_EUSAGE. */
static int scan_config_options(struct scan_config *c, struct scan_texts *t)
{
	/* flags that accumulate; any other flag given twice is an error */
	static const int lists[] = {'p', OPT_SNI, OPT_COUNTRY, OPT_INTERCEPTORS, 0};
	struct cli_getopt g = {
		.cmd = CMD, .shortopts = SCAN_SHORTOPTS, .longopts = scan_opts, .lists = lists};
	int argc = c->cfgfile.argc, opt, ret;
	char **argv = c->cfgfile.argv;

	while ((opt = cli_getopt(&g, argc, argv)) != -1) {
		if (opt == CLI_OPT_REPEATED)
			return CLI_EUSAGE;
		if (opt == 'h') {
			fputs(scan_usage_text, stdout);
			return 1;
		}
		ret = parse_num_opt(c, opt, optarg);
		if (ret == 1)
			ret = parse_sweep_opt(c, t, opt, optarg);
		if (ret == 1)
			ret = parse_tls_opt(c, opt, optarg);
		if (ret == 1)
			return cli_bad_option(CMD, argc, argv);
		if (ret)
			return ret;
		if (opt == OPT_SEED)
			c->seed_given = true;
	}
	c->target_specs = argv + optind;
	c->ntarget_specs = (size_t)(argc - optind);
	return 0;
}

/* -p, -i, --source-ip, and a next hop; --dry-run needs only -p. */
static int check_required(struct scan_config *c, const struct scan_texts *t)
{
	int ret;

	if (!c->nports) {
		cli_usage_error(CMD, "-p PORT is required");
		return CLI_EUSAGE;
	}
	/* --dry-run only reports the target set: it needs no interface or addresses */
	if (!c->dry_run || c->iface) {
		if (!c->iface) {
			cli_usage_error(CMD, "-i IFACE is required");
			return CLI_EUSAGE;
		}
		if ((ret = check_iface(c->iface)))
			return ret;
	}
	if (t->src_ip && (ret = parse_ip("--source-ip", t->src_ip, &c->src_ip)))
		return ret;
	if (t->gw_ip && (ret = parse_ip("--gateway-ip", t->gw_ip, &c->gw_ip)))
		return ret;
	if (!c->dry_run && !t->src_ip) {
		cli_usage_error(CMD, "--source-ip IP is required");
		return CLI_EUSAGE;
	}
	if (!c->dry_run && !t->gw_ip && !c->have_gw_mac) {
		cli_usage_error(CMD, "--gateway-ip IP or -G MAC is required");
		return CLI_EUSAGE;
	}
	return 0;
}

/* -r or -B (one of them), --shards and --shard below it. */
static int check_rate_shards(struct scan_config *c, const struct scan_texts *t)
{
	uint64_t v;

	if (t->rate && t->bandwidth) {
		cli_usage_error(CMD, "give -r or -B, not both");
		return CLI_EUSAGE;
	}
	if (t->rate) {
		if (cli_parse_u64(CMD, "-r/--rate", t->rate, 1, 1000000000ULL, true, &v))
			return CLI_EUSAGE;
		c->rate_pps = v;
	}
	if (t->bandwidth) {
		if (cli_parse_u64(CMD, "-B/--bandwidth", t->bandwidth, 1000, 1000000000000ULL, true,
				  &v))
			return CLI_EUSAGE;
		c->bandwidth_bps = v;
		c->rate_pps = rate_pps_from_bps(v, 60);
	}
	if (t->shards) {
		if (cli_parse_u64(CMD, "--shards", t->shards, 1, 65535, false, &v))
			return CLI_EUSAGE;
		c->shards = (uint32_t)v;
	}
	if (t->shard) {
		if (cli_parse_u64(CMD, "--shard", t->shard, 0, UINT32_MAX, false, &v))
			return CLI_EUSAGE;
		if (v >= c->shards) {
			cli_usage_error(
				CMD, "--shard %s must be below --shards %u (shards count from 0)",
				t->shard, c->shards);
			return CLI_EUSAGE;
		}
		c->shard = (uint32_t)v;
	}
	return 0;
}

/* Options that exclude each other or bound each other. */
static int check_conflicts(const struct scan_config *c)
{
	/* source ports: the sweep's range must not overlap the TLS stage's */
	if (!c->syn_only && !(c->sport_hi < c->tcp_sport_lo || c->sport_lo > c->tcp_sport_hi)) {
		cli_usage_error(CMD,
				"--source-port %u-%u overlaps the TLS stage's ports %u-%u (use "
				"ports below %u)",
				c->sport_lo, c->sport_hi, c->tcp_sport_lo, c->tcp_sport_hi,
				c->tcp_sport_lo);
		return CLI_EUSAGE;
	}
	if (c->nsnis && c->sni_file) {
		cli_usage_error(CMD, "give --sni or --sni-file, not both");
		return CLI_EUSAGE;
	}
	return 0;
}

/* The seed and the cookie key: random, or derived from --seed for reruns. */
static int make_keys(struct scan_config *c)
{
	if (c->seed_given) {
		pkt_cookie_key_from_seed(c->seed, c->cookie_key);
		return 0;
	}
	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed) ||
	    getrandom(c->cookie_key, sizeof(c->cookie_key), 0) != sizeof(c->cookie_key)) {
		cli_usage_error(CMD, "getrandom failed: %s", strerror(errno));
		return CLI_EUSAGE;
	}
	return 0;
}

int scan_config_parse(struct scan_config *c, int argc, char **argv)
{
	struct scan_texts t = {0};
	int ret;

	memset(c, 0, sizeof(*c));
	scan_config_defaults(c);
	if ((ret = scan_config_argv(c, argc, argv)) || (ret = scan_config_options(c, &t)) ||
	    (ret = check_required(c, &t)) || (ret = check_rate_shards(c, &t)) ||
	    (ret = check_conflicts(c)) || (ret = make_keys(c)))
		return ret;
	/* TLS stage block: SNI list and control SNI, before ScanMeta is written */
	if ((ret = scan_config_tls_resolve(c)) != 0)
		return ret;
	return build_targets(c);
}

void scan_config_free(struct scan_config *c)
{
	tgt_set_free(c->targets);
	tgt_set_free(c->blocklist);
	free(c->ports);
	free(c->snis);
	free(c->sni_blob); /* TLS stage block */
	free(c->interceptor_files);
	icpt_list_free(c->icpt);
	for (size_t k = 0; k < c->ncountries; k++)
		free((char *)c->countries[k]);
	free(c->countries);
	free(c->argv);
	cfgfile_free(&c->cfgfile);
	memset(c, 0, sizeof(*c));
}
