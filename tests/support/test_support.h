/* Tiny test helpers shared by every CTest executable: checks that count failures instead of
 * aborting, a seeded random generator and float comparison. A test's main returns
 * ep_test_finish(), which prints "N passed, N failed" and gives the exit status. */
#ifndef EDGEPROF_TEST_SUPPORT_H
#define EDGEPROF_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int ep_test_passed;
extern int ep_test_failed;

#define EP_CHECK(cond)                                                              \
  do {                                                                             \
    if (cond) {                                                                    \
      ep_test_passed++;                                                            \
    } else {                                                                       \
      ep_test_failed++;                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
    }                                                                              \
  } while (0)

#define EP_CHECK_MSG(cond, ...)                                                    \
  do {                                                                             \
    if (cond) {                                                                    \
      ep_test_passed++;                                                            \
    } else {                                                                       \
      ep_test_failed++;                                                            \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);     \
      fprintf(stderr, __VA_ARGS__);                                                \
      fputc('\n', stderr);                                                         \
    }                                                                              \
  } while (0)

/* Checks that a call returned EP_OK, printing ep_last_error() otherwise. */
#define EP_CHECK_OK(call)                                                          \
  do {                                                                             \
    ep_status st_ = (call);                                                        \
    EP_CHECK_MSG(st_ == EP_OK, "%s", ep_last_error());                            \
  } while (0)

/* Prints the summary line and returns the process exit status (0 only if nothing failed). */
int ep_test_finish(void);

/* Deterministic generator for test data (splitmix64). */
typedef struct ep_test_rng {
  uint64_t state;
} ep_test_rng;

uint64_t ep_test_rng_next(ep_test_rng* rng);
/* Uniform integer in [lo, hi]. */
int ep_test_rng_int(ep_test_rng* rng, int lo, int hi);
/* Fills n floats uniformly in [lo, hi). */
void ep_test_fill(ep_test_rng* rng, float* x, size_t n, float lo, float hi);

/* Max |a - b| / max(max|b|, tiny): the relative error measure used across the tests. */
double ep_test_max_rel_diff(const float* a, const float* b, size_t n);
/* Max |a - b|. */
double ep_test_max_abs_diff(const float* a, const float* b, size_t n);
/* 1 if every value is finite. */
int ep_test_all_finite(const float* x, size_t n);
/* 1 if the zoo model `name` is to be run: EP_TEST_ZOO=name,name,... names the models of the
 * tests that loop over the zoo (the emulated arm64 run keeps to the small ones: the Makefile's
 * test-arm64); unset or empty, all of them. */
int ep_test_zoo_selected(const char* name);

/* tests/fixtures (recorded sysfs and /proc trees of real boards), or $EP_FIXTURES. */
const char* ep_test_fixtures_dir(void);

#endif /* EDGEPROF_TEST_SUPPORT_H */
