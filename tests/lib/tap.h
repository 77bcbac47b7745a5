/*
 * tap.h - the suite's tiny test protocol.
 *
 * Every test program prints one line per check, "ok N - what" or
 * "not ok N - what", and "# done" when it ends normally.  tests/run counts
 * the lines; a program that dies before "# done" counts as one more
 * failure, so a crash can never pass silently.
 */
#ifndef UNETMAP_TESTS_TAP_H
#define UNETMAP_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* a diagnostic line, ignored by the counter */
__attribute__((format(printf, 1, 2), unused)) static void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* checks two integers and shows both when they differ */
#define TAP_EQ(got, want, what)                                                \
	do {                                                                   \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
		if (!tap_ok(tap_g_ == tap_w_, "%s", what))                     \
			tap_diag("  got %lld, want %lld", tap_g_, tap_w_);      \
	} while (0)

__attribute__((unused)) static int
tap_done(void)
{
	printf("# done: %d checks, %d failed\n", tap_n, tap_failed);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
