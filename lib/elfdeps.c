// SPDX-License-Identifier: MIT
/* The ELF dependency closure of programs inside a sysroot, found as ld.so would; see elfdeps.h.
 * The objects of one program form a map like ld.so's (struct ns), searched breadth first. */
#include "elfdeps.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfobj.h"
#include "input.h"
#include "ldconf.h"
#include "rootpath.h"
#include "strmap.h"

#define MAX_SCRIPT_DEPTH 4 /* #! interpreters that are scripts themselves, as the kernel */
#define NONE SIZE_MAX
#define LD_SO_CACHE "/etc/ld.so.cache"

/* One file read (cached by real path): the object, or why it could not be read. */
struct obj {
	struct rf_elfobj *elf;
	int err;
	char *msg;
};

/* What depends on the ELF class and machine of the object searching. */
struct arch {
	unsigned char cls;
	uint16_t machine;
	const char *platform; /* $PLATFORM, NULL if unknown */
	char *lib;            /* $LIB */
	struct rf_strv defaults;
};

struct rf_elfdeps {
	char *root; /* NULL for the host */
	struct rf_rootpath *rp;
	unsigned flags;
	struct rf_strmap objs; /* real path -> struct obj */
	struct rf_strv conf; /* the directories of etc/ld.so.conf, in order */
	bool conf_loaded;
	struct arch **arches; /* each allocated once: pointers to them stay valid */
	size_t narches, archcap;
	struct rf_elfobj blank; /* add_soname's loader: the first program's class, nothing else */
	bool have_blank;
	const struct rf_rootpath_res **pending; /* what the add in progress found, committed when it succeeds */
	size_t npending, pendcap;
	bool pending_cache;
	struct rf_strmap entryset; /* paths of entries */
	struct rf_elfdeps_entry *entries;
	size_t nentries, entcap;
	bool sorted;
};

/* ---- files read ---- */

static int load(struct rf_elfdeps *d, const struct rf_rootpath_res *res, const struct obj **out)
{
	struct obj *o = rf_strmap_get(&d->objs, res->real);
	unsigned flags = d->flags & RF_ELFDEPS_NO_DLOPEN ? RF_ELFOBJ_NO_NOTES : 0;
	struct rf_err e = { "" };
	int fd;

	if (o) {
		*out = o;
		return 0;
	}
	if (!(o = calloc(1, sizeof(*o))))
		return -ENOMEM;
	fd = rf_input_open(d->root, res->real, res->real, 0, &e);
	o->err = fd < 0 ? fd : rf_elfobj_read(fd, res->real, flags, &o->elf, &e);
	if (fd >= 0)
		close(fd);
	if (o->err == -ENOMEM || (o->err < 0 && !(o->msg = strdup(e.msg))) ||
	    rf_strmap_put(&d->objs, res->real, o) < 0) {
		free(o->msg);
		rf_elfobj_free(o->elf);
		free(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

/* err = "PROGRAM: MSG", unless MSG names the program already. */
static int fail_in(struct rf_err *err, int code, const char *program, const char *msg)
{
	size_t n = strlen(program);

	if (strncmp(msg, program, n) == 0 && msg[n] == ':')
		return rf_fail(err, code, "%s", msg);
	return rf_fail(err, code, "%s: %s", program, msg);
}

/* ---- where to search ---- */

static const struct {
	unsigned char cls;
	uint16_t machine;
	const char *triplet, *platform;
} known_arches[] = {
	{ ELFCLASS64, EM_X86_64, "x86_64-linux-gnu", "x86_64" },
	{ ELFCLASS32, EM_386, "i386-linux-gnu", "i686" },
	{ ELFCLASS64, EM_AARCH64, "aarch64-linux-gnu", "aarch64" },
	{ ELFCLASS32, EM_ARM, "arm-linux-gnueabihf", "v7l" },
	{ ELFCLASS64, EM_PPC64, "powerpc64le-linux-gnu", "ppc64le" },
	{ ELFCLASS64, EM_S390, "s390x-linux-gnu", "s390x" },
	{ ELFCLASS64, EM_RISCV, "riscv64-linux-gnu", "riscv64" },
};

static bool is_dir(struct rf_elfdeps *d, const char *path)
{
	const struct rf_rootpath_res *r;

	return rf_rootpath_resolve(d->rp, path, &r) == 0 && !r->err && r->dir;
}

static int arch_init(struct rf_elfdeps *d, struct arch *a)
{
	const char *triplet = NULL, *const *extra;
	static const char *const dirs64[] = { "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL };
	static const char *const dirs32[] = { "/lib32", "/usr/lib32", "/lib", "/usr/lib", NULL };
	int r = 0;

	for (size_t i = 0; i < sizeof(known_arches) / sizeof(known_arches[0]); i++)
		if (known_arches[i].cls == a->cls && known_arches[i].machine == a->machine)
			triplet = known_arches[i].triplet, a->platform = known_arches[i].platform;
	if (triplet && (r = rf_strv_pushf(&a->defaults, "/lib/%s", triplet)) == 0)
		r = rf_strv_pushf(&a->defaults, "/usr/lib/%s", triplet);
	for (extra = a->cls == ELFCLASS64 ? dirs64 : dirs32; r == 0 && *extra; extra++)
		r = rf_strv_push(&a->defaults, *extra);
	if (r == 0 && triplet && is_dir(d, a->defaults.v[0])) /* Debian's $LIB is lib/TRIPLET */
		a->lib = rf_strdupf("lib/%s", triplet);
	else if (r == 0)
		a->lib = strdup(a->cls == ELFCLASS64 ? "lib64" : "lib");
	return r < 0 || !a->lib ? -ENOMEM : 0;
}

static void arch_free(struct arch *a)
{
	free(a->lib);
	rf_strv_clear(&a->defaults);
	free(a);
}

static int arch_of(struct rf_elfdeps *d, const struct rf_elfobj *o, struct arch **out)
{
	struct arch *a;

	for (size_t i = 0; i < d->narches; i++)
		if (d->arches[i]->cls == o->cls && d->arches[i]->machine == o->machine) {
			*out = d->arches[i];
			return 0;
		}
	if (rf_grow(&d->arches, &d->archcap, d->narches, sizeof(*d->arches), 2) < 0 ||
	    !(a = calloc(1, sizeof(*a))))
		return -ENOMEM;
	a->cls = o->cls, a->machine = o->machine;
	if (arch_init(d, a) < 0) {
		arch_free(a);
		return -ENOMEM;
	}
	d->arches[d->narches++] = a;
	*out = a;
	return 0;
}

static int load_conf(struct rf_elfdeps *d, struct rf_err *err)
{
	int r;

	if (d->conf_loaded)
		return 0;
	r = rf_ldconf_read(d->rp, d->root, &d->conf, err);
	if (r < 0) {
		rf_strv_clear(&d->conf);
		return r;
	}
	d->conf_loaded = true;
	return 0;
}

/* ---- one program's objects, as ld.so's link map ---- */

struct lobj {
	const struct rf_elfobj *o;
	const struct rf_rootpath_res *res; /* NULL for add_soname's loader: nothing to copy */
	char *path;            /* as found (the program: as asked for) */
	char *origin;          /* $ORIGIN */
	size_t loader;         /* the object whose need brought it in, NONE for the first ones */
	struct rf_strv rpath, runpath; /* expanded, once wanted */
	bool expanded;
};

struct ns {
	struct rf_elfdeps *d;
	const char *program; /* names the errors */
	struct lobj *v;
	size_t n, cap;
	struct rf_strmap names; /* needed names and sonames -> index + 1 */
	struct rf_strmap reals; /* real paths -> index + 1 */
};

static void ns_free(struct ns *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].path);
		free(ns->v[i].origin);
		rf_strv_clear(&ns->v[i].rpath);
		rf_strv_clear(&ns->v[i].runpath);
	}
	free(ns->v);
	rf_strmap_clear(&ns->names);
	rf_strmap_clear(&ns->reals);
}

static int pending_add(struct rf_elfdeps *d, const struct rf_rootpath_res *r)
{
	if (rf_grow(&d->pending, &d->pendcap, d->npending, sizeof(*d->pending), 32) < 0)
		return -ENOMEM;
	d->pending[d->npending++] = r;
	return 0;
}

static int ns_name(struct ns *ns, const char *name, size_t idx)
{
	return rf_strmap_put(&ns->names, name, (void *)(uintptr_t)(idx + 1));
}

/* Load o (found at path, resolved as res) into the map, brought in by loader. */
static int ns_add(struct ns *ns, const struct rf_elfobj *o, const struct rf_rootpath_res *res,
		  const char *path, size_t loader, struct rf_err *err)
{
	struct lobj *l;
	const char *slash = strrchr(path, '/');

	if (ns->n >= RF_ELFDEPS_MAX_OBJECTS)
		return rf_fail(err, -E2BIG, "%s: more than %d shared objects", ns->program, RF_ELFDEPS_MAX_OBJECTS);
	if (rf_grow(&ns->v, &ns->cap, ns->n, sizeof(*ns->v), 16) < 0)
		return -ENOMEM;
	l = &ns->v[ns->n];
	*l = (struct lobj){ .o = o, .res = res, .loader = loader, .path = strdup(path) };
	/* ld.so: a library's $ORIGIN is the directory it was found in, the program's its real one */
	l->origin = loader == NONE && res ? strndup(res->real, (size_t)(strrchr(res->real, '/') - res->real))
			 : strndup(path, slash ? (size_t)(slash - path) : 0);
	if (!l->path || !l->origin) {
		free(l->path);
		free(l->origin);
		return -ENOMEM;
	}
	ns->n++;
	if ((res && rf_strmap_put(&ns->reals, res->real, (void *)(uintptr_t)ns->n) < 0) ||
	    (o->soname && ns_name(ns, o->soname, ns->n - 1) < 0) || (res && pending_add(ns->d, res) < 0))
		return -ENOMEM;
	return 0;
}

/* Expand $ORIGIN, $LIB, $PLATFORM (also ${...}) in one element of a search path into out;
 * false when the element must be dropped (a token without a value). */
static bool expand_one(const char *e, const struct lobj *l, const struct arch *a, char *out,
		       size_t size)
{
	static const char *const tokens[] = { "ORIGIN", "LIB", "PLATFORM" };
	size_t n = 0;

	while (*e && n + 1 < size) {
		const char *val = NULL;
		size_t len = 0;

		for (size_t t = 0; *e == '$' && !val && t < 3; t++) {
			size_t tl = strlen(tokens[t]);
			bool curly = e[1] == '{';

			if (strncmp(e + 1 + curly, tokens[t], tl) != 0 || (curly && e[2 + tl] != '}'))
				continue;
			if (!curly && e[1 + tl] && e[1 + tl] != '/')
				continue;
			val = t == 0 ? l->origin : t == 1 ? a->lib : a->platform;
			if (!val)
				return false;
			len = 1 + tl + 2 * curly;
		}
		if (!val) {
			out[n++] = *e++;
			continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s", val);
		e += len;
	}
	if (n + 1 >= size)
		return false;
	out[n] = '\0';
	return true;
}

/* A DT_RPATH or DT_RUNPATH as absolute directories in the sysroot. */
static int expand_path(const char *list, const struct lobj *l, const struct arch *a,
		       struct rf_strv *out)
{
	char *copy = strdup(list), *rest = copy, *e, dir[PATH_MAX];
	int r = copy ? 0 : -ENOMEM;

	while (r == 0 && (e = strsep(&rest, ":"))) {
		size_t n;

		if (!expand_one(*e ? e : ".", l, a, dir, sizeof(dir)))
			continue;
		n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			dir[--n] = '\0';
		r = dir[0] == '/' ? rf_strv_push(out, dir) : rf_strv_pushf(out, "/%s", dir);
	}
	free(copy);
	return r;
}

static int expand_lobj(struct ns *ns, size_t li)
{
	struct lobj *l = &ns->v[li];
	struct arch *a;
	int r;

	if (l->expanded || (!l->o->rpath && !l->o->runpath))
		return 0;
	r = arch_of(ns->d, l->o, &a);
	if (r == 0 && l->o->rpath)
		r = expand_path(l->o->rpath, l, a, &l->rpath);
	if (r == 0 && l->o->runpath)
		r = expand_path(l->o->runpath, l, a, &l->runpath);
	l->expanded = r == 0;
	return r;
}

static bool same_arch(const struct rf_elfobj *a, const struct rf_elfobj *b)
{
	return a->cls == b->cls && a->data == b->data && a->machine == b->machine;
}

/* Is path the library li needs? *idx is its index when it is (loaded now or before), NONE
 * when it is not there or of another class or machine. */
static int try_path(struct ns *ns, size_t li, const char *path, size_t *idx, struct rf_err *err)
{
	const struct rf_rootpath_res *res;
	const struct obj *obj;
	void *seen;
	int r = rf_rootpath_resolve(ns->d->rp, path, &res);

	*idx = NONE;
	if (r < 0)
		return r;
	if (res->err == ENOENT || res->err == ENOTDIR || res->err == EACCES || (!res->err && res->dir))
		return 0;
	if (res->err)
		return rf_fail(err, -res->err, "%s: %s: %s", ns->program, path, strerror(res->err));
	if ((seen = rf_strmap_get(&ns->reals, res->real))) {
		*idx = (size_t)(uintptr_t)seen - 1;
		return 0;
	}
	if ((r = load(ns->d, res, &obj)) < 0)
		return r;
	if (obj->err == -EACCES) /* ld.so goes on searching */
		return 0;
	if (obj->err)
		return fail_in(err, obj->err, ns->program, obj->msg);
	if (obj->elf->kind != RF_ELFOBJ_ELF)
		return rf_fail(err, -ENOEXEC, "%s: %s: not an ELF file", ns->program, res->real);
	if (!same_arch(obj->elf, ns->v[li].o))
		return 0;
	if (obj->elf->type != ET_DYN)
		return rf_fail(err, -ENOEXEC, "%s: %s: not a shared library", ns->program, res->real);
	*idx = ns->n;
	return ns_add(ns, obj->elf, res, path, li, err);
}

static int try_dirs(struct ns *ns, size_t li, const struct rf_strv *dirs, const char *name, size_t *idx,
		    size_t *dir, struct rf_err *err)
{
	int r = 0;

	*idx = NONE;
	for (size_t i = 0; r == 0 && *idx == NONE && i < dirs->n; i++) {
		char *path = rf_strdupf("%s/%s", strcmp(dirs->v[i], "/") ? dirs->v[i] : "", name);

		r = path ? try_path(ns, li, path, idx, err) : -ENOMEM;
		free(path);
		if (dir)
			*dir = i;
	}
	return r;
}

/* The RPATHs of li and of the objects that loaded it, then of the program (ld.so's order). */
static int try_rpaths(struct ns *ns, size_t li, const char *name, size_t *idx, struct rf_err *err)
{
	bool did_program = false;
	int r = 0;

	*idx = NONE;
	for (size_t l = li; r == 0 && *idx == NONE && l != NONE; l = ns->v[l].loader) {
		if ((r = expand_lobj(ns, l)) == 0 && ns->v[l].rpath.n)
			r = try_dirs(ns, li, &ns->v[l].rpath, name, idx, NULL, err);
		did_program |= l == 0;
	}
	if (r == 0 && *idx == NONE && !did_program && (r = expand_lobj(ns, 0)) == 0)
		r = try_dirs(ns, li, &ns->v[0].rpath, name, idx, NULL, err);
	return r;
}

/* ld.so.conf's directories (the cache's), then the defaults. */
static int try_system(struct ns *ns, size_t li, const char *name, size_t *idx, struct rf_err *err)
{
	struct arch *a;
	size_t dir;
	int r = load_conf(ns->d, err);

	if (r == 0)
		r = arch_of(ns->d, ns->v[li].o, &a);
	if (r == 0)
		r = try_dirs(ns, li, &ns->d->conf, name, idx, &dir, err);
	if (r == 0 && *idx != NONE) {
		/* Found only through ld.so.conf: the loader in the image needs the cache. */
		if (!rf_strv_contains(&a->defaults, ns->d->conf.v[dir]))
			ns->d->pending_cache = true;
		return 0;
	}
	return r < 0 ? r : try_dirs(ns, li, &a->defaults, name, idx, NULL, err);
}

/* Find name as object li needs it; *idx NONE when not found. A name with a '$' is expanded
 * first (ld.so does it in DT_NEEDED too). */
static int find(struct ns *ns, size_t li, const char *name, size_t *idx, struct rf_err *err)
{
	const struct rf_elfobj *o = ns->v[li].o;
	char buf[PATH_MAX];
	struct arch *a;
	void *seen;
	int r = 0;

	*idx = NONE;
	if (strchr(name, '$')) {
		if ((r = arch_of(ns->d, o, &a)) < 0 || !expand_one(name, &ns->v[li], a, buf, sizeof(buf)))
			return r;
		name = buf;
	}
	if (strchr(name, '/')) { /* a path, not searched: from the sysroot's root when relative */
		char *path = name[0] == '/' ? strdup(name) : rf_strdupf("/%s", name);

		r = path ? try_path(ns, li, path, idx, err) : -ENOMEM;
		free(path);
		return r;
	}
	if ((seen = rf_strmap_get(&ns->names, name))) {
		*idx = (size_t)(uintptr_t)seen - 1;
		return 0;
	}
	if (!o->runpath)
		r = try_rpaths(ns, li, name, idx, err);
	if (r == 0 && *idx == NONE && o->runpath && (r = expand_lobj(ns, li)) == 0)
		r = try_dirs(ns, li, &ns->v[li].runpath, name, idx, NULL, err);
	if (r == 0 && *idx == NONE && !o->nodeflib)
		r = try_system(ns, li, name, idx, err);
	if (r == 0 && *idx != NONE)
		r = ns_name(ns, name, *idx);
	return r;
}

/* How errors name object li: the program as it was asked for, a library by its real path. */
static const char *lobj_name(const struct ns *ns, size_t li)
{
	return li && ns->v[li].res ? ns->v[li].res->real : ns->v[li].path;
}

static int needs(struct ns *ns, size_t li, struct rf_err *err)
{
	const struct rf_elfobj *o = ns->v[li].o;

	for (size_t i = 0; i < o->needed.n; i++) {
		size_t idx;
		int r = find(ns, li, o->needed.v[i], &idx, err);

		if (r < 0)
			return r;
		if (idx == NONE && li == 0)
			return rf_fail(err, -ENOENT, "%s: %s: not found", ns->program, o->needed.v[i]);
		if (idx == NONE)
			return rf_fail(err, -ENOENT, "%s: %s (needed by %s): not found", ns->program,
				       o->needed.v[i], lobj_name(ns, li));
	}
	return 0;
}

static int dlopens(struct ns *ns, size_t li, struct rf_err *err)
{
	const struct rf_elfobj *o = ns->v[li].o;

	for (size_t i = 0; i < o->ndlopen; i++) {
		const struct rf_strv *names = &o->dlopen[i].sonames;
		size_t idx = NONE;
		int r = 0;

		for (size_t k = 0; r == 0 && idx == NONE && k < names->n; k++)
			r = find(ns, li, names->v[k], &idx, err);
		if (r < 0)
			return r;
		if (idx == NONE && o->dlopen[i].required)
			return rf_fail(err, -ENOENT, "%s: %s%s (dlopen()ed by %s, required): not found",
				       ns->program, names->v[0], names->n > 1 ? " or another" : "", lobj_name(ns, li));
	}
	return 0;
}

/* Breadth first, as ld.so maps them; what the objects dlopen() once the program is loaded. */
static int closure(struct ns *ns, struct rf_err *err)
{
	size_t next_need = 0, next_dlopen = 0;
	int r = 0;

	while (r == 0 && (next_need < ns->n || next_dlopen < ns->n))
		r = next_need < ns->n ? needs(ns, next_need++, err) : dlopens(ns, next_dlopen++, err);
	return r == -ENOMEM ? rf_fail(err, r, "%s: out of memory", ns->program) : r;
}

/* ---- programs ---- */

static int add_interp(struct ns *ns, struct rf_err *err)
{
	const char *interp = ns->v[0].o->interp;
	char *path = interp[0] == '/' ? strdup(interp) : rf_strdupf("/%s", interp);
	const struct rf_rootpath_res *res;
	const struct obj *obj;
	int r = path ? rf_rootpath_resolve(ns->d->rp, path, &res) : -ENOMEM;

	if (r == 0 && (res->err || res->dir))
		r = rf_fail(err, res->err ? -res->err : -EISDIR, "%s: interpreter %s: %s", ns->program, path,
			    strerror(res->err ? res->err : EISDIR));
	else if (r == 0 && (r = load(ns->d, res, &obj)) == 0 && obj->err)
		r = rf_fail(err, obj->err, "%s: interpreter %s", ns->program, obj->msg);
	else if (r == 0 && (obj->elf->kind != RF_ELFOBJ_ELF || !same_arch(obj->elf, ns->v[0].o)))
		r = rf_fail(err, -ENOEXEC, "%s: interpreter %s: not an ELF file of the program's class and machine",
			    ns->program, path);
	if (r == 0 && !rf_strmap_get(&ns->reals, res->real) &&
	    (r = ns_add(ns, obj->elf, res, path, NONE, err)) == 0)
		r = ns_name(ns, interp, ns->n - 1); /* ld.so's name for itself */
	free(path);
	return r;
}

static int elf_program(struct rf_elfdeps *d, const char *program, const struct rf_rootpath_res *res,
		       const struct rf_elfobj *o, struct rf_err *err)
{
	struct ns ns = { .d = d, .program = program };
	int r;

	if (!d->have_blank) {
		d->blank.cls = o->cls, d->blank.data = o->data, d->blank.machine = o->machine;
		d->have_blank = true;
	}
	r = ns_add(&ns, o, res, program, NONE, err);
	if (r == 0 && o->interp)
		r = add_interp(&ns, err);
	if (r == 0)
		r = closure(&ns, err);
	ns_free(&ns);
	return r == -ENOMEM ? rf_fail(err, r, "%s: out of memory", program) : r;
}

static int add_program(struct rf_elfdeps *d, const char *path, int depth, struct rf_err *err)
{
	const struct rf_rootpath_res *res;
	const struct obj *obj;
	struct rf_err sub = { "" };
	int r = rf_rootpath_resolve(d->rp, path, &res);

	if (r == 0 && (res->err || res->dir))
		return rf_fail(err, res->err ? -res->err : -EISDIR, "%s: %s", path,
			       strerror(res->err ? res->err : EISDIR));
	if (r == 0)
		r = load(d, res, &obj);
	if (r < 0)
		return rf_fail(err, r, "%s: %s", path, strerror(-r));
	if (obj->err)
		return fail_in(err, obj->err, path, obj->msg);
	if (obj->elf->kind == RF_ELFOBJ_ELF)
		return elf_program(d, path, res, obj->elf, err);
	if (obj->elf->kind == RF_ELFOBJ_OTHER)
		return rf_fail(err, -ENOEXEC, "%s: not an ELF file nor a #! script", path);
	if (depth >= MAX_SCRIPT_DEPTH)
		return rf_fail(err, -ELOOP, "%s: more than %d levels of #! interpreters", path, MAX_SCRIPT_DEPTH);
	if (pending_add(d, res) < 0)
		return rf_fail(err, -ENOMEM, "%s: out of memory", path);
	r = obj->elf->interp[0] == '/' ? add_program(d, obj->elf->interp, depth + 1, &sub) : -ENOENT;
	if (r == -ENOENT && obj->elf->interp[0] != '/')
		snprintf(sub.msg, sizeof(sub.msg), "%s: not an absolute path", obj->elf->interp);
	return r < 0 ? rf_fail(err, r, "%s: interpreter %s", path, sub.msg) : 0;
}

/* ---- the result ---- */

static int entry_add(struct rf_elfdeps *d, const char *path, const char *target)
{
	struct rf_elfdeps_entry *e;

	if (rf_strmap_get(&d->entryset, path))
		return 0;
	if (rf_grow(&d->entries, &d->entcap, d->nentries, sizeof(*d->entries), 64) < 0)
		return -ENOMEM;
	e = &d->entries[d->nentries];
	e->path = strdup(path);
	e->target = target ? strdup(target) : NULL;
	e->kind = target ? RF_ELFDEPS_SYMLINK : RF_ELFDEPS_FILE;
	if (!e->path || (target && !e->target) || rf_strmap_put(&d->entryset, path, (void *)1) < 0) {
		free((char *)e->path);
		free((char *)e->target);
		return -ENOMEM;
	}
	d->nentries++;
	d->sorted = false;
	return 0;
}

static int entry_add_res(struct rf_elfdeps *d, const struct rf_rootpath_res *res)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < res->nlinks; i++)
		r = entry_add(d, rf_rootpath_link(d->rp, res->links[i])->path,
			      rf_rootpath_link(d->rp, res->links[i])->target);
	return r < 0 ? r : entry_add(d, res->real, NULL);
}

static int commit(struct rf_elfdeps *d)
{
	const struct rf_rootpath_res *cache;
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->npending; i++)
		r = entry_add_res(d, d->pending[i]);
	if (r == 0 && d->pending_cache && (r = rf_rootpath_resolve(d->rp, LD_SO_CACHE, &cache)) == 0 &&
	    !cache->err && !cache->dir)
		r = entry_add_res(d, cache);
	return r;
}

static void pending_reset(struct rf_elfdeps *d)
{
	d->npending = 0;
	d->pending_cache = false;
}

int rf_elfdeps_add(struct rf_elfdeps *d, const char *path, struct rf_err *err)
{
	char *abs = path[0] == '/' ? strdup(path) : rf_strdupf("/%s", path);
	int r = abs ? add_program(d, abs, 0, err) : rf_fail(err, -ENOMEM, "%s: out of memory", path);

	if (r == 0 && (r = commit(d)) < 0)
		rf_fail(err, r, "%s: out of memory", path);
	pending_reset(d);
	free(abs);
	return r;
}

int rf_elfdeps_add_soname(struct rf_elfdeps *d, const char *soname, struct rf_err *err)
{
	struct ns ns = { .d = d, .program = soname };
	size_t idx = NONE;
	int r;

	if (!d->have_blank)
		return rf_fail(err, -EINVAL, "%s: no program added before it to take the ELF class from", soname);
	r = ns_add(&ns, &d->blank, NULL, "/", NONE, err);
	if (r == 0)
		r = find(&ns, 0, soname, &idx, err);
	if (r == 0 && idx == NONE)
		r = rf_fail(err, -ENOENT, "%s: not found", soname);
	if (r == 0)
		r = closure(&ns, err);
	if (r == 0)
		r = commit(d);
	if (r == -ENOMEM)
		rf_fail(err, r, "%s: out of memory", soname);
	ns_free(&ns);
	pending_reset(d);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct rf_elfdeps_entry *)a)->path, ((const struct rf_elfdeps_entry *)b)->path);
}

const struct rf_elfdeps_entry *rf_elfdeps_entries(struct rf_elfdeps *d, size_t *n)
{
	if (!d->sorted && d->nentries)
		qsort(d->entries, d->nentries, sizeof(*d->entries), cmp_entry);
	d->sorted = true;
	*n = d->nentries;
	return d->entries;
}

void rf_elfdeps_clear(struct rf_elfdeps *d)
{
	for (size_t i = 0; i < d->nentries; i++) {
		free((char *)d->entries[i].path);
		free((char *)d->entries[i].target);
	}
	d->nentries = 0;
	rf_strmap_clear(&d->entryset);
}

int rf_elfdeps_new(struct rf_elfdeps **out, const char *sysroot, unsigned flags, struct rf_err *err)
{
	struct rf_elfdeps *d = calloc(1, sizeof(*d));
	bool host = !sysroot || sysroot[strspn(sysroot, "/")] == '\0';
	int r;

	*out = NULL;
	if (!d || (!host && !(d->root = strdup(sysroot)))) {
		free(d);
		return rf_fail(err, -ENOMEM, "out of memory");
	}
	d->flags = flags;
	r = rf_rootpath_new(&d->rp, d->root);
	if (r < 0) {
		free(d->root);
		free(d);
		return rf_fail(err, r, "sysroot %s: %s", sysroot, strerror(-r));
	}
	*out = d;
	return 0;
}

void rf_elfdeps_free(struct rf_elfdeps *d)
{
	if (!d)
		return;
	rf_elfdeps_clear(d);
	free(d->entries);
	for (size_t i = 0; i < d->objs.cap; i++)
		if (d->objs.keys[i]) {
			struct obj *o = d->objs.vals[i];

			rf_elfobj_free(o->elf);
			free(o->msg);
			free(o);
		}
	rf_strmap_clear(&d->objs);
	rf_strv_clear(&d->conf);
	for (size_t i = 0; i < d->narches; i++)
		arch_free(d->arches[i]);
	free(d->arches);
	free(d->pending);
	rf_rootpath_free(d->rp);
	free(d->root);
	free(d);
}
