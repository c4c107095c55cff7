/* SPDX-License-Identifier: MIT */
/*
 * The files a program needs to run, found as the dynamic loader (glibc's ld.so) would find
 * them, but inside a SYSROOT as if chrooted there: absolute symlinks and ".." never leave it,
 * and nothing of the host is read (no ldd: it runs the host's loader).
 *
 * For each program: the program itself, its PT_INTERP, and the DT_NEEDED closure, breadth first
 * as ld.so loads it. A name with no '/' is searched in: the DT_RPATH of the object and then of
 * the objects that loaded it up to the program (only when the object has no DT_RUNPATH); the
 * object's DT_RUNPATH (its own needs only, not its dependencies'); the directories of the
 * sysroot's etc/ld.so.conf (with its `include` globs); the default directories (the multiarch
 * ones such as lib/x86_64-linux-gnu, then lib64 and usr/lib64 for 64 bits, lib32 and usr/lib32
 * for 32, then lib and usr/lib), unless DF_1_NODEFLIB. A name already loaded (by the name it was
 * needed by, or its DT_SONAME) is not searched again, as in ld.so. $ORIGIN, $LIB (lib/TRIPLET
 * when the sysroot has that multiarch directory, as Debian's ld.so; else lib64 or lib) and
 * $PLATFORM are expanded, also as ${...}, in search paths and in DT_NEEDED; another '$' is
 * kept as it is. A DT_NEEDED with a '/' is a path, not searched; a relative one (or a relative
 * search directory) is taken from the sysroot's root, as ld.so would from its working
 * directory. A candidate of another ELF class, byte order or machine than the object that
 * needs it is skipped (32-bit libraries in a multilib directory). Not used: LD_LIBRARY_PATH,
 * LD_PRELOAD and etc/ld.so.preload (the image needs none of them), glibc-hwcaps subdirectories
 * (the baseline library is always in the directory itself). Libraries a program dlopen()s are
 * taken from systemd-style `.note.dlopen` notes (the first found of each note's sonames; a
 * "required" one that none is found of is an error, others are skipped) and from
 * rf_elfdeps_add_soname.
 *
 * Symlinks are kept, so the copied tree works when the program runs inside it through the same
 * paths ld.so and the kernel will open (its PT_INTERP, its search directories): every symlink
 * met while resolving a path is an entry of its own, directory links included. Debian's
 * PT_INTERP /lib64/ld-linux-x86-64.so.2 on a merged /usr gives "/lib64 -> usr/lib64",
 * "/usr/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
 * "/lib -> usr/lib" and the file "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2". (Copying only
 * real paths would lose the paths the loader opens; copying files at the paths asked for would
 * turn /lib into a directory and break the image's merged /usr.) The parent directories of
 * every entry are real directories, so a copier can create them with mkdir -p, then the files
 * and the links with their targets unchanged (an absolute target then means the image's root).
 * A library found only through etc/ld.so.conf (not in a default directory) loads in the image
 * only through the loader's cache: then the sysroot's etc/ld.so.cache is an entry too.
 *
 * A script (#!) given as a program brings its interpreter (the first word of its #! line, itself
 * a program; at most 4 levels). Limits: RF_ELFDEPS_MAX_OBJECTS objects per program, 40 symlinks
 * per path (ELOOP).
 * Errors: -errno with "what: why" in err, naming the program, and the object that needs the
 * missing library: "/usr/sbin/lvm: libfoo.so.1 (needed by /usr/lib/x86_64-linux-gnu/libbar.so.2):
 * not found". A failed add leaves the result as it was. This layer never prints.
 * Ownership: the struct is the caller's (rf_elfdeps_free); entries are borrowed until the next
 * add, clear or free.
 */
#pragma once
#include <stddef.h>

#include "util.h"

#define RF_ELFDEPS_MAX_OBJECTS 4096

enum {
	RF_ELFDEPS_NO_DLOPEN = 1, /* ignore .note.dlopen (the closure ld.so --list reports) */
};

enum rf_elfdeps_kind {
	RF_ELFDEPS_FILE,    /* a regular file */
	RF_ELFDEPS_SYMLINK, /* a symlink: target is its text, as readlink(2) gives it */
};

struct rf_elfdeps_entry {
	const char *path; /* inside the sysroot, absolute: "/usr/lib/x86_64-linux-gnu/libc.so.6" */
	enum rf_elfdeps_kind kind;
	const char *target; /* RF_ELFDEPS_SYMLINK only, else NULL */
};

struct rf_elfdeps;

/* A resolver for programs of sysroot (NULL or "/": the host). flags: RF_ELFDEPS_*. */
int rf_elfdeps_new(struct rf_elfdeps **out, const char *sysroot, unsigned flags, struct rf_err *err);

/* Add the closure of the program at PATH (absolute, inside the sysroot) to the result. */
int rf_elfdeps_add(struct rf_elfdeps *d, const char *path, struct rf_err *err);

/* Add a library the programs dlopen() without saying so in a note (libgcc_s.so.1 for glibc's
 * pthread_cancel), and its closure: searched as a dlopen() from an object without RPATH or
 * RUNPATH would search it, for the ELF class and machine of the first program added (-EINVAL
 * before any). Not found: -ENOENT. */
int rf_elfdeps_add_soname(struct rf_elfdeps *d, const char *soname, struct rf_err *err);

/* The result: every file and symlink to copy, sorted by path, no duplicates; *n of them. */
const struct rf_elfdeps_entry *rf_elfdeps_entries(struct rf_elfdeps *d, size_t *n);

/* Empty the result (what was read from the sysroot stays cached for the next adds). */
void rf_elfdeps_clear(struct rf_elfdeps *d);

void rf_elfdeps_free(struct rf_elfdeps *d); /* NULL-safe */
