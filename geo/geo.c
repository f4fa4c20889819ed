/* SPDX-License-Identifier: MIT */
#include "geo/geo.h"
