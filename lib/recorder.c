// SPDX-License-Identifier: MIT
/* The input record made from what a build read: see recorder.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "recorder.h"
#include "strmap.h"

enum seen { SEEN_ABSENT = 1, SEEN_FILE = 2 };

struct rf_recorder {
	char *sysroot;   /* as given, for reading ("/" for the host) */
	char *real_root; /* its real path, "" for "/": the prefix of paths inside it */
	char *host_root; /* real path of a HOST_ROOT other than "/" and the sysroot, or NULL */
	struct rf_strmap paths; /* record path -> enum seen */
	struct rf_strv order;   /* the same paths, in the order seen */
	struct rf_strmap dirs;  /* "SUFFIXES PATH" -> 1 */
	struct rf_strv dir_order;
	int error;              /* -ENOMEM while observing */
};

static bool has_prefix_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || !path[n]);
}

/* The machine's state, not the build's inputs. */
static bool is_host_state(const char *rel)
{
	static const char *const dirs[] = { "proc", "sys", "dev", "run" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (has_prefix_dir(rel, dirs[i]))
			return true;
	return false;
}

/* ROOT/PATH as a record path (malloc'd), or NULL (with *skip) when it is not recorded. */
static char *record_path(const struct rf_recorder *rc, const char *root, const char *path,
			 bool *skip)
{
	char *abs, *out, cwd[PATH_MAX];
	size_t n = strlen(rc->real_root);

	*skip = false;
	if (root && strcmp(root, rc->sysroot) == 0) {
		path += strspn(path, "/");
		*skip = is_host_state(path);
		return *skip ? NULL : strdup(path);
	}
	if (root && root[0] != '/' && getcwd(cwd, sizeof(cwd))) /* a relative --sysroot */
		abs = rf_strdupf("%s/%s/%s", cwd, root, path + strspn(path, "/"));
	else if (root)
		abs = rf_path_join(strcmp(root, "/") == 0 ? "" : root, path + strspn(path, "/"));
	else if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		abs = rf_path_join(cwd, path);
	else
		abs = strdup(path);
	if (!abs)
		return NULL;
	if ((rc->host_root && has_prefix_dir(abs, rc->host_root)) || is_host_state(abs + 1)) {
		*skip = true;
		free(abs);
		return NULL;
	}
	if (n && strncmp(abs, rc->real_root, n) == 0 && abs[n] == '/' && abs[n + 1]) {
		*skip = is_host_state(abs + n + 1);
		out = *skip ? NULL : strdup(abs + n + 1);
	} else if (!n) {
		out = strdup(abs + strspn(abs, "/"));
	} else {
		out = abs, abs = NULL;
	}
	free(abs);
	return out;
}

static void note_path(struct rf_recorder *rc, const char *root, const char *path, enum seen how)
{
	bool skip;
	char *p = record_path(rc, root, path, &skip);
	uintptr_t had;

	if (!p) {
		rc->error = skip ? rc->error : -ENOMEM;
		return;
	}
	had = (uintptr_t)rf_strmap_get(&rc->paths, p);
	if (!had && rf_strv_push(&rc->order, p) < 0)
		rc->error = -ENOMEM;
	if (had < (uintptr_t)how && rf_strmap_put(&rc->paths, p, (void *)(uintptr_t)how) < 0)
		rc->error = -ENOMEM;
	free(p);
}

static void note_dir(struct rf_recorder *rc, const char *root, const char *dir,
		     const char *const *suffixes)
{
	bool skip;
	char *p = record_path(rc, root, dir, &skip), *key = NULL;
	size_t n = 0;

	bool any = false;

	for (size_t i = 0; suffixes[i]; i++) {
		n += strlen(suffixes[i]) + 1;
		any = any || !suffixes[i][0]; /* "" ends every name */
	}
	key = p ? malloc(n + strlen(p) + 3) : NULL;
	if (key) {
		char *k = key;

		for (size_t i = 0; !any && suffixes[i]; i++)
			k = stpcpy(stpcpy(k, i ? "," : ""), suffixes[i]);
		if (k == key)
			*k++ = any ? '*' : '-';
		*k++ = ' ';
		strcpy(k, p);
		if (!rf_strmap_get(&rc->dirs, key) &&
		    (rf_strmap_put(&rc->dirs, key, (void *)1) < 0 || rf_strv_push(&rc->dir_order, key) < 0))
			rc->error = -ENOMEM;
	} else if (!skip) {
		rc->error = -ENOMEM;
	}
	free(key);
	free(p);
}

static void observe(void *data, enum rf_input_seen what, const char *root, const char *path,
		    const char *const *suffixes)
{
	struct rf_recorder *rc = data;

	if (what == RF_INPUT_SEEN_DIR)
		note_dir(rc, root, path, suffixes);
	else
		note_path(rc, root, path, what == RF_INPUT_SEEN_FILE ? SEEN_FILE : SEEN_ABSENT);
}

int rf_recorder_start(struct rf_recorder **out, const char *sysroot, const char *host_root)
{
	struct rf_recorder *rc = calloc(1, sizeof(*rc));
	char *real = sysroot ? realpath(sysroot, NULL) : NULL;
	char *host = host_root ? realpath(host_root, NULL) : NULL;

	if (!rc || !real) {
		int e = rc ? -errno : -ENOMEM;

		free(rc);
		free(real);
		free(host);
		return e;
	}
	rc->sysroot = strdup(sysroot);
	rc->real_root = strcmp(real, "/") == 0 ? strdup("") : strdup(real);
	if (host && strcmp(host, "/") != 0 && strcmp(host, real) != 0)
		rc->host_root = host, host = NULL;
	free(real);
	free(host);
	if (!rc->sysroot || !rc->real_root) {
		rf_recorder_free(rc);
		return -ENOMEM;
	}
	rf_input_observe(observe, rc);
	*out = rc;
	return 0;
}

void rf_recorder_stop(struct rf_recorder *rc)
{
	(void)rc;
	rf_input_observe(NULL, NULL);
}

/* Open a record path: inside the sysroot when relative, as given when absolute. */
static int open_path(const char *sysroot, const char *path, struct rf_err *err)
{
	return rf_input_open(path[0] == '/' ? NULL : sysroot, path, path, RF_INPUT_OPTIONAL, err);
}

int rf_record_digest_path(const char *sysroot, const char *path, char hex[RF_DIGEST_HEX + 1],
			  struct rf_err *err)
{
	int fd = open_path(sysroot, path, err), r;

	if (fd < 0)
		return fd;
	r = rf_digest_fd(fd, hex);
	close(fd);
	return r < 0 ? rf_fail(err, r, "cannot read %s: %s", path, strerror(-r)) : 0;
}

int rf_record_tree_digest(const char *kmoddir, char hex[RF_DIGEST_HEX + 1], struct rf_err *err)
{
	char *p = rf_path_join(kmoddir, "modules.dep.bin");
	int r = p ? rf_record_digest_path(NULL, p, hex, err) : -ENOMEM;

	free(p);
	return r;
}

int rf_record_list_dir(const char *sysroot, const char *dir, const char *suffixes,
		       struct rf_strv *names, struct rf_err *err)
{
	struct rf_strv sfx = { 0 };
	struct rf_input_list l = { 0 };
	const char *dirs[] = { dir, NULL }, *const none[] = { NULL };
	char *copy = strcmp(suffixes, "-") == 0 ? strdup("") : strdup(suffixes), *rest = copy, *w;
	int r = copy ? 0 : -ENOMEM;

	if (r >= 0 && strcmp(suffixes, "*") == 0)
		r = rf_strv_push(&sfx, ""), rest = NULL; /* any name */
	while (r >= 0 && rest && (w = strsep(&rest, ",")))
		if (*w)
			r = rf_strv_push(&sfx, w);
	if (r >= 0) /* an rf_strv is NULL-terminated */
		r = rf_input_list_conf(dir[0] == '/' ? NULL : sysroot, dirs,
				       sfx.v ? (const char *const *)sfx.v : none, &l, err);
	for (size_t i = 0; r >= 0 && i < l.n; i++)
		r = rf_strv_push(names, l.v[i].path);
	if (r == -ENOMEM && !err->msg[0])
		rf_fail(err, r, "listing %s: %s", dir, strerror(ENOMEM));
	rf_input_list_free(&l);
	rf_strv_clear(&sfx);
	free(copy);
	return r;
}

/* The FILE entries of the manifests as if they had been read through input.h. */
static void note_manifests(struct rf_recorder *rc, const struct rf_manifest *const *ms)
{
	for (; ms && *ms; ms++)
		for (size_t i = 0; i < (*ms)->n; i++)
			if ((*ms)->v[i].type == RF_ENTRY_FILE)
				note_path(rc, (*ms)->v[i].root, (*ms)->v[i].source, SEEN_FILE);
}

static int add_file(struct rf_recorder *rc, const char *path, struct rf_record *out,
		    struct rf_err *err)
{
	char hex[RF_DIGEST_HEX + 1];
	int r = rf_record_digest_path(rc->sysroot, path, hex, err);

	if (r == -ENOENT) /* gone since it was read: a build now would not find it */
		return rf_record_add(out, RF_REC_ABSENT, NULL, path);
	return r < 0 ? r : rf_record_add(out, RF_REC_FILE, hex, path);
}

static int add_dir(struct rf_recorder *rc, const char *key, struct rf_record *out,
		   struct rf_err *err)
{
	struct rf_strv names = { 0 };
	const char *sp = strchr(key, ' ');
	char *sfx = strndup(key, (size_t)(sp - key));
	int r = sfx ? rf_record_add(out, RF_REC_DIR, sfx, sp + 1) : -ENOMEM;

	if (r >= 0)
		r = rf_record_list_dir(rc->sysroot, sp + 1, sfx, &names, err);
	for (size_t i = 0; r >= 0 && i < names.n; i++)
		r = rf_record_add(out, RF_REC_ENTRY, NULL, names.v[i]);
	rf_strv_clear(&names);
	free(sfx);
	return r;
}

int rf_recorder_make(struct rf_recorder *rc, const struct rf_recorder_build *b,
		     struct rf_record *out, struct rf_err *err)
{
	char hex[RF_DIGEST_HEX + 1];
	int r;

	rf_recorder_stop(rc);
	note_manifests(rc, b->manifests);
	r = rc->error;
	if (r >= 0)
		r = rf_record_add(out, RF_REC_RAMFORGE, b->version, NULL);
	if (r >= 0)
		r = rf_record_add(out, RF_REC_KERNEL, b->kver, NULL);
	if (r >= 0) {
		r = rf_record_tree_digest(b->kmoddir, hex, err);
		r = r == -ENOENT ? 0 : r < 0 ? r : rf_record_add(out, RF_REC_TREE, hex, NULL);
	}
	for (size_t i = 0; r >= 0 && b->options && i < b->options->n; i++)
		r = rf_record_add(out, RF_REC_OPTION, b->options->v[i], NULL);
	for (size_t i = 0; r >= 0 && i < rc->order.n; i++) {
		const char *p = rc->order.v[i];

		if ((uintptr_t)rf_strmap_get(&rc->paths, p) == SEEN_FILE)
			r = add_file(rc, p, out, err);
		else
			r = rf_record_add(out, RF_REC_ABSENT, NULL, p);
	}
	for (size_t i = 0; r >= 0 && i < rc->dir_order.n; i++)
		r = add_dir(rc, rc->dir_order.v[i], out, err);
	if (r < 0 && !err->msg[0])
		rf_fail(err, r, "the input record: %s", strerror(-r));
	return r;
}

void rf_recorder_free(struct rf_recorder *rc)
{
	if (!rc)
		return;
	rf_recorder_stop(rc);
	free(rc->sysroot);
	free(rc->real_root);
	free(rc->host_root);
	rf_strmap_clear(&rc->paths);
	rf_strmap_clear(&rc->dirs);
	rf_strv_clear(&rc->order);
	rf_strv_clear(&rc->dir_order);
	free(rc);
}
