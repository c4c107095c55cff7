/* SPDX-License-Identifier: MIT */
/*
 * The load plan: what the builder decided and the init executes. Defined once, here; the builder
 * writes it (rf_plan_format) and ramforge-init reads it (rf_plan_parse). Plain C and libc only.
 *
 * File: RF_PLAN_PATH inside the image, UTF-8 text, one record a line, fields separated by one
 * space. Blank lines and lines starting with '#' are ignored.
 *
 *   ramforge-plan 2                       first line: format and version
 *   kver 6.1.0-13-cloud-amd64             the kernel the plan is for (its module tree)
 *   mod NAME PATH WHEN DEPS PRE POST [OPTIONS...]
 *   step BUNDLE TRIGGER CONDS ARGV...      a bundle's command (below)
 *
 * One `mod` line per module, in a valid load order: every module after its hard dependencies
 * and its pre softdeps.
 *   NAME     kmod-normalised module name ('_', never '-'), unique in the plan
 *   PATH     file relative to /lib/modules/KVER ("kernel/fs/ext4/ext4.ko.zst"); "-" when the
 *            module is built into the kernel (satisfied, nothing to load)
 *   WHEN     "early": loaded before the root device is looked for (asked for by name);
 *            "late": on demand, loaded only when a device that is there matches one of its
 *            aliases in the image's modules.alias, or the root's filesystem needs it (from the
 *            generic or hostonly scan), or as a dependency or softdep of such a module
 *   DEPS     hard dependencies (transitive, like modules.dep), PRE and POST the softdep
 *            targets that are in the plan: comma-separated NAMEs, "-" for none. A failed hard
 *            dependency stops the module; a failed softdep is reported and skipped.
 *   OPTIONS  the rest of the line, verbatim: parameters as for modprobe ("k=v k2=\"a b\""),
 *            from `options NAME ...` in the image's modprobe.d; may be empty
 *
 *
 * `step` lines, in the order the bundles (and their manifests) list them. The init runs them,
 * fork and exec with ARGV (no shell; ARGV[0] an absolute path in the image), from the loop that
 * waits for the root, with the console as stdin/stdout/stderr (cryptsetup prompts there).
 *   BUNDLE   the bundle's name ("crypt"), for the log, the failure block and the off switches
 *   TRIGGER  "device=TYPE": once per block device whose blkid TYPE is TYPE (crypto_LUKS,
 *            LVM2_member, linux_raid_member), when it appears, including devices that an
 *            earlier step made; per device, only the first matching step of each bundle runs
 *            "root-missing=SECS": once, when the root has not appeared SECS seconds after the
 *            coldplug started
 *   CONDS    "-" or comma-separated conditions, all of which must hold:
 *              off=WORD       the step does not run when the kernel command line holds WORD
 *                             ("rd.lvm=0"); the bundle's off switches are repeated per step
 *              if=KEY         the command line has a value for KEY ("rd.lvm.lv=vg/lv")
 *              unless=KEY     it has none
 *              filter=KEY     when the command line has KEY= values ("rd.luks.uuid"), the
 *                             device's UUID must equal one of them (compared without '-' and
 *                             ':', case-insensitively, a "luks-" prefix ignored); else any
 *              uuid=UUID      the device's UUID is UUID (same comparison): crypttab entries
 *   ARGV     words; "%{DEVICE}" and "%{UUID}" inside a word become the device's path and blkid
 *            UUID (device triggers only), "%{KEY}" for a command-line KEY (a name holding a
 *            '.') as a whole word becomes one word per value (values of repeated KEY= and
 *            comma-separated lists, in order; none: the word is dropped). "%%" is '%'.
 *            Words hold no space; a word that must be empty is not possible.
 * A step's exit status is recorded (the failure block lists every step that ran, its device
 * and its status); a failing step does not stop the boot, the root's absence does.
 *
 * Ownership: rf_plan_parse fills a zero-initialised struct rf_plan that the caller releases with
 * rf_plan_free. rf_plan_format only reads the plan (its strings may be borrowed) and returns a
 * malloc'd text. Errors: -errno (-EINVAL for malformed input, the line in errbuf), -ENOMEM.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define RF_PLAN_PATH "etc/ramforge/plan" /* inside the image, no leading '/' */
#define RF_PLAN_VERSION 2

struct rf_plan_mod {
	char *name;
	char *path;    /* NULL: built into the kernel */
	char *options; /* NULL or "" when none */
	bool early;
	size_t *deps; /* indices into rf_plan.mods */
	size_t ndeps;
	size_t *pre;
	size_t npre;
	size_t *post;
	size_t npost;
};

enum rf_step_trigger { RF_STEP_DEVICE = 1, RF_STEP_ROOT_MISSING = 2 };

struct rf_plan_step {
	char *bundle;
	enum rf_step_trigger trigger;
	char *type;        /* RF_STEP_DEVICE: the blkid TYPE */
	unsigned secs;     /* RF_STEP_ROOT_MISSING */
	char **off;        /* command-line words that turn the step off */
	size_t noff;
	char **if_keys, **unless_keys, **filter_keys;
	size_t nif, nunless, nfilter;
	char *uuid;        /* NULL: any device */
	char **argv;       /* NULL-terminated, as written (expansion is the init's) */
	size_t argc;
};

struct rf_plan {
	char *kver;
	struct rf_plan_mod *mods;
	size_t n;
	struct rf_plan_step *steps;
	size_t nsteps;
	/* Private: rf_plan_parse's name index (open addressing, slot = module index + 1, 0 empty),
	 * so parsing and rf_plan_find take constant time per name. nindex 0: none (a plan built by
	 * hand), rf_plan_find searches linearly. */
	size_t *index;
	size_t nindex; /* a power of two */
};

/* Parse text (len bytes, need not be NUL-terminated) into plan. On -EINVAL, errbuf (if given)
 * holds "line N: what". */
int rf_plan_parse(struct rf_plan *plan, const char *text, size_t len, char *errbuf,
		  size_t errlen);

/* Serialise plan into *out (malloc'd, NUL-terminated; *outlen without the NUL). -EINVAL when a
 * name or path is empty or holds white space, options hold a newline, an index is out of
 * range, or a step is one the parser would refuse (ARGV[0] not absolute, a '%' that starts
 * none of the forms above, filter=, uuid=, %{DEVICE} or %{UUID} without a device= trigger). */
int rf_plan_format(const struct rf_plan *plan, char **out, size_t *outlen);

/* A step's ARGV word that is a whole "%{KEY}" (KEY holds a '.'): the length of KEY, *key (if
 * given) pointing at it inside word; 0 for any other word. */
size_t rf_plan_step_key(const char *word, const char **key);

/* Index of the module called name, or -1. Do not add modules to a parsed plan: its index would
 * not know them. */
long rf_plan_find(const struct rf_plan *plan, const char *name);

/* Free everything rf_plan_parse allocated; the plan is left empty. NULL-safe. */
void rf_plan_free(struct rf_plan *plan);

/* Free one step's strings (a step the builder made, or one of a parsed plan's). */
void rf_plan_step_free(struct rf_plan_step *s);
