/* SPDX-License-Identifier: MIT */
/*
 * The known-interceptor list: certificates, keys and names of CAs that were
 * used to forge certificates on the path (national interception roots,
 * leaked vendor MitM keys), each with its source (docs/interceptors.md has
 * the file format; share/interceptors.tsv is the built-in list).
 *
 * A name is cheap to copy, so entries are by what a forger cannot change
 * without changing the certificate: the SHA-256 of the DER certificate, the
 * SHA-256 of its SubjectPublicKeyInfo, and the Subject Key Identifier (which
 * a forged leaf names in its Authority Key Identifier even when the forger
 * sends the leaf alone). Names remain, as the weakest way.
 *
 * The loader is strict: a line it cannot read exactly is an error naming
 * the file, the line and what is wrong, so a typo never silently drops an
 * entry. The list is loaded once at start-up and is read-only afterwards;
 * matching is thread-safe.
 */
#ifndef TLSMAP_PARSERS_INTERCEPTORS_H
#define TLSMAP_PARSERS_INTERCEPTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parsers/x509.h"

#define ICPT_BUILTIN_FILE "interceptors.tsv" /* in share/ (tls_share_path) */
#define ICPT_MAX_FILES 8		     /* built-in list + --interceptors files */
#define ICPT_MAX_ENTRIES 16384u		     /* loading and matching are linear scans */
#define ICPT_KEY_MAX 64			     /* octets: SHA-256, or an SKI of up to 512 bits */
#define ICPT_SKI_MIN 8			     /* octets: shorter key ids would match by accident */
#define ICPT_LINE_MAX 2048		     /* octets per line, newline included */

/* What an entry is keyed by (the file's first column). */
enum icpt_kind {
	ICPT_CERT_SHA256 = 1, /* "cert_sha256": SHA-256 of the DER certificate */
	ICPT_SPKI_SHA256 = 2, /* "spki_sha256": SHA-256 of the SubjectPublicKeyInfo DER */
	ICPT_SKI = 3,	      /* "ski": Subject Key Identifier octets */
	ICPT_ISSUER = 4,      /* "issuer": RFC 4514 name, or "CN=x" matched on the CN */
};

/*
 * How a chain matched, strongest evidence first: the matcher tries every
 * way over the whole chain before the next, so a chain that carries a
 * listed certificate reports cert-sha256 even if its names match too.
 */
enum icpt_way {
	ICPT_WAY_NONE = 0,
	ICPT_WAY_CERT_SHA256 = 1, /* a chain certificate is a listed certificate */
	ICPT_WAY_SPKI_SHA256 = 2, /* a chain certificate carries a listed key */
	ICPT_WAY_AKI = 3,	  /* a chain certificate's AKI names a listed SKI */
	ICPT_WAY_ISSUER_NAME = 4, /* a chain certificate's issuer or subject is a listed name */
};
#define ICPT_WAY_FIRST ICPT_WAY_CERT_SHA256
#define ICPT_WAY_LAST ICPT_WAY_ISSUER_NAME

/* "cert-sha256", "spki-sha256", "aki", "issuer-name" ("" for NONE): the
 * suffix of the verdict reason known-interceptor:<way>. */
const char *icpt_way_name(enum icpt_way way);
/* "cert_sha256", "spki_sha256", "ski", "issuer": the file's kind column. */
const char *icpt_kind_name(enum icpt_kind kind);

struct icpt_entry {
	uint8_t kind;	 /* enum icpt_kind */
	bool verified;	 /* the value was checked against its source */
	uint8_t key_len; /* octets in key[] (hash and SKI kinds) */
	uint8_t key[ICPT_KEY_MAX];
	uint8_t file; /* index into icpt_list.files */
	uint32_t line;
	char value[256];		    /* the value column as written */
	char cn[128];			    /* issuer entries "CN=x": x, else "" */
	char label[64];			    /* short id, reported as Probe.interceptor */
	char name[128];			    /* the interceptor, for people */
	char country[3];		    /* ISO 3166 alpha-2, or "" */
	char first_seen[11], last_seen[11]; /* YYYY-MM-DD or "" */
	char sources[512];		    /* URLs or document titles, " | "-separated */
	char note[256];
};

struct icpt_file {
	char path[256];
	char version[33];
	char date[11];
};

struct icpt_list {
	size_t n, cap;
	struct icpt_entry *v;
	size_t nfiles;
	struct icpt_file files[ICPT_MAX_FILES];
	uint8_t sha256[32]; /* over the bytes of every file, in load order */
	char version[300];  /* the files' versions joined by "+", in load order */
	void *sha_ctx;	    /* running digest over the files (an EVP_MD_CTX) */
};

/* An empty list. NULL when out of memory. */
struct icpt_list *icpt_list_new(void);

/*
 * Append the entries of the file at @path (format: docs/interceptors.md).
 * The file must have one version line before its first entry; no entry may
 * repeat one already in the list. Returns 0, or -1 with "path:line: what"
 * in @err (the list then holds the entries of earlier files only).
 */
int icpt_list_add_file(struct icpt_list *list, const char *path, char *err, size_t errlen);

/* The same from an open stream (read to its end, not closed); @path names
 * it in messages and in icpt_list.files. */
int icpt_list_add_stream(struct icpt_list *list, FILE *f, const char *path, char *err,
			 size_t errlen);

/* icpt_list_new() + icpt_list_add_file(). NULL with @err set on failure. */
struct icpt_list *icpt_list_load(const char *path, char *err, size_t errlen);

void icpt_list_free(struct icpt_list *list);

/* One certificate of a chain, as the matcher sees it. */
struct icpt_cert {
	const uint8_t *der;
	const struct x509_cert *parsed; /* NULL: did not parse; only sha256 is used */
	const uint8_t *sha256;		/* 32 octets of the DER's SHA-256 */
	const uint8_t *spki_sha256;	/* 32 octets, or NULL: computed here when needed */
};

/*
 * The first entry that @cert matches in way @way, or NULL. The issuer-name
 * way renders names (allocates); the others do not allocate.
 */
const struct icpt_entry *icpt_match_cert(const struct icpt_list *list, enum icpt_way way,
					 const struct icpt_cert *cert);

struct icpt_match {
	const struct icpt_entry *entry; /* NULL: no match */
	enum icpt_way way;
	size_t cert; /* index in the chain, 0 = leaf */
};

/* Match @chain (@n certificates, leaf first): the strongest way any
 * certificate matches, and the first certificate in chain order that
 * matches that way. Returns true when something matched. */
bool icpt_match_chain(const struct icpt_list *list, const struct icpt_cert *chain, size_t n,
		      struct icpt_match *out);

#endif
