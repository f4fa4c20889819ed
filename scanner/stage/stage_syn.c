/* SPDX-License-Identifier: MIT */
/*
 * The --syn-only stage: a ZMap-style port scan. Each deduplicated sweep
 * reply becomes one Probe record (tcp = TCP_OPEN for a SYN-ACK, TCP_CLOSED
 * for an RST, tls = TLS_NOT_ATTEMPTED). Like ZMap's default output filter,
 * targets that never answered get no record: a stateless sweep cannot tell
 * "no answer" from "not sent yet" without per-target state, and the target
 * set is in ScanMeta. start_us is the sweep's start (the SYN's own send
 * time is not kept); connected_us/end_us are when the reply arrived.
 *
 * Records go to the output writer thread through its ring (never blocks a
 * worker); without -o, open targets are printed as "a.b.c.d:port" lines,
 * under a mutex, since several workers may print.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/stage/stage.h"

struct syn_stage {
	struct stage_ctx ctx;
	pthread_mutex_t lines_lock;
};

struct syn_item {
	struct out_item item;
	Tlsmap__V1__Probe probe;
	uint8_t ip[4];
	struct resume_tracker *resume; /* --resume: told when the record is written */
	uint64_t key;
};

static void syn_release(struct out_item *it)
{
	struct syn_item *si = it->user;

	if (si->resume)
		resume_host_unref(si->resume, si->key, it->end_off);
	free(si);
}

static void *syn_worker_init(void *stage, unsigned worker_id, struct eng_worker *w)
{
	(void)worker_id;
	(void)w;
	return stage;
}

static void syn_result(struct syn_stage *s, uint32_t ip_be, uint16_t port_be, uint64_t now_ns,
		       Tlsmap__V1__TcpOutcome tcp)
{
	uint16_t port = (uint16_t)((port_be >> 8) | (port_be << 8));
	uint64_t t_us = eng_ns_to_unix_us(s->ctx.eng, now_ns);

	if (!s->ctx.out) {
		if (tcp == TLSMAP__V1__TCP_OUTCOME__TCP_OPEN) {
			const uint8_t *b = (const uint8_t *)&ip_be;
			pthread_mutex_lock(&s->lines_lock);
			fprintf(s->ctx.lines, "%u.%u.%u.%u:%u\n", b[0], b[1], b[2], b[3], port);
			pthread_mutex_unlock(&s->lines_lock);
		}
		progress_add(&s->ctx.ctr->probes, 1);
		return;
	}
	struct syn_item *si = calloc(1, sizeof(*si));
	if (!si)
		return;
	tlsmap__v1__probe__init(&si->probe);
	memcpy(si->ip, &ip_be, 4);
	si->probe.ip.data = si->ip;
	si->probe.ip.len = 4;
	si->probe.port = port;
	si->probe.vantage = (char *)s->ctx.cfg->vantage;
	si->probe.start_us = s->ctx.scan_start_us;
	if (tcp == TLSMAP__V1__TCP_OUTCOME__TCP_OPEN)
		si->probe.connected_us = t_us;
	si->probe.end_us = t_us;
	si->probe.tcp = tcp;
	si->probe.tls = TLSMAP__V1__TLS_OUTCOME__TLS_NOT_ATTEMPTED;
	si->item.probe = &si->probe;
	si->item.release = syn_release;
	si->item.user = si;
	/* --resume: the host is its one record, complete once it is written */
	si->resume = s->ctx.resume;
	si->key = resume_key(ip_be, port_be);
	if (si->resume) {
		resume_host_open(si->resume, si->key, now_ns);
		resume_host_ref(si->resume, si->key);
	}
	if (out_async_submit(s->ctx.out, &si->item))
		progress_add(&s->ctx.ctr->probes, 1);
	else
		syn_release(&si->item); /* counted by out_async_dropped() into ScanEnd */
	if (s->ctx.resume)
		resume_host_unref(s->ctx.resume, resume_key(ip_be, port_be), 0);
}

static void syn_open(void *wctx, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	syn_result(wctx, ip_be, port_be, now_ns, TLSMAP__V1__TCP_OUTCOME__TCP_OPEN);
}

static void syn_closed(void *wctx, uint32_t ip_be, uint16_t port_be, uint64_t now_ns)
{
	syn_result(wctx, ip_be, port_be, now_ns, TLSMAP__V1__TCP_OUTCOME__TCP_CLOSED);
}

static const struct eng_stage_ops syn_ops = {
	.worker_init = syn_worker_init,
	.open = syn_open,
	.closed = syn_closed,
};

static void syn_close(void *arg)
{
	struct syn_stage *s = arg;

	pthread_mutex_destroy(&s->lines_lock);
	free(s);
}

int stage_syn_open(const struct stage_ctx *ctx, struct stage *out)
{
	struct syn_stage *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->ctx = *ctx;
	pthread_mutex_init(&s->lines_lock, NULL);
	out->ops = &syn_ops;
	out->arg = s;
	out->close = syn_close;
	return 0;
}
