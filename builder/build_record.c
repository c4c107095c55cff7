// SPDX-License-Identifier: MIT
/* The options an image was shaped by, and its input record: see build_record.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build_record.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "NAME=w1 w2" of the words sorted and unique; nothing for no words. */
static int push_words(struct rf_strv *out, const char *name, const struct rf_strv *words)
{
	char **v = words->n ? malloc(words->n * sizeof(*v)) : NULL;
	size_t len = strlen(name) + 2;
	char *s, *p;

	if (!words->n)
		return 0;
	if (!v)
		return -ENOMEM;
	memcpy(v, words->v, words->n * sizeof(*v));
	qsort(v, words->n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < words->n; i++)
		len += strlen(v[i]) + 1;
	s = malloc(len);
	if (s) {
		p = stpcpy(stpcpy(s, name), "=");
		for (size_t i = 0; i < words->n; i++)
			if (!i || strcmp(v[i], v[i - 1]) != 0)
				p = stpcpy(stpcpy(p, p[-1] == '=' ? "" : " "), v[i]);
	}
	free(v);
	return rf_strv_push_owned(out, s);
}

static int push_opt(struct rf_strv *out, const char *name, const char *value)
{
	return value ? rf_strv_pushf(out, "%s=%s", name, value) : 0;
}

int rf_build_options(const struct rf_opts *o, struct rf_strv *out)
{
	int r = push_words(out, o->drivers_only ? "drivers" : "add-drivers", &o->add);

	if (r >= 0)
		r = push_words(out, "omit-drivers", &o->omit);
	if (r >= 0)
		r = push_words(out, "add-bundles", &o->add_bundles);
	if (r >= 0)
		r = push_words(out, "omit-bundles", &o->omit_bundles);
	if (r >= 0)
		r = push_words(out, "trusted-cert", &o->trusted_certs);
	if (r >= 0)
		r = push_opt(out, "modules-load", o->no_modules_load ? "no" : NULL);
	if (r >= 0)
		r = push_opt(out, "selection", o->hostonly < 0 ? NULL : o->hostonly ? "hostonly" : "generic");
	if (r >= 0)
		r = push_opt(out, "host-root", o->host_root);
	if (r >= 0)
		r = push_opt(out, "require-signed", o->require_signed);
	if (r >= 0)
		r = push_opt(out, "sign-key", o->sign_key);
	if (r >= 0)
		r = push_opt(out, "sign-cert", o->sign_cert);
	if (r >= 0)
		r = push_opt(out, "firmware", o->no_firmware ? "no" : NULL);
	if (r >= 0)
		r = push_opt(out, "early-microcode",
			     o->early_microcode < 0 ? NULL : o->early_microcode ? "yes" : "no");
	if (r >= 0)
		r = push_opt(out, "module-compress", o->module_compress);
	if (r >= 0)
		r = push_opt(out, "init", o->init);
	return r;
}

int rf_build_record_add(struct rf_recorder *rc, const struct rf_opts *o, const char *kver,
			const char *kmoddir, const struct rf_manifest *const *image,
			struct rf_manifest *m, struct rf_err *err)
{
	struct rf_strv opts = { 0 };
	struct rf_record rec = { 0 };
	struct rf_recorder_build b = { .version = RF_VERSION, .kver = kver, .kmoddir = kmoddir,
				       .options = &opts, .manifests = image };
	char *text = NULL;
	size_t len = 0;
	int r = rf_build_options(o, &opts);

	if (r >= 0)
		r = rf_recorder_make(rc, &b, &rec, err);
	if (r >= 0)
		r = rf_record_format(&rec, &text, &len);
	if (r >= 0)
		r = rf_manifest_add_bytes(m, RF_RECORD_PATH, text, len, 0644);
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "the input record: %s", strerror(-r));
	free(text);
	rf_record_free(&rec);
	rf_strv_clear(&opts);
	return r;
}
