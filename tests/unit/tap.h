/* SPDX-License-Identifier: MIT */
/* A tiny TAP producer for the C unit tests: `ok N - what` / `not ok N - what`. */
#pragma once
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_CHECK(cond, ...) \
	do { \
		tap_n++; \
		if (cond) { \
			printf("ok %d - ", tap_n); \
		} else { \
			tap_failed++; \
			printf("not ok %d - %s:%d: ", tap_n, __FILE__, __LINE__); \
		} \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} while (0)

#define TAP_STREQ(a, b, ...) \
	do { \
		const char *tap_a_ = (a), *tap_b_ = (b); \
		int tap_eq_ = tap_a_ && tap_b_ && strcmp(tap_a_, tap_b_) == 0; \
		TAP_CHECK(tap_eq_, __VA_ARGS__); \
		if (!tap_eq_) \
			printf("#   got \"%s\", want \"%s\"\n", tap_a_ ? tap_a_ : "(null)", \
			       tap_b_ ? tap_b_ : "(null)"); \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
