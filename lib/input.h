/* SPDX-License-Identifier: MIT */
/*
 * Reading inputs that may be broken or hostile (ramforge runs as root; a --sysroot is not
 * trusted): config files, the module tree's indexes, the host's /proc and /sys files, an
 * image to list. Every file is opened without blocking (a FIFO cannot hang the open), must be
 * a regular file ("FILE: not a regular file"), is read up to a cap ("FILE: larger than N
 * bytes"), and a read error is an error, never an early end of file.
 * Paths under a root other than "/" resolve as if chrooted to it: a symlink, absolute or
 * relative, never leads out of the root (openat2 RESOLVE_IN_ROOT, or a component walk where
 * the kernel lacks openat2).
 * Errors: -errno with "FILE: why" in err; with RF_INPUT_OPTIONAL a missing file is -ENOENT
 * and no message. Ownership: returned buffers, lists and paths belong to the caller.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Caps per kind of input: far above any real file, far below what hurts. */
#define RF_INPUT_CONF_MAX ((size_t)1 << 20)   /* ramforge.conf, modprobe.d, modules-load.d */
#define RF_INPUT_INDEX_MAX ((size_t)64 << 20) /* the module tree's modules.* files */
#define RF_INPUT_PROC_MAX ((size_t)16 << 20)  /* /proc/self/mountinfo of a host with many mounts */
#define RF_INPUT_ATTR_MAX ((size_t)64 << 10)  /* one sysfs attribute */

enum { RF_INPUT_OPTIONAL = 1 }; /* a missing file (or path component): -ENOENT, no message */

/* Open ROOT/PATH for reading, a regular file only. ROOT "/": an ordinary open of /PATH; ROOT
 * NULL: of PATH as given (relative to the working directory if relative).
 * DISPLAY names the file in messages. Returns the fd (O_NONBLOCK is set: harmless on a
 * regular file) or -errno. */
int rf_input_open(const char *root, const char *path, const char *display, unsigned flags,
		  struct rf_err *err);

/* Read all of fd (at most max bytes) into *text, NUL-terminated, *len bytes (len may be NULL). */
int rf_input_read_fd(int fd, const char *display, size_t max, char **text, size_t *len,
		     struct rf_err *err);

/* An O_PATH descriptor of ROOT/PATH (a directory to look into with fstatat/readlinkat), resolved
 * as rf_input_open resolves (inside ROOT; the last component followed too). flags are added
 * to O_PATH|O_CLOEXEC (O_DIRECTORY, O_NOFOLLOW). Returns the fd or -errno; no message. */
int rf_input_open_path(const char *root, const char *path, int flags);

/* rf_input_open, then rf_input_read_fd. */
int rf_input_read(const char *root, const char *path, const char *display, size_t max,
		  unsigned flags, char **text, size_t *len, struct rf_err *err);

/* The fallback of the resolution inside a root: open PATH under the directory rootfd, one
 * component at a time with O_NOFOLLOW, each symlink resolved relative to rootfd (".." stops
 * at it), at most 40 links (-ELOOP). flags as for openat. Returns the fd or -errno. */
int rf_input_openat_walk(int rootfd, const char *path, int flags);

/* One file of a merged config directory listing. */
struct rf_input_entry {
	char *path;       /* "DIR/NAME" as listed, relative to the root: "etc/modprobe.d/x.conf" */
	const char *name; /* points into path: "x.conf" */
	bool masked;      /* a symlink to /dev/null, or one that leads nowhere: hides the name,
			   * read as nothing */
};

struct rf_input_list {
	struct rf_input_entry *v;
	size_t n, cap;
};

/* Every file of the directories dirs (NULL-terminated, highest precedence first, relative to
 * root) whose name ends in one of suffixes (NULL-terminated) and does not start with '.',
 * sorted by file name; an earlier directory's file hides a later one's of the same name. A
 * directory so named is skipped; a missing directory is fine. Anything else that is not a
 * regular file is listed, and reading it is the error. */
int rf_input_list_conf(const char *root, const char *const *dirs, const char *const *suffixes,
		       struct rf_input_list *out, struct rf_err *err);
void rf_input_list_free(struct rf_input_list *l);

/* Before libkmod opens the tree's index files itself: each of them that exists in kmoddir is
 * a regular file of at most RF_INPUT_INDEX_MAX bytes, else the error names it. */
int rf_input_check_kmod_tree(const char *kmoddir, struct rf_err *err);

/* The real path (no symlinks) of TREE/REL, a file of module `module`, in *real (malloc'd);
 * -EXDEV with "module MODULE: TREE/REL leads out of the module trees (DIR) to REAL" when it
 * leaves TREE's parent (lib/modules: weak-updates links to another kernel's tree are fine).
 * tree must be a real path itself (realpath). */
int rf_input_in_tree(const char *tree, const char *rel, const char *module, char **real,
		     struct rf_err *err);
