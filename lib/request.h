/* SPDX-License-Identifier: MIT */
/*
 * Requests: the names and aliases the closure starts from, each tagged explicit
 * (CLI, config, bundles: the blacklist does not stop a request by the module's own
 * name) or automatic (modules-load.d, hardware scans: modprobe -b rules), with the
 * place it came from for `deps --explain`.
 * The list owns its strings; rf_requests_clear frees them.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct rf_request {
	char *name;     /* module name or alias, as written */
	char *origin;   /* "requested", "etc/ramforge.conf:3", "etc/modules-load.d/foo.conf:2" */
	bool automatic; /* true: blacklist applies even to the module's own name */
	bool early;     /* load at boot before looking for the root device (rf_requests_add sets
			 * it; the generic and hostonly scans clear it: their modules load on
			 * demand, when a device needs them) */
	bool optional;  /* explicit, but skipped quietly when the kernel has no such module
			 * (a bundle's optional_drivers) */
};

struct rf_requests {
	struct rf_request *v;
	size_t n, cap;
};

/* Copies name and origin. -ENOMEM. */
int rf_requests_add(struct rf_requests *r, const char *name, const char *origin, bool automatic);
void rf_requests_clear(struct rf_requests *r);
