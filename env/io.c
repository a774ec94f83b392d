/* io.c: the atomic writer with its registry of temporaries, FNV-1a 64, and the error codes: their
 * table of names and env_fail() (see io.h and env.h for the contracts).
 *
 * Registry slots go 0 (free) -> 1 (claimed, name being written or no longer armed) -> 2 (armed:
 * the signal handler may unlink the name) and back, with atomic operations only, so that a
 * signal arriving at any instant sees either a whole name or none. A slot is armed before the
 * temporary file is created, so there is no instant when a file exists that the handler would
 * miss; a name armed but not yet created holds our pid, so it can only be ours or stale.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"

#if ATOMIC_INT_LOCK_FREE != 2
#error "the registry of temporaries needs lock-free atomic ints (async-signal-safe)"
#endif

/* ---- FNV-1a 64 ---- */

uint64_t env_fnv1a64(uint64_t h, const void *data, size_t n) {
    const uint8_t *b = data;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= ENV_FNV1A64_PRIME;
    }
    return h;
}

/* ---- reading ---- */

FILE *env_open_regular(const char *path, const char **kind) {
    *kind = NULL;
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *kind = S_ISFIFO(st.st_mode)                         ? "a FIFO"
                : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                             : "not a regular file";
        close(fd);
        errno = 0;
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

/* ---- error codes ---- */

int env_fail(EnvError *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

static const struct {
    int code;
    const char *name;
} ERRORS[] = {
    {ENV_OK, "ENV_OK"},   {ENV_EINPUT, "ENV_EINPUT"},       {ENV_ENOMEM, "ENV_ENOMEM"},
    {ENV_EIO, "ENV_EIO"}, {ENV_EMISMATCH, "ENV_EMISMATCH"}, {ENV_ENOTFOUND, "ENV_ENOTFOUND"},
};

const char *env_error_name(int code) {
    for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
        if (ERRORS[i].code == code) return ERRORS[i].name;
    return "unknown error code";
}

/* ---- the registry of temporaries ---- */

enum { SLOT_FREE = 0, SLOT_CLAIMED = 1, SLOT_ARMED = 2 };
static _Atomic int reg_state[ENV_ATOMIC_SLOTS];
static char reg_tmp[ENV_ATOMIC_SLOTS][ENV_ATOMIC_TMP];
static _Atomic long reg_writer[ENV_ATOMIC_SLOTS]; /* a child writing the temporary, or 0 */
/* the stop note: two buffers, the one to print chosen atomically (-1: none) */
static char note_buf[2][ENV_PATH_MAX + 256];
static _Atomic int note_at = -1;

static int slot_claim(void) {
    for (int i = 0; i < ENV_ATOMIC_SLOTS; i++) {
        int expected = SLOT_FREE;
        if (atomic_compare_exchange_strong(&reg_state[i], &expected, SLOT_CLAIMED)) return i;
    }
    return ENV_ATOMIC_SLOTS;
}

/* arms slot i with name (disarming it first while the name changes) */
static void slot_arm(int i, const char *name) {
    atomic_store(&reg_state[i], SLOT_CLAIMED);
    memcpy(reg_tmp[i], name, strlen(name) + 1);
    atomic_store(&reg_state[i], SLOT_ARMED);
}

void env_atomic_remove_temps(void) {
    /* first stop the children writing temporaries, so that none is written again after */
    for (int i = 0; i < ENV_ATOMIC_SLOTS; i++) {
        long pid = atomic_load(&reg_writer[i]);
        if (pid > 0 && atomic_load(&reg_state[i]) == SLOT_ARMED) {
            kill((pid_t)pid, SIGKILL);
            waitpid((pid_t)pid, NULL, 0);
        }
    }
    for (int i = 0; i < ENV_ATOMIC_SLOTS; i++)
        if (atomic_load(&reg_state[i]) == SLOT_ARMED) unlink(reg_tmp[i]);
}

void env_atomic_set_writer(EnvAtomicFile *f, long pid) {
    if (f->armed) atomic_store(&reg_writer[f->slot], pid);
}

void env_stop_note(const char *text) {
    if (!text) {
        atomic_store(&note_at, -1);
        return;
    }
    int next = atomic_load(&note_at) == 0 ? 1 : 0;
    snprintf(note_buf[next], sizeof note_buf[next], "%s", text);
    atomic_store(&note_at, next);
}

void env_stop_note_print(void) {
    int at = atomic_load(&note_at);
    if (at < 0) return;
    const char *t = note_buf[at];
    ssize_t ignored = write(2, t, strlen(t));
    (void)ignored;
}

int env_atomic_pending(void) {
    int n = 0;
    for (int i = 0; i < ENV_ATOMIC_SLOTS; i++) n += atomic_load(&reg_state[i]) != SLOT_FREE;
    return n;
}

/* ---- the atomic writer ---- */

/* removes the temporary (unless it was renamed) and frees the slot; keeps errno */
static void release(EnvAtomicFile *f, int remove_tmp) {
    int saved = errno;
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
    if (remove_tmp) unlink(f->tmp);
    atomic_store(&reg_writer[f->slot], 0);
    atomic_store(&reg_state[f->slot], SLOT_FREE);
    f->armed = 0;
    errno = saved;
}

int env_atomic_open(EnvAtomicFile *f, const char *path, EnvError *err) {
    memset(f, 0, sizeof *f);
    size_t n = strlen(path);
    if (n == 0 || n >= ENV_PATH_MAX) {
        errno = n ? ENAMETOOLONG : ENOENT;
        return env_fail(err, ENV_EINPUT, "%.64s%s: a file path has 1 to %d characters, not %zu",
                        path, n > 64 ? "..." : "", ENV_PATH_MAX - 1, n);
    }
    memcpy(f->path, path, n + 1);
    f->slot = slot_claim();
    if (f->slot == ENV_ATOMIC_SLOTS) {
        errno = EMFILE;
        return env_fail(err, ENV_EIO, "%s: more than %d files are being written at once", path,
                        ENV_ATOMIC_SLOTS);
    }
    f->armed = 1;
    int fd = -1;
    for (int k = 0; k < 10000 && fd < 0; k++) {
        snprintf(f->tmp, sizeof f->tmp, "%s.tmp-%ld-%d", path, (long)getpid(), k);
        slot_arm(f->slot, f->tmp);
        fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) atomic_store(&reg_state[f->slot], SLOT_CLAIMED); /* not ours: never unlink */
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int e = errno;
        release(f, 0);
        errno = e;
        return env_fail(err, ENV_EIO, "%s: cannot create a file beside it: %s", path, strerror(e));
    }
    atomic_store(&reg_state[f->slot], SLOT_ARMED);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        int e = errno;
        close(fd);
        release(f, 1);
        errno = e;
        return env_fail(err, ENV_EIO, "%s: cannot open a file: %s", path, strerror(e));
    }
    return 0;
}

void env_atomic_detach(EnvAtomicFile *f) {
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
}

void env_path_folder(const char *path, char *out, size_t n) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* fsyncs the folder holding path, so that a rename in it is on disk; 0 or the errno value */
static int sync_folder(const char *path, char *dir, size_t n) {
    env_path_folder(path, dir, n);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 || errno == EINVAL ? 0 : errno; /* EINVAL: cannot sync folders */
    close(fd);
    return e;
}

/* fsyncs a detached temporary by name; 0 or the errno value */
static int sync_by_name(const char *name) {
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return e;
}

int env_atomic_commit(EnvAtomicFile *f, EnvError *err) {
    if (!f->armed) return env_fail(err, ENV_EIO, "%s: not open for writing", f->path);
    int failed = 0, e = 0;
    if (f->fp) {
        errno = 0;
        failed = fflush(f->fp) != 0 || ferror(f->fp);
        e = errno ? errno : EIO;
        if (!failed && fsync(fileno(f->fp)) != 0) failed = 1, e = errno;
        FILE *fp = f->fp;
        f->fp = NULL;
        if (fclose(fp) != 0 && !failed) failed = 1, e = errno;
    } else if ((e = sync_by_name(f->tmp)) != 0) {
        failed = 1;
    }
    if (!failed && rename(f->tmp, f->path) != 0) failed = 1, e = errno;
    release(f, failed);
    if (failed) {
        errno = e;
        return env_fail(err, ENV_EIO, "%s: cannot write: %s", f->path, strerror(e));
    }
    char dir[ENV_PATH_MAX];
    if ((e = sync_folder(f->path, dir, sizeof dir)) != 0) {
        errno = e;
        return env_fail(err, ENV_EIO, "%s: written, but its folder %s cannot be synced: %s",
                        f->path, dir, strerror(e));
    }
    return 0;
}

void env_atomic_abort(EnvAtomicFile *f) {
    if (f->armed) release(f, 1);
}

int env_write_atomic(const char *path, const void *data, size_t n, EnvError *err) {
    EnvAtomicFile f;
    int rc = env_atomic_open(&f, path, err);
    if (rc) return rc;
    if (n && fwrite(data, 1, n, f.fp) != n) {
        int e = errno;
        env_atomic_abort(&f);
        errno = e;
        return env_fail(err, ENV_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return env_atomic_commit(&f, err);
}
