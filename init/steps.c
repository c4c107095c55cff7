// SPDX-License-Identifier: MIT
/*
 * Which steps run, with which argv (see steps.h). The plan's parser has checked every word, so
 * this only reads them; a hand-made step with a word it cannot read is -EINVAL.
 */
#include "steps.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The UUID's characters that count, lower-cased, without a "luks-" prefix. */
static void uuid_norm(const char *in, char *out, size_t len)
{
	size_t n = 0;

	if (strncasecmp(in, "luks-", 5) == 0)
		in += 5;
	for (; *in && n + 1 < len; in++)
		if (*in != '-' && *in != ':')
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
}

bool rf_step_uuid_eq(const char *a, const char *b)
{
	char na[128], nb[128];

	uuid_norm(a ? a : "", na, sizeof(na));
	uuid_norm(b ? b : "", nb, sizeof(nb));
	return *na && strcmp(na, nb) == 0;
}

/* uuid is one of key's values, or key has none. */
static bool filter_holds(const struct rf_cmdline *cmd, const char *key, const char *uuid)
{
	bool any = false;

	for (size_t i = 0; i < cmd->nargs; i++) {
		if (strcmp(cmd->args[i].key, key) != 0)
			continue;
		if (rf_step_uuid_eq(cmd->args[i].value, uuid))
			return true;
		any = true;
	}
	return !any;
}

bool rf_step_conds_hold(const struct rf_plan_step *s, const struct rf_cmdline *cmd,
			const char *uuid)
{
	for (size_t i = 0; i < s->noff; i++)
		if (rf_cmdline_has_word(cmd, s->off[i]))
			return false;
	for (size_t i = 0; i < s->nif; i++)
		if (!rf_cmdline_count(cmd, s->if_keys[i]))
			return false;
	for (size_t i = 0; i < s->nunless; i++)
		if (rf_cmdline_count(cmd, s->unless_keys[i]))
			return false;
	for (size_t i = 0; i < s->nfilter; i++)
		if (!uuid || !filter_holds(cmd, s->filter_keys[i], uuid))
			return false;
	return !s->uuid || (uuid && rf_step_uuid_eq(s->uuid, uuid));
}

/* An earlier step of out (n of them) belongs to bundle. */
static bool bundle_chosen(const struct rf_plan *plan, const size_t *out, size_t n,
			  const char *bundle)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(plan->steps[out[i]].bundle, bundle) == 0)
			return true;
	return false;
}

size_t rf_steps_for_device(const struct rf_plan *plan, const struct rf_cmdline *cmd,
			   const char *type, const char *uuid, size_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct rf_plan_step *s = &plan->steps[i];

		if (s->trigger != RF_STEP_DEVICE || strcmp(s->type, type) != 0 ||
		    bundle_chosen(plan, out, n, s->bundle) || !rf_step_conds_hold(s, cmd, uuid))
			continue;
		out[n++] = i;
	}
	return n;
}

/* Append word (owned; NULL: out of memory) to the NULL-terminated *v of *n words. */
static int push(char ***v, size_t *n, size_t *cap, char *word)
{
	char **nv;

	if (word && *n + 2 > *cap) {
		*cap = *cap ? *cap * 2 : 8;
		nv = realloc(*v, *cap * sizeof(*nv));
		if (!nv) {
			free(word);
			return -ENOMEM;
		}
		*v = nv;
	}
	if (!word)
		return -ENOMEM;
	(*v)[(*n)++] = word;
	(*v)[*n] = NULL;
	return 0;
}

/* Word w with %{DEVICE}, %{UUID} and %% replaced, into out (NULL: only measure). Returns its
 * length, or -1 for a '%' that starts none of them. */
static long expand_into(const char *w, const char *dev, const char *uuid, char *out)
{
	size_t n = 0, skip;
	const char *with;

	while (*w) {
		if (*w != '%') {
			if (out)
				out[n] = *w;
			n++;
			w++;
			continue;
		}
		if (w[1] == '%')
			with = "%", skip = 2;
		else if (dev && strncmp(w, "%{DEVICE}", 9) == 0)
			with = dev, skip = 9;
		else if (uuid && strncmp(w, "%{UUID}", 7) == 0)
			with = uuid, skip = 7;
		else
			return -1;
		if (out)
			memcpy(out + n, with, strlen(with));
		n += strlen(with);
		w += skip;
	}
	if (out)
		out[n] = '\0';
	return (long)n;
}

static char *expand_word(const char *w, const char *dev, const char *uuid, int *err)
{
	long n = expand_into(w, dev, uuid, NULL);
	char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;

	*err = n < 0 ? -EINVAL : -ENOMEM;
	if (out)
		expand_into(w, dev, uuid, out);
	return out;
}

int rf_step_argv(const struct rf_plan_step *s, const struct rf_cmdline *cmd, const char *dev,
		 const char *uuid, char ***argv)
{
	size_t n = 0, cap = 0, klen;
	char **v = NULL, *word;
	const char *key;
	int r = 0;

	for (size_t i = 0; i < s->argc && r >= 0; i++) {
		klen = rf_plan_step_key(s->argv[i], &key);
		for (size_t a = 0; klen && a < cmd->nargs && r >= 0; a++)
			if (strncmp(cmd->args[a].key, key, klen) == 0 && !cmd->args[a].key[klen])
				r = push(&v, &n, &cap, strdup(cmd->args[a].value));
		if (!klen) {
			word = expand_word(s->argv[i], dev, uuid, &r);
			r = word ? push(&v, &n, &cap, word) : r;
		}
	}
	if (r >= 0 && !n)
		r = -EINVAL;
	if (r < 0) {
		rf_step_argv_free(v);
		return r;
	}
	*argv = v;
	return 0;
}

void rf_step_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
