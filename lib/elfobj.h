/* SPDX-License-Identifier: MIT */
/*
 * One file as the dynamic loader sees it, for the dependency resolver (elfdeps.h): the ELF
 * header's class and machine, PT_INTERP, the dynamic section's DT_NEEDED, DT_SONAME,
 * DT_RPATH, DT_RUNPATH and DF_1_NODEFLIB (read through the program headers, as ld.so does, so
 * a file without section headers works too), and the systemd-style `.note.dlopen` notes
 * (owner "FDO", type 0x407c0c0a, a JSON array of {"soname": [...], "priority": "..."}; found
 * through the section headers: a file without them has none). A file that is not ELF may be
 * a script: its #! interpreter.
 * Errors: -errno with "PATH: why" in err; a corrupt ELF or note is -EINVAL. Ownership: the
 * caller frees the object with rf_elfobj_free.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define RF_ELFOBJ_NOTE_DLOPEN 0x407c0c0aU

enum rf_elfobj_kind {
	RF_ELFOBJ_ELF,
	RF_ELFOBJ_SCRIPT, /* starts with #!: interp is the interpreter */
	RF_ELFOBJ_OTHER,  /* neither */
};

/* One dlopen note: the alternatives, in order of preference. */
struct rf_elfobj_dlopen {
	struct rf_strv sonames;
	bool required; /* "priority": "required" (else "recommended" or "suggested") */
};

struct rf_elfobj {
	enum rf_elfobj_kind kind;
	unsigned char cls, data; /* e_ident[EI_CLASS], e_ident[EI_DATA] */
	uint16_t type, machine;  /* e_type, e_machine */
	char *interp;            /* PT_INTERP, or the script's interpreter; NULL if none */
	char *soname;            /* NULL if none */
	char *rpath, *runpath;   /* as in the file; rpath is NULL when there is a runpath (ld.so) */
	bool nodeflib;           /* DF_1_NODEFLIB: no ld.so.cache, no default directories */
	bool pie;                /* DF_1_PIE: a position-independent program, not a library */
	struct rf_strv needed;
	struct rf_elfobj_dlopen *dlopen;
	size_t ndlopen;
};

enum { RF_ELFOBJ_NO_NOTES = 1 }; /* do not read the dlopen notes */

/* Read the regular file fd; DISPLAY names it in messages. */
int rf_elfobj_read(int fd, const char *display, unsigned flags, struct rf_elfobj **out,
		   struct rf_err *err);

/* The same on the len bytes at buf (a file of an image being listed), borrowed for the call
 * (libelf may convert them in place). */
int rf_elfobj_read_mem(void *buf, size_t len, const char *display, unsigned flags,
		       struct rf_elfobj **out, struct rf_err *err);

/* Parse a .note.dlopen payload (JSON) into o's dlopen list (exposed for tests). -EINVAL. */
int rf_elfobj_parse_dlopen(struct rf_elfobj *o, const char *json, size_t len, const char *display,
			   struct rf_err *err);

void rf_elfobj_free(struct rf_elfobj *o); /* NULL-safe */
