/* Status names and the per-thread last-error message. */
#include "edgeprof/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[8192]; /* long enough to list every unsupported node of a model */
static _Thread_local char scratch[8192];    /* the new message, formatted apart from the old one */

const char* ep_status_name(ep_status status) {
  switch (status) {
    case EP_OK: return "ok";
    case EP_ERR_INVALID_ARGUMENT: return "invalid argument";
    case EP_ERR_OUT_OF_MEMORY: return "out of memory";
    case EP_ERR_UNSUPPORTED: return "unsupported";
    case EP_ERR_NOT_FOUND: return "not found";
    case EP_ERR_IO: return "i/o error";
    case EP_ERR_FORMAT: return "malformed data";
    case EP_ERR_SYSTEM: return "system error";
    case EP_ERR_UNTRUSTED: return "untrusted certificate";
  }
  return "unknown status";
}

const char* ep_last_error(void) { return last_error; }

ep_status ep_error(ep_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  /* Formatted apart, then copied: callers wrap the previous message
   * (ep_error(st, "...: %s", ep_last_error())), and formatting into the buffer being read from
   * garbles it (overlapping vsnprintf is undefined). */
  vsnprintf(scratch, sizeof scratch, format, args);
  va_end(args);
  memcpy(last_error, scratch, sizeof last_error);
  return status;
}
