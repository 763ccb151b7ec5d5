/* The registry of the backends this build has: adding one is a line here (and its folder). */
#include "runtime/backend.h"

#include <stdio.h>
#include <string.h>

#include "edgeprof/session.h"

static const ep_backend_i* const backends[] = {
    &ep_backend_cpu,
#ifdef EP_HAVE_ONEDNN
    &ep_backend_onednn,
#endif
#ifdef EP_HAVE_XNNPACK
    &ep_backend_xnnpack,
#endif
};

int ep_backend_count(void) { return (int)(sizeof backends / sizeof backends[0]); }

const ep_backend_i* ep_backend_at(int index) {
  return index >= 0 && index < ep_backend_count() ? backends[index] : NULL;
}

const ep_backend_i* ep_backend_find(const char* name) {
  for (int i = 0; i < ep_backend_count(); i++) {
    if (strcmp(backends[i]->name, name) == 0) return backends[i];
  }
  return NULL;
}

/* --- the backends of this build, for callers outside the runtime ------------------------- */

const char* ep_backend_name(int index) {
  const ep_backend_i* b = ep_backend_at(index);
  return b != NULL ? b->name : NULL;
}

bool ep_backend_available(const char* name, char* why, size_t why_size) {
  const ep_backend_i* b = ep_backend_find(name);
  if (b == NULL) {
    if (why != NULL && why_size > 0) snprintf(why, why_size, "not in this build");
    return false;
  }
  if (why != NULL && why_size > 0) why[0] = '\0';
  return b->available == NULL || b->available(why, why_size);
}

const char* ep_backend_version(const char* name) {
  const ep_backend_i* b = ep_backend_find(name);
  return b != NULL && b->describe != NULL ? b->describe() : NULL;
}
