// SPDX-License-Identifier: MIT
/* The module signature policy (see sigpolicy.h): yes, no, or auto from what the target kernel
 * would enforce; the trusted certificates. */
#include "sigpolicy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "input.h"
#include "log.h"
#include "modsig.h"

/* The next parameter of a kernel command line, as the kernel's next_arg() splits it: white
 * space outside double quotes ends it; the quotes around the whole word or around the value
 * are dropped. *param and *val (NULL without '=') point into s, which is cut in place.
 * Returns where the rest begins. */
static char *next_arg(char *s, char **param, char **val)
{
	size_t i, equals = 0;
	bool in_quote = false, quoted = false;

	if (*s == '"') {
		s++;
		in_quote = quoted = true;
	}
	for (i = 0; s[i]; i++) {
		if (isspace((unsigned char)s[i]) && !in_quote)
			break;
		if (equals == 0 && s[i] == '=')
			equals = i;
		if (s[i] == '"')
			in_quote = !in_quote;
	}
	*param = s;
	*val = NULL;
	if (equals) {
		s[equals] = '\0';
		*val = s + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (s[i - 1] == '"')
				s[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && s[i - 1] == '"')
		s[i - 1] = '\0';
	if (s[i])
		s[i++] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	return s + i;
}

/* Parameter names compare with '-' and '_' alike, as the kernel's parameq(). */
static bool param_is(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* The kernel's kstrtobool() for a bool parameter's value (none means true): 1 true, 0 false,
 * -1 not a boolean (the kernel ignores the parameter). */
static int kernel_bool(const char *v)
{
	if (!v)
		return 1;
	switch (v[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		return 1;
	case 'n': case 'N': case 'f': case 'F': case '0':
		return 0;
	case 'o': case 'O':
		if (v[1] == 'n' || v[1] == 'N')
			return 1;
		if (v[1] == 'f' || v[1] == 'F')
			return 0;
	}
	return -1;
}

bool rf_sigpolicy_cmdline_enforces(const char *text)
{
	char *copy = strdup(text ? text : ""), *s = copy, *param, *val;
	bool on = false;

	if (!copy)
		return false;
	while (isspace((unsigned char)*s))
		s++;
	while (*s) {
		s = next_arg(s, &param, &val);
		if (!val && strcmp(param, "--") == 0)
			break; /* the rest is the init's */
		/* sig_enforce is enable-only: a later "=0" cannot switch it off */
		if (param_is(param, "module.sig_enforce") && kernel_bool(val) == 1)
			on = true;
	}
	free(copy);
	return on;
}

/* The value of CONFIG name in a kernel config's text ("y", "\"sha256\"" unquoted), malloc'd,
 * or NULL when it is not set. */
static char *config_value(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t n = strcspn(l, "\n");
		if (n > len && strncmp(l, name, len) == 0 && l[len] == '=') {
			const char *v = l + len + 1;
			size_t vn = n - len - 1;
			if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
				v++, vn -= 2;
			return strndup(v, vn);
		}
	}
	return NULL;
}

static bool config_is_y(const char *text, const char *name)
{
	char *v = config_value(text, name);
	bool y = v && strcmp(v, "y") == 0;

	free(v);
	return y;
}

/* What the target's files say: CONFIG_MODULE_SIG_FORCE / etc/kernel/cmdline switch auto on
 * (*why set); CONFIG_MODULE_SIG makes findings warnings; CONFIG_MODULE_SIG_HASH. */
static int target_files(struct rf_sigpolicy *p, const struct rf_sigpolicy_opts *o, bool *on,
			struct rf_err *err)
{
	char *rel = rf_strdupf("boot/config-%s", o->kver), *config = NULL, *cmdline = NULL;
	const char *root = o->sysroot ? o->sysroot : "/";
	int r = rel ? rf_input_read(root, rel, rel, RF_INPUT_CONF_MAX, RF_INPUT_OPTIONAL, &config,
				    NULL, err) : -ENOMEM;

	if (r == -ENOENT)
		r = 0;
	if (r >= 0)
		r = rf_input_read(root, "etc/kernel/cmdline", "etc/kernel/cmdline", RF_INPUT_CONF_MAX,
				  RF_INPUT_OPTIONAL, &cmdline, NULL, err);
	if (r == -ENOENT)
		r = 0;
	if (r >= 0 && config) {
		p->warn = config_is_y(config, "CONFIG_MODULE_SIG");
		p->hash = config_value(config, "CONFIG_MODULE_SIG_HASH");
		if (config_is_y(config, "CONFIG_MODULE_SIG_FORCE") && !*on) {
			*on = true;
			p->why = rf_strdupf("auto: CONFIG_MODULE_SIG_FORCE=y in %s", rel);
		}
	}
	if (r >= 0 && cmdline && !*on && rf_sigpolicy_cmdline_enforces(cmdline)) {
		*on = true;
		p->why = strdup("auto: module.sig_enforce=1 in etc/kernel/cmdline");
	}
	if (r >= 0 && *on && !p->why)
		r = -ENOMEM;
	free(rel);
	free(config);
	free(cmdline);
	return r;
}

/* The first line of HOST/path, malloc'd, or NULL (absent or unreadable: the kernel lacks it). */
static char *host_line(const char *host, const char *path)
{
	char *text = NULL;
	struct rf_err err;
	int r = rf_input_read(host, path, path, RF_INPUT_ATTR_MAX, RF_INPUT_OPTIONAL, &text, NULL,
			      &err);

	if (r < 0 && r != -ENOENT)
		rf_warn("cannot tell whether the running kernel enforces module signatures: %s",
			err.msg);
	if (r < 0)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	return text;
}

/* The lockdown mode in brackets of "none [integrity] confidentiality", or NULL. */
static char *lockdown_mode(const char *line)
{
	const char *b = line ? strchr(line, '[') : NULL;
	const char *e = b ? strchr(b, ']') : NULL;

	return e ? strndup(b + 1, (size_t)(e - b - 1)) : NULL;
}

/* The running kernel's own state, when the build is for it. */
static int host_state(struct rf_sigpolicy *p, const struct rf_sigpolicy_opts *o, bool *on)
{
	const char *host = o->host_root ? o->host_root : "/";
	char *enforce = host_line(host, "sys/module/module/parameters/sig_enforce");
	char *lockdown = host_line(host, "sys/kernel/security/lockdown");
	char *mode = lockdown_mode(lockdown);
	int r = 0;

	if (enforce && strcmp(enforce, "Y") == 0) {
		*on = true;
		p->why = strdup("auto: the running kernel enforces module signatures "
				"(/sys/module/module/parameters/sig_enforce is Y)");
	} else if (mode && strcmp(mode, "none") != 0) {
		*on = true;
		p->why = rf_strdupf("auto: the running kernel is locked down (%s, "
				    "/sys/kernel/security/lockdown)", mode);
	}
	if (*on && !p->why)
		r = -ENOMEM;
	free(enforce);
	free(lockdown);
	free(mode);
	return r;
}

static bool for_running_kernel(const struct rf_sigpolicy_opts *o)
{
	struct utsname u;
	const char *running = o->running_kver;

	if (!running && uname(&u) == 0)
		running = u.release;
	return running && strcmp(running, o->kver) == 0 &&
	       (!o->sysroot || strcmp(o->sysroot, "/") == 0);
}

/* yes, no or auto, with where it was said. */
static int mode_of(const struct rf_sigpolicy_opts *o, const char **mode, char **said,
		   struct rf_err *err)
{
	*mode = o->require ? o->require : o->conf_require ? o->conf_require : "auto";
	if (strcmp(*mode, "yes") && strcmp(*mode, "no") && strcmp(*mode, "auto"))
		return rf_fail(err, -EINVAL, "--require-signed=%s: expected yes, no or auto", *mode);
	*said = o->require ? rf_strdupf("--require-signed=%s", *mode)
			   : rf_strdupf("require_signed=%s in ramforge.conf", *mode);
	return *said ? 0 : -ENOMEM;
}

static int load_certs(struct rf_sigpolicy *p, const struct rf_sigpolicy_opts *o,
		      struct rf_err *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && o->conf_certs && i < o->conf_certs->n; i++)
		r = rf_certs_load(&p->certs, o->conf_certs->v[i].word, err);
	for (size_t i = 0; r >= 0 && o->certs && i < o->certs->n; i++)
		r = rf_certs_load(&p->certs, o->certs->v[i], err);
	return r;
}

int rf_sigpolicy_resolve(struct rf_sigpolicy *p, const struct rf_sigpolicy_opts *o,
			 struct rf_err *err)
{
	const char *mode;
	char *said = NULL;
	bool on = false;
	int r = mode_of(o, &mode, &said, err);

	if (r >= 0)
		r = target_files(p, o, &on, err);
	if (r >= 0 && strcmp(mode, "auto") == 0 && !on && for_running_kernel(o))
		r = host_state(p, o, &on);
	if (r >= 0 && strcmp(mode, "auto") != 0) {
		/* an explicit yes or no wins over what the files say */
		free(p->why);
		p->why = said;
		said = NULL;
		on = strcmp(mode, "yes") == 0;
	} else if (r >= 0 && !on) {
		p->why = strdup("auto: the target kernel does not enforce module signatures");
		r = p->why ? 0 : -ENOMEM;
	}
	p->require = on;
	if (r >= 0)
		r = load_certs(p, o, err);
	free(said);
	return r;
}

void rf_sigpolicy_free(struct rf_sigpolicy *p)
{
	free(p->why);
	free(p->hash);
	rf_certs_free(p->certs);
	*p = (struct rf_sigpolicy){ 0 };
}
