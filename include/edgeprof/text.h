/* Text taken from files (node names of a model, strings of a results file) made safe to print:
 * control characters could move the cursor, recolour or clear a terminal (src/core/text.c). */
#ifndef EDGEPROF_TEXT_H
#define EDGEPROF_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Copies `text` into out[size] (always NUL-terminated, truncated if need be) with every control
 * character (bytes 0x01-0x1f and 0x7f) written as \xNN; everything else, UTF-8 included, is
 * kept. Returns out. */
char* ep_text_escape_controls(const char* text, char* out, size_t size);
/* The same into a new string (free()); NULL when out of memory. */
char* ep_text_escape_controls_dup(const char* text);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_TEXT_H */
