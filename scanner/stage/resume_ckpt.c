/* SPDX-License-Identifier: MIT */
/*
 * The checkpoint file of `tlsmap scan --resume` (scanner/stage/resume.h):
 *
 *   tlsmap-checkpoint 1
 *   config KEY VALUE          one per configuration item, in order
 *   durable_offset N
 *   position N
 *   resumed N
 *   done HEX                  one per host key (address << 16 | port)
 *   open HEX
 *   ev_issuer ... / ev_group ... / ev_claim ...   cross-host evidence and
 *                             localisation claims (scanner/stage/evidence.h)
 *   sha256 HEX                of every byte before this line
 *
 * Text, so an operator can read what a stuck shard will do; the trailing
 * digest makes a cut or edited file an error instead of a wrong resume.
 * The reader trusts nothing it reads: every number is parsed with its
 * bounds, every line must be one of the above, and nothing is allocated
 * from a count in the file (arrays grow as lines come).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/out.h"
#include "scanner/stage/resume.h"

#define CKPT_MAGIC "tlsmap-checkpoint 1\n"
#define CKPT_MAX_BYTES (1ull << 30) /* a checkpoint above 1 GiB is not ours */

static int push(char ***arr, size_t n, char *s)
{
	char **na = realloc(*arr, (n + 1) * sizeof(**arr));

	if (!na)
		return RESUME_ENOMEM;
	*arr = na;
	na[n] = s;
	return 0;
}

int resume_ckpt_config(struct resume_ckpt *c, const char *key, const char *value)
{
	char *k = strdup(key), *v = strdup(value ? value : "");

	if (!k || !v || push(&c->keys, c->nconfig, k) != 0) {
		free(k);
		free(v);
		return RESUME_ENOMEM;
	}
	if (push(&c->values, c->nconfig, v) != 0) {
		free(v); /* the key stays in keys[nconfig] unused: freed with the arrays */
		c->keys[c->nconfig] = NULL;
		free(k);
		return RESUME_ENOMEM;
	}
	for (char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	c->nconfig++;
	return 0;
}

const char *resume_ckpt_get(const struct resume_ckpt *c, const char *key)
{
	for (size_t i = 0; i < c->nconfig; i++)
		if (strcmp(c->keys[i], key) == 0)
			return c->values[i];
	return NULL;
}

bool resume_ckpt_differs(const struct resume_ckpt *old, const struct resume_ckpt *now, char *msg,
			 size_t msglen)
{
	for (size_t i = 0; i < now->nconfig; i++) {
		const char *was = resume_ckpt_get(old, now->keys[i]);

		if (!was || strcmp(was, now->values[i]) != 0) {
			snprintf(msg, msglen, "%s: was '%s', now '%s'", now->keys[i],
				 was ? was : "(not set)", now->values[i]);
			return true;
		}
	}
	for (size_t i = 0; i < old->nconfig; i++)
		if (!resume_ckpt_get(now, old->keys[i])) {
			snprintf(msg, msglen, "%s: was '%s', now not set", old->keys[i],
				 old->values[i]);
			return true;
		}
	return false;
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned int len = 32;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void resume_ckpt_config_sha256(const struct resume_ckpt *c, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;

	memset(out, 0, 32);
	if (!ctx)
		return;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; i < c->nconfig; i++) {
		EVP_DigestUpdate(ctx, c->keys[i], strlen(c->keys[i]) + 1);
		EVP_DigestUpdate(ctx, c->values[i], strlen(c->values[i]) + 1);
	}
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

/* The whole text without its sha256 line; NULL on ENOMEM. */
static char *ckpt_text(const struct resume_ckpt *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fputs(CKPT_MAGIC, f);
	for (size_t i = 0; i < c->nconfig; i++)
		fprintf(f, "config %s %s\n", c->keys[i], c->values[i]);
	fprintf(f, "durable_offset %" PRIu64 "\nposition %" PRIu64 "\nresumed %" PRIu64 "\n",
		c->durable_offset, c->position, c->resumed);
	for (size_t i = 0; i < c->ndone; i++)
		fprintf(f, "done %" PRIx64 "\n", c->done[i]);
	for (size_t i = 0; i < c->nopen; i++)
		fprintf(f, "open %" PRIx64 "\n", c->open[i]);
	if (c->evidence_len)
		fwrite(c->evidence, 1, c->evidence_len, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int resume_fsync_dir(const char *path)
{
	int ret = out_fsync_dir(path);

	return ret == OUT_OK ? 0 : ret == OUT_ENOMEM ? RESUME_ENOMEM : RESUME_EIO;
}

int resume_ckpt_write(const char *path, const struct resume_ckpt *c)
{
	size_t len = 0, tlen = strlen(path) + sizeof(".tmp");
	char *text = ckpt_text(c, &len), *tmp = malloc(tlen), trailer[80];
	uint8_t digest[32];
	int fd = -1, ret = RESUME_EIO;
	FILE *f = NULL;

	if (!text || !tmp) {
		ret = RESUME_ENOMEM;
		goto out;
	}
	snprintf(tmp, tlen, "%s.tmp", path);
	sha256(text, len, digest);
	strcpy(trailer, "sha256 ");
	for (int i = 0; i < 32; i++)
		snprintf(trailer + 7 + 2 * i, 3, "%02x", digest[i]);
	strcat(trailer, "\n");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		goto out;
	fd = -1; /* f owns it */
	if (fwrite(text, 1, len, f) != len || fputs(trailer, f) == EOF || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0)
		goto out;
	ret = fclose(f) == 0 ? 0 : RESUME_EIO;
	f = NULL;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = RESUME_EIO;
	if (ret == 0)
		ret = resume_fsync_dir(path);
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (ret != 0 && tmp) {
		int e = errno;
		unlink(tmp);
		errno = e;
	}
	free(text);
	free(tmp);
	return ret;
}

void resume_ckpt_free(struct resume_ckpt *c)
{
	for (size_t i = 0; i < c->nconfig; i++) {
		free(c->keys[i]);
		free(c->values[i]);
	}
	free(c->keys);
	free(c->values);
	free(c->done);
	free(c->open);
	free(c->evidence);
	memset(c, 0, sizeof(*c));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

bool resume_set_has(const uint64_t *set, size_t n, uint64_t key)
{
	return n && bsearch(&key, set, n, sizeof(*set), cmp_u64) != NULL;
}

/* Parse all of @s as a number in @base (no sign, no space). */
static bool parse_u64(const char *s, int base, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno == 0 && *end == '\0';
}

static int add_key(uint64_t **arr, size_t *n, size_t *cap, uint64_t v)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		uint64_t *na = realloc(*arr, ncap * sizeof(*na));

		if (!na)
			return RESUME_ENOMEM;
		*arr = na;
		*cap = ncap;
	}
	(*arr)[(*n)++] = v;
	return 0;
}

/* Read the whole file (at most CKPT_MAX_BYTES) into a NUL-terminated buffer. */
static int slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t k;

	*buf = NULL;
	if (fd < 0)
		return RESUME_EIO;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > CKPT_MAX_BYTES) {
		snprintf(err, errlen, "larger than %llu bytes: not a checkpoint",
			 (unsigned long long)CKPT_MAX_BYTES);
		close(fd);
		return RESUME_EBAD;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return RESUME_ENOMEM;
	}
	*len = 0;
	while (*len < (size_t)st.st_size &&
	       (k = read(fd, *buf + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)k;
	close(fd);
	(*buf)[*len] = '\0';
	return 0;
}

/* The digest line: the text must end with "sha256 <64 hex>\n" over the rest. */
static int check_digest(char *buf, size_t *len, char *err, size_t errlen)
{
	const size_t tl = 7 + 64 + 1;
	uint8_t digest[32];
	char hex[65];

	if (*len < sizeof(CKPT_MAGIC) - 1 || memcmp(buf, CKPT_MAGIC, sizeof(CKPT_MAGIC) - 1) != 0) {
		snprintf(err, errlen, "not a tlsmap checkpoint (first line is not '%.*s')",
			 (int)sizeof(CKPT_MAGIC) - 2, CKPT_MAGIC);
		return RESUME_EBAD;
	}
	if (*len < tl + sizeof(CKPT_MAGIC) - 1 || buf[*len - 1] != '\n' ||
	    memcmp(buf + *len - tl, "sha256 ", 7) != 0 || buf[*len - tl - 1] != '\n') {
		snprintf(err, errlen, "truncated: no final sha256 line");
		return RESUME_EBAD;
	}
	sha256(buf, *len - tl, digest);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	if (memcmp(hex, buf + *len - tl + 7, 64) != 0) {
		snprintf(err, errlen, "sha256 does not match its content (cut or edited)");
		return RESUME_EBAD;
	}
	*len -= tl;
	buf[*len] = '\0';
	return 0;
}

struct ckpt_parse {
	size_t done_cap, open_cap;
	bool have_offset, have_position, have_resumed;
};

/* An "ev_*" line, kept as text for ev_table_import(). */
static int add_evidence(struct resume_ckpt *c, const char *line)
{
	size_t n = strlen(line);
	char *ne = realloc(c->evidence, c->evidence_len + n + 2);

	if (!ne)
		return RESUME_ENOMEM;
	c->evidence = ne;
	memcpy(ne + c->evidence_len, line, n);
	c->evidence_len += n;
	ne[c->evidence_len++] = '\n';
	ne[c->evidence_len] = '\0';
	return 0;
}

/* One line (without its newline). */
static int parse_line(struct resume_ckpt *c, struct ckpt_parse *ps, char *line, char *err,
		      size_t errlen)
{
	char *sp = strchr(line, ' '), *arg;
	uint64_t v;

	if (strncmp(line, "ev_", 3) == 0)
		return add_evidence(c, line);
	if (!sp) {
		snprintf(err, errlen, "'%.40s': expected 'KEY VALUE'", line);
		return RESUME_EBAD;
	}
	*sp = '\0';
	arg = sp + 1;
	if (strcmp(line, "config") == 0) {
		char *vsp = strchr(arg, ' ');

		if (!vsp || vsp == arg) {
			snprintf(err, errlen, "config line without a key and a value");
			return RESUME_EBAD;
		}
		*vsp = '\0';
		if (resume_ckpt_get(c, arg)) {
			snprintf(err, errlen, "config %.40s given twice", arg);
			return RESUME_EBAD;
		}
		return resume_ckpt_config(c, arg, vsp + 1);
	}
	if (strcmp(line, "done") == 0 || strcmp(line, "open") == 0) {
		bool done = line[0] == 'd';

		if (strlen(arg) > 12 || !parse_u64(arg, 16, &v)) {
			snprintf(err, errlen, "%s '%.40s': not a host key (12 hex digits at most)",
				 line, arg);
			return RESUME_EBAD;
		}
		return done ? add_key(&c->done, &c->ndone, &ps->done_cap, v)
			    : add_key(&c->open, &c->nopen, &ps->open_cap, v);
	}
	struct {
		const char *name;
		uint64_t *dst;
		bool *seen;
	} nums[] = {
		{"durable_offset", &c->durable_offset, &ps->have_offset},
		{"position", &c->position, &ps->have_position},
		{"resumed", &c->resumed, &ps->have_resumed},
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcmp(line, nums[i].name) != 0)
			continue;
		if (*nums[i].seen || !parse_u64(arg, 10, nums[i].dst)) {
			snprintf(err, errlen, "%s '%.40s': %s", line, arg,
				 *nums[i].seen ? "given twice" : "not a number");
			return RESUME_EBAD;
		}
		*nums[i].seen = true;
		return 0;
	}
	snprintf(err, errlen, "unknown line '%.40s'", line);
	return RESUME_EBAD;
}

int resume_ckpt_read(const char *path, struct resume_ckpt *c, char *err, size_t errlen)
{
	struct ckpt_parse ps = {0};
	size_t len = 0, lineno = 1;
	char *buf = NULL, *p, *nl, sub[200];
	int ret;

	memset(c, 0, sizeof(*c));
	snprintf(err, errlen, "bad checkpoint");
	ret = slurp(path, &buf, &len, err, errlen);
	if (ret == 0 && memchr(buf, '\0', len)) {
		snprintf(err, errlen, "holds a NUL byte: not a checkpoint");
		ret = RESUME_EBAD;
	}
	if (ret == 0)
		ret = check_digest(buf, &len, err, errlen);
	for (p = ret == 0 ? buf + sizeof(CKPT_MAGIC) - 1 : NULL; p && *p && ret == 0; p = nl + 1) {
		nl = strchr(p, '\n'); /* the text ends with a newline (check_digest) */
		*nl = '\0';
		lineno++;
		ret = parse_line(c, &ps, p, sub, sizeof(sub));
		if (ret == RESUME_EBAD)
			snprintf(err, errlen, "line %zu: %s", lineno, sub);
	}
	if (ret == 0 && !(ps.have_offset && ps.have_position && ps.have_resumed)) {
		snprintf(err, errlen, "durable_offset, position or resumed missing");
		ret = RESUME_EBAD;
	}
	if (ret == 0 && c->durable_offset < 8) {
		snprintf(err, errlen, "durable_offset %llu is inside the file's magic",
			 (unsigned long long)c->durable_offset);
		ret = RESUME_EBAD;
	}
	if (ret == 0) {
		if (c->ndone)
			qsort(c->done, c->ndone, sizeof(*c->done), cmp_u64);
		if (c->nopen)
			qsort(c->open, c->nopen, sizeof(*c->open), cmp_u64);
	}
	free(buf);
	return ret;
}
