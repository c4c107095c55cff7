// SPDX-License-Identifier: MIT
/* The firmware the image's modules name, looked up as the kernel does; see firmware.h. */
#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"
#include "input.h"
#include "kconfig.h"
#include "log.h"

#define MAX_LINK_DEPTH 8

/* The kernel's suffixes in its order (firmware_loader/main.c: "" everywhere, then .zst, .xz). */
static const char *const suffixes[] = { "", ".zst", ".xz" };

/* usr/lib/firmware is searched too unless lib leads to usr/lib (then it is the same place). */
static bool usr_is_separate(const char *sysroot)
{
	int dfd = rf_input_open_path(sysroot, "", O_DIRECTORY);
	char target[64];
	ssize_t n = dfd >= 0 ? readlinkat(dfd, "lib", target, sizeof(target) - 1) : -1;

	if (dfd >= 0)
		close(dfd);
	if (n < 0)
		return true;
	target[n] = '\0';
	return strcmp(target, "usr/lib") != 0 && strcmp(target, "/usr/lib") != 0 &&
	       strcmp(target, "usr/lib/") != 0 && strcmp(target, "/usr/lib/") != 0;
}

int rf_firmware_init(struct rf_firmware *fw, const char *sysroot, const char *kver,
		     struct rf_err *err)
{
	char *path = rf_strdupf("boot/config-%s", kver), *config = NULL;
	int r = path ? rf_input_read(sysroot, path, NULL, RF_INPUT_CONF_MAX * 4, RF_INPUT_OPTIONAL,
				     &config, NULL, err)
		     : -ENOMEM;

	memset(fw, 0, sizeof(*fw));
	fw->sysroot = sysroot;
	fw->kver = kver;
	fw->usr_dirs = usr_is_separate(sysroot);
	if (r >= 0) {
		fw->keep_xz = rf_kconfig_has(config, "CONFIG_FW_LOADER_COMPRESS_XZ=y");
		fw->keep_zst = rf_kconfig_has(config, "CONFIG_FW_LOADER_COMPRESS_ZSTD=y");
	}
	free(config);
	free(path);
	return r == -ENOENT ? 0 : r;
}

/* A name a module may ask for: relative, no "." or ".." component, printable, no blank. */
static bool name_valid(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/' || strlen(name) > 1024)
		return false;
	for (const char *s = name; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		p += *p == '/';
	}
	return p[-1] != '/';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* TARGET of a link at NAME (both relative to one firmware directory), as a path relative to
 * that directory, malloc'd; NULL when it leads out of it (or is absolute) or on ENOMEM. */
static char *link_dest(const char *name, const char *target)
{
	const char *slash = strrchr(name, '/');
	char *joined = target[0] == '/' ? NULL
		       : slash	      ? rf_strdupf("%.*s/%s", (int)(slash - name), name, target)
				      : strdup(target);
	char *out = joined ? malloc(strlen(joined) + 1) : NULL, *rest = joined, *c;
	size_t len = 0;

	while (out && (c = rf_path_next(&rest))) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			char *up = len ? memrchr(out, '/', len) : NULL;

			if (!len) {
				rf_freep(&out); /* above the firmware directory */
				break;
			}
			len = up ? (size_t)(up - out) : 0;
			continue;
		}
		len += (size_t)sprintf(out + len, "%s%s", len ? "/" : "", c);
	}
	free(joined);
	if (out && !len)
		rf_freep(&out);
	return out;
}

static int push(struct rf_firmware *fw, struct rf_fw_file *f)
{
	int r = rf_grow(&fw->v, &fw->cap, fw->n, sizeof(*fw->v), 32);

	if (r >= 0 && !f->missing)
		r = rf_strmap_put(&fw->stored, f->name, (void *)(fw->n + 1));
	if (r < 0) {
		free(f->name), free(f->module), free(f->source), free(f->target), free(f->data);
		return r;
	}
	fw->v[fw->n++] = *f;
	fw->bytes += f->size;
	fw->nmissing += f->missing;
	return 0;
}

/* What PATH (inside the sysroot) is, without following its last component: 1 a regular file,
 * 2 a symlink (its target in target), 0 neither or absent. */
static int probe(const struct rf_firmware *fw, const char *path, char *target, size_t size)
{
	const char *slash = strrchr(path, '/');
	char *dir = strndup(path, (size_t)(slash - path));
	int dfd = dir ? rf_input_open_path(fw->sysroot, dir, O_DIRECTORY) : -ENOMEM;
	struct stat st;
	ssize_t n;
	int r = 0;

	free(dir);
	if (dfd == -ENOENT || dfd == -ENOTDIR || dfd == -ELOOP) {
		rf_input_note(fw->sysroot, path, RF_INPUT_SEEN_ABSENT); /* one there later: stale */
		return 0;
	}
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
		if (r == 0)
			rf_input_note(fw->sysroot, path, RF_INPUT_SEEN_ABSENT);
	} else if (S_ISREG(st.st_mode)) {
		r = 1;
	} else if (S_ISLNK(st.st_mode) && (n = readlinkat(dfd, slash + 1, target, size - 1)) >= 0) {
		r = (size_t)n < size - 1 ? (target[n] = '\0', 2) : -ENAMETOOLONG;
	} else if (S_ISLNK(st.st_mode)) {
		r = -errno;
	}
	close(dfd);
	return r;
}

/* Store PATH (following links inside the sysroot) as entry NAME: decompressed when
 * decompress, else streamed by the archive (only its size now). 1 stored, 0 when it leads
 * nowhere (a dangling link: as if absent), or -errno. */
static int store_file(struct rf_firmware *fw, const char *who, const char *path, const char *name,
		      bool decompress, bool by_link, struct rf_err *err)
{
	int fd = rf_input_open(fw->sysroot, path, NULL, RF_INPUT_OPTIONAL, err);
	struct rf_fw_file f = { .by_link = by_link };
	struct stat st;
	void *data = NULL;
	size_t len = 0;
	int r = 0;

	if (fd == -ENOENT || fd == -ELOOP)
		return 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = rf_fail(err, -errno, "firmware %s: %s", path, strerror(errno));
	else if (!decompress)
		f.size = (uint64_t)st.st_size;
	else if ((r = rf_decompress_fd(fd, rf_comp_of(path), &data, &len)) < 0)
		rf_fail(err, r, "firmware %s (for %s): cannot decompress it: %s", path, who,
			r == -EBADMSG ? "corrupt data" : strerror(-r));
	else if (len > RF_FIRMWARE_MAX)
		r = rf_fail(err, -EFBIG, "firmware %s: larger than %zu bytes decompressed", path,
			    RF_FIRMWARE_MAX);
	close(fd);
	f.data = data;
	f.size = decompress ? len : f.size;
	if (r < 0) {
		free(data);
		return r;
	}
	f.name = strdup(name);
	f.module = strdup(who);
	f.source = strdup(path);
	if (!f.name || !f.module || !f.source)
		r = -ENOMEM;
	if (r < 0) {
		free(f.name), free(f.module), free(f.source), free(f.data);
		return r;
	}
	return push(fw, &f) < 0 ? -ENOMEM : 1;
}

static int found(struct rf_firmware *fw, const char *who, const char *dir, const char *fname,
		 const char *sfx, bool by_link, int depth, struct rf_err *err);

/* PATH, entry NAME (file FNAME of dir), is a link to target: kept as a link with its target
 * file (1) when the target is in the same directory; 0 when it is not (the content is stored
 * instead); -ENOENT when it leads nowhere. */
static int store_link(struct rf_firmware *fw, const char *who, const char *dir, const char *fname,
		      const char *name, const char *sfx, bool keep, const char *target, int depth,
		      struct rf_err *err)
{
	char *dest = depth < MAX_LINK_DEPTH && (keep || ends_with(target, sfx))
			     ? link_dest(fname, target)
			     : NULL;
	struct rf_fw_file f = { .by_link = depth > 0 };
	int r;

	if (!dest)
		return 0;
	r = found(fw, who, dir, dest, sfx, true, depth + 1, err);
	free(dest);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	f.name = strdup(name);
	f.target = keep ? strdup(target) : strndup(target, strlen(target) - strlen(sfx));
	f.module = strdup(who);
	f.source = rf_path_join(dir, fname);
	if (!f.name || !f.target || !f.module || !f.source) {
		free(f.name), free(f.target), free(f.module), free(f.source);
		return -ENOMEM;
	}
	return push(fw, &f) < 0 ? -ENOMEM : 1;
}

/* File FNAME (with its suffix sfx) of the firmware directory dir: 1 when it is there (now
 * stored, or stored before), 0 when not, or -errno. */
static int found(struct rf_firmware *fw, const char *who, const char *dir, const char *fname,
		 const char *sfx, bool by_link, int depth, struct rf_err *err)
{
	bool keep = !*sfx || (strcmp(sfx, ".xz") == 0 ? fw->keep_xz : fw->keep_zst);
	char *path = rf_path_join(dir, fname), target[PATH_MAX];
	char *name = keep ? strdup(fname) : strndup(fname, strlen(fname) - strlen(sfx));
	int kind = path && name ? probe(fw, path, target, sizeof(target)) : -ENOMEM, r = kind;

	if (kind > 0 && rf_strmap_get(&fw->stored, name))
		r = 1;
	else if (kind > 0) {
		r = kind == 2 ? store_link(fw, who, dir, fname, name, sfx, keep, target, depth, err)
			      : 0;
		if (r == 0)
			r = store_file(fw, who, path, name, !keep, by_link, err);
		if (r == -ENOENT)
			r = 0;
	}
	free(path);
	free(name);
	return r;
}

/* The directories in the kernel's order, KVER's own before the shared ones. */
static int search_dirs(const struct rf_firmware *fw, char *dirs[8])
{
	static const char *const bases[] = { "lib/firmware", "usr/lib/firmware" };
	const char *k = fw->kver;
	int n = 0;

	for (int b = 0; b < (fw->usr_dirs ? 2 : 1); b++) {
		dirs[n++] = rf_strdupf("%s/updates/%s", bases[b], k);
		dirs[n++] = rf_strdupf("%s/updates", bases[b]);
		dirs[n++] = rf_strdupf("%s/%s", bases[b], k);
		dirs[n++] = strdup(bases[b]);
	}
	for (int i = 0; i < n; i++)
		if (!dirs[i])
			return -ENOMEM;
	return n;
}

/* Where a missing file was looked for, for the message: "SYSROOT/lib/firmware or ...". */
static void where(const struct rf_firmware *fw, char *buf, size_t size)
{
	const char *root = strcmp(fw->sysroot, "/") == 0 ? "" : fw->sysroot;

	snprintf(buf, size, "%s/lib/firmware%s%s%s", root, fw->usr_dirs ? " or " : "",
		 fw->usr_dirs ? root : "", fw->usr_dirs ? "/usr/lib/firmware" : "");
}

static int missing(struct rf_firmware *fw, const char *who, const char *name, bool required,
		   struct rf_err *err)
{
	struct rf_fw_file f = { .missing = true };
	char dirs[2 * PATH_MAX];

	where(fw, dirs, sizeof(dirs));
	if (required)
		return rf_fail(err, -ENOENT, "%s: firmware %s not found in %s", who, name, dirs);
	rf_warn("module %s: firmware %s is not installed (not in %s): possible missing firmware",
		who, name, dirs);
	f.name = strdup(name);
	f.module = strdup(who);
	if (!f.name || !f.module) {
		free(f.name), free(f.module);
		return -ENOMEM;
	}
	return push(fw, &f);
}

int rf_firmware_want(struct rf_firmware *fw, const char *who, const char *name, bool required,
		     struct rf_err *err)
{
	char *dirs[8] = { 0 };
	int n, r = 0;
	struct rf_quoted q;

	if (rf_strmap_get(&fw->asked, name))
		return 0;
	if (!name_valid(name)) {
		if (required)
			return rf_fail(err, -EINVAL, "%s: '%s' is not a firmware file name (a path "
				       "relative to lib/firmware, without . or ..)", who,
				       rf_quote_prefix(&q, name));
		rf_warn("module %s: firmware name '%s' is not a relative path: left out", who,
			rf_quote_prefix(&q, name));
		return 0;
	}
	if (rf_strmap_put(&fw->asked, name, (void *)1) < 0)
		return -ENOMEM;
	n = search_dirs(fw, dirs);
	r = n < 0 ? n : 0;
	for (size_t s = 0; r == 0 && s < sizeof(suffixes) / sizeof(suffixes[0]); s++) {
		char *fname = rf_strdupf("%s%s", name, suffixes[s]);

		for (int d = 0; fname && r == 0 && d < n; d++)
			r = found(fw, who, dirs[d], fname, suffixes[s], false, 0, err);
		r = fname ? r : -ENOMEM;
		free(fname);
	}
	for (int d = 0; d < 8; d++)
		free(dirs[d]);
	if (r == 0)
		r = missing(fw, who, name, required, err);
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "firmware %s (for %s): %s", name, who, strerror(-r));
	return r < 0 ? r : 0;
}

/* One `MOD.firmware=NAME` record. */
static int builtin_record(struct rf_firmware *fw, const char *rec, struct rf_err *err)
{
	const char *key = strstr(rec, ".firmware=");
	char *who;
	int r;

	if (!key || key == rec || memchr(rec, '.', (size_t)(key - rec)))
		return 0;
	who = rf_strdupf("%.*s (built in)", (int)(key - rec), rec);
	r = who ? rf_firmware_want(fw, who, key + strlen(".firmware="), false, err) : -ENOMEM;
	free(who);
	return r;
}

int rf_firmware_want_builtin(struct rf_firmware *fw, const char *kmoddir, struct rf_err *err)
{
	char *path = rf_path_join(kmoddir, "modules.builtin.modinfo"), *text = NULL;
	size_t len = 0;
	int r = path ? rf_input_read(NULL, path, NULL, RF_INPUT_INDEX_MAX, RF_INPUT_OPTIONAL, &text,
				     &len, err)
		     : -ENOMEM;

	for (size_t off = 0; r >= 0 && off < len; off += strlen(text + off) + 1)
		r = builtin_record(fw, text + off, err);
	free(text);
	free(path);
	return r == -ENOENT ? 0 : r;
}

int rf_firmware_collect(struct rf_firmware *fw, const struct rf_modset *set,
			const struct rf_conf_list *add, struct rf_err *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < set->n; i++) {
		const struct rf_module *mod = &set->mods[i];

		for (size_t k = 0; r >= 0 && k < mod->info.firmware.n; k++)
			r = rf_firmware_want(fw, mod->name, mod->info.firmware.v[k], false, err);
	}
	if (r >= 0)
		r = rf_firmware_want_builtin(fw, set->kmoddir, err);
	for (size_t i = 0; r >= 0 && add && i < add->n; i++) {
		char *who = rf_strdupf("add_firmware (%s)", add->v[i].origin);

		r = who ? rf_firmware_want(fw, who, add->v[i].word, true, err) : -ENOMEM;
		free(who);
	}
	return r;
}

int rf_firmware_find(struct rf_firmware *fw, const struct rf_modset *set, const char *sysroot,
		     const struct rf_conf_list *add, struct rf_err *err)
{
	int r = rf_firmware_init(fw, sysroot, set->kver, err);

	return r < 0 ? r : rf_firmware_collect(fw, set, add, err);
}

int rf_firmware_add(const struct rf_firmware *fw, struct rf_manifest *m, struct rf_err *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < fw->n; i++) {
		const struct rf_fw_file *f = &fw->v[i];
		char *dst = f->missing ? NULL : rf_strdupf("lib/firmware/%s", f->name);

		if (f->missing)
			continue;
		if (!dst)
			r = -ENOMEM;
		else if (f->target)
			r = rf_manifest_add_symlink(m, dst, f->target);
		else if (f->data)
			r = rf_manifest_add_bytes(m, dst, f->data, f->size, 0644);
		else
			r = rf_manifest_add_file_in(m, dst, fw->sysroot, f->source, 0644, err);
		free(dst);
	}
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "adding firmware to the image: %s", strerror(-r));
	return r;
}

void rf_firmware_free(struct rf_firmware *fw)
{
	for (size_t i = 0; i < fw->n; i++) {
		free(fw->v[i].name);
		free(fw->v[i].module);
		free(fw->v[i].source);
		free(fw->v[i].target);
		free(fw->v[i].data);
	}
	free(fw->v);
	rf_strmap_clear(&fw->asked);
	rf_strmap_clear(&fw->stored);
	memset(fw, 0, sizeof(*fw));
}
