/* SPDX-License-Identifier: MIT */
/*
 * Early microcode: the CPU vendors' update files of the sysroot, in the form the kernel's early
 * loaders look for at the start of the initramfs (arch/x86/kernel/cpu/microcode), for the
 * archive to write as an uncompressed cpio ahead of the main one (archive.h):
 *   kernel/x86/microcode/GenuineIntel.bin  the files of SYSROOT/lib/firmware/intel-ucode
 *   kernel/x86/microcode/AuthenticAMD.bin  the *.bin files of SYSROOT/lib/firmware/amd-ucode
 * each the files concatenated in name order (the loaders scan a container for their CPU's patch). Skipped,
 * as dracut skips them: names starting with '.' or "README", signatures (".asc"), directories,
 * links to nowhere, empty files. Files are read inside the sysroot (input.h), each at most
 * RF_MICROCODE_FILE_MAX bytes, each container at most RF_MICROCODE_TOTAL_MAX.
 * For one CPU (hostonly) only its files: Intel's "FF-MM-SS" (family, model, stepping in hex;
 * else Debian's "FF-MM-SS.initramfs", else "FF-MM-SS.early"), AMD's "microcode_amd.bin" below
 * family 0x15 and "microcode_amd_famFFh.bin" from it (the names the kernel's loaders and
 * dracut use); nothing for another vendor.
 * Ownership: entries go into a manifest the caller owns. Errors: -errno, "FILE: why" in err.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "util.h"

#define RF_MICROCODE_FILE_MAX ((size_t)16 << 20)   /* Intel's largest today: 3.3 MB */
#define RF_MICROCODE_TOTAL_MAX ((size_t)128 << 20) /* Debian's whole intel-ucode: 21 MB */

#define RF_MICROCODE_INTEL_PATH "kernel/x86/microcode/GenuineIntel.bin"
#define RF_MICROCODE_AMD_PATH "kernel/x86/microcode/AuthenticAMD.bin"

enum rf_cpu_vendor { RF_CPU_OTHER, RF_CPU_INTEL, RF_CPU_AMD };

/* The first processor of a /proc/cpuinfo. */
struct rf_cpu {
	enum rf_cpu_vendor vendor;
	char vendor_id[32]; /* as cpuinfo says it ("GenuineIntel", "HygonGenuine"), "" if absent */
	unsigned family, model, stepping; /* decimal in cpuinfo; family with its extension */
};

/* Parse cpuinfo text (display names it in messages). A vendor other than Intel or AMD is
 * RF_CPU_OTHER with no more fields needed; for Intel "cpu family", "model" and "stepping",
 * for AMD "cpu family" must be there: -EINVAL "DISPLAY: no 'KEY' for the first CPU". */
int rf_cpu_parse(const char *text, const char *display, struct rf_cpu *cpu, struct rf_err *err);

/* Read and parse HOST_ROOT/proc/cpuinfo ("/" on a real host). */
int rf_cpu_read(const char *host_root, struct rf_cpu *cpu, struct rf_err *err);

/* What went in: per container (0 Intel, 1 AMD) the files taken and the bytes; the CPU. */
struct rf_microcode_report {
	size_t files[2];
	uint64_t bytes[2];
	bool cpu_read;      /* hostonly, and there were files to choose from: cpu is the host's */
	struct rf_cpu cpu;
};

/* Which containers the target kernel's loaders read (loads[0] Intel, loads[1] AMD), from
 * SYSROOT/boot/config-KVER as dracut decides: neither without CONFIG_MICROCODE=y; not Intel's
 * (AMD's) where "# CONFIG_MICROCODE_INTEL (_AMD) is not set" (kernels before 6.6 have the
 * two; later ones read both with CONFIG_MICROCODE). Both when the file is missing. */
int rf_microcode_kernel(const char *sysroot, const char *kver, bool loads[2], struct rf_err *err);

/* Add the containers (and their directories) to early: for every CPU (host_root NULL), or
 * for the CPU of HOST_ROOT/proc/cpuinfo (read only when the sysroot has microcode files;
 * unreadable, it is the error). A container with no file is not added: a sysroot without
 * microcode adds nothing. loads (NULL: both) leaves out the containers the kernel would not
 * read (rf_microcode_kernel). */
int rf_microcode_collect(const char *sysroot, const char *host_root, const bool loads[2],
			 struct rf_manifest *early, struct rf_microcode_report *rep, struct rf_err *err);
