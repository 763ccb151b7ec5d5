/* The registry of the backends this build has: adding one is a line here (and its folder). */
#include "runtime/backend.h"

#include <string.h>

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
