// SPDX-License-Identifier: MIT
/* Reading one ELF file's dynamic-loading facts with libelf; see elfobj.h. */
#include "elfobj.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHEBANG_MAX 256 /* the kernel reads this much of a script (BINPRM_BUF_SIZE) */
#define JSON_DEPTH 32

void rf_elfobj_free(struct rf_elfobj *o)
{
	if (!o)
		return;
	free(o->interp);
	free(o->soname);
	free(o->rpath);
	free(o->runpath);
	rf_strv_clear(&o->needed);
	for (size_t i = 0; i < o->ndlopen; i++)
		rf_strv_clear(&o->dlopen[i].sonames);
	free(o->dlopen);
	free(o);
}

/* ---- .note.dlopen: just enough JSON ---- */

struct json {
	const char *p, *end;
	int depth;
};

static void ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool eat(struct json *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* The 4 hex digits of a \\u escape, or -1. */
static int hex4(struct json *j)
{
	int u = 0;

	if (j->end - j->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = *j->p++;
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return -1;
		u = u * 16 + v;
	}
	return u;
}

/* A string; into *out (malloc'd) when out is non-NULL. Non-ASCII \u escapes are refused in
 * kept strings (sonames are ASCII), accepted in skipped ones. */
static int jstring(struct json *j, char **out)
{
	size_t n = 0;
	char *buf;

	if (!eat(j, '"'))
		return -EINVAL;
	buf = out ? malloc((size_t)(j->end - j->p) + 1) : NULL;
	if (out && !buf)
		return -ENOMEM;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if ((unsigned char)c < 0x20)
			break;
		if (c == '\\') {
			const char *esc = "\"\"\\\\//b\bf\fn\nr\rt\t", *m;
			int u;

			if (j->p >= j->end)
				break;
			c = *j->p++;
			if (c == 'u') {
				u = hex4(j);
				if (u < 0 || (out && (u == 0 || u >= 0x80)))
					break;
				c = (char)u;
			} else if ((m = strchr(esc, c)) && c && (m - esc) % 2 == 0) {
				c = m[1];
			} else {
				break;
			}
		}
		if (buf)
			buf[n++] = c;
	}
	if (j->p >= j->end || *j->p != '"') {
		free(buf);
		return -EINVAL;
	}
	j->p++;
	if (buf) {
		buf[n] = '\0';
		*out = buf;
	}
	return 0;
}

static int jskip(struct json *j);

/* The rest of an array or object after its opening bracket, each item through item(). */
static int jitems(struct json *j, char close, int (*item)(struct json *, void *), void *ctx)
{
	int r;

	if (++j->depth > JSON_DEPTH)
		return -EINVAL;
	if (eat(j, close)) {
		j->depth--;
		return 0;
	}
	do {
		r = item(j, ctx);
		if (r < 0)
			return r;
	} while (eat(j, ','));
	j->depth--;
	return eat(j, close) ? 0 : -EINVAL;
}

static int skip_item(struct json *j, void *ctx)
{
	(void)ctx;
	return jskip(j);
}

static int skip_member(struct json *j, void *ctx)
{
	(void)ctx;
	if (jstring(j, NULL) < 0 || !eat(j, ':'))
		return -EINVAL;
	return jskip(j);
}

/* Any value. */
static int jskip(struct json *j)
{
	static const char *const words[] = { "true", "false", "null" };
	const char *start;

	ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	if (*j->p == '"')
		return jstring(j, NULL);
	if (eat(j, '['))
		return jitems(j, ']', skip_item, NULL);
	if (eat(j, '{'))
		return jitems(j, '}', skip_member, NULL);
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
			j->p += n;
			return 0;
		}
	}
	start = j->p;
	while (j->p < j->end && *j->p && strchr("+-.0123456789eE", *j->p))
		j->p++;
	return j->p > start ? 0 : -EINVAL;
}

static int soname_item(struct json *j, void *ctx)
{
	char *s = NULL;
	int r = jstring(j, &s);

	if (r < 0)
		return r;
	if (!*s) {
		free(s);
		return -EINVAL;
	}
	return rf_strv_push_owned(ctx, s);
}

static int note_member(struct json *j, void *ctx)
{
	struct rf_elfobj_dlopen *dl = ctx;
	char *key = NULL, *val = NULL;
	int r = jstring(j, &key);

	if (r < 0)
		return r;
	if (!eat(j, ':')) {
		r = -EINVAL;
	} else if (strcmp(key, "soname") == 0) {
		r = eat(j, '[') ? jitems(j, ']', soname_item, &dl->sonames) : -EINVAL;
	} else if (strcmp(key, "priority") == 0) {
		r = jstring(j, &val);
		dl->required = r == 0 && strcmp(val, "required") == 0;
	} else {
		r = jskip(j);
	}
	free(key);
	free(val);
	return r;
}

static int note_item(struct json *j, void *ctx)
{
	struct rf_elfobj *o = ctx;
	struct rf_elfobj_dlopen *dl;
	size_t cap = o->ndlopen;
	int r;

	if (!eat(j, '{'))
		return -EINVAL;
	if (rf_grow(&o->dlopen, &cap, o->ndlopen, sizeof(*o->dlopen), o->ndlopen + 1) < 0)
		return -ENOMEM;
	dl = &o->dlopen[o->ndlopen++];
	*dl = (struct rf_elfobj_dlopen){ 0 };
	r = jitems(j, '}', note_member, dl);
	return r < 0 ? r : dl->sonames.n ? 0 : -EINVAL;
}

int rf_elfobj_parse_dlopen(struct rf_elfobj *o, const char *json, size_t len, const char *display,
			   struct rf_err *err)
{
	struct json j = { json, json + len, 0 };
	int r;

	while (len && !json[len - 1]) /* the payload is padded with NULs */
		j.end = json + --len;
	r = eat(&j, '[') ? jitems(&j, ']', note_item, o) : -EINVAL;
	ws(&j);
	if (r == 0 && j.p != j.end)
		r = -EINVAL;
	if (r == -ENOMEM)
		return rf_fail(err, r, "%s: out of memory", display);
	if (r < 0)
		return rf_fail(err, r, "%s: bad .note.dlopen JSON near byte %zu: %.40s", display,
			       (size_t)(j.p - json), json);
	return 0;
}

/* ---- the ELF file ---- */

static int bad(struct rf_err *err, const char *display, const char *what)
{
	int e = elf_errno();

	return rf_fail(err, -EINVAL, "%s: %s%s%s", display, what, e ? ": " : "", e ? elf_errmsg(e) : "");
}

/* The file offset of virtual address va (in a PT_LOAD's file bytes), or -1. */
static int64_t va_to_off(Elf *elf, size_t phnum, uint64_t va)
{
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && va >= ph.p_vaddr &&
		    va - ph.p_vaddr < ph.p_filesz)
			return (int64_t)(ph.p_offset + (va - ph.p_vaddr));
	}
	return -1;
}

struct dyn {
	uint64_t strtab, strsz, soname, rpath, runpath;
	bool has_strtab, has_soname, has_rpath, has_runpath;
	uint64_t *needed;
	size_t nneeded, cap;
};

static int dyn_entry(struct dyn *dy, const GElf_Dyn *e, struct rf_elfobj *o)
{
	switch (e->d_tag) {
	case DT_NEEDED:
		if (rf_grow(&dy->needed, &dy->cap, dy->nneeded, sizeof(*dy->needed), 16) < 0)
			return -ENOMEM;
		dy->needed[dy->nneeded++] = e->d_un.d_val;
		break;
	case DT_STRTAB:
		dy->strtab = e->d_un.d_ptr, dy->has_strtab = true;
		break;
	case DT_STRSZ:
		dy->strsz = e->d_un.d_val;
		break;
	case DT_SONAME:
		dy->soname = e->d_un.d_val, dy->has_soname = true;
		break;
	case DT_RPATH:
		dy->rpath = e->d_un.d_val, dy->has_rpath = true;
		break;
	case DT_RUNPATH:
		dy->runpath = e->d_un.d_val, dy->has_runpath = true;
		break;
	case DT_FLAGS_1:
		o->nodeflib = (e->d_un.d_val & DF_1_NODEFLIB) != 0;
		o->pie = (e->d_un.d_val & DF_1_PIE) != 0;
		break;
	}
	return 0;
}

/* A copy of the string at off of the string table (strs, n bytes), or NULL if out of it. */
static char *dyn_str(const char *strs, size_t n, uint64_t off, int *r)
{
	char *s;

	if (off >= n || !memchr(strs + off, '\0', n - off)) {
		*r = -EINVAL;
		return NULL;
	}
	s = strdup(strs + off);
	if (!s)
		*r = -ENOMEM;
	return s;
}

static int dyn_strings(Elf *elf, size_t phnum, struct dyn *dy, struct rf_elfobj *o, const char *display,
		       struct rf_err *err)
{
	int64_t off = dy->has_strtab ? va_to_off(elf, phnum, dy->strtab) : -1;
	Elf_Data *d = off >= 0 && dy->strsz ? elf_getdata_rawchunk(elf, off, dy->strsz, ELF_T_BYTE) : NULL;
	int r = 0;

	if (!d)
		return dy->nneeded || dy->has_soname || dy->has_rpath || dy->has_runpath
			       ? bad(err, display, "the dynamic string table is not in the file")
			       : 0;
	for (size_t i = 0; i < dy->nneeded && r == 0; i++) {
		char *s = dyn_str(d->d_buf, d->d_size, dy->needed[i], &r);

		if (s && !*s) {
			free(s);
			r = -EINVAL;
		} else if (s) {
			r = rf_strv_push_owned(&o->needed, s);
		}
	}
	if (r == 0 && dy->has_soname)
		o->soname = dyn_str(d->d_buf, d->d_size, dy->soname, &r);
	if (r == 0 && dy->has_runpath)
		o->runpath = dyn_str(d->d_buf, d->d_size, dy->runpath, &r);
	else if (r == 0 && dy->has_rpath)
		o->rpath = dyn_str(d->d_buf, d->d_size, dy->rpath, &r);
	if (r == -EINVAL)
		return bad(err, display, "a dynamic string is out of the string table");
	return r == 0 ? 0 : rf_fail(err, r, "%s: %s", display, strerror(-r));
}

static int read_dynamic(Elf *elf, size_t phnum, const GElf_Phdr *ph, struct rf_elfobj *o,
			const char *display, struct rf_err *err)
{
	Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_DYN);
	size_t esz = gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
	struct dyn dy = { 0 };
	int r = 0;

	if (!d || !esz)
		return bad(err, display, "bad PT_DYNAMIC");
	for (size_t i = 0; i < d->d_size / esz && r == 0; i++) {
		GElf_Dyn e;

		if (!gelf_getdyn(d, (int)i, &e)) {
			free(dy.needed);
			return bad(err, display, "bad dynamic entry");
		}
		if (e.d_tag == DT_NULL)
			break;
		r = dyn_entry(&dy, &e, o);
	}
	if (r == 0)
		r = dyn_strings(elf, phnum, &dy, o, display, err);
	else
		r = rf_fail(err, r, "%s: %s", display, strerror(-r));
	free(dy.needed);
	return r;
}

static int read_interp(Elf *elf, const GElf_Phdr *ph, struct rf_elfobj *o, const char *display,
		       struct rf_err *err)
{
	Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_BYTE);
	const char *s = d ? d->d_buf : NULL;

	if (!s || !d->d_size || !memchr(s, '\0', d->d_size) || !*s)
		return bad(err, display, "bad PT_INTERP");
	o->interp = strdup(s);
	return o->interp ? 0 : rf_fail(err, -ENOMEM, "%s: out of memory", display);
}

static int read_phdrs(Elf *elf, struct rf_elfobj *o, const char *display, struct rf_err *err)
{
	size_t phnum;
	bool dynamic = false;
	int r = 0;

	if (elf_getphdrnum(elf, &phnum) < 0)
		return bad(err, display, "bad program headers");
	for (size_t i = 0; i < phnum && r == 0; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return bad(err, display, "bad program header");
		if (ph.p_type == PT_INTERP && !o->interp) {
			r = read_interp(elf, &ph, o, display, err);
		} else if (ph.p_type == PT_DYNAMIC && !dynamic) {
			dynamic = true;
			r = read_dynamic(elf, phnum, &ph, o, display, err);
		}
	}
	return r;
}

static int read_notes(Elf *elf, struct rf_elfobj *o, const char *display, struct rf_err *err)
{
	Elf_Scn *scn = NULL;
	size_t shnum;

	if (elf_getshdrnum(elf, &shnum) < 0)
		return bad(err, display, "bad section headers");
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name, desc;

		if (!gelf_getshdr(scn, &sh))
			return bad(err, display, "bad section header");
		if (sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while (off < d->d_size && (off = gelf_getnote(d, off, &nh, &name, &desc)) > 0) {
			const char *base = d->d_buf;
			int r;

			if (nh.n_type != RF_ELFOBJ_NOTE_DLOPEN || nh.n_namesz != 4 || memcmp(base + name, "FDO", 4))
				continue;
			r = rf_elfobj_parse_dlopen(o, base + desc, nh.n_descsz, display, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The ELF file of fd, or (fd < 0) of the len bytes at mem. */
static int read_elf(int fd, void *mem, size_t len, const char *display, unsigned flags,
		    struct rf_elfobj *o, struct rf_err *err)
{
	Elf *elf;
	GElf_Ehdr eh;
	int r;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return bad(err, display, "libelf is too old");
	elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : elf_memory(mem, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		r = bad(err, display, "not a valid ELF file");
		elf_end(elf);
		return r;
	}
	o->cls = eh.e_ident[EI_CLASS];
	o->data = eh.e_ident[EI_DATA];
	o->type = eh.e_type;
	o->machine = eh.e_machine;
	r = read_phdrs(elf, o, display, err);
	if (r == 0 && !(flags & RF_ELFOBJ_NO_NOTES))
		r = read_notes(elf, o, display, err);
	elf_end(elf);
	return r;
}

/* "#!INTERP [ARG]": INTERP. */
static int read_shebang(const char *buf, size_t n, struct rf_elfobj *o, const char *display,
			struct rf_err *err)
{
	size_t i = 2, start;

	while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	start = i;
	while (i < n && !strchr(" \t\n", buf[i]) && buf[i])
		i++;
	if (i == start)
		return rf_fail(err, -ENOEXEC, "%s: no interpreter on its #! line", display);
	o->interp = strndup(buf + start, i - start);
	return o->interp ? 0 : rf_fail(err, -ENOMEM, "%s: out of memory", display);
}

/* rf_elfobj_read of fd, or (fd < 0) of the len bytes at mem. */
static int read_obj(int fd, void *mem, size_t len, const char *display, unsigned flags,
		    struct rf_elfobj **out, struct rf_err *err)
{
	struct rf_elfobj *o = calloc(1, sizeof(*o));
	char buf[SHEBANG_MAX];
	size_t head = len < sizeof(buf) ? len : sizeof(buf);
	ssize_t n = !o ? 0 : fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : (ssize_t)head;
	int r = 0;

	if (!o)
		return rf_fail(err, -ENOMEM, "%s: out of memory", display);
	if (fd < 0 && n > 0)
		memcpy(buf, mem, (size_t)n);
	if (n < 0)
		r = rf_fail(err, -errno, "cannot read %s: %s", display, strerror(errno));
	else if (n >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0)
		r = read_elf(fd, mem, len, display, flags, o, err);
	else if (n >= 2 && buf[0] == '#' && buf[1] == '!')
		o->kind = RF_ELFOBJ_SCRIPT, r = read_shebang(buf, (size_t)n, o, display, err);
	else
		o->kind = RF_ELFOBJ_OTHER;
	if (r < 0) {
		rf_elfobj_free(o);
		return r;
	}
	*out = o;
	return 0;
}

int rf_elfobj_read(int fd, const char *display, unsigned flags, struct rf_elfobj **out,
		   struct rf_err *err)
{
	return read_obj(fd, NULL, 0, display, flags, out, err);
}

int rf_elfobj_read_mem(void *buf, size_t len, const char *display, unsigned flags,
		       struct rf_elfobj **out, struct rf_err *err)
{
	return read_obj(-1, buf, len, display, flags, out, err);
}
