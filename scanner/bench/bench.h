/* SPDX-License-Identifier: MIT */
/*
 * `tlsmap bench KIND [options]`: each benchmark prints key=value lines on
 * stdout (never part of make test's pass/fail). cmd_bench.c dispatches;
 * each KIND lives in its own file.
 */
#ifndef TLSMAP_SCANNER_BENCH_H
#define TLSMAP_SCANNER_BENCH_H

int bench_tx(int argc, char **argv);   /* bench_tx.c: SYN build+send on one TX lcore */
int bench_rx(int argc, char **argv);   /* bench_rx.c: SYN-ACK validation, dedup, dispatch */
int bench_x509(int argc, char **argv); /* bench_x509.c: x509 parsing vs OpenSSL */
int bench_tls(int argc, char **argv);  /* bench_tls.c: the TLS stage against a canned peer */

#endif
