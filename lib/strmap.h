/* SPDX-License-Identifier: MIT */
/*
 * A string-keyed hash map (open addressing) for name lookups over thousands of modules.
 * Keys are copied and owned by the map; values are opaque pointers the caller owns.
 * (C has no standard map and hsearch(3) is process-global, hence this small one.)
 */
#pragma once
#include <stddef.h>

struct rf_strmap {
	char **keys;
	void **vals;
	size_t n, cap;
};

/* Insert or replace. -ENOMEM. */
int rf_strmap_put(struct rf_strmap *m, const char *key, void *val);
/* The value, or NULL when absent. */
void *rf_strmap_get(const struct rf_strmap *m, const char *key);
/* Frees the keys (not the values) and empties the map. */
void rf_strmap_clear(struct rf_strmap *m);
