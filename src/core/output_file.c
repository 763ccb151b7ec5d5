/* Output files replaced atomically: PATH.tmp.<pid> in the same folder, fsync, rename. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
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

static const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

/* Removes PATH.tmp.<pid> files that a killed run left behind (SIGKILL, power loss: no
 * handler ran): those whose process no longer exists. Best effort. */
static void remove_stale_temporaries(const char* path) {
  char* dir_copy = strdup(path);
  char* base_copy = strdup(path);
  if (dir_copy == NULL || base_copy == NULL) goto done;
  const char* base = basename(base_copy);
  size_t base_len = strlen(base);
  DIR* dir = opendir(dirname(dir_copy));
  if (dir == NULL) goto done;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    const char* name = e->d_name;
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, ".tmp.", 5) != 0) continue;
    const char* digits = name + base_len + 5;
    char* end = NULL;
    long pid = strtol(digits, &end, 10);
    if (*digits == '\0' || *end != '\0' || pid <= 0 || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to judge */
    struct stat st;
    if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      (void)unlinkat(dirfd(dir), name, 0);
    }
  }
  closedir(dir);
done:
  free(dir_copy);
  free(base_copy);
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
  /* Results go only to regular files: renaming over a symbolic link would replace the link,
   * not what it points to, and a FIFO or device would not get the file the user expects. */
  struct stat st;
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    output_free(o);
    return ep_error(EP_ERR_IO, "cannot write %s: it is %s; results go only to regular files ('-' "
                    "for standard output)", path, file_kind(st.st_mode));
  }
  remove_stale_temporaries(path);
  size_t size = strlen(path) + 32;
  o->tmp = malloc(size);
  if (o->tmp == NULL) {
    output_free(o);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an output file");
  }
  snprintf(o->tmp, size, "%s.tmp.%ld", path, (long)getpid());
  /* O_EXCL | O_NOFOLLOW: never write through a link or into a file someone else made. A file
   * of this very name is a leftover of an earlier process with our pid: removed once. */
  int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = open(o->tmp, flags, 0666);
  if (fd < 0 && errno == EEXIST && unlink(o->tmp) == 0) fd = open(o->tmp, flags, 0666);
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

ep_status ep_input_open(const char* path, FILE** file_out) {
  *file_out = NULL;
  if (path == NULL || *path == '\0') return ep_error(EP_ERR_INVALID_ARGUMENT, "empty input path");
  struct stat st;
  if (stat(path, &st) != 0) {
    return ep_error(errno == ENOENT ? EP_ERR_NOT_FOUND : EP_ERR_IO, "cannot read %s: %s", path,
                    strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "cannot read %s: it is %s, not a regular file", path,
                    file_kind(st.st_mode));
  }
  /* Non-blocking, so that a FIFO swapped in after the stat cannot hang the open; checked again
   * on the descriptor itself. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return ep_error(errno == ENOENT ? EP_ERR_NOT_FOUND : EP_ERR_IO, "cannot read %s: %s", path,
                    strerror(errno));
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return ep_error(EP_ERR_INVALID_ARGUMENT, "cannot read %s: not a regular file", path);
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  FILE* f = fdopen(fd, "rb");
  if (f == NULL) {
    ep_status status = ep_error(EP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    close(fd);
    return status;
  }
  *file_out = f;
  return EP_OK;
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
