/* SPDX-License-Identifier: MIT */
/*
 * parsers/tls test against real servers: `openssl s_server` on 127.0.0.1
 * (random high port, bounded by timeout) with RSA and ECDSA chains of 1 to
 * 3 certificates, TLS 1.0, 1.2 and 1.3-only. The fast-path ClientHello is
 * sent over a kernel socket, the flight recorded, and then parsed again
 * split at every byte boundary and byte by byte: the chain must equal the
 * DER files byte for byte each time. A TLS 1.3-only server must answer the
 * fast path with an alert that asks for the fallback, and the OpenSSL path
 * must then capture the chain. Garbage, HTTP, truncated and oversized
 * flights get the right status.
 *
 * With TLS_CORPUS_OUT=DIR the recorded flights are written there (this is
 * how tests/fuzz/corpus/tls was seeded).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parsers/tls.h"
#include "test.h"

static char dir[256];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* PKI: rsa leaf self-signed; ecdsa root -> inter -> leaf. */
static int make_pki(void)
{
	return sh(
		"cd %s && exec >/dev/null 2>&1 && "
		"openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -days 30 "
		"-subj /CN=rsa.test &&"
		"openssl ecparam -name prime256v1 -genkey -noout -out root.key &&"
		"openssl req -x509 -new -key root.key -out root.pem -days 30 -subj /CN=Test-Root &&"
		"openssl ecparam -name prime256v1 -genkey -noout -out int.key &&"
		"openssl req -new -key int.key -out int.csr -subj /CN=Test-Inter &&"
		"printf 'basicConstraints=critical,CA:true\\n' > ca.ext &&"
		"openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out "
		"int.pem -days 30 -extfile ca.ext &&"
		"openssl ecparam -name prime256v1 -genkey -noout -out leaf.key &&"
		"openssl req -new -key leaf.key -out leaf.csr -subj /CN=ec.test &&"
		"openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out "
		"leaf.pem -days 30 &&"
		"cat int.pem root.pem > chain.pem &&"
		"for c in rsa root int leaf; do openssl x509 -in $c.pem -outform DER -out $c.der; "
		"done",
		dir);
}

static pid_t server_pid;
static int server_port;

static void stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
}

static int connect_port(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Start s_server with @args; true once it accepts connections. */
static bool start_server(const char *args)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		server_port = 20000 + (int)((unsigned)rand() % 40000);
		char cmd[2048];
		snprintf(cmd, sizeof(cmd),
			 "cd %s && exec timeout 60 openssl s_server -quiet -accept 127.0.0.1:%d %s "
			 ">/dev/null 2>&1",
			 dir, server_port, args);
		server_pid = fork();
		if (server_pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 250; i++) {
			struct timespec ts = {0, 20000000};
			nanosleep(&ts, NULL);
			int fd = connect_port(server_port);
			if (fd >= 0) {
				close(fd);
				return true;
			}
			if (waitpid(server_pid, NULL, WNOHANG) == server_pid)
				break;
		}
		stop_server();
	}
	return false;
}

/* Send @hello, record the reply until the parser is final or 5 s pass. */
static size_t record_flight(const uint8_t *hello, size_t hlen, uint8_t *raw, size_t cap)
{
	int fd = connect_port(server_port);
	size_t got = 0;
	if (fd < 0)
		return 0;
	if (write(fd, hello, hlen) != (ssize_t)hlen) {
		close(fd);
		return 0;
	}
	struct tls_parser ps;
	static uint8_t buf[1 << 18];
	tls_flight_init(&ps, sizeof(buf));
	for (int i = 0; i < 100 && got < cap; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = read(fd, raw + got, cap - got);
		if (n <= 0)
			break;
		uint32_t have = tls_flight_hs_len(&ps);
		memcpy(buf + have, raw + got, (size_t)n);
		got += (size_t)n;
		if (tls_flight_feed(&ps, buf, have + (size_t)n) != TLS_ST_MORE)
			break;
	}
	close(fd);
	return got;
}

struct parsed {
	int st;
	struct tls_flight f;
	uint8_t *buf;
};

/* Parse @raw delivered in pieces at the cut points; chunk==1: byte by byte. */
static struct parsed parse_split(const uint8_t *raw, size_t len, size_t cut, bool bytewise,
				 uint32_t cap)
{
	static uint8_t *pool;
	struct parsed r = {0};
	struct tls_parser ps;
	if (!pool)
		pool = malloc((1 << 18) + (1 << 17));
	r.buf = pool;
	tls_flight_init(&ps, cap);
	size_t pos = 0;
	r.st = TLS_ST_MORE;
	while (pos < len && r.st == TLS_ST_MORE) {
		size_t n = bytewise ? 1 : (pos < cut ? cut - pos : len - pos);
		uint32_t have = tls_flight_hs_len(&ps);
		memcpy(r.buf + have, raw + pos, n);
		pos += n;
		r.st = tls_flight_feed(&ps, r.buf, have + n);
	}
	r.f = ps.f;
	return r;
}

static bool chain_equals(const struct parsed *p, const char *const *ders, size_t n)
{
	if (p->st != TLS_ST_CERT || p->f.ncerts != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char path[512];
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, ders[i]);
		uint8_t *d = (uint8_t *)test_read_file(path, &len);
		bool ok = d && len == p->f.certs[i].len &&
			  !memcmp(d, p->buf + p->f.certs[i].off, len);
		free(d);
		if (!ok)
			return false;
	}
	return true;
}

static void save_corpus(const char *name, const uint8_t *raw, size_t len)
{
	const char *out = getenv("TLS_CORPUS_OUT");
	if (!out)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", out, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(raw, 1, len, f);
		fclose(f);
	}
}

static void fast_case(const char *name, const char *server_args, const char *const *ders, size_t n,
		      uint16_t want_version)
{
	static uint8_t raw[1 << 18];
	struct tls_hello_tmpl t;
	uint8_t hello[TLS_HELLO_MAX], rnd[32];
	for (int i = 0; i < 32; i++)
		rnd[i] = (uint8_t)rand();
	tls_hello_tmpl_init(&t);
	size_t hlen = tls_hello_build(&t, "ec.test", 7, rnd, hello, sizeof(hello));
	CHECK(hlen > 100);
	if (!start_server(server_args)) {
		printf("FAIL %s: s_server did not start\n", name);
		failures++;
		return;
	}
	size_t len = record_flight(hello, hlen, raw, sizeof(raw));
	stop_server();
	save_corpus(name, raw, len);
	struct parsed whole = parse_split(raw, len, len, false, 1 << 17);
	printf("%s: %zu bytes, status %s, version %04x cipher %04x group %u certs %u\n", name, len,
	       tls_status_name(whole.st), whole.f.version, whole.f.cipher, whole.f.group,
	       whole.f.ncerts);
	CHECK(chain_equals(&whole, ders, n));
	CHECK(whole.f.version == want_version);

	int bad = 0;
	for (size_t cut = 1; cut < len; cut++) {
		struct parsed p = parse_split(raw, len, cut, false, 1 << 17);
		if (!chain_equals(&p, ders, n))
			bad++;
	}
	struct parsed p = parse_split(raw, len, 0, true, 1 << 17);
	if (!chain_equals(&p, ders, n))
		bad++;

	CHECK(bad == 0);
	/* a cap below the flight: too large, never a chain */
	p = parse_split(raw, len, len, false, 600);
	CHECK(p.st == TLS_ST_TOO_LARGE);

	/* truncated: every prefix short of the Certificate end says MORE */
	p = parse_split(raw, len / 3, len / 3, false, 1 << 17);
	CHECK(p.st == TLS_ST_MORE);
}

/* The OpenSSL path over a kernel socket. */
static int ossl_capture(const char *sni, struct tls_flight *facts, const char *const *ders,
			size_t n)
{
	struct tls_ossl_ctx *ctx = tls_ossl_ctx_new();
	struct tls_ossl *s = tls_ossl_new(ctx, sni);
	int fd = connect_port(server_port), st = TLS_ST_MORE;
	size_t sent = 0;
	uint8_t b[16384];
	for (int i = 0; i < 100 && st == TLS_ST_MORE && fd >= 0; i++) {
		st = tls_ossl_step(s);
		size_t olen;
		const uint8_t *o = tls_ossl_out(s, &olen);
		if (olen > sent) {
			if (write(fd, o + sent, olen - sent) < 0)
				break;
			sent = olen;
		}
		if (st != TLS_ST_MORE)
			break;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t r = read(fd, b, sizeof(b));
		if (r <= 0)
			break;
		tls_ossl_feed(s, b, (size_t)r);
	}
	if (fd >= 0)
		close(fd);
	tls_ossl_facts(s, facts);
	if (st == TLS_ST_CERT && ders) {
		const uint8_t *const *d;
		const size_t *l;
		size_t k = tls_ossl_chain(s, &d, &l);
		CHECK(k == n);
		for (size_t i = 0; i < k && i < n; i++) {
			char path[512];
			size_t len;
			snprintf(path, sizeof(path), "%s/%s", dir, ders[i]);
			uint8_t *want = (uint8_t *)test_read_file(path, &len);
			CHECK(want && len == l[i] && !memcmp(want, d[i], len));
			free(want);
		}
	}
	tls_ossl_free(s);
	tls_ossl_ctx_free(ctx);
	return st;
}

static void garbage_cases(void)
{
	const char *http = "HTTP/1.1 400 Bad Request\r\n\r\n";
	struct parsed p = parse_split((const uint8_t *)http, strlen(http), 0, false, 4096);
	CHECK(p.st == TLS_ST_NOT_TLS);

	const uint8_t notv3[] = {0x16, 0x02, 0x00, 0x00, 0x10};
	p = parse_split(notv3, sizeof(notv3), 0, false, 4096);
	CHECK(p.st == TLS_ST_NOT_TLS);

	const uint8_t big[] = {0x16, 0x03, 0x03, 0xff, 0xff};
	p = parse_split(big, sizeof(big), 0, false, 1 << 17);
	CHECK(p.st == TLS_ST_PROTOCOL);

	const uint8_t alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
	p = parse_split(alert, sizeof(alert), 0, true, 4096);
	CHECK(p.st == TLS_ST_ALERT && p.f.alert_level == 2 && p.f.alert_desc == 70);
	CHECK(tls_alert_wants_fallback(p.f.alert_desc));

	/* Certificate before ServerHello */
	const uint8_t early[] = {0x16, 0x03, 0x03, 0x00, 0x07, 0x0b,
				 0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
	p = parse_split(early, sizeof(early), 0, false, 4096);
	CHECK(p.st == TLS_ST_PROTOCOL);

	/* application data first */
	const uint8_t app[] = {0x17, 0x03, 0x03, 0x00, 0x01, 0x00};
	p = parse_split(app, sizeof(app), 0, false, 4096);
	CHECK(p.st == TLS_ST_NOT_TLS);

	/* zero-length records: RFC 5246 6.2.1 forbids empty
	 * handshake, alert and ChangeCipherSpec fragments. 1 MB of empty
	 * headers must be refused at the first one, not read on outside the
	 * flight cap until the timeout. A HelloRequest (a complete, empty
	 * handshake message) goes first so every record type is reachable. */
	{
		static const uint8_t types[] = {0x16, 0x15, 0x14};
		static const uint8_t hello_request[] = {0x16, 3, 3, 0, 4, 0, 0, 0, 0};
		for (size_t t = 0; t < sizeof(types); t++) {
			size_t n = sizeof(hello_request) + (1u << 20);
			uint8_t *zero = malloc(n);
			memcpy(zero, hello_request, sizeof(hello_request));
			for (size_t i = sizeof(hello_request); i + 5 <= n; i += 5) {
				zero[i] = types[t];
				zero[i + 1] = 3;
				zero[i + 2] = 3;
				zero[i + 3] = 0;
				zero[i + 4] = 0;
			}
			struct tls_parser ps;
			int st = TLS_ST_MORE;
			size_t fed = 0;
			uint8_t buf[64];
			tls_flight_init(&ps, 4096);
			while (fed < n && st == TLS_ST_MORE) {
				size_t k = n - fed < 5 ? n - fed : 5;
				uint32_t have = tls_flight_hs_len(&ps);
				memcpy(buf + have, zero + fed, k);
				st = tls_flight_feed(&ps, buf, have + k);
				fed += k;
			}
			printf("zero-length records of type %u: %s after %zu bytes\n", types[t],
			       tls_status_name(st), fed);
			CHECK(st == TLS_ST_PROTOCOL);
			CHECK(fed <
			      sizeof(hello_request) +
				      10); /* 5-byte feeds: the first empty header ends by then */
			free(zero);
		}
	}

	/* random garbage never crashes and never claims a chain */
	uint8_t rnd[4096];
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand() % (int)sizeof(rnd));
		for (size_t i = 0; i < n; i++)
			rnd[i] = (uint8_t)rand();
		rnd[0] = 0x16;
		if (n > 1)
			rnd[1] = 3;
		p = parse_split(rnd, n, n / 2, false, 8192);
		if (p.st == TLS_ST_CERT)
			for (unsigned i = 0; i < p.f.ncerts; i++)
				CHECK(p.f.certs[i].off + p.f.certs[i].len <= 8192);
	}
}

static void hello_cases(void)
{
	struct tls_hello_tmpl t;
	uint8_t a[TLS_HELLO_MAX], b[TLS_HELLO_MAX], rnd[32] = {1, 2, 3};
	tls_hello_tmpl_init(&t);
	size_t la = tls_hello_build(&t, "a.example.com", 13, rnd, a, sizeof(a));
	size_t lb = tls_hello_build(&t, NULL, 0, rnd, b, sizeof(b));
	CHECK(la == lb + 22);
	CHECK(a[0] == 0x16 && (size_t)(a[3] << 8 | a[4]) == la - 5);
	CHECK(!memcmp(a + 11, rnd, 32));
	char longname[300];
	memset(longname, 'x', sizeof(longname));
	CHECK(tls_hello_build(&t, longname, 256, rnd, a, sizeof(a)) == 0);
	CHECK(tls_hello_build(&t, "a.example.com", 13, rnd, a, 100) == 0);
}

int main(void)
{
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	hello_cases();
	garbage_cases();
	if (sh("command -v openssl >/dev/null && command -v timeout >/dev/null") != 0) {
		printf("skip: openssl or timeout not found; offline checks %s\n",
		       failures ? "FAILED" : "passed");
		return failures ? 1 : 77;
	}
	if (!test_tmpdir(dir, sizeof(dir), "tls-test"))
		return 1;
	if (make_pki() != 0) {
		printf("FAIL: could not make the test PKI\n");
		failures++;
		TEST_DONE();
	}
	static const char *const rsa1[] = {"rsa.der"};
	static const char *const ec3[] = {"leaf.der", "int.der", "root.der"};
	fast_case("tls12-rsa-1", "-cert rsa.pem -key rsa.key -tls1_2", rsa1, 1, 0x0303);
	fast_case("tls10-rsa-1", "-cert rsa.pem -key rsa.key -tls1 -cipher ALL:@SECLEVEL=0", rsa1,
		  1, 0x0301);
	fast_case("tls12-ec-3", "-cert leaf.pem -key leaf.key -cert_chain chain.pem -tls1_2", ec3,
		  3, 0x0303);
	fast_case("tls11-ec-3",
		  "-cert leaf.pem -key leaf.key -cert_chain chain.pem -tls1_1 -cipher "
		  "ALL:@SECLEVEL=0",
		  ec3, 3, 0x0302);

	/* TLS 1.3 only: the fast path gets protocol_version, the OpenSSL path the chain */
	if (start_server("-cert leaf.pem -key leaf.key -cert_chain chain.pem -tls1_3")) {
		static uint8_t raw[1 << 16];
		struct tls_hello_tmpl t;
		uint8_t hello[TLS_HELLO_MAX], rnd[32] = {0};
		tls_hello_tmpl_init(&t);
		size_t hlen = tls_hello_build(&t, "ec.test", 7, rnd, hello, sizeof(hello));
		size_t len = record_flight(hello, hlen, raw, sizeof(raw));
		save_corpus("tls13-alert", raw, len);
		struct parsed p = parse_split(raw, len, len, false, 1 << 17);
		printf("tls13 fast path: status %s alert %u/%u\n", tls_status_name(p.st),
		       p.f.alert_level, p.f.alert_desc);
		CHECK(p.st == TLS_ST_ALERT && tls_alert_wants_fallback(p.f.alert_desc));

		struct tls_flight f;
		int st = ossl_capture("ec.test", &f, ec3, 3);
		printf("tls13 openssl path: status %s version %04x cipher %04x group %u\n",
		       tls_status_name(st), f.version, f.cipher, f.group);
		CHECK(st == TLS_ST_CERT && f.version == 0x0304 && f.cipher && f.group);
		stop_server();
	} else {
		printf("FAIL: tls13 s_server did not start\n");
		failures++;
	}
	/* OpenSSL path against TLS 1.2 RSA and P-384-only TLS 1.3 (HelloRetryRequest) */
	if (start_server("-cert rsa.pem -key rsa.key -tls1_2")) {
		struct tls_flight f;
		int st = ossl_capture(NULL, &f, rsa1, 1);
		CHECK(st == TLS_ST_CERT && f.version == 0x0303);
		stop_server();
	}
	if (start_server(
		    "-cert leaf.pem -key leaf.key -cert_chain chain.pem -tls1_3 -groups P-384")) {
		struct tls_flight f;
		int st = ossl_capture("ec.test", &f, ec3, 3);
		printf("tls13 HRR openssl path: status %s group %u\n", tls_status_name(st),
		       f.group);
		CHECK(st == TLS_ST_CERT && f.group == 24);
		stop_server();
	}
	/* OpenSSL path against garbage: a plain TCP echo of HTTP */
	stop_server();
	TEST_DONE();
}
