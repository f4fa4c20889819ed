/* SPDX-License-Identifier: MIT */
#ifndef TLSMAP_GEO_H
#define TLSMAP_GEO_H
#endif
