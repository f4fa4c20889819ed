/* SPDX-License-Identifier: MIT */
/*
 * Protobuf messages as proto3 JSON, driven by protobuf-c's descriptors so a
 * field added to tlsmap.proto appears in `tlsmap dump` with no code change.
 * Proto3 JSON mapping: lowerCamelCase names, fields at their default value
 * omitted, 64-bit integers as decimal strings, enums by name, bytes as
 * standard base64 with padding.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "output/out.h"
#include "output/pb_internal.h"

/* Octets of the strict UTF-8 sequence (RFC 3629: no overlongs, surrogates
 * or values above U+10FFFF) at @s, 0 if there is none. */
static size_t utf8_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = (p[0] & 0xe0) == 0xc0   ? 2
		   : (p[0] & 0xf0) == 0xe0 ? 3
		   : (p[0] & 0xf8) == 0xf0 ? 4
					   : 0;
	uint32_t v;

	if (k == 0 || k > n)
		return 0;
	v = p[0] & (0x7fu >> k);
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3fu);
	}
	if ((k == 2 && v < 0x80) || (k == 3 && v < 0x800) || (k == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return k;
}

void out_json_string(FILE *f, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8_len(s + i, n - i))) {
				/* controls; and octets that are not UTF-8 (a dataset
				 * written before strings were escaped) as Latin-1, so
				 * the line stays valid JSON */
				fputs("\\u00", f);
				fputc(hex[c >> 4], f);
				fputc(hex[c & 15], f);
			} else if (c >= 0x80) {
				size_t k = utf8_len(s + i, n - i);
				fwrite(s + i, 1, k, f);
				i += k - 1;
			} else {
				fputc(c, f);
			}
		}
	}
	fputc('"', f);
}

void out_base64(FILE *f, const uint8_t *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		fputc(tab[v >> 18], f);
		fputc(tab[v >> 12 & 63], f);
		fputc(tab[v >> 6 & 63], f);
		fputc(tab[v & 63], f);
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		fputc(tab[v >> 18], f);
		fputc(tab[v >> 12 & 63], f);
		fputc(i + 1 < n ? tab[v >> 6 & 63] : '=', f);
		fputc('=', f);
	}
}

static void json_name(FILE *f, const char *name)
{
	bool up = false;

	fputc('"', f);
	for (const char *p = name; *p; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		fputc(up ? toupper((unsigned char)*p) : *p, f);
		up = false;
	}
	fputs("\":", f);
}

/* Print one value of @fd at @v. */
static void json_value(FILE *f, const ProtobufCFieldDescriptor *fd, const void *v)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(f, "%" PRId32, *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(f, "%" PRIu32, *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(f, "\"%" PRId64 "\"", *(const int64_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(f, "\"%" PRIu64 "\"", *(const uint64_t *)v);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		fprintf(f, "%.9g", (double)*(const float *)v);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		fprintf(f, "%.17g", *(const double *)v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)v ? "true" : "false", f);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		int e = *(const int *)v;
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(fd->descriptor, e);

		if (ev)
			fprintf(f, "\"%s\"", ev->name);
		else
			fprintf(f, "%d", e); /* a value from a newer schema */
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)v;

		out_json_string(f, s ? s : "", s ? strlen(s) : 0);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = v;

		fputc('"', f);
		out_base64(f, b->data, b->len);
		fputc('"', f);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		out_json_message(f, *(ProtobufCMessage *const *)v);
		break;
	}
}

static bool is_default(const ProtobufCFieldDescriptor *fd, const void *v)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)v;

		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)v)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(ProtobufCMessage *const *)v == NULL;
	default: {
		static const uint8_t zero[8];

		return memcmp(v, zero, out_pb_type_size(fd->type)) == 0;
	}
	}
}

void out_json_message(FILE *f, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;

	fputc('{', f);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const char *base = (const char *)m + fd->offset;

		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + fd->quantifier_offset);
			const char *arr = *(char *const *)base;
			size_t sz = out_pb_type_size(fd->type);

			if (n == 0)
				continue;
			if (!first)
				fputc(',', f);
			first = false;
			json_name(f, fd->name);
			fputc('[', f);
			for (size_t k = 0; k < n; k++) {
				if (k)
					fputc(',', f);
				json_value(f, fd, arr + k * sz);
			}
			fputc(']', f);
			continue;
		}
		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which =
				*(const uint32_t *)((const char *)m + fd->quantifier_offset);

			if (which != fd->id)
				continue;
		} else if (is_default(fd, base)) {
			continue;
		}
		if (!first)
			fputc(',', f);
		first = false;
		json_name(f, fd->name);
		json_value(f, fd, base);
	}
	fputc('}', f);
}
