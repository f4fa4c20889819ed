/* SPDX-License-Identifier: MIT */
/* placeholder translation unit until the parsers land */
#include "parsers/parsers.h"
