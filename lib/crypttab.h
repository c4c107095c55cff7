/* SPDX-License-Identifier: MIT */
/*
 * SYSROOT/etc/crypttab (crypttab(5)): `NAME SOURCE [KEYFILE [OPTIONS]]` per line, '#'
 * comments. The crypt bundle opens at boot the entries an image needs: those whose options
 * hold "initramfs" (Debian's cryptsetup-initramfs marks them so), and in a hostonly image
 * those whose volume the root's stack has open. Only SOURCEs the init can match are usable:
 * UUID=U or /dev/disk/by-uuid/U (an entry needed with another SOURCE is an error).
 * Ownership: struct rf_crypttab owns its entries; rf_crypttab_free releases them.
 * Errors: -errno with "etc/crypttab:LINE: why" in err; a missing crypttab is no entries.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct rf_crypttab_entry {
	char *name;    /* the mapping's name: /dev/mapper/NAME */
	char *uuid;    /* the LUKS header's UUID, or NULL when SOURCE is not by UUID */
	char *keyfile; /* absolute path in the sysroot, or NULL: ask for the passphrase */
	bool initramfs, discard;
	char *origin;  /* "etc/crypttab:3" */
};

struct rf_crypttab {
	struct rf_crypttab_entry *v;
	size_t n, cap;
};

int rf_crypttab_read(struct rf_crypttab *t, const char *sysroot, struct rf_err *err);
/* Parse crypttab text; `display` names it in messages. */
int rf_crypttab_parse(struct rf_crypttab *t, const char *text, const char *display,
		      struct rf_err *err);

/* Does the hostonly stack ("dm-uuid:CRYPT-LUKS2-<uuid without '-'>-NAME", ...) hold e's volume? */
bool rf_crypttab_in_stack(const struct rf_crypttab_entry *e, const struct rf_strv *stack);

void rf_crypttab_free(struct rf_crypttab *t);
