/* SPDX-License-Identifier: MIT */
/*
 * Private to output/: what the reader (its expansion bound) and the JSON
 * writer (walking unpacked messages) both need to know of protobuf-c's
 * in-memory layout.
 */
#ifndef TLSMAP_OUTPUT_PB_INTERNAL_H
#define TLSMAP_OUTPUT_PB_INTERNAL_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Bytes one value of type @t takes in an unpacked message (a repeated
 * field's element, or an optional field's storage). */
static inline size_t out_pb_type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4;
	}
}

#endif
