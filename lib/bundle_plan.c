// SPDX-License-Identifier: MIT
/* The chosen bundles' steps and files; see bundle_plan.h. */
#include "bundle_plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "items.h"

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

/* A condition word of the manifest ("if=rd.lvm.lv") into the plan step's lists. */
static int add_cond(struct rf_plan_step *p, const char *c)
{
	const char *v = strchr(c, '=') + 1;

	if (strncmp(c, "if=", 3) == 0)
		return push(&p->if_keys, &p->nif, v);
	if (strncmp(c, "unless=", 7) == 0)
		return push(&p->unless_keys, &p->nunless, v);
	if (strncmp(c, "filter=", 7) == 0)
		return push(&p->filter_keys, &p->nfilter, v);
	if (strncmp(c, "off=", 4) == 0)
		return push(&p->off, &p->noff, v);
	free(p->uuid);
	return (p->uuid = strdup(v)) ? 0 : -ENOMEM;
}

/* One step: trigger, the bundle's off switches, conditions, argv. */
static int add_step(struct rf_bundle_out *out, const struct rf_bundle *b, const char *trigger,
		    const struct rf_strv *conds, const struct rf_strv *argv)
{
	struct rf_plan_step p = { 0 };
	int r = (p.bundle = strdup(b->name)) ? 0 : -ENOMEM;

	if (r >= 0 && strncmp(trigger, "device=", 7) == 0) {
		p.trigger = RF_STEP_DEVICE;
		r = (p.type = strdup(trigger + 7)) ? 0 : -ENOMEM;
	} else if (r >= 0) {
		p.trigger = RF_STEP_ROOT_MISSING;
		p.secs = (unsigned)strtoul(strchr(trigger, '=') + 1, NULL, 10);
	}
	for (size_t i = 0; r >= 0 && i < b->off.n; i++)
		r = push(&p.off, &p.noff, b->off.v[i].word);
	for (size_t i = 0; r >= 0 && i < conds->n; i++)
		r = add_cond(&p, conds->v[i]);
	for (size_t i = 0; r >= 0 && i < argv->n; i++)
		r = push(&p.argv, &p.argc, argv->v[i]);
	if (r >= 0 && rf_grow(&out->steps, &out->cap, out->nsteps, sizeof(*out->steps), 8) < 0)
		r = -ENOMEM;
	if (r < 0) {
		rf_plan_step_free(&p);
		return r;
	}
	out->steps[out->nsteps++] = p;
	return 0;
}

static int add_paths(struct rf_conf_list *to, const struct rf_conf_list *from, const char *bundle)
{
	for (size_t i = 0; i < from->n; i++) {
		char *origin = rf_strdupf("bundle %s (%s)", bundle, from->v[i].origin);
		int r = origin ? rf_conf_list_push(to, from->v[i].word, strlen(from->v[i].word), origin) : -ENOMEM;

		free(origin);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A crypttab entry: `cryptsetup open` of the volume with that UUID, under its name, with its
 * key file (copied into the image) or a passphrase prompt. Runs before the bundle's own steps:
 * per device the first matching step wins. */
static int crypttab_step(struct rf_bundle_out *out, const struct rf_bundle *crypt,
			 const struct rf_crypttab_entry *e, struct rf_err *err)
{
	struct rf_strv conds = { 0 }, argv = { 0 };
	const char *program = crypt->binaries.n ? crypt->binaries.v[0].word : NULL;
	int r = 0;

	if (!e->uuid)
		return rf_fail(err, -EINVAL, "%s: volume %s: the init finds volumes by UUID; write its source as UUID=...",
			       e->origin, e->name);
	if (!program)
		return rf_fail(err, -EINVAL, "bundle crypt (%s) lists no binaries", crypt->manifest);
	r = rf_strv_pushf(&conds, "uuid=%s", e->uuid);
	if (r >= 0)
		r = rf_strv_split_words(&argv, program);
	if (r >= 0)
		r = rf_strv_split_words(&argv, "open --type luks");
	if (r >= 0 && e->discard)
		r = rf_strv_push(&argv, "--allow-discards");
	if (r >= 0 && e->keyfile) {
		r = rf_strv_push(&argv, "--key-file");
		if (r >= 0)
			r = rf_strv_push(&argv, e->keyfile);
		if (r >= 0)
			r = rf_conf_list_push(&out->required, e->keyfile, strlen(e->keyfile), e->origin);
		out->secrets = true;
	}
	if (r >= 0)
		r = rf_strv_push(&argv, "%{DEVICE}");
	if (r >= 0)
		r = rf_strv_push(&argv, e->name);
	if (r >= 0)
		r = add_step(out, crypt, "device=crypto_LUKS", &conds, &argv);
	rf_strv_clear(&conds);
	rf_strv_clear(&argv);
	return r;
}

static int bundle_out(const struct rf_bundle *b, const struct rf_crypttab *ct, bool hostonly,
		      const struct rf_strv *stack, struct rf_bundle_out *out, struct rf_err *err)
{
	int r = add_paths(&out->required, &b->binaries, b->name);

	if (r >= 0)
		r = add_paths(&out->optional, &b->files, b->name);
	for (size_t i = 0; r >= 0 && strcmp(b->name, "crypt") == 0 && ct && i < ct->n; i++)
		if (ct->v[i].initramfs || (hostonly && rf_crypttab_in_stack(&ct->v[i], stack)))
			r = crypttab_step(out, b, &ct->v[i], err);
	for (size_t i = 0; r >= 0 && i < b->nsteps; i++)
		r = add_step(out, b, b->steps[i].trigger, &b->steps[i].conds, &b->steps[i].argv);
	return r;
}

int rf_bundle_out_make(const struct rf_bundles *b, const struct rf_crypttab *ct, bool hostonly,
		       const struct rf_strv *stack, struct rf_bundle_out *out, struct rf_err *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < b->n; i++)
		if (b->v[i].chosen)
			r = bundle_out(&b->v[i], ct, hostonly, stack, out, err);
	if (r == -ENOMEM)
		rf_fail(err, r, "out of memory");
	return r;
}

int rf_bundle_out_add_files(const struct rf_bundle_out *out, const char *sysroot,
			    struct rf_manifest *m, struct rf_strv *added, struct rf_err *err)
{
	size_t n = out->required.n + out->optional.n, k = 0;
	struct rf_item *items = calloc(n ? n : 1, sizeof(*items));
	int r;

	if (!items)
		return rf_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < out->required.n; i++)
		items[k++] = (struct rf_item){ out->required.v[i].word, RF_ITEM_REQUIRED,
					       out->required.v[i].origin };
	for (size_t i = 0; i < out->optional.n; i++)
		items[k++] = (struct rf_item){ out->optional.v[i].word, RF_ITEM_OPTIONAL,
					       out->optional.v[i].origin };
	r = rf_items_add(m, sysroot, items, n, added, err);
	free(items);
	return r;
}

void rf_bundle_out_free(struct rf_bundle_out *out)
{
	for (size_t i = 0; i < out->nsteps; i++)
		rf_plan_step_free(&out->steps[i]);
	free(out->steps);
	rf_conf_list_clear(&out->required);
	rf_conf_list_clear(&out->optional);
	memset(out, 0, sizeof(*out));
}
