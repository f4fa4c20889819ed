/* SPDX-License-Identifier: MIT */
/* placeholder: see out.h */
#include "output/out.h"
