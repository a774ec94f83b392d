/* io.h: files the program writes, the one hash of bytes, and the names of the error codes.
 *
 * Contract:
 * - Every file the program writes (checkpoints, replays, recordings, run directories) goes through
 *   the atomic writer: a temporary file beside the target (same folder, a unique name
 *   "TARGET.tmp-PID-K"), written, flushed, fsynced and closed, renamed over the target, then the
 *   folder fsynced so the rename itself is on disk. Readers see the old file or the whole new one,
 *   never a part. On any failure before the rename the temporary file is removed and the target
 *   is left as it was; errors return ENV_EIO (ENV_EINPUT for a path that is too long) with a
 *   message naming the target and the cause, and leave the cause in errno.
 * - The temporaries being written are kept in a small fixed registry, so that a signal handler can
 *   remove them (env_atomic_remove_temps()) before the process dies. This registry is the one
 *   piece of process-wide state in env/, and only because a signal handler has no other way to
 *   reach the files: the handler gets no argument, cannot take a lock and cannot allocate. It
 *   holds names only (no FILE*), its slots are claimed with atomic compare-and-swap, and it never
 *   changes what any function computes. The library installs no signal handler; cli/main.c does.
 * - This is the one file of env/ that uses POSIX (open, fstat, fsync, rename, unlink, getpid,
 *   kill and waitpid for a child writing a temporary).
 * - env_fnv1a64() is FNV-1a 64 (offset basis ENV_FNV1A64_BASIS, prime 0x100000001B3), the hash
 *   behind state hashes, replay and checkpoint checksums and map hashes; chaining calls over
 *   consecutive pieces gives the hash of their concatenation.
 */
#ifndef COMMONS_IO_H
#define COMMONS_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "env.h"

#define ENV_FNV1A64_BASIS 0xCBF29CE484222325ULL
#define ENV_FNV1A64_PRIME 0x100000001B3ULL

/* FNV-1a 64 of n bytes, continuing from h (ENV_FNV1A64_BASIS to start). */
uint64_t env_fnv1a64(uint64_t h, const void *data, size_t n);

#define ENV_PATH_MAX 4096                  /* longest target path, with its NUL */
#define ENV_ATOMIC_TMP (ENV_PATH_MAX + 48) /* a temporary name: the target and ".tmp-PID-K" */
#define ENV_ATOMIC_SLOTS 16                /* temporaries open at once, process-wide */

/* A file being written atomically. Zero it (or let env_atomic_open() fill it) before use. */
typedef struct EnvAtomicFile {
    FILE *fp; /* the stream to write to; NULL after env_atomic_detach() */
    char path[ENV_PATH_MAX];
    char tmp[ENV_ATOMIC_TMP];
    int slot;  /* index in the registry of temporaries */
    int armed; /* 1 from open until commit or abort */
} EnvAtomicFile;

/* Creates a fresh temporary file beside path (mode 0666 less the umask) and opens it for
 * writing in f->fp. Fails (no file created) when the folder does not exist or is not writable. */
int env_atomic_open(EnvAtomicFile *f, const char *path, EnvError *err);

/* Closes f->fp but keeps the temporary name reserved and registered, for a child process that
 * writes the file by name (ffmpeg); commit and abort work as usual afterwards. */
void env_atomic_detach(EnvAtomicFile *f);

/* Flushes, fsyncs and closes the temporary file, renames it over the target and fsyncs the
 * folder. Any write error seen on the stream fails the commit. The file is closed either way; on
 * a failure before the rename the temporary is removed and the target is untouched. */
int env_atomic_commit(EnvAtomicFile *f, EnvError *err);

/* Closes and removes the temporary file; the target is untouched. Safe on a zeroed, committed or
 * already aborted file. */
void env_atomic_abort(EnvAtomicFile *f);

/* Writes n bytes to path atomically (open, one write, commit). */
int env_write_atomic(const char *path, const void *data, size_t n, EnvError *err);

/* Removes every registered temporary file. Async-signal-safe (only unlink()): call it from a
 * SIGINT/SIGTERM handler, then re-raise the signal. The registry keeps its entries, so a later
 * abort or commit of the same file still runs (and fails or does nothing). */
void env_atomic_remove_temps(void);

/* Opens path for reading when it is a regular file. Returns the stream; or NULL with errno set
 * (the open failed, or EISDIR for a folder); or NULL with errno 0 and *kind naming what the path
 * is ("a FIFO", "a device", "a socket"), which is refused without blocking or reading a byte.
 * Every file the program reads (maps, configs, checkpoints, replays) is opened through it. */
FILE *env_open_regular(const char *path, const char **kind);

/* Registers the child process (pid) that writes f's temporary by name after env_atomic_detach()
 * (ffmpeg): env_atomic_remove_temps() kills it (SIGKILL) and waits for it before removing the
 * temporary, so that it cannot write the file again afterwards. Forgotten at commit or abort. */
void env_atomic_set_writer(EnvAtomicFile *f, long pid);

/* Sets (text) or clears (NULL) the note a signal handler prints on stderr when the process is
 * stopped: what an unfinished job leaves behind, e.g. the frames of a PNG recording so far. One
 * note at a time; setting it is not async-signal-safe, printing it (env_stop_note_print) is. */
void env_stop_note(const char *text);
void env_stop_note_print(void);

/* The folder part of a path: "." when it has none, "/" for a file at the root. */
void env_path_folder(const char *path, char *out, size_t n);

/* How many temporaries are registered now (for tests and leak checks). */
int env_atomic_pending(void);

#endif
