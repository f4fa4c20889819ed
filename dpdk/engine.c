/* SPDX-License-Identifier: MIT */
#include "dpdk/engine.h"
