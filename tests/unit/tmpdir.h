/*
 * tmpdir.h - a throw-away directory for a unit test's store, under
 * $TMPDIR (else the system's). Include after <cmocka.h>.
 */
#ifndef TAME_TEST_TMPDIR_H
#define TAME_TEST_TMPDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* Makes dir (n bytes) a new directory named tame-TAG-XXXXXX. */
static void
tmpdir_make(char *dir, size_t n, const char *tag)
{
	snprintf(dir, n, "%s/tame-%s-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir, tag);
	assert_non_null(mkdtemp(dir));
}

/* Removes dir and what is in it: 0, or -1 (said on stderr). */
static int
tmpdir_remove(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", dir);
		return -1;
	}
	return 0;
}

#endif
