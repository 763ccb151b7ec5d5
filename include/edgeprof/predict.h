/* Latency prediction for a device from per-op-type models fitted to its measurements (the
 * nn-Meter approach, MobiSys 2021): `ep_predict_fit` times generated single-op configurations on
 * this machine (convolutions, grouped and depthwise, pooling, fully connected, element-wise,
 * concatenation, LSTM, attention-like MatMul + Softmax, each inside the small block it sits in
 * in real networks so that the runtime fuses and lays it out as it would there), per thread
 * count, and fits one gradient-boosted tree ensemble per op class on the node's features
 * (FLOPs, bytes, kernel, stride, channels, groups, spatial size, fused activation and residual,
 * blocked layout). The result is a device: plain data, written to and read from a JSON device
 * file (schema in docs/predict.md). `ep_predict_graph` then predicts every node of any graph and
 * the network as their sum, without running it.
 *
 * Thread-safety: a device is immutable once made; predictions may run on many threads at once.
 * ep_predict_fit uses the CPUs it is given and runs for about its budget. */
#ifndef EDGEPROF_PREDICT_H
#define EDGEPROF_PREDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "edgeprof/graph.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_PREDICT_SCHEMA_VERSION 1
#define EP_PREDICT_MAX_THREAD_COUNTS 8

/* The op classes, one model each: see ep_predict_class_name and docs/predict.md. */
typedef enum ep_predict_class {
  EP_PREDICT_CONV,     /* convolution, group 1 */
  EP_PREDICT_DWCONV,   /* depthwise convolution (one input channel per group) */
  EP_PREDICT_GCONV,    /* grouped convolution (several input channels per group) */
  EP_PREDICT_FC,       /* fully connected, Gemm / MatMul with constant weights */
  EP_PREDICT_MATMUL,   /* MatMul / Gemm of two activations (attention) */
  EP_PREDICT_POOL,     /* max / average pooling with a window */
  EP_PREDICT_GPOOL,    /* global average / max pooling */
  EP_PREDICT_ELTWISE,  /* element-wise: Add, Sub, Mul, Div, activations, Clip, BatchNorm */
  EP_PREDICT_SOFTMAX,  /* Softmax, LogSoftmax */
  EP_PREDICT_MEMORY,   /* Concat, Transpose, Pad, LRN */
  EP_PREDICT_RNN,      /* LSTM, GRU */
  EP_PREDICT_VIEW,     /* Reshape, Flatten: the runtime does not run them */
  EP_PREDICT_CLASS_COUNT
} ep_predict_class;

const char* ep_predict_class_name(ep_predict_class c);
/* The class of a node of a finalized graph. */
ep_predict_class ep_predict_node_class(const ep_graph* graph, const ep_node* node);

typedef struct ep_predict_device ep_predict_device;

typedef struct ep_predict_fit_options {
  const int* threads;  /* thread counts to fit, one model set each (1..EP_PREDICT_MAX_...) */
  int n_threads;
  const int* cpus;     /* workers pinned round-robin over these CPUs; NULL: not pinned */
  int n_cpus;
  double budget_s;     /* measuring time, all thread counts together (> 0) */
  int runs;            /* timed runs per configuration (fastest per node); 0: 7 */
  uint64_t seed;       /* which configurations are drawn */
  /* Called after each configuration (may be NULL): done so far, seconds used. */
  void (*progress)(void* user, int configs, int samples, double elapsed_s);
  void* user;
} ep_predict_fit_options;

/* Measures this machine and fits the device. Every class gets configurations before any gets
 * more, so that even a short budget fits a model for each. Free with ep_predict_device_destroy. */
ep_status ep_predict_fit(const ep_predict_fit_options* options, ep_predict_device** device_out);
/* NULL is a no-op. */
void ep_predict_device_destroy(ep_predict_device* device);

/* What a device file says about where and how it was fitted. */
typedef struct ep_predict_device_info {
  char cpu[128];        /* brand string of the machine measured */
  char isa[16];         /* the kernels' ISA level there ("avx2") */
  char layout[16];      /* the blocked layout sessions used ("NCHW8c", or "none") */
  char cpus[256];       /* the CPU list the workers were pinned to, "" when not pinned */
  double llc_bytes;     /* last-level cache: networks whose weights exceed it run cold */
  int n_threads;        /* thread counts fitted */
  int threads[EP_PREDICT_MAX_THREAD_COUNTS];
  int configs;          /* configurations measured */
  int samples;          /* node timings fitted */
  double fit_seconds;   /* measuring and fitting time */
} ep_predict_device_info;

void ep_predict_device_info_get(const ep_predict_device* device, ep_predict_device_info* out);

/* Per class and thread count: samples and the fit's median relative error on them (-1: no
 * model for that class). */
typedef struct ep_predict_class_fit {
  int samples;
  double train_median_error; /* |predicted / measured - 1|, median over the samples */
} ep_predict_class_fit;
ep_status ep_predict_device_class_fit(const ep_predict_device* device, int threads,
                                      ep_predict_class c, ep_predict_class_fit* out);

/* Device file: JSON with "schema_version" EP_PREDICT_SCHEMA_VERSION (docs/predict.md). */
ep_status ep_predict_device_write(const ep_predict_device* device, FILE* out);
/* Refuses (EP_ERR_FORMAT, the message names `source` and what is wrong) anything that is not a
 * complete, consistent device file of this schema version: every tree index, feature and
 * number is checked. */
ep_status ep_predict_device_parse(const char* text, size_t length, const char* source,
                                  ep_predict_device** device_out);
ep_status ep_predict_device_load(const char* path, ep_predict_device** device_out);

/* Predicts the time (ms) of every node of the finalized graph `graph` (the optimized graph that
 * sessions run) with `threads` threads: node_ms_out[i] for node i. EP_ERR_NOT_FOUND when the
 * device has no model for that thread count or for a class the graph needs (the message says
 * which). */
ep_status ep_predict_graph(const ep_predict_device* device, const ep_graph* graph, int threads,
                           double* node_ms_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_PREDICT_H */
