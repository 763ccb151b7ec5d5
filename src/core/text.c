/* Control characters escaped for printing (include/edgeprof/text.h). */
#include "edgeprof/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_control(unsigned char c) { return (c >= 0x01 && c < 0x20) || c == 0x7f; }

char* ep_text_escape_controls(const char* text, char* out, size_t size) {
  if (size == 0) return out;
  size_t n = 0;
  for (const unsigned char* p = (const unsigned char*)(text != NULL ? text : ""); *p; p++) {
    if (is_control(*p)) {
      if (n + 4 >= size) break;
      snprintf(out + n, 5, "\\x%02x", *p);
      n += 4;
    } else {
      if (n + 1 >= size) break;
      out[n++] = (char)*p;
    }
  }
  out[n] = '\0';
  return out;
}

char* ep_text_escape_controls_dup(const char* text) {
  size_t need = 1;
  for (const unsigned char* p = (const unsigned char*)(text != NULL ? text : ""); *p; p++) {
    need += is_control(*p) ? 4 : 1;
  }
  char* out = malloc(need);
  return out != NULL ? ep_text_escape_controls(text, out, need) : NULL;
}
