/* SPDX-License-Identifier: MIT */
/*
 * Every string field of a dataset holds valid UTF-8. A
 * certificate whose SAN dNSName, URI and rfc822Name carry 0xFF, NUL and
 * backslashes (generated with the openssl CLI, the SAN given as raw DER)
 * must give a Certificate record whose strings are all UTF-8, with the
 * reversible escape of x509_text_escape() (0xFF -> \xff, \ -> \\) and
 * X509_ANOM_NOT_UTF8 set; written to a dataset, every string field of every
 * record read back is UTF-8 (checked by walking protobuf-c's descriptors:
 * protoc and Python's protobuf are not installed here), and `tlsmap dump`
 * prints lines that python3's json.loads accepts, also for a dataset
 * written before this escaping (raw 0xFF in a string field).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"
#include "parsers/x509.h"
#include "scanner/stage/cert_record.h"
#include "test.h"

/* SEQUENCE OF GeneralName: dNSName "a\xffb.example", dNSName
 * "x\y<NUL>z.example", URI "http://u\xff/\xc3(", rfc822Name
 * "m\xfe@x.example", dNSName "ok.пример" (valid UTF-8, kept as is). */
static const char san_hex[] =
	"3049820b61ff622e6578616d706c65820d785c79007a2e6578616d706c65860c687474703a2f2f75ff2fc3"
	"28810c6dfe40782e6578616d706c65820f6f6b2ed0bfd180d0b8d0bcd0b5d180";

/* Undo x509_text_escape(); returns the octet count or -1 if malformed. */
static long unescape(const char *s, uint8_t *out)
{
	long n = 0;

	for (; *s; s++) {
		if (*s != '\\') {
			out[n++] = (uint8_t)*s;
			continue;
		}
		if (s[1] == '\\') {
			out[n++] = '\\';
			s++;
		} else if (s[1] == 'x' && s[2] && s[3]) {
			unsigned v;
			if (sscanf(s + 2, "%2x", &v) != 1)
				return -1;
			out[n++] = (uint8_t)v;
			s += 3;
		} else {
			return -1;
		}
	}
	return n;
}

/* Count string fields of @m (and its sub-messages) that are not UTF-8. */
static unsigned bad_strings(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned bad = 0;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		void *const *vals;
		size_t n = 1;

		if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)(base + f->quantifier_offset);
			vals = *(void *const *const *)(base + f->offset);
		} else {
			vals = (void *const *)(base + f->offset);
		}
		for (size_t k = 0; k < n && vals; k++) {
			if (!vals[k])
				continue;
			if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				bad += bad_strings(vals[k]);
			} else if (!x509_text_is_utf8(vals[k], strlen(vals[k]))) {
				printf("not UTF-8: %s.%s[%zu]\n", d->name, f->name, k);
				bad++;
			}
		}
	}
	return bad;
}

static void escape_cases(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
		bool esc;
	} cases[] = {
		{"a\xff"
		 "b",
		 3,
		 "a\\xff"
		 "b",
		 true},
		{"x\\y", 3, "x\\\\y", false},
		{"n\0n", 3, "n\\x00n", true},
		{"\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9", false},
		{"\xc0\xaf", 2, "\\xc0\\xaf", true},		       /* overlong '/' */
		{"\xed\xa0\x80", 3, "\\xed\\xa0\\x80", true},	       /* surrogate */
		{"ok\xe2\x82", 4, "ok\\xe2\\x82", true},	       /* cut sequence */
		{"\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80", true}, /* above U+10FFFF */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool esc = !cases[i].esc;
		char *s = x509_text_escape((const uint8_t *)cases[i].in, cases[i].len, &esc);
		EXPECT(s && !strcmp(s, cases[i].want) && esc == cases[i].esc,
		       "escape case %zu: got '%s' escaped=%d", i, s ? s : "(null)", esc);
		free(s);
	}
	/* random octets: always UTF-8 out, and the escape undoes exactly */
	uint64_t x = 0x243f6a8885a308d3ull;
	for (int round = 0; round < 20000; round++) {
		uint8_t in[64], back[64 * 4];
		size_t n = (size_t)round % sizeof(in);
		for (size_t k = 0; k < n; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			in[k] = (uint8_t)(x % 5 == 0 ? '\\' : x >> 24);
		}
		char *s = x509_text_escape(in, n, NULL);
		long m = s ? unescape(s, back) : -1;
		if (!s || !x509_text_is_utf8((const uint8_t *)s, strlen(s)) || m != (long)n ||
		    memcmp(back, in, n)) {
			EXPECT(0, "random round %d: escape not UTF-8 or not reversible", round);
			free(s);
			break;
		}
		free(s);
	}
}

/* The record's strings are UTF-8, the invalid octets escaped as \xHH
 * (and a backslash as \\), and the anomaly bit is set. */
static void check_record(Tlsmap__V1__Certificate *m)
{
	EXPECT(bad_strings(&m->base) == 0, "record has strings that are not UTF-8");
	EXPECT(m->n_san_dns == 3 && m->n_san_uri == 1 && m->n_san_email == 1,
	       "SAN counts %zu %zu %zu", m->n_san_dns, m->n_san_uri, m->n_san_email);
	if (m->n_san_dns == 3 && m->n_san_uri == 1 && m->n_san_email == 1) {
		EXPECT(!strcmp(m->san_dns[0], "a\\xffb.example"), "dns 0 '%s'", m->san_dns[0]);
		EXPECT(!strcmp(m->san_dns[1], "x\\\\y\\x00z.example"), "dns 1 '%s'", m->san_dns[1]);
		EXPECT(!strcmp(m->san_dns[2],
			       "ok.\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80"),
		       "dns 2 '%s'", m->san_dns[2]);
		EXPECT(!strcmp(m->san_uri[0], "http://u\\xff/\\xc3("), "uri '%s'", m->san_uri[0]);
		EXPECT(!strcmp(m->san_email[0], "m\\xfe@x.example"), "email '%s'", m->san_email[0]);
		uint8_t raw[64];
		EXPECT(unescape(m->san_dns[1], raw) == 13 && !memcmp(raw, "x\\y\0z.example", 13),
		       "dns 1 does not unescape to its octets");
	}
	EXPECT(m->anomalies & X509_ANOM_NOT_UTF8, "X509_ANOM_NOT_UTF8 not set");
}

/* @path: a dataset with the record and a probe naming it, read back with
 * every string UTF-8; @old: one from before the escape (raw 0xFF in a
 * string field). */
static void write_datasets(Tlsmap__V1__Certificate *m, const char *path, const char *old)
{
	struct out_writer *w = out_writer_open(path);
	Tlsmap__V1__ScanMeta meta = TLSMAP__V1__SCAN_META__INIT;
	Tlsmap__V1__Probe probe = TLSMAP__V1__PROBE__INIT;
	Tlsmap__V1__ScanEnd end = TLSMAP__V1__SCAN_END__INIT;
	ProtobufCBinaryData chain = m->sha256;
	uint8_t ip[4] = {198, 18, 0, 1};
	meta.tool_version = (char *)"test";
	probe.ip.data = ip;
	probe.ip.len = 4;
	probe.port = 443;
	probe.sni = (char *)"a.example";
	probe.n_chain = 1;
	probe.chain = &chain;
	end.clean = true;
	EXPECT(w && out_write_meta(w, &meta) == 0 && out_write_cert(w, m) == 0 &&
		       out_write_probe(w, &probe) == 0 && out_writer_close(w, &end) == 0,
	       "writing %s", path);
	int err = 0;
	struct out_reader *r = out_reader_open(path, &err);
	Tlsmap__V1__Record *rr;
	unsigned nrec = 0;
	EXPECT(r != NULL, "reading %s: %d", path, err);
	while (r && out_reader_next(r, &rr) > 0 && rr) {
		EXPECT(bad_strings(&rr->base) == 0, "record %u has strings that are not UTF-8",
		       nrec);
		nrec++;
		out_record_free(rr);
	}
	if (r)
		out_reader_close(r);
	EXPECT(nrec == 4, "%u records read back", nrec);

	/* a dataset from before the escape: raw 0xFF in a string field */
	w = out_writer_open(old);
	char *saved = m->san_dns[0];
	char raw_ff[] = "a\xff"
			"b.example\x01\x7f";
	m->san_dns[0] = raw_ff;
	EXPECT(w && out_write_meta(w, &meta) == 0 && out_write_cert(w, m) == 0 &&
		       out_writer_close(w, &end) == 0,
	       "writing %s", old);
	m->san_dns[0] = saved;
}

/* `tlsmap dump`: every line of both datasets is JSON for python3. */
static void check_dump(const char *bin, const char *path, const char *old)
{
	char cmd[2048];

	if (bin) {
		const char *files[] = {path, old};
		for (int k = 0; k < 2; k++) {
			snprintf(cmd, sizeof(cmd),
				 "'%s' dump '%s' | python3 -c 'import json, sys\n"
				 "n = 0\n"
				 "for line in sys.stdin.buffer:\n"
				 "    json.loads(line.decode(\"utf-8\"))\n"
				 "    n += 1\n"
				 "sys.exit(0 if n >= 2 else 1)'",
				 bin, files[k]);
			EXPECT(system(cmd) == 0, "tlsmap dump %s is not one JSON object per line",
			       files[k]);
		}
	} else {
		printf("dump part skipped: TLSMAP_BIN not set\n");
	}
}

int main(void)
{
	const char *bin = getenv("TLSMAP_BIN");
	char dir[256], cmd[2048], path[512], old[512];
	struct cert_record rec;
	struct x509_cert c;
	uint8_t *der;
	size_t len;

	escape_cases();
	if (system("openssl version >/dev/null 2>&1 && python3 -c 1 2>/dev/null") != 0) {
		printf("skip: needs the openssl CLI and python3\n");
		return failures ? 1 : 77;
	}
	if (!test_tmpdir(dir, sizeof(dir), "utf8"))
		return 1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && OPENSSL_CONF=/dev/null openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout k.pem -out c.der -outform DER "
		 "-subj /CN=utf8 -days 5 -addext subjectAltName=DER:%s >/dev/null 2>&1",
		 dir, san_hex);
	EXPECT(system(cmd) == 0, "openssl req failed: %s", cmd);
	snprintf(path, sizeof(path), "%s/c.der", dir);
	der = (uint8_t *)test_read_file(path, &len);
	EXPECT(len > 100 && x509_parse(der, len, &c) == 0, "certificate does not parse");
	EXPECT(cert_record_fill(&rec, der, len, &c) == 0, "fill");
	Tlsmap__V1__Certificate *m = &rec.msg;
	check_record(m);
	snprintf(path, sizeof(path), "%s/new.tlsmap", dir);
	snprintf(old, sizeof(old), "%s/old.tlsmap", dir);
	write_datasets(m, path, old);
	check_dump(bin, path, old);
	cert_record_free(&rec);
	free(der);
	TEST_DONE();
}
