/* HOST:PORT parsing and token files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/output.h"
#include "edgeprof/net.h"

ep_status ep_net_parse_address(const char* text, char* host, size_t host_size, int* port_out) {
  if (text == NULL || *text == '\0') {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "empty address (HOST:PORT, e.g. 127.0.0.1:7878)");
  }
  const char* host_start = text;
  const char* host_end;
  const char* port_text;
  if (text[0] == '[') {
    host_start = text + 1;
    host_end = strchr(text, ']');
    if (host_end == NULL || host_end[1] != ':') goto bad;
    port_text = host_end + 2;
  } else {
    host_end = strrchr(text, ':');
    if (host_end == NULL) goto bad;
    port_text = host_end + 1;
  }
  size_t len = (size_t)(host_end - host_start);
  if (len == 0 || len >= host_size) goto bad;
  char* end = NULL;
  errno = 0;
  long port = strtol(port_text, &end, 10);
  if (*port_text < '0' || *port_text > '9' || *end != '\0' || errno != 0 || port < 0 ||
      port > 65535) {
    goto bad;
  }
  memcpy(host, host_start, len);
  host[len] = '\0';
  *port_out = (int)port;
  return EP_OK;
bad:
  return ep_error(EP_ERR_INVALID_ARGUMENT,
                  "bad address '%s' (HOST:PORT with PORT 0-65535, e.g. 127.0.0.1:7878)", text);
}

ep_status ep_net_token_load(const char* path, uint8_t token[EP_NET_MAX_TOKEN], size_t* length_out) {
  FILE* f = NULL;
  if (ep_input_open(path, &f) != EP_OK) {
    return ep_error(EP_ERR_IO, "token file: %s", ep_last_error());
  }
  uint8_t buf[EP_NET_MAX_TOKEN + 3];
  size_t n = fread(buf, 1, sizeof buf, f);
  int failed = ferror(f);
  fclose(f);
  if (failed) return ep_error(EP_ERR_IO, "cannot read token file %s", path);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
  if (n == 0 || n > EP_NET_MAX_TOKEN) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "token file %s must hold 1 to %d bytes (a trailing "
                    "newline is ignored)",
                    path, EP_NET_MAX_TOKEN);
  }
  memcpy(token, buf, n);
  *length_out = n;
  return EP_OK;
}
