/* SPDX-License-Identifier: MIT */
/*
 * Everything `tlsmap scan` was told, parsed once from one getopt_long table
 * (scan_config.c) and validated before any packet can leave: interface,
 * addresses, MAC, ports, rate, shards, targets minus the blocklist. Const
 * after scan_config_parse() returns; stages read it, nobody writes it.
 *
 * Flag names follow ZMap (-p, -i, -G, -w, -b, -r, -B, --seed, --shards,
 * --shard, --cooldown-time is spelled --cooldown here, -o, -v).
 */
#ifndef TLSMAP_SCANNER_SCAN_CONFIG_H
#define TLSMAP_SCANNER_SCAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/interceptors.h"
#include "scanner/cmd/config_file.h"
#include "scanner/core/sweep.h"

#define SCAN_DEFAULT_RATE 10000	  /* packets/s, ZMap's default */
#define SCAN_DEFAULT_COOLDOWN 2.0 /* s; ZMap waits 8 s, 2 s suits a lab */
#define SCAN_SWEEP_SPORT_LO 32768 /* sweep source ports by default */
#define SCAN_SWEEP_SPORT_HI 47999
#define SCAN_TCP_SPORT_LO 48000 /* the TLS stage's connections */
#define SCAN_TCP_SPORT_HI 64999

/* --eligible: which hosts get the test SNIs after their control probe */
enum scan_eligible {
	SCAN_ELIGIBLE_TRUSTED, /* the host's own chain verifies (the 2019 study's rule) */
	SCAN_ELIGIBLE_ANY,     /* the control probe captured a chain */
};

/* "trusted" or "any", as given on the command line and written to ScanMeta. */
const char *scan_eligible_name(enum scan_eligible e);

struct scan_config {
	/* --- targets --- */
	char **target_specs; /* positional arguments (borrowed from argv) */
	size_t ntarget_specs;
	const char *allowlist_file; /* -w */
	const char *blocklist_file; /* -b: replaces the built-in IANA list */
	bool allow_reserved;	    /* no built-in blocklist */
	uint16_t *ports;	    /* -p, host order, in the order given, unique */
	unsigned nports;
	const char *ports_text;

	/* --- network --- */
	const char *iface; /* -i as given */
	uint32_t src_ip;   /* --source-ip, host order */
	uint32_t gw_ip;	   /* --gateway-ip, host order (0: none) */
	uint8_t gw_mac[6]; /* -G */
	bool have_gw_mac;
	uint16_t sport_lo, sport_hi; /* --source-port (sweep) */
	const char *lcores;	     /* -T/--lcores: EAL core list, NULL = all allowed */

	/* --- sweep --- */
	uint64_t seed;
	bool seed_given;
	uint8_t cookie_key[16]; /* from --seed (reproducible) or getrandom */
	uint32_t shard, shards;
	uint64_t max_targets;	/* 0: no cap */
	unsigned probes;	/* -P: SYNs per target (ZMap's --probes), default 1 */
	uint64_t rate_pps;	/* -r, or derived from -B */
	uint64_t bandwidth_bps; /* -B as given (0: not given) */
	double cooldown_s;
	unsigned sweep_retries; /* --sweep-retries: SYN again to silent targets of answering /24s */

	/* --- output --- */
	bool syn_only;
	const char *output; /* -o dataset; NULL: syn-only prints ip:port lines */
	const char *status_json;
	const char *vantage; /* "" when not given */
	const char *user;    /* --user NAME: drop to it once the port is up */
	bool verbose;

	/* --- TLS stage; parsed here, consumed by the TLS stage --- */
	const char **snis; /* --sni, repeatable */
	size_t nsnis;
	const char *sni_file;		/* --sni-file */
	const char *control_sni;	/* --control-sni; NULL: random label per scan */
	const char *roots;		/* --roots PEMFILE; NULL: system store */
	enum scan_eligible eligible;	/* --eligible trusted|any (default trusted) */
	bool tls13;			/* --tls13 */
	uint64_t max_connections;	/* --max-connections (default 65536) */
	double connect_timeout_s;	/* --connect-timeout (default 5) */
	double read_timeout_s;		/* --read-timeout (default 10) */
	uint64_t max_flight_bytes;	/* --max-flight-bytes (default 128 KiB) */
	const char **interceptor_files; /* --interceptors FILE, repeatable, in order */
	size_t ninterceptor_files;
	struct icpt_list *icpt;	      /* share/interceptors.tsv + those files (owned) */
	uint64_t rx_budget;	      /* --rx-budget; 0: min(physical memory / 8, 2 GiB) */
	uint64_t net_max_connections; /* --net-max-connections: per /24 in flight (default 32) */
	uint64_t net_rate;	      /* --net-rate: new connections/s per /24 (100; 0: none) */
	uint32_t max_attempts;	      /* --max-attempts for load failures (default 3) */
	double retry_delay_s;	      /* --retry-delay before the 2nd attempt, doubling (2) */
	const char *geo_db;	      /* --geo-db */
	const char *asn_db;	      /* --asn-db */
	const char **countries;	      /* --country CC, repeatable or comma separated (copies) */
	size_t ncountries;
	bool dry_run; /* --dry-run */
	bool resume;  /* --resume: continue from -o FILE.checkpoint (scanner/stage/resume.h) */
	uint16_t tcp_sport_lo, tcp_sport_hi; /* the stage's source ports */
	char *sni_blob;			     /* names loaded from the SNI file (owned) */
	char control_sni_buf[64];	     /* the random default control SNI */
	const char
		*control_sni2; /* the second control SNI (random, or derived from --control-sni) */
	char control_sni2_buf[300];
	bool no_localize;	     /* --no-localize */
	uint64_t localize_per_group; /* --localize-per-group (default 5) */
	/* --- end of TLS stage block --- */

	/* --- derived --- */
	struct tgt_set *targets; /* specs + -w, minus the blocklist */
	struct tgt_set *blocklist;
	uint8_t blocklist_sha256[32];
	uint64_t naddrs; /* addresses in targets */
	uint64_t npairs; /* naddrs * nports */
	int argc;
	char **argv; /* the command line as typed (a copy of the array), for ScanMeta */
	struct cfgfile_argv cfgfile; /* -C FILE's options + the command line (owns the strings) */
};

/*
 * Parse and validate `tlsmap scan` arguments into @c (zeroed first).
 * Returns 0 to go on, 1 after printing --help (exit 0), or CLI_EUSAGE after
 * printing one line that names the bad input. Never touches the network.
 */
int scan_config_parse(struct scan_config *c, int argc, char **argv);
void scan_config_free(struct scan_config *c);
extern const char scan_usage_text[];
/* TLS stage block (stage_tls_cfg.c): load the SNI list, make the control
 * SNI; called at the end of scan_config_parse(). 0 or CLI_EUSAGE. */
int scan_config_tls_resolve(struct scan_config *c);

#endif
