#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ep_test_passed = 0;
int ep_test_failed = 0;

int ep_test_finish(void) {
  printf("%d passed, %d failed\n", ep_test_passed, ep_test_failed);
  return ep_test_failed == 0 ? 0 : 1;
}

uint64_t ep_test_rng_next(ep_test_rng* rng) {
  uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int ep_test_rng_int(ep_test_rng* rng, int lo, int hi) {
  return lo + (int)(ep_test_rng_next(rng) % (uint64_t)(hi - lo + 1));
}

void ep_test_fill(ep_test_rng* rng, float* x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) {
    double u = (double)(ep_test_rng_next(rng) >> 11) / 9007199254740992.0;
    x[i] = (float)(lo + (hi - lo) * u);
  }
}

double ep_test_max_abs_diff(const float* a, const float* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (d > m || isnan(d)) m = isnan(d) ? INFINITY : d;
  }
  return m;
}

double ep_test_max_rel_diff(const float* a, const float* b, size_t n) {
  double scale = 1e-30;
  for (size_t i = 0; i < n; i++) {
    if (fabs((double)b[i]) > scale) scale = fabs((double)b[i]);
  }
  return ep_test_max_abs_diff(a, b, n) / scale;
}

int ep_test_all_finite(const float* x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return 0;
  }
  return 1;
}

int ep_test_zoo_selected(const char* name) {
  const char* list = getenv("EP_TEST_ZOO");
  if (list == NULL || *list == '\0') return 1;
  const size_t n = strlen(name);
  for (const char* p = list; (p = strstr(p, name)) != NULL; p += n) {
    if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) return 1;
  }
  return 0;
}

/* CMake compiles with absolute paths: tests/support/../fixtures. */
const char* ep_test_fixtures_dir(void) {
  static char dir[1024];
  const char* env = getenv("EP_FIXTURES");
  if (env != NULL && env[0] != '\0') return env;
  snprintf(dir, sizeof dir, "%s", __FILE__);
  char* slash = strrchr(dir, '/');
  if (slash == NULL) return "tests/fixtures";
  *slash = '\0';
  slash = strrchr(dir, '/');
  if (slash == NULL) return "tests/fixtures";
  snprintf(slash, sizeof dir - (size_t)(slash - dir), "/fixtures");
  return dir;
}
