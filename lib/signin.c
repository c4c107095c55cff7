// SPDX-License-Identifier: MIT
/* Signing out-of-tree modules as they are packed (see signin.h). */
#include "signin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modbytes.h"
#include "sigtrust.h"

bool rf_signin_wants(const struct rf_module *m)
{
	return !m->builtin && m->path && !rf_sigtrust_intree_path(m->path) &&
	       m->info.sig.state == RF_MODSIG_UNSIGNED;
}

/* Read, sign and compress again the module at kmoddir/path into *sm. */
static int sign_one(const struct rf_modset *set, const struct rf_module *m,
		    const struct rf_signer *s, struct rf_signed_module *sm, struct rf_err *err)
{
	char *path = rf_path_join(set->kmoddir, m->path);
	unsigned char *p = NULL;
	size_t n = 0;
	int r = path ? rf_modbytes_read(path, &p, &n, err) : -ENOMEM;

	if (r >= 0)
		r = rf_modsig_sign(s, p, n, &sm->plain, &sm->plainlen, err);
	if (r >= 0)
		r = rf_modbytes_compress(rf_comp_of(m->path), sm->plain, sm->plainlen, &sm->packed,
					 &sm->packedlen, err);
	if (r >= 0)
		r = rf_modsig_parse(sm->plain, sm->plainlen, &sm->sig);
	if (r < 0 && path && strncmp(err->msg, path, strlen(path)) != 0) {
		struct rf_err why = *err;
		rf_fail(err, r, "signing module %s (%s): %s", m->name, path, why.msg);
	}
	if (r >= 0)
		rf_info("signed module %s (%s) on its way into the image", m->name, m->path);
	free(p);
	free(path);
	return r;
}

int rf_signin_run(const struct rf_modset *set, const struct rf_signer *s, struct rf_signin *out,
		  struct rf_err *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < set->n; i++) {
		if (!rf_signin_wants(&set->mods[i]))
			continue;
		r = rf_grow(&out->v, &out->cap, out->n, sizeof(out->v[0]), 8);
		if (r < 0)
			break;
		out->v[out->n] = (struct rf_signed_module){ .mod = i };
		r = sign_one(set, &set->mods[i], s, &out->v[out->n], err);
		out->n++; /* freed with the rest even when half made */
	}
	return r;
}

const struct rf_signed_module *rf_signin_find(const struct rf_signin *in, size_t mod)
{
	for (size_t i = 0; in && i < in->n; i++)
		if (in->v[i].mod == mod)
			return &in->v[i];
	return NULL;
}

int rf_signin_add(const struct rf_signin *in, const struct rf_modset *set, struct rf_manifest *m)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < in->n; i++) {
		const struct rf_signed_module *sm = &in->v[i];
		char *dst = rf_strdupf("lib/modules/%s/%s", set->kver, rf_module_file(&set->mods[sm->mod]));

		r = dst ? rf_manifest_add_bytes(m, dst, sm->packed, sm->packedlen, 0644) : -ENOMEM;
		free(dst);
	}
	return r;
}

void rf_signin_free(struct rf_signin *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].plain);
		free(in->v[i].packed);
		rf_modsig_free(&in->v[i].sig);
	}
	free(in->v);
	*in = (struct rf_signin){ 0 };
}
