/* SPDX-License-Identifier: MIT */
/*
 * The image the boot loader loads for KVER, where build writes and status reads by default:
 * image= of ramforge.conf (%k the kernel version, %% a literal %); else Debian's and its
 * derivatives' SYSROOT/boot/initrd.img-KVER; else SYSROOT/boot/initramfs-KVER.img.
 * Ownership: malloc'd; NULL on ENOMEM.
 */
#pragma once

char *rf_default_image(const char *sysroot, const char *kver, const char *conf_image);
