// SPDX-License-Identifier: MIT
/*
 * The load plan's parser (used by ramforge-init) and serializer (used by the builder).
 * The format is documented in plan.h. Plain C and libc only: both programs compile this file.
 */
#include "plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define VERSION_STR STR(RF_PLAN_VERSION)

/* Dependency lists as written, kept until every name is known (POST may name a later module). */
struct raw_lists {
	char *deps, *pre, *post;
};

static int bad(char *errbuf, size_t errlen, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *errbuf, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!errbuf || !errlen)
		return -EINVAL;
	if (line)
		n = snprintf(errbuf, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Cut the next space-separated field off *s; NULL when there is none. */
static char *field(char **s)
{
	char *f = *s, *sp;

	if (!f || !*f)
		return NULL;
	sp = strchr(f, ' ');
	if (sp) {
		*sp = '\0';
		*s = sp + 1;
	} else {
		*s = NULL;
	}
	return f;
}

/* FNV-1a: short names, no allocation, good enough spread for linear probing at half load. */
static size_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot holding name, or the empty one where it goes. The table is never more than half full. */
static size_t *index_slot(const struct rf_plan *plan, const char *name)
{
	size_t mask = plan->nindex - 1, at = name_hash(name) & mask;

	while (plan->index[at] && strcmp(plan->mods[plan->index[at] - 1].name, name) != 0)
		at = (at + 1) & mask;
	return &plan->index[at];
}

/* Room for maxmods names at most half full. */
static int index_alloc(struct rf_plan *plan, size_t maxmods)
{
	size_t n = 16;

	while (n / 2 < maxmods) {
		if (n > SIZE_MAX / 4)
			return -ENOMEM;
		n *= 2;
	}
	plan->index = calloc(n, sizeof(*plan->index));
	plan->nindex = plan->index ? n : 0;
	return plan->index ? 0 : -ENOMEM;
}

static int resolve_list(struct rf_plan *plan, size_t self, char *list, size_t **out, size_t *nout,
			unsigned line, char *errbuf, size_t errlen)
{
	size_t cap = 1;
	char *save = NULL, *name;

	*out = NULL;
	*nout = 0;
	if (strcmp(list, "-") == 0)
		return 0;
	for (const char *c = list; *c; c++)
		cap += *c == ',';
	*out = calloc(cap, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		long i = rf_plan_find(plan, name);

		if (i < 0)
			return bad(errbuf, errlen, line, "%s names %s, which is not in the plan",
				   plan->mods[self].name, name);
		if ((size_t)i == self)
			return bad(errbuf, errlen, line, "%s depends on itself", name);
		(*out)[(*nout)++] = (size_t)i;
	}
	return 0;
}

static int parse_mod(struct rf_plan *plan, struct raw_lists *raw, char *rest, unsigned line,
		     char *errbuf, size_t errlen)
{
	struct rf_plan_mod *m = &plan->mods[plan->n];
	char *name = field(&rest), *path = field(&rest), *when = field(&rest);
	char *deps = field(&rest), *pre = field(&rest), *post = field(&rest);
	size_t *slot;

	if (!post || !*name || !*path || !*when || !*deps || !*pre || !*post)
		return bad(errbuf, errlen, line, "mod needs NAME PATH WHEN DEPS PRE POST");
	if (strcmp(when, "early") != 0 && strcmp(when, "late") != 0)
		return bad(errbuf, errlen, line, "WHEN is '%s', not early or late", when);
	slot = index_slot(plan, name);
	if (*slot)
		return bad(errbuf, errlen, line, "module %s appears twice", name);
	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	m->path = strcmp(path, "-") == 0 ? NULL : strdup(path);
	m->options = rest && *rest ? strdup(rest) : NULL;
	m->early = strcmp(when, "early") == 0;
	plan->n++;
	if (!m->name || (strcmp(path, "-") != 0 && !m->path) || (rest && *rest && !m->options))
		return -ENOMEM;
	*slot = plan->n;
	raw[plan->n - 1] = (struct raw_lists){ deps, pre, post };
	return 0;
}

/* What a `step` record may hold, checked alike by the parser and the formatter, so the builder
 * cannot write a step the init would refuse. */

/* A name, a type, a condition's value: not empty, no white space, no ','. */
static bool word_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ',')
			return false;
	return true;
}

/* A command-line key of a condition: a word without '='. */
static bool key_ok(const char *s)
{
	return word_ok(s) && !strchr(s, '=');
}

size_t rf_plan_step_key(const char *word, const char **key)
{
	size_t n = strlen(word), k;

	if (n < 4 || word[0] != '%' || word[1] != '{' || word[n - 1] != '}')
		return 0;
	k = n - 3;
	if (!memchr(word + 2, '.', k) || strcspn(word + 2, "%{}= \t\r\n") < k)
		return 0;
	if (key)
		*key = word + 2;
	return k;
}

/* Why ARGV word w cannot be written, or NULL. device: the step has a device to name. */
static const char *argv_word_bad(const char *w, bool device)
{
	if (!w || !*w)
		return "an empty word";
	if (strpbrk(w, " \t\r\n"))
		return "white space in a word";
	if (rf_plan_step_key(w, NULL))
		return NULL;
	for (const char *p = strchr(w, '%'); p; p = strchr(p, '%')) {
		if (p[1] == '%') {
			p += 2;
		} else if (strncmp(p, "%{DEVICE}", 9) == 0 || strncmp(p, "%{UUID}", 7) == 0) {
			if (!device)
				return "%{DEVICE} and %{UUID} need a device= trigger";
			p += p[2] == 'D' ? 9 : 7;
		} else {
			return "'%' must start %%, %{DEVICE} or %{UUID}, or be a whole word %{KEY} "
			       "with a '.' in KEY";
		}
	}
	return NULL;
}

static bool all_ok(char *const *v, size_t n, bool (*ok)(const char *))
{
	for (size_t i = 0; i < n; i++)
		if (!ok(v[i]))
			return false;
	return true;
}

/* Why step s cannot be written (or was read wrong), or NULL; *word the ARGV word at fault. */
static const char *step_bad(const struct rf_plan_step *s, const char **word)
{
	bool device = s->trigger == RF_STEP_DEVICE;
	const char *why;

	*word = NULL;
	if (!word_ok(s->bundle))
		return "BUNDLE is empty or holds white space or ','";
	if (device && (!key_ok(s->type)))
		return "device=TYPE: TYPE is empty or holds white space, ',' or '='";
	if (!device && s->trigger != RF_STEP_ROOT_MISSING)
		return "TRIGGER is neither device=TYPE nor root-missing=SECS";
	if (!all_ok(s->off, s->noff, word_ok) || !all_ok(s->if_keys, s->nif, key_ok) ||
	    !all_ok(s->unless_keys, s->nunless, key_ok) ||
	    !all_ok(s->filter_keys, s->nfilter, key_ok) || (s->uuid && !key_ok(s->uuid)))
		return "a condition's value is empty or holds white space or ',' (or a KEY '=')";
	if (!device && (s->nfilter || s->uuid))
		return "filter= and uuid= need a device= trigger";
	if (!s->argc || !s->argv || !s->argv[0])
		return "no ARGV";
	*word = s->argv[0];
	if (s->argv[0][0] != '/')
		return "ARGV[0] must be an absolute path";
	for (size_t i = 0; i < s->argc; i++) {
		*word = s->argv[i];
		if ((why = argv_word_bad(s->argv[i], device)))
			return why;
	}
	*word = NULL;
	return NULL;
}

/* Append a copy of s to the NULL-terminated vector *v of *n words. */
static int push_word(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

static int parse_trigger(struct rf_plan_step *st, const char *t, unsigned line, char *errbuf,
			 size_t errlen)
{
	const char *secs = t + strlen("root-missing=");

	if (strncmp(t, "device=", 7) == 0) {
		st->trigger = RF_STEP_DEVICE;
		st->type = strdup(t + 7);
		return st->type ? 0 : -ENOMEM;
	}
	if (strncmp(t, "root-missing=", 13) != 0)
		return bad(errbuf, errlen, line, "TRIGGER is '%s', not device=TYPE or root-missing=SECS",
			   t);
	if (!*secs || strlen(secs) > 9 || strspn(secs, "0123456789") != strlen(secs))
		return bad(errbuf, errlen, line, "root-missing=%s: SECS is not a number of seconds",
			   secs);
	st->trigger = RF_STEP_ROOT_MISSING;
	st->secs = (unsigned)strtoul(secs, NULL, 10);
	return 0;
}

/* CONDS: "-" or KIND=VALUE,... */
static int parse_conds(struct rf_plan_step *st, char *conds, unsigned line, char *errbuf,
		       size_t errlen)
{
	char *c, *eq;
	int r = 0;

	if (strcmp(conds, "-") == 0)
		return 0;
	while (r >= 0 && (c = strsep(&conds, ","))) {
		eq = strchr(c, '=');
		if (!eq || !eq[1])
			return bad(errbuf, errlen, line, "condition '%s' is not KIND=VALUE", c);
		*eq = '\0';
		if (strcmp(c, "off") == 0)
			r = push_word(&st->off, &st->noff, eq + 1);
		else if (strcmp(c, "if") == 0)
			r = push_word(&st->if_keys, &st->nif, eq + 1);
		else if (strcmp(c, "unless") == 0)
			r = push_word(&st->unless_keys, &st->nunless, eq + 1);
		else if (strcmp(c, "filter") == 0)
			r = push_word(&st->filter_keys, &st->nfilter, eq + 1);
		else if (strcmp(c, "uuid") == 0 && st->uuid)
			return bad(errbuf, errlen, line, "uuid= given twice");
		else if (strcmp(c, "uuid") == 0)
			r = (st->uuid = strdup(eq + 1)) ? 0 : -ENOMEM;
		else
			return bad(errbuf, errlen, line, "unknown condition '%s=' (off=, if=, unless=, "
				   "filter=, uuid=)", c);
	}
	return r;
}

/* step BUNDLE TRIGGER CONDS ARGV... */
static int parse_step(struct rf_plan *plan, char *rest, unsigned line, char *errbuf,
		      size_t errlen)
{
	struct rf_plan_step *st, *v = realloc(plan->steps, (plan->nsteps + 1) * sizeof(*v));
	const char *why, *word;
	char *f, *fields[3];
	int r = 0;

	if (!v)
		return -ENOMEM;
	plan->steps = v;
	st = memset(&v[plan->nsteps++], 0, sizeof(*st));
	for (int i = 0; i < 3; i++)
		fields[i] = field(&rest);
	if (!rest || !fields[2] || !*fields[0] || !*fields[1] || !*fields[2])
		return bad(errbuf, errlen, line, "step needs BUNDLE TRIGGER CONDS ARGV...");
	st->bundle = strdup(fields[0]);
	r = st->bundle ? parse_trigger(st, fields[1], line, errbuf, errlen) : -ENOMEM;
	if (r >= 0)
		r = parse_conds(st, fields[2], line, errbuf, errlen);
	while (r >= 0 && (f = field(&rest)))
		r = *f ? push_word(&st->argv, &st->argc, f)
		       : bad(errbuf, errlen, line, "an empty word (two spaces in a row, or one at the "
				 "end)");
	if (r >= 0 && rest)
		r = bad(errbuf, errlen, line, "an empty word at the end");
	if (r >= 0 && (why = step_bad(st, &word)))
		r = word ? bad(errbuf, errlen, line, "'%s': %s", word, why)
			 : bad(errbuf, errlen, line, "%s", why);
	return r;
}

static int parse_line(struct rf_plan *plan, struct raw_lists *raw, char *s, unsigned line,
		      bool *seen_header, char *errbuf, size_t errlen)
{
	char *key;

	if (!*s || *s == '#')
		return 0;
	key = field(&s);
	if (!*seen_header) {
		if (strcmp(key, "ramforge-plan") != 0 || !s)
			return bad(errbuf, errlen, line, "not a ramforge load plan");
		if (strcmp(s, VERSION_STR) != 0)
			return bad(errbuf, errlen, line, "plan version %s, this init reads version %d",
				   s, RF_PLAN_VERSION);
		*seen_header = true;
		return 0;
	}
	if (strcmp(key, "kver") == 0) {
		if (!s || !*s || plan->kver)
			return bad(errbuf, errlen, line, "kver needs one value, once");
		plan->kver = strdup(s);
		return plan->kver ? 0 : -ENOMEM;
	}
	if (strcmp(key, "mod") == 0)
		return parse_mod(plan, raw, s, line, errbuf, errlen);
	if (strcmp(key, "step") == 0)
		return parse_step(plan, s, line, errbuf, errlen);
	return bad(errbuf, errlen, line, "unknown record '%s'", key);
}

static int resolve_all(struct rf_plan *plan, struct raw_lists *raw, const unsigned *lines,
		       char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct rf_plan_mod *m = &plan->mods[i];
		int r = resolve_list(plan, i, raw[i].deps, &m->deps, &m->ndeps, lines[i], errbuf,
				     errlen);

		if (r >= 0)
			r = resolve_list(plan, i, raw[i].pre, &m->pre, &m->npre, lines[i], errbuf,
					 errlen);
		if (r >= 0)
			r = resolve_list(plan, i, raw[i].post, &m->post, &m->npost, lines[i], errbuf,
					 errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

int rf_plan_parse(struct rf_plan *plan, const char *text, size_t len, char *errbuf, size_t errlen)
{
	size_t maxmods = 1;
	char *buf = malloc(len + 1), *s, *nl;
	struct raw_lists *raw = NULL;
	unsigned *lines = NULL, line = 0;
	bool header = false;
	int r = -ENOMEM;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		maxmods += text[i] == '\n';
	plan->mods = calloc(maxmods, sizeof(*plan->mods));
	raw = calloc(maxmods, sizeof(*raw));
	lines = calloc(maxmods, sizeof(*lines));
	if (!plan->mods || !raw || !lines || index_alloc(plan, maxmods) < 0)
		goto out;
	if (strlen(buf) != len) {
		r = bad(errbuf, errlen, 0, "the plan holds a NUL byte");
		goto out;
	}
	for (s = buf, r = 0; s && r >= 0; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = '\0';
		lines[plan->n] = ++line;
		r = parse_line(plan, raw, s, line, &header, errbuf, errlen);
	}
	if (r >= 0 && !header)
		r = bad(errbuf, errlen, 0, "empty plan: no 'ramforge-plan " VERSION_STR "' line");
	if (r >= 0 && !plan->kver)
		r = bad(errbuf, errlen, 0, "the plan names no kver");
	if (r >= 0)
		r = resolve_all(plan, raw, lines, errbuf, errlen);
out:
	free(buf);
	free(raw);
	free(lines);
	if (r < 0)
		rf_plan_free(plan);
	return r;
}

static int put_list(FILE *f, const struct rf_plan *plan, const size_t *v, size_t n)
{
	if (!n)
		return fputs(" -", f) < 0 ? -EIO : 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] >= plan->n)
			return -EINVAL;
		if (fprintf(f, "%c%s", i ? ',' : ' ', plan->mods[v[i]].name) < 0)
			return -EIO;
	}
	return 0;
}

static int put_mod(FILE *f, const struct rf_plan *plan, const struct rf_plan_mod *m)
{
	int r;

	if (!word_ok(m->name) || (m->path && !word_ok(m->path)) ||
	    (m->options && strpbrk(m->options, "\n\r")))
		return -EINVAL;
	if (fprintf(f, "mod %s %s %s", m->name, m->path ? m->path : "-",
		    m->early ? "early" : "late") < 0)
		return -EIO;
	r = put_list(f, plan, m->deps, m->ndeps);
	if (r >= 0)
		r = put_list(f, plan, m->pre, m->npre);
	if (r >= 0)
		r = put_list(f, plan, m->post, m->npost);
	if (r >= 0 && m->options && *m->options && fprintf(f, " %s", m->options) < 0)
		r = -EIO;
	if (r >= 0 && fputc('\n', f) == EOF)
		r = -EIO;
	return r;
}

/* ",KIND=V" per value; *sep is ' ' before the first condition, ',' after. */
static int put_conds(FILE *f, const char *kind, char *const *v, size_t n, char *sep)
{
	for (size_t i = 0; i < n; i++, *sep = ',')
		if (fprintf(f, "%c%s=%s", *sep, kind, v[i]) < 0)
			return -EIO;
	return 0;
}

static int put_step(FILE *f, const struct rf_plan_step *s)
{
	const char *word;
	char sep = ' ';
	int r;

	if (step_bad(s, &word))
		return -EINVAL;
	if (s->trigger == RF_STEP_DEVICE)
		r = fprintf(f, "step %s device=%s", s->bundle, s->type) < 0 ? -EIO : 0;
	else
		r = fprintf(f, "step %s root-missing=%u", s->bundle, s->secs) < 0 ? -EIO : 0;
	if (r >= 0)
		r = put_conds(f, "off", s->off, s->noff, &sep);
	if (r >= 0)
		r = put_conds(f, "if", s->if_keys, s->nif, &sep);
	if (r >= 0)
		r = put_conds(f, "unless", s->unless_keys, s->nunless, &sep);
	if (r >= 0)
		r = put_conds(f, "filter", s->filter_keys, s->nfilter, &sep);
	if (r >= 0 && s->uuid)
		r = put_conds(f, "uuid", (char *const *)&s->uuid, 1, &sep);
	if (r >= 0 && sep == ' ' && fputs(" -", f) < 0)
		r = -EIO;
	for (size_t i = 0; r >= 0 && i < s->argc; i++)
		if (fprintf(f, " %s", s->argv[i]) < 0)
			r = -EIO;
	if (r >= 0 && fputc('\n', f) == EOF)
		r = -EIO;
	return r;
}

int rf_plan_format(const struct rf_plan *plan, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r = 0;

	if (!word_ok(plan->kver))
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	if (fprintf(f, "ramforge-plan %d\nkver %s\n", RF_PLAN_VERSION, plan->kver) < 0)
		r = -EIO;
	for (size_t i = 0; i < plan->n && r >= 0; i++)
		r = put_mod(f, plan, &plan->mods[i]);
	for (size_t i = 0; i < plan->nsteps && r >= 0; i++)
		r = put_step(f, &plan->steps[i]);
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

long rf_plan_find(const struct rf_plan *plan, const char *name)
{
	if (plan->nindex) {
		size_t at = *index_slot(plan, name);

		return at ? (long)(at - 1) : -1;
	}
	for (size_t i = 0; i < plan->n; i++)
		if (strcmp(plan->mods[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void free_words(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void rf_plan_step_free(struct rf_plan_step *s)
{
	free(s->bundle);
	free(s->type);
	free(s->uuid);
	free_words(s->off, s->noff);
	free_words(s->if_keys, s->nif);
	free_words(s->unless_keys, s->nunless);
	free_words(s->filter_keys, s->nfilter);
	free_words(s->argv, s->argc);
}

void rf_plan_free(struct rf_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++) {
		struct rf_plan_mod *m = &plan->mods[i];

		free(m->name);
		free(m->path);
		free(m->options);
		free(m->deps);
		free(m->pre);
		free(m->post);
	}
	for (size_t i = 0; i < plan->nsteps; i++)
		rf_plan_step_free(&plan->steps[i]);
	free(plan->steps);
	free(plan->mods);
	free(plan->kver);
	free(plan->index);
	plan->mods = NULL;
	plan->steps = NULL;
	plan->nsteps = 0;
	plan->kver = NULL;
	plan->index = NULL;
	plan->n = 0;
	plan->nindex = 0;
}
