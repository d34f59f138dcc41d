/*
 * store_sqlite_vfs.c - a VFS shim that gathers a connection's WAL
 * writes into one write. See store_sqlite.h.
 *
 * Model: SQLite writes a commit to the -wal file as two pwrite()s per
 * page (the 24-byte frame header, then the page), one after the other
 * at growing offsets. On this kind of machine a system call costs more
 * than copying the page: the ingest writer spent about a fifth of its
 * time entering pwrite. This shim sits over the default ("unix") VFS
 * and, for WAL files only, appends writes that continue the previous
 * one into a buffer of the file handle; any other access to the file
 * writes the buffer out first, as one pwrite, so every read and every
 * other operation sees the bytes in the order SQLite wrote them.
 *
 * The one place that matters for other connections: a commit becomes
 * visible to them when the writer publishes the new WAL-index header
 * in shared memory, and SQLite calls xShmBarrier on the database file
 * just before the copy readers check (walIndexWriteHdr). The shim's
 * database file knows its connection's WAL file and writes the buffer
 * out in xShmBarrier, xShmLock and its own reads, writes and syncs.
 * So no reader, checkpointer or sync ever sees a committed frame that
 * is not in the file. A crash loses only bytes of a commit that was
 * never published, as if SQLite had crashed before writing them.
 *
 * Errors: the last page of a commit (the write after a commit frame's
 * header) is written out at once, and so is any write over bytes
 * already written (SQLite rewrites frame checksums after a page was
 * written twice): SQLite gets their result where it would have. Bytes
 * that fail to go out are dropped, never retried after the write lock
 * is gone; where a method cannot return the error, it is kept and
 * fails every later write of the transaction, so it cannot commit.
 *
 * A connection's database and WAL files are matched by the name
 * pointer SQLite hands to xOpen (sqlite3_filename_database() of the
 * WAL's name is the database's). Files opened without a match (none is
 * expected) are passed through unbuffered.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "store_sqlite.h"

#define VFS_NAME  "tame"
/* The unix VFS writes at most 128 kB - 1 per call (it masks larger
 * sizes), so a buffer holds 29 frames of 4 kB pages */
#define WBUF_MAX  (120 * 1024)

struct vfile {
	sqlite3_file base;          /* first: what SQLite sees */
	const char *name;           /* as given to xOpen */
	int is_wal;
	struct vfile *peer;         /* db <-> wal of one connection */
	struct vfile *next;         /* open database files (db only) */
	unsigned char *buf;         /* WAL only: pending bytes */
	size_t len;
	sqlite3_int64 off;          /* file offset of buf[0] */
	int commit_next;            /* the next write ends a commit */
	sqlite3_int64 hi;           /* end of the furthest write so far */
	int err;                    /* a write-out failed where it could
	                               not be said: the transaction fails */
	sqlite3_file *real;         /* follows this struct */
};

static sqlite3_vfs vfs;
static sqlite3_vfs *parent;
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vfile *open_dbs;

#define REAL(f) (((struct vfile *)(void *)(f))->real)
#define VF(f)   ((struct vfile *)(void *)(f))

/* Writes out what a WAL file holds back. On failure the bytes are
 * dropped, never tried again later (by then another connection may
 * have written the same place): the caller fails, as SQLite's own
 * write would have. */
static int
wal_flush(struct vfile *w)
{
	int rc;

	if (!w || !w->len)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->off);
	w->len = 0;
	if (rc != SQLITE_OK)
		w->commit_next = 0;
	return rc;
}

/* wal_flush() where the method cannot return the error: it is kept,
 * and every write of the transaction fails with it, so the transaction
 * cannot commit without the dropped bytes. */
static void
wal_flush_keep(struct vfile *w)
{
	int rc;

	if (w && (rc = wal_flush(w)) != SQLITE_OK && !w->err)
		w->err = rc;
}

/* ---- methods shared by both kinds (write out first, then pass) ---- */

static int
v_close(sqlite3_file *f)
{
	struct vfile *v = VF(f), **pp;
	int rc = SQLITE_OK, rc2;

	if (v->is_wal)
		rc = wal_flush(v);
	pthread_mutex_lock(&open_mu);
	if (v->peer)
		v->peer->peer = NULL;
	if (!v->is_wal) {
		for (pp = &open_dbs; *pp; pp = &(*pp)->next)
			if (*pp == v) {
				*pp = v->next;
				break;
			}
	}
	pthread_mutex_unlock(&open_mu);
	free(v->buf);
	rc2 = v->real->pMethods->xClose(v->real);
	return rc ? rc : rc2;
}

/* The WAL file of f's connection, or NULL. */
static struct vfile *
wal_of(sqlite3_file *f)
{
	struct vfile *v = VF(f);

	return v->is_wal ? v : v->peer;
}

static int
v_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	int rc = wal_flush(wal_of(f));

	return rc ? rc : REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

/* A WAL frame header: 24 bytes; bytes 4-7 hold, for the frame that
 * commits, the database size in pages, and zero for any other frame. */
#define FRAME_HDR 24

static int
v_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct vfile *v = VF(f);
	const unsigned char *b = p;
	int rc, last;

	if (!v->is_wal || n <= 0) {
		if ((rc = wal_flush(v->peer)))
			return rc;
		return v->real->pMethods->xWrite(v->real, p, n, off);
	}
	if (v->err)
		return v->err;
	if (v->len && (off != v->off + (sqlite3_int64)v->len ||
	    v->len + (size_t)n > WBUF_MAX) && (rc = wal_flush(v)))
		return rc;
	/* the WAL header at 0 starts the file anew (a restart) */
	if (off == 0)
		v->hi = 0;
	/* Only appends are held back. A write over bytes already written
	 * (a page written twice in one transaction, the checksums SQLite
	 * rewrites after it) goes out at once and says how it went: it
	 * may be the last write of a commit. */
	if (off < v->hi || (size_t)n > WBUF_MAX || (!v->buf &&
	    !(v->buf = malloc(WBUF_MAX)))) {
		if ((rc = wal_flush(v)))
			return rc;
		if (off + n > v->hi)
			v->hi = off + n;
		return v->real->pMethods->xWrite(v->real, p, n, off);
	}
	v->hi = off + n;
	if (!v->len)
		v->off = off;
	memcpy(v->buf + v->len, p, (size_t)n);
	v->len += (size_t)n;
	/* The page after a commit frame's header ends the commit: it goes
	 * out now, so a failure reaches SQLite where it would have without
	 * the shim, before the commit is published. */
	last = v->commit_next;
	v->commit_next = n == FRAME_HDR && (b[4] | b[5] | b[6] | b[7]);
	return last ? wal_flush(v) : SQLITE_OK;
}

static int
v_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = wal_flush(wal_of(f));

	return rc ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
v_sync(sqlite3_file *f, int flags)
{
	struct vfile *w = wal_of(f);
	int rc = wal_flush(w);

	if (!rc && w && w->err)
		rc = w->err;
	return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
v_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = wal_flush(wal_of(f));

	return rc ? rc : REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
v_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
v_unlock(sqlite3_file *f, int lock)
{
	int rc = wal_flush(wal_of(f));

	return rc ? rc : REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
v_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
v_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc;

	/* the name of the VFS stack, for PRAGMA vfs_list and the like */
	if (op == SQLITE_FCNTL_VFSNAME) {
		rc = REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
		if (rc == SQLITE_OK)
			*(char **)arg = sqlite3_mprintf("%s/%z", VFS_NAME,
			    *(char **)arg);
		return rc;
	}
	if ((rc = wal_flush(wal_of(f))))
		return rc;
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
v_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
v_device_chars(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/* ---- shared memory: only on the database file ---- */

static int
v_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int
v_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	struct vfile *w = wal_of(f);

	wal_flush_keep(w);
	/* the WAL write lock (slot 0) taken: a new transaction, and the
	 * error of one before it is no longer its own */
	if (w && off == 0 && (flags & SQLITE_SHM_LOCK) &&
	    (flags & SQLITE_SHM_EXCLUSIVE))
		w->err = 0;
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

/* The commit's header is published right after this: its frames must
 * be in the file before any reader can see it. */
static void
v_shm_barrier(sqlite3_file *f)
{
	struct vfile *w = wal_of(f);

	/* empty after a commit's last write (v_write); anything else is
	 * written out too, and a failure fails the transaction */
	wal_flush_keep(w);
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
v_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
v_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	int rc = wal_flush(wal_of(f));

	return rc ? rc : REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
v_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods v_methods = {
	3, v_close, v_read, v_write, v_truncate, v_sync, v_file_size,
	v_lock, v_unlock, v_check_reserved, v_file_control, v_sector_size,
	v_device_chars, v_shm_map, v_shm_lock, v_shm_barrier, v_shm_unmap,
	v_fetch, v_unfetch
};

/* ---- the VFS ---- */

static int
v_open(sqlite3_vfs *unused, sqlite3_filename name, sqlite3_file *f,
    int flags, int *out_flags)
{
	struct vfile *v = VF(f), *d;
	const char *dbname;
	int rc;

	(void)unused;
	memset(v, 0, sizeof(*v));
	v->real = (sqlite3_file *)(void *)(v + 1);
	rc = parent->xOpen(parent, name, v->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		/* SQLite calls no method of a file that failed to open */
		if (v->real->pMethods)
			v->real->pMethods->xClose(v->real);
		v->base.pMethods = NULL;
		return rc;
	}
	/* the unix VFS gives a file without methods only on failure, but
	 * a shim must not wrap what it cannot call */
	if (!v->real->pMethods) {
		v->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	v->name = name;
	v->base.pMethods = &v_methods;
	if ((flags & SQLITE_OPEN_MAIN_DB) && name) {
		pthread_mutex_lock(&open_mu);
		v->next = open_dbs;
		open_dbs = v;
		pthread_mutex_unlock(&open_mu);
	} else if ((flags & SQLITE_OPEN_WAL) && name) {
		dbname = sqlite3_filename_database(name);
		pthread_mutex_lock(&open_mu);
		for (d = open_dbs; d; d = d->next)
			if (d->name == dbname && !d->peer) {
				d->peer = v;
				v->peer = d;
				v->is_wal = 1;
				break;
			}
		pthread_mutex_unlock(&open_mu);
	}
	return SQLITE_OK;
}

static int
v_delete(sqlite3_vfs *unused, const char *name, int sync_dir)
{
	(void)unused;
	return parent->xDelete(parent, name, sync_dir);
}

static int
v_access(sqlite3_vfs *unused, const char *name, int flags, int *out)
{
	(void)unused;
	return parent->xAccess(parent, name, flags, out);
}

static int
v_full_pathname(sqlite3_vfs *unused, const char *name, int n, char *out)
{
	(void)unused;
	return parent->xFullPathname(parent, name, n, out);
}

static void *
v_dlopen(sqlite3_vfs *unused, const char *name)
{
	(void)unused;
	return parent->xDlOpen(parent, name);
}

static void
v_dlerror(sqlite3_vfs *unused, int n, char *out)
{
	(void)unused;
	parent->xDlError(parent, n, out);
}

static void (*
v_dlsym(sqlite3_vfs *unused, void *h, const char *sym))(void)
{
	(void)unused;
	return parent->xDlSym(parent, h, sym);
}

static void
v_dlclose(sqlite3_vfs *unused, void *h)
{
	(void)unused;
	parent->xDlClose(parent, h);
}

static int
v_randomness(sqlite3_vfs *unused, int n, char *out)
{
	(void)unused;
	return parent->xRandomness(parent, n, out);
}

static int
v_sleep(sqlite3_vfs *unused, int us)
{
	(void)unused;
	return parent->xSleep(parent, us);
}

static int
v_current_time(sqlite3_vfs *unused, double *out)
{
	(void)unused;
	return parent->xCurrentTime(parent, out);
}

static int
v_last_error(sqlite3_vfs *unused, int n, char *out)
{
	(void)unused;
	return parent->xGetLastError ? parent->xGetLastError(parent, n, out) :
	    0;
}

static int
v_current_time64(sqlite3_vfs *unused, sqlite3_int64 *out)
{
	(void)unused;
	return parent->xCurrentTimeInt64(parent, out);
}

int
sq_vfs_register(void)
{
	if (parent)
		return SQLITE_OK;
	if (!(parent = sqlite3_vfs_find(NULL)))
		return SQLITE_ERROR;
	memset(&vfs, 0, sizeof(vfs));
	vfs.iVersion = 2;
	vfs.szOsFile = (int)sizeof(struct vfile) + parent->szOsFile;
	vfs.mxPathname = parent->mxPathname;
	vfs.zName = VFS_NAME;
	vfs.xOpen = v_open;
	vfs.xDelete = v_delete;
	vfs.xAccess = v_access;
	vfs.xFullPathname = v_full_pathname;
	vfs.xDlOpen = v_dlopen;
	vfs.xDlError = v_dlerror;
	vfs.xDlSym = v_dlsym;
	vfs.xDlClose = v_dlclose;
	vfs.xRandomness = v_randomness;
	vfs.xSleep = v_sleep;
	vfs.xCurrentTime = v_current_time;
	vfs.xGetLastError = v_last_error;
	vfs.xCurrentTimeInt64 = v_current_time64;
	return sqlite3_vfs_register(&vfs, 1);
}
