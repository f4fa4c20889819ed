/* SPDX-License-Identifier: MIT */
/*
 * `tlsmap scan -o OUT --resume`: continue a scan that died, exactly once
 * (docs/cluster.md, "Resume").
 *
 * The unit of resumption is the host (ip, port): its verdicts depend on all
 * its probes (control, test SNIs, second control, evidence), so a host is
 * either in OUT.partial completely or probed again. The checkpoint
 * (OUT.checkpoint, resume_ckpt_*) holds:
 *   - the configuration, as `key value` lines: a rerun with another one is
 *     refused naming the key (its SHA-256 goes into ScanMeta);
 *   - position: targets of the permutation below it are finished (every
 *     record durable, or no answer within the window) or listed as open;
 *   - done: hosts whose records are all durable, past the position or not
 *     known to be below it (the rerun skips them);
 *   - open: hosts not finished, wherever they lie (probes in flight, or
 *     records waiting for evidence): the rerun drops their records from
 *     the file and probes them again before it walks on from the position;
 *   - durable_offset: the length of OUT.partial that fsync made durable
 *     (a record boundary); the rerun cuts the file back to it;
 *   - the cross-host evidence (scanner/stage/evidence.h) gathered so far: hosts
 *     probed again after a resume get the verdicts the whole scan supports.
 * The file is text, ends with the SHA-256 of everything before its last
 * line, and is replaced atomically (temp file, fsync, rename, fsync of the
 * directory), so a reader sees the old or the new one, never a mix.
 *
 * The tracker (resume_tracker_*) computes those sets while the scan runs:
 * the stages report when a host opens (its SYN-ACK or RST arrived), each
 * record they hand to the writer (a reference), and the writer reports the
 * file offset after each record; a host whose references all came back is
 * complete at the largest such offset. The generator's position is sampled
 * once a tick with the time; the position of the checkpoint is the one
 * sampled before now - window, window = the time a SYN-ACK may take (the
 * scan's cooldown + 1 s). The writer thread writes the checkpoint right
 * after an fsync (out_async_on_sync), so it records what is durable then.
 */
#ifndef TLSMAP_SCANNER_RESUME_H
#define TLSMAP_SCANNER_RESUME_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESUME_EBAD (-1)   /* malformed, truncated or checksum mismatch (err says) */
#define RESUME_EIO (-2)	   /* read/write/fsync/rename failed: errno */
#define RESUME_ENOMEM (-3) /* out of memory */

/* A host's key: address (network order as read) << 16 | port (host order). */
static inline uint64_t resume_key(uint32_t ip_be, uint16_t port_be)
{
	return (uint64_t)__builtin_bswap32(ip_be) << 16 | __builtin_bswap16(port_be);
}

struct resume_ckpt {
	char **keys, **values; /* configuration lines, in order (owned) */
	size_t nconfig;
	uint64_t durable_offset;
	uint64_t position;
	uint64_t resumed; /* how many times the scan was resumed */
	uint64_t *done;	  /* host keys, sorted (owned) */
	size_t ndone;
	uint64_t *open; /* host keys, sorted (owned) */
	size_t nopen;
	char *evidence; /* the TLS stage's cross-host evidence: "ev_*" lines (owned) */
	size_t evidence_len;
};

/* Append a configuration line (copies). 0 or RESUME_ENOMEM. Values may not
 * contain a newline: one is written as a space. */
int resume_ckpt_config(struct resume_ckpt *c, const char *key, const char *value);
/* The value of @key, or NULL. */
const char *resume_ckpt_get(const struct resume_ckpt *c, const char *key);
/*
 * The first configuration line that differs between the checkpoint @old
 * and the rerun @now, written as "KEY: was A, now B" into @msg; false when
 * they agree.
 */
bool resume_ckpt_differs(const struct resume_ckpt *old, const struct resume_ckpt *now, char *msg,
			 size_t msglen);
/* SHA-256 of the configuration lines (ScanMeta.config_sha256). */
void resume_ckpt_config_sha256(const struct resume_ckpt *c, uint8_t out[32]);
/* Write @c to @path atomically. 0 or RESUME_EIO/RESUME_ENOMEM (errno set). */
int resume_ckpt_write(const char *path, const struct resume_ckpt *c);
/*
 * Read @path into @c (zeroed first; free it with resume_ckpt_free even on
 * error). 0, RESUME_EIO (errno; ENOENT: no checkpoint), RESUME_EBAD with
 * @err naming the line, or RESUME_ENOMEM. Never trusts a count or a length
 * from the file.
 */
int resume_ckpt_read(const char *path, struct resume_ckpt *c, char *err, size_t errlen);
void resume_ckpt_free(struct resume_ckpt *c);
/* fsync the directory of @path (after a rename). 0, RESUME_EIO or RESUME_ENOMEM. */
int resume_fsync_dir(const char *path);
/* True if sorted @set of @n holds @key. */
bool resume_set_has(const uint64_t *set, size_t n, uint64_t key);

/*
 * Prepare OUT.partial for appending after a checkpoint: cut it back to
 * @durable_offset and drop the Probe records of the hosts in @open (sorted
 * @nopen) from what stays, by writing the rest to PARTIAL.filter and
 * renaming it over @partial. A file already shorter than @durable_offset
 * is accepted only when @nopen is non-zero (a previous rerun filtered it
 * and died before its first checkpoint). *@new_len: the length to append
 * at. 0, or RESUME_EBAD / RESUME_EIO with @err saying why.
 */
int resume_prepare_partial(const char *partial, uint64_t durable_offset, const uint64_t *open,
			   size_t nopen, uint64_t *new_len, char *err, size_t errlen);

struct resume_tracker;

/*
 * @window_ns: how long after a target is sent its SYN-ACK may still come.
 * @stop: the scan's stop flag (a signal's number, set by its handler):
 * once set, no host completes any more (the stage's end-of-scan flush of
 * deferred records must not count as a host's final records). @start:
 * the position the generator starts from. @done: the previous checkpoint's
 * done hosts (copied), still skipped and still carried until the position
 * passes them. @redo: its open hosts, probed again first: open until
 * their answers are in (or the window after their SYN passed without
 * one). NULL on ENOMEM.
 */
struct resume_tracker *resume_tracker_new(uint64_t window_ns, const volatile sig_atomic_t *stop,
					  uint64_t start, const uint64_t *done, size_t ndone,
					  const uint64_t *redo, size_t nredo);
void resume_tracker_free(struct resume_tracker *t);
/* Any thread. A host opened (its first packet of the stage) at @now_ns. */
void resume_host_open(struct resume_tracker *t, uint64_t key, uint64_t now_ns);
/* Any thread: a record of the host goes to the writer (or waits to). */
void resume_host_ref(struct resume_tracker *t, uint64_t key);
/* Any thread: the record is in the writer's file, ending at @end_off (0:
 * it was dropped); or the host's own reference ends (@end_off 0). */
void resume_host_unref(struct resume_tracker *t, uint64_t key, uint64_t end_off);
/* The generator's walk passed @key (a done or redo host of the previous
 * checkpoint, not sent by the walk) at @now_ns: it now lies below every
 * later position. */
void resume_host_passed(struct resume_tracker *t, uint64_t key, uint64_t now_ns);
/* The generator sent redo host @key again at @now_ns. */
void resume_host_resent(struct resume_tracker *t, uint64_t key, uint64_t now_ns);
/* Once a tick: @emitted targets were taken from the permutation before
 * @t_before, and it was read before @t_after. */
int resume_tracker_sample(struct resume_tracker *t, uint64_t t_before, uint64_t emitted,
			  uint64_t t_after);
/*
 * Fill @c's position, done and open for a file durable up to @durable_off
 * at @now_ns (configuration, offset and resumed are the caller's), and
 * forget what the checkpoint no longer needs. 0 or RESUME_ENOMEM.
 */
int resume_tracker_snapshot(struct resume_tracker *t, uint64_t durable_off, uint64_t now_ns,
			    struct resume_ckpt *c);

#endif
