/* SPDX-License-Identifier: MIT */
#ifndef TLSMAP_DPDK_ENGINE_H
#define TLSMAP_DPDK_ENGINE_H
#endif
