/* SPDX-License-Identifier: MIT */
/*
 * A writer for kmod's binary index format (modules.*.bin): a path-compressed trie of 7-bit
 * ASCII keys, each key with values ordered by priority, serialised as depmod does, so the
 * output for a key set is byte-identical to depmod's. libkmod reads these files but exports
 * no writer, hence this one.
 * Ownership: rf_kidx_new returns an index the caller frees with rf_kidx_free; the index
 * copies every key and value. rf_kidx_write returns a malloc'd buffer the caller frees.
 * Errors: -ENOMEM; -EINVAL for a key or value with a byte >= 0x80 (kmod cannot index it).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define RF_KIDX_MAGIC 0xB007F457u
#define RF_KIDX_VERSION 0x00020001u /* major 2, minor 1 */

struct rf_kidx;

struct rf_kidx *rf_kidx_new(void);
/* Add value under key. Values of a key are kept in ascending priority; among equal priorities
 * the latest added comes first (depmod's order). */
int rf_kidx_insert(struct rf_kidx *ix, const char *key, const char *value, uint32_t priority);
/* Serialise into *data (malloc'd) / *size. */
int rf_kidx_write(const struct rf_kidx *ix, unsigned char **data, size_t *size);
void rf_kidx_free(struct rf_kidx *ix);
