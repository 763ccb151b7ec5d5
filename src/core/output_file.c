/* Output files replaced atomically: PATH.tmp.<pid> in the same folder, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edgeprof/output.h"

struct ep_output {
  char* path;
  char* tmp; /* NULL for standard output */
  FILE* stream;
};

static void output_free(ep_output* o) {
  free(o->path);
  free(o->tmp);
  free(o);
}

ep_status ep_output_open(const char* path, ep_output** output_out) {
  if (path == NULL || *path == '\0') return ep_error(EP_ERR_INVALID_ARGUMENT, "empty output path");
  ep_output* o = calloc(1, sizeof *o);
  if (o == NULL || (o->path = strdup(path)) == NULL) {
    if (o != NULL) output_free(o);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an output file");
  }
  if (strcmp(path, "-") == 0) {
    o->stream = stdout;
    *output_out = o;
    return EP_OK;
  }
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    output_free(o);
    return ep_error(EP_ERR_IO, "cannot write %s: it is a folder", path);
  }
  size_t size = strlen(path) + 32;
  o->tmp = malloc(size);
  if (o->tmp == NULL) {
    output_free(o);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an output file");
  }
  snprintf(o->tmp, size, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    ep_status status = ep_error(EP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    output_free(o);
    return status;
  }
  o->stream = fdopen(fd, "w");
  if (o->stream == NULL) {
    ep_status status = ep_error(EP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    unlink(o->tmp);
    output_free(o);
    return status;
  }
  *output_out = o;
  return EP_OK;
}

FILE* ep_output_stream(ep_output* output) { return output->stream; }
const char* ep_output_path(const ep_output* output) { return output->path; }
const char* ep_output_tmp_path(const ep_output* output) { return output->tmp; }

/* Makes the rename itself durable; best effort (some file systems refuse). */
static void sync_folder(const char* path) {
  char* copy = strdup(path);
  if (copy == NULL) return;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(copy);
}

ep_status ep_output_commit(ep_output* output) {
  if (output == NULL) return ep_error(EP_ERR_INVALID_ARGUMENT, "no output to commit");
  ep_status status = EP_OK;
  if (output->tmp == NULL) {
    if (fflush(output->stream) != 0 || ferror(output->stream)) {
      status = ep_error(EP_ERR_IO, "cannot write to standard output: %s", strerror(errno));
    }
    output_free(output);
    return status;
  }
  FILE* f = output->stream;
  output->stream = NULL;
  if (fflush(f) != 0 || ferror(f)) {
    status = ep_error(EP_ERR_IO, "cannot write %s: %s", output->path, strerror(errno));
    fclose(f);
  } else if (fsync(fileno(f)) != 0 && errno != EINVAL) {
    status = ep_error(EP_ERR_IO, "cannot sync %s: %s", output->path, strerror(errno));
    fclose(f);
  } else if (fclose(f) != 0) {
    status = ep_error(EP_ERR_IO, "cannot write %s: %s", output->path, strerror(errno));
  } else if (rename(output->tmp, output->path) != 0) {
    status = ep_error(EP_ERR_IO, "cannot replace %s: %s", output->path, strerror(errno));
  }
  if (status != EP_OK) {
    unlink(output->tmp);
  } else {
    sync_folder(output->path);
  }
  output_free(output);
  return status;
}

void ep_output_discard(ep_output* output) {
  if (output == NULL) return;
  if (output->tmp != NULL) {
    if (output->stream != NULL) fclose(output->stream);
    unlink(output->tmp);
  }
  output_free(output);
}

ep_status ep_make_dirs(const char* path) {
  if (path == NULL || *path == '\0') return ep_error(EP_ERR_INVALID_ARGUMENT, "empty folder path");
  char* copy = strdup(path);
  if (copy == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a path");
  ep_status status = EP_OK;
  for (char* p = copy + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char saved = *p;
    *p = '\0';
    struct stat st;
    if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
      status = ep_error(EP_ERR_IO, "cannot create folder %s: %s", copy, strerror(errno));
    } else if (stat(copy, &st) != 0 || !S_ISDIR(st.st_mode)) {
      status = ep_error(EP_ERR_IO, "cannot create folder %s: a file is in the way", copy);
    }
    *p = saved;
    if (status != EP_OK || saved == '\0') break;
  }
  free(copy);
  return status;
}
