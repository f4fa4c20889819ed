/* SPDX-License-Identifier: MIT */
/*
 * What `tlsmap scan --resume` tracks while the scan runs, and how a rerun
 * prepares OUT.partial (scanner/stage/resume.h).
 *
 * Hosts live in one open-addressing table under a mutex: the stages touch
 * it once per host and once per record, not per packet. Entries are only
 * removed when a checkpoint is taken (the table is rebuilt with the
 * entries it still needs), so lookups need no tombstones. The table grows
 * by doubling while the scan runs (a malloc every doubling, off the
 * per-packet path: a host opens once).
 *
 * Why the position is sampled with two times: the generator's counter is
 * read between t_before and t_after. Every target below the count was
 * taken before t_after, and every target above it after t_before. So a
 * sample with t_after <= now - window is a safe position: every target
 * below it has answered (and is in the table) or never will. A done host
 * that opened before that sample's t_before lies below it and can be
 * forgotten once durable.
 *
 * Unfinished hosts do not hold the position back: a host whose records
 * wait for cross-host evidence (or a localisation) may wait until the end
 * of the scan, and the position would stay where it opened while every
 * later host piled up in the done list. They are listed as open instead,
 * wherever they lie, and a rerun probes them again first ("redo": the
 * generator sends them before it walks on, and the walk skips them). A
 * redo host keeps a reference of its own until the window after its SYN
 * has passed, so it cannot look finished before its answer could come.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/out.h"
#include "scanner/stage/resume.h"

enum { H_FREE = 0, H_OPEN, H_DONE };

struct rhost {
	uint64_t key;
	uint64_t open_ns; /* UINT64_MAX: carried from the previous run, the walk not past it yet */
	uint64_t end_off; /* file offset after its last record so far */
	uint64_t sent_ns; /* a redo host: when its SYN went (UINT64_MAX: not yet) */
	uint32_t refs;
	uint8_t state;
	bool redo; /* holds the redo reference: sent again, its answer may still come */
};

struct rsample {
	uint64_t t_before, emitted, t_after;
};

struct resume_tracker {
	pthread_mutex_t lock;
	struct rhost *h;
	size_t cap, count; /* cap: power of two */
	struct rsample *samples;
	size_t nsamples, samples_cap;
	uint64_t window_ns;
	const volatile sig_atomic_t *stop;
};

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 31;
	key *= 0x9e3779b97f4a7c15ull;
	return (size_t)(key >> 17) & (cap - 1);
}

/* Find @key, or the free slot where it goes. Lock held. */
static struct rhost *find(struct rhost *h, size_t cap, uint64_t key)
{
	for (size_t i = slot_of(key, cap);; i = (i + 1) & (cap - 1))
		if (h[i].state == H_FREE || h[i].key == key)
			return &h[i];
}

/* Rebuild into a table of @cap keeping the entries @keep says (all when NULL). */
static int rebuild(struct resume_tracker *t, size_t cap, const uint64_t *cut_ns,
		   const uint64_t *durable)
{
	struct rhost *n = calloc(cap, sizeof(*n));
	size_t count = 0;

	if (!n)
		return RESUME_ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct rhost *e = &t->h[i];

		if (e->state == H_FREE)
			continue;
		/* done, durable and below the position: the checkpoint needs it no more */
		if (cut_ns && e->state == H_DONE && e->end_off <= *durable && e->open_ns < *cut_ns)
			continue;
		*find(n, cap, e->key) = *e;
		count++;
	}
	free(t->h);
	t->h = n;
	t->cap = cap;
	t->count = count;
	return 0;
}

/* The entry of @key, inserted as open at @now_ns when missing; NULL on ENOMEM. */
static struct rhost *get(struct resume_tracker *t, uint64_t key, uint64_t now_ns)
{
	struct rhost *e = find(t->h, t->cap, key);

	if (e->state != H_FREE)
		return e;
	if ((t->count + 1) * 2 > t->cap) {
		if (rebuild(t, t->cap * 2, NULL, NULL) != 0)
			return NULL;
		e = find(t->h, t->cap, key);
	}
	*e = (struct rhost){.key = key, .open_ns = now_ns, .state = H_OPEN};
	t->count++;
	return e;
}

/* Carry @key of the previous run into a table being set up. */
static void carry(struct resume_tracker *t, uint64_t key, bool redo)
{
	struct rhost *e = find(t->h, t->cap, key);

	if (e->state == H_FREE)
		t->count++;
	*e = (struct rhost){.key = key, .open_ns = UINT64_MAX, .state = redo ? H_OPEN : H_DONE};
	if (redo) {
		e->redo = true;
		e->refs = 1;
		e->sent_ns = UINT64_MAX;
	}
}

struct resume_tracker *resume_tracker_new(uint64_t window_ns, const volatile sig_atomic_t *stop,
					  uint64_t start, const uint64_t *done, size_t ndone,
					  const uint64_t *redo, size_t nredo)
{
	struct resume_tracker *t = calloc(1, sizeof(*t));
	size_t cap = 1024;

	if (!t)
		return NULL;
	while (cap < (ndone + nredo) * 2 + 2)
		cap *= 2;
	t->cap = cap;
	t->h = calloc(cap, sizeof(*t->h));
	t->samples_cap = 64;
	t->samples = calloc(t->samples_cap, sizeof(*t->samples));
	if (!t->h || !t->samples) {
		free(t->h);
		free(t->samples);
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->window_ns = window_ns;
	t->stop = stop;
	/* the start position was reached before anything of this run */
	t->samples[t->nsamples++] = (struct rsample){0, start, 0};
	for (size_t i = 0; i < ndone; i++)
		carry(t, done[i], false);
	for (size_t i = 0; i < nredo; i++)
		carry(t, redo[i], true);
	return t;
}

void resume_tracker_free(struct resume_tracker *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->h);
	free(t->samples);
	free(t);
}

void resume_host_open(struct resume_tracker *t, uint64_t key, uint64_t now_ns)
{
	pthread_mutex_lock(&t->lock);
	struct rhost *e = get(t, key, now_ns);
	if (e) {
		if (e->state == H_DONE) /* opened again: unfinished until it ends again */
			*e = (struct rhost){.key = key, .open_ns = now_ns, .state = H_OPEN};
		e->refs++;
	}
	pthread_mutex_unlock(&t->lock);
}

void resume_host_ref(struct resume_tracker *t, uint64_t key)
{
	pthread_mutex_lock(&t->lock);
	struct rhost *e = get(t, key, 0); /* unknown: treated as the oldest */
	if (e) {
		e->state = H_OPEN;
		e->refs++;
	}
	pthread_mutex_unlock(&t->lock);
}

void resume_host_unref(struct resume_tracker *t, uint64_t key, uint64_t end_off)
{
	pthread_mutex_lock(&t->lock);
	struct rhost *e = find(t->h, t->cap, key);
	if (e->state == H_OPEN && e->refs) {
		if (end_off > e->end_off)
			e->end_off = end_off;
		/* After a stop signal nothing completes: the stage's last flush
		 * writes records decided without the rest of the scan. */
		if (--e->refs == 0 && !*t->stop)
			e->state = H_DONE;
	}
	pthread_mutex_unlock(&t->lock);
}

void resume_host_passed(struct resume_tracker *t, uint64_t key, uint64_t now_ns)
{
	pthread_mutex_lock(&t->lock);
	struct rhost *e = find(t->h, t->cap, key);
	if (e->state != H_FREE && e->open_ns == UINT64_MAX)
		e->open_ns = now_ns;
	pthread_mutex_unlock(&t->lock);
}

void resume_host_resent(struct resume_tracker *t, uint64_t key, uint64_t now_ns)
{
	pthread_mutex_lock(&t->lock);
	struct rhost *e = find(t->h, t->cap, key);
	if (e->redo && e->sent_ns == UINT64_MAX)
		e->sent_ns = now_ns;
	pthread_mutex_unlock(&t->lock);
}

int resume_tracker_sample(struct resume_tracker *t, uint64_t t_before, uint64_t emitted,
			  uint64_t t_after)
{
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	if (t->nsamples == t->samples_cap) {
		struct rsample *n = realloc(t->samples, 2 * t->samples_cap * sizeof(*n));

		if (n) {
			t->samples = n;
			t->samples_cap *= 2;
		} else {
			ret = RESUME_ENOMEM;
		}
	}
	if (ret == 0)
		t->samples[t->nsamples++] = (struct rsample){t_before, emitted, t_after};
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static int push_key(uint64_t **arr, size_t *n, uint64_t key)
{
	uint64_t *na = realloc(*arr, (*n + 1) * sizeof(*na));

	if (!na)
		return RESUME_ENOMEM;
	*arr = na;
	na[(*n)++] = key;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int resume_tracker_snapshot(struct resume_tracker *t, uint64_t durable_off, uint64_t now_ns,
			    struct resume_ckpt *c)
{
	uint64_t limit = now_ns > t->window_ns ? now_ns - t->window_ns : 0, cut;
	size_t pick = 0;
	int ret = 0;

	free(c->done);
	free(c->open);
	c->done = c->open = NULL;
	c->ndone = c->nopen = 0;
	pthread_mutex_lock(&t->lock);
	/* a redo host whose answer can no longer come: its own references
	 * decide now (none: it did not answer, finished) */
	for (size_t i = 0; i < t->cap && !*t->stop; i++) {
		struct rhost *e = &t->h[i];

		if (e->redo && e->sent_ns != UINT64_MAX && e->sent_ns + t->window_ns <= now_ns) {
			e->redo = false;
			if (--e->refs == 0)
				e->state = H_DONE;
		}
	}
	for (size_t i = 0; i < t->nsamples; i++)
		if (t->samples[i].t_after <= limit)
			pick = i; /* samples are in time order: the last one that fits */
	c->position = t->samples[pick].emitted;
	cut = t->samples[pick].t_before;
	memmove(t->samples, t->samples + pick, (t->nsamples - pick) * sizeof(*t->samples));
	t->nsamples -= pick;
	ret = rebuild(t, t->cap, &cut, &durable_off);
	for (size_t i = 0; i < t->cap && ret == 0; i++) {
		const struct rhost *e = &t->h[i];

		if (e->state == H_FREE)
			continue;
		if (e->state == H_DONE && e->end_off <= durable_off)
			ret = push_key(&c->done, &c->ndone, e->key);
		else
			ret = push_key(&c->open, &c->nopen, e->key);
	}
	pthread_mutex_unlock(&t->lock);
	if (c->ndone)
		qsort(c->done, c->ndone, sizeof(*c->done), cmp_u64);
	if (c->nopen)
		qsort(c->open, c->nopen, sizeof(*c->open), cmp_u64);
	return ret;
}

/* ---- OUT.partial on a rerun ---- */

/* Copy [off, off + len) of @src to the end of @dst. */
static int copy_range(int src, int dst, uint64_t off, uint64_t len)
{
	uint8_t buf[65536];

	while (len > 0) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t k = pread(src, buf, want, (off_t)off);

		if (k <= 0)
			return RESUME_EIO;
		for (ssize_t done = 0; done < k;) {
			ssize_t w = write(dst, buf + done, (size_t)(k - done));
			if (w <= 0)
				return RESUME_EIO;
			done += w;
		}
		off += (uint64_t)k;
		len -= (uint64_t)k;
	}
	return 0;
}

/* Is @rec a Probe of a host in @open? */
static bool dropped(const Tlsmap__V1__Record *rec, const uint64_t *unfinished, size_t nopen)
{
	const Tlsmap__V1__Probe *p =
		rec->kind_case == TLSMAP__V1__RECORD__KIND_PROBE ? rec->probe : NULL;
	uint32_t ip_be;

	if (!p || p->ip.len != 4 || p->port > 65535)
		return false;
	memcpy(&ip_be, p->ip.data, 4);
	return resume_set_has(unfinished, nopen,
			      resume_key(ip_be, __builtin_bswap16((uint16_t)p->port)));
}

/* Copy the records of [8, cut) of @partial to @dst, without those dropped. */
static int filter_records(const char *partial, int dst, uint64_t cut, const uint64_t *unfinished,
			  size_t nopen, uint64_t *kept_len, char *err, size_t errlen)
{
	int rerr = 0, src = open(partial, O_RDONLY | O_CLOEXEC), ret = 0;
	struct out_reader *r = out_reader_open(partial, &rerr);
	uint64_t prev = 0, s;
	bool have_prev = false, keep_prev = false;

	*kept_len = OUT_MAGIC_LEN;
	if (src < 0 || !r) {
		snprintf(err, errlen, "%s: %s", partial,
			 src < 0 ? strerror(errno) : out_strerror(rerr));
		ret = src < 0 ? RESUME_EIO : RESUME_EBAD;
		goto out;
	}
	for (;;) {
		Tlsmap__V1__Record *rec = NULL;
		int n = out_reader_next(r, &rec);

		s = out_reader_offset(r);
		if (have_prev && keep_prev && s <= cut) {
			if (copy_range(src, dst, prev, s - prev) != 0) {
				snprintf(err, errlen, "copying %s: %s", partial, strerror(errno));
				ret = RESUME_EIO;
			}
			*kept_len += s - prev;
		}
		if (ret == 0 && s > cut) {
			snprintf(err, errlen,
				 "the checkpoint's durable offset %llu is not a record "
				 "boundary of %s",
				 (unsigned long long)cut, partial);
			ret = RESUME_EBAD;
		}
		if (ret == 0 && s < cut && n <= 0) {
			snprintf(err, errlen,
				 "%s: %s at offset %llu, before the checkpoint's durable "
				 "offset %llu",
				 partial, n == 0 ? "ends" : out_strerror(n), (unsigned long long)s,
				 (unsigned long long)cut);
			ret = RESUME_EBAD;
		}
		if (ret != 0 || s == cut) {
			if (rec)
				out_record_free(rec);
			break;
		}
		have_prev = true;
		prev = s;
		keep_prev = !dropped(rec, unfinished, nopen);
		out_record_free(rec);
	}
out:
	if (r)
		out_reader_close(r);
	if (src >= 0)
		close(src);
	return ret;
}

int resume_prepare_partial(const char *partial, uint64_t durable_offset, const uint64_t *unfinished,
			   size_t nopen, uint64_t *new_len, char *err, size_t errlen)
{
	size_t tlen = strlen(partial) + sizeof(".filter");
	char *tmp = NULL;
	struct stat st;
	int fd = -1, ret;
	uint64_t cut;

	if (stat(partial, &st) != 0) {
		snprintf(err, errlen, "%s: %s", partial, strerror(errno));
		return RESUME_EIO;
	}
	cut = (uint64_t)st.st_size < durable_offset ? (uint64_t)st.st_size : durable_offset;
	if (cut < durable_offset && !nopen) {
		snprintf(err, errlen,
			 "%s holds %llu bytes, fewer than the %llu the checkpoint "
			 "says were durable",
			 partial, (unsigned long long)st.st_size,
			 (unsigned long long)durable_offset);
		return RESUME_EBAD;
	}
	if (!nopen) { /* nothing to drop: cut back to the durable prefix */
		*new_len = cut;
		fd = open(partial, O_WRONLY | O_CLOEXEC);
		ret = fd >= 0 && ftruncate(fd, (off_t)cut) == 0 && fsync(fd) == 0 ? 0 : RESUME_EIO;
		if (ret)
			snprintf(err, errlen, "cutting %s back: %s", partial, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	tmp = malloc(tlen);
	if (!tmp)
		return RESUME_ENOMEM;
	snprintf(tmp, tlen, "%s.filter", partial);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ret = fd >= 0 && write(fd, OUT_MAGIC, OUT_MAGIC_LEN) == OUT_MAGIC_LEN ? 0 : RESUME_EIO;
	if (ret)
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	if (ret == 0)
		ret = filter_records(partial, fd, cut, unfinished, nopen, new_len, err, errlen);
	if (ret == 0 && fsync(fd) != 0) {
		snprintf(err, errlen, "fsync %s: %s", tmp, strerror(errno));
		ret = RESUME_EIO;
	}
	if (fd >= 0 && close(fd) != 0 && ret == 0)
		ret = RESUME_EIO;
	if (ret == 0 && (rename(tmp, partial) != 0 || resume_fsync_dir(partial) != 0)) {
		snprintf(err, errlen, "renaming %s to %s: %s", tmp, partial, strerror(errno));
		ret = RESUME_EIO;
	}
	if (ret != 0)
		unlink(tmp);
	free(tmp);
	return ret;
}
