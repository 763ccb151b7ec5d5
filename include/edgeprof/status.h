/* Status codes and the last-error message shared by every edgeprof call.
 *
 * Every fallible function returns an ep_status. On failure it also leaves a one-line message,
 * readable with ep_last_error() on the same thread until the next failure on that thread.
 * Library code never prints and never exits. */
#ifndef EDGEPROF_STATUS_H
#define EDGEPROF_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ep_status {
  EP_OK = 0,
  EP_ERR_INVALID_ARGUMENT, /* a caller passed something that cannot be right */
  EP_ERR_OUT_OF_MEMORY,
  EP_ERR_UNSUPPORTED,      /* valid request this build or machine cannot serve */
  EP_ERR_NOT_FOUND,        /* unknown model, tensor, node, file */
  EP_ERR_IO,               /* reading or writing a file failed */
  EP_ERR_FORMAT,           /* malformed data: a file, a message */
  EP_ERR_SYSTEM,           /* an OS call failed (threads, affinity, sockets) */
  EP_ERR_UNTRUSTED,        /* a TLS peer's certificate does not chain to the given CA */
} ep_status;

/* Short stable name of a status ("invalid argument", ...). Never NULL. */
const char* ep_status_name(ep_status status);

/* Message of the last failure on the calling thread; "" if none. The pointer stays valid until
 * the next edgeprof call on this thread. */
const char* ep_last_error(void);

/* Records a failure message (printf format) for ep_last_error() and returns `status`, so that
 * library code can write `return ep_error(EP_ERR_IO, "cannot open %s", path);`. */
ep_status ep_error(ep_status status, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_STATUS_H */
