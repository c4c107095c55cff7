/* SPDX-License-Identifier: MIT */
/*
 * The CLI is the only part of ramforge that prints. Messages for the user are
 * `ramforge: error: ...`, `ramforge: warning: ...` (and -v/-vv info/debug) on stderr, one line
 * each, control characters escaped. The commands print through rf_error/rf_warn/... too.
 */
#pragma once

/* Make the library's diagnostics (rf_log) print on stderr. Called once, first, by main. */
void rf_print_attach(void);
