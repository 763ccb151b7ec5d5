/* The server's model cache (src/net/model_cache.c): a memory budget with least-recently-used
 * eviction of models nobody holds, models in use never evicted (the request is refused instead),
 * pinned models preloaded and everything else refused, and a bounded queue of requests waiting
 * for a session that answers "busy" at once when full. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "edgeprof/zoo.h"
#include "net/model_cache.h"
#include "test_support.h"

static void options(ep_model_cache_options* o, size_t budget) {
  memset(o, 0, sizeof *o);
  o->memory_budget = budget;
  o->threads = 1;
  o->sessions_per_model = 1;
  o->max_waiting = 1;
}

static ep_net_error_code get(ep_model_cache* c, const char* name, uint64_t seed,
                             ep_cached_model** m) {
  ep_model_request r;
  memset(&r, 0, sizeof r);
  r.kind = EP_NET_MODEL_ZOO;
  r.zoo_name = name;
  r.seed = seed;
  char why[400];
  ep_net_error_code code = ep_model_cache_acquire(c, &r, m, why, sizeof why);
  if (code != EP_NET_OK) printf("  %s seed %llu: %s\n", name, (unsigned long long)seed, why);
  return code;
}

/* Acquires and releases at once: the model is loaded (or touched) and then idle. */
static ep_net_error_code touch(ep_model_cache* c, const char* name, uint64_t seed) {
  ep_cached_model* m = NULL;
  ep_net_error_code code = get(c, name, seed, &m);
  if (code == EP_NET_OK) ep_model_cache_release(c, m);
  return code;
}

typedef struct waiter {
  ep_model_cache* cache;
  ep_cached_model* model;
  ep_session* session;
  ep_net_error_code code;
} waiter;

static void* wait_for_session(void* arg) {
  waiter* w = arg;
  bool busy = false;
  char why[300];
  w->code = ep_cached_model_session_acquire(w->cache, w->model, &w->session, &busy, why,
                                            sizeof why);
  return NULL;
}

int main(void) {
  /* The size of one lstm (graph and one session), as the cache charges it. */
  ep_model_cache_options o;
  options(&o, 0);
  ep_model_cache* c = NULL;
  EP_CHECK_OK(ep_model_cache_create(&o, &c));
  EP_CHECK(touch(c, "lstm", 1) == EP_NET_OK);
  ep_model_cache_stats st;
  ep_model_cache_stats_get(c, &st);
  size_t one = st.bytes;
  printf("one lstm: %.1f MiB\n", (double)one / (1 << 20));
  EP_CHECK(one > 2650000u * 4); /* at least its 2.65 M float weights */
  EP_CHECK(touch(c, "no_such_model", 1) == EP_NET_E_UNKNOWN_MODEL);
  uint8_t sha[32];
  EP_CHECK(!ep_model_cache_find_file(c, "x.onnx", sha));
  ep_model_cache_destroy(c);

  /* Room for two: the least recently used idle one goes. */
  options(&o, one * 5 / 2);
  EP_CHECK_OK(ep_model_cache_create(&o, &c));
  EP_CHECK(touch(c, "lstm", 1) == EP_NET_OK);
  EP_CHECK(touch(c, "lstm", 2) == EP_NET_OK);
  EP_CHECK(touch(c, "lstm", 1) == EP_NET_OK); /* seed 2 is now the least recently used */
  EP_CHECK(touch(c, "lstm", 3) == EP_NET_OK);
  ep_model_cache_stats_get(c, &st);
  EP_CHECK_MSG(st.models == 2 && st.evictions == 1 && st.loads == 3 && st.bytes <= st.budget,
               "models %d evictions %llu loads %llu bytes %zu", st.models,
               (unsigned long long)st.evictions, (unsigned long long)st.loads, st.bytes);
  EP_CHECK(touch(c, "lstm", 1) == EP_NET_OK); /* still there: no load */
  ep_model_cache_stats_get(c, &st);
  EP_CHECK(st.loads == 3);

  /* Models in use are never evicted: a third one is refused while two are held. */
  ep_cached_model *a = NULL, *b = NULL, *x = NULL;
  EP_CHECK(get(c, "lstm", 1, &a) == EP_NET_OK);
  EP_CHECK(get(c, "lstm", 3, &b) == EP_NET_OK);
  EP_CHECK(get(c, "lstm", 4, &x) == EP_NET_E_INTERNAL);
  ep_model_cache_stats_get(c, &st);
  EP_CHECK(st.models == 2 && st.refused >= 1 && st.bytes <= st.budget);

  /* The queue: one session, one waiter; the next request is busy at once. */
  ep_session* s1 = NULL;
  bool busy = false;
  char why[300];
  EP_CHECK(ep_cached_model_session_acquire(c, a, &s1, &busy, why, sizeof why) == EP_NET_OK);
  waiter w = {c, a, NULL, EP_NET_E_INTERNAL};
  pthread_t t;
  EP_CHECK(pthread_create(&t, NULL, wait_for_session, &w) == 0);
  usleep(300 * 1000); /* the waiter is queued */
  ep_session* s2 = NULL;
  EP_CHECK(ep_cached_model_session_acquire(c, a, &s2, &busy, why, sizeof why) ==
               EP_NET_E_INTERNAL &&
           busy);
  ep_cached_model_session_release(a, s1);
  pthread_join(t, NULL);
  EP_CHECK(w.code == EP_NET_OK && w.session == s1);
  ep_cached_model_session_release(a, w.session);
  ep_model_cache_release(c, a);
  ep_model_cache_release(c, b);
  EP_CHECK(touch(c, "lstm", 4) == EP_NET_OK); /* now there is an idle one to evict */
  ep_model_cache_destroy(c);

  /* Pinned: preloaded, never evicted, and nothing else served. */
  const char* pinned[] = {"lstm"};
  options(&o, one * 3 / 2);
  o.pinned = pinned;
  o.n_pinned = 1;
  o.pinned_seed = 7;
  EP_CHECK_OK(ep_model_cache_create(&o, &c));
  ep_model_cache_stats_get(c, &st);
  EP_CHECK(st.models == 1 && st.loads == 1);
  EP_CHECK(touch(c, "lstm", 7) == EP_NET_OK);
  EP_CHECK(touch(c, "lstm", 8) == EP_NET_E_UNKNOWN_MODEL);
  EP_CHECK(touch(c, "mlp", 7) == EP_NET_E_UNKNOWN_MODEL);
  ep_model_cache_stats_get(c, &st);
  EP_CHECK(st.loads == 1);
  ep_model_cache_destroy(c);
  /* Pinned models that do not fit the budget: the cache is not made. */
  options(&o, one / 2);
  o.pinned = pinned;
  o.n_pinned = 1;
  c = NULL;
  EP_CHECK(ep_model_cache_create(&o, &c) != EP_OK && c == NULL);
  return ep_test_finish();
}
