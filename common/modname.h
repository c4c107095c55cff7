/* SPDX-License-Identifier: MIT */
/*
 * kmod's one normalisation of module names and aliases (its alias_normalize), shared by the
 * builder and the init so both sides compare names the same way. Plain C, libc only.
 */
#pragma once

/* '-' becomes '_' outside [...] (a bracket expression of an alias pattern is kept as it is).
 * Writes strlen(src)+1 bytes to dst; dst may be src. Returns 0, or -EINVAL for a stray ']' or
 * an unclosed '[' (dst still holds the whole string, normalised up to that point). */
int rf_kmod_normalize(char *dst, const char *src);
