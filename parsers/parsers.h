/* SPDX-License-Identifier: MIT */
#ifndef TLSMAP_PARSERS_H
#define TLSMAP_PARSERS_H
#endif
