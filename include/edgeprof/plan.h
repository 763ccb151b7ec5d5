/* Edge/cloud partition planner (Neurosurgeon-style): given the time of every node on the edge
 * device and on the server, a network link and an edge power model, compute the latency and the
 * edge energy of every cut position and pick the best one. Formulas: docs/plan.md.
 *
 * A cut k runs nodes [0, k) on the edge and [k, n) on the server (k = n: all on the edge, k = 0:
 * all on the server). The edge uploads the tensors crossing the cut that the server reads, the
 * server returns the graph outputs it produces.
 *
 * Everything here is plain data and pure functions: thread-safe, no I/O except
 * ep_plan_times_load (reads one file) and the writers (write to a stream they are given). */
#ifndef EDGEPROF_PLAN_H
#define EDGEPROF_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "edgeprof/graph.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- network and power ------------------------------------------------------------------- */

typedef struct ep_network {
  double uplink_bps;   /* bit/s, > 0 */
  double downlink_bps; /* bit/s, > 0 */
  double rtt_s;        /* round-trip time, >= 0 */
} ep_network;

typedef struct ep_network_preset {
  const char* name;  /* "3g", "lte", "wifi" */
  double uplink_bps; /* Neurosurgeon's measured average uplink */
  double rtt_s;      /* an assumption (docs/plan.md) */
} ep_network_preset;

int ep_network_preset_count(void);
const ep_network_preset* ep_network_preset_at(int index);
/* Uplink = downlink = the preset's, RTT the preset's. EP_ERR_NOT_FOUND lists the names. */
ep_status ep_network_preset_find(const char* name, ep_network* network_out);

/* "5.85Mbit", "5.85Mbit/s", "5.85Mbps", "500kbit", "1Gbit", "2e6bit" or a bare number (bit/s),
 * into bit/s (> 0). The message names the text and the accepted units. */
ep_status ep_parse_bitrate(const char* text, double* bps_out);
/* "40ms", "0.04s", "500us" into seconds (>= 0); a unit is required. */
ep_status ep_parse_duration(const char* text, double* seconds_out);

/* Edge device power in watts: running the head of the network, idle while it waits for the
 * server, and with the radio sending or receiving. */
typedef struct ep_power_model {
  double compute_w;
  double idle_w;
  double radio_w;
} ep_power_model;

#define EP_POWER_DEFAULT_COMPUTE_W 2.5
#define EP_POWER_DEFAULT_IDLE_W 0.3
#define EP_POWER_DEFAULT_RADIO_W 1.2

void ep_power_model_default(ep_power_model* power_out);
/* Updates `power` from "compute=W,idle=W,radio=W" (any subset, any order; W >= 0). */
ep_status ep_power_model_parse(const char* text, ep_power_model* power);

/* --- what crosses a cut ------------------------------------------------------------------- */

/* Tensors the edge uploads at cut k (0 <= k <= n): those crossing the cut that a node at or after
 * k reads, ascending ids (the order on the wire). Writes up to `max`, returns the count. */
int ep_plan_upload_tensors(const ep_graph* graph, int k, int* ids, int max);
/* Graph outputs the server produces at cut k (produced at or after k), ascending ids. */
int ep_plan_download_tensors(const ep_graph* graph, int k, int* ids, int max);
/* Bytes of float32 data of those tensors. */
int64_t ep_plan_upload_bytes(const ep_graph* graph, int k);
int64_t ep_plan_download_bytes(const ep_graph* graph, int k);

/* --- node times from profile files ------------------------------------------------------- */

/* Reads a `edgeprof profile --json` document and writes each node's average time (ms) into
 * ms_out[i] for node i of `graph` (the optimized graph of `model`), matching nodes by name.
 * Refuses (EP_ERR_FORMAT, message names the file) a document of another model, with another
 * node count or without one of the graph's nodes. */
ep_status ep_plan_times_parse(const char* text, size_t length, const char* source,
                              const char* model, const ep_graph* graph, double* ms_out);
ep_status ep_plan_times_load(const char* path, const char* model, const ep_graph* graph,
                             double* ms_out);

/* The power an `edgeprof profile --energy` document measured: its "energy" object (absent or
 * null in profiles without --energy). */
typedef struct ep_plan_measured_power {
  bool present;           /* the document has a measurement */
  double mean_power_w;    /* "mean_power_w", > 0 */
  char meter[16];         /* "rapl", "ina3221", "battery" */
  char description[160];  /* "INA3221 rail VDD_IN (board input)" */
  char scope[16];         /* "cpu package", "board", "device" */
} ep_plan_measured_power;

/* Reads the "energy" object of a profile document. present stays false when there is none;
 * EP_ERR_FORMAT (message names the file) when it is there but malformed or not positive. */
ep_status ep_plan_measured_power_parse(const char* text, size_t length, const char* source,
                                       ep_plan_measured_power* power_out);
ep_status ep_plan_measured_power_load(const char* path, ep_plan_measured_power* power_out);

/* --- the plan ---------------------------------------------------------------------------- */

typedef enum ep_plan_objective { EP_PLAN_LATENCY, EP_PLAN_ENERGY } ep_plan_objective;

/* "latency" / "energy". */
const char* ep_plan_objective_name(ep_plan_objective objective);
ep_status ep_plan_objective_parse(const char* text, ep_plan_objective* objective_out);

typedef struct ep_plan_cut {
  int k;                  /* nodes [0, k) on the edge, [k, n) on the server */
  int upload_tensors;     /* tensors uploaded */
  int64_t upload_bytes;   /* float32 data uploaded */
  int64_t download_bytes; /* float32 data of the results sent back */
  double edge_ms;         /* sum of edge times of nodes [0, k) */
  double upload_ms;       /* upload_bytes * 8 / uplink */
  double rtt_ms;          /* one round trip when the server is used, else 0 */
  double server_ms;       /* sum of server times of nodes [k, n) */
  double download_ms;     /* download_bytes * 8 / downlink */
  double total_ms;        /* edge + upload + rtt + server + download */
  double energy_mj;       /* compute x edge + radio x (upload + rtt + download) + idle x server */
} ep_plan_cut;

typedef struct ep_plan {
  int n_nodes;
  int n_cuts;        /* n_nodes + 1 */
  ep_plan_cut* cuts; /* cuts[k] */
  int best_latency;  /* k of the lowest total_ms (ties: the larger k, less leaves the device) */
  int best_energy;   /* k of the lowest energy_mj (same tie rule) */
  int best;          /* the one of `objective` */
  ep_plan_objective objective;
  ep_network network;
  ep_power_model power;
  /* Where each power figure came from (compute, idle, radio): "default", "given" (--edge-power)
   * or "measured by <meter> (<file>)". ep_plan_compute sets "default" for all three; the
   * caller that knows better overwrites them; ep_plan_json writes them. */
  char power_source[3][224];
} ep_plan;

/* Computes every cut of the finalized `graph` from per-node times (ms, n_nodes each). */
ep_status ep_plan_compute(const ep_graph* graph, const double* edge_ms, const double* server_ms,
                          const ep_network* network, const ep_power_model* power,
                          ep_plan_objective objective, ep_plan** plan_out);
/* NULL is a no-op. */
void ep_plan_destroy(ep_plan* plan);

/* --- bandwidth sweep ---------------------------------------------------------------------- */

typedef struct ep_plan_sweep_point {
  double uplink_bps;
  int best;         /* best cut for the objective at this bandwidth */
  double total_ms;  /* of that cut */
  double energy_mj; /* of that cut */
} ep_plan_sweep_point;

/* Best cut at `count` bandwidths spaced logarithmically from lo_bps to hi_bps (count >= 2). The
 * downlink follows the uplink unless `fixed_downlink_bps` > 0. Writes points_out[count]. */
ep_status ep_plan_sweep(const ep_graph* graph, const double* edge_ms, const double* server_ms,
                        const ep_network* network, double fixed_downlink_bps,
                        const ep_power_model* power, ep_plan_objective objective, double lo_bps,
                        double hi_bps, int count, ep_plan_sweep_point* points_out);

/* A hand-written SVG step chart of the best cut (y, node index) against uplink bandwidth (x,
 * log scale), with the presets marked. */
ep_status ep_plan_sweep_svg(const char* model, const ep_graph* graph, ep_plan_objective objective,
                            const ep_plan_sweep_point* points, int count, FILE* out);

/* JSON document of a plan (schema in docs/plan.md); `sweep` may be NULL. */
ep_status ep_plan_json(const char* model, const ep_graph* graph, const ep_plan* plan,
                       const char* edge_source, const char* server_source,
                       const ep_plan_sweep_point* sweep, int sweep_count, FILE* out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_PLAN_H */
