// SPDX-License-Identifier: MIT
/* The request list; see request.h. */
#include "request.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int rf_requests_add(struct rf_requests *r, const char *name, const char *origin, bool automatic)
{
	struct rf_request *q;

	if (rf_grow(&r->v, &r->cap, r->n, sizeof(*r->v), 16) < 0)
		return -ENOMEM;
	q = &r->v[r->n];
	q->name = strdup(name);
	q->origin = strdup(origin);
	if (!q->name || !q->origin) {
		free(q->name);
		free(q->origin);
		return -ENOMEM;
	}
	q->automatic = automatic;
	q->optional = false;
	q->early = true;
	r->n++;
	return 0;
}

void rf_requests_clear(struct rf_requests *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].origin);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
