// SPDX-License-Identifier: MIT
/* libFuzzer target: the init's load plan parser (common/plan.c) on arbitrary bytes. A plan
 * it accepts must be consistent (indices in range, every name found at its index, every step's
 * ARGV NULL-terminated and starting with an absolute path), and what the builder's formatter
 * writes from it must parse back to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_indices(const struct rf_plan *p, const size_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] >= p->n)
			__builtin_trap();
}

static void check_plan(const struct rf_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct rf_plan_mod *m = &p->mods[i];

		if (rf_plan_find(p, m->name) != (long)i)
			__builtin_trap();
		check_indices(p, m->deps, m->ndeps);
		check_indices(p, m->pre, m->npre);
		check_indices(p, m->post, m->npost);
	}
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct rf_plan_step *s = &p->steps[i];

		if (!s->argc || s->argv[s->argc] || s->argv[0][0] != '/' ||
		    (s->trigger == RF_STEP_DEVICE) != (s->type != NULL))
			__builtin_trap();
	}
}

static void check_roundtrip(const struct rf_plan *p)
{
	struct rf_plan q = { 0 };
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	if (rf_plan_format(p, &text, &len) < 0)
		return; /* the formatter refuses what it cannot write back (names with a ',') */
	if (rf_plan_parse(&q, text, len, NULL, 0) < 0 || rf_plan_format(&q, &again, &len2) < 0 ||
	    len != len2 || memcmp(text, again, len) != 0)
		__builtin_trap();
	rf_plan_free(&q);
	free(text);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_plan p = { 0 };
	char err[256];

	if (rf_plan_parse(&p, (const char *)data, size, err, sizeof(err)) < 0) {
		if (p.n || p.mods || p.kver || p.index || p.steps || p.nsteps)
			__builtin_trap();
		return 0;
	}
	check_plan(&p);
	check_roundtrip(&p);
	rf_plan_free(&p);
	return 0;
}
