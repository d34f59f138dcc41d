/*
 * err.h - the project-wide result type.
 *
 * Like curl's CURLcode: every fallible function returns an enum tame_err,
 * TAME_OK (zero) on success, so callers can write `if ((rc = f()))`.
 */
#ifndef TAME_ERR_H
#define TAME_ERR_H

enum tame_err {
	TAME_OK = 0,
	TAME_ENOMEM,    /* allocation failed */
	TAME_EINVAL,    /* bad argument or malformed input */
	TAME_ENOTFOUND, /* no such row / object */
	TAME_EEXIST,    /* unique key already present */
	TAME_ESTORE,    /* storage engine error */
	TAME_EBUSY,     /* locked, try again later */
	TAME_ETOOBIG,   /* input over a limit from tame_limits.h */
	TAME_EPARSE,    /* could not be parsed */
	TAME_EIO,       /* operating-system or network I/O failed */
	TAME_EAUTH,     /* not authenticated */
	TAME_EPERM,     /* authenticated but not allowed */
	TAME_ECONFLICT, /* state does not allow the change */
	TAME_EDISK,     /* the store's disk is full or failing */
	TAME_EFILES     /* out of file descriptors (ulimit -n) */
};

/* Returns a static, human-readable text for rc. Never NULL. */
const char *tame_strerror(enum tame_err rc);
/* The result for a failed system call's errno e: TAME_EFILES when out
 * of descriptors (EMFILE, ENFILE), TAME_ENOMEM, else TAME_EIO. */
enum tame_err tame_errno_err(int e);

#endif
