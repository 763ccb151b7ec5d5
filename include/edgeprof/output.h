/* Atomic output files and folders: the ground every layer that writes files stands on
 * (src/core/output_file.c). */
#ifndef EDGEPROF_OUTPUT_H
#define EDGEPROF_OUTPUT_H

#include <stdio.h>

#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- atomic output files ---------------------------------------------------------------- */

/* An output file: written to PATH.tmp.<pid> in the same folder, then fsync'ed and renamed
 * over PATH by ep_output_commit, so PATH is either the old file or the complete new one.
 * "-" is standard output (nothing to rename). Open it before the work that fills it, so that an
 * unwritable path fails first. Not thread-safe: one thread per output. */
typedef struct ep_output ep_output;

/* Fails (EP_ERR_IO, the message names the path and the reason) if the folder does not exist or
 * cannot be written, or PATH is a folder. */
ep_status ep_output_open(const char* path, ep_output** output_out);
FILE* ep_output_stream(ep_output* output);
const char* ep_output_path(const ep_output* output);
/* The temporary file's path, NULL for standard output: what a signal handler must remove. */
const char* ep_output_tmp_path(const ep_output* output);
/* Flushes, syncs and renames into place; frees the output whatever happens. On failure the
 * temporary file is removed and PATH is left as it was. */
ep_status ep_output_commit(ep_output* output);
/* Closes and removes the temporary file; frees the output. NULL is a no-op. */
void ep_output_discard(ep_output* output);

/* --- input files ------------------------------------------------------------------------ */

/* Opens PATH for reading ("rb") if it is a regular file (a symbolic link to one is fine).
 * A folder, FIFO, device or socket is refused (EP_ERR_INVALID_ARGUMENT, the message says which)
 * without blocking: a FIFO is never waited on. A missing file is EP_ERR_NOT_FOUND, another
 * failure EP_ERR_IO. Every reader of a user-named file goes through this. */
ep_status ep_input_open(const char* path, FILE** file_out);

/* Creates a folder and its parents (mkdir -p); fine if it exists. */
ep_status ep_make_dirs(const char* path);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_OUTPUT_H */
