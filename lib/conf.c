// SPDX-License-Identifier: MIT
/*
 * ramforge.conf reader: the declarative subset of dracut.conf, parsed line by line and never
 * evaluated. See conf.h for the precedence rules and the syntax.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confsyntax.h"
#include "input.h"

extern const char rf_default_conf[];

#define KNOWN_KEYS                                                                                \
	"add_drivers, force_drivers, omit_drivers, add_bundles, omit_bundles, install_items, "     \
	"compress, compress_level, backups, hostonly, image, require_signed, trusted_certs, "        \
	"sign_key, sign_cert, firmware, add_firmware, early_microcode, module_compress, module_cache"


void rf_conf_list_clear(struct rf_conf_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].word);
		free(l->v[i].origin);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int rf_conf_list_push(struct rf_conf_list *l, const char *word, size_t len, const char *origin)
{
	if (rf_grow(&l->v, &l->cap, l->n, sizeof(*l->v), 8) < 0)
		return -ENOMEM;
	l->v[l->n].word = strndup(word, len);
	l->v[l->n].origin = strdup(origin);
	if (!l->v[l->n].word || !l->v[l->n].origin) {
		free(l->v[l->n].word);
		free(l->v[l->n].origin);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

int rf_conf_list_assign(struct rf_conf_list *l, const struct rf_conf_assign *a, const char *origin)
{
	const char *p = a->value, *word;
	size_t len;
	int r = 0;

	if (!a->append)
		rf_conf_list_clear(l);
	while (r == 0 && (word = rf_conf_next_word(&p, &len)))
		r = rf_conf_list_push(l, word, len, origin);
	return r;
}


/* Strip white space around a scalar value, in place. */
static char *trim(char *v)
{
	size_t n;

	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		v[--n] = '\0';
	return v;
}

/* An integer lo..hi written in decimal; -1 if it is not one. */
static long parse_int(const char *v, long lo, long hi)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -1;
	return n;
}

static int set_string(char **dst, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static int apply_scalar(struct rf_conf *conf, const struct rf_conf_assign *a, const char *where, int line,
			struct rf_err *err)
{
	char *v = trim(a->value);
	long n;

	if (a->append)
		return rf_fail(err, -EINVAL, "%s:%d: %.*s takes one value: use %.*s=, not +=", where, line,
			       (int)a->keylen, a->key, (int)a->keylen, a->key);
	if (rf_conf_key_is(a, "compress")) {
		if (strcmp(v, "zstd") && strcmp(v, "gzip") && strcmp(v, "xz") && strcmp(v, "lz4") && strcmp(v, "none"))
			return rf_fail(err, -EINVAL, "%s:%d: compress=\"%s\": expected zstd, gzip, xz, lz4 or none",
				       where, line, v);
		return set_string(&conf->compress, v);
	}
	if (rf_conf_key_is(a, "image")) {
		if (*v && v[0] != '/')
			return rf_fail(err, -EINVAL, "%s:%d: image=\"%s\": expected an absolute path (%%k stands for the kernel version)",
				       where, line, v);
		if (!*v) {
			rf_freep(&conf->image);
			return 0;
		}
		return set_string(&conf->image, v);
	}
	if (rf_conf_key_is(a, "hostonly")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return rf_fail(err, -EINVAL, "%s:%d: hostonly=\"%s\": expected yes or no", where, line, v);
		return set_string(&conf->hostonly, v);
	}
	if (rf_conf_key_is(a, "require_signed")) {
		if (strcmp(v, "yes") && strcmp(v, "no") && strcmp(v, "auto"))
			return rf_fail(err, -EINVAL, "%s:%d: require_signed=\"%s\": expected yes, no or auto",
				       where, line, v);
		return set_string(&conf->require_signed, v);
	}
	if (rf_conf_key_is(a, "module_compress")) {
		if (strcmp(v, "auto") && strcmp(v, "zstd") && strcmp(v, "xz") && strcmp(v, "no"))
			return rf_fail(err, -EINVAL, "%s:%d: module_compress=\"%s\": expected auto, zstd, "
				       "xz or no", where, line, v);
		return set_string(&conf->module_compress, v);
	}
	if (rf_conf_key_is(a, "module_cache")) {
		if (!*v || strcmp(v, "no") == 0) {
			rf_freep(&conf->module_cache);
			return 0;
		}
		if (v[0] != '/')
			return rf_fail(err, -EINVAL, "%s:%d: module_cache=\"%s\": expected an absolute "
				       "path (inside the sysroot) or \"no\"", where, line, v);
		return set_string(&conf->module_cache, v);
	}
	if (rf_conf_key_is(a, "sign_key") || rf_conf_key_is(a, "sign_cert")) {
		char **dst = rf_conf_key_is(a, "sign_key") ? &conf->sign_key : &conf->sign_cert;

		if (!*v) {
			rf_freep(dst);
			return 0;
		}
		if (v[0] != '/')
			return rf_fail(err, -EINVAL, "%s:%d: %.*s=\"%s\": expected an absolute path", where,
				       line, (int)a->keylen, a->key, v);
		return set_string(dst, v);
	}
	if (rf_conf_key_is(a, "firmware") || rf_conf_key_is(a, "early_microcode")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return rf_fail(err, -EINVAL, "%s:%d: %.*s=\"%s\": expected yes or no", where, line,
				       (int)a->keylen, a->key, v);
		*(rf_conf_key_is(a, "firmware") ? &conf->firmware : &conf->early_microcode) =
			strcmp(v, "yes") == 0;
		return 0;
	}
	if (rf_conf_key_is(a, "compress_level")) {
		n = *v ? parse_int(v, 0, 22) : -1;
		if (*v && n < 0)
			return rf_fail(err, -EINVAL, "%s:%d: compress_level=\"%s\": expected \"\" or a number 0..22",
				       where, line, v);
		conf->compress_level = (int)n;
		return 0;
	}
	if (rf_conf_key_is(a, "backups")) {
		n = parse_int(v, 0, INT_MAX);
		if (n < 0)
			return rf_fail(err, -EINVAL, "%s:%d: backups=\"%s\": expected a number >= 0", where, line, v);
		conf->backups = (int)n;
		return 0;
	}
	return rf_fail(err, -EINVAL, "%s:%d: unknown key \"%.*s\" (known: " KNOWN_KEYS ")", where, line,
		       (int)a->keylen, a->key);
}

static int apply(struct rf_conf *conf, const struct rf_conf_assign *a, const char *where, int line, struct rf_err *err)
{
	struct rf_conf_list *l = NULL;
	char *origin;
	int r;

	if (rf_conf_key_is(a, "add_drivers"))
		l = &conf->add_drivers;
	else if (rf_conf_key_is(a, "force_drivers"))
		l = &conf->force_drivers;
	else if (rf_conf_key_is(a, "omit_drivers"))
		l = &conf->omit_drivers;
	else if (rf_conf_key_is(a, "add_bundles"))
		l = &conf->add_bundles;
	else if (rf_conf_key_is(a, "omit_bundles"))
		l = &conf->omit_bundles;
	else if (rf_conf_key_is(a, "install_items"))
		l = &conf->install_items;
	else if (rf_conf_key_is(a, "trusted_certs"))
		l = &conf->trusted_certs;
	else if (rf_conf_key_is(a, "add_firmware"))
		l = &conf->add_firmware;
	if (!l)
		return apply_scalar(conf, a, where, line, err);
	origin = rf_strdupf("%s:%d", where, line);
	if (!origin)
		return rf_fail(err, -ENOMEM, "out of memory");
	r = rf_conf_list_assign(l, a, origin);
	free(origin);
	return r < 0 ? rf_fail(err, r, "out of memory") : 0;
}

static int apply_cb(void *conf, const struct rf_conf_assign *a, const char *where, int line,
		    struct rf_err *err)
{
	return apply(conf, a, where, line, err);
}

int rf_conf_parse(struct rf_conf *conf, const char *text, const char *display, struct rf_err *err)
{
	return rf_conf_syntax_parse(text, display, apply_cb, conf, err);
}

int rf_conf_init(struct rf_conf *conf, struct rf_err *err)
{
	int r;

	memset(conf, 0, sizeof(*conf));
	conf->compress_level = -1;
	conf->backups = 3;
	conf->firmware = true;
	conf->early_microcode = true;
	if (set_string(&conf->compress, "zstd") < 0 || set_string(&conf->hostonly, "no") < 0 ||
	    set_string(&conf->require_signed, "auto") < 0 ||
	    set_string(&conf->module_compress, "auto") < 0 ||
	    set_string(&conf->module_cache, "/var/cache/ramforge") < 0) {
		rf_conf_free(conf);
		return rf_fail(err, -ENOMEM, "out of memory");
	}
	r = rf_conf_parse(conf, rf_default_conf, "(defaults)", err);
	if (r < 0)
		rf_conf_free(conf);
	return r;
}

/* Read SYSROOT/REL (resolved inside the sysroot) if it exists and apply it. */
static int load_file(struct rf_conf *conf, const char *sysroot, const char *rel, struct rf_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = rf_input_read(sysroot, rel, rel, RF_INPUT_CONF_MAX, RF_INPUT_OPTIONAL, &text, &len, err);

	if (r == -ENOENT)
		return 0;
	if (r == -EISDIR)
		return rf_fail(err, r, "cannot read %s: it is a directory", rel);
	if (r < 0)
		return r;
	if (memchr(text, '\0', len))
		r = rf_fail(err, -EINVAL, "%s: not a text file (contains a NUL byte)", rel);
	else
		r = rf_conf_parse(conf, text, rel, err);
	free(text);
	return r;
}

int rf_conf_load(struct rf_conf *conf, const char *sysroot, struct rf_err *err)
{
	static const char *const confd[] = { "etc/ramforge.conf.d", NULL };
	static const char *const suffix[] = { ".conf", NULL };
	struct rf_input_list files = { 0 };
	int r;

	r = rf_conf_init(conf, err);
	if (r < 0)
		return r;
	r = load_file(conf, sysroot, "etc/ramforge.conf", err);
	if (r >= 0)
		r = rf_input_list_conf(sysroot, confd, suffix, &files, err);
	for (size_t i = 0; r >= 0 && i < files.n; i++)
		if (!files.v[i].masked)
			r = load_file(conf, sysroot, files.v[i].path, err);
	rf_input_list_free(&files);
	if (r < 0)
		rf_conf_free(conf);
	return r;
}

void rf_conf_free(struct rf_conf *conf)
{
	if (!conf)
		return;
	rf_conf_list_clear(&conf->add_drivers);
	rf_conf_list_clear(&conf->force_drivers);
	rf_conf_list_clear(&conf->omit_drivers);
	rf_conf_list_clear(&conf->add_bundles);
	rf_conf_list_clear(&conf->omit_bundles);
	rf_conf_list_clear(&conf->install_items);
	rf_conf_list_clear(&conf->trusted_certs);
	rf_conf_list_clear(&conf->add_firmware);
	free(conf->compress);
	free(conf->hostonly);
	free(conf->image);
	free(conf->require_signed);
	free(conf->sign_key);
	free(conf->sign_cert);
	free(conf->module_compress);
	free(conf->module_cache);
	memset(conf, 0, sizeof(*conf));
	conf->compress_level = -1;
}
