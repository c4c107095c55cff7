/* SPDX-License-Identifier: MIT */
/*
 * When the boot cannot go on (or rd.break asks to stop): one clear block on the console — what
 * was asked for, the block devices there are, the modules loaded and failed, the bundles' steps
 * that ran and how they ended — then a shell if the image has /bin/sh, else a wait of `wait`
 * seconds and a reboot. Never a silent hang.
 */
#pragma once
#include <stdbool.h>

#include "cmdline.h"
#include "modload.h"
#include "steprun.h"

/* Print the block. loader may be NULL (nothing was loaded yet), steps too (none ran). */
void rf_emergency_report(const char *reason, const struct rf_cmdline *cmd,
			 struct rf_loader *loader, const struct rf_stepper *steps);

/* fatal: never returns (shell, then reboot). Not fatal (rd.break): returns after the shell
 * exits; without a shell it reboots as for a failure. */
void rf_emergency(bool fatal, int wait);
