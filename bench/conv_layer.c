/* One convolution layer on edgeprof's kernels, timed alone (a benchmark, not a test): for
 * tuning a kernel without a whole network's noise, and for seeing what cold caches cost.
 *
 *   conv_layer CIN COUT SIZE KERNEL STRIDE [THREADS] [--groups G] [--kernel-w KW] [--cold]
 *              [--blocked | --versus-blocked] [--residual] [--runs N] [--cpu-time]
 *
 * A square SIZE x SIZE input, "same" padding (KERNEL / 2), bias and ReLU; --groups CIN makes
 * it depthwise; --kernel-w makes the kernel KERNEL x KW (Inception's 1x7 and 7x1, padding
 * KW / 2 across). --residual adds a residual input shaped like the output (ResNet's fused add).
 * --cold writes 64 MiB before every run, so that input, weights and output come from memory as they
 * do inside a network. --blocked runs the NCHW8c kernel of the layer: output blocked, input blocked
 * too unless CIN is small enough for the direct kernel. --versus-blocked times the NCHW kernel and
 * the NCHW8c one run for run (A B B A ...) and prints the median over pairs of their ratio: on a
 * shared machine whose speed drifts, the comparison to trust. Prints the best and mean time and
 * GFLOP/s (direct convolution FLOPs: Winograd layers can exceed the machine's peak). Built and run
 * by bench/conv_layer.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/kernels.h"
#include "core/threadpool.h"

/* CLOCK_MONOTONIC, or with --cpu-time the calling thread's CPU clock: at one thread the layer
 * runs on the calling thread, and the time it was descheduled on a loaded machine is left out
 * (its caches are still shared). */
static clockid_t clock_used = CLOCK_MONOTONIC;

static double now(void) {
  struct timespec t;
  clock_gettime(clock_used, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int positive(const char* s, const char* what) {
  char* end;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || v < 1 || v > 1 << 16) {
    fprintf(stderr, "conv_layer: %s must be a positive integer, not '%s'\n", what, s);
    exit(2);
  }
  return (int)v;
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* One variant of the layer: its descriptor, packed weights, scratch, output and run times. */
typedef struct layer {
  ep_conv_desc d;
  float* packed;
  float* work;
  size_t ws;
  float* y;
  double* samples;
} layer;

static int layer_init(layer* l, const ep_conv_desc* d, const float* w, const float* bias, size_t ny,
                      int threads, int runs) {
  l->d = *d;
  l->ws = ep_conv2d_workspace_size(d);
  l->packed = aligned_alloc(64, (ep_conv2d_packed_size(d) * sizeof(float) + 63) / 64 * 64);
  l->work = aligned_alloc(64, ((l->ws * (size_t)threads + 16) * sizeof(float) + 63) / 64 * 64);
  l->y = aligned_alloc(64, (ny * sizeof(float) + 63) / 64 * 64);
  l->samples = malloc((size_t)runs * sizeof *l->samples);
  if (!l->packed || !l->work || !l->y || !l->samples) return -1;
  ep_conv2d_pack(d, w, bias, l->packed);
  return 0;
}

static void layer_run(layer* l, const float* x, const float* residual, ep_threadpool* pool) {
  ep_conv2d_run(&l->d, l->packed, x, residual, l->y, l->work, l->ws, pool);
}

static void layer_free(layer* l) {
  free(l->packed);
  free(l->work);
  free(l->y);
  free(l->samples);
}

static double median_of(double* v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void layer_report(layer* l, double flops, int runs, int threads, bool cold, bool blocked) {
  double best = 1e30, sum = 0.0;
  for (int r = 0; r < runs; r++) {
    best = l->samples[r] < best ? l->samples[r] : best;
    sum += l->samples[r];
  }
  const ep_conv_desc* d = &l->d;
  double* sorted = malloc((size_t)runs * sizeof *sorted);
  if (sorted == NULL) return;
  memcpy(sorted, l->samples, (size_t)runs * sizeof *sorted);
  const double median = median_of(sorted, runs);
  free(sorted);
  printf(
      "conv %d -> %d, %dx%d, kernel %dx%d, stride %d, groups %d, %d thread(s)%s%s: best %.3f ms "
      "(%.1f GFLOP/s), median %.3f ms, mean %.3f ms\n",
      d->in_channels, d->out_channels, d->in_h, d->in_w, d->kernel_h, d->kernel_w, d->stride_h,
      d->groups,
      threads, blocked ? ", NCHW8c" : "", cold ? ", cold caches" : "", best * 1e3,
      flops / best * 1e-9, median * 1e3, sum / runs * 1e3);
}

int main(int argc, char** argv) {
  int args[6] = {0, 0, 0, 0, 0, 1};
  const char* names[6] = {"CIN", "COUT", "SIZE", "KERNEL", "STRIDE", "THREADS"};
  int n_args = 0, groups = 1, runs = 100, kernel_w = 0;
  bool cold = false, blocked = false, versus = false, with_residual = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--cold") == 0) {
      cold = true;
    } else if (strcmp(argv[i], "--versus-blocked") == 0) {
      versus = true;
    } else if (strcmp(argv[i], "--residual") == 0) {
      with_residual = true;
    } else if (strcmp(argv[i], "--blocked") == 0) {
      blocked = true;
    } else if (strcmp(argv[i], "--groups") == 0 && i + 1 < argc) {
      groups = positive(argv[++i], "--groups");
    } else if (strcmp(argv[i], "--cpu-time") == 0) {
      clock_used = CLOCK_THREAD_CPUTIME_ID;
    } else if (strcmp(argv[i], "--kernel-w") == 0 && i + 1 < argc) {
      kernel_w = positive(argv[++i], "--kernel-w");
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = positive(argv[++i], "--runs");
    } else if (argv[i][0] != '-' && n_args < 6) {
      args[n_args] = positive(argv[i], names[n_args]);
      n_args++;
    } else {
      fprintf(stderr,
              "usage: conv_layer CIN COUT SIZE KERNEL STRIDE [THREADS] [--groups G] "
              "[--kernel-w KW] [--cold] [--blocked | --versus-blocked] [--residual] [--runs N] "
              "[--cpu-time]\n");
      return 2;
    }
  }
  if (n_args < 5) {
    fprintf(stderr, "conv_layer: CIN COUT SIZE KERNEL STRIDE are needed (try --help)\n");
    return 2;
  }
  if (args[0] % groups != 0 || args[1] % groups != 0) {
    fprintf(stderr, "conv_layer: CIN and COUT must be multiples of --groups\n");
    return 2;
  }
  const int pad = args[3] / 2, threads = args[5];
  const int kw = kernel_w > 0 ? kernel_w : args[3], pad_w = kw / 2;
  if (clock_used != CLOCK_MONOTONIC && threads != 1) {
    fprintf(stderr, "conv_layer: --cpu-time times the calling thread: one thread only\n");
    return 2;
  }
  ep_conv_desc d = {
      .batch = 1,
      .in_channels = args[0],
      .in_h = args[2],
      .in_w = args[2],
      .out_channels = args[1],
      .out_h = (args[2] + 2 * pad - args[3]) / args[4] + 1,
      .out_w = (args[2] + 2 * pad_w - kw) / args[4] + 1,
      .kernel_h = args[3],
      .kernel_w = kw,
      .stride_h = args[4],
      .stride_w = args[4],
      .dilation_h = 1,
      .dilation_w = 1,
      .pad_top = pad,
      .pad_left = pad_w,
      .groups = groups,
      .has_bias = true,
      .act = EP_ACT_RELU,
  };
  ep_conv_desc variants[2] = {d, d};
  const int n_variants = versus ? 2 : 1;
  if (blocked || versus) {
    ep_conv_desc* b = &variants[versus ? 1 : 0];
    b->out_layout = EP_LAYOUT_NCHW8C;
    b->in_layout =
        groups == 1 && d.in_channels <= EP_NCHWC_DIRECT_MAX_CIN ? EP_LAYOUT_NCHW : EP_LAYOUT_NCHW8C;
    if (!ep_conv2d_layouts_supported(b)) {
      fprintf(stderr, "conv_layer: this layer has no NCHW8c kernel\n");
      return 2;
    }
  }
  if (d.out_h < 1 || d.out_w < 1) {
    fprintf(stderr, "conv_layer: the kernel is larger than the padded input\n");
    return 2;
  }
  const size_t nw =
      (size_t)d.out_channels * (size_t)(d.in_channels / groups) * (size_t)args[3] * (size_t)kw;
  const size_t nx = (size_t)d.in_channels * (size_t)d.in_h * (size_t)d.in_w;
  const size_t ny = (size_t)d.out_channels * (size_t)d.out_h * (size_t)d.out_w;
  const size_t flush_bytes = (size_t)64 << 20;
  float* w = malloc(nw * sizeof *w);
  float* bias = calloc((size_t)d.out_channels, sizeof *bias);
  float* x = aligned_alloc(64, (nx * sizeof(float) + 63) / 64 * 64);
  float* residual = with_residual ? aligned_alloc(64, (ny * sizeof(float) + 63) / 64 * 64) : NULL;
  char* flush = cold ? malloc(flush_bytes) : NULL;
  ep_threadpool* pool = NULL;
  layer layers[2];
  memset(layers, 0, sizeof layers);
  if (!w || !bias || !x || (cold && !flush) || (with_residual && !residual) ||
      ep_threadpool_create(threads, NULL, 0, &pool) != EP_OK) {
    fprintf(stderr, "conv_layer: out of memory or threads\n");
    return 1;
  }
  for (size_t i = 0; i < nw; i++) w[i] = 1e-3f * (float)(i % 7) - 3e-3f;
  for (size_t i = 0; i < nx; i++) x[i] = 1e-3f * (float)(i % 5);
  for (size_t i = 0; with_residual && i < ny; i++) residual[i] = 1e-3f * (float)(i % 3);
  for (int v = 0; v < n_variants; v++) {
    if (layer_init(&layers[v], &variants[v], w, bias, ny, threads, runs) != 0) {
      fprintf(stderr, "conv_layer: out of memory\n");
      return 1;
    }
    layer_run(&layers[v], x, residual, pool); /* warm-up */
  }
  /* With two variants, runs alternate A B B A A B ... so that neither always goes first. */
  for (int r = 0; r < runs; r++) {
    const int first = n_variants == 2 ? (r + r / 2) % 2 : 0;
    for (int k = 0; k < n_variants; k++) {
      layer* l = &layers[k == 0 ? first : 1 - first];
      if (cold) memset(flush, r + k, flush_bytes);
      const double t0 = now();
      layer_run(l, x, residual, pool);
      l->samples[r] = now() - t0;
    }
  }
  const double flops = 2.0 * (double)ny * (double)(d.in_channels / groups) * args[3] * kw;
  for (int v = 0; v < n_variants; v++) {
    layer_report(&layers[v], flops, runs, threads, cold, v == 1 || blocked);
  }
  if (n_variants == 2) {
    double* ratio = layers[0].samples; /* reuse: per-pair ratios, blocked / NCHW */
    for (int r = 0; r < runs; r++) ratio[r] = layers[1].samples[r] / layers[0].samples[r];
    printf("NCHW8c / NCHW, median over pairs of runs: %.3f\n", median_of(ratio, runs));
  }
  ep_threadpool_destroy(pool);
  for (int v = 0; v < n_variants; v++) layer_free(&layers[v]);
  free(w);
  free(bias);
  free(x);
  free(residual);
  free(flush);
  return 0;
}
