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
#include "edgeprof/tensor_codec.h"

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
/* A link: a preset name ("wifi"), or "UP,RTT" or "UP/DOWN,RTT" with rates as ep_parse_bitrate
 * and the RTT as ep_parse_duration ("100Mbit,2ms", "50Mbit/200Mbit,15ms"). */
ep_status ep_network_parse_link(const char* text, ep_network* network_out);

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
  int64_t upload_bytes;   /* data uploaded, encoded as the plan's dtype (float32 by default) */
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
  ep_cut_dtype dtype; /* of the uploaded tensors */
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
/* The same with the uploaded tensors encoded as `dtype` (upload_bytes and upload_ms count the
 * encoded bytes; results stay float32). ep_plan_compute is this with EP_CUT_FP32. */
ep_status ep_plan_compute_encoded(const ep_graph* graph, const double* edge_ms,
                                  const double* server_ms, const ep_network* network,
                                  const ep_power_model* power, ep_plan_objective objective,
                                  ep_cut_dtype dtype, ep_plan** plan_out);
/* NULL is a no-op. */
void ep_plan_destroy(ep_plan* plan);

/* --- partitions of the whole DAG, two or three tiers -------------------------------------- *
 *
 * A partition puts every node of the (optimized, finalized) graph on one tier: the device (the
 * edge, where the inputs are and the results must end up), an optional fog (an edge server
 * near the device) and the server (the cloud). Tiers are monotone along the chain device ->
 * fog -> server: a node's tier is at least the tier of every node whose output it reads, so
 * tensors cross each link once, forward, and only the graph outputs come back. Any such node
 * set can run as contiguous ranges: ep_plan_partition_graph reorders the graph so that each
 * tier's nodes are one range (the existing split-k machinery then runs it).
 *
 * Hops. "direct": device -> server over the device-server link (no fog). "chain": device ->
 * fog -> server, two serve processes; a tensor produced on the device and read on the server
 * is relayed by the fog (it crosses both links), results come back the same way. A partition
 * of the chain with no fog node still uses the fog as a relay; one with no server node uses
 * only the device-fog link. Formulas and the min-cut construction: docs/plan.md. */

enum { EP_TIER_DEVICE = 0, EP_TIER_FOG = 1, EP_TIER_SERVER = 2, EP_TIER_COUNT = 3 };
/* "device", "fog", "server"; NULL outside [0, 3). */
const char* ep_plan_tier_name(int tier);
/* The links, indexes of ep_plan_request.link. Up: towards the server. */
enum { EP_LINK_DEVICE_FOG = 0, EP_LINK_FOG_SERVER = 1, EP_LINK_DEVICE_SERVER = 2, EP_LINK_COUNT = 3 };
const char* ep_plan_link_name(int link); /* "device-fog", "fog-server", "device-server" */

/* "prefix": the cuts of the graph's one topological order (Neurosurgeon); "dag": any monotone
 * node set, the exact optimum by minimum s-t cut (DADS), layered for three tiers. */
typedef enum ep_plan_cuts { EP_PLAN_CUTS_PREFIX, EP_PLAN_CUTS_DAG } ep_plan_cuts;
const char* ep_plan_cuts_name(ep_plan_cuts cuts);
ep_status ep_plan_cuts_parse(const char* text, ep_plan_cuts* cuts_out);

typedef struct ep_plan_request {
  const ep_graph* graph;                /* finalized */
  /* Per-node times (ms, n_nodes each) on each tier; node_ms[EP_TIER_FOG] NULL: no fog, two
   * tiers. The source is the caller's business (a measured profile, a predicted one). */
  const double* node_ms[EP_TIER_COUNT];
  ep_network link[EP_LINK_COUNT];       /* device-fog and fog-server ignored without a fog */
  ep_power_model power;                 /* the device's */
  ep_plan_objective objective;
  ep_plan_cuts cuts;
  ep_cut_dtype dtype;                   /* encoding of the tensors sent forward; results: fp32 */
} ep_plan_request;

/* What one hop sends: forward the tensors a later tier reads, back the graph outputs produced
 * beyond it. Ids are tensors of the request's graph, ascending (the order on the wire). */
typedef struct ep_plan_hop {
  int from_tier, to_tier;  /* device -> fog, fog -> server, or device -> server */
  int link;                /* EP_LINK_* */
  int n_up;
  int* up_ids;
  int64_t up_bytes;        /* encoded in the request's dtype */
  int64_t up_fp32_bytes;   /* the same tensors as float32 */
  int n_down;
  int* down_ids;
  int64_t down_bytes;      /* float32 */
  double up_ms, rtt_ms, down_ms;
} ep_plan_hop;

typedef struct ep_plan_partition {
  int n_nodes;
  int* tier;               /* tier[i] of node i (EP_TIER_*) */
  bool chain;              /* hops through the fog (device -> fog -> server) */
  ep_plan_cuts cuts;       /* the method that found it */
  ep_cut_dtype dtype;
  int n_hops;              /* 0 (all on the device), 1 or 2 */
  ep_plan_hop hops[2];
  double compute_ms[EP_TIER_COUNT]; /* sum of the node times of each tier */
  double total_ms;         /* compute + every hop's up, rtt and down: nothing overlaps */
  /* Device energy: compute W x device ms + radio W x (first hop's up + rtt + down) + idle W x
   * everything else (the device waits). */
  double energy_mj;
  double objective_value;  /* total_ms or energy_mj */
  /* dag with two tiers only: the optimum when tensors may also go back from the server to the
   * device (counting one round trip: a lower bound), NaN when not computed; when it is lower
   * than objective_value the optimum would need tensors to go back and forth and the plan is
   * constrained to one crossing, as DADS does. */
  double unconstrained_value;
  int unconstrained_back_tensors; /* tensors that optimum sends back to the device */
  /* The best prefix cut under the same request (two tiers: a cut k; three: k1 <= k2), for the
   * gain of "dag" over "prefix". */
  double best_prefix_value;
} ep_plan_partition;

/* The best partition for the request: ties go to the one that keeps more on the device. */
ep_status ep_plan_solve(const ep_plan_request* request, ep_plan_partition** partition_out);
/* Costs a given assignment (tier[n_nodes]; `chain` as above). EP_ERR_INVALID_ARGUMENT when it
 * is not monotone (the message names a node and the input from a later tier) or uses a tier
 * the request has not. */
ep_status ep_plan_partition_evaluate(const ep_plan_request* request, const int* tier, bool chain,
                                     ep_plan_partition** partition_out);
/* NULL is a no-op. */
void ep_plan_partition_destroy(ep_plan_partition* partition);

/* A topological order of the graph's nodes with the device's nodes first, then the fog's, then
 * the server's, each in graph order: order_out[n_nodes] (new position -> old node index),
 * first_out[4]: tier t runs positions [first_out[t], first_out[t + 1]). */
void ep_plan_partition_order(const ep_plan_partition* partition, int* order_out, int* first_out);
/* A new finalized graph with the nodes in that order (same nodes, attrs and tensor names; its
 * tensor ids are its own: match tensors by name). Both ends of a split build it from the same
 * tier list and get the same graph, so ep_plan_upload_tensors(reordered, first_out[tier]) is
 * what crosses. */
ep_status ep_plan_partition_graph(const ep_graph* graph, const ep_plan_partition* partition,
                                  ep_graph** reordered_out, int* first_out);

/* Reads the "partition" of a `plan --json` document (schema 2) for `graph`: the tier of every
 * node (by name), whether it chains through the fog, and the cut dtype. EP_ERR_FORMAT (message
 * names the source) for a document of another model, a missing or unknown node, a non-monotone
 * assignment or an unknown dtype. tier_out: n_nodes ints. */
ep_status ep_plan_partition_parse(const char* text, size_t length, const char* source,
                                  const char* model, const ep_graph* graph, int* tier_out,
                                  bool* chain_out, ep_cut_dtype* dtype_out);
ep_status ep_plan_partition_load(const char* path, const char* model, const ep_graph* graph,
                                 int* tier_out, bool* chain_out, ep_cut_dtype* dtype_out);

/* --- the error a compressed cut causes ---------------------------------------------------- */

typedef struct ep_plan_cut_error {
  double max_abs;  /* max |compressed - float32| over every graph output element */
  double max_ref;  /* max |float32 output| */
  double relative; /* max_abs / max_ref (0 when max_ref is 0): what --max-error bounds */
  int rows;        /* rows of the first output ([..., C]: numel / C) */
  int rows_agree;  /* rows whose arg max (top-1) is the same */
} ep_plan_cut_error;

/* Runs `graph` here on one calibration input, once in float32 and once with every tensor each hop of `partition`
 * sends encoded as partition->dtype and restored (ep_tensor_round_trip), the hops in order (a
 * tensor the fog relays is compressed on both hops, as the fog re-encodes what it forwards).
 * The input: inputs[i] (numel floats of graph input i) when `inputs` is not NULL, else drawn
 * from `seed` (uniform in [-1, 1) from splitmix64, as `edgeprof run` draws it). One thread;
 * costs two inferences plus building the reordered graph. */
ep_status ep_plan_cut_error_measure(const ep_graph* graph, const ep_plan_partition* partition,
                                    const float* const* inputs, uint64_t seed,
                                    ep_plan_cut_error* error_out);

/* --- bandwidth sweep ---------------------------------------------------------------------- */

typedef struct ep_plan_sweep_point {
  double uplink_bps;
  int best;         /* best cut for the objective at this bandwidth */
  double total_ms;  /* of that cut */
  double energy_mj; /* of that cut */
} ep_plan_sweep_point;

/* Best cut at `count` bandwidths spaced logarithmically from lo_bps to hi_bps (count >= 2). The
 * downlink follows the uplink unless `fixed_downlink_bps` > 0; uploads encoded as `dtype`.
 * Writes points_out[count]. */
ep_status ep_plan_sweep(const ep_graph* graph, const double* edge_ms, const double* server_ms,
                        const ep_network* network, double fixed_downlink_bps,
                        const ep_power_model* power, ep_plan_objective objective,
                        ep_cut_dtype dtype, double lo_bps, double hi_bps, int count,
                        ep_plan_sweep_point* points_out);

/* A hand-written SVG step chart of the best cut (y, node index) against uplink bandwidth (x,
 * log scale), with the presets marked. */
ep_status ep_plan_sweep_svg(const char* model, const ep_graph* graph, ep_plan_objective objective,
                            const ep_plan_sweep_point* points, int count, FILE* out);

/* JSON document of a plan (schema 2, docs/plan.md); `fog_source`, `sweep` and `partition` may
 * be NULL (`partition` adds the "partition" object that `offload --plan` reads). */
ep_status ep_plan_json(const char* model, const ep_graph* graph, const ep_plan* plan,
                       const char* edge_source, const char* fog_source,
                       const char* server_source, const ep_plan_sweep_point* sweep,
                       int sweep_count, const ep_plan_partition* partition, FILE* out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_PLAN_H */
