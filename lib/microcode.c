// SPDX-License-Identifier: MIT
/* The early microcode containers, from the sysroot's vendor files; see microcode.h. */
#include "microcode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

/* "KEY<blanks>: VALUE" of the first processor (the text up to its first empty line), or NULL.
 * The value is copied into out (at most len - 1 bytes), trailing blanks cut. */
static const char *cpuinfo_field(const char *text, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key), n;
	const char *next, *p, *end;

	for (const char *line = text; *line && *line != '\n'; line = next) {
		next = strchrnul(line, '\n');
		next += *next == '\n';
		if (strncmp(line, key, klen) != 0)
			continue;
		p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue; /* "model name" is not "model" */
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		end = strchrnul(p, '\n');
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		n = (size_t)(end - p) < len - 1 ? (size_t)(end - p) : len - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return out;
	}
	return NULL;
}

static int cpuinfo_number(const char *text, const char *key, const char *display, unsigned *v,
			  struct rf_err *err)
{
	char buf[32], *end;
	unsigned long n;

	if (!cpuinfo_field(text, key, buf, sizeof(buf)))
		return rf_fail(err, -EINVAL, "%s: no '%s' for the first CPU", display, key);
	errno = 0;
	n = strtoul(buf, &end, 10);
	if (buf[0] < '0' || buf[0] > '9' || *end || errno || n > 0xffff)
		return rf_fail(err, -EINVAL, "%s: '%s' of the first CPU is not a number: '%s'", display,
			       key, buf);
	*v = (unsigned)n;
	return 0;
}

int rf_cpu_parse(const char *text, const char *display, struct rf_cpu *cpu, struct rf_err *err)
{
	int r;

	*cpu = (struct rf_cpu){ RF_CPU_OTHER, "", 0, 0, 0 };
	if (!cpuinfo_field(text, "vendor_id", cpu->vendor_id, sizeof(cpu->vendor_id)))
		return 0;
	if (strcmp(cpu->vendor_id, "GenuineIntel") == 0)
		cpu->vendor = RF_CPU_INTEL;
	else if (strcmp(cpu->vendor_id, "AuthenticAMD") == 0)
		cpu->vendor = RF_CPU_AMD;
	else
		return 0;
	r = cpuinfo_number(text, "cpu family", display, &cpu->family, err);
	if (r >= 0 && cpu->vendor == RF_CPU_INTEL)
		r = cpuinfo_number(text, "model", display, &cpu->model, err);
	if (r >= 0 && cpu->vendor == RF_CPU_INTEL)
		r = cpuinfo_number(text, "stepping", display, &cpu->stepping, err);
	return r;
}

int rf_cpu_read(const char *host_root, struct rf_cpu *cpu, struct rf_err *err)
{
	char *path = rf_path_join(host_root, "proc/cpuinfo"), *text = NULL;
	int r = path ? rf_input_read(NULL, path, path, RF_INPUT_PROC_MAX, 0, &text, NULL, err)
		     : rf_fail(err, -ENOMEM, "proc/cpuinfo: %s", strerror(ENOMEM));

	if (r >= 0)
		r = rf_cpu_parse(text, path, cpu, err);
	free(text);
	free(path);
	return r;
}

/* A whole line of text is line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

int rf_microcode_kernel(const char *sysroot, const char *kver, bool loads[2], struct rf_err *err)
{
	char *rel = rf_strdupf("boot/config-%s", kver), *display = rel ? rf_path_join(sysroot, rel) : NULL;
	char *text = NULL;
	int r = display ? rf_input_read(sysroot, rel, display, RF_INPUT_CONF_MAX, RF_INPUT_OPTIONAL,
					&text, NULL, err)
			: rf_fail(err, -ENOMEM, "boot/config-%s: %s", kver, strerror(ENOMEM));

	loads[0] = loads[1] = true;
	if (r >= 0 && !has_line(text, "CONFIG_MICROCODE=y"))
		loads[0] = loads[1] = false;
	if (r >= 0 && has_line(text, "# CONFIG_MICROCODE_INTEL is not set"))
		loads[0] = false;
	if (r >= 0 && has_line(text, "# CONFIG_MICROCODE_AMD is not set"))
		loads[1] = false;
	free(text);
	free(display);
	free(rel);
	return r == -ENOENT ? 0 : r;
}

/* Where each vendor's files are, which of them, and the container they make. */
static const struct source {
	const char *dir, *suffix, *dest;
	enum rf_cpu_vendor vendor;
} sources[2] = {
	{ "lib/firmware/intel-ucode", "", RF_MICROCODE_INTEL_PATH, RF_CPU_INTEL },
	{ "lib/firmware/amd-ucode", ".bin", RF_MICROCODE_AMD_PATH, RF_CPU_AMD },
};

/* A listed file that is microcode: not a signature, a README, or a masked (dangling) link. */
static bool is_blob(const struct rf_input_entry *e)
{
	size_t n = strlen(e->name);

	return !e->masked && strncmp(e->name, "README", 6) != 0 &&
	       !(n >= 4 && strcmp(e->name + n - 4, ".asc") == 0);
}

/* The file names one CPU's patches have, best first (up to 3), in names; returns how many. */
static size_t cpu_names(const struct rf_cpu *cpu, enum rf_cpu_vendor vendor, char names[3][48])
{
	if (cpu->vendor != vendor)
		return 0;
	if (vendor == RF_CPU_AMD) {
		if (cpu->family < 0x15)
			snprintf(names[0], sizeof(names[0]), "microcode_amd.bin");
		else
			snprintf(names[0], sizeof(names[0]), "microcode_amd_fam%02xh.bin", cpu->family);
		return 1;
	}
	for (size_t i = 0; i < 3; i++)
		snprintf(names[i], sizeof(names[i]), "%02x-%02x-%02x%s", cpu->family, cpu->model,
			 cpu->stepping, (const char *[]){ "", ".initramfs", ".early" }[i]);
	return 3;
}

/* Keep in l only the files to take: every blob (cpu NULL), or the one named best for cpu. */
static void choose(struct rf_input_list *l, const struct rf_cpu *cpu, enum rf_cpu_vendor vendor)
{
	char names[3][48];
	size_t nn = cpu ? cpu_names(cpu, vendor, names) : 0, best = SIZE_MAX, keep = 0;

	for (size_t k = 0; best == SIZE_MAX && k < nn; k++)
		for (size_t i = 0; best == SIZE_MAX && i < l->n; i++)
			if (is_blob(&l->v[i]) && strcmp(l->v[i].name, names[k]) == 0)
				best = i;
	for (size_t i = 0; i < l->n; i++) {
		bool take = cpu ? i == best : is_blob(&l->v[i]);

		if (take)
			l->v[keep++] = l->v[i];
		else
			free(l->v[i].path);
	}
	l->n = keep;
}

/* Append ROOT/e's bytes to *buf (*len bytes, *cap room). */
static int append_file(const char *root, const struct rf_input_entry *e, unsigned char **buf,
		       size_t *len, size_t *cap, struct rf_err *err)
{
	char *display = rf_path_join(root, e->path), *text = NULL;
	size_t n = 0;
	int r = display ? rf_input_read(root, e->path, display, RF_MICROCODE_FILE_MAX, 0, &text, &n, err)
			: rf_fail(err, -ENOMEM, "%s: %s", e->path, strerror(ENOMEM));

	if (r >= 0 && *len + n > RF_MICROCODE_TOTAL_MAX)
		r = rf_fail(err, -EFBIG, "%s: more than %zu MiB of microcode with this file", display,
			    RF_MICROCODE_TOTAL_MAX >> 20);
	if (r >= 0 && *len + n > *cap) {
		size_t want = *cap ? *cap : 1 << 16;
		unsigned char *grown;

		while (want < *len + n)
			want *= 2;
		grown = realloc(*buf, want);
		if (grown) {
			*buf = grown;
			*cap = want;
		} else {
			r = rf_fail(err, -ENOMEM, "%s: %s", display, strerror(ENOMEM));
		}
	}
	if (r >= 0 && n) {
		memcpy(*buf + *len, text, n);
		*len += n;
	}
	free(text);
	free(display);
	return r;
}

static bool any_blob(const struct rf_input_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (is_blob(&l->v[i]))
			return true;
	return false;
}

/* One vendor's container (none when the kernel would not read it: load); the host's CPU is
 * read (once) when there is microcode to choose from. */
static int collect_one(const char *sysroot, const struct source *src, const char *host_root,
		       bool load, struct rf_manifest *early, struct rf_microcode_report *rep,
		       size_t idx, struct rf_err *err)
{
	const char *dirs[] = { src->dir, NULL }, *suffixes[] = { src->suffix, NULL };
	struct rf_input_list l = { 0 };
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = load ? rf_input_list_conf(sysroot, dirs, suffixes, &l, err) : 0;

	if (r >= 0 && host_root && !rep->cpu_read && any_blob(&l)) {
		r = rf_cpu_read(host_root, &rep->cpu, err);
		rep->cpu_read = r >= 0;
	}
	if (r >= 0)
		choose(&l, host_root ? &rep->cpu : NULL, src->vendor);
	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		size_t before = len;

		r = append_file(sysroot, &l.v[i], &buf, &len, &cap, err);
		rep->files[idx] += r >= 0 && len > before;
	}
	if (r >= 0 && len > 0 && rf_manifest_add_bytes(early, src->dest, buf, len, 0644) < 0)
		r = rf_fail(err, -ENOMEM, "%s: %s", src->dest, strerror(ENOMEM));
	if (r >= 0)
		rep->bytes[idx] = len;
	free(buf);
	rf_input_list_free(&l);
	return r;
}

int rf_microcode_collect(const char *sysroot, const char *host_root, const bool loads[2],
			 struct rf_manifest *early, struct rf_microcode_report *rep, struct rf_err *err)
{
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	for (size_t i = 0; r >= 0 && i < 2; i++)
		r = collect_one(sysroot, &sources[i], host_root, !loads || loads[i], early, rep, i,
				err);
	if (r >= 0 && early->n) /* qsort wants a non-NULL array even for no entries */
		rf_manifest_sort(early);
	return r;
}
